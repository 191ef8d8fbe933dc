"""EPUB writer: every sample exported once through the CLI, then checked with
EPUBCheck (all books in ONE JVM), EbookLib, pandoc, lxml and fontTools, and
compared with the article model."""

from __future__ import annotations

import dataclasses
import io
import posixpath
import re
import shutil
import subprocess
import uuid
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from ebooklib import epub
from lxml import etree

from conftest import EPOCH, ROOT, SEED, SOURCE, run_cli
from storyexport import epubcheck as epubcheck_util
from storyexport.config import Site, load_config
from storyexport.errors import Diagnostics
from storyexport.model import (
    Article,
    Asset,
    Figure,
    Heading,
    Image,
    Link,
    Note,
    Para,
    Text,
    article_notes,
    inline_text,
    plain_text,
    query,
    walk,
    words,
)
from storyexport.readers import read_source
from storyexport.theme import load_theme
from storyexport.writers import RenderContext
from storyexport.writers import epub as epub_writer
from storyexport.writers.epub import EpubWriter
from storyexport.writers.ziputil import zip_time

SLUGS = ("russia-sends-aid", "newsroom-style-guide", "arabic-water-report", "tokyo-rail", "council-budget",
         "harbour-festival")
NS = {"h": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "ncx": "http://www.daisy.org/z3986/2005/ncx/"}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="session")
def site() -> Site:
    """The settings the CLI export uses (./storyexport.toml, SOURCE_DATE_EPOCH)."""
    return dataclasses.replace(load_config(ROOT / "storyexport.toml"), source_date_epoch=int(EPOCH))


@pytest.fixture(scope="session")
def articles(site: Site) -> dict[str, Article]:
    """The samples as the CLI sees them (its site settings, not the defaults)."""
    out = {}
    for p in sorted(SOURCE.glob("*.*")):
        if p.suffix in (".md", ".txt"):
            a = read_source(p, SOURCE, site, Diagnostics())
            assert a is not None
            out[a.meta.slug] = a
    return out


@pytest.fixture(scope="session")
def books(exported: Callable[..., Path]) -> dict[str, Path]:
    out = exported("epub")
    return {slug: out / f"{slug}.epub" for slug in SLUGS}


@pytest.fixture(scope="session")
def sans_books(exported: Callable[..., Path]) -> dict[str, Path]:
    out = exported("epub", theme="sans")
    return {slug: out / f"{slug}.epub" for slug in SLUGS}


def render(article: Article, site: Site, theme: str = "default") -> tuple[bytes, Diagnostics]:
    diags = Diagnostics()
    t = load_theme(theme)
    return EpubWriter(t, site).render(article, RenderContext(t, site, diags)), diags


@pytest.fixture(scope="session")
def edge_books(tmp_path_factory: pytest.TempPathFactory, articles: dict[str, Article],
               site: Site) -> dict[str, tuple[Path, Diagnostics]]:
    """Books the samples do not cover, rendered through the writer API: a
    link to a missing fragment, a bare article (no headings, authors,
    publisher, tags or base URL), a model with a duplicated heading id and a
    link inside a link, and two images with the same file name."""
    base = articles["council-budget"]
    images = SOURCE / "images"
    dup = (Asset("a/pic.png", str(images / "chart.png"), "image/png", 1200, 700, "x"),
           Asset("b/pic.png", str(images / "icon.png"), "image/png", 64, 64, "y"))
    variants = {
        "dangling": dataclasses.replace(base, blocks=(
            Para((Text("See "), Link((Text("the missing part"),), "#nowhere"), Text("."))), *base.blocks)),
        "bare": Article(dataclasses.replace(base.meta, authors=(), publisher="", tags=(), description="",
                                            rights="", subtitle="", canonical_url="", summary=()),
                        (Para((Text("Just one paragraph."),)),)),
        "repairs": dataclasses.replace(base, blocks=(
            Heading(2, (Text("First"),), "dup"), Para((Text("One."),)), Heading(2, (Text("Second"),), "dup"),
            Para((Link((Text("outer "), Link((Text("inner"),), "https://example.org/in")), "https://example.org/out"),
                  )))),
        "duplicate-names": dataclasses.replace(base, assets=dup, blocks=(
            Figure(Image("A chart", "a/pic.png"), (Text("First"),)),
            Figure(Image("An icon", "b/pic.png"), (Text("Second"),)), *base.blocks)),
    }
    out = tmp_path_factory.mktemp("epub-edge")
    bare_site = dataclasses.replace(site, base_url="")
    result = {}
    for name, article in variants.items():
        data, diags = render(article, bare_site if name == "bare" else site)
        (out / f"{name}.epub").write_bytes(data)
        result[name] = (out / f"{name}.epub", diags)
    return result


