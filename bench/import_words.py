"""Words kept from a WordPress export through `storyexport import` and the
export: for each published post, the words a reader sees in its
``content:encoded`` (tags, HTML comments, scripts and shortcode tags removed;
enclosed text kept) and its title, looked for in the PDF (pdftotext), DOCX
(python-docx), EPUB and HTML outputs; and any shortcode or block-comment
text left in an output.

    python bench/import_words.py EXPORT.xml SOURCES_DIR DIST_DIR [--markdown-only]

``--markdown-only`` measures Markdown files instead of outputs (for comparing
with another converter's Markdown, e.g. pelican-import's).
"""

from __future__ import annotations

import argparse
import html
import re
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import docx
from lxml import etree

SHORTCODE = re.compile(r"\[/?([a-z_][\w-]*)(?:\s[^\]]*)?/?\]")
LEAK_BLOCK = re.compile(r"<!--\s*/?wp:|wp:[a-z-]+\s*(?:\{|/?-->)")
CORE = {"caption", "wp_caption", "gallery", "playlist", "audio", "video", "embed", "code", "sourcecode"}
PUNCT = ".,;:!?()[]{}\"'“”‘’«»…—–-*_`#|<>"


def tokens(text: str) -> Counter[str]:
    return Counter(w for w in (t.strip(PUNCT).lower() for t in text.split()) if w)


def kept(want: Counter[str], got: Counter[str], text: str = "") -> float:
    """Share of the wanted words found. A word not found as a token still
    counts when the text holds it with line breaks inside (a long address
    wrapped by the PDF layout, a word hyphenated by pdftotext)."""
    joined = "".join(text.lower().split())
    unhyphenated = joined.replace("-", "")
    found = 0
    for w, n in want.items():
        have = got[w]
        # pdftotext joins "single-|page" and drops the hyphen where a line breaks inside an address
        if have < n and (w in joined or w.replace("-", "") in unhyphenated):
            have = n
        found += min(n, have)
    return found / max(1, sum(want.values()))


def reference(title: str, content: str) -> tuple[Counter[str], set[str]]:
    """The words of a post as a reader sees them, and the shortcode names it
    uses. A bare ``[name words]`` (no attributes, no closer) is text unless
    WordPress core defines ``name`` ("[simple boat]" in a novel's text);
    block-comment text written with ``&lt;`` is text too (a code sample)."""
    closed = set(re.findall(r"\[/([a-z_][\w-]*)\]", content))
    names = {m.group(1) for m in SHORTCODE.finditer(content)
             if m.group(1) in closed or m.group(1) in CORE or "=" in m.group(0) or m.group(0).endswith("/]")}
    text = re.sub(r"<!--.*?-->", " ", content, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S | re.I)
    text = SHORTCODE.sub(lambda mt: " " if mt.group(1) in names else mt.group(0), text)
    text = re.sub(r"<[^>]+>", " ", text)
    return tokens(html.unescape(re.sub(r"<[^>]+>", "", title)) + " " + html.unescape(text)), names


def posts(wxr: Path) -> list[tuple[str, str, str, str]]:
    """(link, title, content, post_name) of each published, unprotected post."""
    out = []
    for _, item in etree.iterparse(str(wxr), tag="item", resolve_entities=False, no_network=True):
        fields = {etree.QName(c).localname + ("" if "excerpt" not in (etree.QName(c).namespace or "") else "_x"):
                  c.text or "" for c in item if isinstance(c.tag, str)}

        def get(name: str, fields: dict[str, str] = fields) -> str:
            return fields.get(name.split(":")[-1].replace("encoded", "encoded"), "")
        if get("wp:post_type") == "post" and get("wp:status") == "publish" and not get("wp:post_password"):
            out.append((get("link").strip(), get("title"), get("content:encoded"), get("wp:post_name").strip()))
        item.clear()
    return out


def markdown_text(source: str) -> str:
    """A Markdown file's text without front matter, link and image addresses
    or Markdown punctuation, so words are counted, not syntax."""
    title = re.search(r"^title:\s*(.*)$", source, re.M | re.I)
    if source.startswith("---"):
        body = source.split("\n---\n", 1)[-1]
    else:  # pelican: "Key: value" lines, then a blank line
        body = source.split("\n\n", 1)[-1] if re.match(r"^Title:", source) else source
    body = (title.group(1).strip("'\"") if title else "") + "\n" + body
    body = re.sub(r"\]\(<?[^)\s>]*>?(?:\s+\"([^\"]*)\")?\)", r"] \1 ", body)
    body = re.sub(r"\{[#.][^}]*\}", " ", body)  # pandoc attributes
    return re.sub(r"\\(?=\S)|[\[\]]", " ", body)


