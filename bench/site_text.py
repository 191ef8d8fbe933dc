"""Independent readings for ``bench/sites.py``: the words a post's source
holds, and the words and template delimiters an exported file holds.

Nothing here uses storyexport: the source side strips front matter and
template calls with its own rules and lets pandoc read the Markdown; the
output side reads EPUB/HTML with lxml and DOCX as OOXML, so a loss in
storyexport's readers or writers cannot hide in the measure itself.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree, html

WORD = re.compile(r"[^\W_]+")
# openers counted as leaks outside code, per template syntax
DELIMITERS = {"hugo": ("{{<", "{{%", "{%"), "jekyll": ("{{<", "{{%", "{%", "{{")}
_LEAK = {"hugo": re.compile(r"\{\{[<%]|\{%"), "jekyll": re.compile(r"\{\{|\{%")}

# --- the source: body words as Hugo or Jekyll would render them ---------------

_HUGO_ESCAPED = re.compile(r"\{\{([<%])/\*(.*?)\*/([>%])\}\}", re.S)
_HUGO_CALL = re.compile(r"\{\{[<%].*?[>%]\}\}", re.S)
_LIQUID_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.S)
_LIQUID_COMMENT = re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.S)
_LIQUID_CALL = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.S)
_KRAMDOWN_IAL = re.compile(r"\{::?[^}\n]*\}")  # {: .class}, {:toc}, {::options ... /}
_PLACEHOLDER = "\ue000{}\ue001"


def body_after_front_matter(text: str) -> str:
    """The text after YAML (``---``…``---``/``...``), TOML (``+++``), JSON
    (``{``…``}``) front matter or a pandoc ``%`` title block, leading blank
    lines and a BOM allowed; the whole text when there is none or it is
    unclosed."""
    text = text.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    i = next((n for n, line in enumerate(lines) if line.strip()), len(lines))
    if i == len(lines):
        return ""
    first = lines[i].strip()
    closers = {"---": ("---", "..."), "+++": ("+++",)}.get(first)
    if closers:
        end = next((n for n in range(i + 1, len(lines)) if lines[n].rstrip() in closers), None)
        return text if end is None else "".join(lines[end + 1:])
    if first.startswith("{"):
        rest = "".join(lines[i:])
        try:
            _, end_at = json.JSONDecoder().raw_decode(rest)
        except ValueError:
            return text
        return rest[end_at:]
    if first.startswith("%"):
        n = i
        while n < len(lines) and (lines[n].startswith("%") or (n > i and lines[n][:1] in " \t" and lines[n].strip())):
            n += 1
        return "".join(lines[n:])
    return text


def strip_templates(body: str, syntax: str) -> str:
    """The body with every Hugo shortcode call or Liquid tag/output removed,
    as the site generator expands them before Markdown: the inner text of a
    paired call stays; an escaped ``{{</* x */>}}`` prints as ``{{< x >}}``;
    Liquid ``raw`` content stays literally, ``comment`` content goes; kramdown
    attribute lists (``{: .x}``, ``{::options /}``) are not text."""
    kept: list[str] = []

    def keep(literal: str) -> str:
        kept.append(literal)
        return _PLACEHOLDER.format(len(kept) - 1)

    if syntax == "hugo":
        body = _HUGO_ESCAPED.sub(lambda m: keep(f"{{{{{m[1]}{m[2]}{m[3]}}}}}"), body)
        body = _HUGO_CALL.sub("", body)
    else:
        body = _LIQUID_RAW.sub(lambda m: keep(m[1]), body)
        body = _LIQUID_COMMENT.sub("", body)
        body = _LIQUID_CALL.sub("", body)
        body = _KRAMDOWN_IAL.sub("", body)
    for n, literal in enumerate(kept):
        body = body.replace(_PLACEHOLDER.format(n), literal)
    return body


# pandoc's Markdown without what neither Goldmark nor kramdown has: "[@x][]" is
# a link, not a citation; "---" in a body is a rule, not metadata; "\\x" is text
READER = "markdown-citations-yaml_metadata_block-pandoc_title_block-raw_tex"
# plain text numbers ordered lists ("1.  item") and notes ("[1]"), which no
# output holds as text: lists become bullets, notes' text moves to the end
_UNNUMBERED = """
local notes = {}
function Note(el) for _, b in ipairs(el.content) do table.insert(notes, b) end return {} end
function OrderedList(el) return pandoc.BulletList(el.content) end
function Pandoc(doc) for _, b in ipairs(notes) do doc.blocks:insert(b) end return doc end
"""


@cache
def _filter() -> str:
    path = Path(tempfile.mkdtemp(prefix="sites-filter-")) / "unnumbered.lua"
    path.write_text(_UNNUMBERED, encoding="utf-8")
    return str(path)


def source_plain_text(path: Path, syntax: str) -> str:
    """What pandoc reads as text in the post's body, template calls removed."""
    body = strip_templates(body_after_front_matter(path.read_text(encoding="utf-8", errors="replace")), syntax)
    proc = subprocess.run(["pandoc", "-f", READER, "-t", "plain", "--wrap=none", "--lua-filter", _filter()],
                          input=body, capture_output=True, text=True, check=True, timeout=120)
    return proc.stdout


def words(text: str) -> Counter[str]:
    """Normalised word tokens: NFKC, lower case, runs of letters and digits."""
    return Counter(WORD.findall(unicodedata.normalize("NFKC", text).lower()))


