"""Definition lists: one model node from Markdown (``Term`` / ``: definition``)
and from raw HTML (``<dl>``), rendered in every format and read back with
independent readers, terms and definitions in order."""

from __future__ import annotations

import io
import json
import re
import subprocess
import zipfile
from pathlib import Path

import docx
import feedparser
import lxml.html
import pytest
from lxml import etree

from conftest import run_cli
from storyexport import model as m
from storyexport.config import Site
from storyexport.errors import Diagnostics
from storyexport.readers import read_source

FM = "---\ntitle: {title}\ndate: 2024-01-02\n---\n"
GLOSSARY = """The council used these terms.

Appropriation
: Money set aside by *law* for one purpose.

  A second paragraph about appropriation.

Levy
: A tax on property.
: Also the verb for raising it.

Budget items[^1] follow.

- Item with a list inside

  Quorum
  : Members needed present.

<dl><dt>Ordinance</dt><dd>A local law.</dd><dt>Motion</dt><dt>Resolution</dt><dd>A formal proposal.</dd></dl>

[^1]: A note holding a list.

    Surplus
    : Money left over.
"""
# Terms and definitions in reading order (the footnote comes last in every format but the PDF)
ORDER = ["Appropriation", "Money", "law", "purpose", "second", "appropriation", "Levy", "tax", "property",
         "verb", "raising", "Quorum", "Members", "Ordinance", "local", "Motion", "Resolution", "formal",
         "proposal"]
NOTE = ["Surplus", "left", "over"]
SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
XHTML = {"h": "http://www.w3.org/1999/xhtml"}


def read(tmp_path: Path, body: str) -> m.Article:
    p = tmp_path / "a.md"
    p.write_text(FM.format(title="T") + body, encoding="utf-8")
    a = read_source(p, tmp_path, Site(), Diagnostics())
    assert a is not None
    return a


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def in_order(found: list[str], expected: list[str]) -> None:
    """Every expected word appears, in this order (other words may come between)."""
    it = iter(found)
    missing = [w for w in expected if not any(f == w for f in it)]
    assert not missing, (missing, found)


def test_markdown_and_html_give_the_same_node(tmp_path: Path) -> None:
    md = read(tmp_path, "Term\n: Def with *x*.\n: Second.\n\nOther\n: Third.\n").blocks
    html = read(tmp_path, "<dl><dt>Term</dt><dd>Def with <em>x</em>.</dd><dd>Second.</dd>"
                          "<dt>Other</dt><dd>Third.</dd></dl>\n").blocks
    assert md == html
    (dl,) = md
    assert isinstance(dl, m.DefinitionList)
    assert [m.inline_text(i.term) for i in dl.items] == ["Term", "Other"]
    assert [len(i.definitions) for i in dl.items] == [2, 1]


def test_model_node_in_walk_plain_text_and_json(tmp_path: Path) -> None:
    a = read(tmp_path, GLOSSARY)
    lists = m.query(a, m.DefinitionList)
    assert len(lists) == 4  # body, inside a list item, from HTML, in the footnote
    assert m.DefinitionItem in {type(n) for n in m.walk(lists[0])}
    in_order(words(m.plain_text(a)), ORDER + NOTE)
    dumped = json.loads(m.dump_json(a))
    assert dumped["blocks"][1]["t"] == "DefinitionList"
    assert dumped["blocks"][1]["items"][0]["t"] == "DefinitionItem"
    html = next(d for d in lists if m.inline_text(d.items[0].term) == "Ordinance")  # (the note's comes at its call)
    assert [m.inline_text(i.term) for i in html.items] == ["Ordinance", "Motion", "Resolution"]
    assert html.items[1].definitions == ()  # shares Resolution's, as consecutive <dt>


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("definitions")
    (root / "storyexport.toml").write_text('[site]\ntitle = "T"\nbase_url = "https://news.example.org/"\n')
    (root / "source").mkdir()
    (root / "source" / "glossary.md").write_text(FM.format(title="Glossary") + GLOSSARY, encoding="utf-8")
    r = run_cli("--format", "html,pdf,docx,epub,rss,atom,jsonfeed", "--jobs", "1", cwd=root)
    assert r.returncode == 0, r.stderr
    assert " 0 warning(s)" in r.stderr, r.stderr  # nothing left out
    return root / "dist"


