"""DOCX: a native Word document an editor can take over without fixing anything.

The writer walks the article model (not the HTML) with python-docx and drops
to OOXML where python-docx has no API: hyperlinks, footnotes, fields,
bookmarks, numbering and font embedding (see :mod:`.docx_ooxml`). Every
paragraph carries a named style generated from the theme (see
:mod:`.docx_styles`); runs carry only inline emphasis. Nothing of
python-docx's template survives that could leak into the output (its styles,
thumbnail, rsids, 2013 dates, "python-docx" author), and the zip is
rewritten with the article's own date so two runs give identical bytes.
"""

from __future__ import annotations

import copy
import io
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import PurePosixPath

import docx
from docx.image.exceptions import UnrecognizedImageError
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.rel import Relationships, _Relationship
from docx.oxml.ns import qn
from docx.oxml.shape import CT_Inline
from docx.parts.story import StoryPart

from .. import model as m
from ..compat.docx import package_members
from ..config import Site
from ..presentation import Call, Presented, figure_size, inline_size
from ..theme import Theme
from . import RenderContext, Writer, present_story
from .docx_ooxml import (
    TBLPR_ORDER,
    Element,
    FootnotesPart,
    app_properties_part,
    bidi_segments,
    bookmark_names,
    el,
    embedded_fonts,
    emu,
    field,
    font_table_part,
    link_allowed,
    ordered,
    ppr,
    rpr,
    settings_children,
    text,
    twips,
    val,
    xml_safe,
)
from .docx_styles import LIST_LEVELS, S, Scripts, StyleSet, bold, italic, scripts_for, spacing
from .ziputil import build_zip

_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
LRM = "\u200e"  # keeps an English-form date in its own order inside right-to-left text (as <time dir="ltr">)
_TEMPLATE_JUNK = ("/stylesWithEffects", "/customXml", "/fontTable", "/metadata/thumbnail", "/extended-properties")


@dataclass(frozen=True)
class _Fmt:
    """Inline formatting inherited by the runs under an inline node."""

    bold: bool = False
    italic: bool = False
    strike: bool = False
    vert: str = ""
    style: str = ""

    def props(self, rtl: bool = False) -> Element | None:
        children: list[Element | None] = [val("w:rStyle", self.style) if self.style else None]
        if self.bold:
            children += bold()
        if self.italic:
            children += italic()
        if self.strike:
            children.append(el("w:strike"))
        if self.vert:
            children.append(val("w:vertAlign", self.vert))
        if rtl:
            children.append(el("w:rtl"))
        return rpr(*children) if any(c is not None for c in children) else None


@dataclass(frozen=True)
class _Flow:
    """How plain paragraphs are styled where blocks are being placed."""

    para_style: str
    level: int = -1  # list nesting (0-based), -1 outside lists


class DocxWriter(Writer):
    name = "docx"
    extension = "docx"
    media_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    version = "1"
    description = "Word document with the theme's styles, real footnotes, links and embedded fonts"
    libraries = ("python-docx", "lxml", "fonttools")

    def __init__(self, theme: Theme, site: Site) -> None:
        super().__init__(theme, site)
        self._templates: dict[Scripts, docx.document.Document] = {}

    def render(self, article: m.Article, ctx: RenderContext) -> bytes:
        members = _Builder(article, self, ctx).build()
        return build_zip(members, article.meta.modified)

    def new_document(self, scripts: Scripts) -> docx.document.Document:
        """A fresh copy of python-docx's default document with everything
        that depends only on the theme and the scripts already in place,
        prepared once per process: its template carries 880 KB of styles
        that every document would otherwise parse and then throw away, and
        copying the prepared one takes half the time of opening it."""
        tpl = self._templates.get(scripts)
        if tpl is None:
            tpl = self._templates[scripts] = _prepared_template(StyleSet(self.theme, scripts))
        return copy.deepcopy(tpl)


