"""EPUB 3 e-books, one per article, built on EbookLib.

The article page is the shared XHTML renderer's output (footnotes as EPUB 3
noterefs and asides), styled by the theme's ``ereader.css`` with the theme's
fonts embedded, subset to the characters the book uses. Around it: a cover
page (the article's cover image, or one drawn from the theme), a navigation
document and an NCX built from the title and headings, and package metadata
including schema.org accessibility properties.

EbookLib writes the container; we hand it finished XHTML as plain items (its
``EpubHtml`` re-parses content with an HTML parser and rebuilds the head),
pin every id it would otherwise invent (the random ``uuid4`` identifier, the
clock-based ``dcterms:modified``), and re-zip the result with fixed
timestamps so two exports are byte-identical.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ebooklib import epub
from lxml import etree

from ..compat.ebooklib import package_members
from ..config import Site
from ..errors import WriterError
from ..model import Article, Asset, Heading, inline_text, walk
from ..theme import Theme
from ..xhtml import HtmlOptions, render_article, render_css
from . import RenderContext, Writer, present_story
from .epub_cover import cover_alt, generate_cover
from .fonts import Face, subset_for, theme_system_faces
from .fonts import subset_font as subset_font  # re-exported: callers clear its cache
from .ziputil import build_zip

CONTENT = "article.xhtml"
COVER_PAGE = "cover.xhtml"
NAV = "nav.xhtml"
NCX = "toc.ncx"
CSS = "style/ereader.css"
GENERATED_COVER = "cover.png"  # outside images/, so it never meets an article image's name

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

FONT_TYPES = {".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2"}
"""EPUB 3.3 core media types for fonts (EPUBCheck accepts them without a
fallback or a warning)."""

COVER_LABEL = {"en": "Cover", "ar": "الغلاف", "ja": "表紙", "zh": "封面", "ko": "표지", "fr": "Couverture",
               "de": "Umschlag", "es": "Cubierta", "it": "Copertina", "pt": "Capa", "ru": "Обложка"}
"""The one interface word the book shows (in the hidden landmarks list)."""

ACCESSIBILITY_SUMMARY = (
    "This publication is a single reflowable article with a navigation document built from its headings, "
    "headings in reading order and alternative text for every image; footnotes, where there are any, link to "
    "and from their references. Text can be resized and restyled by the reading system."
)

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


# --------------------------------------------------------------- metadata


def book_identifier(article: Article, site: Site) -> str:
    """A UUID derived from the article's canonical URL (else its URL on the
    site, else its slug): a re-export keeps the identifier, so reading systems
    update the book instead of shelving a duplicate."""
    key = article.meta.canonical_url or site.absolute(article.meta.slug) or article.meta.slug
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}"


def w3cdtf(when: datetime) -> str:
    """``CCYY-MM-DDThh:mm:ssZ`` in UTC, the form ``dcterms:modified`` requires."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _meta(book: epub.EpubBook, prop: str, value: str, **attrs: str) -> None:
    book.add_metadata(None, "meta", value, {"property": prop, **attrs})


def _set_metadata(book: epub.EpubBook, article: Article, site: Site) -> None:
    """Dublin Core and schema.org accessibility metadata, all from the model."""
    m = article.meta
    book.set_identifier(book_identifier(article, site))
    book.set_title(m.title)
    book.set_language(m.language)
    for i, author in enumerate(m.authors, 1):
        book.add_author(author.name, role="aut", uid=f"creator{i}")
    for name, value in (("publisher", m.publisher), ("date", w3cdtf(m.published)),
                        ("description", m.description or m.subtitle), ("rights", m.rights)):
        if value:
            book.add_metadata("DC", name, value)
    for tag in m.tags:
        book.add_metadata("DC", "subject", tag)
    if m.direction == "rtl":
        book.set_direction("rtl")
    accessibility_metadata(book, ACCESSIBILITY_SUMMARY)