def test_outputs_pass_the_checks(dist: Path) -> None:
    r = run_cli("check", str(dist))
    assert r.returncode == 0, r.stdout + r.stderr


def test_html_has_dl_dt_dd(dist: Path) -> None:
    root = etree.fromstring((dist / "glossary.html").read_bytes().replace(b"<!DOCTYPE html>", b""), SAFE)
    dls = root.xpath("//h:dl", namespaces=XHTML)
    assert len(dls) == 4
    first = dls[0]
    assert [e.tag.split("}")[1] for e in first] == ["dt", "dd", "dt", "dd", "dd"]
    assert "".join(first[0].itertext()) == "Appropriation"
    assert len(first[1].xpath("h:p", namespaces=XHTML)) == 2
    in_order(words(" ".join(root.xpath("//h:body//text()", namespaces=XHTML))), ORDER + NOTE)


def test_pdf_text_in_order(dist: Path) -> None:
    text = subprocess.run(["pdftotext", str(dist / "glossary.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    found = words(text)
    in_order(found, ORDER)
    in_order(found, NOTE)  # a page footnote: at the foot of its page


def test_docx_styles_and_pandoc_reads_a_definition_list(dist: Path) -> None:
    data = (dist / "glossary.docx").read_bytes()
    d = docx.Document(io.BytesIO(data))
    paras = [(p.style.name, p.text) for p in d.paragraphs]
    terms = [t for s, t in paras if s == "Definition Term"]
    assert terms == ["Appropriation", "Levy", "Quorum", "Ordinance", "Motion", "Resolution"]
    defs = [t for s, t in paras if s == "Definition"]
    assert "A second paragraph about appropriation." in defs and "A formal proposal." in defs
    term_style = d.styles["Definition Term"]
    assert term_style.font.bold
    assert d.styles["Definition"].paragraph_format.left_indent > 0
    native = subprocess.run(["pandoc", "-f", "docx", "-t", "json"], input=data, capture_output=True,
                            check=True).stdout
    doc = json.loads(native)
    assert sum(1 for b in doc["blocks"] if b["t"] == "DefinitionList") >= 2
    plain = subprocess.run(["pandoc", "-f", "docx", "-t", "plain"], input=data, capture_output=True,
                           check=True).stdout.decode()
    in_order(words(plain), ORDER + NOTE)


def test_epub_xhtml_has_the_lists(dist: Path) -> None:
    with zipfile.ZipFile(dist / "glossary.epub") as z:
        pages = [n for n in z.namelist() if n.endswith(".xhtml") and "nav" not in n and "cover" not in n]
        roots = [etree.fromstring(z.read(n), SAFE) for n in pages]
        css = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".css"))
    texts = []
    for root in roots:
        assert root.xpath("//h:dl/h:dd[not(preceding-sibling::h:dt)]", namespaces=XHTML) == []
        texts.append(" ".join(root.xpath("//h:body//text()", namespaces=XHTML)))
    assert sum(len(r.xpath("//h:dl", namespaces=XHTML)) for r in roots) == 4
    in_order(words(" ".join(texts)), ORDER + NOTE)
    assert re.search(r"dt \{[^}]*font-weight: bold", css) and re.search(r"dd \{[^}]*margin", css)


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_feeds_carry_the_list(dist: Path, name: str) -> None:
    feed = feedparser.parse((dist / name).read_bytes())
    assert feed.bozo == 0
    (entry,) = feed.entries
    content = entry.content[0].value
    assert content.count("<dl>") == 4 and "<dt>" in content and "<dd>" in content
    in_order(words(lxml.html.fromstring(content).text_content()), ORDER + NOTE)


def test_json_feed_carries_the_list(dist: Path) -> None:
    (item,) = json.loads((dist / "feed.json").read_text())["items"]
    assert item["content_html"].count("<dl>") == 4
    in_order(words(lxml.html.fromstring(item["content_html"]).text_content()), ORDER + NOTE)
