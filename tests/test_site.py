"""The exported folder as a site: index and tag pages list every story,
every link between pages, downloads and feeds resolves to a file inside
dist/, autodiscovery names feeds that exist, article pages carry their
canonical address, cards and JSON-LD; a permalink pattern places pages and
downloads where their URLs say, and old addresses redirect."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import feedparser
import lxml.html
import pytest
from lxml import etree

from conftest import run_cli
from storyexport import model as m
from storyexport.writers import available

ALL = ",".join(available())
BASE = "https://news.example.org/"


def target(out: Path, base: str, url: str) -> Path | None:
    """The file a URL names inside the output folder served at ``base``
    (a folder: its index.html, as static hosts serve it), or None when it
    is not on this site."""
    if not url.startswith(base):
        return None
    path = unquote(urlsplit(url).path[len(urlsplit(base).path):])
    t = out / path
    return t / "index.html" if not path or path.endswith("/") or t.is_dir() else t


def links(page: Path) -> list[str]:
    """The site's links on a page: head, masthead, listings, redirects."""
    doc = lxml.html.fromstring(page.read_bytes())
    for text in doc.xpath("//div[@class='body'] | //section[@class='footnotes']"):
        text.getparent().remove(text)  # what the author linked to is the story's, not the site's
    found = [*doc.xpath("//a/@href"), *doc.xpath("//link/@href"), *doc.xpath("//img/@src")]
    found += [c.split("url=", 1)[1] for c in doc.xpath("//meta[@http-equiv='refresh']/@content")]
    return [h for h in found if not h.startswith(("#", "data:", "mailto:"))]


def broken_links(out: Path, base: str) -> list[tuple[str, str]]:
    """Every link of every page and feed that names a missing file of the site."""
    bad = []
    for page in out.rglob("*.html"):
        here = base + page.relative_to(out).as_posix()
        for href in links(page):
            t = target(out, base, urljoin(here, href.split("#")[0]))
            if t is not None and not t.is_file():
                bad.append((page.relative_to(out).as_posix(), href))
    for feed in out.rglob("*.json"):
        for item in json.loads(feed.read_text())["items"]:
            for url in [item["url"], item.get("image", ""), *(a["url"] for a in item.get("attachments", []))]:
                t = target(out, base, url)
                if url and t is not None and not t.is_file():
                    bad.append((feed.name, url))
    for feed in out.rglob("*.xml"):
        if feed.name == "sitemap.xml":
            locs = etree.parse(str(feed)).getroot().iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
            urls = [loc.text or "" for loc in locs]
        else:
            d = feedparser.parse(str(feed))
            urls = [x.href for e in d.entries for x in e.links] + [x.href for x in d.feed.get("links", [])]
        bad += [(feed.name, u) for u in urls if (t := target(out, base, u)) is not None and not t.is_file()]
    return bad


@pytest.fixture(scope="module")
def site(exported) -> Path:  # type: ignore[no-untyped-def]
    return exported(ALL)  # type: ignore[no-any-return]


def test_every_link_resolves_inside_dist(site: Path) -> None:
    assert (site / "index.html").is_file() and (site / "sitemap.xml").is_file()
    assert broken_links(site, BASE) == []


def test_index_lists_every_story_newest_first_with_downloads(site: Path, samples: dict[str, m.Article]) -> None:
    doc = lxml.html.fromstring((site / "index.html").read_bytes())
    items = doc.xpath("//li[@class='story-item']")
    titles = [i.xpath("string(.//h2)") for i in items]
    newest = sorted(samples.values(), key=lambda a: (a.meta.published, a.meta.slug), reverse=True)
    assert titles == [a.meta.title for a in sorted(newest, key=lambda a: a.meta.published, reverse=True)]
    for item, a in zip(items, sorted(newest, key=lambda a: a.meta.published, reverse=True), strict=True):
        assert item.xpath("string(.//p[@class='dateline']/time/@datetime)") == a.meta.published.isoformat()
        if a.meta.subtitle:
            assert item.xpath("string(.//p[@class='dek'])") == a.meta.subtitle
        assert all(x.name in item.xpath("string(.//p[@class='byline'])") for x in a.meta.authors)
        labels = [d.text for d in item.xpath(".//ul[@class='downloads']/li/a")]
        assert labels == ["DOCX", "EPUB", "PDF"]
        for li in item.xpath(".//ul[@class='downloads']/li"):
            size = li.xpath("string(span[@class='size'])")
            assert size.endswith((" KB", " MB")) and size.split()[0].replace(".", "").isdigit()
            assert li.xpath("string(a/@href)").endswith((".docx", ".epub", ".pdf"))


