"""Print-quality, tagged PDFs through WeasyPrint.

The article goes through the shared XHTML renderer with page footnotes
(``float: footnote``) and is laid out with the theme's print style sheet
(``print.css.j2``, generated from the theme's tokens). Around WeasyPrint this
writer adds what a newsroom needs and WeasyPrint leaves to its caller:

* metadata (Info dictionary and XMP) taken from the model, never from the
  clock, and a document identifier derived from the article;
* fonts restricted to the theme: WeasyPrint gets a fontconfig configuration
  holding only the theme's fonts and the system CJK faces the theme names, so
  output never depends on what else the machine has installed, and a
  character none of them can draw is reported;
* a URL fetcher that serves only the article's vetted images and the theme
  (:mod:`.pdf_fetch`), and WeasyPrint's own log routed into the build's
  warnings.

WeasyPrint takes about a second to import, so it is imported at the first
render, not with this module (``storyexport --help`` stays fast), and its
parsed style sheet and font configuration are built once per writer
instance, which the build keeps for the whole process.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..compat.weasyprint import THEME_FONTS_ONLY, html_document, restrict_fonts, share_image_stream, tune
from ..config import Site
from ..errors import WriterError
from ..i18n import format_date, labels
from ..model import Article, Asset, depth, inline_text, plain_text
from ..theme import Theme
from ..xhtml import HtmlOptions, render_article, render_css
from . import RenderContext, Writer, present_story
from .fonts import Face, cmap, machine_faces, system_font_faces, theme_system_faces

MAX_DEPTH = 100
"""Deepest model nesting rendered. WeasyPrint lays boxes out recursively and
fails with ``RecursionError`` somewhere past ~130 nested elements (after
spending minutes on very deep input); the HTML adds a few levels of its own."""

IMAGE_CACHE_ENTRIES = 256
IMAGE_CACHE_BYTES = 64 * 1024 * 1024
_WRAPPER_DEPTH = 4  # html > body > article > div.body around the blocks
_SUMMARY_DEPTH = 3  # aside > ul > li around a summary item


def _file_uri(path: str | Path) -> str:
    return Path(path).absolute().as_uri()


def _w3c(when: datetime) -> str:
    """A W3C date-time, the only form WeasyPrint puts into the PDF."""
    return when.replace(microsecond=0).isoformat()


def nesting_depth(article: Article) -> int:
    """How deep the article's HTML will nest, counted in model levels. A
    page footnote is laid out inside its paragraph, as the note sits inside
    it in the model, so a block's depth counts its notes'."""
    blocks = max((depth(b) for b in article.blocks), default=0)
    summary = max((depth(i) + _SUMMARY_DEPTH for item in article.meta.summary for i in item), default=0)
    return max(blocks, summary) + _WRAPPER_DEPTH


def subject(article: Article) -> str:
    """The PDF Subject: the dek, else the description, else the summary."""
    m = article.meta
    return m.subtitle or m.description or " ".join(inline_text(item) for item in m.summary)


def document_identifier(article: Article) -> bytes:
    """A stable first half of the PDF ``/ID``: the same article always gets
    the same identifier, whatever machine or day it is rendered on."""
    return identifier_for(article.meta.canonical_url or f"storyexport:{article.meta.slug}")


def identifier_for(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32].encode("ascii")


@dataclass(frozen=True)
class DocInfo:
    """What the PDF says about itself (Info dictionary, XMP, ``/ID``): an
    article's metadata, or an edition's."""

    title: str
    authors: tuple[str, ...]
    description: str  # the Subject: a dek, or an edition's headlines
    keywords: tuple[str, ...]  # tags, or an edition's sections
    dates: tuple[datetime, datetime]  # created, modified
    language: str
    rights: str
    identifier: bytes  # the first half of /ID
    source: str  # where errors point

    @classmethod
    def of(cls, article: Article) -> DocInfo:
        m = article.meta
        return cls(m.title, tuple(a.name for a in m.authors), subject(article), m.tags, (m.published, m.modified),
                   m.language, m.rights, document_identifier(article), article.source_path)


# ------------------------------------------------------------------ fonts


def _ignorable(ch: str) -> bool:
    """Characters that need no glyph: spaces, controls, format characters
    (joiners, direction marks, soft hyphens) and variation selectors."""
    cp = ord(ch)
    return (ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zs", "Zl", "Zp")
            or 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF)


class GlyphCoverage:
    """Which characters the theme's fonts can draw. The theme's own files
    are read once; the big CJK collections only when an article has a
    character the theme's files lack."""

    def __init__(self, theme_files: Iterable[str], system_faces: Iterable[Face]) -> None:
        self.theme: set[int] = set()
        for f in theme_files:
            try:
                self.theme |= cmap(f)
            except Exception as e:  # fontTools raises many types on a broken file
                raise WriterError(f"theme font {f} is unreadable ({type(e).__name__}: {e})", f) from None
        self._system_faces = list(system_faces)
        self._system: set[int] | None = None

    def missing(self, text: str) -> list[str]:
        chars = {c for c in set(text) if ord(c) not in self.theme and not _ignorable(c)}
        if chars and self._system_faces:
            if self._system is None:
                self._system = set()
                for path, index in self._system_faces:
                    with contextlib.suppress(Exception):
                        self._system |= cmap(path, index)
            chars = {c for c in chars if ord(c) not in self._system}
        return sorted(chars)


