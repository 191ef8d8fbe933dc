"""What a story shows, decided once for every format.

The XHTML renderer (HTML, PDF, EPUB) and the DOCX writer both walk a
:class:`Presented` story instead of the bare article, so they cannot
disagree: the masthead's lines (byline joined in the article's language,
dateline and its direction), how notes are numbered (first call in reading
order, the summary's calls too) and which ids their calls and bodies get,
heading ids (unique by construction: a later duplicate, or one a note id
holds, gets none), which in-page links lead somewhere, and the printed size
of every picture (:func:`figure_size`, :func:`inline_size`). As pandoc's writers share ``Text.Pandoc.Writers.Shared``
and Sphinx's builders share the doctree transforms. Pure: no I/O; what it
cannot keep comes back as :attr:`Presented.warnings` for the writer's
context to report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from . import model as m
from .i18n import EN, Labels, format_date, labels
from .theme import Theme

LINK_SCHEMES = frozenset({"http", "https", "mailto"})
PX_PT = 0.75  # a CSS pixel in points: pictures print at 96 dpi, as WeasyPrint lays them out


@dataclass(frozen=True, slots=True)
class DateText:
    text: str  # in the article's language
    iso: str  # machine-readable (``<time datetime>``)


@dataclass(frozen=True, slots=True)
class Dateline:
    published: DateText
    updated: DateText | None
    updated_prefix: str  # what goes before the update's date: " · Updated "
    # a date in the article's own script follows the article's direction; an English
    # fallback inside right-to-left text keeps its own order
    direction: Literal["ltr", "rtl"]


@dataclass(frozen=True, slots=True)
class Masthead:
    publication: str
    title: str
    dek: str
    byline: tuple[tuple[str, str], ...]  # (what goes before the name: "", ", " or " and ", name)
    dateline: Dateline | None  # None: the story has no date and shows none


@dataclass(frozen=True, slots=True)
class NoteEntry:
    """A note as every format shows it: its number, its blocks (presented),
    where it is (``id``) and where its first call is (``call_id``, the
    back-link's target), and how many calls it has."""

    number: int
    label: str
    blocks: tuple[m.Block, ...]
    id: str
    call_id: str
    calls: int


@dataclass(frozen=True, slots=True)
class Call:
    """One call of a note in the presented tree (it replaces the model's
    :class:`~storyexport.model.Note`): the first call carries the note (a
    page footnote sits there), later ones refer to it."""

    note: NoteEntry
    nth: int  # 1 for the first call
    id: str

    @property
    def first(self) -> bool:
        return self.nth == 1


@dataclass(frozen=True, slots=True)
class Size:
    """A picture's printed size in points."""

    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Presented:
    """One story as every format shows it. ``blocks`` and ``summary`` are
    the article's with each note call a :class:`Call`, headings holding
    their final ids (``""``: none), in-page links pointing at them (links
    that lead nowhere are their words), every id after ``id_prefix``."""

    article: m.Article
    labels: Labels
    direction: Literal["ltr", "rtl"]
    masthead: Masthead
    summary: tuple[tuple[m.Inline, ...], ...]
    blocks: tuple[m.Block, ...]
    notes: tuple[NoteEntry, ...]
    ids: frozenset[str]  # every id the story defines
    warnings: tuple[tuple[str, str], ...]  # (category, message): what could not be kept as it was


def present(article: m.Article, id_prefix: str = "") -> Presented:
    """The story as every format shows it; ``id_prefix`` goes before every
    id (and in-page link), so many stories can share one document."""
    meta = article.meta
    lab = labels(meta.language)
    p = _Presenter(article, id_prefix)
    summary = tuple(p.inlines(item) for item in meta.summary)
    blocks = p.blocks(article.blocks)
    return Presented(
        article, lab, meta.direction, masthead(meta), summary, blocks,
        tuple(p.entries[n.label] for n in p.order), frozenset(p.ids), tuple(p.warnings))


def masthead(meta: m.Meta) -> Masthead:
    """Publication, title, dek, byline and dateline, in the article's language."""
    lab = labels(meta.language)
    names = [a.name for a in meta.authors]
    byline = tuple(("" if i == 0 else lab.and_ if i == len(names) - 1 else lab.list_sep, name)
                   for i, name in enumerate(names))
    dateline = None
    if not meta.undated:
        direction: Literal["ltr", "rtl"] = "rtl" if meta.direction == "rtl" and lab is not EN else "ltr"
        updated = DateText(format_date(meta.updated, meta.language), meta.updated.isoformat()) if meta.updated else None
        dateline = Dateline(DateText(format_date(meta.published, meta.language), meta.published.isoformat()),
                            updated, f" · {lab.updated} ", direction)
    return Masthead(meta.publisher, meta.title, meta.subtitle, byline, dateline)


def byline_text(head: Masthead) -> str:
    """The byline as one string ("A, B and C")."""
    return "".join(sep + name for sep, name in head.byline)


def figure_size(asset: m.Asset, theme: Theme) -> Size:
    """A figure's printed size: its own size at 96 dpi, at most the text
    width and the theme's share of the text height (the print style sheet
    is generated from the same :attr:`Theme.figure_height_limit`)."""
    if asset.width <= 0 or asset.height <= 0:
        return Size(0, 0)
    width = min(theme.text_width, asset.width * PX_PT, theme.figure_height_limit * asset.width / asset.height)
    return Size(width, width * asset.height / asset.width)


def inline_size(asset: m.Asset, theme: Theme) -> Size:
    """An image inside a line: the theme's share of the text size high
    (``inline_image``, em), at most the text width."""
    if asset.width <= 0 or asset.height <= 0:
        return Size(0, 0)
    height = theme.base_size * theme.inline_image
    width = min(theme.text_width, height * asset.width / asset.height)
    return Size(width, width * asset.height / asset.width)


class _Presenter:
    """The walk that rewrites one article's tree: note calls numbered, ids
    made unique, in-page links checked against them."""

    def __init__(self, article: m.Article, prefix: str) -> None:
        self.prefix = prefix
        self.warnings: list[tuple[str, str]] = []
        # one pass in reading order: each note's calls (its content once, at the first) and headings
        first: dict[str, m.Note] = {}
        self.calls: Counter[str] = Counter()
        heading_ids: list[str] = []
        for n in m.nodes(article):
            if isinstance(n, m.Note):
                self.calls[n.label] += 1
                first.setdefault(n.label, n)
            elif isinstance(n, m.Heading) and n.id:
                heading_ids.append(n.id)
        self.order = list(first.values())
        taken: set[str] = set()
        for i, note in enumerate(self.order, 1):
            taken.add(f"fn{i}")
            taken.update(f"fnref{i}" if k == 1 else f"fnref{i}-{k}" for k in range(1, self.calls[note.label] + 1))
        # the first heading holding an id keeps it; a later one, or one a note holds, gets none
        self.anchors: set[str] = set()
        for hid in heading_ids:
            if hid in taken or hid in self.anchors:
                self.warn(f"duplicate id {hid[:80]!r}; only the first keeps it", "markup.id")
            else:
                self.anchors.add(hid)
        self.ids = {prefix + i for i in taken | self.anchors}
        self.placed: set[str] = set()
        self.numbers = {note.label: i for i, note in enumerate(self.order, 1)}
        self.seen: Counter[str] = Counter()
        self.entries: dict[str, NoteEntry] = {}
        self.in_link = False

    def warn(self, message: str, category: str) -> None:
        """Kept for the writer to report (:func:`storyexport.writers.present_story`)."""
        self.warnings.append((category, message))

    # ------------------------------------------------------------- blocks

    def blocks(self, blocks: tuple[m.Block, ...]) -> tuple[m.Block, ...]:
        return tuple(self.block(b) for b in blocks)

    def block(self, b: m.Block) -> Any:
        match b:
            case m.Para(c):
                return m.Para(self.inlines(c))
            case m.Heading(level, c, hid):
                keep = hid in self.anchors and hid not in self.placed
                if keep:
                    self.placed.add(hid)
                return m.Heading(level, self.inlines(c), self.prefix + hid if keep else "")
            case m.BulletList(items):
                return m.BulletList(tuple(m.ListItem(self.blocks(i.blocks)) for i in items))
            case m.OrderedList(items, start):
                return m.OrderedList(tuple(m.ListItem(self.blocks(i.blocks)) for i in items), start)
            case m.BlockQuote(bs):
                return m.BlockQuote(self.blocks(bs))
            case m.Figure(image, caption):
                return m.Figure(image, self.inlines(caption))
            case m.Table(header, rows, align, caption):
                return m.Table(self.cells(header), tuple(self.cells(r) for r in rows), align, self.inlines(caption))
            case m.DefinitionList(items):
                return m.DefinitionList(tuple(
                    m.DefinitionItem(self.inlines(i.term), tuple(self.blocks(d) for d in i.definitions))
                    for i in items))
        return b  # code, rules: nothing to decide

    def cells(self, row: tuple[m.TableCell, ...]) -> tuple[m.TableCell, ...]:
        return tuple(m.TableCell(self.inlines(c.children)) for c in row)

    # ------------------------------------------------------------ inlines

    def inlines(self, nodes: tuple[m.Inline, ...]) -> Any:
        out: list[Any] = []
        for n in nodes:
            match n:
                case m.Text() | m.Code() | m.Image() | m.LineBreak():
                    out.append(n)
                case m.Emph(c) | m.Strong(c) | m.Strike(c) | m.Superscript(c) | m.Subscript(c):
                    out.append(type(n)(self.inlines(c)))
                case m.Link():
                    out.extend(self.link(n))
                case m.Note():
                    out.append(self.call(n))
        return tuple(out)

    def link(self, link: m.Link) -> list[Any]:
        """The link, or its words where it would lead nowhere or sit inside
        another link (which no format can hold)."""
        url = link.url
        reason = ""
        if self.in_link:
            reason = "is inside another link"
        elif url.startswith("#"):
            if url[1:] not in self.anchors:
                reason = "has no heading with that id"
            url = "#" + self.prefix + url[1:]
        elif urlsplit(url).scheme.lower() not in LINK_SCHEMES:
            reason = "is not http, https or mailto"
        if reason:
            self.warn(f"link to {link.url[:80]!r} {reason}; kept as text", "source.link")
            return list(self.inlines(link.children))
        self.in_link = True
        try:
            children = self.inlines(link.children)
        finally:
            self.in_link = False
        return [m.Link(children, url, link.title)]

    def call(self, note: m.Note) -> Call:
        label = note.label
        n = self.numbers[label]
        self.seen[label] += 1
        nth = self.seen[label]
        entry = self.entries.get(label)
        if entry is None:
            outer, self.in_link = self.in_link, False  # a note's own links are its own
            entry = self.entries[label] = NoteEntry(n, label, self.blocks(note.blocks), f"{self.prefix}fn{n}",
                                                    f"{self.prefix}fnref{n}", self.calls[label])
            self.in_link = outer
        return Call(entry, nth, entry.call_id if nth == 1 else f"{entry.call_id}-{nth}")

