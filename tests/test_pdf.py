"""The PDF writer, read back with tools that share no code with it: poppler
(pdftotext, pdfinfo, pdffonts) and pypdf.

All samples are exported once per session through the real CLI; a few extra
renders go through the writer API (reproducibility, variants, hostile and
broken input)."""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import io
import os
import re
import subprocess
import sys
import threading
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pypdf
import pytest

from conftest import EPOCH, ROOT, SEED, SOURCE, have, run_cli
from storyexport import __version__
from storyexport.config import Site, load_config
from storyexport.errors import Diagnostics, WriterError
from storyexport.model import (
    RTL_LANGUAGES,
    Article,
    Asset,
    BlockQuote,
    BulletList,
    Heading,
    Image,
    Link,
    ListItem,
    Meta,
    Note,
    Para,
    Text,
    article_notes,
    inline_text,
    map_nodes,
    plain_text,
    query,
    walk,
)
from storyexport.readers import read_source
from storyexport.theme import load_theme
from storyexport.writers import RenderContext
from storyexport.writers.pdf import PdfWriter, subject
from storyexport.writers.pdf_fetch import RefusedResource, SafeFetcher

pytestmark = pytest.mark.skipif(not all(have(t) for t in ("pdftotext", "pdfinfo", "pdffonts")),
                                reason="poppler-utils not installed")

SLUGS = ("russia-sends-aid", "newsroom-style-guide", "arabic-water-report", "tokyo-rail", "council-budget",
         "harbour-festival")
CJK_LANGS = ("ja", "zh", "ko")


# ------------------------------------------------------------ fixtures


@pytest.fixture(scope="session")
def dist(exported) -> Path:  # type: ignore[no-untyped-def]
    return exported("pdf")


@pytest.fixture(scope="session")
def theme():  # type: ignore[no-untyped-def]
    return load_theme("default")


@pytest.fixture(scope="session")
def cli_site() -> Site:
    """The site the CLI export used (the repository's storyexport.toml)."""
    return dataclasses.replace(load_config(ROOT / "storyexport.toml"), source_date_epoch=int(EPOCH))


@pytest.fixture(scope="session")
def writer(theme, cli_site) -> PdfWriter:  # type: ignore[no-untyped-def]
    """One warm writer for the API-level tests, as one build process has."""
    return PdfWriter(theme, cli_site)


def pdf_path(dist: Path, slug: str) -> Path:
    p = dist / f"{slug}.pdf"
    assert p.is_file(), f"{slug}.pdf not exported; have {sorted(x.name for x in dist.iterdir())}"
    return p


def render(writer: PdfWriter, article: Article, site: Site | None = None) -> tuple[bytes, Diagnostics]:
    diags = Diagnostics()
    data = writer.render(article, RenderContext(writer.theme, site or writer.site, diags))
    return data, diags


def poppler(tool: str, *args: str) -> str:
    return subprocess.run([tool, *args], capture_output=True, text=True, check=True, timeout=120).stdout


