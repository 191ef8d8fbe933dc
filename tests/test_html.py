"""The shared XHTML renderer and the html writer, read back with lxml's HTML
parser (an independent reader of what browsers see)."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest
from lxml import etree

from conftest import page_path
from storyexport import model as m


@pytest.fixture(scope="session")
def html_dist(exported) -> Path:  # type: ignore[no-untyped-def]
    return exported("html")


def page(dist: Path, slug: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(page_path(dist, slug).read_bytes())


def read_aloud(doc: lxml.html.HtmlElement) -> str:
    """The page's text as a screen reader gives it: images read as their alt."""
    for img in doc.iter("img"):
        img.tail = f" {img.get('alt', '')} {img.tail or ''}"
    for cell in doc.iter("td", "th", "li", "p", "figcaption", "br"):
        cell.tail = " " + (cell.tail or "")
    return doc.text_content()


def norm(s: str) -> list[str]:
    """Words, splitting at CJK punctuation too (a byline joins names with 、)."""
    return [w for w in re.split(r"[\s、。「」]+", s) if w]


def test_every_sample_has_a_page_with_all_its_words(html_dist: Path, samples: dict[str, m.Article]) -> None:
    for slug, article in samples.items():
        text = norm(read_aloud(page(html_dist, slug)))
        expected = norm(m.plain_text(article))
        it = iter(text)
        missing = [w for w in expected if not any(w in t for t in it)]
        assert not missing, (slug, missing[:5])


def test_seed_page_shows_summary_paragraphs_and_date(html_dist: Path, samples: dict[str, m.Article]) -> None:
    doc = page(html_dist, "russia-sends-aid")
    bullets = [li.text_content() for li in doc.cssselect("aside.summary li")]
    assert bullets == [m.inline_text(i) for i in samples["russia-sends-aid"].meta.summary]
    assert len(doc.cssselect("div.body > p")) == 11
    time = doc.cssselect(".dateline time")[0]
    assert time.get("datetime").startswith("2020-04-01") and time.text == "1 April 2020"


def test_pages_are_well_formed_xhtml(html_dist: Path, samples: dict[str, m.Article]) -> None:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    for slug in samples:
        root = etree.fromstring(page_path(html_dist, slug).read_bytes().replace(b"<!DOCTYPE html>", b""), parser)
        assert root.tag == "{http://www.w3.org/1999/xhtml}html"


def test_semantic_structure_of_richest_sample(html_dist: Path, samples: dict[str, m.Article]) -> None:
    a = samples["newsroom-style-guide"]
    doc = page(html_dist, a.meta.slug)
    assert doc.cssselect("article header.masthead h1.title")[0].text_content() == a.meta.title
    assert len(doc.cssselect("figure img[alt]")) == len(m.query(a, m.Figure))
    assert len(doc.cssselect("figure figcaption")) == 1
    assert [th.get("style") for th in doc.cssselect("thead th")][:3] == [
        "text-align: left", "text-align: center", "text-align: right"]
    notes = doc.cssselect("section.footnotes li")
    assert len(notes) == len(m.article_notes(a))
    for i, li in enumerate(notes, 1):
        assert li.get("id") == f"fn{i}"
        assert li.cssselect("a.footnote-back")[0].get("href") == f"#fnref{i}"
        assert doc.cssselect(f"#fnref{i}")  # the back-link target exists
    links = {a_.get("href") for a_ in doc.cssselect("div.body a:not(.footnote-ref)")}
    assert {link.url for link in m.query(a, m.Link)} <= links
    assert doc.cssselect("img.inline")[0].get("src").startswith("data:image/png;base64,")


def test_rtl_and_language_attributes(html_dist: Path) -> None:
    doc = page(html_dist, "arabic-water-report")
    assert (doc.get("dir"), doc.get("lang")) == ("rtl", "ar")
    assert page(html_dist, "tokyo-rail").get("lang") == "ja"


def test_no_script_or_event_handlers_anywhere(html_dist: Path, samples: dict[str, m.Article]) -> None:
    for slug in samples:
        doc = page(html_dist, slug)
        assert not doc.cssselect("script:not([type='application/ld+json']), iframe, object, embed")
        for el in doc.iter():
            assert not any(k.startswith("on") for k in el.attrib)


def test_theme_css_and_fonts_are_shared_files(html_dist: Path) -> None:
    css = (html_dist / "_theme" / "screen.css").read_text()
    assert '@font-face' in css and 'src: url("NotoSerif-Regular.ttf")' in css
    assert (html_dist / "_theme" / "NotoSerif-Regular.ttf").read_bytes()[:4] == b"\x00\x01\x00\x00"
