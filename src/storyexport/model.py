"""The canonical article model: a small immutable tree every reader produces and
every writer consumes.

Modelled on pandoc's AST: a closed set of block and inline node types built from
frozen dataclasses and tuples, so a parsed article can be shared between writers
(and processes) without anyone mutating it. Writers never see Markdown or front
matter, only these nodes.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any, Literal, TypeVar

# --------------------------------------------------------------------- inlines


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Emph:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Strong:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Strike:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Superscript:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Subscript:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Code:
    text: str


@dataclass(frozen=True, slots=True)
class Link:
    """A hyperlink. ``url`` is already vetted by the reader (http, https, mailto,
    an in-document ``#fragment``, or absolute against the site's base URL)."""

    children: tuple[Inline, ...]
    url: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class Image:
    """An inline image. ``src`` is a key into :attr:`Article.assets`; the reader
    has already checked the file exists inside the source tree and is a real
    image, so writers can rely on it."""

    alt: str
    src: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class LineBreak:
    pass


@dataclass(frozen=True, slots=True)
class Note:
    """A footnote where it is called, holding its blocks (pandoc's ``Note``):
    the call and the note are one node, so a call without a note, or a note
    nobody calls, cannot be built. Calls of one note share its ``label`` (and
    its blocks); how notes are numbered and placed is the presentation's
    decision (``presentation.py``). A note holds no note: neither Word nor a
    page footnote can nest them, so readers keep such a call as text."""

    label: str
    blocks: tuple[Block, ...]

    def __post_init__(self) -> None:
        if any(isinstance(n, Note) for b in self.blocks for n in walk(b)):
            raise ValueError(f"footnote [^{self.label}] holds another footnote")


Inline = Text | Emph | Strong | Strike | Superscript | Subscript | Code | Link | Image | LineBreak | Note

# ---------------------------------------------------------------------- blocks


@dataclass(frozen=True, slots=True)
class Para:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    children: tuple[Inline, ...]
    id: str = ""


@dataclass(frozen=True, slots=True)
class ListItem:
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class BulletList:
    items: tuple[ListItem, ...]


@dataclass(frozen=True, slots=True)
class OrderedList:
    items: tuple[ListItem, ...]
    start: int = 1


@dataclass(frozen=True, slots=True)
class BlockQuote:
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Figure:
    """A stand-alone image with its caption (a paragraph holding only an image)."""

    image: Image
    caption: tuple[Inline, ...] = ()


Align = Literal["", "left", "center", "right"]


@dataclass(frozen=True, slots=True)
class TableCell:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[TableCell, ...]
    rows: tuple[tuple[TableCell, ...], ...]
    align: tuple[Align, ...] = ()
    caption: tuple[Inline, ...] = ()


@dataclass(frozen=True, slots=True)
class CodeBlock:
    text: str
    language: str = ""


@dataclass(frozen=True, slots=True)
class ThematicBreak:
    pass


@dataclass(frozen=True, slots=True)
class DefinitionItem:
    """One term and its definitions (each a run of blocks). A term with no
    definitions shares the next item's, as consecutive ``<dt>`` do in HTML."""

    term: tuple[Inline, ...]
    definitions: tuple[tuple[Block, ...], ...]


@dataclass(frozen=True, slots=True)
class DefinitionList:
    """Terms and their definitions (pandoc's ``DefinitionList``; Markdown
    ``Term`` / ``: definition``, HTML ``<dl>``)."""

    items: tuple[DefinitionItem, ...]


Block = (Para | Heading | BulletList | OrderedList | BlockQuote | Figure | Table | CodeBlock | ThematicBreak
         | DefinitionList)

# -------------------------------------------------------------------- metadata


@dataclass(frozen=True, slots=True)
class Author:
    name: str
    email: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True)
class Asset:
    """A local file an article references (image). ``path`` is the resolved,
    checked absolute path inside the source tree; ``sha256`` keys caches."""

    key: str
    path: str
    media_type: str
    width: int
    height: int
    sha256: str


RTL_LANGUAGES = frozenset({"ar", "arc", "dv", "fa", "ha", "he", "khw", "ks", "ku", "ps", "sd", "ur", "yi"})


