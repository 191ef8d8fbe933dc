"""Which files of a source tree are stories, and their default slugs, as
Hugo and Jekyll lay out a site.

- Hugo: a leaf bundle ``news/launch/index.md`` is the story ``launch`` and
  the files beside it are its resources; ``_index.md`` is a section's list
  page, not a story.
- Jekyll: ``_posts/2024-03-05-launch.md`` is the story ``launch`` dated by
  its name; ``_drafts/`` holds unpublished posts; other folders starting with
  ``_`` (``_layouts``, ``_includes``, ``_site``...) are the site's machinery.
- Everywhere: names starting with ``.`` are ignored.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BUNDLE_INDEX = "index"
SECTION_PAGE = "_index"
KEPT_UNDERSCORE_DIRS = frozenset({"_posts"})
DRAFT_DIRS = frozenset({"_drafts"})
_DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}-")


@dataclass
class Scan:
    """The stories found, and what was passed over by kind (for the summary)."""

    sources: list[Path] = field(default_factory=list)
    passed_over: Counter[str] = field(default_factory=Counter)


def scan(paths: Sequence[Path], is_source: Callable[[Path], bool]) -> Scan:
    """Stories under ``paths`` (files or folders), sorted for stable output."""
    result = Scan()
    found: list[Path] = []
    for p in paths:
        if not p.is_dir():
            found.append(p)
            continue
        for dirpath, dirnames, filenames in os.walk(p, followlinks=False):
            kept = []
            for d in sorted(dirnames):
                if d in DRAFT_DIRS:
                    result.passed_over["draft"] += _count(Path(dirpath) / d, is_source)
                elif not d.startswith(".") and (not d.startswith("_") or d in KEPT_UNDERSCORE_DIRS):
                    kept.append(d)
            dirnames[:] = kept
            for f in sorted(filenames):
                name = Path(f)
                if name.stem == SECTION_PAGE and is_source(Path(f[1:])):
                    result.passed_over["section page"] += 1
                elif is_source(name):
                    found.append(Path(dirpath) / f)
    result.sources = sorted(dict.fromkeys(found), key=str)
    return result


def _count(folder: Path, is_source: Callable[[Path], bool]) -> int:
    return sum(1 for _, _, files in os.walk(folder, followlinks=False) for f in files if is_source(Path(f)))


def default_slug(path: Path) -> str:
    """The slug a story gets when its front matter names none: a bundle's
    folder name, else the file name without Jekyll's date prefix."""
    stem = path.parent.name if path.stem == BUNDLE_INDEX and path.parent.name else path.stem
    return _DATE_PREFIX.sub("", stem)