@lru_cache(maxsize=1)
def _stripped_template() -> bytes:
    """python-docx's default template with empty styles, numbering and
    settings. Its thumbnail and stale extra parts are left out, but their
    relationships stay, as external ones, until each document drops them
    (:meth:`_Builder._install_parts`): the ids they hold are not handed to a
    document's own links and pictures, which keep the ids they always had."""
    doc = docx.Document()
    for rels, rid, rel in _template_junk(doc):
        del rels[rid]
        rels.add_relationship(rel.reltype, "about:blank", rid, is_external=True)
    for root in (doc.styles.element, doc.part.numbering_part.element, doc.settings.element):
        for child in list(root):
            root.remove(child)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _prepared_template(styles: StyleSet) -> docx.document.Document:
    """The stripped template with our styles and list definitions (no list yet)."""
    doc = docx.Document(io.BytesIO(_stripped_template()))
    doc.styles.element.extend(styles.styles_children())
    doc.part.numbering_part.element.extend(styles.numbering_children())
    return doc


def _template_junk(doc: docx.document.Document) -> list[tuple[Relationships, str, _Relationship]]:
    """The template's relationships to parts we never write (thumbnail, old
    app properties, font table...), with the collection each is in."""
    return [(rels, rid, rel) for rels in (doc.part.package.rels, doc.part.rels)
            for rid, rel in rels.items() if rel.reltype.endswith(_TEMPLATE_JUNK)]


@dataclass
class _Shared:
    """What every story in one document shares: the document, its styles
    and list numbering, and the counters whose ids must be unique in it
    (bookmarks, pictures, footnotes)."""

    doc: docx.document.Document
    styles: StyleSet
    counters: Counter[str]
    notes_part: FootnotesPart | None = None

    @classmethod
    def new(cls, writer: DocxWriter, scripts: Scripts) -> _Shared:
        return cls(writer.new_document(scripts), StyleSet(writer.theme, scripts), Counter[str]())

    def footnotes(self) -> FootnotesPart:
        """``word/footnotes.xml``, made (and related to the document) once."""
        if self.notes_part is None:
            self.notes_part = FootnotesPart.new(self.doc.part.package)
            self.doc.part.relate_to(self.notes_part, RT.FOOTNOTES)
        return self.notes_part