@dataclass(frozen=True, slots=True)
class Meta:
    title: str
    slug: str
    published: datetime
    updated: datetime | None = None
    subtitle: str = ""
    description: str = ""
    authors: tuple[Author, ...] = ()
    publisher: str = ""
    language: str = "en"
    tags: tuple[str, ...] = ()
    summary: tuple[tuple[Inline, ...], ...] = ()
    canonical_url: str = ""
    rights: str = ""
    cover: str = ""
    # Where the site that wrote the source published it: Hugo ``url`` or
    # Jekyll ``permalink`` (a site path), and the old paths that should
    # redirect to it (Hugo ``aliases``, Jekyll ``redirect_from``).
    permalink: str = ""
    aliases: tuple[str, ...] = ()
    series: tuple[str, ...] = ()
    weight: int = 0  # Hugo's ordering hint; 0 is "unset", as in Hugo
    # No date anywhere (front matter, file name, git): ``published`` is then
    # SOURCE_DATE_EPOCH or the Unix epoch, and lists put the story last.
    undated: bool = False
    # A fixed feed id (``id``): with the first alias, it keeps a story's feed
    # id stable when its source file is renamed.
    id: str = ""
    extra: tuple[tuple[str, Any], ...] = ()

    @property
    def modified(self) -> datetime:
        return self.updated or self.published

    @property
    def direction(self) -> Literal["ltr", "rtl"]:
        return "rtl" if self.language.split("-")[0].lower() in RTL_LANGUAGES else "ltr"


@dataclass(frozen=True, slots=True)
class Article:
    meta: Meta
    blocks: tuple[Block, ...]
    assets: tuple[Asset, ...] = ()
    source_path: str = ""
    source_hash: str = field(default="", compare=False)
    # Image files inside the source tree that the article names but that are
    # missing or unusable: the build watches them, so adding or fixing one
    # exports the article again (not part of the content: compare=False).
    watched: tuple[str, ...] = field(default=(), compare=False)

    def asset(self, key: str) -> Asset | None:
        for a in self.assets:
            if a.key == key:
                return a
        return None


# ------------------------------------------------------------------ traversal

Node = Inline | Block | ListItem | DefinitionItem | TableCell
T = TypeVar("T")
N = TypeVar("N")


def children(node: object) -> Iterator[object]:
    """Direct child nodes of any model node, in reading order."""
    return iter(child_nodes(node))


def child_nodes(node: object) -> tuple[object, ...] | list[object]:
    """:func:`children` as a sequence, found by the node's type: a tree walk
    asks this of every node, most of them leaves."""
    get = _CHILDREN.get(type(node))
    if get is not None:
        return get(node)
    if type(node) in _LEAVES:
        return ()
    return list(_matched_children(node))  # a subclass of a node type


def _matched_children(node: object) -> Iterator[object]:
    match node:
        case Emph(c) | Strong(c) | Strike(c) | Superscript(c) | Subscript(c) | Para(c):
            yield from c
        case Link(c, _, _) | Heading(_, c, _) | TableCell(c):
            yield from c
        case BulletList(items) | OrderedList(items, _) | DefinitionList(items):
            yield from items
        case ListItem(bs) | BlockQuote(bs) | Note(_, bs):
            yield from bs
        case DefinitionItem(term, definitions):
            yield from term
            for d in definitions:
                yield from d
        case Figure(image, caption):
            yield image
            yield from caption
        case Table(header, rows, _, caption):
            yield from caption
            yield from header
            for row in rows:
                yield from row
        case _:
            return


_CHILDREN: dict[type, Callable[[Any], Any]] = {
    **dict.fromkeys((Emph, Strong, Strike, Superscript, Subscript, Para, Link, Heading, TableCell),
                    attrgetter("children")),
    **dict.fromkeys((BulletList, OrderedList, DefinitionList), attrgetter("items")),
    **dict.fromkeys((ListItem, BlockQuote, Note), attrgetter("blocks")),
    DefinitionItem: lambda n: (*n.term, *(b for d in n.definitions for b in d)),
    Figure: lambda n: (n.image, *n.caption),
    Table: lambda n: (*n.caption, *n.header, *(c for row in n.rows for c in row)),
}
_LEAVES = frozenset(c for c in list(globals().values()) if isinstance(c, type) and dataclasses.is_dataclass(c)
                    and c.__module__ == __name__ and c not in _CHILDREN)


def walk(node: object) -> Iterator[object]:
    """Every node under ``node`` (itself included), depth first, iteratively so
    deeply nested input cannot overflow the Python stack."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        kids = child_nodes(n)
        if kids:
            stack.extend(reversed(kids))


def nodes(article: Article) -> Iterator[object]:
    """Every node of the article in reading order (summary, then body), each
    note's content once, at its first call."""
    seen: set[str] = set()
    stack: list[object] = list(reversed(article.blocks))
    for item in reversed(article.meta.summary):
        stack.extend(reversed(item))
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, Note):
            if n.label in seen:
                continue
            seen.add(n.label)
        stack.extend(reversed(child_nodes(n)))


def query(article: Article, kind: type[T]) -> list[T]:
    """All nodes of one type anywhere in the article (summary, body, notes)."""
    return [n for n in nodes(article) if isinstance(n, kind)]


