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


@dataclass(frozen=True, slots=True)
class Diagnostic:
    path: str
    line: int | None
    message: str
    kind: str = "warning"

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        prefix = "" if self.kind == "error" else "warning: "
        return f"{where}: {prefix}{self.message}"


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
    _seen: set[Diagnostic] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def warn(self, path: str, line: int | None, message: str) -> None:
        self.add(Diagnostic(path, line, message))

    def add(self, d: Diagnostic) -> None:
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