class _Runs:
    """The inline half of building a story into a document: paragraphs' runs,
    links, pictures and note calls (python-docx plus OOXML). Split from
    :class:`_Builder` (which sets every attribute below) to keep each part small."""

    a: m.Article
    t: Theme
    ctx: RenderContext
    shown: Presented
    rtl: bool
    part: StoryPart
    counters: Counter[str]
    bookmarks: dict[str, str]
    note_ids: dict[str, int]
    warned: set[str]

    def warn(self, message: str) -> None:
        if message not in self.warned:
            self.warned.add(message)
            self.ctx.warn(self.a, f"docx: {message}", "docx")

    def next_id(self, kind: str) -> int:
        self.counters[kind] += 1
        return self.counters[kind]

    def _p(self, style: str, content: list[Element], *props: Element | None, bidi: bool | None = None) -> Element:
        rtl = self.rtl if bidi is None else bidi
        return el("w:p", None, ppr(val("w:pStyle", style), el("w:bidi") if rtl else None, *props), *content)

    # ------------------------------------------------------------- inlines

    def _inlines(self, nodes: tuple[m.Inline | Call, ...], fmt: _Fmt = _Fmt()) -> list[Element]:
        out: list[Element] = []
        for n in nodes:
            match n:
                case m.Text(s):
                    out += self._runs(s, fmt)
                case m.Emph(c):
                    out += self._inlines(c, replace(fmt, italic=True))
                case m.Strong(c):
                    out += self._inlines(c, replace(fmt, bold=True))
                case m.Strike(c):
                    out += self._inlines(c, replace(fmt, strike=True))
                case m.Superscript(c):
                    out += self._inlines(c, replace(fmt, vert="superscript"))
                case m.Subscript(c):
                    out += self._inlines(c, replace(fmt, vert="subscript"))
                case m.Code(s):
                    out += self._runs(s, replace(fmt, style=S.CODE_CHAR))
                case m.Link(c, url, title):
                    out += self._link(c, url, title, fmt)
                case m.Image():
                    out += self._image(n, fmt, block=False)
                case m.LineBreak():
                    out.append(el("w:r", None, fmt.props(), el("w:br")))
                case Call():
                    out += self._noteref(n)
                case _:  # pragma: no cover - the model's inline set is closed
                    self.warn(f"inline {type(n).__name__} cannot be represented and was left out")
        return out

    def _runs(self, s: str, fmt: _Fmt, verbatim: bool = False) -> list[Element]:
        """Runs for a piece of text: tabs as ``w:tab``; newlines as ``w:br`` in
        code and as spaces elsewhere (soft breaks); RTL/LTR split in RTL stories."""
        s, stripped = xml_safe(s)
        if stripped:
            self.warn("control characters XML cannot hold were removed")
        if not verbatim:
            s = s.replace("\r\n", " ").replace("\n", " ")
        segments = bidi_segments(s) if self.rtl and not verbatim else [(s, False)]
        out = []
        for seg, rtl in segments:
            r = el("w:r", None, fmt.props(rtl))
            for piece in re.split(r"(\t|\n)", seg):
                if piece == "\t":
                    r.append(el("w:tab"))
                elif piece == "\n":
                    r.append(el("w:br"))
                elif piece:
                    r.append(text(piece))
            out.append(r)
        return out

    def _link(self, children: tuple[m.Inline, ...], url: str, title: str, fmt: _Fmt) -> list[Element]:
        """A real ``w:hyperlink``: external relationship for web and mail
        links, a bookmark anchor for ``#heading`` links (the presentation
        kept only links that lead somewhere); anything else keeps its text
        and says why."""
        if url.startswith("#"):
            link = el("w:hyperlink", {"w:anchor": self.bookmarks[url[1:]], "w:history": 1})
        elif link_allowed(url):
            link = el("w:hyperlink", {"r:id": self.part.relate_to(url, RT.HYPERLINK, is_external=True),
                                      "w:history": 1})
        else:
            self.warn(f"link target {url!r} is not http, https or mailto; kept as plain text")
            return self._inlines(children, fmt)
        if title:
            link.set(qn("w:tooltip"), xml_safe(title)[0])
        for e in self._inlines(children, replace(fmt, style=fmt.style or S.HYPERLINK)):
            link.append(e)
        return [link]

    def _image(self, img: m.Image, fmt: _Fmt, block: bool) -> list[Element]:
        """A picture run at its printed size (the presentation's, as the PDF
        shows it); alt text in ``wp:docPr/@descr``."""
        asset = self.a.asset(img.src)
        if asset is None or asset.width <= 0 or asset.height <= 0:
            self.warn(f"image {img.src!r} is not available; its alt text is used instead")
            return self._runs(img.alt, fmt)
        size = figure_size(asset, self.t) if block else inline_size(asset, self.t)
        width, height = size.width, size.height
        try:
            rid, _image = self.part.get_or_add_image(io.BytesIO(self.ctx.asset_bytes(asset)))
        except (UnrecognizedImageError, OSError) as e:
            self.warn(f"image {img.src!r} cannot be embedded ({e}); its alt text is used instead")
            return self._runs(img.alt, fmt)
        shape = self.next_id("shape")
        inline = CT_Inline.new_pic_inline(shape, rid, PurePosixPath(asset.key).name, emu(width), emu(height))
        for side in ("distT", "distB", "distL", "distR"):  # LibreOffice pads pictures that omit these
            inline.set(side, "0")
        alt = xml_safe(img.alt)[0]
        inline.docPr.set("descr", alt)
        for cnv in inline.iter(qn("pic:cNvPr")):
            cnv.set("descr", alt)
        if img.title:
            inline.docPr.set("title", xml_safe(img.title)[0])
        return [el("w:r", None, fmt.props(), el("w:drawing", None, inline))]

    def _noteref(self, call: Call) -> list[Element]:
        """The first call becomes a real footnote; a later call is a
        ``NOTEREF`` field to a bookmark on the first, as Word makes it."""
        note = call.note

        def ref_props() -> Element:
            return rpr(val("w:rStyle", S.FOOTNOTE_REF))

        if not call.first:
            return field(f"NOTEREF _RefNote_{self.note_ids[note.label]} \\f \\h", str(note.number), ref_props)
        self.note_ids[note.label] = nid = self.next_id("footnote")
        run = el("w:r", None, ref_props(), el("w:footnoteReference", {"w:id": nid}))
        if note.calls < 2:
            return [run]
        bid = self.next_id("bookmark")
        return [el("w:bookmarkStart", {"w:id": bid, "w:name": f"_RefNote_{nid}"}), run,
                el("w:bookmarkEnd", {"w:id": bid})]


