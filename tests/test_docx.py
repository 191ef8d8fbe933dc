"""The DOCX writer, read back with independent readers: python-docx, pandoc,
LibreOffice (to PDF, then pdftotext/pdffonts) and plain lxml on the parts.

Every sample is exported once per session through the real CLI; LibreOffice
starts once for all the files it converts.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import shutil
import subprocess
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import docx
import pytest
from docx.drawing import Drawing
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.table import Table
from docx.text.hyperlink import Hyperlink
from docx.text.paragraph import Paragraph
from lxml import etree

from conftest import ROOT, SOURCE, have
from storyexport import model as m
from storyexport.config import Site, load_config
from storyexport.errors import Diagnostics
from storyexport.readers import read_source
from storyexport.theme import Theme, load_theme
from storyexport.writers import RenderContext
from storyexport.writers.docx import DocxWriter
from storyexport.writers.docx_ooxml import bidi_segments, obfuscate
from storyexport.writers.ziputil import zip_time

NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
W, R, WP = (f"{{{NS[k]}}}" for k in ("w", "r", "wp"))
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
SLUGS = ("russia-sends-aid", "newsroom-style-guide", "arabic-water-report", "tokyo-rail", "council-budget",
         "harbour-festival")
RICH, SEED, RTL = "newsroom-style-guide", "russia-sends-aid", "arabic-water-report"


# ----------------------------------------------------------------- helpers


def xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, PARSER)


def part(path: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return xml(z.read(name))


def rels(path: Path, name: str) -> dict[str, tuple[str, str, str]]:
    """rId -> (type, target, mode) of a part's relationships."""
    folder, _, base = name.rpartition("/")
    root = part(path, f"{folder}/_rels/{base}.rels")
    return {r.get("Id"): (r.get("Type"), r.get("Target"), r.get("TargetMode", ""))
            for r in root.iterfind("rel:Relationship", NS)}


def ordered_in(expected: list[str], actual: list[str]) -> str | None:
    """None if ``expected`` is a subsequence of ``actual``, else what is missing."""
    pos = 0
    for i, word in enumerate(expected):
        try:
            pos = actual.index(word, pos) + 1
        except ValueError:
            return f"word {i} {word!r} (after {' '.join(expected[max(0, i - 6):i])!r}) not found in order"
    return None


def in_stream(expected: list[str], text: str) -> str | None:
    """Words in order as substrings of the text without whitespace and
    hyphens: tolerant of what a layout adds (footnote numbers glued to words,
    page numbers, hyphenation at line ends)."""
    def norm(s: str) -> str:
        return re.sub(r"[\s\-\u00ad]+", "", unicodedata.normalize("NFKC", s))

    stream, pos = norm(text), 0
    for i, word in enumerate(expected):
        found = stream.find(norm(word), pos)
        if found < 0:
            return f"word {i} {word!r} (after {' '.join(expected[max(0, i - 6):i])!r}) not found in order"
        pos = found + len(norm(word))
    return None


def paragraph_text(p: etree._Element) -> str:
    """A paragraph's text in reading order, a picture counting as its alt text."""
    out = []
    for e in p.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}cr", f"{WP}docPr"):
        if e.tag == f"{W}t":
            out.append(e.text or "")
        elif e.tag.endswith("docPr"):
            out.append(f" {e.get('descr', '')} ")
        else:
            out.append(" ")
    return "".join(out)


def style_id(p: etree._Element) -> str:
    s = p.find("w:pPr/w:pStyle", NS)
    return s.get(f"{W}val") if s is not None else ""


def body_paragraphs(path: Path) -> list[etree._Element]:
    return part(path, "word/document.xml").findall(".//w:body//w:p", NS)


def footnote_paragraphs(root: etree._Element) -> dict[int, str]:
    return {int(f.get(f"{W}id")): " ".join(paragraph_text(p) for p in f.iterfind("w:p", NS)).strip()
            for f in root.iterfind("w:footnote", NS) if f.get(f"{W}type") is None}


def block_text(blocks: Iterable[m.Block]) -> str:
    out: list[str] = []
    for b in blocks:
        m._block_text(b, out)
    return " ".join(out)