@pytest.fixture(scope="session")
def broken_book(tmp_path_factory: pytest.TempPathFactory, books: dict[str, Path]) -> Path:
    """A sample with a link to a file that is not in the container: EPUBCheck
    must report it, or the clean results above prove nothing."""
    src = zipfile.ZipFile(books["council-budget"])
    path = tmp_path_factory.mktemp("epub-broken") / "broken.epub"
    with zipfile.ZipFile(path, "w") as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "EPUB/article.xhtml":
                data = data.replace(b"<p>", b'<p><a href="missing.xhtml">gone</a> ', 1)
            z.writestr(info, data)
    return path


@pytest.fixture(scope="session")
def epubcheck(books: dict[str, Path], sans_books: dict[str, Path], edge_books: dict[str, tuple[Path, Diagnostics]],
              broken_book: Path) -> dict[Path, epubcheck_util.Result]:
    """ONE EPUBCheck run (one JVM) over every book of this file."""
    paths = [*books.values(), *sans_books.values(), *(p for p, _ in edge_books.values()), broken_book]
    try:
        return {p.resolve(): r for p, r in epubcheck_util.check_epubs(paths).items()}
    except epubcheck_util.EpubCheckUnavailable as e:
        pytest.fail(f"EPUBCheck cannot run: {e}")


