"""Errors and warnings, located in the source they come from.

A small hierarchy in the spirit of Sphinx's ``errors.py``: a
:class:`StoryExportError` is a problem in the *content* (bad front matter, a
broken theme) and is printed as ``path:line: message`` with exit code 1;
anything else is a bug in storyexport and keeps its traceback.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TextIO

#: Warning categories, ``type.subtype`` as Sphinx names them: each warning
#: carries one, printed after it in brackets, and ``[build] suppress_warnings``
#: silences a category, or a whole type by its first part. Errors have none:
#: they cannot be silenced.
CATEGORIES: dict[str, str] = {
    "source.encoding": "a source is UTF-16 rather than UTF-8",
    "source.characters": "control, invalid or bidirectional override characters removed",
    "source.link": "a link or alias removed or kept as text (scheme not allowed, not a readable address, "
                   "no base_url, no such story or heading, inside another link)",
    "source.image": "an image not read: not a readable address, outside the tree, missing, too large or not PNG, "
                    "JPEG or GIF",
    "source.draft": "a draft is not exported",
    "metadata.key": "an unknown front-matter key",
    "metadata.title": "a title cut to max_title_chars, or taken from the first sentence",
    "metadata.date": "a date taken from the file name or git, ignored, or missing",
    "metadata.slug": "a slug that is not file-name safe",
    "markup.raw_html": "raw HTML removed or unwrapped (scripts, handlers, unknown elements)",
    "markup.footnote": "a footnote with no definition or reference, or nested in another",
    "markup.id": "a heading id another heading or a note already holds: only the first keeps it",
    "markup.shortcode": "a Hugo shortcode unknown, unclosed or without what it needs",
    "markup.liquid": "Jekyll Liquid that cannot be evaluated here",
    "import.story": "a story imported without a title or body, or not imported",
    "import.markup": "a shortcode or block the importer cannot render, removed or kept as text",
    "import.attachment": "an attachment or image not in the export or with no usable address",
    "import.channel": "an export-wide setting not understood (language, time zone)",
    "import.file": "an import output file name already taken",
    "pdf.font": "no font of the theme draws some characters",
    "pdf.resource": "a resource the PDF did not load",
    "pdf.layout": "a layout note from WeasyPrint",
    "docx": "a DOCX cannot hold something the story has (a nested note, an image, a link target)",
    "feeds.characters": "characters a feed cannot hold were removed",
    "feeds.link": "two stories share a link",
    "site.alias": "a story's alias names no free path",
    "build.updated": "a story changed with no updated date: feed readers will not show the correction",
    "edition.empty": "an edition selects no story",
}


def category_matches(category: str, patterns: tuple[str, ...]) -> bool:
    """Whether ``category`` is one of ``patterns`` or under one (``markup``
    matches ``markup.raw_html``)."""
    return any(category == p or category.startswith(p + ".") for p in patterns)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    path: str
    line: int | None
    message: str
    kind: str = "warning"
    category: str = ""  # a key of CATEGORIES, for warnings

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        prefix = "" if self.kind == "error" else "warning: "
        suffix = f" [{self.category}]" if self.category else ""
        return f"{where}: {prefix}{self.message}{suffix}"


class StoryExportError(Exception):
    """A problem the user can fix in their sources, theme or configuration."""

    exit_code = 1

    def __init__(self, message: str, path: str = "", line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def diagnostic(self) -> Diagnostic:
        return Diagnostic(self.path or "storyexport", self.line, self.message, "error")

    def __str__(self) -> str:
        return str(self.diagnostic())


class SourceError(StoryExportError):
    """Bad article source: unreadable, invalid front matter, empty body."""


class ThemeError(StoryExportError):
    """Bad theme: unknown token, wrong unit, missing font file."""


class ConfigError(StoryExportError):
    """Bad ``storyexport.toml`` or a setting a writer needs but is missing."""


class UsageError(StoryExportError):
    """Bad command line (exit code 2)."""

    exit_code = 2


class WriterError(StoryExportError):
    """A writer could not render an article (the article is skipped)."""


class DigestError(WriterError):
    """A collection writer cannot use one of the digests it was given (a
    damaged cache file): ``index`` is its position in that sequence, so the
    build can remove it and compute it again."""

    def __init__(self, message: str, index: int, path: str = "") -> None:
        super().__init__(message, path)
        self.index = index


@dataclass
class Diagnostics:
    """Collects located warnings, deduplicated, in the order they happened.

    Passed to readers and writers through their context so nothing prints
    directly; the CLI decides how to show them and ``--strict`` turns them into
    a failure.
    """

    stream: TextIO | None = None
    items: list[Diagnostic] = field(default_factory=list)
    # categories silenced (``[build] suppress_warnings``): only where warnings
    # are shown; workers and caches keep every warning, so lifting a
    # suppression shows them again without a rebuild
    suppress: tuple[str, ...] = ()
    _seen: set[Diagnostic] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def warn(self, path: str, line: int | None, message: str, category: str) -> None:
        self.add(Diagnostic(path, line, message, "warning", category))

    def add(self, d: Diagnostic) -> None:
        if d.kind == "warning" and self.suppress and category_matches(d.category, self.suppress):
            return
        with self._lock:
            if d in self._seen:
                return
            self._seen.add(d)
            self.items.append(d)
        if self.stream is not None:
            print(d, file=self.stream)

    def extend(self, ds: list[Diagnostic]) -> None:
        for d in ds:
            self.add(d)

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.kind == "warning"]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.kind == "error"]