# --- the outputs: all text, and text outside code -------------------------------


@dataclass
class OutputText:
    """An output's text: everything (for words), and the parts outside and
    inside code (for leaked delimiters); pieces of separate code spans are
    joined by NUL so no delimiter is counted across them."""

    everything: str
    outside_code: str
    in_code: str

    def leaks(self, syntax: str) -> tuple[int, int]:
        """Delimiters outside code, and inside code."""
        return len(_LEAK[syntax].findall(self.outside_code)), len(_LEAK[syntax].findall(self.in_code))


_BLOCK = frozenset({
    "address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "nav", "ol", "p", "pre",
    "section", "table", "td", "th", "title", "tr", "ul"})
_CODE = frozenset({"code", "pre", "kbd", "samp"})
_SKIP = frozenset({"script", "style"})
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


def _markup_pieces(el: etree._Element, in_code: bool) -> Iterator[tuple[str, bool]]:
    """(text, is code) pieces of an (X)HTML tree in reading order; block
    boundaries yield a newline; an image yields its alt text."""
    if not isinstance(el.tag, str):
        yield (el.tail or "", in_code)
        return
    name = etree.QName(el).localname.lower()
    code = in_code or name in _CODE
    block = name in _BLOCK
    if name not in _SKIP:
        if block:
            yield ("\n", False)
        if name == "img" and el.get("alt"):
            yield (" " + el.get("alt", "") + " ", code)
        yield (el.text or "", code)
        for child in el:
            yield from _markup_pieces(child, code)
        if block:
            yield ("\n", False)
    yield (el.tail or "", in_code)


def _join(pieces: Iterator[tuple[str, bool]]) -> OutputText:
    every: list[str] = []
    outside: list[str] = []
    inside: list[str] = []
    for text, code in pieces:
        every.append(text)
        (inside if code else outside).append(text)
        (outside if code else inside).append("\0")
    return OutputText("".join(every), "".join(outside), "".join(inside))


def _concat(parts: list[OutputText]) -> OutputText:
    return OutputText(*("\n".join(getattr(p, f) for p in parts) for f in ("everything", "outside_code", "in_code")))


def html_text(data: bytes) -> OutputText:
    """Text of an HTML page (parsed as HTML, as a browser would)."""
    return _join(_markup_pieces(html.document_fromstring(data), False))


def _xhtml(data: bytes) -> etree._Element:
    """A content document as XML; one that is not well-formed (EPUBCheck
    reports it) is read as a browser reads HTML, so its words still count."""
    try:
        return etree.fromstring(data, _SAFE_XML)
    except etree.XMLSyntaxError:
        return html.document_fromstring(data)


def epub_text(path: Path) -> OutputText:
    """Text of every XHTML document in an EPUB's manifest."""
    with zipfile.ZipFile(path) as z:
        container = etree.fromstring(z.read("META-INF/container.xml"), _SAFE_XML)
        opf_name = container.find(".//{*}rootfile").get("full-path")
        opf = etree.fromstring(z.read(opf_name), _SAFE_XML)
        base = opf_name.rpartition("/")[0]
        parts = []
        for item in opf.iterfind(".//{*}manifest/{*}item"):
            if item.get("media-type") == "application/xhtml+xml":
                name = f"{base}/{item.get('href')}" if base else item.get("href", "")
                parts.append(_join(_markup_pieces(_xhtml(z.read(name)), False)))
    return _concat(parts)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DOCX_PARTS = ("word/document.xml", "word/footnotes.xml", "word/endnotes.xml")
# storyexport: Code, CodeChar; pandoc: SourceCode, VerbatimChar, KeywordTok...
_CODE_STYLE = re.compile(r"code|verbatim|tok$", re.I)


def _docx_pieces(root: etree._Element) -> Iterator[tuple[str, bool]]:
    for el in root.iter():
        if el.tag == f"{_W}p":
            yield ("\n", False)
        elif el.tag == f"{_W}r":
            para = next(el.iterancestors(f"{_W}p"), None)
            styles = [s.get(f"{_W}val", "") for s in (
                *(para.findall(f"{_W}pPr/{_W}pStyle") if para is not None else []),
                *el.findall(f"{_W}rPr/{_W}rStyle"))]
            code = any(_CODE_STYLE.search(s) for s in styles)
            for t in el:
                if t.tag == f"{_W}t":
                    yield (t.text or "", code)
                elif t.tag in (f"{_W}tab", f"{_W}br", f"{_W}cr"):
                    yield (" ", code)
        elif etree.QName(el).localname == "docPr" and el.get("descr"):
            yield (" " + el.get("descr", "") + " ", False)


def docx_text(path: Path) -> OutputText:
    """Text of a DOCX body, footnotes and endnotes (runs joined within a
    paragraph); a run is code when its paragraph or run style names code."""
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        parts = [_join(_docx_pieces(etree.fromstring(z.read(n), _SAFE_XML))) for n in _DOCX_PARTS if n in names]
    return _concat(parts)


def output_text(path: Path) -> OutputText:
    """Text of an exported EPUB, DOCX or HTML file."""
    if path.suffix == ".epub":
        return epub_text(path)
    if path.suffix == ".docx":
        return docx_text(path)
    return html_text(path.read_bytes())
