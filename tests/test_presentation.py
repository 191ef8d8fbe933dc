"""The one presentation layer: what every format shows is decided once.

Unit checks of ``presentation.present`` on hand-built models, then one story
exported to every format and read back with independent readers (lxml,
python-docx, pandoc, pdftotext, EbookLib's zip through lxml): note numbers
and texts, the byline and heading ids agree, and a note called from a
"Story at a glance" bullet survives everywhere.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import docx
import pytest
from lxml import etree, html

from conftest import have, run_cli
from storyexport import model as m
from storyexport.presentation import Call, byline_text, present

T = m.Text
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
XHTML = "{http://www.w3.org/1999/xhtml}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def article(blocks: tuple[m.Block, ...], summary: tuple[tuple[m.Inline, ...], ...] = (),
            authors: tuple[str, ...] = ("Ana",)) -> m.Article:
    meta = m.Meta("Title", "t", datetime(2024, 3, 1, tzinfo=UTC), authors=tuple(m.Author(a) for a in authors),
                  summary=summary)
    return m.Article(meta, blocks, source_path="t.md")


def calls(blocks: tuple[m.Block, ...]) -> list[Call]:
    found: list[Call] = []
    for b in blocks:
        stack: list[object] = [b]
        while stack:
            n = stack.pop()
            if isinstance(n, Call):
                found.append(n)
            else:
                stack.extend(reversed(list(m.children(n))))
    return found


# ------------------------------------------------------------------ units


def test_notes_are_numbered_by_first_call_summary_first() -> None:
    a_note, b_note = m.Note("a", (m.Para((T("Note A."),)),)), m.Note("b", (m.Para((T("Note B."),)),))
    story = present(article((m.Para((T("x"), a_note, T("y"), b_note, T("z"), b_note)),), ((T("glance"), b_note),)))
    assert [(n.label, n.number, n.id, n.call_id, n.calls) for n in story.notes] == [
        ("b", 1, "fn1", "fnref1", 3), ("a", 2, "fn2", "fnref2", 1)]
    summary_calls = calls((m.Para(story.summary[0]),))
    body_calls = calls(story.blocks)
    assert [(c.note.number, c.nth, c.id) for c in summary_calls + body_calls] == [
        (1, 1, "fnref1"), (2, 1, "fnref2"), (1, 2, "fnref1-2"), (1, 3, "fnref1-3")]


def test_ids_are_unique_by_construction() -> None:
    note = m.Note("n", (m.Para((T("N."),)),))
    blocks = (m.Heading(2, (T("One"),), "dup"), m.Para((note,)), m.Heading(2, (T("Two"),), "dup"),
              m.Heading(2, (T("Three"),), "fn1"), m.Heading(2, (T("Four"),), "four"))
    story = present(article(blocks), "s01-")
    heads = [b.id for b in story.blocks if isinstance(b, m.Heading)]
    assert heads == ["s01-dup", "", "", "s01-four"]
    assert story.ids == {"s01-dup", "s01-four", "s01-fn1", "s01-fnref1"}
    assert sum("duplicate id 'dup'" in w for _c, w in story.warnings) == 1
    assert ("markup.id", "duplicate id 'fn1'; only the first keeps it") in story.warnings


def test_links_lead_somewhere_or_are_their_words() -> None:
    inner = m.Link((T("inner"),), "https://example.org/in")
    blocks = (m.Heading(2, (T("Here"),), "here"),
              m.Para((m.Link((T("to here"),), "#here"), m.Link((T("nowhere"),), "#gone"),
                      m.Link((T("outer "), inner), "https://example.org/out"))))
    story = present(article(blocks), "p-")
    para = story.blocks[1]
    assert isinstance(para, m.Para)
    assert para.children == (m.Link((T("to here"),), "#p-here"), T("nowhere"),
                             m.Link((T("outer "), T("inner")), "https://example.org/out"))
    assert ("source.link", "link to '#gone' has no heading with that id; kept as text") in story.warnings
    assert any("inside another link" in w for _c, w in story.warnings)


def test_masthead_byline_and_dateline() -> None:
    story = present(article((m.Para((T("x"),)),), authors=("Ana", "Ben", "Cy")))
    head = story.masthead
    assert byline_text(head) == "Ana, Ben and Cy"
    assert head.dateline is not None and head.dateline.published.text == "1 March 2024"
    arabic = present(m.Article(m.Meta("ع", "a", datetime(2024, 3, 1, tzinfo=UTC), language="ar",
                                      authors=(m.Author("أ"), m.Author("ب"))), (m.Para((T("x"),)),)))
    assert byline_text(arabic.masthead) == "أ وب"
    assert arabic.masthead.dateline is not None and arabic.masthead.dateline.direction == "rtl"
    undated = m.Meta("T", "u", datetime(1970, 1, 1, tzinfo=UTC), undated=True)
    assert present(m.Article(undated, (m.Para((T("x"),)),))).masthead.dateline is None


def test_a_note_cannot_hold_a_note() -> None:
    inner = m.Note("i", (m.Para((T("inner"),)),))
    with pytest.raises(ValueError, match="holds another footnote"):
        m.Note("o", (m.Para((T("outer"), inner)),))


# ----------------------------------------------------- every format agrees

STORY = """---
title: Notes everywhere
date: 2024-03-01
authors: [Ana Alves, Ben Brook, Cy Chen]
---
Story at a glance

- The glance point[^g]
- Another point

## Section

Body words[^b] and again the body[^b] and a second note[^c].

## Section

More words.

[^g]: Glance note words.