def without_alt(node: object) -> object:
    """The model with images' alt text blanked: what a rendered page shows."""
    if isinstance(node, m.Image):
        return dataclasses.replace(node, alt="")
    if isinstance(node, tuple):
        return tuple(without_alt(n) for n in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        changes = {f.name: without_alt(getattr(node, f.name)) for f in dataclasses.fields(node)
                   if isinstance(getattr(node, f.name), tuple | m.Image)}
        return dataclasses.replace(node, **changes)  # type: ignore[type-var]
    return node


def half(pt: float) -> int:
    return round(pt * 2)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def out(exported: Callable[..., Path]) -> Path:
    return exported("docx")


@pytest.fixture(scope="session")
def docs(out: Path) -> dict[str, docx.document.Document]:
    return {slug: docx.Document(str(out / f"{slug}.docx")) for slug in SLUGS}  # type: ignore[misc]


@pytest.fixture(scope="session")
def articles(samples: dict) -> dict[str, m.Article]:
    """The samples as the CLI read them: with the repository's storyexport.toml
    (publisher, base URL), which the exported files were built with."""
    site = load_config(ROOT / "storyexport.toml")
    found = {}
    for slug, a in samples.items():
        article = read_source(Path(a.source_path), SOURCE, site, Diagnostics())
        assert article is not None
        found[slug] = article
    return found


@pytest.fixture(scope="session")
def theme() -> Theme:
    return load_theme("default")


@pytest.fixture(scope="session")
def lo_pdfs(out: Path, tmp_path_factory: pytest.TempPathFactory, theme: Theme) -> dict[str, Path]:
    """The seed and the richest sample converted by LibreOffice in one run,
    with a font configuration that holds none of the faces the documents use
    (only the theme's Arabic face, so LibreOffice can start): text set in the
    theme's faces proves the embedded fonts were read."""
    if not have("soffice"):
        pytest.skip("LibreOffice not installed")
    tmp = tmp_path_factory.mktemp("lo")
    fonts = tmp / "fonts"
    fonts.mkdir()
    shutil.copy(theme.fonts["arabic"].file(), fonts)
    (tmp / "fonts.conf").write_text(f'<?xml version="1.0"?>\n<fontconfig><dir>{fonts}</dir>'
                                    f"<cachedir>{tmp / 'cache'}</cachedir></fontconfig>\n")
    env = {**os.environ, "FONTCONFIG_FILE": str(tmp / "fonts.conf"), "HOME": str(tmp)}
    files = [str(out / f"{slug}.docx") for slug in (SEED, RICH)]
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp / 'profile'}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp / "pdf"), *files],
                   env=env, capture_output=True, timeout=300, check=False)
    pdfs = {slug: tmp / "pdf" / f"{slug}.pdf" for slug in (SEED, RICH)}
    for slug, pdf in pdfs.items():  # soffice exits 0 even when it fails
        assert pdf.is_file() and pdf.stat().st_size > 1000, f"LibreOffice did not convert {slug}"
    return pdfs


# ------------------------------------------------------------ text, order


def docx_text(p: Paragraph) -> str:
    """python-docx's view of a paragraph: runs and hyperlinks in order, a
    picture counting as its alt text (python-docx exposes only its element)."""
    out = []
    for item in p.iter_inner_content():
        for run in item.runs if isinstance(item, Hyperlink) else [item]:
            for c in run.iter_inner_content():
                if isinstance(c, str):
                    out.append(c)
                elif isinstance(c, Drawing):
                    out.append(" " + " ".join(c._drawing.xpath(".//wp:docPr/@descr")) + " ")
    return "".join(out)


@pytest.mark.parametrize("slug", SLUGS)
def test_python_docx_reads_every_word_in_order(docs: dict, articles: dict, slug: str) -> None:
    doc = docs[slug]
    paragraphs: list[Paragraph] = []
    for block in doc.iter_inner_content():
        if isinstance(block, Table):
            paragraphs += [p for row in block.rows for cell in row.cells for p in cell.paragraphs]
        else:
            paragraphs.append(block)
    chunks = [docx_text(p) for p in paragraphs]
    assert sum(len(p.text) for p in paragraphs) > 0
    if m.article_notes(articles[slug]):
        chunks += footnote_paragraphs(xml(doc.part.part_related_by(RT.FOOTNOTES).blob)).values()
    actual = m.words(" ".join(chunks))
    assert (miss := ordered_in(m.words(m.plain_text(articles[slug])), actual)) is None, miss


@pytest.mark.skipif(not have("pandoc"), reason="pandoc not installed")
@pytest.mark.parametrize("slug", SLUGS)
def test_pandoc_reads_every_word_in_order(out: Path, articles: dict, slug: str) -> None:
    r = subprocess.run(["pandoc", "-f", "docx", "-t", "plain", "--wrap=none", str(out / f"{slug}.docx")],
                       capture_output=True, text=True, timeout=120, check=True)
    assert (miss := in_stream(m.words(m.plain_text(articles[slug])), r.stdout)) is None, miss


