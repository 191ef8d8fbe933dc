"""``storyexport check [DIR]``: validate exported files with real validators
and print a table. Exit 1 if any check fails or could not run.

- EPUB: EPUBCheck (0 errors, 0 warnings);
- RSS/Atom/JSON Feed: feedparser (``bozo == 0``) plus structural checks;
- PDF: pypdf opens it, it is tagged, has a title, embeds its fonts, has text;
- DOCX: python-docx opens it, core properties are set, it has text;
- HTML: well-formed XHTML with no script.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .config import Site
from .epubcheck import EpubCheckUnavailable, check_epubs

SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass
class Result:
    path: Path
    kind: str
    status: str = "ok"  # ok, FAIL, not run
    notes: list[str] = field(default_factory=list)

    def fail(self, note: str) -> None:
        self.status = "FAIL"
        self.notes.append(note)


def check_pdf(path: Path) -> Result:
    from pypdf import PdfReader
    from pypdf.generic import DictionaryObject

    r = Result(path, "pdf")
    try:
        pdf = PdfReader(path)
        root = pdf.trailer["/Root"]
        if len(pdf.pages) == 0:
            r.fail("no pages")
        if not isinstance(root, DictionaryObject) or "/StructTreeRoot" not in root:
            r.fail("not tagged (no structure tree)")
        if not (pdf.metadata and pdf.metadata.title):
            r.fail("no document title")
        if not pdf.pages[0].extract_text().strip():
            r.fail("no extractable text on page 1")
        for page in pdf.pages:
            fonts = page.get("/Resources", {}).get("/Font", {})
            for ref in fonts.values():
                font = ref.get_object()
                desc = font.get("/FontDescriptor") or font.get("/DescendantFonts", [{}])[0].get_object().get(
                    "/FontDescriptor")
                desc = desc.get_object() if desc is not None else {}
                if not any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    r.fail(f"font {font.get('/BaseFont')} is not embedded")
        r.notes.append(f"{len(pdf.pages)} page(s)")
    except Exception as e:  # any failure to read the file is a failed check
        r.fail(f"unreadable: {type(e).__name__}: {e}")
    return r


def check_docx(path: Path) -> Result:
    import docx

    r = Result(path, "docx")
    try:
        doc = docx.Document(str(path))
        if not doc.core_properties.title:
            r.fail("no title in core properties")
        if not any(p.text.strip() for p in doc.paragraphs):
            r.fail("no text")
        with zipfile.ZipFile(path) as z:
            bad = z.testzip()
            if bad:
                r.fail(f"corrupt zip entry {bad}")
        r.notes.append(f"{len(doc.paragraphs)} paragraphs")
    except Exception as e:
        r.fail(f"unreadable: {type(e).__name__}: {e}")
    return r


def check_feed(path: Path) -> Result:
    import feedparser

    r = Result(path, "feed")
    if path.suffix == ".json":  # feedparser 6 does not read JSON Feed: check its structure directly
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not str(data.get("version", "")).startswith("https://jsonfeed.org/version/1"):
                r.fail("not a JSON Feed (version)")
            for item in data.get("items", []):
                if not item.get("id") or not (item.get("content_html") or item.get("content_text")):
                    r.fail("item without id or content")
            r.notes.append(f"{len(data.get('items', []))} items")
        except ValueError as e:
            r.fail(f"invalid JSON: {e}")
        return r
    parsed = feedparser.parse(path.read_bytes())
    if parsed.bozo:
        r.fail(f"feedparser: {parsed.bozo_exception}")
    try:
        root = etree.parse(str(path), SAFE_XML).getroot()
    except etree.XMLSyntaxError as e:
        r.fail(f"not well-formed XML: {e}")
        return r
    if root.tag == f"{ATOM}feed":
        for tag in ("id", "title", "updated"):
            if len(root.findall(f"{ATOM}{tag}")) != 1:
                r.fail(f"feed needs exactly one {tag}")
        feed_author = root.find(f"{ATOM}author") is not None
        entries = root.findall(f"{ATOM}entry")
        for entry in entries:
            for tag in ("id", "title", "updated"):
                if len(entry.findall(f"{ATOM}{tag}")) != 1:
                    r.fail(f"entry needs exactly one {tag}")
            if not feed_author and entry.find(f"{ATOM}author") is None:
                r.fail("entry without author (and no feed author)")
        r.notes.append(f"{len(entries)} entries")
    elif root.tag == "rss":
        channel = root.find("channel")
        if channel is None or any(channel.find(t) is None for t in ("title", "link", "description")):
            r.fail("channel needs title, link and description")
        items = root.findall("channel/item")
        for item in items:
            if item.find("title") is None and item.find("description") is None:
                r.fail("item needs a title or description")
            if item.find("guid") is None:
                r.fail("item without guid")
        r.notes.append(f"{len(items)} items")
    elif root.tag == f"{SITEMAP}urlset":  # sitemaps.org 0.9: absolute locations, at most 50,000
        locs = [u.findtext(f"{SITEMAP}loc") or "" for u in root.findall(f"{SITEMAP}url")]
        if not all(loc.startswith(("https://", "http://")) for loc in locs) or len(locs) > 50_000:
            r.fail("sitemap needs one absolute http(s) loc per url, at most 50,000")
        r.notes.append(f"{len(locs)} urls")
    else:
        r.fail(f"unknown feed root {root.tag}")
    return r


def check_html(path: Path) -> Result:
    r = Result(path, "html")
    try:
        root = etree.fromstring(path.read_bytes().replace(b"<!DOCTYPE html>", b"", 1), SAFE_XML)
        # a JSON-LD data block is not active content; every other script is
        if root.xpath("//*[(local-name()='script' and not(@type='application/ld+json'))"
                      " or local-name()='iframe' or local-name()='object']"):
            r.fail("active content present")
        if root.xpath("//@*[starts-with(local-name(), 'on')]"):
            r.fail("event handler attribute present")
    except etree.XMLSyntaxError as e:
        r.fail(f"not well-formed: {e}")
    return r


def collect(out: Path) -> list[Result]:
    results: list[Result] = []
    epubs: list[Path] = []
    for path in sorted(out.rglob("*")):
        hidden = any(part.startswith(".") for part in path.relative_to(out).parts)  # manifest, digest cache
        if not path.is_file() or hidden or "_theme" in path.parts:
            continue
        if path.suffix == ".pdf":
            results.append(check_pdf(path))
        elif path.suffix == ".docx":
            results.append(check_docx(path))
        elif path.suffix == ".epub":
            epubs.append(path)
        elif path.suffix in (".xml", ".json"):
            results.append(check_feed(path))
        elif path.suffix == ".html":
            results.append(check_html(path))
    if epubs:
        try:
            for path, rep in check_epubs(epubs).items():
                r = Result(path, "epub")
                for msg in rep.errors + rep.warnings:
                    r.fail(str(msg))
                if not (rep.errors or rep.warnings):
                    r.notes.append("EPUBCheck: 0 errors, 0 warnings")
                results.append(r)
        except EpubCheckUnavailable as e:
            results.extend(Result(p, "epub", "not run", [f"EPUB check could not run: {e}"]) for p in epubs)
    return sorted(results, key=lambda r: str(r.path))


def run_checks(out: Path, site: Site) -> int:
    if not out.is_dir():
        from .errors import UsageError

        raise UsageError(f"no such output folder: {out} (run 'storyexport' first)")
    out = out.resolve()
    results = collect(out)
    if not results:
        print(f"{out}: nothing to check")
        return 1
    width = max(len(str(r.path.relative_to(out))) for r in results)
    for r in results:
        first, *rest = r.notes or [""]
        print(f"{r.path.relative_to(out)!s:<{width}}  {r.kind:5} {r.status:8} {first}")
        for note in rest:
            print(f"{'':<{width}}  {'':5} {'':8} {note}")
    bad = [r for r in results if r.status != "ok"]
    print(f"\n{len(results)} file(s) checked, {len(results) - len(bad)} ok, {len(bad)} failed or not run")
    return 1 if bad else 0
