"""What every importer shares: one story's record, HTML to model through the
readers' own converter, and the context that keeps image and link addresses
as an import needs them.

An importer's job ends at a :class:`Story`; :mod:`.output` turns stories into
Markdown sources. HTML from a CMS goes through ``readers/rawhtml.py`` into
``readers/tree.py`` exactly as raw HTML in a Markdown source does, so an
imported story and a hand-written one mean the same thing.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urljoin

from lxml import etree

from .. import model as m
from ..config import Site
from ..errors import Diagnostics, SourceError
from ..readers.rawhtml import HtmlToModel
from ..readers.source import SourceContext
from ..readers.tree import TreeBuilder
from ..urls import is_plain_web_url, split_url

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
        self.base = base if split_url(base) is not None else ""  # an unreadable one resolves nothing
        self.resolve_image = resolve_image

    def warn(self, line: int | None, message: str, category: str) -> None:
        super().warn(line, f"{self.story}: {message}", category)

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
            self.warn(line, f"image {src[:80]!r} has no usable address; alt text kept", "import.attachment")
        return absolute or None

    def link_url(self, url: str, line: int | None) -> str | None:
        url = url.strip()
        if url and self.base and not url.startswith("#") and not is_plain_web_url(url):
            parts = split_url(url)  # an unreadable address is refused by the reader's rule
            if parts is not None and not parts.scheme:
                url = urljoin(self.base, url)
        return super().link_url(url, line)

    def canonical(self, url: str, line: int | None) -> str:
        """The story's own address for its front matter (see :meth:`absolute`),
        with a warning when it has one that no URL parser can read."""
        url = url.strip()
        found = self.absolute(url) if url else ""
        if url and not found and split_url(url) is None:
            self.warn(line, f"its link {url[:80]!r} is not a readable address; not used", "source.link")
        return found

    def absolute(self, url: str) -> str:
        """An http(s) address for ``url`` (relative ones against the story's
        base), or "" when there is none."""
        if is_plain_web_url(url):
            return url
        if split_url(url) is None:
            return ""
        joined = urljoin(self.base, url) if self.base else url
        parts = split_url(joined)
        return joined if parts is not None and parts.scheme in ("http", "https") else ""


@dataclass
class Tally:
    """What an import did with its entries: imported ones counted under
    ``noun``, skipped ones by kind, and errors (reported, the entry skipped)."""

    diagnostics: Diagnostics
    noun: str
    path: str
    counts: Counter[str] = field(default_factory=Counter)
    errors: int = 0

    def convert(self, make: Callable[[], Story | None]) -> Story | None:
        """The story ``make`` returns, once it is one the Markdown reader will
        take (see :meth:`readable`)."""
        try:
            story = make()
        except SourceError as e:
            self.errors += 1
            self.diagnostics.add(e.diagnostic())
            return None
        if story is not None:
            story = self.readable(story)
        self.counts[self.noun if story is not None else f"empty {self.noun}"] += 1
        return story

    def readable(self, story: Story) -> Story | None:
        """The Markdown reader refuses a body without words. A story with a
        title still has one: its images without alt text take the title as
        their alt text (an image-only post), else the title stands as the
        body (a post published empty); each with a warning. Without words
        or title it is skipped, with a warning. A story without a title
        gets its first sentence (or first words), with a warning."""
        title = " ".join(str(story.front.get("title", "")).split())
        words = _has_words(story.blocks)
        if not words and not title:
            self.diagnostics.warn(self.path, story.line, f"{story.name}: no title and no body text; not imported",
                                  "import.story")
            return None
        if not words:
            blocks = m.map_nodes(story.blocks, m.Image,
                               lambda img: img if img.alt.strip() else dataclasses.replace(img, alt=title))
            if blocks != story.blocks:
                self.diagnostics.warn(self.path, story.line, f"{story.name}: no words but an image without alt "
                                                             "text; the title is its alt text", "import.story")
            else:
                blocks += (m.Para((m.Text(title),)),)
                self.diagnostics.warn(self.path, story.line, f"{story.name}: no body text; the title stands as "
                                                             "the body", "import.story")
            story.blocks = blocks
        elif not title:
            # imported here: the Markdown reader brings markdown-it and python-liquid, a third of
            # the start-up time of an import that otherwise never needs them
            from ..readers.markdown import first_sentence

            first = plain_words(story.blocks)
            title = first_sentence(story.blocks) or " ".join(first[:12]) + (" …" if len(first) > 12 else "")
            self.diagnostics.warn(self.path, story.line, f"{story.name}: no title; using {title!r}", "import.story")
            story.front = {"title": title, **story.front}
        return story


def plain_words(blocks: tuple[m.Block, ...]) -> list[str]:
    """The words of blocks and their notes, as ``model.plain_text`` gives them."""
    return m.plain_text(m.Article(m.Meta("", "", datetime(1970, 1, 1)), blocks)).split()


def _has_words(nodes: tuple[object, ...]) -> bool:
    """Whether any text (or alt text, or code) in ``nodes`` is more than
    white space: what ``plain_words`` would find, stopping at the first."""
    for node in nodes:
        for n in m.walk(node):
            if (isinstance(n, m.Text | m.Code | m.CodeBlock) and n.text.strip()) or (
                    isinstance(n, m.Image) and n.alt.strip()):
                return True
    return False


@dataclass
class BaseImport:
    """What every importer holds: its input, the site, where messages go,
    and the :class:`Tally` of what it did (imported entries counted under
    ``noun``)."""

    noun: ClassVar[str] = "stories"
    path: Path
    site: Site
    diagnostics: Diagnostics

    def __post_init__(self) -> None:
        self.tally = Tally(self.diagnostics, self.noun, str(self.path))


def html_blocks(html: str | etree._Element, ctx: ImportContext, line: int | None) -> tuple[m.Block, ...]:
    """HTML to model blocks through the readers' one HTML converter. HTML
    that :func:`.htmlprep.prepare` has already parsed comes as its tree,
    whose events go to the converter directly rather than through text."""
    builder = TreeBuilder(ctx)
    feeder = HtmlToModel(builder, line, inline=False)
    if isinstance(html, str):
        feeder.feed(html)
    else:
        feed_tree(feeder, html)
    feeder.done()
    return builder.finish()


# What lxml's HTML serialiser writes without an end tag (libxml2's empty
# elements, when they hold nothing, and an empty <li>).
_NO_END_TAG = frozenset({"area", "base", "basefont", "br", "col", "frame", "hr", "img", "input", "isindex", "link",
                         "meta", "param", "li"})


def feed_tree(feeder: HTMLParser, root: etree._Element) -> None:
    """The contents of ``root`` as the events an HTML parser gives for their
    serialised text (start tags with attributes, text, end tags), without
    writing the text and parsing it again."""
    data, start, end = feeder.handle_data, feeder.handle_starttag, feeder.handle_endtag
    if root.text:
        data(root.text)
    for event, el in etree.iterwalk(root, events=("start", "end")):
        if el is root:
            continue
        tag = el.tag
        if not isinstance(tag, str):  # a comment or processing instruction: only what follows it
            if event == "end" and el.tail:
                data(el.tail)
            continue
        if event == "start":
            start(tag, el.items())
            if el.text:
                data(el.text)
            continue
        if not (tag in _NO_END_TAG and not el.text and not len(el)):
            end(tag)
        if el.tail:
            data(el.tail)


def html_text(html: str | etree._Element, ctx: ImportContext, line: int | None) -> str:
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


# ------------------------------------------------------------------ footnotes

_BACK = re.compile(r"#fnref[-:]?([\w.-]+)$")
_REF = re.compile(r"#fn[-:]?([\w.-]+)$")


def lift_footnotes(blocks: tuple[m.Block, ...]) -> tuple[m.Block, ...]:
    """Endnotes as published HTML writes them (pandoc, storyexport's own feeds,
    WordPress footnote plugins): a closing numbered list whose items link back
    to ``#fnrefN``, referred to by links to ``#fnN``. They become the model's
    notes again (each link its note), so a note's words stay a note and the
    "back" links go."""
    at = max((i for i, b in enumerate(blocks) if isinstance(b, m.OrderedList)), default=None)
    if at is None:
        return blocks
    notes_list = blocks[at]
    assert isinstance(notes_list, m.OrderedList)
    notes: dict[str, tuple[m.Block, ...]] = {}
    for item in notes_list.items:
        label, body = _without_back_link(item.blocks)
        if label is None:
            return blocks
        notes.setdefault(label, body)
    start = at - 1 if at and isinstance(blocks[at - 1], m.ThematicBreak) else at
    kept = tuple(_map_block(b, notes) for b in blocks[:start] + blocks[at + 1:])
    used = {n.label for b in kept for n in m.walk(b) if isinstance(n, m.Note)}
    if used != set(notes):  # not a footnote list after all
        return blocks
    return kept


def _without_back_link(blocks: tuple[m.Block, ...]) -> tuple[str | None, tuple[m.Block, ...]]:
    if not blocks or not isinstance(blocks[-1], m.Para):
        return None, blocks
    inl = list(blocks[-1].children)
    links = [i for i, n in enumerate(inl) if isinstance(n, m.Link) and _BACK.search(n.url)]
    if not links:
        return None, blocks
    first = inl[links[0]]
    assert isinstance(first, m.Link)
    match = _BACK.search(first.url)
    assert match is not None
    rest = [n for i, n in enumerate(inl) if i not in links]
    while rest and isinstance(rest[-1], m.Text) and not rest[-1].text.strip():
        rest.pop()
    if rest and isinstance(rest[-1], m.Text):
        rest[-1] = m.Text(rest[-1].text.rstrip())
    last: tuple[m.Block, ...] = (m.Para(tuple(rest)),) if rest else ()
    return match.group(1), blocks[:-1] + last


def _map_inlines(nodes: tuple[m.Inline, ...], labels: dict[str, tuple[m.Block, ...]]) -> tuple[m.Inline, ...]:
    out: list[m.Inline] = []
    for n in nodes:
        ref = _REF.search(n.url) if isinstance(n, m.Link) else None
        if ref and ref.group(1) in labels:
            out.append(m.Note(ref.group(1), labels[ref.group(1)]))
        elif isinstance(n, m.Emph | m.Strong | m.Strike | m.Superscript | m.Subscript):
            out.append(type(n)(_map_inlines(n.children, labels)))
        elif isinstance(n, m.Link):
            out.append(m.Link(_map_inlines(n.children, labels), n.url, n.title))
        else:
            out.append(n)
    return tuple(out)


def _map_block(b: m.Block, labels: dict[str, tuple[m.Block, ...]]) -> m.Block:
    match b:
        case m.Para(c):
            return m.Para(_map_inlines(c, labels))
        case m.Heading(level, c, hid):
            return m.Heading(level, _map_inlines(c, labels), hid)
        case m.BulletList(items):
            return m.BulletList(tuple(m.ListItem(tuple(_map_block(x, labels) for x in i.blocks)) for i in items))
        case m.OrderedList(items, start):
            return m.OrderedList(tuple(m.ListItem(tuple(_map_block(x, labels) for x in i.blocks)) for i in items),
                                 start)
        case m.BlockQuote(bs):
            return m.BlockQuote(tuple(_map_block(x, labels) for x in bs))
        case m.Table(header, rows, align, caption):
            def cells(row: tuple[m.TableCell, ...]) -> tuple[m.TableCell, ...]:
                return tuple(m.TableCell(_map_inlines(c.children, labels)) for c in row)
            return m.Table(cells(header), tuple(cells(r) for r in rows), align, caption)
    return b
