"""Editions (issue 19): many stories as one EPUB, PDF and DOCX, read back
with independent readers (pandoc, poppler, pypdf, python-docx, EPUBCheck,
feedparser). Each edition is rendered once per module."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path

import feedparser
import pypdf
import pytest
from docx import Document
from docx.oxml.ns import qn
from lxml import etree

from conftest import ROOT, SOURCE, run_cli
from storyexport import model as m
from storyexport.config import load_config
from storyexport.editions.selection import Edition, EditionSpec, make_spec, select
from storyexport.epubcheck import check_epubs
from storyexport.errors import ConfigError
from storyexport.model import Article, Figure, plain_text
from test_pdf import body_and_notes, first_missing, page_texts, tokens

ARGS = ("--title", "Test Edition", "--slug", "test", "--from", "2021-01-01", "--to", "2024-12-31",
        "--section", "Local", "--section", "Culture")
SPEC = EditionSpec("Test Edition", "test", start=date(2021, 1, 1), end=date(2024, 12, 31),
                   sections=("Local", "Culture"))
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
XHTML = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def make(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    r = run_cli("edition", *ARGS, "--out", str(out), *extra)
    assert r.returncode == 0, r.stderr
    return r


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("edition")
    make(out)
    return {fmt: out / f"test.{fmt}" for fmt in ("epub", "pdf", "docx")}


@pytest.fixture(scope="module")
def edition(samples: dict[str, Article]) -> Edition:
    site = load_config(ROOT / "storyexport.toml")
    # read as the command reads them: with the project's settings
    from storyexport.editions.command import read_stories
    from storyexport.errors import Diagnostics

    return select(SPEC, read_stories([SOURCE], SOURCE, site, Diagnostics()), site)


def without_alt(article: Article) -> Article:
    """Readers show a figure by its caption (alt text is checked by the writers' own tests)."""
    return dataclasses.replace(article, blocks=tuple(
        dataclasses.replace(b, image=dataclasses.replace(b.image, alt="")) if isinstance(b, Figure) else b
        for b in article.blocks))


def pandoc(path: Path, fmt: str) -> str:
    return subprocess.run(["pandoc", "-f", fmt, "-t", "plain", "--wrap=none", str(path)], capture_output=True,
                          text=True, check=True, timeout=120).stdout


# ------------------------------------------------------------- selection


def test_selection_sections_in_configured_order_then_by_name_and_stories_by_date(edition: Edition) -> None:
    names = [s.name for s in edition.sections]
    assert names[:2] == ["Local", "Culture"]
    assert names[2:] == sorted(names[2:], key=str.casefold)
    for s in edition.sections:
        dates = [e.article.meta.published for e in s.entries]
        assert dates == sorted(dates)
    assert "russia-sends-aid" not in {e.article.meta.slug for e in edition.entries}  # undated: no date window
    assert [e.key for e in edition.entries] == [f"s{i:02d}" for i in range(1, len(edition.entries) + 1)]


def test_last_days_counts_back_from_the_newest_story_not_the_clock(samples: dict[str, Article]) -> None:
    site = load_config(ROOT / "storyexport.toml")
    newest = max(a.meta.published for a in samples.values() if not a.meta.undated)
    week = select(make_spec({"title": "W", "last_days": 7}, "t"), samples.values(), site)
    assert [e.article.meta.published for e in week.entries] == [newest]
    tagged = select(make_spec({"title": "T", "tags": ["CULTURE"]}, "t"), samples.values(), site)
    assert {e.article.meta.slug for e in tagged.entries} == {"harbour-festival"}
    listed = select(make_spec({"title": "L", "stories": ["tokyo-rail", "council-budget"]}, "t"),
                    samples.values(), site)
    assert {e.article.meta.slug for e in listed.entries} == {"tokyo-rail", "council-budget"}
    # a window longer than the calendar (timedelta refuses it) holds every dated story
    ever = select(make_spec({"title": "E", "last_days": 10**12}, "t"), samples.values(), site)
    assert {e.article.meta.slug for e in ever.entries} == {a.meta.slug for a in samples.values()
                                                         if not a.meta.undated}


@pytest.mark.parametrize(("table", "message"), [
    ({"slug": "x", "from": "2020-01-01"}, "a title is required"),
    ({"title": "T"}, "say which stories"),
    ({"title": "T", "from": "2020-13-01"}, "expected a date"),
    ({"title": "T", "from": "2021-01-02", "to": "2021-01-01"}, "'from' is after 'to'"),
    ({"title": "T", "tags": ["x"], "formats": ["html"]}, "'html' is not one of"),
    ({"title": "T", "tags": ["x"], "colour": "red"}, "unknown key 'colour'"),
    ({"title": "T", "slug": "../x", "tags": ["x"]}, "slug must be"),
])
def test_bad_edition_tables_are_located_config_errors(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        make_spec(table, "storyexport.toml")


def test_bad_edition_table_in_config_exits_with_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "storyexport.toml"
    cfg.write_text('[[editions]]\ntitle = "X"\nfrom = "someday"\n', encoding="utf-8")
    r = run_cli("edition", "--title", "T", "--tag", "x", "--config", str(cfg), "--out", str(tmp_path / "o"))
    assert r.returncode != 0
    assert r.stderr.strip().count("\n") == 0 and "storyexport.toml" in r.stderr and "expected a date" in r.stderr
    assert "Traceback" not in r.stderr


def test_empty_selection_warns_and_writes_nothing(tmp_path: Path) -> None:
    r = run_cli("edition", "--title", "Nothing", "--from", "2030-01-01", "--out", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    assert "edition 'nothing' (Nothing) selects no story; no file written" in r.stderr
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


# ------------------------------------------------------------------ EPUB


def test_epub_is_epubcheck_clean(files: dict[str, Path]) -> None:
    result = check_epubs([files["epub"]])[files["epub"]]
    assert result.completed
    bad = [m for m in result.messages if m.severity in ("FATAL", "ERROR", "WARNING")]
    assert bad == []


def _book(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_epub_nav_is_sections_then_stories_and_one_document_per_story(files: dict[str, Path],
                                                                       edition: Edition) -> None:
    book = _book(files["epub"])
    nav = etree.fromstring(book["EPUB/nav.xhtml"], PARSER)
    toc = next(n for n in nav.iter(f"{XHTML}nav") if n.get(EPUB_TYPE) == "toc")
    top = toc.find(f"{XHTML}ol")
    sections = top.findall(f"{XHTML}li")
    assert [li.find(f"{XHTML}a").text for li in sections] == [s.name for s in edition.sections]
    for li, section in zip(sections, edition.sections, strict=True):
        stories = li.find(f"{XHTML}ol").findall(f"{XHTML}li")
        assert [s.find(f"{XHTML}a").text for s in stories] == [e.article.meta.title for e in section.entries]
        assert [s.find(f"{XHTML}a").get("href") for s in stories] == [f"{e.key}.xhtml" for e in section.entries]
    landmarks = {a.get(EPUB_TYPE) for n in nav.iter(f"{XHTML}nav") if n.get(EPUB_TYPE) == "landmarks"
                 for a in n.iter(f"{XHTML}a")}
    assert landmarks == {"cover", "toc", "bodymatter"}
    ncx = etree.fromstring(book["EPUB/toc.ncx"], PARSER)
    ns = "{http://www.daisy.org/z3986/2005/ncx/}"
    points = ncx.find(f"{ns}navMap").findall(f"{ns}navPoint")
    assert [p.find(f"{ns}navLabel/{ns}text").text for p in points] == [s.name for s in edition.sections]
    opf = book["EPUB/content.opf"].decode()
    assert re.search(r"<dc:identifier[^>]*>urn:uuid:[0-9a-f-]{36}</dc:identifier>", opf)
    assert "schema:accessibilitySummary" in opf and "Test Edition" in opf


def test_epub_identifier_is_stable_per_slug(files: dict[str, Path], tmp_path: Path) -> None:
    make(tmp_path, "--format", "epub", "--to", "2022-12-31")  # other stories, same slug
    ident = re.compile(rb"<dc:identifier[^>]*>([^<]+)<")
    assert ident.search(_book(files["epub"])["EPUB/content.opf"]).group(1) == \
        ident.search(_book(tmp_path / "test.epub")["EPUB/content.opf"]).group(1)


def test_epub_every_word_in_order_through_pandoc(files: dict[str, Path], edition: Edition) -> None:
    text = tokens(pandoc(files["epub"], "epub"))
    for e in edition.entries:
        body, notes = body_and_notes(without_alt(e.article))
        lang = e.article.meta.language
        assert first_missing(tokens(body, lang), text if lang[:2] not in ("ja", "zh") else
                             tokens(" ".join(text), lang)) is None, e.article.meta.slug
        for note in notes:
            assert first_missing(tokens(note, lang), text) is None


def test_epub_footnote_ids_unique_and_linked_within_their_story(files: dict[str, Path], edition: Edition) -> None:
    book = _book(files["epub"])
    all_ids: list[str] = []
    notes = 0
    for e in edition.entries:
        page = etree.fromstring(book[f"EPUB/{e.key}.xhtml"], PARSER)
        ids = {el.get("id") for el in page.iter() if el.get("id")}
        all_ids += ids
        assert all(i.startswith(f"{e.key}-") for i in ids), e.key
        for aside in (a for a in page.iter(f"{XHTML}aside") if a.get(EPUB_TYPE) == "footnote"):
            notes += 1
            back = [a for a in aside.iter(f"{XHTML}a") if a.get("role") == "doc-backlink"]
            assert back and back[0].get("href")[1:] in ids  # back to a reference in this story's page
        for ref in (a for a in page.iter(f"{XHTML}a") if a.get(EPUB_TYPE) == "noteref"):
            assert ref.get("href")[1:] in ids
    assert notes == sum(len(m.article_notes(e.article)) for e in edition.entries) > 1
    assert len(all_ids) == len(set(all_ids))


# ------------------------------------------------------------------- PDF


def test_pdf_every_word_in_order(files: dict[str, Path], edition: Edition) -> None:
    pages = page_texts(files["pdf"])
    whole = tokens("\n".join(pages))
    reader = pypdf.PdfReader(files["pdf"])
    for e in edition.entries:
        lang = e.article.meta.language
        body, notes = body_and_notes(e.article)
        if e.article.meta.direction == "rtl":  # pypdf keeps Arabic words whole, maybe in visual order
            rtl = Counter(tokens("\n".join(p.extract_text() for p in reader.pages), lang))
            assert not Counter(tokens(body, lang)) - rtl
            continue
        hay = whole if lang[:2] not in ("ja", "zh") else tokens("\n".join(pages), lang)
        assert first_missing(tokens(body, lang), hay) is None, e.article.meta.slug
        for note in notes:
            assert first_missing(tokens(note, lang), hay) is None


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def continuous(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Edition]:
    """The samples with a ``section`` key on the Markdown ones (one section
    of four stories), as a continuous PDF."""
    root = tmp_path_factory.mktemp("continuous")
    shutil.copytree(SOURCE, root / "source")
    for md in (root / "source").glob("*.md"):
        md.write_text(md.read_text(encoding="utf-8").replace("---\n", "---\nsection: Desk\n", 1), encoding="utf-8")
    out = root / "out"
    make(out, "--format", "pdf", "--continuous", str(root / "source"))
    from storyexport.editions.command import read_stories
    from storyexport.errors import Diagnostics

    site = load_config(ROOT / "storyexport.toml")
    stories = read_stories([root / "source"], root / "source", site, Diagnostics())
    return out / "test.pdf", select(dataclasses.replace(SPEC, continuous=True), stories, site)


def test_pdf_contents_page_numbers_are_where_the_headlines_print(files: dict[str, Path], edition: Edition) -> None:
    check_contents(files["pdf"], edition)


def test_continuous_pdf_runs_stories_on_with_true_page_numbers(continuous: tuple[Path, Edition]) -> None:
    pdf, edition = continuous
    desk = next(s for s in edition.sections if s.name == "Desk")
    assert len(desk.entries) == 4  # the section key groups them
    check_contents(pdf, edition)
    texts = page_texts(pdf, raw=False)
    a, b = (squeeze(e.article.meta.title)[:12] for e in desk.entries[:2])
    assert any(a in squeeze(t) and b in squeeze(t) for t in texts)  # two stories share a page


def check_contents(pdf: Path, edition: Edition) -> None:
    pages = page_texts(pdf, raw=False)
    contents = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", "-f", "2", "-l", "2", str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout  # a title and its number on one line
    assert contents.lstrip().startswith("Contents")
    for e in edition.entries:
        if e.article.meta.direction == "rtl":
            continue  # poppler splits Arabic at combining marks: its line is not found as typed
        key = squeeze(e.article.meta.title)[:12]
        line = next(ln for ln in contents.splitlines() if squeeze(ln).startswith(key))
        number = int(re.search(r"(\d+)\s*$", line).group(1))
        starts = [i + 1 for i, p in enumerate(pages) if i > 1 and key in squeeze(p)]
        assert starts and starts[0] == number, (e.article.meta.title, number, starts)


def test_pdf_outline_is_sections_then_stories(files: dict[str, Path], edition: Edition) -> None:
    reader = pypdf.PdfReader(files["pdf"])
    texts = page_texts(files["pdf"], raw=False)
    outline = reader.outline
    tops = [o for o in outline if not isinstance(o, list)]
    assert [o.title for o in tops] == [s.name for s in edition.sections]
    kids = [o for o in outline if isinstance(o, list)]
    assert len(kids) == len(edition.sections)
    for sub, section in zip(kids, edition.sections, strict=True):
        titles = [o.title for o in sub if not isinstance(o, list)]
        assert [squeeze(t) for t in titles] == [squeeze(e.article.meta.title) for e in section.entries]
        for o, e in zip([o for o in sub if not isinstance(o, list)], section.entries, strict=True):
            page = reader.get_destination_page_number(o)
            assert squeeze(e.article.meta.title)[:10] in squeeze(texts[page]) or e.article.meta.direction == "rtl"


def test_pdf_footnotes_are_numbered_per_story(files: dict[str, Path], edition: Edition) -> None:
    notes = [e for e in edition.entries if m.article_notes(e.article)]
    assert len(notes) >= 2
    pages = page_texts(files["pdf"], raw=False)
    for e in notes:
        # the story's first note is "1." at the foot of one of its pages
        first = " ".join(body_and_notes(e.article)[1][0].split()[:2])
        if e.article.meta.direction == "rtl":
            continue
        page = next(p for p in pages if first in p)
        assert re.search(r"^\s*1\.\s+" + re.escape(first.split()[0]), page, re.M), page[-400:]


def test_pdf_running_heads_name_the_section(files: dict[str, Path], edition: Edition) -> None:
    pages = page_texts(files["pdf"], raw=False)
    long = max(edition.entries, key=lambda e: len(plain_text(e.article)))
    later = [p for p in pages[3:] if long.article.meta.title.split()[0] not in p[:400]]
    assert any(p.lstrip().startswith(long.section) for p in later)


# ------------------------------------------------------------------ DOCX


def test_docx_has_contents_field_heading_levels_and_edition_properties(files: dict[str, Path],
                                                                       edition: Edition) -> None:
    doc = Document(str(files["docx"]))
    instr = " ".join(t.text for t in doc.element.body.iter(qn("w:instrText")))
    assert "TOC \\o \"1-2\"" in instr
    sections = [p.text for p in doc.paragraphs if p.style.style_id == "Heading1"]
    assert sections == [s.name for s in edition.sections]
    titles = [p.text for p in doc.paragraphs if p.style.style_id == "Title"
              and (lvl := p._p.find(f"{qn('w:pPr')}/{qn('w:outlineLvl')}")) is not None and lvl.get(qn("w:val")) == "1"]
    assert titles == [e.article.meta.title for e in edition.entries]
    assert doc.core_properties.title == "Test Edition"
    assert set(doc.core_properties.keywords.split(", ")) == {s.name for s in edition.sections}


def test_docx_every_word_in_order_through_pandoc(files: dict[str, Path], edition: Edition) -> None:
    text = pandoc(files["docx"], "docx")
    for e in edition.entries:
        lang = e.article.meta.language
        body, notes = body_and_notes(without_alt(e.article))
        assert first_missing(tokens(body, lang), tokens(text, lang)) is None, e.article.meta.slug
        for note in notes:
            assert first_missing(tokens(note, lang), tokens(text, lang)) is None


def test_docx_footnotes_restart_for_every_story(files: dict[str, Path], edition: Edition) -> None:
    doc = Document(str(files["docx"]))
    body = doc.element.body
    sects = list(body.iter(qn("w:sectPr")))
    # cover, contents, then one Word section per story
    assert len(sects) == 2 + len(edition.entries)
    for s in sects:
        assert s.find(f"{qn('w:footnotePr')}/{qn('w:numRestart')}").get(qn("w:val")) == "eachSect"
    refs = [int(r.get(qn("w:id"))) for r in body.iter(qn("w:footnoteReference"))]
    assert len(refs) == len(set(refs)) == sum(len(m.article_notes(e.article)) for e in edition.entries)


# --------------------------------------------------------- reproducible


def test_two_builds_are_byte_identical(files: dict[str, Path], tmp_path: Path) -> None:
    make(tmp_path)
    for fmt, path in files.items():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), fmt


# ------------------------------------------------- configured + incremental


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(SOURCE, root / "source")
    (root / "storyexport.toml").write_text(
        (ROOT / "storyexport.toml").read_text(encoding="utf-8")
        + '\n[[editions]]\ntitle = "Local"\nslug = "local"\ntags = ["Local"]\nformats = ["epub"]\n'
        + '\n[[editions]]\ntitle = "Nothing yet"\nslug = "none"\nfrom = 2030-01-01\n', encoding="utf-8")
    return root


def export(project: Path) -> tuple[set[str], str]:
    r = run_cli("--format", "epub,rss", "--jobs", "1", "-v", cwd=project)
    assert r.returncode == 0, r.stderr
    return {ln.removeprefix("wrote ").removeprefix("dist/") for ln in r.stdout.splitlines()
            if ln.startswith("wrote ")}, r.stderr


def test_export_builds_configured_editions_only_when_their_inputs_change(project: Path) -> None:
    written, err = export(project)
    assert {"editions/reader.epub", "editions/local.epub", "editions/feed.xml"} <= written
    assert "'none' (Nothing yet) selects no story; no file written" in err
    assert not (project / "dist/editions/none.epub").exists()
    assert not (project / "dist/editions/reader.pdf").exists()  # the export made no PDFs
    written, _ = export(project)
    assert written == set()
    # a story in the reader but not in the Local edition
    story = project / "source/harbour-festival.txt"
    story.write_text(story.read_text(encoding="utf-8").replace("crowds", "many crowds", 1), encoding="utf-8")
    written, _ = export(project)
    names = written
    assert "editions/reader.epub" in names and "editions/local.epub" not in names
    # the edition's own configuration
    cfg = project / "storyexport.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace('title = "Local"', 'title = "Local news"'),
                   encoding="utf-8")
    names = export(project)[0]
    assert "editions/local.epub" in names and "editions/reader.epub" not in names
    # an edition removed from the configuration leaves no files behind
    cfg.write_text(cfg.read_text(encoding="utf-8").split("\n[[editions]]\ntitle = \"Local news\"")[0],
                   encoding="utf-8")
    export(project)
    assert not (project / "dist/editions/local.epub").exists()


def test_edition_feed_lists_editions_with_their_files(project: Path) -> None:
    export(project)
    feed = feedparser.parse((project / "dist/editions/feed.xml").read_bytes())
    assert not feed.bozo
    titles = {e.title for e in feed.entries}
    assert "The Courier Reader" in titles
    entry = next(e for e in feed.entries if e.title == "The Courier Reader")
    enclosures = [lk for lk in entry.links if lk.rel == "enclosure"]
    assert enclosures and enclosures[0].href.endswith("/editions/reader.epub")
    assert int(enclosures[0].length) == (project / "dist/editions/reader.epub").stat().st_size