def opf(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        container = etree.fromstring(z.read("META-INF/container.xml"), PARSER)
        full = container.find(".//{*}rootfile").get("full-path")
        return etree.fromstring(z.read(full), PARSER)


def read_book(path: Path) -> epub.EpubBook:
    return epub.read_epub(str(path), {"ignore_ncx": False})


def doc(book: epub.EpubBook, name: str) -> etree._Element:
    """A content document as stored (EbookLib's ``get_content`` rebuilds
    XHTML documents from its own template)."""
    return etree.fromstring(book.get_item_with_href(name).content, PARSER)


def in_order(expected: list[str], text: str) -> list[str]:
    """Words of ``expected`` not found in ``text`` in order (a word may sit
    inside a longer token, e.g. before a footnote number)."""
    flat = " ".join(words(text))
    pos, missing = 0, []
    for w in expected:
        i = flat.find(w, pos)
        if i < 0:
            missing.append(w)
        else:
            pos = i + len(w)
    return missing


# ------------------------------------------------------------------ EPUBCheck


def test_every_sample_has_a_book(articles: dict[str, Article], books: dict[str, Path]) -> None:
    assert set(articles) == set(SLUGS)
    for path in books.values():
        assert path.is_file() and path.stat().st_size > 1000, path


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("theme", ["default", "sans"])
def test_epubcheck_clean(slug: str, theme: str, books: dict[str, Path], sans_books: dict[str, Path],
                         epubcheck: dict[Path, epubcheck_util.Result]) -> None:
    res = epubcheck[(books if theme == "default" else sans_books)[slug].resolve()]
    assert res.completed
    assert not res.errors, "\n".join(map(str, res.errors))
    assert not res.warnings, "\n".join(map(str, res.warnings))


@pytest.mark.parametrize("name", ["dangling", "bare", "repairs", "duplicate-names"])
def test_epubcheck_clean_edge_cases(name: str, edge_books: dict[str, tuple[Path, Diagnostics]],
                                    epubcheck: dict[Path, epubcheck_util.Result]) -> None:
    res = epubcheck[edge_books[name][0].resolve()]
    assert res.completed
    assert not res.errors and not res.warnings, "\n".join(map(str, res.errors + res.warnings))


def test_epubcheck_does_report_problems(broken_book: Path, epubcheck: dict[Path, epubcheck_util.Result]) -> None:
    res = epubcheck[broken_book.resolve()]
    assert any(m.id.startswith("RSC-007") and "missing.xhtml" in m.text for m in res.errors), res.messages


def test_jre_only_fallback_reports_the_same(monkeypatch: pytest.MonkeyPatch, broken_book: Path,
                                            epubcheck: dict[Path, epubcheck_util.Result]) -> None:
    """Without javac (a bare JRE) the helper runs EPUBCheck's own command line
    per file; it must find what the one-JVM run finds."""
    real_which = shutil.which
    monkeypatch.setattr(epubcheck_util.shutil, "which", lambda name: None if name == "javac" else real_which(name))
    [res] = epubcheck_util.check_epubs([broken_book]).values()
    one_jvm = epubcheck[broken_book.resolve()]
    assert {(m.id, m.severity) for m in res.errors} == {(m.id, m.severity) for m in one_jvm.errors}
    assert res.errors


def test_missing_java_fails_with_install_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real_which = shutil.which
    monkeypatch.setattr(epubcheck_util.shutil, "which", lambda name: None if name == "java" else real_which(name))
    with pytest.raises(epubcheck_util.EpubCheckUnavailable, match=r"make system-deps"):
        epubcheck_util.check_epubs([tmp_path / "any.epub"])


# ----------------------------------------------------------------- container


@pytest.mark.parametrize("slug", SLUGS)
def test_container_layout(slug: str, books: dict[str, Path], articles: dict[str, Article]) -> None:
    with zipfile.ZipFile(books[slug]) as z:
        infos = z.infolist()
        assert infos[0].filename == "mimetype"
        assert infos[0].compress_type == zipfile.ZIP_STORED
        assert z.read("mimetype") == b"application/epub+zip"
        assert infos[0].extra == b""
        stamp = zip_time(articles[slug].meta.modified)
        assert {i.date_time for i in infos} == {stamp}
        names = set(z.namelist())
    root = opf(books[slug])
    manifest = {posixpath.join("EPUB", unquote(i.get("href"))) for i in root.iterfind(".//opf:manifest/opf:item", NS)}
    # every manifest item is in the zip and every file is in the manifest
    assert manifest <= names
    assert names - manifest == {"mimetype", "META-INF/container.xml", "EPUB/content.opf"}


@pytest.mark.parametrize("slug", SLUGS)
def test_no_dangling_reference(slug: str, books: dict[str, Path]) -> None:
    """Every href/src/url() inside the container resolves to a manifest item
    (and an existing id); everything else is an absolute web or mail link."""
    root = opf(books[slug])
    items = {posixpath.normpath(posixpath.join("EPUB", unquote(i.get("href")))): i.get("media-type")
             for i in root.iterfind(".//opf:manifest/opf:item", NS)}
    with zipfile.ZipFile(books[slug]) as z:
        ids = {name: {e.get("id") for e in etree.fromstring(z.read(name), PARSER).iter() if e.get("id")}
               for name, mt in items.items() if mt == "application/xhtml+xml"}
        refs: list[tuple[str, str]] = []
        for name in ids:
            for el in etree.fromstring(z.read(name), PARSER).iter():
                refs.extend((name, el.get(attr)) for attr in ("href", "src") if el.get(attr) is not None)
        for name, mt in items.items():
            if mt == "text/css":
                refs.extend((name, u) for u in re.findall(r'url\("?([^")]+)"?\)', z.read(name).decode()))
    assert refs
    for base, ref in refs:
        parts = urlsplit(ref)
        if parts.scheme:
            assert parts.scheme in ("http", "https", "mailto"), ref
            assert parts.netloc or parts.scheme == "mailto", ref
            continue
        target = posixpath.normpath(posixpath.join(posixpath.dirname(base), unquote(parts.path))) if parts.path \
            else base
        assert target in items, (base, ref)
        if parts.fragment:
            assert parts.fragment in ids[target], (base, ref)


# ------------------------------------------------------------------ content


@pytest.fixture(scope="session")
def pandoc_text(books: dict[str, Path]) -> dict[str, str]:
    if shutil.which("pandoc") is None:
        pytest.fail("pandoc is not installed: run `make system-deps`")
    return {slug: subprocess.run(["pandoc", "-f", "epub", "-t", "plain", "--wrap=none", str(path)],
                                 capture_output=True, text=True, check=True, timeout=120).stdout
            for slug, path in books.items()}


def without_figure_alt(article: Article) -> Article:
    """Pandoc shows a figure by its caption only (its alt text is checked
    separately in the XHTML), so the comparison leaves figure alts out."""
    return dataclasses.replace(article, blocks=tuple(
        dataclasses.replace(b, image=dataclasses.replace(b.image, alt="")) if isinstance(b, Figure) else b
        for b in article.blocks))


def text_with_alt(el: etree._Element) -> str:
    """An element's text as a reader hears it: images read as their alt text."""
    el = etree.fromstring(etree.tostring(el), PARSER)
    for img in el.iter("{*}img"):
        img.tail = f" {img.get('alt', '')} {img.tail or ''}"
    return "".join(el.itertext())


SCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉", "01234567890123456789")
"""pandoc's plain writer prints sub- and superscript digits as Unicode ones."""


@pytest.mark.parametrize("slug", SLUGS)
def test_every_word_in_order_pandoc(slug: str, pandoc_text: dict[str, str], articles: dict[str, Article]) -> None:
    expected = words(plain_text(without_figure_alt(articles[slug])))
    assert len(expected) > 5
    assert in_order(expected, pandoc_text[slug].translate(SCRIPT_DIGITS)) == []


@pytest.mark.parametrize("slug", SLUGS)
def test_every_word_in_order_ebooklib(slug: str, books: dict[str, Path], articles: dict[str, Article]) -> None:
    book = read_book(books[slug])
    spine = [book.get_item_with_id(idref) for idref, _ in book.spine]
    assert [i.get_name() for i in spine] == ["cover.xhtml", "article.xhtml"]
    body = doc(book, "article.xhtml").find("h:body", NS)
    assert in_order(words(plain_text(articles[slug])), text_with_alt(body)) == []


def test_footnotes_are_noterefs_with_backlinks(books: dict[str, Path], articles: dict[str, Article]) -> None:
    article = articles["newsroom-style-guide"]
    page = doc(read_book(books["newsroom-style-guide"]), "article.xhtml")
    refs = [a for a in page.iter("{*}a") if a.get(EPUB_TYPE) == "noteref"]
    notes = [a for a in page.iter("{*}aside") if a.get(EPUB_TYPE) == "footnote"]
    assert len(refs) == len(query(article, Note)) > 0
    assert len(notes) == len(article_notes(article))
    ids = {e.get("id") for e in page.iter() if e.get("id")}
    note_ids = {n.get("id") for n in notes}
    for ref in refs:
        assert ref.get("href")[1:] in note_ids
    for note, model in zip(notes, article_notes(article), strict=True):
        back = [a for a in note.iter("{*}a") if a.get("role") == "doc-backlink"]
        assert back and back[0].get("href")[1:] in ids
        assert in_order(words("\n".join(inline_text(b.children) for b in model.blocks if isinstance(b, Para))),
                        " ".join(note.itertext())) == []


def test_figures_and_images_keep_alt_text(books: dict[str, Path], articles: dict[str, Article]) -> None:
    article = articles["newsroom-style-guide"]
    page = doc(read_book(books["newsroom-style-guide"]), "article.xhtml")
    alts = [img.get("alt") for img in page.iter("{*}img")]
    assert alts == [i.alt for i in query(article, Image)]
    captions = ["".join(f.itertext()) for f in page.iter("{*}figcaption")]
    assert captions == [inline_text(f.caption) for f in query(article, Figure)]


def test_external_links_are_absolute(books: dict[str, Path], articles: dict[str, Article]) -> None:
    page = doc(read_book(books["newsroom-style-guide"]), "article.xhtml")
    hrefs = [a.get("href") for a in page.iter("{*}a") if not a.get("href", "#").startswith("#")]
    assert hrefs == [link.url for link in query(articles["newsroom-style-guide"], Link)
                     if not link.url.startswith("#")]
    assert hrefs and all(urlsplit(h).scheme in ("https", "mailto") for h in hrefs)


def test_link_to_missing_fragment_is_text_with_warning(edge_books: dict[str, tuple[Path, Diagnostics]]) -> None:
    path, diags = edge_books["dangling"]
    page = doc(read_book(path), "article.xhtml")
    assert "#nowhere" not in etree.tostring(page).decode()
    assert "the missing part" in " ".join(page.itertext())
    assert any("#nowhere" in d.message and "kept as text" in d.message for d in diags.warnings)


def test_invalid_model_shapes_are_repaired_with_warnings(edge_books: dict[str, tuple[Path, Diagnostics]]) -> None:
    path, diags = edge_books["repairs"]
    book = read_book(path)
    page = doc(book, "article.xhtml")
    assert [h.get("id") for h in page.iter("{*}h2") if h.get("class") != "summary-title"] == ["dup", None]
    assert not [a for a in page.iter("{*}a") if any(x.tag.endswith("}a") for x in a.iterancestors())]
    assert "outer inner" in "".join(page.itertext())
    nav_links = [a.get("href") for a in doc(book, "nav.xhtml").iter("{*}a") if a.get(EPUB_TYPE) is None]
    assert nav_links == ["article.xhtml", "article.xhtml#dup"]
    messages = " ".join(d.message for d in diags.warnings)
    assert "duplicate id 'dup'" in messages and "inside another link" in messages


def test_duplicate_image_names_get_distinct_files(edge_books: dict[str, tuple[Path, Diagnostics]]) -> None:
    book = read_book(edge_books["duplicate-names"][0])
    srcs = [img.get("src") for img in doc(book, "article.xhtml").iter("{*}img")]
    assert srcs[:2] == ["images/pic.png", "images/pic-2.png"]
    assert book.get_item_with_href("images/pic.png").get_content() == (SOURCE / "images" / "chart.png").read_bytes()
    assert book.get_item_with_href("images/pic-2.png").get_content() == (SOURCE / "images" / "icon.png").read_bytes()


# -------------------------------------------------------------------- metadata


def _meta(root: etree._Element, prop: str) -> list[str]:
    return [m.text for m in root.iterfind(".//opf:metadata/opf:meta", NS) if m.get("property") == prop]


@pytest.mark.parametrize("slug", SLUGS)
def test_metadata_equals_model(slug: str, books: dict[str, Path], articles: dict[str, Article], site: Site) -> None:
    m = articles[slug].meta
    book = read_book(books[slug])

    def dc(name: str) -> list[str]:
        return [v for v, _ in book.get_metadata("DC", name)]

    key = m.canonical_url or site.absolute(m.slug) or m.slug
    assert dc("identifier") == [f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}"]
    assert dc("title") == [m.title]
    assert dc("language") == [m.language]
    assert dc("creator") == [a.name for a in m.authors]
    assert dc("publisher") == ([m.publisher] if m.publisher else [])
    assert dc("subject") == list(m.tags)
    assert dc("description") == [d for d in [m.description or m.subtitle] if d]
    assert dc("rights") == ([m.rights] if m.rights else [])
    [date] = dc("date")
    assert datetime.fromisoformat(date) == m.published
    root = opf(books[slug])
    [modified] = _meta(root, "dcterms:modified")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", modified)
    assert datetime.fromisoformat(modified) == m.modified.astimezone(UTC).replace(microsecond=0)
    assert root.get(XML_LANG) == m.language
    roles = {m_.get("refines"): m_.text for m_ in root.iterfind(".//opf:metadata/opf:meta", NS)
             if m_.get("property") == "role"}
    creators = [c.get("id") for c in root.iterfind(".//dc:creator", NS)]
    assert all(roles.get(f"#{cid}") == "aut" for cid in creators)
    page = doc(book, "article.xhtml")
    assert page.get("lang") == page.get(XML_LANG) == m.language


@pytest.mark.parametrize("slug", SLUGS)
def test_accessibility_metadata(slug: str, books: dict[str, Path]) -> None:
    root = opf(books[slug])
    assert set(_meta(root, "schema:accessMode")) == {"textual", "visual"}  # every book has a cover image
    assert _meta(root, "schema:accessModeSufficient") == ["textual"]
    assert set(_meta(root, "schema:accessibilityFeature")) >= {
        "structuralNavigation", "alternativeText", "tableOfContents", "readingOrder", "displayTransformability"}
    assert _meta(root, "schema:accessibilityHazard") == ["none"]
    [summary] = _meta(root, "schema:accessibilitySummary")
    assert len(summary) > 40
    with zipfile.ZipFile(books[slug]) as z:
        for name in z.namelist():
            if name.endswith(".xhtml"):
                for img in etree.fromstring(z.read(name), PARSER).iter("{*}img"):
                    assert img.get("alt"), (name, img.get("src"))


def test_identifier_is_stable_across_content_changes(articles: dict[str, Article], site: Site,
                                                     books: dict[str, Path]) -> None:
    a = articles["harbour-festival"]
    changed = dataclasses.replace(a, blocks=(Para((Text("A late correction."),)), *a.blocks))
    data, _ = render(changed, site)
    assert data != books["harbour-festival"].read_bytes()
    ident = ".//dc:identifier"
    assert etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("EPUB/content.opf"), PARSER).find(ident, NS).text \
        == opf(books["harbour-festival"]).find(ident, NS).text