def accessibility_metadata(book: epub.EpubBook, summary: str) -> None:
    """EPUB Accessibility 1.1 discovery metadata. Every book has a cover image
    (with alternative text, as every image has), so it is always visual too."""
    for mode in ("textual", "visual"):
        _meta(book, "schema:accessMode", mode)
    _meta(book, "schema:accessModeSufficient", "textual")
    for feature in ("structuralNavigation", "tableOfContents", "readingOrder", "displayTransformability",
                    "alternativeText"):
        _meta(book, "schema:accessibilityFeature", feature)
    _meta(book, "schema:accessibilityHazard", "none")
    _meta(book, "schema:accessibilitySummary", summary, **{XML_LANG: "en"})


# ------------------------------------------------------------ navigation


@dataclass
class TocEntry:
    """One line of the table of contents; children are lower-level headings."""

    title: str
    href: str
    children: list[TocEntry] = field(default_factory=list)


def toc_tree(article: Article, ids: set[str], href: str = CONTENT, prefix: str = "") -> TocEntry:
    """The title, with the article's headings (h2..h6 that have an id in the
    page ``href``, each id after ``prefix``) nested under it by level. Never
    empty: the title is always there."""
    root = TocEntry(article.meta.title, href)
    stack: list[tuple[int, TocEntry]] = [(1, root)]
    listed: set[str] = set()  # a duplicated id leads to its first heading only
    for block in article.blocks:
        for node in walk(block):
            if not isinstance(node, Heading) or prefix + node.id not in ids or node.id in listed:
                continue
            listed.add(node.id)
            title = " ".join(inline_text(node.children).split())
            if not title:
                continue
            entry = TocEntry(title, f"{href}#{prefix}{node.id}")
            level = max(2, node.level)
            while stack[-1][0] >= level:
                stack.pop()
            stack[-1][1].children.append(entry)
            stack.append((level, entry))
    return root


def ncx_toc(entry: TocEntry, counter: list[int]) -> Any:
    """EbookLib's TOC structure (``Link`` or ``(Link, [children])``)."""
    counter[0] += 1
    link = epub.Link(entry.href, entry.title, f"navpoint-{counter[0]}")
    if not entry.children:
        return link
    return (link, [ncx_toc(c, counter) for c in entry.children])


def _page(lang: str, direction: str, title: str, body: etree._Element) -> bytes:
    """A complete XHTML content document around ``body``."""
    html = etree.Element(f"{{{XHTML_NS}}}html", nsmap={None: XHTML_NS, "epub": EPUB_NS})
    html.set("lang", lang)
    html.set(XML_LANG, lang)
    html.set("dir", direction)
    head = etree.SubElement(html, f"{{{XHTML_NS}}}head")
    etree.SubElement(head, f"{{{XHTML_NS}}}meta", charset="utf-8")
    etree.SubElement(head, f"{{{XHTML_NS}}}title").text = title
    etree.SubElement(head, f"{{{XHTML_NS}}}link", rel="stylesheet", type="text/css", href=CSS)
    html.append(body)
    return etree.tostring(etree.ElementTree(html), encoding="utf-8", xml_declaration=True,
                          doctype="<!DOCTYPE html>", pretty_print=True)


def _el(parent: etree._Element, tag: str, text: str = "", **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, f"{{{XHTML_NS}}}{tag}", attrs)
    if text:
        el.text = text
    return el


def nav_document(article: Article, toc: TocEntry, cover_label: str) -> bytes:
    """The EPUB 3 navigation document: the table of contents and hidden
    landmarks (cover, start of the text)."""
    m = article.meta
    return navigation(m.language, m.direction, m.title, [toc],
                      [("cover", COVER_PAGE, cover_label), ("bodymatter", CONTENT, m.title)])