def test_libreoffice_renders_every_word_with_the_embedded_fonts(lo_pdfs: dict, articles: dict,
                                                               theme: Theme) -> None:
    for slug, pdf in lo_pdfs.items():
        text = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        article = articles[slug]
        body = without_alt(m.Article(article.meta, m.map_nodes(article.blocks, m.Note, lambda _n: m.Text(""))))
        assert isinstance(body, m.Article)  # (notes sit at page feet)
        assert (miss := in_stream(m.words(m.plain_text(body)), text)) is None, f"{slug}: {miss}"
        for note in m.article_notes(article):
            assert (miss := in_stream(m.words(block_text(note.blocks)), text)) is None, f"{slug}: {miss}"
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert theme.fonts["body"].family.replace(" ", "") in fonts, fonts
        if slug == RICH:
            assert theme.fonts["code"].family.replace(" ", "") in fonts, fonts
        assert "NotoNaskhArabic" not in fonts, "fell back to the only system font: embedding not used"


# ------------------------------------------------------------------ styles


def test_every_paragraph_has_a_named_style(out: Path) -> None:
    for slug in SLUGS:
        for p in body_paragraphs(out / f"{slug}.docx"):
            assert style_id(p) not in ("", "Normal"), f"{slug}: unstyled paragraph {paragraph_text(p)!r}"


def test_headings_captions_and_masthead_use_their_styles(docs: dict, articles: dict) -> None:
    for slug in SLUGS:
        a, doc = articles[slug], docs[slug]
        by_style: dict[str, list[str]] = {}
        for p in doc.paragraphs:
            by_style.setdefault(p.style.name, []).append(p.text)
        headings = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")]
        assert headings == [(f"Heading {h.level}", m.inline_text(h.children)) for h in m.query(a, m.Heading)]
        assert by_style["Title"] == [a.meta.title]
        assert by_style.get("Subtitle", []) == ([a.meta.subtitle] if a.meta.subtitle else [])
        assert by_style.get("Summary", []) == [m.inline_text(i) for i in a.meta.summary]
        for kind, name in ((m.Figure, "Caption"), (m.Table, "Table Caption")):
            captions = [m.inline_text(n.caption) for b in a.blocks for n in m.walk(b)
                        if isinstance(n, kind) and n.caption]
            assert by_style.get(name, []) == captions
        if a.meta.authors:
            assert [a.name for a in a.meta.authors] == [r.text for p in doc.paragraphs if p.style.name == "Byline"
                                                        for r in p.runs if r.style.name == "Byline Author"]
        assert by_style["Dateline"] and "Normal" not in by_style


def test_rich_sample_blocks_use_their_styles(docs: dict, out: Path, articles: dict) -> None:
    a, doc = articles[RICH], docs[RICH]
    styled = [(p.style.name, p.text) for p in doc.paragraphs]
    quotes = [m.inline_text(p.children) for q in a.blocks if isinstance(q, m.BlockQuote) for p in q.blocks]
    assert [t for s, t in styled if s == "Quote"] == quotes
    code = [b.text.rstrip("\n") for b in a.blocks if isinstance(b, m.CodeBlock)]
    assert [t for s, t in styled if s == "Code"] == code
    assert any(s == "Horizontal Line" for s, _ in styled)
    assert {r.style.name for p in doc.paragraphs for r in p.runs if r.text in ("title", "authors", "date")} \
        == {"Code Char"}
    assert [r.text for p in doc.paragraphs for r in p.runs if r.font.superscript] == ["2"]
    assert [r.text for p in doc.paragraphs for r in p.runs if r.font.subscript] == ["2"]
    assert [r.text for p in doc.paragraphs for r in p.runs if r.font.strike] == ["41 per cent"]


