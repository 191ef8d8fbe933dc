"""Hostile and broken input, run against every writer in one export.

Each case is one source file with what must happen to it: a located error
(and no output), or an export with a located warning and sanitised output.
Around them: a canary file outside the source tree that must never reach an
output, and a local HTTP server that must never be called.
"""

from __future__ import annotations

import http.server
import io
import re
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
from PIL import Image as PILImage

from conftest import run_cli

CANARY = "CANARY-7f3a9c-SECRET"
FM = "---\ntitle: {title}\ndate: 2024-01-02\n---\n"
PER_ARTICLE = ("html", "pdf", "docx", "epub")


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    error: str = ""  # regex a located error must match ("path:line: message")
    warning: str = ""  # regex a located warning must match
    absent: tuple[str, ...] = ()  # strings no output of the article may contain
    present: tuple[str, ...] = ()  # words the HTML output must still contain

    @property
    def slug(self) -> str:
        return self.name.rsplit(".", 1)[0]


def md(body: str, title: str = "Hostile") -> bytes:
    return (FM.format(title=title) + body).encode()


def cases(port: int) -> list[Case]:
    local = f"http://127.0.0.1:{port}"
    deep_list = "- " * 10_000 + "x\n"  # 10,000 nested lists on one line
    table = "| a | b |\n|---|---|\n" + "".join(f"| r{i} | {i} |\n" for i in range(2000))
    return [
        Case("c01-invalid-utf8.md", md("ok ") + b"\xff\xfe\xfa bad\n", error=r":5: not valid UTF-8"),
        Case("c02-utf16.md", md("Grüße aus Zürich.\n").decode().encode("utf-16"), warning="UTF-16",
             present=("Zürich.",)),
        Case("c03-empty.md", b"", error=r": the article has no body text"),
        Case("c04-front-matter-only.md", md(""), error=r":5: the article has no body text"),
        Case("c05-unterminated.md", b"---\ntitle: T\ndate: 2024-01-01\nBody\n", error=r":1: front matter is not closed"),
        Case("c06-python-tag.md", b"---\ntitle: !!python/object/apply:os.system ['touch /tmp/pwned']\n---\nB\n",
             error=r":2: invalid YAML"),
        Case("c07-alias-bomb.md", ("---\ntitle: T\na: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
            f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
            + "---\nB\n").encode(), error=r":2: front matter uses \d+ YAML aliases"),
        Case("c08-bad-date.md", b"---\ntitle: T\ndate: 2020-13-45\n---\nB\n", error=r":3: date: not a date: '2020-13-45'"),
        Case("c09-yaml11-values.md", b"---\ntitle: NO\ndate: 2024-01-01\nsubtitle: yes\nat: 10:00\n---\nBody.\n",
             warning="unknown front-matter key 'at'", present=("NO", "yes")),
        Case("c10-long-title.md", md("Body.\n", title="T" * 10_000), warning="title is 10000 characters; cut to 500"),
        Case("c11-5mb.md", md("word " * 1_000_000), error=r": file is \d+ bytes, over the limit"),
        Case("c12-deep-list.md", md(deep_list), error=r": content is nested (more than 40 levels|too deeply)"),
        Case("c13-deep-quote.md", md(">" * 10_000 + " deep\n"), error=r": content is nested more than 40 levels"),
        Case("c14-2000-rows.md", md(table), present=("r1999",)),
        Case("c15-control-text.md", md("a\x00b\x01c\x1fd \ufffe e\n"), warning="control or invalid characters",
             absent=("\x00", "\x01", "\x1f")),
        Case("c16-control-meta.md", b'---\ntitle: "Bad\\x07Title\\x1b"\ndate: 2024-01-01\n---\nB\n',
             warning="title: removed control", present=("BadTitle",)),
        Case("c16b-surrogate-meta.md", b'---\ntitle: "Half \\ud800 pair"\ndate: 2024-01-01\n---\nB\n',
             error=r":2: invalid YAML: found invalid Unicode character escape"),
        Case("c17-bidi.md", md("safe \u202egnp.exe\u202c text\n"), warning="bidirectional override",
             absent=("\u202e",)),
        Case("c18-script.md", md("a <script>alert('xss')</script> b\n\n<script>\nalert(2)\n</script>\n"),
             warning=r"removed <script>", absent=("alert(", "<script")),
        Case("c19-iframe.md", md('x <iframe src="https://evil.example/"></iframe> y\n'), warning="removed <iframe>",
             absent=("evil.example", "<iframe")),
        Case("c20-object.md", md('x <object data="x.swf"><embed src="y.swf"></object> y\n'),
             warning="removed <object>", absent=("x.swf", "y.swf")),
        Case("c21-onerror.md", md('<img src="x.png" onerror="alert(1)"> <p onclick="steal()">t</p>\n'),
             warning="event handler onerror=", absent=("onerror=", "alert(1)", "steal()")),  # the slug names it: the page links itself
        Case("c22-javascript-link.md", md("[click](javascript:alert(document.cookie)) <a href=\"JaVaScRiPt:x()\">b</a>\n"),
             warning="scheme 'javascript' is not allowed", absent=("javascript:", "JaVaScRiPt"), present=("click",)),
        Case("c23-data-html-link.md", md("[x](data:text/html;base64,PHNjcmlwdD4=) y\n"),
             warning="scheme 'data' is not allowed", absent=("data:text/html", "PHNjcmlwdD4")),
        Case("c24-file-img.md", md('<img src="file:///etc/passwd" alt="pw"> ![s](file:///tmp/secret/canary.txt)\n'),
             warning="is not a local file", absent=("root:x:0", CANARY), present=("pw",)),
        Case("c25-metadata-ip.md", md("![meta](http://169.254.169.254/latest/meta-data/)\n"),
             warning="is not a local file", absent=("169.254.169.254",)),
        Case("c26-local-server.md", md(f"![srv]({local}/img.png) <img src=\"{local}/raw.png\" alt=\"r\">\n"),
             warning="is not a local file"),
        Case("c27-dotdot-image.md", md("![up](../../secret/canary.png) ![up2](../../../../../../etc/passwd)\n"),
             warning="outside the source tree", absent=(CANARY,)),
        Case("c28-dotdot-slug.md", md("Body.\n").replace(b"title: Hostile", b"title: S\nslug: ../../../../tmp/x"),
             warning="not file-name safe"),
        Case("c29-missing-image.md", md("![gone](nope.png)\n"), warning="not found", present=("gone",)),
        Case("c30-fake-png.md", md("![fake](fake.png)\n"), warning="not a readable image", present=("fake",)),
        Case("c31-png-bomb.md", md("![bomb](bomb.png)\n"), warning="over max_image_pixels", present=("bomb",)),
        Case("c32-xxe.md", md('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///tmp/secret/canary.txt">]>\n<p>&x; ok</p>\n'),
             absent=(CANARY,), present=("ok",)),
        Case("c33-css-import.md", md("<style>@import url(file:///tmp/secret/canary.txt);</style>\n\nText.\n"),
             warning="removed <style>", absent=("@import", CANARY)),
        Case("c34-css-url.md", md('<span style="background:url(file:///etc/passwd)">styled</span>\n'),
             warning="removed attribute style=", absent=("background:url",), present=("styled",)),
        Case("c35-note-undefined.md", md("Text[^ghost].\n"), warning=r"footnote reference \[\^ghost\] has no def"),
        Case("c36-note-circular.md", md("A[^a] B[^b].\n\n[^a]: see [^b]\n\n[^b]: see [^a]\n"),
             warning="notes inside notes are not supported"),
        Case("c37-attachment.md", md('<link rel="attachment" href="file:///tmp/secret/canary.txt">\n\nT.\n'),
             warning="removed <link>", absent=(CANARY,)),
        Case("c38-svg.md", md('<svg onload="alert(1)"><script>x()</script></svg> after\n'), warning="removed <svg>",
             absent=("onload", "x()"), present=("after",)),
        Case("c39-meta-refresh.md", md('<meta http-equiv="refresh" content="0;url=https://evil.example/">\n\nT.\n'),
             warning="removed <meta>", absent=("evil.example",)),
        Case("c40-tags-mapping.md", b"---\ntitle: T\ndate: 2024-01-01\ntags: {a: b}\n---\nB\n",
             error=r":4: tags: expected a list"),
        Case("c41-title-list.md", b"---\ntitle: [a, b]\ndate: 2024-01-01\n---\nB\n", error=r":2: title: expected text"),
        Case("c42-bad-lang.md", b"---\ntitle: T\ndate: 2024-01-01\nlang: '<script>'\n---\nB\n",
             error=r":4: lang: not a BCP 47 language tag"),
        Case("c43-network-path-link.md", md("[x](//evil.example/steal)\n"), warning="network-path",
             absent=("evil.example",)),
        Case("c44-html-title.md", md("Body.\n", title='"<b>Bold</b> & <script>x()</script>"'),
             absent=("<b>Bold</b> & <script>x()</script></h1>",), present=("&lt;b&gt;Bold",)),
        Case("c45-crlf.md", md("Line one.\r\n\r\nLine two.\r\n").replace(b"\n", b"\r\n"), present=("two.",)),
        Case("c46-dup-a.md", md("A.\n").replace(b"title: Hostile", b"title: A\nslug: twin"),
             error=r": slug 'twin' is also used by"),
        Case("c47-dup-b.md", md("B.\n").replace(b"title: Hostile", b"title: B\nslug: twin"),
             error=r": slug 'twin' is also used by"),
        Case("c48-plain-text-nul.txt", b"Title: T\n\nText with \x00 nul.\n\nPublished on Apr 01, 2020",
             warning="control or invalid characters", present=("nul.",)),
        # addresses urllib refuses to read (a malformed IPv6 host) in every place a source gives one
        Case("c50-unreadable-addresses.md",
             md('A <a href="https://[x/">raw link</a> and <img src="http://[y/z.png" alt="alt words"> '
                "stay words.\n").replace(b"title: Hostile", b'title: Hostile\ncanonical_url: "http://[c/x"\n'
                                                           b'aliases: ["http://[r/", "/c50-old.html"]\nid: "http://[q/"'),
             warning=r"not a readable address", present=("raw link", "alt words", "stay words."),
             absent=("[c/x", "[y/z", "[x/", "[r/")),
        # dates at the ends of the calendar: the year 1 at +05:00 is the year 0 in UTC (every writer that
        # converts failed); the year 9999 has no MS-DOS date for the DOCX's and EPUB's ZIP entries
        Case("c51-year-one.md", md("Early.\n").replace(b"date: 2024-01-02", b"date: 0001-01-01T00:00:00+05:00"),
             error=r":3: date: .* is, in UTC, outside the years 1000 to 9999"),
        Case("c52-year-9999.md", md("Late words.\n").replace(b"date: 2024-01-02", b"date: 9999-12-31T23:59:59Z"),
             present=("Late words.",)),
    ]


