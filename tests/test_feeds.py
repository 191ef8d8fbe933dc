"""RSS 2.0, Atom 1.0 and JSON Feed: read back with independent readers
(feedparser, lxml, json, newsboat) and compared with the model.

The samples are exported once per session; the archive behaviour is checked
on a synthetic corpus of twelve stories with ``feed_limit = 5``, served by a
local HTTP server so the feeds are fetched the way a feed reader fetches them.
"""

from __future__ import annotations

import calendar
import html
import json
import sqlite3
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import feedparser
import lxml.html
import pytest
from lxml import etree

from conftest import have, run_cli
from storyexport import model as m
from storyexport.config import Site
from storyexport.errors import ConfigError, Diagnostics
from storyexport.theme import load_theme
from storyexport.writers import Collection, OutputInfo, RenderContext, Shared, SharedKey, Siblings
from storyexport.writers import feeds as feeds_mod
from storyexport.writers.feeds import AtomWriter, JsonFeedWriter, RssWriter
from storyexport.writers.feeds_archive import archive_count, paginate

BASE = "https://news.example.org/"
ATOM = "{http://www.w3.org/2005/Atom}"
DC = "http://purl.org/dc/elements/1.1/"
FH = "{http://purl.org/syndication/history/1.0}"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
FORMATS = "rss,atom,jsonfeed"
XML_FEEDS = ("feed.xml", "atom.xml")

# ------------------------------------------------------------------ helpers


def xml(path: Path | bytes) -> etree._Element:
    data = path if isinstance(path, bytes) else path.read_bytes()
    return etree.fromstring(data, PARSER)


def expected_link(a: m.Article, base: str = BASE) -> str:
    return a.meta.canonical_url or base + a.meta.slug + ".html"


def expected_id(a: m.Article, base: str = BASE) -> str:
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, expected_link(a, base)))


def utc_tuple(d: datetime) -> tuple[int, ...]:
    return tuple(d.astimezone(UTC).timetuple()[:6])


def expected_summary_words(a: m.Article) -> list[str]:
    meta = a.meta
    if meta.description:
        return m.words(meta.description)
    if meta.subtitle:
        return m.words(meta.subtitle)
    if meta.summary:
        return m.words(" ".join(m.inline_text(b) for b in meta.summary))
    first = next(b for b in a.blocks if isinstance(b, m.Para))
    return m.words(m.inline_text(first.children))


def body_words(a: m.Article) -> list[str]:
    """Every word of the body and footnotes (what a feed's content carries)."""
    bare = replace(a, meta=replace(a.meta, title="", subtitle="", authors=(), summary=()))
    return m.words(m.plain_text(bare))


_BREAKS = {"p", "li", "td", "th", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "caption", "pre",
           "blockquote", "br", "hr", "figure", "ol", "ul", "table", "section", "img", "dl", "dt", "dd"}


def html_words(fragment: str) -> list[str]:
    """The words a reader sees in feed content, footnote markers left out."""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    for a in root.xpath("//a[contains(@href, '#fn')]"):
        a.drop_tree()  # footnote numbers and back-links are navigation, not words
    for img in root.iter("img"):
        img.text = img.get("alt", "")
    for el in root.iter():
        if el.tag in _BREAKS:
            el.tail = " " + (el.tail or "")
    return m.words(root.text_content())


def plain_summary_words(entry: Any) -> list[str]:
    value = entry.get("summary", "")
    if entry.get("summary_detail", {}).get("type") == "text/html":
        value = html.unescape(lxml.html.fragment_fromstring(value or "<p></p>", create_parent="div").text_content())
    return [w for w in m.words(value) if w != "•"]


@pytest.fixture(scope="session")
def dist(exported: Callable[..., Path]) -> Path:
    return exported("html," + FORMATS)  # the pages the items link to, beside the feeds


@pytest.fixture(scope="session")
def by_id(samples: dict[str, m.Article]) -> dict[str, m.Article]:
    return {expected_id(a): a for a in samples.values()}


@pytest.fixture(scope="session")
def parsed(dist: Path) -> dict[str, Any]:
    return {name: feedparser.parse(str(dist / name)) for name in XML_FEEDS}


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def serve() -> Iterator[Callable[[Path], str]]:
    """``serve(folder)`` starts an HTTP server on 127.0.0.1 (ephemeral port)
    and returns its base URL; all are stopped at the end of the module."""
    servers: list[ThreadingHTTPServer] = []

    def start(folder: Path) -> str:
        folder.mkdir(parents=True, exist_ok=True)
        srv = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(folder)))
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return f"http://127.0.0.1:{srv.server_address[1]}/"

    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()