def test_lists_have_real_numbering_that_restarts(out: Path, articles: dict, theme: Theme) -> None:
    path = out / f"{RICH}.docx"
    numbering = part(path, "word/numbering.xml")
    paras = [p for p in body_paragraphs(path) if style_id(p) in ("ListBullet", "ListNumber")]
    lists = _lists(articles[RICH].blocks)
    got = [(style_id(p) == "ListNumber", int(p.find("w:pPr/w:numPr/w:ilvl", NS).get(f"{W}val")),
            paragraph_text(p)) for p in paras]
    assert got == [(isinstance(lst, m.OrderedList), lvl, text) for lst, lvl, text in _items(articles[RICH].blocks)]
    nums = {n.get(f"{W}numId"): n for n in numbering.iterfind("w:num", NS)}
    list_nums = list(dict.fromkeys(p.find("w:pPr/w:numPr/w:numId", NS).get(f"{W}val") for p in paras))
    assert len(list_nums) == len(lists), "each list has its own w:num"
    starts = sorted(zip(list_nums, lists, strict=True), key=lambda x: int(x[0]))
    for num_id, (lst, lvl) in starts:
        override = nums[num_id].find(f"w:lvlOverride[@w:ilvl='{lvl}']/w:startOverride", NS)
        assert int(override.get(f"{W}val")) == (lst.start if isinstance(lst, m.OrderedList) else 1)
    assert any(isinstance(lst, m.OrderedList) and lst.start != 1 for lst, _ in lists)
    step = round(theme.spacing["list_indent"] * 20)
    for a in numbering.iterfind("w:abstractNum", NS):
        assert {lvl.find("w:numFmt", NS).get(f"{W}val") for lvl in a.iterfind("w:lvl", NS)} <= {"bullet", "decimal"}
        lvl1 = a.find("w:lvl[@w:ilvl='1']/w:pPr/w:ind", NS)
        # markers end right before the text, as CSS places an outside marker:
        # right-aligned, with only the marker's trailing space as the hanging indent
        assert a.find("w:lvl[@w:ilvl='1']/w:lvlJc", NS).get(f"{W}val") == "right"
        assert 0 < int(lvl1.get(f"{W}hanging")) < step / 2 and int(lvl1.get(f"{W}left")) % step == 0


def _lists(blocks: Iterable[m.Block], level: int = 0) -> list[tuple[m.BulletList | m.OrderedList, int]]:
    """Lists in the order their first item appears, with their nesting level."""
    return list(dict.fromkeys((lst, lvl) for lst, lvl, _ in _items(blocks, level, with_list=True)))


def _items(blocks: Iterable[m.Block], level: int = 0, with_list: bool = False) -> list:
    """(list, level, first-paragraph text) for every list item in reading order."""
    found: list = []
    for b in blocks:
        if isinstance(b, m.BulletList | m.OrderedList):
            for item in b.items:
                first = item.blocks[0] if item.blocks else None
                found.append((b, level, m.inline_text(first.children) if isinstance(first, m.Para) else ""))
                found += _items(item.blocks, level + 1, with_list)
        elif isinstance(b, m.BlockQuote):
            found += _items(b.blocks, level, with_list)
    return found


