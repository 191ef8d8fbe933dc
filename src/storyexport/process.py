"""Process plumbing for the processes that render articles: how a pool
worker manages its garbage collector. No build logic here (that is
:mod:`storyexport.engine.render`); who runs the workers is
:mod:`storyexport.scheduling`, and the one ``syncfs`` at the end of an
export is :meth:`storage.Storage.sync`.

Between articles, the garbage collector is managed in pool workers only,
never in the caller's process (``--jobs 1``) nor in a Dask worker, whose
process is Dask's; an edition pauses it in whichever process lays it out.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

COLLECT_AFTER = 10_000
"""Objects a pool worker may leave behind (created and not yet freed: mostly
reference cycles) before the next collection between articles. A PDF leaves
about 13,000; an HTML page about 60, and waits for the next ones."""

_managed = False  # this process is a pool worker whose collector runs between articles
_frozen = False  # what the first article warmed up is out of the collector's sight


def manage_collector(pool: bool) -> None:
    """Set up this process to render articles: in a pool worker, the
    collector is disabled and runs between articles instead
    (:func:`after_article`)."""
    global _managed, _frozen
    _managed, _frozen = pool, False
    if pool:
        gc.disable()


def after_article() -> None:
    """Collect a pool worker's garbage once per article, between articles.

    Layout allocates millions of short-lived objects per document. Nearly all
    are freed by reference counting, but the collector, run by allocation
    counts, kept walking the live document in the middle of its layout: 5 ms
    an article even at 50,000 allocations between young collections (CPython's
    default, 700, costs more). Between two articles the document is garbage,
    and one full collection (3.5 ms) frees its cycles; memory stays as flat
    as before. Cheap articles (HTML pages) are collected a few at a time
    (:data:`COLLECT_AFTER`). After the first article, which warmed the
    writers up (imports, parsed style sheets, fonts, caches), what is left is
    moved out of the collector's sight for good (``gc.freeze``)."""
    global _frozen
    if _managed and (gc.get_count()[0] >= COLLECT_AFTER or not _frozen):
        gc.collect()
        if not _frozen:
            _frozen = True
            gc.freeze()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The garbage collector off for one edition, then one full collection.

    An edition is one long layout whose live objects grow to hundreds of
    megabytes; each full collection the allocation counts trigger walks them
    all, and a 200-story PDF spent a quarter of its time there (74 s of CPU
    against 55 s without; peak RSS 803 MiB against 866 MiB). Pool workers
    pause the collector during an article's layout the same way
    (:func:`manage_collector`)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
        gc.collect()