# ------------------------------------------------------- the sample feeds


@pytest.mark.parametrize("name", XML_FEEDS)
def test_feedparser_reads_every_item_as_the_model_says(name: str, parsed: dict[str, Any],
                                                       by_id: dict[str, m.Article]) -> None:
    d = parsed[name]
    assert d.bozo == 0, d.get("bozo_exception")
    assert d.version == ("rss20" if name == "feed.xml" else "atom10")
    assert {e.id for e in d.entries} == set(by_id)
    for e in d.entries:
        a = by_id[e.id]
        assert e.title == a.meta.title
        assert e.link == expected_link(a)
        assert tuple(e.published_parsed[:6]) == utc_tuple(a.meta.published)
        assert tuple(e.updated_parsed[:6]) == utc_tuple(a.meta.modified)
        names = [x.name for x in a.meta.authors]
        if name == "feed.xml" and len(names) > 1:  # RSS: one dc:creator names them all (see test_rss_structure)
            names = [", ".join(names)]
        assert [x.get("name") for x in e.get("authors", []) if x.get("name")] == names
        assert [t.term for t in e.get("tags", [])] == list(a.meta.tags)
        assert plain_summary_words(e) == expected_summary_words(a)
        assert html_words(e.content[0].value) == body_words(a), a.meta.slug


@pytest.mark.parametrize("name", XML_FEEDS)
def test_newest_first_and_channel_dates_from_the_articles(name: str, parsed: dict[str, Any],
                                                          by_id: dict[str, m.Article]) -> None:
    d = parsed[name]
    dates = [by_id[e.id].meta.published for e in d.entries]
    assert dates == sorted(dates, reverse=True)
    newest = max(a.meta.modified for a in by_id.values())
    assert tuple(d.feed.updated_parsed[:6]) == utc_tuple(newest)
    assert d.feed.generator.startswith("storyexport ")
    assert d.feed.title == "The Courier"