@pytest.mark.parametrize("theme_name", ["default", "sans"])
def test_styles_and_page_equal_the_theme_tokens(exported: Callable[..., Path], theme_name: str) -> None:
    t = load_theme(theme_name)
    path = exported("docx", theme=theme_name) / f"{SEED}.docx"
    styles = part(path, "word/styles.xml")

    def style(sid: str) -> etree._Element:
        s = styles.find(f"w:style[@w:styleId='{sid}']", NS)
        assert s is not None, sid
        return s

    def attr(el: etree._Element, path: str, name: str = "val") -> str:
        found = el.find(path, NS)
        assert found is not None, path
        return found.get(f"{W}{name}")

    normal = style("Normal")
    assert attr(normal, "w:rPr/w:rFonts", "ascii") == attr(normal, "w:rPr/w:rFonts", "hAnsi") == t.fonts["body"].family
    assert attr(normal, "w:rPr/w:rFonts", "cs") == t.fonts["arabic"].family
    assert attr(normal, "w:rPr/w:rFonts", "eastAsia") in t.system_fonts
    assert int(attr(normal, "w:rPr/w:sz")) == int(attr(normal, "w:rPr/w:szCs")) == half(t.base_size)
    assert attr(normal, "w:rPr/w:color") == t.colors["text"][1:].upper()
    assert int(attr(normal, "w:pPr/w:spacing", "after")) == round(t.spacing["paragraph_after"] * 20)
    assert int(attr(normal, "w:pPr/w:spacing", "line")) == round(t.line_height * t.base_size * 20)
    for level in range(1, 7):
        h = style(f"Heading{level}")
        assert attr(h, "w:name") == f"heading {level}"
        assert int(attr(h, "w:rPr/w:sz")) == half(t.heading_size(level))
        assert attr(h, "w:rPr/w:rFonts", "ascii") == t.fonts["heading"].family
        assert int(attr(h, "w:pPr/w:spacing", "before")) == round(t.spacing["heading_before"] * 20)
        assert int(attr(h, "w:pPr/w:spacing", "after")) == round(t.spacing["heading_after"] * 20)
        assert int(attr(h, "w:pPr/w:outlineLvl")) == level - 1
    assert int(attr(style("Title"), "w:rPr/w:sz")) == half(t.heading_size(1))
    assert attr(style("Caption"), "w:rPr/w:color") == t.caption_color[1:].upper()
    assert attr(style("Caption"), "w:rPr/w:i") == ("1" if t.caption_italic else "0")
    assert int(attr(style("Caption"), "w:rPr/w:sz")) == half(t.base_size * t.small)
    assert attr(style("Hyperlink"), "w:rPr/w:color") == t.colors["link"][1:].upper()
    assert attr(style("Code"), "w:rPr/w:rFonts", "ascii") == t.fonts["code"].family
    assert attr(style("CodeChar"), "w:rPr/w:rFonts", "ascii") == t.fonts["code"].family
    assert attr(style("Summary"), "w:pPr/w:shd", "fill") == t.colors["summary_background"][1:].upper()
    assert attr(style("Summary"), "w:pPr/w:pBdr/w:left", "color") == t.colors["summary_border"][1:].upper()
    # summary items half a paragraph apart, as print.css.j2 spaces them (not run together)
    assert int(attr(style("Summary"), "w:pPr/w:spacing", "after")) == round(t.spacing["paragraph_after"] / 2 * 20)
    assert style("Summary").find("w:pPr/w:contextualSpacing", NS) is None
    assert attr(style("Quote"), "w:pPr/w:pBdr/w:left", "color") == t.quote_border[1:].upper()
    assert int(attr(style("Quote"), "w:pPr/w:ind", "left")) == round(t.quote_indent * 20)
    assert attr(style("Quote"), "w:rPr/w:i") == ("1" if t.quote_italic else "0")
    assert attr(style("StoryTable"), "w:tblPr/w:tblBorders/w:insideH", "color") == t.colors["rule"][1:].upper()
    assert {s.get(f"{W}styleId") for s in styles.iterfind("w:style", NS)} >= {
        "Subtitle", "Byline", "Dateline", "Publication", "SummaryTitle", "ListBullet", "ListNumber",
        "FootnoteText", "FootnoteReference", "TableContents", "TableHeading", "Rights", "Footer"}
    # print.css.j2: justified, hyphenated body text; headings and code never hyphenated
    assert attr(style("BodyText"), "w:pPr/w:jc") == "both"
    assert part(path, "word/settings.xml").find("w:autoHyphenation", NS) is not None
    for sid in ("Heading2", "Title", "Code", "Caption"):
        assert style(sid).find("w:pPr/w:suppressAutoHyphens", NS) is not None, sid
    sect = part(path, "word/document.xml").find(".//w:body/w:sectPr", NS)
    page = t.page
    assert int(attr(sect, "w:pgSz", "w")) == round(page["width"] * 20)
    assert int(attr(sect, "w:pgSz", "h")) == round(page["height"] * 20)
    for side in ("top", "bottom", "left", "right"):
        assert int(attr(sect, "w:pgMar", side)) == round(page[f"margin_{side}"] * 20)


# ---------------------------------------------------------- links, notes


def test_hyperlinks_resolve_to_the_model_urls(out: Path, articles: dict) -> None:
    for slug in SLUGS:
        path = out / f"{slug}.docx"
        body_links = [n for b in articles[slug].blocks for n in m.walk(b) if isinstance(n, m.Link)]
        doc_rels = rels(path, "word/document.xml")
        got = []
        for h in part(path, "word/document.xml").iter(f"{W}hyperlink"):
            kind, target, mode = doc_rels[h.get(f"{R}id")]
            assert kind == RT.HYPERLINK and mode == "External"
            got.append((target, "".join(t.text for t in h.iter(f"{W}t"))))
        assert got == [(ln.url, m.inline_text(ln.children)) for ln in body_links]
        for _kind, target, _mode in doc_rels.values():
            assert not target.lower().startswith(("javascript:", "file:"))
    assert any(True for _ in part(out / f"{RICH}.docx", "word/document.xml").iter(f"{W}hyperlink"))


