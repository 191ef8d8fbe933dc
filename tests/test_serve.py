"""``storyexport serve`` as feed readers and browsers meet it, over real
HTTP on 127.0.0.1: media types, conditional GETs, gzip, ranges, nothing
outside the output folder, newsboat reading the served feeds, and a
rebuild (and a page reload) after a source changes."""

from __future__ import annotations

import gzip
import os
import re
import select
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from conftest import EPOCH, have
from storyexport.writers import available

ALL = ",".join(available())
SITE = '[site]\ntitle = "Served"\nbase_url = "https://news.example.org/"\nfeed_limit = 2\n'


def story(n: int, authors: str, body: str = "") -> str:
    return (f"---\ntitle: Story {n}\ndate: 2024-02-{n:02d}T08:00:00+00:00\nauthors: [{authors}]\ntags: [city]\n"
            f"---\n\n{body or f'Body of story {n}.'}\n")


def start(args: list[str], cwd: Path) -> tuple[subprocess.Popen[str], str]:
    """Run ``storyexport serve`` and wait for the address it prints."""
    exe = str(Path(sys.executable).with_name("storyexport"))
    proc = subprocess.Popen([exe, "serve", "--port", "0", *args], cwd=cwd, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH})
    assert proc.stdout is not None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 1)
        if ready:
            line = proc.stdout.readline()
            if m := re.search(r"at (http://\S+/) ", line):
                return proc, m.group(1)
        assert proc.poll() is None, "serve exited"
    raise AssertionError("serve did not start")


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A small project served with rebuilds: four stories, two of them by several authors."""
    root = tmp_path_factory.mktemp("served")
    (root / "source").mkdir()
    for n, authors in ((1, "Ann Lee"), (2, "Cy Ode"), (3, "Ann Lee, Bo Chen"), (4, "Di Ray, Ed Fox, Flo Gu")):
        (root / "source" / f"s{n}.md").write_text(story(n, authors))
    (root / "storyexport.toml").write_text(SITE)
    proc, url = start(["-j", "1", "-f", "html,rss,atom,jsonfeed,site"], root)
    assert url.startswith("http://127.0.0.1:")  # 127.0.0.1 unless told otherwise
    try:
        yield url, root
    finally:
        stop(proc)


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_media_types(served: tuple[str, Path]) -> None:
    url, _ = served
    for path, ctype in (("feed.xml", "application/rss+xml"), ("atom.xml", "application/atom+xml"),
                        ("feed.json", "application/feed+json"), ("", "text/html"), ("sitemap.xml", "application/xml"),
                        ("tags/city/feed.xml", "application/rss+xml"), ("archive/atom-1.xml", "application/atom+xml")):
        status, headers, _ = get(url + path)
        assert status == 200 and headers["Content-Type"].split(";")[0] == ctype, path


def test_downloads_have_their_types_and_ranges(exported) -> None:  # type: ignore[no-untyped-def]
    out: Path = exported(ALL)
    proc, url = start([str(out), "--no-watch"], Path.cwd())
    try:
        for ext, ctype in (("pdf", "application/pdf"), ("epub", "application/epub+zip"),
                           ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")):
            status, headers, body = get(f"{url}tokyo-rail.{ext}")
            assert status == 200 and headers["Content-Type"] == ctype
            assert body == (out / f"tokyo-rail.{ext}").read_bytes()
            assert headers["Accept-Ranges"] == "bytes"
            status, headers, part = get(f"{url}tokyo-rail.{ext}", Range="bytes=100-199")
            assert status == 206 and part == body[100:200]
            assert headers["Content-Range"] == f"bytes 100-199/{len(body)}"
            status, _, _ = get(f"{url}tokyo-rail.{ext}", Range=f"bytes={len(body) + 10}-")
            assert status == 416
    finally:
        stop(proc)


def test_conditional_get_and_gzip(served: tuple[str, Path]) -> None:
    url, root = served
    status, headers, body = get(url + "atom.xml")
    assert status == 200 and body == (root / "dist" / "atom.xml").read_bytes()
    assert headers["ETag"] and headers["Last-Modified"]
    assert get(url + "atom.xml", **{"If-None-Match": headers["ETag"]})[0] == 304
    assert get(url + "atom.xml", **{"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert get(url + "atom.xml", **{"If-None-Match": '"something-else"'})[0] == 200
    status, zipped, data = get(url + "atom.xml", **{"Accept-Encoding": "gzip"})
    assert status == 200 and zipped["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped["Vary"]
    assert gzip.decompress(data) == body and zipped["ETag"] != headers["ETag"]
    assert get(url + "atom.xml", **{"Accept-Encoding": "gzip", "If-None-Match": zipped["ETag"]})[0] == 304


def test_nothing_outside_the_output_folder(served: tuple[str, Path]) -> None:
    url, root = served
    secret = root / "secret.txt"
    secret.write_text("CANARY")
    (root / "dist" / "link-out.txt").symlink_to(secret)
    (root / "dist" / ".hidden").write_text("CANARY")
    host = url.removeprefix("http://").rstrip("/")
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt",
                 "//../secret.txt", "/link-out.txt", "/.hidden", "/tags/../../secret.txt", "/%00",
                 "/..\\secret.txt", "/storyexport.toml", "/source/s1.md", "/.storyexport/dist/manifest.json"):
        raw = subprocess.run(["curl", "-s", "--path-as-is", "-o", "-", "-w", "\n%{http_code}", f"http://{host}{path}"],
                             capture_output=True, text=True, timeout=30).stdout
        assert "CANARY" not in raw and raw.rsplit("\n", 1)[1] in ("400", "404"), (path, raw)
    assert get(url + "tags/city")[0] == 200  # a folder without its slash: redirected, then its index
    assert get(url + "no-such-folder/")[0] == 404  # and never a listing
    assert get(url + "_theme/")[0] == 404


@pytest.mark.skipif(not have("newsboat"), reason="newsboat is not installed")
def test_newsboat_reads_the_served_feeds(served: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = served
    want = {"Story 4": "Di Ray, Ed Fox, Flo Gu", "Story 3": "Ann Lee, Bo Chen"}
    for name in ("feed.xml", "atom.xml"):
        home = tmp_path / name
        home.mkdir()
        (home / "urls").write_text(url + name + "\n")
        r = subprocess.run(["newsboat", "-u", str(home / "urls"), "-c", str(home / "cache.db"), "-C", "/dev/null",
                            "-x", "reload", "print-unread"], capture_output=True, text=True, timeout=120,
                           env={"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "2 unread articles"  # the current feed: the newest two (feed_limit)
        with sqlite3.connect(home / "cache.db") as db:
            rows = dict(db.execute("SELECT title, author FROM rss_item").fetchall())
        assert rows == want, name


def test_an_edited_source_is_in_the_served_feed_after_the_rebuild(served: tuple[str, Path]) -> None:
    url, root = served
    status, _, page = get(url + "s4.html")
    assert status == 200 and b'EventSource("/.storyexport/events")' in page  # served pages reload...
    assert b"EventSource" not in (root / "dist" / "s4.html").read_bytes()  # ...the files hold no script
    events = urllib.request.urlopen(url + ".storyexport/events", timeout=120)
    assert events.headers["Content-Type"].startswith("text/event-stream")
    assert events.readline().startswith(b": storyexport")
    (root / "source" / "s4.md").write_text(story(4, "Di Ray, Ed Fox, Flo Gu", "A corrected body, word CHANGED."))
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        items = feedparser.parse(get(url + "atom.xml")[2]).entries
        if any("CHANGED" in e.content[0].value for e in items):
            break
        time.sleep(0.5)
    else:
        raise AssertionError("the served feed never showed the edit")
    lines = [events.readline() for _ in range(4)]  # the rest of the greeting, then the event (no keep-alive yet)
    assert b"event: rebuilt\n" in lines  # an open page is told to reload
    events.close()