def test_bare_article_omits_empty_metadata(edge_books: dict[str, tuple[Path, Diagnostics]]) -> None:
    path, _ = edge_books["bare"]
    root = opf(path)
    for name in ("creator", "publisher", "subject", "description", "rights"):
        assert root.find(f".//dc:{name}", NS) is None, name
    assert root.find(".//dc:identifier", NS).text.startswith("urn:uuid:")


@pytest.mark.parametrize("slug", SLUGS)
def test_rtl_page_progression(slug: str, books: dict[str, Path], articles: dict[str, Article]) -> None:
    root = opf(books[slug])
    spine = root.find(".//opf:spine", NS)
    rtl = articles[slug].meta.direction == "rtl"
    assert (slug == "arabic-water-report") == rtl
    assert spine.get("page-progression-direction") == ("rtl" if rtl else None)
    assert root.get("dir") == ("rtl" if rtl else None)
    page = doc(read_book(books[slug]), "article.xhtml")
    assert page.get("dir") == articles[slug].meta.direction


# ----------------------------------------------------------------- navigation


def _headings(article: Article) -> list[Heading]:
    return [n for b in article.blocks for n in walk(b) if isinstance(n, Heading) and n.id]


@pytest.mark.parametrize("slug", SLUGS)
def test_nav_document_lists_title_and_headings(slug: str, books: dict[str, Path], articles: dict[str, Article]
                                               ) -> None:
    article = articles[slug]
    book = read_book(books[slug])
    nav = doc(book, "nav.xhtml")
    [toc] = [n for n in nav.iter("{*}nav") if n.get(EPUB_TYPE) == "toc"]
    links = list(toc.iter("{*}a"))
    heads = _headings(article)
    assert ["".join(a.itertext()) for a in links] == [article.meta.title] + [
        " ".join(inline_text(h.children).split()) for h in heads]
    assert [a.get("href") for a in links] == ["article.xhtml"] + [f"article.xhtml#{h.id}" for h in heads]
    # nesting follows heading levels: title at depth 1, headings below it,
    # one level deeper for a lower heading, back up for a higher one
    depths = [sum(1 for anc in a.iterancestors() if anc.tag.endswith("}ol")) for a in links]
    levels = [1] + [h.level for h in heads]
    assert depths[0] == 1
    for i in range(1, len(links)):
        assert depths[i] >= 2
        if levels[i] == 2:
            assert depths[i] == 2
        if i > 1 and levels[i] > levels[i - 1]:
            assert depths[i] == depths[i - 1] + 1
        elif i > 1 and levels[i] == levels[i - 1]:
            assert depths[i] == depths[i - 1]
        elif i > 1:
            assert depths[i] < depths[i - 1]
    landmarks = [n for n in nav.iter("{*}nav") if n.get(EPUB_TYPE) == "landmarks"]
    assert {a.get(EPUB_TYPE) for a in landmarks[0].iter("{*}a")} == {"cover", "bodymatter"}