def test_footnotes_are_real_word_footnotes(out: Path, articles: dict) -> None:
    for slug in SLUGS:
        path = out / f"{slug}.docx"
        a = articles[slug]
        names = zipfile.ZipFile(path).namelist()
        if not m.article_notes(a):
            assert "word/footnotes.xml" not in names
            continue
        assert RT.FOOTNOTES in {k for k, _t, _m in rels(path, "word/document.xml").values()}
        types = part(path, "[Content_Types].xml")
        assert types.find("{*}Override[@PartName='/word/footnotes.xml']").get("ContentType").endswith("footnotes+xml")
        root = part(path, "word/footnotes.xml")
        assert {f.get(f"{W}type") for f in root.iterfind("w:footnote", NS)} >= {"separator", "continuationSeparator"}
        notes = footnote_paragraphs(root)
        assert list(notes) == list(range(1, len(m.article_notes(a)) + 1))
        assert [" ".join(t.split()) for t in notes.values()] == \
            [" ".join(block_text(f.blocks).split()) for f in m.article_notes(a)]
        refs = [int(r.get(f"{W}id")) for r in part(path, "word/document.xml").iter(f"{W}footnoteReference")]
        assert refs == list(notes)
        for f in root.iterfind("w:footnote", NS):
            if f.get(f"{W}type") is None:
                assert f.find("w:p/w:r/w:footnoteRef", NS) is not None
                assert style_id(f.find("w:p", NS)) == "FootnoteText"


def test_core_properties_equal_the_model(docs: dict, out: Path, articles: dict) -> None:
    for slug in SLUGS:
        meta, cp = articles[slug].meta, docs[slug].core_properties
        assert cp.title == meta.title
        assert cp.author == ("; ".join(a.name for a in meta.authors) or meta.publisher)
        assert cp.subject == (meta.subtitle or meta.description)
        assert cp.keywords == ", ".join(meta.tags)
        assert cp.category == (meta.tags[0] if meta.tags else meta.publisher)
        assert cp.language == meta.language
        assert cp.comments == meta.description
        assert cp.created == meta.published
        assert cp.modified == meta.modified
        assert cp.last_modified_by == "storyexport"
        assert cp.revision == 1
        app = part(out / f"{slug}.docx", "docProps/app.xml")
        assert app.findtext("{*}Application") == "storyexport"
        assert int(app.findtext("{*}Words")) == len(m.words(m.plain_text(articles[slug])))


# ------------------------------------------------------- tables, images


def test_table_header_repeats_and_columns_align(out: Path, articles: dict) -> None:
    for slug in SLUGS:
        tables = [b for b in articles[slug].blocks if isinstance(b, m.Table)]
        tbls = part(out / f"{slug}.docx", "word/document.xml").findall(".//w:body/w:tbl", NS)
        assert len(tbls) == len(tables)
        for t, tbl in zip(tables, tbls, strict=True):
            rows = tbl.findall("w:tr", NS)
            assert len(rows) == len(t.rows) + bool(t.header)
            assert [r.find("w:trPr/w:tblHeader", NS) is not None for r in rows] == \
                [True] * bool(t.header) + [False] * len(t.rows)
            assert tbl.find("w:tblPr/w:tblStyle", NS).get(f"{W}val") == "StoryTable"
            for r in rows:
                jcs = [c.find("w:p/w:pPr/w:jc", NS) for c in r.iterfind("w:tc", NS)]
                got = [j.get(f"{W}val") if j is not None else "" for j in jcs]
                assert got == [a if a in ("center", "right", "left") else "" for a in t.align]
    assert any(b for b in articles[RICH].blocks if isinstance(b, m.Table))


def test_images_carry_alt_text_and_fit_the_text_width(out: Path, articles: dict, theme: Theme) -> None:
    path = out / f"{RICH}.docx"
    a = articles[RICH]
    images = [n for b in a.blocks for n in m.walk(b) if isinstance(n, m.Image)]
    inlines = part(path, "word/document.xml").findall(".//wp:inline", NS)
    assert [i.find("wp:docPr", NS).get("descr") for i in inlines] == [img.alt for img in images]
    assert len({i.find("wp:docPr", NS).get("id") for i in inlines}) == len(inlines)
    text_width = theme.page["width"] - theme.page["margin_left"] - theme.page["margin_right"]
    for img, inline in zip(images, inlines, strict=True):
        asset = a.asset(img.src)
        cx, cy = (int(inline.find("wp:extent", NS).get(k)) for k in ("cx", "cy"))
        assert 0 < cx <= round(text_width * 12700)
        assert abs(cx / cy - asset.width / asset.height) < 0.01
    figure = next(b for b in a.blocks if isinstance(b, m.Figure))
    titles = [i.find("wp:docPr", NS).get("title") for i in inlines]
    assert figure.image.title and figure.image.title in titles
    media = {n for n in zipfile.ZipFile(path).namelist() if n.startswith("word/media/")}
    assert len(media) == len({img.src for img in images})
    assert zipfile.ZipFile(path).read(sorted(media)[-1]) in {Path(x.path).read_bytes() for x in a.assets}