[^b]: Body note words.

[^c]: Third note words.
"""


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("present")
    (root / "source").mkdir()
    (root / "source" / "notes.md").write_text(STORY)
    (root / "storyexport.toml").write_text('[site]\ntitle = "T"\nbase_url = "https://example.org/"\n')
    r = run_cli("--format", "html,docx,epub,pdf", "--out", str(root / "dist"), "--config",
                str(root / "storyexport.toml"), str(root / "source"), cwd=root)
    assert r.returncode == 0, r.stderr
    assert "never referenced" not in r.stderr and "no footnote" not in r.stderr
    return root / "dist"


def squeeze(s: str) -> str:
    return " ".join(s.split())


def html_notes(page: etree._Element) -> list[tuple[int, str]]:
    """(number, text) of each endnote, the back-link's words left out."""
    out = []
    for li in page.xpath("//section[@class='footnotes']//li"):
        for back in li.xpath(".//a[@class='footnote-back']"):
            back.getparent().remove(back)
        out.append((int(li.get("id")[2:]), squeeze(li.text_content())))
    return out


def docx_notes(path: Path) -> list[tuple[int, str]]:
    """(number shown, text) of each Word footnote, as python-docx's XML has them;
    Word numbers footnotes in the order their references appear."""
    d = docx.Document(str(path))
    notes_part = next(p for p in d.part.package.iter_parts() if p.partname == "/word/footnotes.xml")
    notes = etree.fromstring(notes_part.blob, _PARSER)
    text = {int(f.get(f"{W}id")): squeeze("".join(t.text or "" for t in f.iter(f"{W}t")))
            for f in notes.iter(f"{W}footnote") if f.get(f"{W}type") is None}
    refs = [int(r.get(f"{W}id")) for r in d.element.body.iter(f"{W}footnoteReference")]
    repeats = [squeeze("".join(t.text or "" for t in f.iter(f"{W}t")))
               for f in d.element.body.iter(f"{W}fldSimple")]
    assert not repeats  # a repeated call is a NOTEREF field (w:fldChar), not a simple field
    return [(i, text[ref]) for i, ref in enumerate(refs, 1)]


def test_docx_and_xhtml_number_the_notes_alike(out: Path) -> None:
    page = html.parse(str(out / "notes.html")).getroot()
    in_html = html_notes(page)
    assert [t for _n, t in in_html] == ["Glance note words.", "Body note words.", "Third note words."]
    assert docx_notes(out / "notes.docx") == in_html
    # the calls: the summary's first, the body's second call of a note repeats its number
    assert [squeeze(a.text_content()) for a in page.xpath("//a[@class='footnote-ref']")] == ["1", "2", "2", "3"]
    body = docx.Document(str(out / "notes.docx")).element.body
    instr = [squeeze(i.text) for i in body.iter(f"{W}instrText") if "NOTEREF" in (i.text or "")]
    assert len(instr) == 1
    result = re.findall(r"NOTEREF (\S+)", instr[0])
    assert result and body.xpath(f".//w:bookmarkStart[@w:name='{result[0]}']")  # the first call, bookmarked


def test_byline_agrees(out: Path) -> None:
    page = html.parse(str(out / "notes.html")).getroot()
    in_html = squeeze(page.xpath("//p[@class='byline']")[0].text_content())
    assert in_html == "Ana Alves, Ben Brook and Cy Chen"
    d = docx.Document(str(out / "notes.docx"))
    bylines = [p.text for p in d.paragraphs if p.style is not None and p.style.style_id == "Byline"]
    assert bylines == [in_html]


def test_summary_note_survives_in_every_format(out: Path) -> None:
    page = html.parse(str(out / "notes.html")).getroot()
    glance = page.xpath("//aside[contains(@class,'summary')]//a[@class='footnote-ref']")
    assert [a.get("href") for a in glance] == ["#fn1"] and page.xpath("//li[@id='fn1']")
    with zipfile.ZipFile(out / "notes.epub") as z:
        xhtml = etree.fromstring(z.read("EPUB/article.xhtml"), _PARSER)
    refs = xhtml.xpath("//x:aside[contains(@class,'summary')]//x:a", namespaces={"x": XHTML[1:-1]})
    assert [a.get("href") for a in refs] == ["#fn1"]
    assert "Glance note words." in squeeze("".join(xhtml.xpath("//*[@id='fn1']")[0].itertext()))
    if have("pdftotext"):
        text = subprocess.run(["pdftotext", str(out / "notes.pdf"), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "Glance note words." in squeeze(text)
    if have("pandoc"):
        plain = subprocess.run(["pandoc", "-f", "docx", "-t", "plain", "--wrap=none", str(out / "notes.docx")],
                               capture_output=True, text=True, check=True, timeout=120).stdout
        assert "Glance note words." in plain and "Third note words." in plain


def test_heading_ids_are_unique_and_links_resolve(out: Path) -> None:
    page = html.parse(str(out / "notes.html")).getroot()
    ids = [e.get("id") for e in page.iter() if isinstance(e.tag, str) and e.get("id")]
    assert len(ids) == len(set(ids))
    assert [h.get("id") for h in page.xpath("//div[@class='body']//h2")] == ["section", "section-2"]
    with zipfile.ZipFile(out / "notes.epub") as z:
        xhtml = etree.fromstring(z.read("EPUB/article.xhtml"), _PARSER)
    ids = [e.get("id") for e in xhtml.iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    for a in xhtml.iter(f"{XHTML}a"):
        href = a.get("href") or ""
        assert not href.startswith("#") or href[1:] in ids