def test_json_feed_items_equal_the_model(dist: Path, by_id: dict[str, m.Article]) -> None:
    feed = json.loads((dist / "feed.json").read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == BASE + "feed.json"
    assert feed["home_page_url"] == BASE
    assert "next_url" not in feed  # six stories fit in the default limit
    assert {i["id"] for i in feed["items"]} == set(by_id)
    for item in feed["items"]:
        a = by_id[item["id"]]
        assert item["title"] == a.meta.title
        assert item["url"] == expected_link(a)
        assert datetime.fromisoformat(item["date_published"]) == a.meta.published
        assert datetime.fromisoformat(item["date_modified"]) == a.meta.modified
        assert [x["name"] for x in item.get("authors", [])] == [x.name for x in a.meta.authors]
        assert item.get("tags", []) == list(a.meta.tags)
        assert [w for w in m.words(item["summary"]) if w != "•"] == expected_summary_words(a)
        assert html_words(item["content_html"]) == body_words(a)
        assert item["language"] == a.meta.language
        content = lxml.html.fragment_fromstring(item["content_html"], create_parent="div")
        assert (content[0].get("dir") == "rtl") == (a.meta.direction == "rtl")


def test_rss_structure(dist: Path, samples: dict[str, m.Article]) -> None:
    root = xml(dist / "feed.xml")
    assert root.tag == "rss" and root.get("version") == "2.0"
    (channel,) = root.findall("channel")
    for tag in ("title", "link", "description", "lastBuildDate", "generator", "language"):
        assert len(channel.findall(tag)) == 1, tag
    assert channel.findtext("link") == BASE
    (self_link,) = channel.findall(f"{ATOM}link[@rel='self']")
    assert self_link.get("href") == BASE + "feed.xml"
    assert self_link.get("type") == "application/rss+xml"
    items = channel.findall("item")
    assert len(items) == len(samples)
    for item in items:
        guids = item.findall("guid")
        assert len(guids) == 1
        assert guids[0].get("isPermaLink") == "false"
        assert guids[0].text.startswith("urn:uuid:")
        assert len(item.findall("title")) == 1 and len(item.findall("pubDate")) == 1
        # <author> holds an email and is never beside dc:creator (the W3C validator warns);
        # one dc:creator names every author (newsboat shows only one)
        authors, creators = item.findall("author"), item.findall(f"{{{DC}}}creator")
        assert len(authors) + len(creators) <= 1
        for author in authors:
            assert "@" in author.text.split(" ")[0]
    newsroom = next(i for i in items if i.findtext("link").endswith("newsroom-style-guide"))
    assert newsroom.findall("author") == []
    assert [c.text for c in newsroom.findall(f"{{{DC}}}creator")] == ["Amélie Durand, Tomás Reyes"]


def test_atom_structure_rfc4287(dist: Path, samples: dict[str, m.Article]) -> None:
    root = xml(dist / "atom.xml")
    assert root.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated"):
        assert len(root.findall(f"{ATOM}{tag}")) == 1, tag
    assert root.findtext(f"{ATOM}id") == BASE + "atom.xml"
    (self_link,) = root.findall(f"{ATOM}link[@rel='self']")
    assert self_link.get("href") == BASE + "atom.xml"
    feed_author = root.findall(f"{ATOM}author")
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == len(samples)
    for e in entries:
        for tag in ("id", "title", "updated"):
            assert len(e.findall(f"{ATOM}{tag}")) == 1, tag
        assert feed_author or e.findall(f"{ATOM}author")
        for author in e.findall(f"{ATOM}author"):
            assert len(author.findall(f"{ATOM}name")) == 1
        (content,) = e.findall(f"{ATOM}content")
        assert content.get("type") == "html"
        datetime.fromisoformat(e.findtext(f"{ATOM}updated"))  # RFC 3339


def test_content_urls_are_absolute_and_images_are_published(dist: Path, parsed: dict[str, Any]) -> None:
    entry = next(e for e in parsed["atom.xml"].entries if e.link.endswith("newsroom-style-guide"))
    root = lxml.html.fragment_fromstring(entry.content[0].value, create_parent="div")
    srcs = [img.get("src") for img in root.iter("img")]
    hrefs = [a.get("href") for a in root.iter("a")]
    assert srcs and hrefs
    for url in srcs + hrefs:
        assert url.startswith(("https://", "mailto:")), url
    assert entry.link + "#fn1" in hrefs  # footnote anchors point at the story's page
    for src in srcs:
        assert (dist / src.removeprefix(BASE)).is_file(), src


def test_per_tag_feeds(dist: Path, samples: dict[str, m.Article]) -> None:
    tagged = {t.lower().replace(" ", "-"): {a.meta.slug for a in samples.values() if t in a.meta.tags}
              for a in samples.values() for t in a.meta.tags}
    assert any(not t.isascii() for t in tagged)  # Japanese and Arabic tags among them
    for folder, slugs in tagged.items():
        for name in ("atom.xml", "feed.xml"):
            d = feedparser.parse(str(dist / "tags" / folder / name))  # the folder bears the tag itself
            assert d.bozo == 0
            assert {e.link.rsplit("/", 1)[-1].removesuffix(".html") for e in d.entries} == slugs
            self_url = f"{BASE}tags/{quote(folder)}/{name}"  # percent-encoded in links
            assert d.feed.get("links") and any(x.rel == "self" and x.href == self_url for x in d.feed.links)
    assert {p.name for p in (dist / "tags").iterdir()} == set(tagged)


def test_two_builds_are_byte_identical(dist: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    r = run_cli("--format", "html," + FORMATS, "--out", str(again), "--jobs", "1")
    assert r.returncode == 0, r.stderr
    files = sorted(p.relative_to(dist) for p in dist.rglob("*") if p.is_file() and not p.name.startswith("."))
    assert any(f.name == "feed.json" for f in files)
    for rel in files:
        assert (again / rel).read_bytes() == (dist / rel).read_bytes(), rel


def test_feeds_over_http_as_a_reader_fetches_them(dist: Path, serve: Callable[[Path], str],
                                                  by_id: dict[str, m.Article]) -> None:
    url = serve(dist)
    for name in XML_FEEDS:
        d = feedparser.parse(url + name)
        assert d.get("status") == 200
        assert d.bozo == 0, d.get("bozo_exception")
        assert {e.id for e in d.entries} == set(by_id)
    with __import__("urllib.request").request.urlopen(url + "feed.json") as resp:
        assert {i["id"] for i in json.load(resp)["items"]} == set(by_id)


# ---------------------------------------------------- synthetic projects


def story(n: int, day: int, *, title: str = "", tags: str = "alpha", extra: str = "") -> str:
    return (f"---\ntitle: \"{title or f'Story number {n}'}\"\ndate: 2024-01-{day:02d}T08:00:00+00:00\n"
            f"tags: [{tags}]\nauthor: Reporter {n}\n{extra}---\n\nBody of story {n} with some words.\n")


def write_project(root: Path, stories: dict[str, str], base_url: str | None, limit: int = 5) -> Path:
    (root / "source").mkdir(parents=True, exist_ok=True)
    for name, text in stories.items():
        (root / "source" / name).write_text(text, encoding="utf-8")
    site = f'title = "Synthetic"\nfeed_limit = {limit}\n' + (f'base_url = "{base_url}"\n' if base_url else "")
    (root / "storyexport.toml").write_text(f"[site]\n{site}", encoding="utf-8")
    return root


def build(root: Path, formats: str = "html," + FORMATS) -> subprocess.CompletedProcess[str]:
    return run_cli("--config", str(root / "storyexport.toml"), "--format", formats, "--out", str(root / "dist"),
                   "--jobs", "1", cwd=root)


# Twelve stories; two share a date so the slug decides their order.
TWELVE = {f"s{n:02d}.md": story(n, n if n != 8 else 7, tags="alpha" if n % 2 else "beta") for n in range(1, 13)}


@pytest.fixture(scope="module")
def archive_site(tmp_path_factory: pytest.TempPathFactory, serve: Callable[[Path], str]) -> tuple[str, Path]:
    root = tmp_path_factory.mktemp("archive")
    url = serve(root / "dist")
    write_project(root, TWELVE, url)
    r = build(root)
    assert r.returncode == 0, r.stderr
    return url, root / "dist"


def walk(url: str, current: str) -> list[Any]:
    """Fetch the current feed and follow prev-archive links over HTTP."""
    docs, seen = [], set()
    next_url: str | None = url + current
    while next_url:
        assert next_url not in seen, f"prev-archive loop at {next_url}"
        seen.add(next_url)
        d = feedparser.parse(next_url)
        assert d.get("status") == 200 and d.bozo == 0, (next_url, d.get("bozo_exception"))
        docs.append(d)
        next_url = next((x.href for x in d.feed.get("links", []) if x.rel == "prev-archive"), None)
    return docs


@pytest.mark.parametrize(("current", "stem"), [("atom.xml", "atom"), ("feed.xml", "rss")])
def test_walking_prev_archive_reaches_every_story_exactly_once(archive_site: tuple[str, Path], current: str,
                                                               stem: str) -> None:
    url, out = archive_site
    docs = walk(url, current)
    assert len(docs) == 2  # current + one complete archive page of five, which leaves five or more current
    cur, *archives = docs
    # s07 and s08 share a date: slug order, newest first
    assert [e.title for e in cur.entries] == [f"Story number {n}" for n in (12, 11, 10, 9, 7, 8, 6)]
    assert [x.href for x in cur.feed.links if x.rel == "prev-archive"] == [f"{url}archive/{stem}-1.xml"]
    ids = [e.id for d in docs for e in d.entries]
    assert len(ids) == len(set(ids)) == 12  # every story exactly once: no page repeats another's
    # page 1 holds the oldest five
    assert [e.title for e in archives[-1].entries] == [f"Story number {n}" for n in (5, 4, 3, 2, 1)]
    for n, d in ((1, archives[-1]),):
        root = xml(out / "archive" / f"{stem}-{n}.xml")
        assert root.findall(f".//{FH}archive"), "archive pages carry fh:archive"
        rels = {x.rel: x.href for x in d.feed.links}
        assert rels["current"] == url + current
        assert rels["self"] == f"{url}archive/{stem}-{n}.xml"
        # the only archive page: its next document in time is the current one
        # (an archive page linking nowhere is "Archive incomplete" to the W3C validator)
        assert rels["next-archive"] == url + current and "prev-archive" not in rels
    assert not xml(out / current).findall(f".//{FH}archive")


def test_json_feed_pages_through_the_archive(archive_site: tuple[str, Path]) -> None:
    url, _ = archive_site
    import urllib.request

    ids: list[str] = []
    next_url: str | None = url + "feed.json"
    pages = 0
    while next_url and pages < 10:
        with urllib.request.urlopen(next_url) as resp:
            feed = json.load(resp)
        pages += 1
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        ids.extend(i["id"] for i in feed["items"])
        next_url = feed.get("next_url")
    assert pages == 2
    assert len(ids) == len(set(ids)) == 12  # next_url never shows a story twice


def test_archive_pages_do_not_change_when_stories_arrive(tmp_path: Path) -> None:
    root = write_project(tmp_path, TWELVE, "https://example.com/")
    assert build(root).returncode == 0
    out = root / "dist"

    def entries(p: str) -> list[str]:
        return [e.title for e in feedparser.parse(str(out / p)).entries]

    page1 = entries("archive/atom-1.xml")
    assert page1 == [f"Story number {n}" for n in (5, 4, 3, 2, 1)]
    assert not (out / "archive/atom-2.xml").exists()
    for n in (13, 14, 15):
        (root / "source" / f"s{n}.md").write_text(story(n, n), encoding="utf-8")
    r = build(root)
    assert r.returncode == 0, r.stderr
    assert entries("archive/atom-1.xml") == page1  # it only gained its next-archive link
    assert entries("archive/atom-2.xml") == [f"Story number {n}" for n in (10, 9, 7, 8, 6)]
    cur = feedparser.parse(str(out / "atom.xml"))
    assert [x.href for x in cur.feed.links if x.rel == "prev-archive"] == ["https://example.com/archive/atom-2.xml"]
    assert len(cur.entries) == 5
    names = [f"archive/{n}" for n in ("atom-1.xml", "rss-1.xml", "jsonfeed-1.json", "atom-2.xml", "rss-2.xml",
                                      "jsonfeed-2.json")]
    before = {p: (out / p).read_bytes() for p in names}
    for n in (16, 17, 18):
        (root / "source" / f"s{n}.md").write_text(story(n, n), encoding="utf-8")
    r = build(root)
    assert r.returncode == 0, r.stderr
    assert {p: (out / p).read_bytes() for p in names} == before  # byte for byte
    assert not (out / "archive/atom-3.xml").exists()
    assert len(feedparser.parse(str(out / "atom.xml")).entries) == 8


def test_ids_survive_a_title_edit(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"a.md": story(1, 1), "b.md": story(2, 2)}, "https://example.com/")
    assert build(root).returncode == 0

    def ids() -> dict[str, tuple[str, str, str]]:
        out = root / "dist"
        rss = {e.link: (e.id, e.title) for e in feedparser.parse(str(out / "feed.xml")).entries}
        atom = {e.link: e.id for e in feedparser.parse(str(out / "atom.xml")).entries}
        js = {i["url"]: i["id"] for i in json.loads((out / "feed.json").read_text())["items"]}
        assert rss.keys() == atom.keys() == js.keys()
        return {k: (rss[k][0], atom[k], js[k]) for k in rss} | {"titles": tuple(v[1] for v in rss.values())}

    first = ids()
    (root / "source" / "a.md").write_text(story(1, 1, title="Story number 1, corrected headline"), encoding="utf-8")
    r = build(root)
    assert r.returncode == 0, r.stderr
    second = ids()
    assert "Story number 1, corrected headline" in second.pop("titles")
    first.pop("titles")
    assert first == second
    for rss_id, atom_id, json_id in second.values():
        assert rss_id == atom_id == json_id


@pytest.mark.parametrize("keep", ["aliases: [/a.html]", "redirect_from: /a.html", "id"])
def test_a_renamed_source_keeps_its_feed_id(tmp_path: Path, keep: str) -> None:
    """A rename changes the slug and the link; an alias naming the old
    address, or an explicit ``id`` set before the rename, keeps the id, so
    readers do not show the story twice."""
    extra = "id: courier-0001\n" if keep == "id" else ""
    root = write_project(tmp_path, {"a.md": story(1, 1, extra=extra), "b.md": story(2, 2)}, "https://example.com/")
    assert build(root).returncode == 0

    def ids() -> dict[str, str]:
        js = {i["title"]: i["id"] for i in json.loads((root / "dist" / "feed.json").read_text())["items"]}
        atom = {e.title: e.id for e in feedparser.parse(str(root / "dist" / "atom.xml")).entries}
        rss = {e.title: e.id for e in feedparser.parse(str(root / "dist" / "feed.xml")).entries}
        assert js == atom == rss
        return js

    before = ids()
    (root / "source" / "a.md").unlink()
    extra = extra or keep + "\n"
    (root / "source" / "renamed.md").write_text(story(1, 1, extra=extra), encoding="utf-8")
    assert build(root).returncode == 0
    after = ids()
    assert after == before
    links = [i["url"] for i in json.loads((root / "dist" / "feed.json").read_text())["items"]]
    assert "https://example.com/renamed.html" in links


def test_feeds_alone_export(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"a.md": story(1, 1), "b.md": story(2, 2)}, "https://example.com/")
    r = build(root, FORMATS)
    assert r.returncode == 0, r.stderr
    assert len(feedparser.parse(str(root / "dist" / "atom.xml")).entries) == 2


