"""Links from one story to another, as Hugo's ``ref``/``relref`` and Jekyll's
``{% link %}``/``{% post_url %}`` write them.

The target is looked up inside the source tree only (relative to the story,
then to the tree's root, then by a unique file name, as Hugo does), its slug
is read from its front matter, and the link points at that story's HTML
output, made absolute against ``base_url`` like every relative link.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from ..errors import Diagnostics, StoryExportError
from . import frontmatter, layout
from .source import SourceContext, slugify

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn", ".mdtxt", ".mdtext")


def article_href(slug: str, fragment: str = "") -> str:
    """The site-relative address of a story's HTML page."""
    return f"{slug}.html" + (f"#{fragment}" if fragment else "")


def resolve(ctx: SourceContext, target: str, line: int | None, *, posts: bool = False) -> str | None:
    """The URL of the story ``target`` names, or None with a warning."""
    path_part, _, fragment = target.strip().partition("#")
    if not path_part:  # "#anchor": this page
        return f"#{fragment}" if fragment else None
    found = _post(ctx.root, path_part) if posts else _find(ctx, path_part)
    if found is None:
        ctx.warn(line, f"link target {target[:80]!r} is not a story in the source tree (its text kept)", "source.link")
        return None
    return ctx.link_url(article_href(_slug_of(ctx, found), fragment), line)


def _find(ctx: SourceContext, target: str) -> Path | None:
    root = ctx.root.resolve()
    bases = [root] if target.startswith("/") else [ctx.path.parent.resolve(), root]
    rel = target.strip("/")
    for base in bases:
        for cand in _candidates(base / rel):
            real = cand.resolve()
            if real.is_relative_to(root) and real.is_file():
                return real
    name = Path(rel).name
    matches = _by_name(str(root)).get(name) or _by_name(str(root)).get(Path(name).stem, ())
    return Path(matches[0]) if len(matches) == 1 else None


def _candidates(p: Path) -> list[Path]:
    out = [p]
    out += [p.with_name(p.name + s) for s in MARKDOWN_SUFFIXES]
    out += [p / f"{layout.BUNDLE_INDEX}{s}" for s in MARKDOWN_SUFFIXES]
    return out


def _post(root: Path, name: str) -> Path | None:
    """Jekyll's ``post_url``: a post's file name without its extension,
    optionally under a sub-folder of ``_posts``."""
    stem = Path(name.strip("/"))
    for path in _by_name(str(root.resolve())).get(stem.name, ()):
        p = Path(path)
        if "_posts" in p.parts and p.parent.as_posix().endswith(stem.parent.as_posix().strip(".")):
            return p
    return None


@cache
def _by_name(root: str) -> dict[str, tuple[str, ...]]:
    """Every Markdown file under ``root`` by file name and by stem (cached
    per process: a build reads one tree)."""
    index: dict[str, list[str]] = {}
    for dirpath, dirnames, files in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for f in files:
            if f.lower().endswith(MARKDOWN_SUFFIXES):
                full = os.path.join(dirpath, f)
                index.setdefault(f, []).append(full)
                index.setdefault(os.path.splitext(f)[0], []).append(full)
    return {k: tuple(sorted(v)) for k, v in index.items()}


def _slug_of(ctx: SourceContext, path: Path) -> str:
    """The target's slug, from its own front matter when it names one."""
    try:
        data = path.read_bytes()[: ctx.site.limits.max_file_bytes]
        probe = SourceContext(path, ctx.root, ctx.site, Diagnostics())
        fm, _, _ = frontmatter.extract(probe.decode(data), probe)
        given = fm.values.get("slug")
    except (OSError, StoryExportError):
        given = None
    return (slugify(given) if isinstance(given, str) else "") or slugify(layout.default_slug(path))