class _Parts(_Runs):
    """What a document needs around its stories: page set-up, running head
    and page numbers, lists, settings, fonts and properties."""

    doc: docx.document.Document
    sect: Element
    styles: StyleSet

    def _emit(self, e: Element) -> None:
        self.sect.addprevious(e)

    # ------------------------------------------------------- page, parts

    def _section(self) -> None:
        """Page size and margins from the theme (twips), no rsids, RTL section."""
        for attr in list(self.sect.attrib):
            del self.sect.attrib[attr]
        page = self.t.page
        pg_sz = self.sect.find(qn("w:pgSz"))
        pg_sz.attrib.clear()
        pg_sz.set(qn("w:w"), str(twips(page["width"])))
        pg_sz.set(qn("w:h"), str(twips(page["height"])))
        if page["width"] > page["height"]:
            pg_sz.set(qn("w:orient"), "landscape")
        band = self.t.layout.running_band  # the running head's and the page numbers' share of the margins
        margins = {"top": page["margin_top"], "right": page["margin_right"], "bottom": page["margin_bottom"],
                   "left": page["margin_left"], "header": max(page["margin_top"] - band, 0),
                   "footer": max(page["margin_bottom"] - band, 0), "gutter": 0}
        pg_mar = self.sect.find(qn("w:pgMar"))
        pg_mar.attrib.clear()
        for k, v in margins.items():
            pg_mar.set(qn(f"w:{k}"), str(twips(v)))
        if self.rtl:
            self.sect.find(qn("w:docGrid")).addprevious(el("w:bidi"))

    def _header_footer(self, running: list[Element]) -> None:
        """"Page X of Y" with PAGE and NUMPAGES fields on every page, and a
        running head (the publication, else the title; an edition's section)
        from page 2 on, both :attr:`Layout.running_gap <storyexport.layout.Layout.running_gap>`
        from the text (:meth:`_section`)."""
        section = self.doc.sections[0]
        section.different_first_page_header_footer = True

        def numbers() -> list[Element]:
            def props() -> Element | None:
                return None

            lab = self.shown.labels
            return [*self._runs(f"{lab.page} ", _Fmt()), *field("PAGE", "1", props),
                    *self._runs(f" {lab.of} ", _Fmt()), *field("NUMPAGES", "1", props)]

        for story, style, content in ((section.footer, S.FOOTER, numbers()),
                                      (section.first_page_footer, S.FOOTER, numbers()),
                                      (section.header, S.HEADER, running),
                                      (section.first_page_header, S.HEADER, [])):
            story.is_linked_to_previous = False  # its own part, holding one empty paragraph
            root = story.part.element
            root.replace(root[0], self._p(style, content))

    def _install_parts(self, has_notes: bool, nodes: list[object], plain: str, update_fields: bool) -> None:
        """Complete the prepared template (:meth:`DocxWriter.new_document`): this
        document's lists, settings, font table and app properties; drop the
        template's placeholder relationships."""
        package = self.doc.part.package
        for rels, rid, _rel in _template_junk(self.doc):
            del rels[rid]
        self.doc.part.numbering_part.element.extend(self.styles.list_nums())
        self.doc.settings.element.extend(self._settings(has_notes, update_fields))
        roles = ["body", "heading"]
        if any(isinstance(n, m.Code | m.CodeBlock) for n in nodes):
            roles.append("code")
        if self.rtl or _ARABIC.search(plain):
            roles.append("arabic")
        sc = self.styles.scripts
        entries, files, refused = embedded_fonts(self.t, roles, sc.cjk_family if sc.east_asian else "")
        for family in refused:
            self.warn(f"font {family!r} does not allow embedding; the document names it only")
        self.doc.part.relate_to(font_table_part(package, entries, files), RT.FONT_TABLE)
        app = app_properties_part(package, xml_safe(self.a.meta.publisher)[0], len(m.words(plain)),
                                  len("".join(plain.split())))  # characters without spaces (split: str.isspace)
        package.relate_to(app, RT.EXTENDED_PROPERTIES)

    def _settings(self, has_notes: bool, update_fields: bool) -> list[Element]:
        sc = self.styles.scripts
        return settings_children(self.t.spacing["list_indent"], sc.language, sc.east_asian, sc.bidi, has_notes,
                                 hyphenate=self.t.layout.hyphenate, update_fields=update_fields)

    def _core_properties(self) -> None:
        """Core properties from the article; python-docx writes dates with a
        literal ``Z``, so they are converted to UTC first."""
        meta = self.a.meta
        names = "; ".join(a.name for a in meta.authors)
        values: dict[str, str] = {
            "title": meta.title, "author": names or meta.publisher, "subject": meta.subtitle or meta.description,
            "keywords": ", ".join(meta.tags), "category": meta.tags[0] if meta.tags else meta.publisher,
            "language": meta.language, "comments": meta.description, "identifier": meta.canonical_url,
            "last_modified_by": "storyexport",
        }
        cp = self.doc.core_properties
        for key, value in values.items():
            value = xml_safe(value)[0]
            if len(value) > 255:  # python-docx's limit (Word's dialog shows no more)
                self.warn(f"document property {key} is longer than 255 characters and was shortened")
                value = value[:254] + "…"
            setattr(cp, key, value)
        cp.revision = 1
        cp.created = _utc(meta.published)
        cp.modified = _utc(meta.modified)


