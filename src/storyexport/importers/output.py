"""Imported stories written as Markdown sources, safely and repeatably.

Each source starts with a YAML comment inside its front matter naming the
importer and the SHA-256 of everything after that line. A later import
overwrites a file only when that mark is present and the hash still holds:
a file somebody wrote or edited by hand is never replaced (a located error
instead). Everything is staged in a hidden folder inside the output folder
and renamed into place only when the whole input has been read, so an input
that turns out to be broken halfway leaves nothing behind; files whose bytes
would not change are not touched at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Site
from ..errors import Diagnostics, SourceError
from ..readers.source import slugify
from .common import Story
from .markdown_out import body_markdown

_MARK = re.compile(r"# storyexport import (\w+); sha256 ([0-9a-f]{64})\n")
# Characters a YAML reader refuses raw (C1 controls) or reads as line breaks
# (NEL, LS, PS) inside a double-quoted scalar: written as escapes.
_YAML_ESCAPE = re.compile("[\x7f-\x9f\u2028\u2029]")


def _scalar(value: str) -> str:
    """A double-quoted YAML scalar: JSON's string syntax is a subset of it."""
    return _YAML_ESCAPE.sub(lambda mt: f"\\u{ord(mt.group()):04x}", json.dumps(value, ensure_ascii=False))


def front_matter(values: dict[str, Any]) -> str:
    """The front matter's YAML: text, lists of text, lists of mappings of
    text (authors). Every scalar is quoted, so nothing is read as a number,
    a date or a boolean."""
    lines = []
    for key, value in values.items():
        if not isinstance(value, list):
            lines.append(f"{key}: {_scalar(str(value))}")
            continue
        lines.append(f"{key}:" if value else f"{key}: []")
        for item in value:
            if isinstance(item, dict):
                lines.extend(("- " if i == 0 else "  ") + f"{k}: {_scalar(str(v))}"
                             for i, (k, v) in enumerate(item.items()))
            else:
                lines.append(f"- {_scalar(str(item))}")
    return "\n".join(lines) + "\n"


def source_bytes(story: Story, kind: str) -> bytes:
    """The Markdown source for a story, marked as the importer's own."""
    rest = (front_matter(story.front) + "---\n" + body_markdown(story.blocks)).encode("utf-8")
    return b"---\n" + f"# storyexport import {kind}; sha256 {hashlib.sha256(rest).hexdigest()}\n".encode() + rest


def written_by_import(path: Path) -> bool:
    """Whether the file at ``path`` is an import's output, unedited since."""
    try:
        with path.open("rb") as f:
            head = f.read(4 + 200)
            if not head.startswith(b"---\n"):
                return False
            mark = _MARK.match(head[4:].decode("ascii", "replace"))
            if mark is None:
                return False
            f.seek(4 + mark.end())
            digest = hashlib.sha256()
            while chunk := f.read(1 << 16):
                digest.update(chunk)
    except OSError:
        return False
    return digest.hexdigest() == mark.group(2)


@dataclass
class Summary:
    written: int = 0
    unchanged: int = 0
    files_copied: int = 0
    errors: int = 0


@dataclass
class SourceWriter:
    """Stages stories under ``out`` and places them when the import succeeds."""

    out: Path
    kind: str
    site: Site
    diagnostics: Diagnostics
    input_name: str
    slugs: set[str] = field(default_factory=set)
    staged: list[tuple[Path, Path]] = field(default_factory=list)  # (staged file, target)
    summary: Summary = field(default_factory=Summary)
    _stage: Path | None = None
    _created_out: bool = False
    _present: set[str] | None = None  # names in ``out`` before the import, folded (see may_exist)

    def stage_dir(self) -> Path:
        if self._stage is None:
            if not self.out.exists():
                self.out.mkdir(parents=True)
                self._created_out = True
            elif not self.out.is_dir():
                raise SourceError(f"{self.out} is not a folder")
            self._stage = Path(tempfile.mkdtemp(prefix=".storyexport-import-", dir=self.out))
        return self._stage

    def may_exist(self, name: str) -> bool:
        """Whether a file called ``name`` may be in ``out``: one listing of
        the folder, not a lookup per story (which cost a fifth of the file
        system's time). Names are compared NFKC and case-folded, as loosely as
        any file system compares them; a folder that cannot be listed is
        asked every time."""
        if self._present is None:
            try:
                self._present = {_folded(n) for n in os.listdir(self.out)}
            except FileNotFoundError:
                self._present = set()
            except OSError:
                return True
        return _folded(name) in self._present

    def unique_slug(self, story: Story) -> str:
        base = slugify(story.slug) or slugify(story.name) or "story"
        slug, n = base, 1
        while slug in self.slugs:
            n += 1
            slug = f"{base}-{n}"
        if slug != base:
            self.diagnostics.warn(self.input_name, story.line,
                                  f"{story.name}: slug {base!r} is taken; using {slug!r}", "import.file")
        self.slugs.add(slug)
        return slug

    def add(self, story: Story) -> None:
        """Stage one story (and the files it copies). A problem with this story
        alone is reported and the story skipped."""
        slug = self.unique_slug(story)
        story.front["slug"] = slug
        data = source_bytes(story, self.kind)
        limit = self.site.limits.max_file_bytes
        if len(data) > limit:
            self._error(story, f"the source would be {len(data)} bytes, over the limit of {limit} "
                               "(max_file_bytes); not imported")
            return
        target = self.out / f"{slug}.md"
        if self.may_exist(target.name) and os.path.lexists(target):
            if not target.is_file() or target.is_symlink() or not written_by_import(target):
                raise SourceError(f"{story.name}: {target} exists and was not written by storyexport import "
                                  "(or was edited since); not overwritten", self.input_name, story.line)
            if target.read_bytes() == data:
                self.summary.unchanged += 1
                return
        staged = self.stage_dir() / f"{slug}.md"
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # a fresh file in our own stage
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        self.staged.append((staged, target))
        for rel, src in story.files.items():
            self._copy(story, rel, src)

    def _copy(self, story: Story, rel: str, src: Path) -> None:
        target = self.out / rel
        if (target.is_file() and not target.is_symlink() and target.stat().st_size == src.stat().st_size
                and target.read_bytes() == src.read_bytes()):
            return
        if target.exists() or target.is_symlink():
            raise SourceError(f"{story.name}: {target} exists with other content; not overwritten",
                              self.input_name, story.line)
        if any(t == target for _, t in self.staged):
            return
        staged = self.stage_dir() / "files" / rel
        staged.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, staged, follow_symlinks=False)
        self.staged.append((staged, target))
        self.summary.files_copied += 1

    def _error(self, story: Story, message: str) -> None:
        self.summary.errors += 1
        self.diagnostics.add(SourceError(f"{story.name}: {message}", self.input_name, story.line).diagnostic())

    def commit(self) -> Summary:
        """Place every staged file (each an atomic rename) and remove the stage."""
        made = {self.out}
        for staged, target in self.staged:
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            os.replace(staged, target)
            if target.suffix == ".md":
                self.summary.written += 1
        self._cleanup()
        return self.summary

    def abort(self) -> None:
        self._cleanup()
        if self._created_out:
            shutil.rmtree(self.out, ignore_errors=True)

    def _cleanup(self) -> None:
        if self._stage is not None:
            shutil.rmtree(self._stage, ignore_errors=True)
            self._stage = None


def _folded(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold()


def front(**values: Any) -> dict[str, Any]:
    """Front-matter values without the empty ones, in the given order."""
    return {k: v for k, v in values.items() if v not in (None, "", [], ())}