def navigation(lang: str, direction: str, title: str, toc: list[TocEntry],
               landmarks: list[tuple[str, str, str]]) -> bytes:
    """A navigation document: ``toc`` as nested lists, and hidden
    ``(epub:type, href, label)`` landmarks."""
    body = etree.Element(f"{{{XHTML_NS}}}body")
    nav = _el(body, "nav", id="toc", role="doc-toc", **{f"{{{EPUB_NS}}}type": "toc"})
    _el(nav, "h1", title)

    def add(parent: etree._Element, entries: list[TocEntry]) -> None:
        ol = _el(parent, "ol")
        for e in entries:
            li = _el(ol, "li")
            _el(li, "a", e.title, href=e.href)
            if e.children:
                add(li, e.children)

    add(nav, toc)
    marks = _el(body, "nav", id="landmarks", hidden="hidden", **{f"{{{EPUB_NS}}}type": "landmarks"})
    ol = _el(marks, "ol")
    for kind, href, label in landmarks:
        _el(_el(ol, "li"), "a", label, href=href, **{f"{{{EPUB_NS}}}type": kind})
    return _page(lang, direction, title, body)


def cover_page(article: Article, image_href: str, width: int, height: int) -> bytes:
    """The cover as the book's first page: the image alone, with alt text."""
    m = article.meta
    return cover_document(m.language, m.direction, m.title, cover_alt(article), image_href, width, height)


def cover_document(lang: str, direction: str, title: str, alt: str, image_href: str, width: int,
                   height: int) -> bytes:
    """A cover page showing one image."""
    body = etree.Element(f"{{{XHTML_NS}}}body", {"class": "cover-page", f"{{{EPUB_NS}}}type": "cover"})
    div = _el(body, "div", **{"class": "cover"})
    _el(div, "img", **{"class": "cover-image", "src": image_href, "alt": alt, "role": "doc-cover",
                       "width": str(width), "height": str(height)})
    return _page(lang, direction, title, body)


# ---------------------------------------------------------------- content


def asset_names(assets: tuple[Asset, ...]) -> dict[str, str]:
    """A safe, unique file name inside the container for every asset (ASCII,
    no spaces: EPUBCheck flags both for old reading systems)."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for a in assets:
        stem, dot, ext = Path(a.key).name.rpartition(".")
        base = re.sub(r"[^A-Za-z0-9_-]+", "-", stem if dot else ext).strip("-") or "image"
        suffix = "." + re.sub(r"[^A-Za-z0-9]", "", ext).lower() if dot else ""
        name, n = f"{base}{suffix}", 1
        while name.lower() in used:
            n += 1
            name = f"{base}-{n}{suffix}"
        used.add(name.lower())
        names[a.key] = name
    return names


def _book_chars(*docs: bytes) -> str:
    """Every character the book's pages can display, in both cases (the CSS
    upper-cases some labels), plus printable ASCII."""
    text = "".join("".join(etree.fromstring(d, _PARSER).itertext()) for d in docs)
    chars = set(text) | set(text.upper()) | set(text.lower()) | {chr(c) for c in range(0x20, 0x7F)}
    return "".join(sorted(c for c in chars if c.isprintable() or c == " "))


# -------------------------------------------------------------- packaging


def _opf_finisher(lang: str) -> Callable[[etree._Element], None]:
    """Finishes EbookLib's package element our way: ``xml:lang`` for the
    language of the metadata, and without EbookLib's declaration of the
    ``rendition:`` prefix, which EPUB 3 predefines and no property of ours uses."""

    def finish(root: etree._Element) -> None:
        root.set(XML_LANG, lang)
        prefixes = [p for p in re.split(r"\s+(?=\S+:\s)", root.get("prefix", "")) if p and
                    not p.startswith("rendition:")]
        if prefixes:
            root.set("prefix", " ".join(prefixes))
        else:
            root.attrib.pop("prefix", None)

    return finish


def package(book: epub.EpubBook, modified: datetime, lang: str, rtl: bool) -> bytes:
    """The container, zipped once with fixed timestamps (``mimetype``
    first and stored, as OCF requires)."""
    options = {"mtime": modified.astimezone(UTC),  # else EbookLib stamps the clock
               "raise_exceptions": True, "epub3_pages": False, "epub3_landmark": False,
               "package_direction": rtl}
    members = package_members(book, options, _opf_finisher(lang))
    return build_zip(members, modified, stored=["mimetype"])


def image_size(png: bytes) -> tuple[int, int]:
    """Width and height of a drawn cover."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        return im.size


