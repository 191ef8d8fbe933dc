"""``storyexport import feed``: storyexport's own RSS and Atom feeds import
back to the sample articles (same words, same metadata the feed carries);
RSS 1.0, summary-only and undated items; hostile feeds."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import run_cli
from storyexport import model as m
from storyexport.config import Site
from storyexport.errors import Diagnostics
from storyexport.readers import read_source

FIXTURES = Path(__file__).parent / "import_fixtures"


def body_words(article: m.Article) -> list[str]:
    """Body and footnotes, the part of a story a feed item carries in full."""
    bare = m.Article(m.Meta("", "", article.meta.published), article.blocks)
    return m.words(m.plain_text(bare))


def import_feed(feed: Path, out: Path) -> dict[str, m.Article]:
    r = run_cli("import", "feed", str(feed), "--out", str(out))
    assert r.returncode == 0, r.stderr
    articles = {}
    for path in sorted(out.glob("*.md")):
        a = read_source(path, out, Site(), Diagnostics())
        assert a is not None
        articles[a.meta.slug] = a
    return articles


@pytest.mark.parametrize("feed", ["feed.xml", "atom.xml"])
def test_our_own_feed_imports_back_to_the_originals(feed: str, exported: Callable[..., Path],
                                                   samples: dict[str, m.Article], tmp_path: Path) -> None:
    back = import_feed(exported("rss,atom") / feed, tmp_path / "src")
    assert sorted(back) == sorted(samples)
    for slug, original in samples.items():
        got, want = back[slug], original.meta
        assert body_words(got) == body_words(original), slug
        assert len(m.article_notes(got)) == len(m.article_notes(original)), slug  # endnotes became notes again
        meta = got.meta
        assert meta.title == want.title
        assert meta.published == want.published
        assert meta.updated == want.updated
        # RSS names all the authors in one dc:creator ("A, B"): the same names, one entry
        assert ", ".join(a.name for a in meta.authors) == ", ".join(a.name for a in want.authors)
        assert set(meta.tags) == set(want.tags)
        if want.canonical_url:
            assert meta.canonical_url == want.canonical_url
        if want.description:
            assert meta.description == want.description
        if want.summary and not want.description and not want.subtitle:  # the glance bullets are its summary
            assert [m.inline_text(s) for s in meta.summary] == [m.inline_text(s) for s in want.summary]
        if feed == "atom.xml":  # Atom carries each entry's language and its authors' addresses
            assert meta.language == want.language
            assert meta.authors == want.authors
        elif want.direction == "rtl":  # RSS: only through the right-to-left wrapper
            assert meta.language == want.language


def test_rss1_summary_only_and_undated_items(tmp_path: Path) -> None:
    out = tmp_path / "src"
    r = run_cli("import", "feed", str(FIXTURES / "rss1.rdf"), "--out", str(out))
    assert r.returncode == 1  # the undated item is an error; the others are written
    assert re.search(r"rss1\.rdf:\d+: item 'Ohne Datum': no date", r.stderr)
    assert re.search(r"rss1\.rdf:\d+: warning: item 'Nur eine Zusammenfassung': no full content", r.stderr)
    assert re.search(r"removed event handler onclick=", r.stderr)
    assert re.search(r"<iframe> replaced by a link", r.stderr)
    assert sorted(p.name for p in out.iterdir()) == ["flood-warning.md", "summary-only.md"]
    flood = read_source(out / "flood-warning.md", out, Site(), Diagnostics())
    assert flood is not None
    assert flood.meta.language == "de" and [a.name for a in flood.meta.authors] == ["Lena Vogel"]
    assert flood.meta.tags == ("Wetter",) and flood.meta.description == "Pegel steigt."
    text = " ".join(m.plain_text(flood).split())
    assert "Der Pegel in Köln steigt auf 8,40 Meter." in text and "Der Rhein bei Köln" in text
    assert "Embedded content: https://video.example.net/1" in text
    # the relative image address is resolved against the item's link
    assert "https://wire.example.net/img/rhein.jpg" in (out / "flood-warning.md").read_text()


@pytest.mark.parametrize("doc", [
    '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss><channel><item>'
    "<title>&x;</title></item></channel></rss>",
    "<rss><channel><item><title>cut",
])
def test_hostile_feeds_fail_located_and_write_nothing(doc: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text(doc)
    r = run_cli("import", "feed", str(bad), "--out", str(tmp_path / "src"))
    assert r.returncode == 1 and re.search(r"bad\.xml:\d+: ", r.stderr), r.stderr
    assert "Traceback" not in r.stderr and "root:" not in r.stderr
    assert not (tmp_path / "src").exists()


def test_an_impossible_date_fails_its_item_only(tmp_path: Path) -> None:
    """feedparser reads "0000-00-00 00:00:00" as year -1, which no datetime
    holds: that used to end the whole import with a traceback. The item is
    now a located error and the others import."""
    feed = tmp_path / "zero.rss"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://ok.example/</link>\n'
        "<item><title>Zero</title><link>https://ok.example/zero</link><pubDate>0000-00-00 00:00:00</pubDate>"
        "<description>Words here.</description></item>\n"
        "<item><title>Fine</title><link>https://ok.example/fine</link><pubDate>Wed, 03 Jan 2024 10:00:00 GMT"
        "</pubDate><description>More words.</description></item>\n</channel></rss>\n")
    out = tmp_path / "src"
    r = run_cli("import", "feed", str(feed), "--out", str(out))
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert f"{feed}:2: item 'Zero': no date (pubDate, published or updated)" in r.stderr
    assert [p.name for p in out.glob("*.md")] == ["fine.md"]
