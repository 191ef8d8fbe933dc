"""What every importer shares: one story's record, HTML to model through the
readers' own converter, and the context that keeps image and link addresses
as an import needs them.

An importer's job ends at a :class:`Story`; :mod:`.output` turns stories into
Markdown sources. HTML from a CMS goes through ``readers/rawhtml.py`` into
``readers/tree.py`` exactly as raw HTML in a Markdown source does, so an
imported story and a hand-written one mean the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from .. import model as m
from ..config import Site
from ..errors import Diagnostics
from ..readers.rawhtml import HtmlToModel
from ..readers.source import SourceContext
from ..readers.tree import TreeBuilder

_LANG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")


@dataclass
class Story:
    """One story as an importer found it, ready to be written as a source.

    ``front`` holds front-matter values in the order they are written (only
    keys the Markdown reader knows); ``name`` is how messages name the story;
    ``line`` is where it starts in the input."""

    name: str
    line: int | None
    slug: str
    front: dict[str, Any]
    blocks: tuple[m.Block, ...]
    footnotes: tuple[m.Footnote, ...] = ()
    files: dict[str, Path] = field(default_factory=dict)  # path beside the source -> file to copy


class ImportContext(SourceContext):
    """A :class:`SourceContext` for HTML from an export rather than a source
    tree: messages name the input and the story; an image keeps its address
    (or becomes a copied local file, through ``resolve_image``); a relative
    link is made absolute against the story's own address."""

    def __init__(self, input_path: Path, site: Site, diagnostics: Diagnostics, story: str,
                 base: str = "", resolve_image: Callable[[str], str | None] | None = None) -> None:
        super().__init__(input_path, input_path.parent, site, diagnostics)
        self.story = story
        self.base = base
        self.resolve_image = resolve_image

    def warn(self, line: int | None, message: str) -> None:
        super().warn(line, f"{self.story}: {message}")

    def image(self, src: str, line: int | None) -> str | None:
        src = src.strip()
        if not src:
            return None
        if self.resolve_image is not None:
            local = self.resolve_image(src)
            if local is not None:
                return local
        absolute = self.absolute(src)
        if not absolute:
            self.warn(line, f"image {src[:80]!r} has no usable address; alt text kept")
        return absolute or None

    def link_url(self, url: str, line: int | None) -> str | None:
        url = url.strip()
        if url and not url.startswith("#") and not urlsplit(url).scheme and self.base:
            url = urljoin(self.base, url)
        return super().link_url(url, line)

    def absolute(self, url: str) -> str:
        """An http(s) address for ``url`` (relative ones against the story's
        base), or "" when there is none."""
        joined = urljoin(self.base, url) if self.base else url
        return joined if urlsplit(joined).scheme in ("http", "https") else ""


def html_blocks(html: str, ctx: ImportContext, line: int | None) -> tuple[m.Block, ...]:
    """HTML to model blocks through the readers' one HTML converter."""
    builder = TreeBuilder(ctx)
    feeder = HtmlToModel(builder, line, inline=False)
    feeder.feed(html)
    feeder.done()
    blocks, _ = builder.finish()
    return blocks


def html_text(html: str, ctx: ImportContext, line: int | None) -> str:
    """The words of an HTML fragment as one line of plain text (excerpts)."""
    blocks = html_blocks(html, ctx, line)
    art = m.Article(m.Meta("", "", datetime(1970, 1, 1)), blocks)
    return " ".join(m.plain_text(art).split())


def language(value: str) -> str:
    """A BCP 47 tag from a CMS's language field (``en_US`` -> ``en-US``), or ""."""
    value = value.strip().replace("_", "-")
    return value if _LANG.match(value) else ""


def iso(d: datetime) -> str:
    return d.isoformat()