# ------------------------------------------------------------- RTL, CJK


def test_rtl_story_is_right_to_left(out: Path, articles: dict) -> None:
    path = out / f"{RTL}.docx"
    doc = part(path, "word/document.xml")
    for p in doc.findall(".//w:body/w:p", NS):
        if style_id(p) != "Code":
            assert p.find("w:pPr/w:bidi", NS) is not None, paragraph_text(p)
    assert doc.find(".//w:body/w:sectPr/w:bidi", NS) is not None
    runs = [r for r in doc.iter(f"{W}r") if r.find("w:t", NS) is not None]
    arabic = [r for r in runs if re.search("[\u0600-\u06ff]", r.findtext("w:t", namespaces=NS))]
    assert arabic and all(r.find("w:rPr/w:rtl", NS) is not None for r in arabic)
    latin = [r for r in runs if r.findtext("w:t", namespaces=NS) == "UNESCO"]
    assert latin and all(r.find("w:rPr/w:rtl", NS) is None for r in latin)
    lang = part(path, "word/styles.xml").find("w:docDefaults/w:rPrDefault/w:rPr/w:lang", NS)
    assert lang.get(f"{W}bidi") == articles[RTL].meta.language
    assert part(out / f"{SEED}.docx", "word/document.xml").find(".//w:bidi", NS) is None


def test_document_language_is_set(out: Path, articles: dict, theme: Theme) -> None:
    for slug in SLUGS:
        lang = part(out / f"{slug}.docx", "word/styles.xml").find("w:docDefaults/w:rPrDefault/w:rPr/w:lang", NS)
        assert lang.get(f"{W}val") == articles[slug].meta.language
    ja = part(out / "tokyo-rail.docx", "word/styles.xml")
    assert ja.find("w:docDefaults/w:rPrDefault/w:rPr/w:lang", NS).get(f"{W}eastAsia") == "ja"
    assert ja.find("w:docDefaults/w:rPrDefault/w:rPr/w:rFonts", NS).get(f"{W}eastAsia") == \
        next(f for f in theme.system_fonts if f.endswith("JP"))


def test_bidi_segments_keep_latin_out_of_rtl_runs() -> None:
    segs = bidi_segments("تقارير منظمة UNESCO تصنّف")
    assert [s for s, rtl in segs if not rtl] == ["UNESCO"]
    assert "".join(s for s, _ in segs) == "تقارير منظمة UNESCO تصنّف"
    assert bidi_segments("plain English") == [("plain English", False)]


# -------------------------------------------------- fonts, footer, parts


def test_theme_fonts_are_embedded(out: Path, theme: Theme) -> None:
    path = out / f"{RICH}.docx"
    table = part(path, "word/fontTable.xml")
    table_rels = rels(path, "word/fontTable.xml")
    faces = {}
    with zipfile.ZipFile(path) as z:
        for font in table.iterfind("w:font", NS):
            for embed in font:
                if embed.tag.startswith(f"{W}embed"):
                    kind, target, _ = table_rels[embed.get(f"{R}id")]
                    assert kind == RT.FONT and target.endswith(".odttf")
                    data = obfuscate(z.read(f"word/{target}"), embed.get(f"{W}fontKey"))
                    faces[(font.get(f"{W}name"), embed.tag[len(W):])] = data
        types = xml(z.read("[Content_Types].xml"))
    for role in ("body", "heading", "code"):
        face = theme.fonts[role]
        for (b, i), file in face.files:
            kind = {(False, False): "embedRegular", (True, False): "embedBold", (False, True): "embedItalic",
                    (True, True): "embedBoldItalic"}[(b, i)]
            assert faces[(face.family, kind)] == file.read_bytes(), (face.family, kind)
    assert any("obfuscatedFont" in (e.get("ContentType") or "") for e in types)
    assert part(path, "word/settings.xml").find("w:embedTrueTypeFonts", NS) is not None