def notes(roots: Iterable[object]) -> list[Note]:
    """The notes called under ``roots``, one per label, in order of first call."""
    found: dict[str, Note] = {}
    for r in roots:
        for n in walk(r):
            if isinstance(n, Note) and n.label not in found:
                found[n.label] = n
    return list(found.values())


def article_notes(article: Article) -> list[Note]:
    """The article's notes in reading order: the summary's calls, then the body's."""
    return notes([*(i for item in article.meta.summary for i in item), *article.blocks])


def depth(node: object) -> int:
    """Nesting depth of a subtree, computed without recursion."""
    best = 0
    stack: list[tuple[object, int]] = [(node, 1)]
    while stack:
        n, d = stack.pop()
        best = max(best, d)
        stack.extend((c, d + 1) for c in child_nodes(n))
    return best


def map_nodes(blocks: tuple[Block, ...], kind: type[N], fn: Callable[[N], object]) -> tuple[Block, ...]:
    """``blocks`` with every node of ``kind`` (at any depth, summary tuples
    and table rows too) replaced by ``fn(node)``; unchanged nodes stay the
    same objects. Recursive: readers bound the depth (``max_depth``)."""

    def one(node: Any) -> Any:
        if isinstance(node, kind):
            return fn(node)
        if isinstance(node, tuple):
            new = tuple(one(x) for x in node)
            return node if all(a is b for a, b in zip(new, node, strict=True)) else new
        if dataclasses.is_dataclass(node) and not isinstance(node, type):
            changes = {f.name: v for f in dataclasses.fields(node)
                       if (v := one(getattr(node, f.name))) is not getattr(node, f.name)}
            return dataclasses.replace(node, **changes) if changes else node
        return node

    result: tuple[Block, ...] = one(blocks)
    return result


# ------------------------------------------------------------ plain text view


def inline_text(inlines: tuple[Inline, ...] | list[Inline]) -> str:
    """The words of a run of inlines, as a reader would see them (a note's
    words are not part of the run: they sit at the foot or the end)."""
    out: list[str] = []
    stack: list[object] = list(reversed(inlines))
    while stack:
        n = stack.pop()
        match n:
            case Text(t) | Code(t):
                out.append(t)
            case Image(alt, _, _):
                out.append(alt)
            case LineBreak():
                out.append("\n")
            case Note():
                pass
            case _:
                stack.extend(reversed(child_nodes(n)))
    return "".join(out)


def _block_text(block: object, out: list[str]) -> None:
    stack = [block]
    while stack:
        b = stack.pop()
        match b:
            case Para(c) | Heading(_, c, _):
                out.append(inline_text(c))
            case CodeBlock(text, _):
                out.append(text)
            case Figure(image, caption):
                out.append(image.alt)
                out.append(inline_text(caption))
            case Table(header, rows, _, caption):
                out.append(inline_text(caption))
                for row in (header, *rows):
                    out.append(" ".join(inline_text(c.children) for c in row))
            case BulletList(items) | OrderedList(items, _) | DefinitionList(items):
                stack.extend(reversed(items))
            case ListItem(bs) | BlockQuote(bs):
                stack.extend(reversed(bs))
            case DefinitionItem(term, definitions):
                out.append(inline_text(term))
                stack.extend(reversed([b for d in definitions for b in d]))


def plain_text(article: Article) -> str:
    """Every word of the article in reading order: title, subtitle, byline,
    summary bullets, body, then the notes in order of first call. Tests use it to prove a format lost
    nothing; it is a projection, not a rendering."""
    m = article.meta
    out: list[str] = [m.title]
    if m.subtitle:
        out.append(m.subtitle)
    out.extend(a.name for a in m.authors)
    out.extend(inline_text(item) for item in m.summary)
    for b in article.blocks:
        _block_text(b, out)
    for note in article_notes(article):
        for b in note.blocks:
            _block_text(b, out)
    return "\n".join(s for s in out if s.strip())


_WORD_BREAKS = re.compile(r"[\s、。，「」『』]+")


def words(text: str) -> list[str]:
    """Split text into comparable words (used by read-back tests): at white
    space and at CJK punctuation, which joins words without spaces."""
    return [w for w in _WORD_BREAKS.split(text) if w]


# ----------------------------------------------------------------------- JSON


def to_jsonable(obj: object) -> Any:
    """A JSON-ready view of any model value, tagged with node type names."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        d: dict[str, Any] = {"t": type(obj).__name__}
        for f in dataclasses.fields(obj):
            d[f.name] = to_jsonable(getattr(obj, f.name))
        return d
    if isinstance(obj, tuple | list):
        return [to_jsonable(x) for x in obj]
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, str | int | float | bool) or obj is None:
        return obj
    return str(obj)


def dump_json(article: Article) -> str:
    return json.dumps(to_jsonable(article), ensure_ascii=False, indent=2)