def output_texts(dist: Path, slug: str, link: str = "") -> dict[str, str]:
    """The words of a story's PDF, DOCX and EPUB (``SLUG.*``) and of its web
    page (``SLUG.html``, or where its permalink puts it under a site whose
    base address is the blog's own)."""
    pdf = subprocess.run(["pdftotext", str(dist / f"{slug}.pdf"), "-"], capture_output=True, text=True).stdout
    d = docx.Document(str(dist / f"{slug}.docx"))
    docx_text = "\n".join(p.text for p in d.paragraphs) + "\n" + "\n".join(
        c.text for t in d.tables for row in t.rows for c in row.cells)
    with zipfile.ZipFile(dist / f"{slug}.epub") as z:
        epub = " ".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml") and "nav" not in n)
    flat = dist / f"{slug}.html"
    page = (flat if flat.is_file() else dist / urlsplit(link).path.strip("/") / "index.html").read_text()
    strip = lambda s: html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", s, flags=re.S)))  # noqa: E731
    return {"pdf": pdf, "docx": docx_text, "epub": strip(epub), "html": strip(page)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("wxr", type=Path)
    ap.add_argument("sources", type=Path)
    ap.add_argument("dist", type=Path, nargs="?")
    ap.add_argument("--markdown-only", action="store_true")
    args = ap.parse_args()
    by_link: dict[str, Path] = {}
    for md in args.sources.rglob("*.md"):
        text = md.read_text(errors="replace")
        link = re.search(r"^(?:canonical_url|url|link|wp_link):\s*['\"]?(\S+?)['\"]?\s*$", text, re.M)
        slug = re.search(r"^slug:\s*['\"]?(\S+?)['\"]?\s*$", text, re.M | re.I)  # pelican writes no link
        if link:
            by_link[link.group(1).rstrip("/")] = md
        elif slug and "\nStatus: draft" not in text:
            by_link["slug:" + slug.group(1)] = md
    rows, missing = [], []
    for link, title, content, name in posts(args.wxr):
        want, names = reference(title, content)
        literal_blocks = len(LEAK_BLOCK.findall(html.unescape(re.sub(r"<!--.*?-->", " ", content, flags=re.S))))
        md = by_link.get(link.rstrip("/")) or by_link.get(f"slug:{name}")
        if md is None:
            missing.append(link)
            continue
        source = md.read_text()
        texts = {"md": markdown_text(source)} if args.markdown_only else output_texts(args.dist, md.stem, link)
        leaks = []
        for fmt, text in texts.items():
            body = text.split("\n---\n", 1)[-1] if fmt == "md" else text
            found = [n.group(0) for n in SHORTCODE.finditer(body) if n.group(1) in names]
            found += LEAK_BLOCK.findall(body)[:max(0, len(LEAK_BLOCK.findall(body)) - literal_blocks)]
            if found:
                leaks.append(f"{fmt}:{found[0][:30]}")
        rows.append((md.stem, {fmt: kept(want, tokens(t), t) for fmt, t in texts.items()}, sum(want.values()), leaks))
    formats = list(rows[0][1]) if rows else []
    print(f"published posts: {len(rows) + len(missing)}, found: {len(rows)}, missing: {len(missing)}")
    for link in missing:
        print(f"  missing: {link}")
    for fmt in formats:
        values = [r[1][fmt] for r in rows if r[2]]
        under = [(r[0], round(r[1][fmt], 3)) for r in rows if r[2] and r[1][fmt] < 0.98]
        print(f"{fmt}: min {min(values):.3f}, mean {sum(values) / len(values):.3f}, posts under 98%: {len(under)} "
              f"{under[:8]}")
    leaked = [(r[0], r[3]) for r in rows if r[3]]
    print(f"posts with shortcode or block-comment text: {len(leaked)} {leaked[:10]}")


if __name__ == "__main__":
    sys.exit(main())