def package_item(uid: str, name: str, media_type: str, content: bytes,
          cls: Callable[..., epub.EpubItem] = epub.EpubItem) -> epub.EpubItem:
    item = cls(uid=uid, file_name=name)
    item.media_type = media_type
    item.content = content
    return item


def add_image(book: epub.EpubBook, ctx: RenderContext, asset: Asset, name: str, uid: str, cover: bool) -> None:
    """An image the pages show (or the cover image) as a package item."""
    book.add_item(package_item(uid, name, asset.media_type, ctx.asset_bytes(asset),
                        epub.EpubCover if cover else epub.EpubImage))


class EpubWriter(Writer):
    name = "epub"
    extension = "epub"
    media_type = "application/epub+zip"
    version = "1"
    enclosure = 1  # feeds attach the EPUB too (after the PDF in preference)
    description = "EPUB 3 e-book per article (EPUBCheck-clean, accessible)"
    libraries = ("EbookLib", "lxml", "Pillow", "fonttools", "Jinja2", "MarkupSafe")
    # HarfBuzz subsets the embedded fonts (fontTools where it is absent); the
    # drawn cover's fonts are found through fontconfig, and Pillow (whose
    # own FreeType and HarfBuzz its version stands for) loads FriBidi from
    # the system to order right-to-left titles
    native_libraries = ("libharfbuzz-subset.so.0", "libfontconfig.so.1", "libfribidi.so.0")

    def fonts(self) -> tuple[Face, ...]:
        return theme_system_faces(self.theme)  # the drawn cover's CJK faces

    def __init__(self, theme: Theme, site: Site) -> None:
        super().__init__(theme, site)
        self._stylesheets: dict[tuple[tuple[str, str], ...], bytes] = {}

    def render(self, article: Article, ctx: RenderContext) -> bytes:
        m = article.meta
        names = asset_names(article.assets)
        used: dict[str, Asset] = {}  # images the pages show, in order of first use

        def image_url(asset: Asset) -> str:
            used[asset.key] = asset
            return f"images/{names[asset.key]}"

        content, ids = self._content(article, ctx, image_url)
        cover_asset = article.asset(m.cover) if m.cover else None
        generated = b"" if cover_asset else generate_cover(article, self.theme)
        if cover_asset is not None:
            cover_doc = cover_page(article, image_url(cover_asset), cover_asset.width, cover_asset.height)
        else:
            cover_doc = cover_page(article, GENERATED_COVER, *image_size(generated))
        toc = toc_tree(article, ids)
        label = COVER_LABEL.get(m.language.split("-")[0].lower(), COVER_LABEL["en"])
        nav_doc = nav_document(article, toc, label)

        book = epub.EpubBook()
        _set_metadata(book, article, self.site)
        self.add_style(book, content, nav_doc, cover_doc)
        cover_id = "cover-image"
        if generated:
            book.add_item(package_item(cover_id, GENERATED_COVER, "image/png", generated, epub.EpubCover))
        for i, asset in enumerate(used.values(), 1):
            is_cover = asset is cover_asset
            add_image(book, ctx, asset, f"images/{names[asset.key]}", cover_id if is_cover else f"image-{i}", is_cover)
        book.add_metadata(None, "meta", "", {"name": "cover", "content": cover_id})  # for EPUB 2 readers

        cover_item = book.add_item(package_item("cover-page", COVER_PAGE, "application/xhtml+xml", cover_doc))
        content_item = book.add_item(package_item("content", CONTENT, "application/xhtml+xml", content))
        nav_item = book.add_item(package_item("nav", NAV, "application/xhtml+xml", nav_doc))
        nav_item.properties = ["nav"]
        book.add_item(epub.EpubNcx(uid="ncx", file_name=NCX))
        book.toc = [ncx_toc(toc, [0])]
        book.spine = [cover_item, content_item]
        book.guide = [{"href": COVER_PAGE, "title": label, "type": "cover"},
                      {"href": CONTENT, "title": m.title, "type": "text"}]
        return package(book, m.modified, m.language, m.direction == "rtl")

    def add_style(self, book: epub.EpubBook, *docs: bytes) -> None:
        """The e-reader style sheet and the theme's fonts, cut down to the
        characters ``docs`` show."""
        fonts = self._fonts(_book_chars(*docs))
        book.add_item(package_item("css", CSS, "text/css", self._stylesheet(fonts)))
        for i, (fname, data) in enumerate(sorted(fonts.values()), 1):
            book.add_item(package_item(f"font-{i}", f"fonts/{fname}", FONT_TYPES[Path(fname).suffix.lower()], data))

    def content(self, article: Article, ctx: RenderContext, image_url: Callable[[Asset], str],
                id_prefix: str = "") -> tuple[bytes, set[str]]:
        """The article page as EPUB XHTML, and the ids it defines (each after
        ``id_prefix``, for a book of many stories)."""
        return self._content(article, ctx, image_url, id_prefix)

    def _content(self, article: Article, ctx: RenderContext,
                 image_url: Callable[[Asset], str], id_prefix: str = "") -> tuple[bytes, set[str]]:
        # ids unique and links leading somewhere by construction (the presentation's), nothing to repair
        story = present_story(article, ctx, id_prefix)
        opts = HtmlOptions(image_url=image_url, footnotes="epub", css_href=(CSS,))
        xhtml = render_article(story, self.theme, self.site, opts)
        try:
            root = etree.fromstring(xhtml.encode("utf-8"), _PARSER)
        except etree.XMLSyntaxError as e:  # the renderer escapes everything: a bug if reached
            raise WriterError(f"the article page is not well-formed XML: {e}", article.source_path) from e
        return etree.tostring(root.getroottree(), encoding="utf-8", xml_declaration=True), set(story.ids)

    def _stylesheet(self, fonts: dict[str, tuple[str, bytes]]) -> bytes:
        """``ereader.css`` for the font file names in ``fonts``, generated once
        per set of names: it depends on nothing else, and the names come from
        the theme's files, so every book of a build shares one."""
        names = tuple((path, name) for path, (name, _data) in fonts.items())
        css = self._stylesheets.get(names)
        if css is None:
            url = dict(names)
            css = render_css(self.theme, "ereader", lambda p: f"../fonts/{url[p]}").encode("utf-8")  # from style/
            self._stylesheets[names] = css
        return css

    def _fonts(self, chars: str) -> dict[str, tuple[str, bytes]]:
        """Theme font path -> (unique file name in ``fonts/``, subset bytes)."""
        out: dict[str, tuple[str, bytes]] = {}
        taken: set[str] = set()
        for _fam, _bold, _italic, path in self.theme.font_files():
            p = Path(path)
            if p.suffix.lower() not in FONT_TYPES:
                raise WriterError(f"font {p.name} is not TrueType, OpenType or WOFF; EPUB cannot embed it",
                                  str(path))
            name = re.sub(r"[^A-Za-z0-9._-]+", "-", p.name)
            n = 1
            while name.lower() in taken:
                n += 1
                name = f"{p.stem}-{n}{p.suffix}"
            taken.add(name.lower())
            out[str(path)] = (name, subset_for(str(path), chars))
        return out