def test_nav_nesting_of_the_richest_sample(books: dict[str, Path]) -> None:
    nav = doc(read_book(books["newsroom-style-guide"]), "nav.xhtml")
    depth = {"".join(a.itertext()): sum(1 for x in a.iterancestors() if x.tag.endswith("}ol"))
             for a in nav.iter("{*}a") if a.get(EPUB_TYPE) is None}
    assert depth["One story, many shapes"] == 2
    assert depth["What the tool produces"] == 3
    assert depth["Front matter fields"] == 4
    assert depth["A note on legacy archives"] == 6


@pytest.mark.parametrize("slug", SLUGS)
def test_ncx_matches_nav(slug: str, books: dict[str, Path], articles: dict[str, Article]) -> None:
    with zipfile.ZipFile(books[slug]) as z:
        ncx = etree.fromstring(z.read("EPUB/toc.ncx"), PARSER)
    labels = [t.text for t in ncx.iterfind(".//ncx:navPoint/ncx:navLabel/ncx:text", NS)]
    srcs = [c.get("src") for c in ncx.iterfind(".//ncx:navPoint/ncx:content", NS)]
    heads = _headings(articles[slug])
    assert labels == [articles[slug].meta.title] + [" ".join(inline_text(h.children).split()) for h in heads]
    assert srcs == ["article.xhtml"] + [f"article.xhtml#{h.id}" for h in heads]
    ids = [p.get("id") for p in ncx.iter("{*}navPoint")]
    assert len(ids) == len(set(ids))
    book = read_book(books[slug])
    assert book.toc  # EbookLib reads a non-empty table of contents back


