"""GitHub task lists: the checkbox is a visible ☐ or ☑ at the start of the
item's text in the model, so every format shows it (and the theme has a face
that draws it)."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from pathlib import Path

import docx
import feedparser
import lxml.html
import pytest
from fontTools.ttLib import TTFont

from conftest import run_cli
from storyexport import model as m
from storyexport.config import Site
from storyexport.errors import Diagnostics
from storyexport.readers import read_source
from storyexport.theme import load_theme

FM = "---\ntitle: Tasks\ndate: 2024-01-02\n---\n"
BODY = "Before the vote:\n\n- [ ] draft the memo\n- [x] call the mayor\n- [X] book the hall\n- plain item\n\n" \
       "* not a task [ ] here\n"
EXPECTED = ["☐ draft the memo", "☑ call the mayor", "☑ book the hall", "plain item"]


def test_boxes_in_the_model(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(FM + BODY, encoding="utf-8")
    d = Diagnostics()
    a = read_source(tmp_path / "a.md", tmp_path, Site(), d)
    assert a is not None
    tasks, other = a.blocks[1], a.blocks[2]
    assert isinstance(tasks, m.BulletList) and isinstance(other, m.BulletList)
    assert [m.inline_text(i.blocks[0].children) for i in tasks.items] == EXPECTED  # type: ignore[union-attr]
    assert m.inline_text(other.items[0].blocks[0].children) == "not a task [ ] here"  # type: ignore[union-attr]
    assert not d.items  # the plugin's <input> is not "removed raw HTML"


def test_a_typed_input_is_still_removed(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(FM + 'Text <input type="checkbox"> more.\n', encoding="utf-8")
    d = Diagnostics()
    a = read_source(tmp_path / "a.md", tmp_path, Site(), d)
    assert a is not None and "☐" not in m.plain_text(a)
    assert any("removed <input>" in x.message for x in d.items)


@pytest.mark.parametrize("theme", ["default", "sans"])
def test_every_theme_can_draw_the_boxes(theme: str) -> None:
    covered: set[int] = set()
    for _fam, _b, _i, path in load_theme(theme).font_files():
        with TTFont(path, lazy=True) as f:
            covered |= set(f.getBestCmap())
    assert {0x2610, 0x2611} <= covered


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tasks")
    (root / "storyexport.toml").write_text('[site]\ntitle = "T"\nbase_url = "https://news.example.org/"\n')
    (root / "source").mkdir()
    (root / "source" / "tasks.md").write_text(FM + BODY, encoding="utf-8")
    r = run_cli("--format", "html,pdf,docx,epub,rss,jsonfeed", "--jobs", "1", cwd=root)
    assert r.returncode == 0, r.stderr
    assert " 0 warning(s)" in r.stderr, r.stderr  # no "cannot draw" from the PDF writer
    return root / "dist"


def lines_with_boxes(text: str) -> list[str]:
    return [" ".join(line.replace("•", "").split()) for line in text.splitlines() if "☐" in line or "☑" in line]


def test_html_and_epub(dist: Path) -> None:
    html = lxml.html.fromstring((dist / "tasks.html").read_bytes())
    assert [li.text_content() for li in html.iter("li")][:4] == EXPECTED
    with zipfile.ZipFile(dist / "tasks.epub") as z:
        page = next(n for n in z.namelist() if n.endswith(".xhtml") and "nav" not in n and "cover" not in n)
        text = lxml.html.fromstring(z.read(page)).text_content()
        assert any("Symbols" in n for n in z.namelist())  # the face drawing them travels with the book
    assert all(e in text for e in EXPECTED)


def test_pdf(dist: Path) -> None:
    text = subprocess.run(["pdftotext", str(dist / "tasks.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert lines_with_boxes(text) == EXPECTED[:3]
    fonts = subprocess.run(["pdffonts", str(dist / "tasks.pdf")], capture_output=True, text=True, check=True).stdout
    assert "Symbols" in fonts


def test_docx(dist: Path) -> None:
    data = (dist / "tasks.docx").read_bytes()
    paras = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]
    assert [p for p in paras if p in EXPECTED] == EXPECTED
    plain = subprocess.run(["pandoc", "-f", "docx", "-t", "plain"], input=data, capture_output=True,
                           check=True).stdout.decode()
    assert lines_with_boxes(plain.replace("-", " ")) == EXPECTED[:3]


def test_feeds(dist: Path) -> None:
    (entry,) = feedparser.parse((dist / "feed.xml").read_bytes()).entries
    assert all(e in lxml.html.fromstring(entry.content[0].value).text_content() for e in EXPECTED)
    (item,) = json.loads((dist / "feed.json").read_text())["items"]
    assert all(e in item["content_html"] for e in EXPECTED)