def test_autodiscovery_and_canonical_on_every_page(site: Path) -> None:
    pages = list(site.rglob("*.html"))
    assert len(pages) > 12
    for page in pages:
        doc = lxml.html.fromstring(page.read_bytes())
        if doc.xpath("//meta[@http-equiv='refresh']"):
            continue  # a redirect page: canonical only
        (canonical,) = doc.xpath("//link[@rel='canonical']/@href")
        assert canonical.startswith(BASE)
        feeds = {t: h for t, h in zip(doc.xpath("//link[@rel='alternate']/@type"),
                                      doc.xpath("//link[@rel='alternate']/@href"), strict=True)}
        assert {"application/rss+xml", "application/atom+xml", "application/feed+json"} <= set(feeds)
        here = BASE + page.relative_to(site).as_posix()
        for href in feeds.values():
            t = target(site, BASE, urljoin(here, href))
            assert t is not None and t.is_file(), (page, href)
        assert doc.xpath("//meta[@name='viewport']")


def test_article_pages_carry_cards_and_news_article_json_ld(site: Path, samples: dict[str, m.Article]) -> None:
    doc = lxml.html.fromstring((site / "2024/newsroom-style-guide/index.html").read_bytes())
    a = samples["newsroom-style-guide"]
    prop = {p: c for p, c in zip(doc.xpath("//meta/@property"), doc.xpath("//meta[@property]/@content"),
                                 strict=True)}
    name = {n: c for n, c in zip(doc.xpath("//meta[@name]/@name"), doc.xpath("//meta[@name]/@content"),
                                 strict=True)}
    assert prop["og:title"] == a.meta.title and prop["og:type"] == "article"
    assert prop["og:url"] == doc.xpath("string(//link[@rel='canonical']/@href)")
    assert target(site, BASE, prop["og:image"]) is not None and target(site, BASE, prop["og:image"]).is_file()
    assert name["twitter:card"] == "summary_large_image" and name["twitter:title"] == a.meta.title
    (ld,) = doc.xpath("//script[@type='application/ld+json']/text()")
    data = json.loads(ld)
    assert data["@type"] == "NewsArticle" and data["headline"] == a.meta.title
    assert [p["name"] for p in data["author"]] == [x.name for x in a.meta.authors]
    assert data["datePublished"] == a.meta.published.isoformat()
    assert not doc.xpath("//script[not(@type='application/ld+json')]")


def test_tag_pages_list_their_stories_under_readable_paths(site: Path, samples: dict[str, m.Article]) -> None:
    for a in samples.values():
        for tag in a.meta.tags:
            page = site / "tags" / tag.lower().replace(" ", "-") / "index.html"
            doc = lxml.html.fromstring(page.read_bytes())
            assert a.meta.title in [h.text_content() for h in doc.xpath("//h2")], (tag, a.meta.slug)


STORY = "---\ntitle: {t}\ndate: 2024-0{n}-02\nauthor: Reporter {n}\ntags: [Alpha, 東京]\n{extra}---\nBody of {t}.\n"


def test_permalink_pattern_places_pages_and_downloads_and_aliases_redirect(tmp_path: Path) -> None:
    base = "https://example.com/news/"
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "a.md").write_text(STORY.format(t="A", n=1, extra="aliases: [/old/a.html, /older/a/]\n"))
    (tmp_path / "source" / "b.md").write_text(STORY.format(t="B", n=2, extra=""))
    (tmp_path / "storyexport.toml").write_text(f'[site]\ntitle = "T"\nbase_url = "{base}"\n'
                                               'permalink = "/{year}/{month}/{slug}/"\n')
    r = run_cli("--format", "html,epub,rss,atom,jsonfeed,site", "--jobs", "1", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "dist"
    assert (out / "2024/01/a/index.html").is_file() and (out / "2024/01/a/a.epub").is_file()
    assert (out / "2024/02/b/index.html").is_file() and not (out / "a.html").exists()
    feed = json.loads((out / "feed.json").read_text())
    assert [i["url"] for i in feed["items"]] == [base + "2024/02/b/", base + "2024/01/a/"]
    for old in ("old/a.html", "older/a/index.html"):
        doc = lxml.html.fromstring((out / old).read_bytes())
        (refresh,) = doc.xpath("//meta[@http-equiv='refresh']/@content")
        assert target(out, base, urljoin(base + old, refresh.split("url=", 1)[1])) == out / "2024/01/a/index.html"
        assert doc.xpath("string(//link[@rel='canonical']/@href)") == base + "2024/01/a/"
    assert broken_links(out, base) == []
    css = lxml.html.fromstring((out / "2024/01/a/index.html").read_bytes()).xpath("//link[@rel='stylesheet']/@href")
    assert css == ["../../../_theme/screen.css"]