def page_count(path: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", poppler("pdfinfo", str(path)), re.M).group(1))  # type: ignore[union-attr]


def pdftotext(path: Path, *args: str, raw: bool = True) -> str:
    """Text in content-stream order (``-raw``, the default): poppler's layout
    analysis reorders a line that holds an inline image. Without ``raw``: in
    reading position, top of the page first."""
    return poppler("pdftotext", *(["-raw"] if raw else []), "-enc", "UTF-8", *args, str(path), "-")


def page_texts(path: Path, raw: bool = True) -> list[str]:
    return [pdftotext(path, "-f", str(i), "-l", str(i), raw=raw) for i in range(1, page_count(path) + 1)]


def page_tokens(path: Path, lang: str) -> list[list[str]]:
    """Words per page. Right-to-left pages come from pypdf, which keeps
    Arabic words whole (poppler splits them at combining marks) though it
    may give a justified line's words in visual order."""
    if lang.split("-")[0] in RTL_LANGUAGES:
        return [tokens(p.extract_text(), lang) for p in pypdf.PdfReader(path).pages]
    return [tokens(t, lang) for t in page_texts(path)]


# ------------------------------------------------------- text compare


def tokens(text: str, lang: str = "en") -> list[str]:
    """Comparable words: hyphenated line ends joined, hyphens and punctuation
    ignored, letters and digit runs apart (a footnote call digit sticks to
    the word before it), case folded. CJK text has no spaces: characters."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[-\u2010\u00ad]\s*\n\s*", "", text)
    text = re.sub(r"[-\u2010\u2011\u00ad]", "", text).casefold()
    if lang.split("-")[0] in CJK_LANGS:
        return [c for c in text if c.isalnum()]
    return re.findall(r"[^\W\d_]+|\d+", text)


def first_missing(needle: list[str], hay: list[str]) -> int | None:
    """Index of the first needle token not found, in order, in hay."""
    it = iter(hay)
    for i, tok in enumerate(needle):
        if not any(tok == h for h in it):
            return i
    return None


def body_and_notes(article: Article) -> tuple[str, list[str]]:
    """The printed words: the plain text without footnotes (they print at the
    foot of pages, inside the body's reading order) and each footnote's text.
    Images show, their alt text does not (it is in the structure tree, see
    test_images_keep_alt_text)."""

    def visible(text: str) -> str:
        for image in query(article, Image):
            text = text.replace(image.alt, " ", 1)
        return text

    body = plain_text(dataclasses.replace(article, blocks=map_nodes(article.blocks, Note, lambda _n: Text(""))))
    empty = dataclasses.replace(article.meta, title="", subtitle="", authors=(), summary=())
    notes = [plain_text(dataclasses.replace(article, meta=empty, blocks=f.blocks)) for f in article_notes(article)]
    return visible(body), [visible(n) for n in notes]


# ----------------------------------------------------------------- text


@pytest.mark.parametrize("slug", [s for s in SLUGS if s != "arabic-water-report"])
def test_every_word_in_order(dist: Path, samples: dict[str, Article], slug: str) -> None:
    article = samples[slug]
    lang = article.meta.language
    pdf = tokens(pdftotext(pdf_path(dist, slug)), lang)
    body, notes = body_and_notes(article)
    for label, text in [("body", body), *((f"footnote {i}", n) for i, n in enumerate(notes, 1))]:
        want = tokens(text, lang)
        assert want, f"{slug}: empty {label}"
        miss = first_missing(want, pdf)
        assert miss is None, f"{slug} {label}: {want[miss]!r} missing after {want[max(0, miss - 5):miss]}"


def test_rtl_every_word_present(dist: Path, samples: dict[str, Article]) -> None:
    """Extractors emit justified right-to-left lines in visual order, so for
    Arabic every word must be present (as often as in the model), not in order."""
    article = samples["arabic-water-report"]
    have_words = Counter(w for page in page_tokens(pdf_path(dist, "arabic-water-report"), "ar") for w in page)
    want = Counter(tokens(plain_text(article), "ar"))
    assert sum(want.values()) > 150
    missing = want - have_words
    assert not missing, f"words missing from the PDF: {dict(missing)}"


def test_tokens_helper_handles_hyphenation() -> None:
    assert tokens("re-\nportedly large-\nprint CO2 time.1") == ["reportedly", "largeprint", "co", "2", "time", "1"]
    assert first_missing(["a", "b"], ["b", "a"]) == 1


def test_running_head_and_page_numbers(dist: Path, samples: dict[str, Article]) -> None:
    pages = page_texts(pdf_path(dist, "newsroom-style-guide"), raw=False)
    assert len(pages) >= 2
    publisher = samples["newsroom-style-guide"].meta.publisher
    # page 1: the masthead shows the publication (upper-cased), no running head
    assert publisher not in pages[0]
    assert publisher.upper() in pages[0]
    for i, text in enumerate(pages, 1):
        assert f"Page {i} of {len(pages)}" in text
        if i > 1:
            assert text.lstrip().startswith(publisher), text[:80]


def test_page_size_from_theme(dist: Path, theme) -> None:  # type: ignore[no-untyped-def]
    box = pypdf.PdfReader(pdf_path(dist, "russia-sends-aid")).pages[0].mediabox
    assert float(box.width) == pytest.approx(theme.page["width"], abs=0.05)
    assert float(box.height) == pytest.approx(theme.page["height"], abs=0.05)


def test_sans_theme_page_and_fonts(samples: dict[str, Article], cli_site: Site) -> None:
    sans = load_theme("sans")
    data, diags = render(PdfWriter(sans, cli_site), samples["council-budget"])
    box = pypdf.PdfReader(io.BytesIO(data)).pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx((sans.page["width"], sans.page["height"]), abs=0.05)
    fonts = {f["/BaseFont"].split("+", 1)[1] for f in _fonts(pypdf.PdfReader(io.BytesIO(data)))}
    assert any(f.startswith("Noto-Sans") for f in fonts) and not any("Serif" in f for f in fonts), fonts
    assert not diags.items


def _fonts(reader: pypdf.PdfReader) -> Iterator[pypdf.generic.DictionaryObject]:
    for page in reader.pages:
        yield from (f.get_object() for f in page["/Resources"]["/Font"].values())


# ------------------------------------------------------------- metadata


def _pdfinfo(path: Path) -> dict[str, str]:
    out = poppler("pdfinfo", "-enc", "UTF-8", str(path))
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def _xmp(reader: pypdf.PdfReader) -> ET.Element:
    data = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    return ET.fromstring(data)


NS = {"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "dc": "http://purl.org/dc/elements/1.1/",
      "xmp": "http://ns.adobe.com/xap/1.0/", "pdf": "http://ns.adobe.com/pdf/1.3/",
      "pdfaid": "http://www.aiim.org/pdfa/ns/id/", "pdfuaid": "http://www.aiim.org/pdfua/ns/id/"}


@pytest.mark.parametrize("slug", SLUGS)
def test_metadata_equals_model(dist: Path, samples: dict[str, Article], slug: str) -> None:
    m = samples[slug].meta
    path = pdf_path(dist, slug)
    reader = pypdf.PdfReader(path)
    info = reader.metadata
    assert info is not None
    assert info.title == m.title
    assert (info.author or "") == ", ".join(a.name for a in m.authors)
    assert (info.subject or "") == subject(samples[slug])
    assert (info.get("/Keywords") or "") == ", ".join(m.tags)
    assert info.creation_date == m.published.replace(microsecond=0)
    assert info.modification_date == m.modified.replace(microsecond=0)
    assert info.creator == f"storyexport {__version__}"
    assert info.producer.startswith(f"storyexport {__version__} (WeasyPrint ")
    assert reader.trailer["/Root"]["/Lang"] == m.language
    # poppler agrees
    pi = _pdfinfo(path)
    assert pi["Title"] == m.title
    assert pi["Creator"] == f"storyexport {__version__}"
    # XMP matches the Info dictionary
    x = _xmp(reader)
    assert x.find(".//dc:title/rdf:Alt/rdf:li", NS).text == m.title  # type: ignore[union-attr]
    assert [li.text for li in x.findall(".//dc:creator/rdf:Seq/rdf:li", NS)] == [a.name for a in m.authors]
    assert [li.text for li in x.findall(".//dc:language/rdf:Bag/rdf:li", NS)] == [m.language]
    assert [li.text for li in x.findall(".//dc:subject/rdf:Bag/rdf:li", NS)] == list(m.tags)
    assert datetime.fromisoformat(x.find(".//xmp:CreateDate", NS).text) == info.creation_date  # type: ignore[union-attr,arg-type]
    assert datetime.fromisoformat(x.find(".//xmp:ModifyDate", NS).text) == info.modification_date  # type: ignore[union-attr,arg-type]
    producers = [d.get(f"{{{NS['pdf']}}}Producer") for d in x.iter(f"{{{NS['rdf']}}}Description")]
    assert info.producer in producers


def test_document_id_is_stable_and_derived_from_article(dist: Path, samples: dict[str, Article]) -> None:
    ids = {slug: str(pypdf.PdfReader(pdf_path(dist, slug)).trailer["/ID"][0]) for slug in SLUGS}
    assert len(set(ids.values())) == len(SLUGS)  # one per article, not a constant
    m = samples["newsroom-style-guide"].meta
    assert ids["newsroom-style-guide"] == hashlib.sha256(m.canonical_url.encode()).hexdigest()[:32]


# ---------------------------------------------------------------- fonts


def _pdffonts(path: Path) -> list[list[str]]:
    lines = poppler("pdffonts", str(path)).splitlines()[2:]
    return [line.split() for line in lines if line.strip()]


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@pytest.mark.parametrize("slug", SLUGS)
def test_fonts_embedded_subset_and_from_theme(dist: Path, theme, samples: dict[str, Article],  # type: ignore[no-untyped-def]
                                              slug: str) -> None:
    rows = _pdffonts(pdf_path(dist, slug))
    assert rows
    allowed = {_norm(f.family) for f in theme.fonts.values()}
    if samples[slug].meta.language.split("-")[0] in CJK_LANGS:
        allowed |= {_norm(f) for f in theme.system_fonts}
    for row in rows:
        name = row[0]
        emb, sub = row[-5], row[-4]
        assert (emb, sub) == ("yes", "yes"), row
        assert re.match(r"^[A-Z]{6}\+", name), f"not a subset: {name}"
        base = _norm(name.split("+", 1)[1])
        assert any(base.startswith(a) for a in allowed), f"{slug}: font {name} is not one the theme names"
    if slug == "arabic-water-report":
        assert any(_norm(theme.fonts["arabic"].family) in _norm(r[0]) for r in rows)
    if slug == "tokyo-rail":
        assert any("cjk" in _norm(r[0]) for r in rows)


# --------------------------------------------------------- accessibility


@pytest.mark.parametrize("slug", SLUGS)
def test_tagged(dist: Path, slug: str) -> None:
    path = pdf_path(dist, slug)
    assert _pdfinfo(path)["Tagged"] == "yes"
    root = pypdf.PdfReader(path).trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]


def _struct_alts(reader: pypdf.PdfReader) -> list[str]:
    alts: list[str] = []
    stack = [reader.trailer["/Root"]["/StructTreeRoot"].get_object()]
    while stack:
        node = stack.pop()
        if isinstance(node, pypdf.generic.ArrayObject):
            stack.extend(x.get_object() for x in reversed(node))
            continue
        if not isinstance(node, pypdf.generic.DictionaryObject):
            continue
        if node.get("/S") == "/Figure" and "/Alt" in node:
            alts.append(str(node["/Alt"]))
        kids = node.get("/K")
        if kids is not None:
            stack.append(kids.get_object())
    return alts


def test_images_keep_alt_text(dist: Path, samples: dict[str, Article]) -> None:
    article = samples["newsroom-style-guide"]
    want = {i.alt for i in query(article, Image)}
    assert len(want) >= 2
    got = set(_struct_alts(pypdf.PdfReader(pdf_path(dist, "newsroom-style-guide"))))
    assert want <= got, want - got


# ---------------------------------------------------------------- links


def _uri_annotations(path: Path) -> list[str]:
    """External link targets in page order; a link broken over two lines
    (two rectangles, same target, one after the other) counts once."""
    out: list[str] = []
    for page in pypdf.PdfReader(path).pages:
        for annot in page.get("/Annots") or []:
            a = annot.get_object()
            action = a.get("/A")
            if a.get("/Subtype") == "/Link" and action is not None and "/URI" in action:
                uri = str(action["/URI"])
                if not out or out[-1] != uri:
                    out.append(uri)
    return out


@pytest.mark.parametrize("slug", SLUGS)
def test_one_link_annotation_per_link(dist: Path, samples: dict[str, Article], slug: str) -> None:
    want = Counter(link.url for link in query(samples[slug], Link) if not link.url.startswith("#"))
    got = Counter(_uri_annotations(pdf_path(dist, slug)))
    assert got == want
    if slug == "newsroom-style-guide":
        assert sum(want.values()) >= 2


# ------------------------------------------------------------ footnotes


def _words_before_refs(article: Article) -> list[tuple[str, str]]:
    """(last word before a footnote reference, footnote label), first
    references only, for references directly in a paragraph."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for para in query(article, Para):
        for i, node in enumerate(para.children):
            if isinstance(node, Note) and node.label not in seen:
                seen.add(node.label)
                before = tokens(inline_text(para.children[:i]), article.meta.language)
                out.append((before[-1], node.label))
    return out


@pytest.mark.parametrize("slug", [s for s in SLUGS if s in ("newsroom-style-guide", "arabic-water-report")])
def test_footnote_on_same_page_as_reference(dist: Path, samples: dict[str, Article], slug: str) -> None:
    article = samples[slug]
    lang = article.meta.language
    pages = page_tokens(pdf_path(dist, slug), lang)
    refs = _words_before_refs(article)
    assert len(refs) == len(article_notes(article)) >= 1
    _body, notes = body_and_notes(article)
    for (word, label), note in zip(refs, notes, strict=True):
        note_words = tokens(note, lang)
        note_pages = [i for i, p in enumerate(pages) if set(note_words) <= set(p)]
        assert note_pages, f"footnote {label} not found"
        assert word in pages[note_pages[0]], f"footnote {label} on page {note_pages[0] + 1}, its reference is not"


# -------------------------------------------------------------- outline


def _outline(reader: pypdf.PdfReader) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []

    def walk(items: list, level: int) -> None:  # type: ignore[type-arg]
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                out.append((level, item.title))

    walk(reader.outline, 1)
    return out


@pytest.mark.parametrize("slug", SLUGS)
def test_outline_equals_headings(dist: Path, samples: dict[str, Article], slug: str) -> None:
    article = samples[slug]
    headings = [h for b in article.blocks for h in walk(b) if isinstance(h, Heading)]
    want = [(1, article.meta.title)] + [(h.level, inline_text(h.children)) for h in headings]
    got = [(lvl, " ".join(t.split())) for lvl, t in _outline(pypdf.PdfReader(pdf_path(dist, slug)))]
    assert got == [(lvl, " ".join(t.split())) for lvl, t in want]


def test_word_longer_than_the_line_wraps_inside_the_page(tmp_path: Path, writer: PdfWriter, cli_site: Site) -> None:
    """An 85-letter word (WordPress's "title should not overflow" test post)
    breaks across lines: every letter is on the page, none past its edge."""
    word = "Taumatawhakatangihangakoauauotamateaturipukakapikimaungahoronukupokaiwhenuakitanatahu"
    src = tmp_path / "long.md"
    src.write_text(f"---\ntitle: {word}\ndate: 2024-01-02\n---\n\nBody {word} ends.\n", encoding="utf-8")
    article = read_source(src, tmp_path, cli_site, Diagnostics())
    assert article is not None
    out = tmp_path / "long.pdf"
    out.write_bytes(render(writer, article)[0])
    width = float(re.search(r"Page size:\s+([\d.]+)", poppler("pdfinfo", str(out))).group(1))  # type: ignore[union-attr]
    words = subprocess.run(["pdftotext", "-bbox", str(out), "-"], capture_output=True, text=True, check=True).stdout
    boxes = [(float(a), float(b)) for a, b in re.findall(r'xMin="([\d.]+)"[^>]*xMax="([\d.]+)"', words)]
    assert boxes and all(x0 >= 0 and x1 <= width for x0, x1 in boxes), (width, max(b[1] for b in boxes))
    joined = "".join(pdftotext(out).split()).replace("\u2010", "")  # the body may hyphenate
    assert joined.count(word) == 2, joined[:300]  # the title and the body, letters all there

# ------------------------------------------------------- reproducibility


def test_two_renders_byte_identical(dist: Path, theme, cli_site: Site, writer: PdfWriter) -> None:  # type: ignore[no-untyped-def]
    seed = read_source(SEED, SOURCE, cli_site, Diagnostics())
    assert seed is not None
    first, _ = render(writer, seed)
    second, _ = render(writer, seed)  # warm: cached CSS and fonts
    fresh, _ = render(PdfWriter(theme, cli_site), seed)  # a new writer, as a new process has
    assert first == second == fresh
    # and the CLI (another process, a worker pool) wrote the very same bytes
    assert pdf_path(dist, "russia-sends-aid").read_bytes() == first


def _same_tree(a: ET.Element, b: ET.Element, path: str = "html") -> str | None:
    """Where two element trees differ (None: nowhere)."""
    for what, x, y in (("tag", a.tag, b.tag), ("attributes", dict(a.attrib), dict(b.attrib)),
                       ("text", a.text or "", b.text or ""), ("tail", a.tail or "", b.tail or ""),
                       ("children", [c.tag for c in a], [c.tag for c in b])):
        if x != y:
            return f"{path}: {what} {x!r} != {y!r}"
    return next((d for i, (x, y) in enumerate(zip(a, b, strict=True))
                 if (d := _same_tree(x, y, f"{path}/{x.tag}[{i}]"))), None)


HOSTILE_MARKUP = """---
title: "Markup <b>in</b> & out \u202e"
---
<script>alert(1)</script><svg><circle r="1"/></svg> <!-- a comment --> &nbsp; &amp;

Text with \u00a0no-break, \u200d joiners, <span dir="rtl">raw span</span> and `<code>`.

<math><mi>x</mi></math>
"""


@pytest.mark.parametrize("theme_name", ["default", "sans"])
def test_expat_tree_is_the_html_parsers_tree(tmp_path: Path, samples: dict[str, Article], cli_site: Site,
                                             theme_name: str) -> None:
    """The PDF writer parses its XHTML with expat instead of WeasyPrint's
    HTML5 parser (tinyhtml5): the trees must be the same, element for
    element and space for space."""
    import tinyhtml5

    from storyexport.writers.html_tree import html_tree
    from storyexport.xhtml import HtmlOptions, render_article

    (tmp_path / "hostile.md").write_text(HOSTILE_MARKUP)
    hostile = read_source(tmp_path / "hostile.md", tmp_path, cli_site, Diagnostics())
    assert hostile is not None
    theme = load_theme(theme_name)
    for article in [*samples.values(), hostile]:
        html = render_article(article, theme, cli_site, HtmlOptions(image_url=lambda a: "x.png", footnotes="float"))
        ours = html_tree(html)
        assert ours is not None, article.meta.slug
        assert _same_tree(ours, tinyhtml5.parse(html, namespace_html_elements=False)) is None, article.meta.slug


def test_expat_tree_gives_the_same_pdf(samples: dict[str, Article], writer: PdfWriter,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from storyexport.compat import weasyprint as compat

    article = samples["newsroom-style-guide"]
    ours, _ = render(writer, article)
    monkeypatch.setattr(compat, "html_tree", lambda html: None)  # WeasyPrint parses the string itself
    theirs, _ = render(writer, article)
    assert ours == theirs


def test_open_arrays_are_the_arrays_asked_for() -> None:
    """The subsetter's ``ffi.new("T[N]", items)`` made as ``T[]``: same
    length, same values, zero-filled when no items are given, and the
    sized type kept when the items do not fill it."""
    import cffi

    from storyexport.compat.weasyprint import _OpenArrays

    ffi = cffi.FFI()
    ffi.cdef("typedef uint32_t hb_codepoint_t;")
    arrays = _OpenArrays(ffi)
    made = arrays.new("hb_codepoint_t[3]", (7, 8, 4294967295))
    assert ffi.typeof(made) is ffi.typeof("hb_codepoint_t[]") and list(made) == [7, 8, 4294967295]
    assert list(arrays.new("hb_codepoint_t [4]")) == [0, 0, 0, 0]
    short = arrays.new("hb_codepoint_t[4]", [1])
    assert ffi.typeof(short) is ffi.typeof("hb_codepoint_t[4]") and list(short) == [1, 0, 0, 0]
    assert arrays.new("hb_codepoint_t *", 5)[0] == 5 and arrays.sizeof("hb_codepoint_t") == 4
    name = arrays.new("char[4]", b"GSUB")  # bytes keep their exact size: no terminating NUL added
    assert ffi.sizeof(name) == 4 and ffi.buffer(name)[:] == b"GSUB"


def test_markup_expat_cannot_vouch_for_falls_back() -> None:
    from storyexport.writers.html_tree import html_tree

    page = '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title></head><body>{}</body></html>'
    assert html_tree(page.format("<p>fine</p>")) is not None
    assert html_tree(page.format("<p>&nbsp;</p>")) is None  # an HTML entity: not XML
    assert html_tree(page.format("<p>unclosed")) is None
    assert html_tree(page.format('<svg xmlns="http://www.w3.org/2000/svg"/>')) is None  # foreign content
    assert html_tree(page.format("") + "text after the document") is None
    assert html_tree('<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>') is None  # no head


# -------------------------------------------------------------- variants


@pytest.mark.parametrize(("variant", "attrs"), [
    ("pdf/ua-1", {"pdfuaid:part": "1"}),
    ("pdf/a-3b", {"pdfaid:part": "3", "pdfaid:conformance": "B"}),
])
def test_pdf_variant(writer: PdfWriter, samples: dict[str, Article], cli_site: Site, variant: str,
                     attrs: dict[str, str]) -> None:
    site = dataclasses.replace(cli_site, pdf_variant=variant)
    data, diags = render(PdfWriter(writer.theme, site), samples["newsroom-style-guide"], site)
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 2
    x = _xmp(reader)
    for key, value in attrs.items():
        prefix, name = key.split(":")
        found = [d.get(f"{{{NS[prefix]}}}{name}") for d in x.iter(f"{{{NS['rdf']}}}Description")]
        assert value in found, (key, found)
    producers = [d.get(f"{{{NS['pdf']}}}Producer") for d in x.iter(f"{{{NS['rdf']}}}Description")]
    assert reader.metadata.producer in producers
    assert "/StructTreeRoot" in reader.trailer["/Root"]
    assert not diags.items, [str(d) for d in diags.items]


def test_pdf_variant_from_cli(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = run_cli("export", str(SEED), "--format", "pdf", "--out", str(out), "--pdf-variant", "pdf/ua-1", "--jobs", "1")
    assert r.returncode == 0, r.stderr
    x = _xmp(pypdf.PdfReader(out / "russia-sends-aid.pdf"))
    assert "1" in [d.get(f"{{{NS['pdfuaid']}}}part") for d in x.iter(f"{{{NS['rdf']}}}Description")]


# ------------------------------------------------------- untrusted input


class _Server:
    """A local HTTP server that records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        png = (ROOT / "source" / "images" / "icon.png").read_bytes()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(png)))
                self.end_headers()
                self.wfile.write(png)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.close()


def test_hostile_source_reads_and_fetches_nothing(tmp_path: Path, server: _Server) -> None:
    src = tmp_path / "site" / "source"
    src.mkdir(parents=True)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRETCANARY\n")
    url = f"http://127.0.0.1:{server.port}"
    (src / "hostile.md").write_text(f"""---
title: Hostile images
date: 2024-01-02T03:04:05+00:00
---

Raw HTML image: <img src="file:///etc/passwd" alt="passwd file"> and <img src="file://{secret}" alt="secret">.

![climbing out](../../secret.txt)

![remote image]({url}/markdown.png)

<img src="{url}/raw.png" alt="raw remote">

<link rel="attachment" href="file:///etc/passwd">

<p style="background: url({url}/style.png)">Styled paragraph.</p>
""")
    out = tmp_path / "out"
    r = run_cli("export", str(src), "--format", "pdf", "--out", str(out), "--jobs", "1", cwd=tmp_path / "site")
    assert r.returncode == 0, r.stderr
    pdf = out / "hostile.pdf"
    assert pdf.is_file()
    assert server.requests == []
    text = poppler("pdftotext", str(pdf), "-")
    assert "Styled paragraph" in text
    raw = pdf.read_bytes()
    assert b"TOPSECRETCANARY" not in raw and b"root:x:0:0" not in raw
    reader = pypdf.PdfReader(pdf)
    assert "/EmbeddedFiles" not in reader.trailer["/Root"].get("/Names", {})
    assert "TOPSECRETCANARY" not in "".join(p.extract_text() for p in reader.pages)


def test_fetcher_refuses_everything_outside(tmp_path: Path, server: _Server) -> None:
    allowed = tmp_path / "theme"
    allowed.mkdir()
    (allowed / "ok.css").write_text("p {}")
    (tmp_path / "outside.txt").write_text("outside")
    (allowed / "link.txt").symlink_to(tmp_path / "outside.txt")
    os.mkfifo(allowed / "fifo")
    asset = tmp_path / "asset.png"
    asset.write_bytes(b"png")
    refused: list[tuple[str, str]] = []
    f = SafeFetcher(files=[str(asset)], dirs=[str(allowed)], on_refuse=lambda u, w: refused.append((u, w)))

    assert f.fetch((allowed / "ok.css").as_uri()).read() == b"p {}"
    assert f.fetch(asset.as_uri()).read() == b"png"
    assert f.fetch("data:text/plain,hello").read() == b"hello"
    bad = [
        "file:///etc/passwd",
        f"file://{allowed}/../outside.txt",
        (allowed / "link.txt").as_uri(),  # a symlink out of the theme
        (allowed / "fifo").as_uri(),  # not a regular file: would block
        "file:///dev/zero",
        f"http://127.0.0.1:{server.port}/x.png",
        f"https://127.0.0.1:{server.port}/x.png",
        "ftp://example.org/x.png",
    ]
    for url in bad:
        with pytest.raises(RefusedResource):
            f.fetch(url)
    assert [u for u, _ in refused] == bad
    assert server.requests == []
    # a host the configuration allows is fetched, redirects are not followed
    ok = SafeFetcher(hosts=["127.0.0.1"])
    assert ok.fetch(f"http://127.0.0.1:{server.port}/allowed.png").read()[:4] == b"\x89PNG"
    assert server.requests == ["/allowed.png"]


def _article(blocks: tuple, assets: tuple[Asset, ...] = (), title: str = "Test article") -> Article:  # type: ignore[type-arg]
    meta = Meta(title=title, slug="test-article", published=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    return Article(meta, blocks, assets=assets, source_path="source/test-article.md")


def test_unreadable_asset_is_a_warning_naming_article_and_url(writer: PdfWriter) -> None:
    """A reader bug letting a device through must not hang the build."""
    asset = Asset("zero.png", "/dev/zero", "image/png", 10, 10, "0" * 64)
    article = _article((Para((Text("Before the image."),)),
                        Para((Image("zeros", "zero.png"),)), Para((Text("After the image."),))), (asset,))
    data, diags = render(writer, article)
    assert data.startswith(b"%PDF-")
    msgs = [str(d) for d in diags.items]
    assert any(d.path == article.source_path and "file:///dev/zero" in d.message and "regular file" in d.message
               for d in diags.items), msgs
    assert "After the image" in poppler_text(data)


def test_weasyprint_errors_become_warnings(writer: PdfWriter, tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nnot really a png")
    asset = Asset("broken.png", str(broken), "image/png", 10, 10, "0" * 64)
    article = _article((Para((Image("a broken image", "broken.png"),)),), (asset,))
    for _ in range(2):  # the second article using it is told too (no silent cache hit)
        data, diags = render(writer, article)
        assert data.startswith(b"%PDF-")
        assert any(d.path == article.source_path and "WeasyPrint" in d.message and "broken.png" in d.message
                   for d in diags.items), [str(d) for d in diags.items]


def poppler_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


# ------------------------------------------------------- fonts and glyphs


def test_missing_glyph_warns_and_never_uses_machine_fonts(writer: PdfWriter, theme) -> None:  # type: ignore[no-untyped-def]
    article = _article((Para((Text("Runes ᚠᚢᚦ and a face 😀 beside plain words."),)),))
    data, diags = render(writer, article)
    msgs = [d.message for d in diags.items if d.path == article.source_path]
    assert any("U+16A0" in m and "U+1F600" in m and "ᚠ" in m for m in msgs), msgs
    allowed = {_norm(f.family) for f in theme.fonts.values()} | {_norm(f) for f in theme.system_fonts}
    names = [_norm(f["/BaseFont"].split("+", 1)[1]) for f in _fonts(pypdf.PdfReader(io.BytesIO(data)))]
    assert names and all(any(n.startswith(a) for a in allowed) for n in names), names
    assert "plain words" in poppler_text(data)


def test_samples_have_every_glyph(writer: PdfWriter, samples: dict[str, Article]) -> None:
    """The theme (with the CJK faces it names) draws every sample, the
    Japanese one included; so the check above is not a false alarm."""
    diags = Diagnostics()
    ctx = RenderContext(writer.theme, writer.site, diags)
    for article in samples.values():
        writer.check_glyphs(article, ctx, writer.engine())
    assert not diags.items, [str(d) for d in diags.items]


# ------------------------------------------------------------- structure


def test_too_deep_nesting_is_a_clear_error(writer: PdfWriter) -> None:
    block: Para | BlockQuote | BulletList = Para((Text("deep"),))
    for i in range(120):
        block = BlockQuote((block,)) if i % 2 else BulletList((ListItem((block,)),))
    with pytest.raises(WriterError, match="nested"):
        render(writer, _article((block,)))


def test_module_import_does_not_import_weasyprint() -> None:
    code = "import sys, storyexport.writers.pdf; print('weasyprint' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "False"