CHROME = "0123456789 . · • –"
"""What the template and print style sheet add around the article (running
footer, list markers, footnote numbers, dateline)."""


def printed_text(article: Article) -> str:
    """Every character the PDF shows."""
    m = article.meta
    dates = [format_date(d, m.language) for d in (m.published, m.updated) if d is not None]
    lab = labels(m.language)
    words = [lab.glance, lab.updated, lab.and_, lab.list_sep, lab.page, lab.of, lab.back]
    return "\n".join([plain_text(article), m.publisher, m.rights, *dates, *words, CHROME])


# ------------------------------------------------------------------- logs


class _Forward(logging.Handler):
    """Sends WeasyPrint's warnings and errors to a callback, except the
    echo of a resource our fetcher already reported."""

    def __init__(self, report: Callable[[str], None]) -> None:
        super().__init__(logging.WARNING)
        self.report = report

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if "RefusedResource" not in msg:
            self.report(" ".join(msg.split()))


@contextlib.contextmanager
def weasyprint_log(report: Callable[[str], None]) -> Iterator[None]:
    logger = logging.getLogger("weasyprint")
    handler = _Forward(report)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


# ------------------------------------------------------------------- XMP

_NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
}
_XPACKET_HEAD = b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
_XPACKET_TAIL = b'\n<?xpacket end="r"?>'


def _q(prefix: str, name: str) -> str:
    return f"{{{_NS[prefix]}}}{name}"


def xmp_packet(rdf: bytes, producer: str, m: DocInfo) -> bytes:
    """The XMP packet: WeasyPrint's RDF (title, creators, description,
    keywords, dates, PDF/A or PDF/UA identification) with our Producer and the
    language, subjects and rights it leaves out."""
    root = ET.fromstring(rdf)
    for desc in root.iter(_q("rdf", "Description")):
        if _q("pdf", "Producer") in desc.attrib:
            desc.set(_q("pdf", "Producer"), producer)
    desc = ET.SubElement(root, _q("rdf", "Description"), {_q("rdf", "about"): ""})
    bag = ET.SubElement(ET.SubElement(desc, _q("dc", "language")), _q("rdf", "Bag"))
    ET.SubElement(bag, _q("rdf", "li")).text = m.language
    if m.keywords:
        bag = ET.SubElement(ET.SubElement(desc, _q("dc", "subject")), _q("rdf", "Bag"))
        for tag in m.keywords:
            ET.SubElement(bag, _q("rdf", "li")).text = tag
    if m.rights:
        alt = ET.SubElement(ET.SubElement(desc, _q("dc", "rights")), _q("rdf", "Alt"))
        ET.SubElement(alt, _q("rdf", "li"), {"xml:lang": "x-default"}).text = m.rights
    meta = ET.Element(_q("x", "xmpmeta"))
    meta.append(root)
    return _XPACKET_HEAD + ET.tostring(meta, encoding="utf-8", xml_declaration=False) + _XPACKET_TAIL


