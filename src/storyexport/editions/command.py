"""``storyexport edition``: one edition, made now, from the command line.

The options are those of an ``[[editions]]`` table (checked by the same
code); the sources default to the configured folder, as for an export. The
files go to ``--out`` (default ``dist/editions``) as ``<slug>.<ext>``, each
written whole or not at all. A selection that holds no story is a warning
and writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..config import Site
from ..errors import Diagnostic, Diagnostics, StoryExportError, UsageError
from ..model import Article
from ..readers import is_source, layout, read_source
from ..storage import atomic_write, make_folder, safe_target
from ..theme import Theme
from ..writers import RenderContext, load
from . import render
from .selection import Edition, EditionSpec, select


def read_stories(paths: Sequence[Path], root: Path, site: Site, diags: Diagnostics) -> list[Article]:
    """Every story under ``paths`` that reads (a bad one is a located error
    and is left out; drafts are left out)."""
    stories: list[Article] = []
    for path in layout.scan(list(paths), is_source).sources:
        try:
            article = read_source(path, root, site, diags)
        except StoryExportError as e:
            diags.add(e.diagnostic())
            continue
        if article is not None:
            stories.append(article)
    return stories


def empty_warning(spec: EditionSpec) -> str:
    return f"edition {spec.slug!r} ({spec.title}) selects no story; no file written"


def make_edition(edition: Edition, formats: Sequence[str], theme: Theme, site: Site, root: Path,
                 diags: Diagnostics) -> dict[str, bytes]:
    """The edition's bytes per format; a format that fails is a located error."""
    ctx = RenderContext(theme, site, diags, source_root=root)
    made: dict[str, bytes] = {}
    for fmt in formats:
        try:
            made[fmt] = render(edition, fmt, load(fmt)(theme, site), ctx)
        except StoryExportError as e:
            d = e.diagnostic()
            diags.add(Diagnostic(d.path or f"edition {edition.spec.slug}", d.line,
                                 f"edition {fmt}: {d.message}", "error"))
    return made


def run(spec: EditionSpec, paths: Sequence[Path], root: Path, out: Path, formats: Sequence[str],
        theme: Theme, site: Site, diags: Diagnostics) -> list[Path]:
    """Make one edition into ``out``; the files written."""
    stories = read_stories(paths, root, site, diags)
    edition = select(spec, stories, site)
    if not edition.entries:
        diags.warn(f"edition {spec.slug}", None, empty_warning(spec), "edition.empty")
        return []
    made = make_edition(edition, formats, theme, site, root, diags)
    make_folder(out, "output folder")
    written = []
    for fmt, data in made.items():
        target = safe_target(out, f"{spec.slug}.{fmt}")
        try:
            atomic_write(target, data)
        except OSError as e:
            diags.add(Diagnostic(str(target), None, f"cannot write {target}: {e.strerror or e}", "error"))
            continue
        written.append(target)
    return written


def spec_from_options(opts: dict[str, Any], site: Site) -> EditionSpec:
    """The command's options as an edition table, checked as one."""
    from .selection import make_spec

    table = {k: v for k, v in opts.items() if v not in (None, [], False)}
    try:
        return make_spec(table, site.config_path or "storyexport", "storyexport edition")
    except StoryExportError as e:
        raise UsageError(e.message) from None