def test_missing_base_url_fails_feeds_only(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"a.md": story(1, 1), "b.md": story(2, 2)}, None)
    r = build(root, "html,rss")
    assert r.returncode == 1
    lines = [line for line in r.stderr.splitlines() if "base_url" in line.replace(str(root), "")]
    assert len(lines) == 1, r.stderr
    assert "feeds need [site] base_url" in lines[0] and "storyexport.toml" in lines[0]
    assert "Traceback" not in r.stderr
    assert {p.name for p in (root / "dist").glob("*.html")} == {"a.html", "b.html"}
    assert not (root / "dist" / "feed.xml").exists()


@pytest.mark.skipif(not have("newsboat"), reason="newsboat is not installed")
def test_newsboat_reads_the_feeds(archive_site: tuple[str, Path], tmp_path: Path) -> None:
    url, out = archive_site
    for name in XML_FEEDS:
        home = tmp_path / name
        home.mkdir()
        (home / "urls").write_text(url + name + "\n")
        cmd = ["newsboat", "-u", str(home / "urls"), "-c", str(home / "cache.db"), "-C", "/dev/null", "-x",
               "reload", "print-unread"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                           env={"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "7 unread articles"  # the current feed: what no archive page holds
        with sqlite3.connect(home / "cache.db") as db:
            rows = db.execute("SELECT guid, title, url, pubDate, author FROM rss_item").fetchall()
        want = {e.id: e for e in feedparser.parse(str(out / name)).entries}
        assert {r[0] for r in rows} == set(want)
        for guid, title, link, pub, author in rows:
            assert title == want[guid].title and link == want[guid].link
            assert pub == calendar.timegm(want[guid].published_parsed)
            assert author == ", ".join(a.name for a in want[guid].authors)


# ------------------------------------------------- writers called directly

SITE = Site(title="Unit", base_url="https://unit.example/", feed_limit=50)
T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)


def article(slug: str, title: str = "A title", published: datetime = T0,
            blocks: tuple[m.Block, ...] = (), **meta: Any) -> m.Article:
    body = blocks or (m.Para((m.Text(f"Body of {slug}."),)),)
    return m.Article(m.Meta(title=title, slug=slug, published=published, **meta), body, source_path=f"{slug}.md")


@pytest.fixture(scope="session")
def theme() -> Any:
    return load_theme("default")


def render(writer: type, articles: list[m.Article], theme: Any, site: Site = SITE,
           outputs: dict[str, dict[str, OutputInfo]] | None = None) -> tuple[dict[str, bytes], Diagnostics]:
    diags = Diagnostics()
    ctx = RenderContext(theme, site, diags)
    siblings = Siblings(outputs or {}, ("pdf", "epub", "html"))
    return dict(writer(theme, site).render_collection(articles, ctx, Collection(siblings))), diags


def test_enclosures_from_the_outputs_mapping(theme: Any) -> None:
    outputs = {"a": {"pdf": OutputInfo("a.pdf", "application/pdf", 1234),
                     "epub": OutputInfo("a.epub", "application/epub+zip", 5678),
                     "html": OutputInfo("a.html", "text/html", 99)},
               "b": {"epub": OutputInfo("b.epub", "application/epub+zip", 42)}}
    arts = [article("a"), article("b", published=T0 - timedelta(days=1))]
    rss = xml(render(RssWriter, arts, theme, outputs=outputs)[0]["feed.xml"])
    encl = {i.findtext("link"): [(e.get("url"), e.get("type"), e.get("length")) for e in i.findall("enclosure")]
            for i in rss.iter("item")}
    assert encl == {"https://unit.example/a.html": [("https://unit.example/a.pdf", "application/pdf", "1234")],
                    "https://unit.example/b.html": [("https://unit.example/b.epub", "application/epub+zip", "42")]}
    atom = xml(render(AtomWriter, arts, theme, outputs=outputs)[0]["atom.xml"])
    first = atom.find(f"{ATOM}entry")
    links = {(x.get("href"), x.get("type"), x.get("length")) for x in first.findall(f"{ATOM}link[@rel='enclosure']")}
    assert links == {("https://unit.example/a.pdf", "application/pdf", "1234"),
                     ("https://unit.example/a.epub", "application/epub+zip", "5678")}
    js = json.loads(render(JsonFeedWriter, arts, theme, outputs=outputs)[0]["feed.json"])
    assert {(x["url"], x["size_in_bytes"]) for x in js["items"][0]["attachments"]} == {
        ("https://unit.example/a.pdf", 1234), ("https://unit.example/a.epub", 5678)}


def test_siblings_come_from_the_registry() -> None:
    """Enclosures and downloads are what the writers declare (an enclosure
    rank, a per-article writer that is not the page), in rank and export
    order, whatever the formats are called; a writer nobody attaches is left out."""
    outputs = {"a": {"pdf": OutputInfo("a.pdf", "application/pdf", 1), "epub": OutputInfo("a.epub", "x", 2),
                     "docx": OutputInfo("a.docx", "y", 3), "html": OutputInfo("a/index.html", "text/html", 4)}}
    sib = Siblings(outputs, ("html", "docx", "epub", "pdf"))
    assert [o.path for o in sib.enclosures("a")] == ["a.epub", "a.pdf"]  # least preferred first (RSS keeps the last)
    assert [(d.label, d.path) for d in sib.downloads("a")] == [("DOCX", "a.docx"), ("EPUB", "a.epub"),
                                                                 ("PDF", "a.pdf")]
    assert sib.enclosures("nobody") == () and sib.downloads("nobody") == ()
    assert sorted(sib.paths()) == ["a.docx", "a.epub", "a.pdf", "a/index.html"]


def test_shared_values_are_made_once_per_key() -> None:
    made: list[str] = []
    one, two = SharedKey[list[str]]("one"), SharedKey[list[str]]("two")
    shared = Shared()
    first = shared.get(one, lambda: made.append("one") or ["1"])
    again = shared.get(one, lambda: made.append("again") or ["x"])
    other = shared.get(two, lambda: made.append("two") or ["2"])
    assert first is again and first == ["1"] and other == ["2"] and made == ["one", "two"]


def test_titles_are_text_and_control_characters_are_removed(theme: Any) -> None:
    title = "<b>Bold</b> & <script>alert(1)</script> \x07bell"
    clean = title.replace("\x07", "")
    arts = [article("hostile", title=title, authors=(m.Author("Ann\x0b Author"),), tags=("x\x01y",),
                    blocks=(m.Para((m.Text("Before\x07after <script>alert(2)</script>"),
                                    m.Link((m.Text("bad"),), "javascript:alert(3)"),
                                    m.Link((m.Text("section"),), "#part"))),
                            m.Heading(2, (m.Text("Part"),), "part")))]  # (a link to no heading is its words)
    files_rss, diags = render(RssWriter, arts, theme)
    assert any("'hostile'" in d.message and "title" in d.message for d in diags.warnings)
    assert any("content" in d.message for d in diags.warnings)
    files_atom, _ = render(AtomWriter, arts, theme)
    files_json, _ = render(JsonFeedWriter, arts, theme)
    for data in (files_rss["feed.xml"], files_atom["atom.xml"]):
        d = feedparser.parse(data)
        assert d.bozo == 0
        (e,) = d.entries
        assert e.title == clean
        assert [a.name for a in e.authors] == ["Ann Author"]
        assert [t.term for t in e.tags] == ["xy"]
        title_el = next(el for el in xml(data).iter() if etree.QName(el).localname == "title"
                        and el.getparent() is not None and etree.QName(el.getparent()).localname in ("item", "entry"))
        assert len(title_el) == 0 and title_el.text == clean  # escaped text, not markup
    (item,) = json.loads(files_json["feed.json"])["items"]
    assert item["title"] == clean
    content = lxml.html.fragment_fromstring(item["content_html"], create_parent="div")
    assert not content.xpath("//script") and "<script>alert(2)</script>" in content.text_content()
    hrefs = [a.get("href") for a in content.iter("a")]
    assert "https://unit.example/hostile.html#part" in hrefs
    assert not any(h and h.startswith("javascript:") for h in hrefs)
    assert "Beforeafter" in content.text_content()


def test_sanitizer_strips_script_handlers_and_javascript_urls(theme: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    hostile = ('<p onclick="steal()">a<script>alert(1)</script><a href="javascript:alert(2)">j</a>'
               '<img src="pic.png" onerror="x()"><iframe src="https://evil.example/"></iframe>'
               '<a href="rel/page.html">r</a></p>')
    monkeypatch.setattr(feeds_mod, "render_fragment", lambda article, opts: hostile)
    files, _ = render(JsonFeedWriter, [article("a")], theme)
    out = json.loads(files["feed.json"])["items"][0]["content_html"]
    root = lxml.html.fragment_fromstring(out, create_parent="div")
    assert not root.xpath("//script|//iframe")
    assert not [k for el in root.iter() for k in el.attrib if k.startswith("on")]
    assert "javascript:" not in out
    assert [a.get("href") for a in root.iter("a") if a.get("href")] == ["https://unit.example/rel/page.html"]
    assert [i.get("src") for i in root.iter("img")] == ["https://unit.example/pic.png"]


def test_missing_base_url_is_a_config_error(theme: Any) -> None:
    for writer in (RssWriter, AtomWriter, JsonFeedWriter):
        with pytest.raises(ConfigError, match="base_url") as exc:
            render(writer, [article("a")], theme, site=Site())
        assert exc.value.path == "storyexport.toml"


def test_two_stories_with_one_link_are_reported(theme: Any) -> None:
    url = "https://unit.example/story"
    _, diags = render(AtomWriter, [article("a", canonical_url=url), article("b", canonical_url=url)], theme)
    assert [d.path for d in diags.warnings if "same link" in d.message] == ["b.md"]


def test_order_is_newest_first_with_slug_breaking_ties(theme: Any) -> None:
    arts = [article("b"), article("c", published=T0 + timedelta(hours=1)), article("a")]
    js = json.loads(render(JsonFeedWriter, arts, theme)[0]["feed.json"])
    assert [i["url"].rsplit("/", 1)[1] for i in js["items"]] == ["c.html", "a.html", "b.html"]


def test_empty_collection_never_reads_the_clock(theme: Any) -> None:
    site = replace(SITE, source_date_epoch=1_700_000_000)
    files, _ = render(AtomWriter, [], theme, site=site)
    assert xml(files["atom.xml"]).findtext(f"{ATOM}updated") == "2023-11-14T22:13:20+00:00"


def test_logo_and_author_from_the_site(theme: Any) -> None:
    site = replace(SITE, logo="logo.png", author="Desk", author_email="desk@unit.example")
    rss = xml(render(RssWriter, [article("a")], theme, site=site)[0]["feed.xml"])
    assert rss.findtext("channel/image/url") == "https://unit.example/logo.png"
    assert rss.findtext("channel/managingEditor") == "desk@unit.example (Desk)"
    atom = xml(render(AtomWriter, [article("a")], theme, site=site)[0]["atom.xml"])
    assert atom.findtext(f"{ATOM}logo") == "https://unit.example/logo.png"
    assert atom.findtext(f"{ATOM}author/{ATOM}email") == "desk@unit.example"


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_paginate_covers_everything_and_pages_are_stable(limit: int) -> None:
    previous: dict[str, tuple[int, ...]] = {}
    for total in range(0, 4 * limit + 3):
        items = list(range(total, 0, -1))  # newest first
        pages = paginate(items, limit, "cur", lambda n: f"a{n}")
        cur, archives = pages[0], pages[1:]
        assert cur.items == tuple(items[:len(cur.items)])  # the newest
        assert min(total, limit) <= len(cur.items) < max(2 * limit, total + 1)
        assert len(archives) == archive_count(total, limit)
        assert sorted(i for p in pages for i in p.items) == sorted(items)  # each item on exactly one page
        assert all(len(p.items) == limit for p in archives)
        for k, p in enumerate(archives, 1):  # a chain: oldest ... newest archive page, then current
            assert p.link("prev-archive") == (f"a{k - 1}" if k > 1 else None)
            assert p.link("next-archive") == (f"a{k + 1}" if k < len(archives) else "cur")
            assert p.link("current") == "cur"
        for p in archives:
            if p.path in previous:
                assert p.items == previous[p.path]  # a page never changes once published
            previous[p.path] = p.items


# --------------------------------------------------- with the PDF and EPUB


def test_enclosure_lengths_equal_the_exported_files(exported: Callable[..., Path],
                                                    samples: dict[str, m.Article]) -> None:
    out = exported("pdf,epub," + FORMATS)
    rss = xml(out / "feed.xml")
    for item in rss.iter("item"):
        (enc,) = item.findall("enclosure")
        rel = enc.get("url").removeprefix(BASE)
        assert enc.get("type") == "application/pdf" and rel.endswith(".pdf")
        assert int(enc.get("length")) == (out / rel).stat().st_size
    atom = feedparser.parse(str(out / "atom.xml"))
    assert len(atom.entries) == len(samples)
    for e in atom.entries:
        encl = {x.type: x for x in e.enclosures}
        assert set(encl) == {"application/pdf", "application/epub+zip"}
        for x in encl.values():
            assert int(x.length) == (out / x.href.removeprefix(BASE)).stat().st_size
