"""The build engine: the only code that touches the output folder.

An export is a sequence of phases over one :class:`Export` (what it was
asked to do) and the last export's :class:`~.manifest.Manifest`, each in a
module of its own:

1. scan and plan (:mod:`.plan`): which sources to read, which writers to run;
2. render (:mod:`.render`): the jobs, in worker processes, staging outputs;
3. place (:mod:`.place`): the client moves what may land into place, checks
   slugs, removes stale outputs, writes shared files;
4. collections (:mod:`.collections`): feeds and site pages, then editions;
5. record (:mod:`.record`): one sync, then the manifest.

A lock (:mod:`.state`) keeps two exports from writing one folder at once.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import Diagnostic, StoryExportError
from ..writers import load
from . import manifest
from .collections import Collections
from .context import Export
from .corpus import DigestStore, LazyArticles
from .keys import code_fingerprint
from .manifest import Manifest, SourceRecord
from .outputs import BuildResult, Outputs
from .place import Placer
from .plan import SourceKeys, find_sources, plan
from .record import record
from .render import execute
from .state import legacy_manifest, locked, state_folder

__all__ = ["BuildResult", "DigestStore", "Export", "LazyArticles", "code_fingerprint", "find_sources",
           "media_types", "run", "state_folder"]


def run(export: Export, sources: Sequence[Path]) -> BuildResult:
    """Export ``sources``: only what changed is made again."""
    res = BuildResult()
    storage = export.storage
    storage.prepare()
    with locked(export.lock_folder, lambda: print("storyexport: waiting for another export into "
                                                  f"{storage.display()} to finish", file=sys.stderr)):
        storage.clean_temp()
        export.state_store.clean_temp()
        export.keys.hashes.save()  # the state folder exists now
        try:
            _phases(export, sources, res)
        finally:  # what a killed worker staged, or an interrupted export
            storage.clean_temp()
    return res


def _phases(export: Export, sources: Sequence[Path], res: BuildResult) -> None:
    # loaded with --force too: what it lists is what stale removal cleans up
    old = manifest.load(export.state_store, legacy_manifest(export.storage))
    keys = SourceKeys(export.source_root)
    todo = plan(export, sources, old, keys)
    res.skipped.extend(todo.skipped)
    entries: dict[str, SourceRecord] = {rel: old.sources[rel] for rel in todo.skipped}
    for rel in todo.skipped:  # a skipped source warns as it did when it was read
        export.diagnostics.extend([Diagnostic(w[0], w[1], w[2], "warning", w[3]) for w in entries[rel].warnings])
    out = Outputs(export.storage, export.diagnostics, res)
    placer = Placer(export, out, keys, entries)
    # Results are placed as they arrive and then dropped, so memory does
    # not grow with the number of articles.
    for done in execute(export, todo.jobs):
        placer.absorb(done, old.sources.get(export.rel(done.path)))
    placer.check_slugs()
    res.articles = sum(1 for e in entries.values() if e.good)
    placer.remove_stale(old)
    placer.shared_files(old.shared)
    if export.collection_writers:
        Collections(export, out, sources, entries, old.collections).run()
    if export.site.editions:  # many stories as one book: see editions/build.py
        from ..editions.build import build_editions

        build_editions(export, out, sources, entries)
    new = Manifest(entries, old.collections, old.shared, sorted(out.undeleted))
    record(export, out, new, synced=bool(res.written or todo.jobs))


def media_types(export: Export) -> dict[str, str]:
    """The media type of each output the last export recorded, as its
    writer declares it (``feed.xml`` is RSS, ``atom.xml`` Atom): what a
    server needs that a file name does not say. A collection writer's
    other files (feed images, a sitemap) are left to their extension."""
    m = manifest.load(export.state_store, legacy_manifest(export.storage))
    types = {o.path: o.media_type for e in m.sources.values() for o in e.outputs.values()}
    for name, c in m.collections.items():
        with contextlib.suppress(StoryExportError):
            w = load(name)
            types.update({f: w.media_type for f in c.files if f.endswith("." + w.extension)})
    return types
