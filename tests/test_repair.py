"""Raw HTML in the shapes real exports hold: the tree builder repairs
fragments as browsers do, so no writer ever meets a node where it cannot be.

Each reader case names the input and the model it must give; the last test
exports such sources through every writer and checks the outputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from conftest import run_cli
from storyexport import model as m
from storyexport.config import Site
from storyexport.errors import Diagnostics
from storyexport.readers import read_source

FM = "---\ntitle: T\ndate: 2024-01-02\n---\n"


def blocks(tmp_path: Path, md: str) -> tuple[m.Block, ...]:
    p = tmp_path / "a.md"
    p.write_text(FM + md, encoding="utf-8")
    a = read_source(p, tmp_path, Site(), Diagnostics())
    assert a is not None
    return a.blocks


def P(*words: str) -> m.Para:
    return m.Para((m.Text(" ".join(words)),))


def item(*bs: m.Block) -> m.ListItem:
    return m.ListItem(tuple(bs))


def cells(*texts: str) -> tuple[m.TableCell, ...]:
    return tuple(m.TableCell((m.Text(t),)) for t in texts)


CASES = [
    # the shape from the issue: an item opened and closed by HTML blocks around Markdown
    ("para\n\n<li>\n\nWord\n\n</li>\n", (P("para"), m.BulletList((item(P("Word")),)))),
    ("<li>a</li><li>b</li>\n", (m.BulletList((item(P("a")), item(P("b")))),)),
    ("<li>a</li>\n\n<li>b</li>\n", (m.BulletList((item(P("a")), item(P("b")))),)),
    ("Before\n\n</div>\n\n</li>\n\n</ul>\n\nAfter\n", (P("Before"), P("After"))),
    ("Before\n\n<div>\n\nInside\n\n</div>\n\nAfter\n", (P("Before"), P("Inside"), P("After"))),
    ("<blockquote>\n\nQuoted words\n\n</blockquote>\n\nAfter\n",
     (m.BlockQuote((P("Quoted words"),)), P("After"))),
    ("> <ul>\n>\n> inside\n\nafter\n",
     (m.BlockQuote((m.BulletList((item(P("inside")),)),)), P("after"))),
    ("<td>x</td>\n", (m.Table((), (cells("x"),)),)),
    ("<tr><td>a</td><td>b</td></tr>\n", (m.Table((), (cells("a", "b"),)),)),
    ("<table><td>a</td><td>b</td></table>\n", (m.Table((), (cells("a", "b"),)),)),
    ("<table>Lost words<tr><td>c</td></tr></table>\n", (P("Lost words"), m.Table((), (cells("c"),)))),
    ("<table><tr>loose<td>c</td></tr></table>\n", (m.Table((), (cells("loose", "c"),)),)),
    ("<ul>loose <em>words</em><li>x</li></ul>\n",
     (m.BulletList((item(m.Para((m.Text("loose "), m.Emph((m.Text("words"),))))), item(P("x")))),)),
    ("Inline <td>cell</td> text.\n", (P("Inline cell text."),)),
    ("Inline <dt>term</dt><dd>def</dd> text.\n", (P("Inline term def text."),)),
    ("<pre><p>x</p></pre>\n", (m.CodeBlock("x"),)),
    ("<dt>Term</dt><dd>Def</dd>\n", (m.DefinitionList((m.DefinitionItem((m.Text("Term"),), ((P("Def"),),)),)),)),
    ("<dl><dd>only a definition</dd></dl>\n", (P("only a definition"),)),
    ("<dl>loose<dt>T</dt>x<dd>D</dd></dl>\n",
     (P("loose"), m.DefinitionList((m.DefinitionItem((m.Text("T"),), ((P("x"),), (P("D"),))),)))),
    ("<ul>\n<li>one\n</ul>\n\n</li>\n\nAfter\n", (m.BulletList((item(P("one")),)), P("After"))),
    ("- item\n\n  <div>\n\n  inside\n- next\n",
     (m.BulletList((item(P("item"), P("inside")), item(P("next")))),)),
]


@pytest.mark.parametrize("md, expected", CASES, ids=[c[0][:30] for c in CASES])
def test_fragment_is_repaired(tmp_path: Path, md: str, expected: tuple[m.Block, ...]) -> None:
    assert blocks(tmp_path, md) == expected


SHAPES = {
    "orphan-item.md": "para\n\n<li>\n\nWord\n\n</li>\n",
    "stray-ends.md": "Before\n\n</div>\n\n</li>\n\n</ul>\n\n</table>\n\nAfter words\n",
    "stray-cells.md": "Intro\n\n<td>cell one</td>\n\n<tr><th>head</th></tr>\n\n<table>lost<td>x</td></table>\n",
    "unclosed.md": "Intro\n\n<ul>\n<li>first\n\n<li>\n\nsecond\n\n<blockquote>\n\nquoted\n",
    "inline-parts.md": "A <li>b</li> c <td>d</td> e <dd>f</dd> g <tr>h</tr>.\n",
}
FORMATS = "html,pdf,docx,epub,rss,atom,jsonfeed"


def test_real_export_shapes_through_every_writer(tmp_path: Path) -> None:
    """The issue's orphan ``<li>`` ended in ``internal error: TypeError: not a
    block: ListItem`` in the EPUB, HTML, PDF and RSS writers."""
    (tmp_path / "storyexport.toml").write_text('[site]\ntitle = "T"\nbase_url = "https://news.example.org/"\n')
    (tmp_path / "source").mkdir()
    for name, body in SHAPES.items():
        (tmp_path / "source" / name).write_text(FM.replace("T\n", name + "\n", 1) + body, encoding="utf-8")
    r = run_cli("--format", FORMATS, "--jobs", "1", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr
    dist = tmp_path / "dist"
    for name in SHAPES:
        for ext in ("html", "pdf", "docx", "epub"):
            assert (dist / f"{Path(name).stem}.{ext}").stat().st_size > 0
    check = run_cli("check", "dist", cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    safe = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    html = etree.fromstring((dist / "orphan-item.html").read_bytes().replace(b"<!DOCTYPE html>", b""), safe)
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    assert [" ".join(li.itertext()).strip() for li in html.xpath("//h:ul/h:li", namespaces=ns)] == ["Word"]
    words = " ".join(" ".join(html.xpath("//h:body//text()", namespaces=ns)).split())
    assert "para Word" in words