# ---------------------------------------------------------------------- cover


def _cover(path: Path) -> tuple[str, bytes, etree._Element]:
    root = opf(path)
    [item] = [i for i in root.iterfind(".//opf:manifest/opf:item", NS) if i.get("properties") == "cover-image"]
    legacy = [m for m in root.iterfind(".//opf:metadata/opf:meta", NS) if m.get("name") == "cover"]
    assert legacy and legacy[0].get("content") == item.get("id")
    with zipfile.ZipFile(path) as z:
        data = z.read(f"EPUB/{item.get('href')}")
        page = etree.fromstring(z.read("EPUB/cover.xhtml"), PARSER)
    return item.get("href"), data, page


def test_article_cover_is_used(books: dict[str, Path], articles: dict[str, Article]) -> None:
    article = articles["newsroom-style-guide"]
    href, data, page = _cover(books["newsroom-style-guide"])
    assert data == (SOURCE / article.meta.cover).read_bytes()
    [img] = page.iter("{*}img")
    assert img.get("src") == href and img.get("role") == "doc-cover"
    assert article.meta.title in img.get("alt")


@pytest.mark.parametrize("slug", ["russia-sends-aid", "arabic-water-report", "tokyo-rail"])
def test_generated_cover(slug: str, books: dict[str, Path], articles: dict[str, Article]) -> None:
    from PIL import Image as PILImage

    article = articles[slug]
    assert not article.meta.cover
    href, data, page = _cover(books[slug])
    theme = load_theme("default")
    with PILImage.open(io.BytesIO(data)) as im:
        assert im.format == "PNG"
        assert abs(im.height / im.width - theme.page["height"] / theme.page["width"]) < 0.01
        assert not im.info.keys() - {"transparency"}  # no text chunks, no dates
        colours = {c for _, c in im.convert("RGB").getcolors(1 << 16)}
    # the theme's colours are on it: background, accent band, title text
    for token in ("summary_background", "accent", "text"):
        hexc = theme.colors[token]
        assert tuple(int(hexc[i:i + 2], 16) for i in (1, 3, 5)) in colours, token
    [img] = page.iter("{*}img")
    assert img.get("src") == href
    assert article.meta.title in img.get("alt")
    assert all(a.name in img.get("alt") for a in article.meta.authors)