class Recorder(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Recorder.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(b"\x89PNG" + CANARY.encode())

    def log_message(self, *args: object) -> None:
        pass


@dataclass
class Run:
    stderr: str
    returncode: int
    out: Path
    cases: list[Case]
    requests: list[str]


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = tmp_path_factory.mktemp("hostile")
    secret = Path("/tmp/secret")
    secret.mkdir(exist_ok=True)
    (secret / "canary.txt").write_text(CANARY)
    PILImage.new("RGB", (4, 4)).save(secret / "canary.png")
    src = base / "site" / "source"
    src.mkdir(parents=True)
    (src / "fake.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10)
    PILImage.new("1", (20000, 20000)).save(src / "bomb.png", optimize=True)
    (src / "c49-symlink.md").symlink_to(secret / "canary.txt")
    all_cases = cases(server.server_address[1])
    for c in all_cases:
        (src / c.name).write_bytes(c.data)
    (base / "site" / "storyexport.toml").write_text(
        '[site]\ntitle = "Hostile"\nbase_url = "https://example.org/"\n')
    r = run_cli("--out", str(base / "site" / "dist"), "--jobs", "2", cwd=base / "site")
    yield Run(r.stderr, r.returncode, base / "site" / "dist", all_cases, list(Recorder.requests))
    server.shutdown()


TEXT_MEMBERS = (".xml", ".xhtml", ".html", ".css", ".opf", ".ncx", ".rels", ".txt")


def article_text(out: Path, slug: str, fmt: str) -> str:
    """Everything an output says, as text: the page for HTML; every text part
    of a DOCX or EPUB; for a PDF its extracted text, link targets, metadata and
    XMP (its raw bytes are compressed binary)."""
    path = out / f"{slug}.{fmt}"
    data = path.read_bytes()
    if fmt in ("docx", "epub"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                             if n.endswith(TEXT_MEMBERS))
    if fmt == "pdf":
        from pypdf import PdfReader

        pdf = PdfReader(io.BytesIO(data))
        parts = [subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout]
        parts += [str(v) for v in (pdf.metadata or {}).values()]
        xmp = pdf.trailer["/Root"].get("/Metadata")
        if xmp is not None:
            parts.append(xmp.get_object().get_data().decode("utf-8", "replace"))
        for page in pdf.pages:
            for annot in page.get("/Annots", []) or []:
                action = annot.get_object().get("/A")
                if action is not None:
                    parts.append(str(action.get_object().get("/URI", "")))
        return "\n".join(parts)
    # the page's own JSON-LD data block (it can hold no "<", ">" or "&": xhtml.json_ld_text) is not a
    # script from the source; anything else that looks like one still fails
    return re.sub(r'<script type="application/ld\+json">[^<>&]*</script>', "", data.decode("utf-8", "replace"))


def test_at_least_40_cases(hostile: Run) -> None:
    assert len(hostile.cases) >= 40


def test_no_traceback_and_exit_1(hostile: Run) -> None:
    assert hostile.returncode == 1
    assert "Traceback" not in hostile.stderr


def test_no_network_access(hostile: Run) -> None:
    assert hostile.requests == []


def test_symlink_out_of_tree_is_an_error(hostile: Run) -> None:
    assert "source/c49-symlink.md: source is a link to a file outside the source tree" in hostile.stderr
    assert not list(hostile.out.glob("c49-symlink.*"))


def test_canary_never_reaches_any_output(hostile: Run) -> None:
    for path in hostile.out.rglob("*"):
        if path.is_file() and not path.name.startswith("."):
            fmt = path.suffix.lstrip(".")
            if fmt in PER_ARTICLE:
                text = article_text(path.parent, path.stem, fmt)
            else:
                text = path.read_bytes().decode("utf-8", "replace")
            assert CANARY not in text, path
            assert "root:x:0:0" not in text, path


def test_unreadable_addresses_are_warnings(hostile: Run) -> None:
    """An address urllib cannot read ended the whole export with a traceback
    (canonical_url, raw HTML links and images) or failed the feeds (id,
    aliases): each is now a located warning, and the story exports."""
    lines = [line for line in hostile.stderr.splitlines() if "c50-unreadable-addresses" in line]
    assert not [line for line in lines if "error" in line], lines
    assert len([line for line in lines if "not a readable address" in line]) == 4, lines
    assert (hostile.out / "c50-old.html").is_file()  # the readable alias still gets its redirect page
    assert "c50-unreadable-addresses" in (hostile.out / "feed.xml").read_text()


def test_no_partial_files(hostile: Run) -> None:
    assert not list(hostile.out.rglob("*.tmp"))


@pytest.mark.parametrize("index", range(len(cases(0))))
def test_case(hostile: Run, index: int) -> None:
    case = hostile.cases[index]
    lines = [line for line in hostile.stderr.splitlines() if f"source/{case.name}" in line]
    if case.error:
        assert any(re.search(case.error, line) for line in lines), (case.name, lines)
        located = [line for line in lines if re.match(rf".*source/{re.escape(case.name)}(:\d+)?: ", line)]
        assert located, lines
        slug = "twin" if "twin" in case.error else case.slug
        assert not list(hostile.out.glob(f"{slug}.*")), case.name
        return
    if case.warning:
        assert any(re.search(case.warning, line) for line in lines if "warning:" in line), (case.name, lines)
    slug = "tmp-x" if case.slug == "c28-dotdot-slug" else case.slug
    for fmt in PER_ARTICLE:
        text = article_text(hostile.out, slug, fmt)
        for bad in case.absent:
            assert bad not in text, (case.name, fmt, bad)
    html = article_text(hostile.out, slug, "html")
    for word in case.present:
        assert word in html, (case.name, word)
