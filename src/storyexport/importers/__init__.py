"""``storyexport import KIND INPUT --out DIR``: a CMS's export becomes
Markdown sources that the ordinary export reads.

One module per kind maps its input onto :class:`~.common.Story` records
(``wordpress``, ``feed``, ``ninjs``); they share the readers' HTML converter
(:mod:`.common`), the CMS-markup clean-up (:mod:`.htmlprep`), the Markdown
serialiser (:mod:`.markdown_out`) and the safe writer (:mod:`.output`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..config import Site
from ..errors import Diagnostics, SourceError, UsageError
from .common import Tally
from .output import SourceWriter, Summary

KINDS = ("wordpress", "feed", "ninjs")


class Importer(Protocol):
    tally: Tally

    def stories(self) -> Iterator[object]: ...


@dataclass
class Result:
    summary: Summary
    counts: Counter[str]
    errors: int


def make_importer(kind: str, path: Path, site: Site, diagnostics: Diagnostics,
                  uploads: Path | None = None) -> Importer:
    if kind == "wordpress":
        from .wordpress import WordPressImport

        return WordPressImport(path, site, diagnostics, uploads)
    if uploads is not None:
        raise UsageError("--uploads is for WordPress exports only")
    if kind == "feed":
        from .feed import FeedImport

        return FeedImport(path, site, diagnostics)
    if kind == "ninjs":
        from .ninjs import NinjsImport

        return NinjsImport(path, site, diagnostics)
    raise UsageError(f"unknown import kind {kind!r} (known: {', '.join(KINDS)})")


def run_import(kind: str, path: Path, out: Path, site: Site, diagnostics: Diagnostics,
               uploads: Path | None = None) -> Result:
    """Import ``path`` into ``out``. An error in the input as a whole (not
    well-formed, hostile, a file that is not ours in the way) raises
    :class:`SourceError` and leaves ``out`` as it was; a bad story is
    reported and skipped, and the others are written."""
    from .common import Story

    if not path.is_file() and not (kind == "ninjs" and path.is_dir()):
        raise UsageError(f"no such file: {path}")
    if uploads is not None and not uploads.is_dir():
        raise UsageError(f"--uploads: no such folder: {uploads}")
    importer = make_importer(kind, path, site, diagnostics, uploads)
    writer = SourceWriter(out, kind, site, diagnostics, str(path))
    try:
        for story in importer.stories():
            assert isinstance(story, Story)
            writer.add(story)
    except BaseException:
        writer.abort()
        raise
    summary = writer.commit()
    return Result(summary, importer.tally.counts, importer.tally.errors + summary.errors)


def summary_line(result: Result, out: Path, warnings: int) -> str:
    """The closing line: what was imported and what was skipped, by kind."""
    counts = result.counts
    stories = sum(v for k, v in counts.items() if k in ("posts", "items", "stories"))
    skipped = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()) if k not in ("posts", "items", "stories"))
    s = result.summary
    return (f"storyexport import: {stories} imported ({s.written} written, {s.unchanged} unchanged, "
            f"{s.files_copied} files copied); skipped: {skipped or 'nothing'}; {result.errors} error(s), "
            f"{warnings} warning(s) -> {out}")


__all__ = ["KINDS", "Result", "SourceError", "run_import", "summary_line"]