def test_cover_leaves_out_characters_no_font_has(articles: dict[str, Article]) -> None:
    """An emoji no theme font can draw is left off the cover (a box would be
    drawn), so the cover equals the one for the title without it."""
    from storyexport.writers.epub_cover import generate_cover

    a = articles["council-budget"]
    theme = load_theme("default")

    def cover(title: str) -> bytes:
        return generate_cover(dataclasses.replace(a, meta=dataclasses.replace(a.meta, title=title)), theme)

    assert cover("Party \U0001F389 time") == cover("Party time") != cover("Party times")


def _png_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(type, data) of each chunk, checking every CRC."""
    import struct
    import zlib

    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        yield kind, body
        pos += 12 + length


@pytest.mark.parametrize("title", [None, "東京\n大阪"])  # a line break without spaces once crashed raqm
@pytest.mark.parametrize("slug", ["russia-sends-aid", "arabic-water-report", "tokyo-rail"])
def test_cover_png_is_exactly_the_drawn_image(slug: str, title: str | None, articles: dict[str, Article]) -> None:
    """The cover's PNG is assembled in pieces (flat rows spliced from a cache,
    drawn rows deflated): it must decode, checksums included, to exactly the
    pixels drawn, and drawing must change no row it did not note."""
    import zlib

    from PIL import Image as PILImage

    from storyexport.writers.epub_cover import draw_cover, generate_cover

    a = articles[slug]
    if title:
        a = dataclasses.replace(a, meta=dataclasses.replace(a.meta, title=title))
    theme = load_theme("default")
    img, touched = draw_cover(a, theme)
    data = generate_cover(a, theme)
    chunks = list(_png_chunks(data))
    assert [k for k, _ in chunks] == [b"IHDR", b"PLTE", b"IDAT", b"IEND"]
    raw = zlib.decompress(chunks[2][1])  # checks the combined Adler-32
    width, height = img.size
    pixels = img.tobytes()
    assert raw == b"".join(b"\0" + pixels[y * width:(y + 1) * width] for y in range(height))
    with PILImage.open(io.BytesIO(data)) as im:
        assert im.mode == "P" and im.tobytes() == pixels
    drawn = {y for top, bottom in touched for y in range(max(top, 0), min(bottom, height))}
    assert all(len(set(pixels[y * width:(y + 1) * width])) == 1 for y in range(height) if y not in drawn)


def test_adler32_combine() -> None:
    import zlib

    from storyexport.writers.epub_cover import _adler32_combine

    data = bytes(range(256)) * 300 + b"\xff" * 70000
    for cut in (0, 1, 65520, 65521, 65522, 76800, len(data)):
        a, b = data[:cut], data[cut:]
        assert _adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(data)


# --------------------------------------------------------------------- styles


@pytest.mark.parametrize("slug", ["newsroom-style-guide", "arabic-water-report"])
def test_stylesheet_is_conservative_and_fonts_embedded(slug: str, books: dict[str, Path],
                                                       articles: dict[str, Article]) -> None:
    from fontTools.ttLib import TTFont

    root = opf(books[slug])
    fonts = {i.get("href"): i.get("media-type") for i in root.iterfind(".//opf:manifest/opf:item", NS)
             if i.get("href").startswith("fonts/")}
    theme = load_theme("default")
    assert len(fonts) == len(theme.font_files())
    assert set(fonts.values()) == {"font/ttf"}
    with zipfile.ZipFile(books[slug]) as z:
        css = z.read("EPUB/style/ereader.css").decode()
        assert not re.search(r"display\s*:\s*(flex|grid|inline-flex)|position\s*:|float\s*:", css)
        assert css.count("@font-face") == len(fonts)
        text = plain_text(articles[slug])
        face = theme.fonts["arabic" if slug == "arabic-water-report" else "body"].file()
        with TTFont(str(face)) as full, TTFont(io.BytesIO(z.read(f"EPUB/fonts/{face.name}"))) as sub:
            full_cmap, cmap = full.getBestCmap(), sub.getBestCmap()
            licence = sub["name"].getDebugName(13)
            assert sub["head"].modified == full["head"].modified  # not re-stamped with the clock
            assert len(cmap) < len(full_cmap)  # subset
        # every character of the article the theme font has, the embedded one has
        letters = {c for c in text if not c.isspace() and ord(c) in full_cmap}
        assert len(letters) > 20
        assert all(ord(c) in cmap for c in letters)
        assert licence and "Open Font License" in licence


def test_content_page_renders_with_embedded_fonts(books: dict[str, Path], tmp_path: Path) -> None:
    """The seed's page, extracted and laid out by WeasyPrint: its text comes
    out and the embedded (subset) theme fonts are what it used."""
    from weasyprint import CSS, HTML

    with zipfile.ZipFile(books["russia-sends-aid"]) as z:
        z.extractall(tmp_path)
    pdf = tmp_path / "page.pdf"
    HTML(filename=str(tmp_path / "EPUB" / "article.xhtml")).write_pdf(
        pdf, stylesheets=[CSS(string="@page { size: 108mm 144mm; margin: 6mm }")])
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Russia sent a military plane" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Noto-Serif" in fonts


# ----------------------------------------------------------------- reproducible


API_SAMPLES = ("russia-sends-aid", "newsroom-style-guide", "tokyo-rail")  # seed; own cover; CJK system font


@pytest.fixture(scope="session")
def api_renders(articles: dict[str, Article], site: Site) -> Iterator[dict[str, bytes]]:
    yield {slug: render(articles[slug], site)[0] for slug in API_SAMPLES}


@pytest.mark.parametrize("slug", API_SAMPLES)
def test_writer_api_matches_cli_byte_for_byte(slug: str, api_renders: dict[str, bytes], books: dict[str, Path]
                                              ) -> None:
    assert api_renders[slug] == books[slug].read_bytes()


@pytest.mark.parametrize("slug", ["newsroom-style-guide", "tokyo-rail"])
def test_two_renders_are_identical(slug: str, api_renders: dict[str, bytes], articles: dict[str, Article],
                                   site: Site) -> None:
    epub_writer.subset_font.cache_clear()  # redo the font work too
    assert render(articles[slug], site)[0] == api_renders[slug]


def test_font_epub_cannot_embed_is_one_located_error(tmp_path: Path) -> None:
    """A theme font EPUB cannot carry: the build names the format once
    (``x.pfb: epub: font …``, not ``epub: epub:``) and exits 1."""
    from storyexport.theme import find_theme

    theme = tmp_path / "pfb"
    (theme / "fonts").mkdir(parents=True)
    shutil.copy(find_theme("default") / "fonts" / "NotoSerif-Regular.ttf", theme / "fonts" / "x.pfb")
    (theme / "theme.toml").write_text('inherit = "default"\n[fonts.body]\nfamily = "X"\nregular = "fonts/x.pfb"\n')
    r = run_cli("--format", "epub", "--theme", str(theme), "--out", str(tmp_path / "dist"), str(SEED))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "x.pfb: epub: font x.pfb is not TrueType, OpenType or WOFF" in r.stderr, r.stderr
    assert "epub: epub:" not in r.stderr