def test_page_numbers_and_running_head(out: Path, articles: dict) -> None:
    path = out / f"{SEED}.docx"
    doc_rels = rels(path, "word/document.xml")
    sect = part(path, "word/document.xml").find(".//w:body/w:sectPr", NS)
    assert sect.find("w:titlePg", NS) is not None

    def story(kind: str, which: str) -> etree._Element:
        ref = sect.find(f"w:{kind}Reference[@w:type='{which}']", NS)
        return part(path, "word/" + doc_rels[ref.get(f"{R}id")][1])

    for which in ("default", "first"):
        footer = story("footer", which)
        assert [" ".join(i.text.split()) for i in footer.iter(f"{W}instrText")] == ["PAGE", "NUMPAGES"]
        assert m.words(paragraph_text(footer.find("w:p", NS))) == ["Page", "1", "of", "1"]
        assert style_id(footer.find("w:p", NS)) == "Footer"
    meta = articles[SEED].meta
    assert paragraph_text(story("header", "default").find("w:p", NS)) == (meta.publisher or meta.title)
    assert paragraph_text(story("header", "first").find("w:p", NS)) == ""


def test_no_template_leftovers_or_clock(out: Path, articles: dict) -> None:
    for slug in SLUGS:
        path = out / f"{slug}.docx"
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            assert not [n for n in names if "thumbnail" in n or "customXml" in n or "stylesWithEffects" in n]
            stamp = zip_time(articles[slug].meta.modified)
            assert {i.date_time for i in z.infolist()} == {stamp}
            for name in names:
                if name.endswith((".xml", ".rels")):
                    data = z.read(name)
                    assert b"rsid" not in data and b"docId" not in data, name
                    assert b"python-docx" not in data and b"2013-12-23" not in data, name
                    assert b"Microsoft Macintosh Word" not in data, name


def test_two_renders_are_byte_identical(articles: dict, theme: Theme, out: Path) -> None:
    site = load_config(ROOT / "storyexport.toml")
    writer = DocxWriter(theme, site)
    for slug in (RICH, RTL):
        a, b = (writer.render(articles[slug], RenderContext(theme, site, Diagnostics())) for _ in range(2))
        assert a == b == (out / f"{slug}.docx").read_bytes()  # the CLI run, in another process, too
        assert zipfile.ZipFile(io.BytesIO(a)).testzip() is None


# -------------------------------------------------------------- warnings


def _render(article: m.Article) -> tuple[bytes, list[str]]:
    theme = load_theme("default")
    diags = Diagnostics()
    data = DocxWriter(theme, Site()).render(article, RenderContext(theme, Site(), diags))
    return data, [d.message for d in diags.warnings]


def test_unrepresentable_content_is_warned_not_dropped(samples: dict) -> None:
    meta = dataclasses.replace(samples[SEED].meta, summary=())
    T = m.Text
    note = m.Note("a", (m.Para((T("Note A, see "), m.Link((T("the desk"),), "https://example.org/desk"),
                                T(" and"))),))
    blocks = (
        m.Heading(2, (T("Target"),), "target-1"),
        m.Para((m.Link((T("script"),), "javascript:alert(1)"), T(" "), m.Link((T("gone"),), "#missing"),
                T(" "), m.Link((T("jump"),), "#target-1"), T(" "), note, T(" again"), note, T(" ghost"))),
    )
    with pytest.raises(ValueError, match="holds another footnote"):  # Word cannot nest them: not buildable
        m.Note("b", (m.Para((note,)),))
    data, warnings = _render(m.Article(meta, blocks, source_path="x.md"))
    text = " ".join(warnings)
    for needle in ("javascript:alert(1)", "#missing"):
        assert needle in text, (needle, warnings)
    path = io.BytesIO(data)
    with zipfile.ZipFile(path) as z:
        body = xml(z.read("word/document.xml"))
        doc_rels = xml(z.read("word/_rels/document.xml.rels"))
        notes_xml = xml(z.read("word/footnotes.xml"))
        notes_rels = xml(z.read("word/_rels/footnotes.xml.rels"))
    words = m.words(" ".join(paragraph_text(p) for p in body.iter(f"{W}p")))
    assert in_stream(["script", "gone", "jump", "again", "ghost"], " ".join(words)) is None
    assert not [r for r in doc_rels if "javascript" in (r.get("Target") or "")]
    anchor = [h.get(f"{W}anchor") for h in body.iter(f"{W}hyperlink")]
    assert anchor == [body.find(".//w:bookmarkStart", NS).get(f"{W}name")]
    assert [" ".join(i.text.split()) for i in body.iter(f"{W}instrText")] == ["NOTEREF _RefNote_1 \\f \\h"]
    assert body.find(".//w:bookmarkStart[@w:name='_RefNote_1']", NS) is not None
    assert list(footnote_paragraphs(notes_xml).values()) == ["Note A, see the desk and"]
    link = notes_xml.find(".//w:hyperlink", NS)
    assert notes_rels.find(f"rel:Relationship[@Id='{link.get(f'{R}id')}']", NS).get("Target") == \
        "https://example.org/desk"