class _Builder(_Parts):
    """Builds one story into a document (its own, or one it shares with
    other stories: :class:`Composer`); holds the state a walk needs
    (relationship owner, footnote ids, bookmark names)."""

    def __init__(self, article: m.Article, writer: DocxWriter, ctx: RenderContext, shared: _Shared | None = None,
                 prefix: str = "", heading_shift: int = 0) -> None:
        self.a, self.t, self.ctx = article, writer.theme, ctx
        self.shown: Presented = present_story(article, ctx, prefix)
        self.rtl = self.shown.direction == "rtl"
        if shared is None:
            shared = _Shared.new(writer, scripts_for(self.t, article.meta.language, self.rtl))
        self.shared, self.styles, self.doc = shared, shared.styles, shared.doc
        self.part: StoryPart = self.doc.part  # owner of relationships for what is being built (document or footnotes)
        self.sect = self.doc.element.body.sectPr
        self.nodes = list(m.nodes(article))  # summary, body and notes
        # Word bookmark names for the story's ids (each after the story's prefix)
        roots = [*self.shown.blocks, *(b for note in self.shown.notes for b in note.blocks)]
        self.bookmarks = bookmark_names(n.id for r in roots for n in m.walk(r) if isinstance(n, m.Heading))
        self.counters = shared.counters
        self.heading_shift = heading_shift  # an edition's sections and stories sit above the story's headings
        self.title_bookmark = ""  # a bookmark around the title (an edition's contents link to it)
        self.note_ids: dict[str, int] = {}  # label -> w:id, unique in the document
        self.warned: set[str] = set()

    # --------------------------------------------------------------- build

    def build(self) -> list[tuple[str, bytes]]:
        self.story()
        has_notes = self._footnotes()
        self.finish(has_notes, self.nodes, m.plain_text(self.a), self._runs(self.a.meta.publisher or self.a.meta.title,
                                                                            _Fmt()))
        return package_members(self.doc)

    def story(self) -> None:
        """The story's paragraphs: masthead, summary, body, rights."""
        meta = self.a.meta
        self._masthead()
        self._summary()
        self._blocks(self.shown.blocks, _Flow(S.BODY), self._emit)
        if meta.rights:
            self._emit(self._p(S.RIGHTS, self._runs(meta.rights, _Fmt())))

    def finish(self, has_notes: bool, nodes: list[object], plain: str, running: list[Element],
               update_fields: bool = False) -> None:
        """What the whole document needs once its stories are in, this
        builder's article giving its properties: page set-up, running head
        and page numbers, parts (lists, settings, fonts for ``nodes`` and
        ``plain``), core properties."""
        self._section()
        self._header_footer(running)
        self._install_parts(has_notes, nodes, plain, update_fields)
        self._core_properties()

    # ------------------------------------------------------------ masthead

    def _masthead(self) -> None:
        head = self.shown.masthead
        if head.publication:
            self._emit(self._p(S.PUBLICATION, self._runs(head.publication, _Fmt())))
        title = self._runs(head.title, _Fmt())
        if self.title_bookmark:
            bid = self.next_id("bookmark")
            title = [el("w:bookmarkStart", {"w:id": bid, "w:name": self.title_bookmark}), *title,
                     el("w:bookmarkEnd", {"w:id": bid})]
        self._emit(self._p(S.TITLE, title, val("w:outlineLvl", self.heading_shift) if self.heading_shift else None))
        if head.dek:
            self._emit(self._p(S.SUBTITLE, self._runs(head.dek, _Fmt())))
        if head.byline:
            content: list[Element] = []
            for sep, name in head.byline:
                content += self._runs(sep, _Fmt()) if sep else []
                content += self._runs(name, _Fmt(style=S.AUTHOR))
            self._emit(self._p(S.BYLINE, content))
        date = head.dateline
        if date is None:
            return  # a story with no date shows none (its metadata carries the placeholder date)
        # a left-to-right date inside right-to-left text keeps its order (as <time dir="ltr">)
        text = (LRM if self.rtl and date.direction == "ltr" else "") + date.published.text
        if date.updated:
            text += date.updated_prefix + date.updated.text
        self._emit(self._p(S.DATELINE, self._runs(text, _Fmt())))

    def _summary(self) -> None:
        summary = self.shown.summary
        if not summary:
            return
        self._emit(self._p(S.SUMMARY_TITLE, self._runs(self.shown.labels.glance, _Fmt())))
        # the last item carries the gap below the box (the style spaces items apart)
        below = spacing(0, self.t.layout.summary_after, self.t.line_height, self.t.base_size)
        last = len(summary) - 1
        for i, item in enumerate(summary):
            self._emit(self._p(S.SUMMARY, self._inlines(item), below if i == last else None))

    # -------------------------------------------------------------- blocks

    def _blocks(self, blocks: tuple[m.Block, ...], flow: _Flow, emit: Callable[[Element], None]) -> None:
        for b in blocks:
            self._block(b, flow, emit)

    def _block(self, b: m.Block, flow: _Flow, emit: Callable[[Element], None]) -> None:
        match b:
            case m.Para(c):
                emit(self._p(flow.para_style, self._inlines(c)))
            case m.Heading(level, c, hid):
                emit(self._p(S.heading(level + self.heading_shift), self._bookmarked(hid, self._inlines(c))))
            case m.BulletList() | m.OrderedList():
                self._list(b, flow, emit)
            case m.BlockQuote(bs):
                self._blocks(bs, replace(flow, para_style=S.QUOTE), emit)
            case m.Figure(image, caption):
                emit(self._p(S.FIGURE, self._image(image, _Fmt(), block=True)))
                if caption:
                    emit(self._p(S.CAPTION, self._inlines(caption)))
            case m.Table():
                self._table(b, emit)
            case m.CodeBlock(code, _lang):
                # code reads left to right even in an Arabic story
                emit(self._p(S.CODE, self._runs(code.rstrip("\n"), _Fmt(), verbatim=True), bidi=False))
            case m.ThematicBreak():
                emit(self._p(S.RULE, []))
            case m.DefinitionList(items):
                for item in items:
                    emit(self._p(S.DEFINITION_TERM, self._inlines(item.term)))
                    for d in item.definitions:
                        self._blocks(d, replace(flow, para_style=S.DEFINITION), emit)
            case _:  # pragma: no cover - the model's block set is closed
                self.warn(f"block {type(b).__name__} cannot be represented and was left out")

    def _bookmarked(self, hid: str, content: list[Element]) -> list[Element]:
        """Wrap a heading's runs in the bookmark that ``#id`` links point to
        (a heading the presentation gave no id has none)."""
        name = self.bookmarks.get(hid)
        if not name:
            return content
        bid = self.next_id("bookmark")
        return [el("w:bookmarkStart", {"w:id": bid, "w:name": name}), *content, el("w:bookmarkEnd", {"w:id": bid})]

    def _list(self, lst: m.BulletList | m.OrderedList, flow: _Flow, emit: Callable[[Element], None]) -> None:
        """Each list gets its own ``w:num`` (so numbering restarts and honours
        ``start``); later blocks of an item continue at the item's indent."""
        level = flow.level + 1
        if level >= LIST_LEVELS:
            self.warn(f"list nested deeper than {LIST_LEVELS} levels; deeper items are shown at level {LIST_LEVELS}")
            level = LIST_LEVELS - 1
        is_ordered = isinstance(lst, m.OrderedList)
        num = self.styles.new_list(is_ordered, level, lst.start if isinstance(lst, m.OrderedList) else 1)
        style = S.LIST_NUMBER if is_ordered else S.LIST_BULLET
        inner = _Flow(S.list_continue(level), level)
        for item in lst.items:
            numbered = el("w:numPr", None, val("w:ilvl", level), val("w:numId", num))
            first, rest = (item.blocks[0], item.blocks[1:]) if item.blocks else (None, ())
            if isinstance(first, m.Para):
                emit(self._p(style, self._inlines(first.children), numbered))
            else:  # the marker still needs a paragraph of its own
                emit(self._p(style, [], numbered))
                rest = item.blocks
            self._blocks(tuple(rest), inner, emit)

    def _table(self, t: m.Table, emit: Callable[[Element], None]) -> None:
        if t.caption:
            emit(self._p(S.TABLE_CAPTION, self._inlines(t.caption)))
        rows: list[tuple[tuple[m.TableCell, ...], bool]] = [(t.header, True)] if t.header else []
        rows += [(r, False) for r in t.rows]
        ncols = max((len(r) for r, _ in rows), default=0)
        if not ncols:
            self.warn("an empty table was left out")
            return
        widths = self._column_widths([r for r, _ in rows], ncols)
        look = {"w:val": "0620" if t.header else "0600", "w:firstRow": int(bool(t.header)), "w:lastRow": 0,
                "w:firstColumn": 0, "w:lastColumn": 0, "w:noHBand": 1, "w:noVBand": 1}
        tbl = el("w:tbl", None, ordered("w:tblPr", [
            val("w:tblStyle", S.TABLE), el("w:bidiVisual") if self.rtl else None,
            el("w:tblW", {"w:w": sum(widths), "w:type": "dxa"}), el("w:tblLook", look)], TBLPR_ORDER),
            el("w:tblGrid", None, *(el("w:gridCol", {"w:w": w}) for w in widths)))
        mirror = {"left": "right", "right": "left"} if self.rtl else {}
        for cells, head in rows:
            tr = el("w:tr", None, el("w:trPr", None, el("w:cantSplit"), el("w:tblHeader") if head else None))
            for i in range(ncols):
                cell = cells[i] if i < len(cells) else m.TableCell(())
                align = t.align[i] if i < len(t.align) else ""
                jc = val("w:jc", mirror.get(align, align)) if align else None
                p = self._p(S.TABLE_HEADING if head else S.TABLE_CONTENTS, self._inlines(cell.children), jc)
                tr.append(el("w:tc", None, el("w:tcPr", None, el("w:tcW", {"w:w": widths[i], "w:type": "dxa"})), p))
            tbl.append(tr)
        emit(tbl)
        # Word merges adjacent tables and wants a paragraph after a table that ends a story (a
        # footnote, the body); this one also gives the table its bottom margin, as in the PDF.
        emit(self._p(S.TABLE_CONTENTS, []))

    def _column_widths(self, rows: list[tuple[m.TableCell, ...]], ncols: int) -> list[int]:
        """Full text width shared by content length (capped, so one long
        column cannot starve the others)."""
        weights = []
        for i in range(ncols):
            longest = max((len(m.inline_text(r[i].children)) for r in rows if i < len(r)), default=0)
            weights.append(min(max(longest, 4), 40))
        total = twips(self.t.text_width)
        widths = [total * w // sum(weights) for w in weights]
        widths[-1] += total - sum(widths)
        return widths

    # ----------------------------------------------------------- footnotes

    def _footnotes(self) -> bool:
        """``word/footnotes.xml`` with one ``w:footnote`` per referenced note,
        each starting with its ``w:footnoteRef`` mark."""
        if not self.note_ids:
            return False
        part = self.shared.footnotes()
        self.part = part
        for note in self.shown.notes:
            nid = self.note_ids[note.label]
            fn = el("w:footnote", {"w:id": nid})
            self._blocks(note.blocks, _Flow(S.FOOTNOTE_TEXT), fn.append)
            first = fn.find(qn("w:p"))
            if first is None or fn.index(first) != 0:
                first = self._p(S.FOOTNOTE_TEXT, [])
                fn.insert(0, first)
            mark = el("w:r", None, rpr(val("w:rStyle", S.FOOTNOTE_REF)), el("w:footnoteRef"))
            first.insert(1 if first.find(qn("w:pPr")) is not None else 0, mark)
            mark.addnext(el("w:r", None, None, text(" ")))
            part.element.append(fn)
        self.part = self.doc.part
        return True


def _utc(d: datetime) -> datetime:
    return d.astimezone(UTC).replace(tzinfo=None) if d.tzinfo else d


class Composer:
    """One document of many stories (an edition). ``front`` is an article
    standing for the whole document: its metadata become the document's
    properties, its language the document's. Paragraphs of the caller's
    own (cover, section headings), a contents field and stories go in, in
    order; each story is built by the same :class:`_Builder` as a single
    story, into the shared document, with its own bookmark names, its
    headings one level down and its footnotes numbered from 1 (each story
    ends a Word section whose footnote numbering restarts)."""

    def __init__(self, writer: DocxWriter, ctx: RenderContext, front: m.Article) -> None:
        meta = front.meta
        shared = _Shared.new(writer, scripts_for(writer.theme, meta.language, meta.direction == "rtl"))
        self.writer, self.ctx = writer, ctx
        self.front = _Builder(front, writer, ctx, shared)
        self.nodes: list[object] = []
        self.plain: list[str] = []
        self.has_notes = False
        self.breaks: list[tuple[Element, str]] = []  # paragraphs that end a Word section, and how the next starts

    def paragraph(self, style: str, text: str, bookmark: str = "") -> None:
        runs = self.front._runs(text, _Fmt())
        if bookmark:
            bid = self.front.next_id("bookmark")
            runs = [el("w:bookmarkStart", {"w:id": bid, "w:name": bookmark}), *runs, el("w:bookmarkEnd", {"w:id": bid})]
        self.front._emit(self.front._p(style, runs))
        self.plain.append(text)

    def contents(self, levels: str, entries: list[tuple[int, str, str]]) -> None:
        """A contents (``TOC``) field over outline ``levels`` (``"1-2"``),
        its cached result listing ``(level, text, bookmark)`` entries as
        links, so it reads before Word updates it (and gets page numbers)."""
        def props() -> Element | None:
            return None

        begin, instr, separate, _result, end = field(f'TOC \\o "{levels}" \\h \\z \\u', "", props)
        for i, (level, label, bookmark) in enumerate(entries):
            link = el("w:hyperlink", {"w:anchor": bookmark, "w:history": 1},
                      *self.front._runs(label, _Fmt(bold=level == 1)))
            lead = [begin, instr, separate] if i == 0 else []
            self.front._emit(self.front._p(S.BODY, [*lead, link], el("w:ind", {"w:left": twips(
                self.writer.theme.spacing["list_indent"] * (level - 1))})))
            self.plain.append(label)
        self.front._emit(self.front._p(S.BODY, [end]))

    def section_break(self, start: str = "nextPage") -> None:
        """End a Word section here; the next starts on a new page
        (``nextPage``) or runs on (``continuous``)."""
        p = self.front._p(S.BODY, [])
        self.front._emit(p)
        self.breaks.append((p, start))

    def story(self, article: m.Article, prefix: str, title_bookmark: str) -> None:
        b = _Builder(article, self.writer, self.ctx, self.front.shared, prefix, heading_shift=1)
        b.title_bookmark = title_bookmark
        b.story()
        self.has_notes = b._footnotes() or self.has_notes
        self.nodes += b.nodes
        self.plain.append(m.plain_text(article))

    def finish(self, running_style: str, running_now: str) -> bytes:
        """The document: running heads name the current ``running_style``
        paragraph (a ``STYLEREF`` field, cached as ``running_now``), every
        section restarts its footnote numbers."""
        def props() -> Element | None:
            return None

        front = self.front
        front.finish(self.has_notes, self.nodes, "\n".join(self.plain),
                     field(f'STYLEREF "{running_style}"', running_now, props), update_fields=True)
        body_sect = front.sect
        restart = el("w:footnotePr", None, val("w:numStart", 1), val("w:numRestart", "eachSect"))
        first_prop = next(c for c in body_sect if not c.tag.endswith(("headerReference", "footerReference")))
        first_prop.addprevious(restart)
        # a section's w:type says how it starts: as the break before it asked
        starts = ["nextPage", *(start for _p, start in self.breaks)]
        for (p, _start), begins in zip(self.breaks, starts, strict=False):
            sect = copy.deepcopy(body_sect)
            sect.find(qn("w:footnotePr")).addnext(val("w:type", begins))
            p.find(qn("w:pPr")).append(sect)
        restart.addnext(val("w:type", starts[-1]))
        return build_zip(package_members(front.doc), front.a.meta.modified)
