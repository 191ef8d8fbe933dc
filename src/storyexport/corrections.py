"""Corrections: when a story changed after it was published and says
nothing about it, its last commit is its ``updated`` date.

A story without ``updated`` whose file has more than one commit was
corrected (the first commit added it): the newest commit's date is when,
and feed readers then mark the item changed. A commit date is part of the
repository, not the clock, so a checkout always gives the same date. One
``git log`` lists every file's commits under the source tree (run as
:func:`storyexport.readers.history.run_git` runs it: a source tree is
untrusted) and its answer is parsed strictly. Without git, the build warns
when a story's text changed since the last export and it has no
``updated`` (see :mod:`storyexport.build`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from .model import Article
from .readers.history import run_git


def corrected_dates(root: Path) -> dict[Path, datetime]:
    """For each file under ``root`` with more than one commit: the date of
    its newest commit (resolved paths). Empty outside a repository."""
    top = run_git(root, "rev-parse", "--show-toplevel")
    log = run_git(root, "log", "--format=%x00%cI", "--name-only", "--no-renames",
                  "-z", "--", ".", timeout=120)
    if not top or log is None:
        return {}
    base = Path(top.strip())
    seen: dict[Path, tuple[int, datetime]] = {}
    date: datetime | None = None
    for field in log.split("\0"):
        field = field.strip("\n")
        if not field:
            continue
        try:
            date = datetime.fromisoformat(field).astimezone(UTC)
            continue
        except ValueError:
            pass
        if date is not None:
            path = base / field
            count, newest = seen.get(path, (0, date))
            seen[path] = (count + 1, newest)  # newest first: the first date seen is the last commit
    return {p.resolve(): d for p, (count, d) in seen.items() if count > 1}


def corrected(article: Article, last_commit: datetime | None) -> Article:
    """The article with its last commit as ``updated``, when it has no
    ``updated`` and the commit came after its publication."""
    meta = article.meta
    if meta.updated is None and last_commit is not None and last_commit > meta.published:
        return replace(article, meta=replace(meta, updated=last_commit))
    return article