for _prefix, _uri in _NS.items():
    ET.register_namespace(_prefix, _uri)


# ----------------------------------------------------------------- writer


@dataclass
class _Engine:
    """What one process builds once and reuses for every article."""

    weasyprint: Any
    font_config: Any
    css: Any
    coverage: GlyphCoverage
    missing_system: tuple[str, ...]
    notes: list[str] = field(default_factory=list)  # theme problems, reported once


class PdfWriter(Writer):
    name = "pdf"
    extension = "pdf"
    media_type = "application/pdf"
    version = "1"
    enclosure = 2  # feeds attach the PDF, preferred (RSS keeps one: this)
    description = "print-ready, tagged PDF per article (WeasyPrint)"
    libraries = ("weasyprint", "pydyf", "tinycss2", "cssselect2", "tinyhtml5", "Pyphen", "fonttools", "Pillow",
                 "cffi", "Jinja2", "MarkupSafe")
    # what WeasyPrint lays text out and embeds fonts with (the vector one
    # draws colour glyphs, where HarfBuzz is recent enough to have it);
    # GLib's Unicode tables and libthai decide where Pango breaks lines
    native_libraries = ("libpango-1.0.so.0", "libpangoft2-1.0.so.0", "libharfbuzz.so.0", "libharfbuzz-subset.so.0",
                        "libharfbuzz-vector.so.0", "libfontconfig.so.1", "libfreetype.so.6", "libfribidi.so.0",
                        "libthai.so.0", "libglib-2.0.so.0")

    def __init__(self, theme: Theme, site: Site) -> None:
        super().__init__(theme, site)
        self._engine: _Engine | None = None
        self._images: dict[str, Any] = {}
        self._sheets: dict[str, Any] = {}  # further style sheets by text, parsed once

    def image_cache(self) -> dict[str, Any]:
        """WeasyPrint's decoded-image cache, shared by the articles this
        process renders (a logo or chart decoded once, not per article).
        Image URLs carry the asset's hash, so a changed file is a new entry;
        the cache is emptied between articles once it holds too much."""
        held = sum(len(v) for v in self._images.values() if isinstance(v, bytes | bytearray))
        if len(self._images) > IMAGE_CACHE_ENTRIES or held > IMAGE_CACHE_BYTES:
            self._images.clear()
        for url in [u for u, v in self._images.items() if v is None]:
            del self._images[url]  # a failed image: retry, so each article reports it
        for image in self._images.values():
            share_image_stream(image)
        return self._images

    def fonts(self) -> tuple[Face, ...]:
        """The machine's faces of the families the theme names; where
        WeasyPrint is not restricted to the theme's fonts, every face of the
        machine, as any may stand in."""
        return theme_system_faces(self.theme) if THEME_FONTS_ONLY.active() else tuple(machine_faces())

    # --------------------------------------------------------------- setup

    def _theme_dirs(self) -> list[str]:
        return [str(d) for d in self.theme.dirs]

    def engine(self) -> _Engine:
        """WeasyPrint, the parsed print style sheet and the font
        configuration, built at the first render and then reused."""
        if self._engine is not None:
            return self._engine
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        tune()

        from .pdf_fetch import SafeFetcher

        theme_files = [str(p) for _fam, _b, _i, p in self.theme.font_files()]
        system = system_font_faces(self.theme.system_fonts)
        system_faces = sorted({face for faces in system.values() for face in faces})
        coverage = GlyphCoverage(theme_files, system_faces)  # also proves the theme's fonts are readable

        font_config = FontConfiguration()
        restricted = restrict_fonts(font_config, sorted({path for path, _index in system_faces}))
        notes: list[str] = []
        fetcher = SafeFetcher(dirs=self._theme_dirs(),
                              on_refuse=lambda url, why: notes.append(f"theme resource refused: {url} ({why})"))
        css_text = render_css(self.theme, "print", _file_uri)
        with weasyprint_log(notes.append):
            css = weasyprint.CSS(string=css_text, base_url=_file_uri(self.theme.dirs[0]) + "/",
                                 url_fetcher=fetcher, font_config=font_config)
        broken = [n for n in notes if "Font-face" in n]
        if broken:
            # Laying out text with no usable font crashes Pango: stop here.
            raise WriterError(f"theme {self.theme.name!r}: {'; '.join(broken)}", str(self.theme.dirs[0]))
        if not restricted:
            notes.append("fontconfig could not be restricted to the theme's fonts; "
                         "characters they lack may be drawn with other fonts of this machine")
        self._engine = _Engine(weasyprint, font_config, css, coverage,
                               tuple(f for f, files in system.items() if not files),
                               [f"theme print CSS: {n}" for n in notes])
        return self._engine

    # -------------------------------------------------------------- render

    def options(self, info: DocInfo, css: Any, extra: tuple[Any, ...] = ()) -> dict[str, Any]:
        """WeasyPrint options for one document."""
        return {
            "stylesheets": [css, *extra],
            "pdf_tags": True,
            "pdf_variant": self.site.pdf_variant or None,
            "pdf_identifier": info.identifier,
            "cache": self.image_cache(),
        }

    @staticmethod
    def check_depth(article: Article) -> None:
        """Refuse what WeasyPrint cannot lay out, before it spends minutes failing."""
        deep = nesting_depth(article)
        if deep > MAX_DEPTH:
            raise WriterError(f"content nested {deep} levels deep; the PDF writer renders at most "
                              f"{MAX_DEPTH} (flatten the lists or quotes)", article.source_path)

    def check_glyphs(self, article: Article, ctx: RenderContext, eng: _Engine) -> None:
        """Warn about characters no font of the theme can draw."""
        while eng.notes:
            ctx.warn(None, f"pdf: {eng.notes.pop(0)}", "pdf.layout")
        missing = eng.coverage.missing(printed_text(article))
        if missing:
            shown = ", ".join(f"{c!r} (U+{ord(c):04X} {unicodedata.name(c, 'unnamed')})" for c in missing[:12])
            more = f" and {len(missing) - 12} more" if len(missing) > 12 else ""
            hint = (f"; system fonts named by the theme but not installed: {', '.join(eng.missing_system)}"
                    " (run scripts/install-system-deps.sh)" if eng.missing_system else "")
            ctx.warn(article, f"pdf: no font of theme {self.theme.name!r} can draw {shown}{more}; "
                              f"they will print as empty boxes{hint}", "pdf.font")

    def render(self, article: Article, ctx: RenderContext) -> bytes:
        self.check_depth(article)
        eng = self.engine()
        self.check_glyphs(article, ctx, eng)
        html = render_article(present_story(article, ctx), self.theme, self.site,
                              HtmlOptions(image_url=self.image_url, footnotes="float"))
        return self.render_html(html, DocInfo.of(article), article.assets, ctx, article)

    @staticmethod
    def image_url(asset: Asset) -> str:
        """How the page names an image: by its content, never by its folder
        (see :data:`pdf_fetch.ASSET_HOST`), so the PDF's bytes do not depend
        on where the sources are."""
        from .pdf_fetch import ASSET_HOST

        return f"https://{ASSET_HOST}/{asset.sha256}/{quote(os.fsencode(Path(asset.path).name))}"

    def render_html(self, html: str, info: DocInfo, assets: Iterable[Asset], ctx: RenderContext,
                    article: Article | None, extra_css: tuple[Any, ...] = ()) -> bytes:
        """Lay out a page this writer's renderer made (one article, or an
        edition of many) with the theme's print style sheet (and
        ``extra_css``, parsed by :meth:`stylesheet`), fetching only
        ``assets`` and the theme; warnings name ``article`` (or none)."""
        eng = self.engine()
        from weasyprint.urls import FatalURLFetchingError

        from .pdf_fetch import SafeFetcher

        assets = list(assets)
        fetcher = SafeFetcher(
            files=[a.path for a in assets], dirs=self._theme_dirs(), hosts=self.site.allowed_hosts,
            assets={a.sha256: a.path for a in assets},
            on_refuse=lambda url, why: ctx.warn(article, f"pdf: resource not loaded: {url} ({why})",
                                                 "pdf.resource"))
        options = self.options(info, eng.css, extra_css)
        try:
            with weasyprint_log(lambda msg: ctx.warn(article, f"pdf: WeasyPrint: {msg}", "pdf.layout")):
                doc = html_document(eng.weasyprint, html, self.site.base_url or None,
                                  fetcher).render(font_config=eng.font_config, **options)
                self._metadata(doc.metadata, info)
                return bytes(doc.write_pdf(finisher=self._finisher(info), **options))
        except FatalURLFetchingError as e:  # a BaseException: not caught by the build's safety net
            raise WriterError(f"resource fetching stopped the PDF: {e}", info.source) from None

    def stylesheet(self, css_text: str) -> Any:
        """A further style sheet (made from the theme's tokens), parsed with
        this writer's fonts and fetcher, for :meth:`render_html`."""
        if css_text in self._sheets:
            return self._sheets[css_text]
        eng = self.engine()
        from .pdf_fetch import SafeFetcher

        notes: list[str] = []
        fetcher = SafeFetcher(dirs=self._theme_dirs(), on_refuse=lambda url, why: notes.append(url))
        with weasyprint_log(notes.append):
            css = eng.weasyprint.CSS(string=css_text, base_url=_file_uri(self.theme.dirs[0]) + "/",
                                     url_fetcher=fetcher, font_config=eng.font_config)
        eng.notes.extend(f"theme print CSS: {n}" for n in notes)
        self._sheets[css_text] = css
        return css

    @staticmethod
    def _metadata(md: Any, info: DocInfo) -> None:
        """Document metadata from the model (WeasyPrint would read it back
        from the HTML head, splitting keywords on commas)."""
        md.title = info.title
        md.authors = list(info.authors)
        md.description = info.description or None
        md.keywords = list(info.keywords)
        md.generator = f"storyexport {__version__}"
        md.created, md.modified = (_w3c(d) for d in info.dates)
        md.lang = info.language

    def _finisher(self, info: DocInfo) -> Callable[[Any, Any], None]:
        """Name storyexport as the producer in the Info dictionary and write
        XMP metadata matching it (WeasyPrint adds XMP only for PDF/A and
        PDF/UA, naming itself)."""

        def finish(document: Any, pdf: Any) -> None:
            import pydyf

            weasy = self.engine().weasyprint
            producer = f"storyexport {__version__} (WeasyPrint {weasy.__version__})"
            if pdf.info:
                pdf.info["Producer"] = pydyf.String(producer)
            ref = pdf.catalog.get("Metadata")
            stream = pdf.objects[int(ref.split()[0])] if ref else None
            old = b"".join(s if isinstance(s, bytes) else str(s).encode() for s in stream.stream) if stream else b""
            found = re.search(rb"<rdf:RDF.*</rdf:RDF>", old, re.S)
            rdf = found.group(0) if found else document.metadata.generate_rdf_metadata(None, None, None)
            packet = xmp_packet(rdf, producer, info)
            if stream is not None:
                stream.stream = [packet]
            else:
                stream = pydyf.Stream([packet], {"Type": "/Metadata", "Subtype": "/XML"}, compress=False)
                pdf.add_object(stream)
                pdf.catalog["Metadata"] = stream.reference

        return finish
