"""Layout decisions live in one place (``storyexport.layout``, a theme's
``[layout]`` tokens): a theme that changes one changes the print CSS, the
EPUB's CSS and the DOCX together, each read back from what was written."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from conftest import SEED, run_cli
from storyexport.errors import ThemeError
from storyexport.layout import ROLES
from storyexport.theme import load_theme
from storyexport.writers.docx_styles import ROLE_STYLES
from storyexport.xhtml import render_css

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}

CHANGED = """
[layout]
hyphenate = false
no_hyphens = ["code", "masthead"]
justify = false
bullets = ["■", "›"]
summary_item_gap = 1.5
"""


def export(tmp_path: Path, layout: str) -> tuple[str, str, dict[str, etree._Element]]:
    """Export the seed story as EPUB and DOCX with a theme inheriting the
    default and setting ``layout``: the print CSS, the EPUB's CSS and the
    DOCX's styles, numbering and settings."""
    site = tmp_path / ("changed" if layout else "default")
    (site / "source").mkdir(parents=True)
    shutil.copy(SEED, site / "source")
    theme = site / "styles" / "mine"
    theme.mkdir(parents=True)
    (theme / "theme.toml").write_text('name = "mine"\ninherit = "default"\n' + layout, encoding="utf-8")
    r = run_cli("--format", "docx,epub", "--theme", "mine", "--out", "dist", cwd=site)
    assert r.returncode == 0, r.stderr
    print_css = render_css(load_theme(theme), "print", lambda p: p)  # what the PDF writer hands WeasyPrint
    with zipfile.ZipFile(next((site / "dist").rglob("*.epub"))) as z:
        epub_css = z.read(next(n for n in z.namelist() if n.endswith("ereader.css"))).decode()
    with zipfile.ZipFile(next((site / "dist").rglob("*.docx"))) as z:
        parts = {name: etree.fromstring(z.read(f"word/{name}.xml")) for name in ("styles", "numbering", "settings")}
    return print_css, epub_css, parts


def style(parts: dict[str, etree._Element], sid: str) -> etree._Element:
    found = parts["styles"].find(f"w:style[@w:styleId='{sid}']", NS)
    assert found is not None, sid
    return found


def hyphenates(parts: dict[str, etree._Element], sid: str) -> bool:
    return style(parts, sid).find("w:pPr/w:suppressAutoHyphens", NS) is None


def bullets(parts: dict[str, etree._Element]) -> list[str]:
    """The bullet list's glyphs at levels 0 and 1 (abstractNum 1)."""
    lvls = parts["numbering"].findall("w:abstractNum[@w:abstractNumId='1']/w:lvl", NS)
    return [lvl.find("w:lvlText", NS).get(f"{{{W}}}val") for lvl in lvls[:2]]


def summary_item_gap(parts: dict[str, etree._Element]) -> str:
    return style(parts, "Summary").find("w:pPr/w:spacing", NS).get(f"{{{W}}}after")


def test_a_theme_changing_layout_decisions_changes_css_and_docx_alike(tmp_path: Path) -> None:
    before_print, before_epub, before = export(tmp_path, "")
    after_print, after_epub, after = export(tmp_path, CHANGED)

    # The default decisions, on both sides (so the changes below can show).
    assert "html { hyphens: auto; }" in before_print
    assert before["settings"].find("w:autoHyphenation", NS) is not None
    assert ("h1, h2, h3, h4, h5, h6, pre, code, .masthead, .dateline, .byline, caption, figcaption "
            "{ hyphens: manual; }") in before_print
    assert not any(hyphenates(before, sid) for sid in ("Heading2", "Title", "Code", "Byline", "Caption", "Header"))
    assert ".body p { text-align: justify; }" in before_print
    assert style(before, "BodyText").find("w:pPr/w:jc", NS).get(f"{{{W}}}val") == "both"
    for css in (before_print, before_epub):
        assert 'ul ul, ol ul { list-style-type: "\\2013\\a0\\a0"; }' in css and "\nul { list-style-type" not in css
    assert bullets(before) == ["•", "–"]
    assert "aside.summary li { margin: 0 0 3.0pt 0; }" in before_print and summary_item_gap(before) == "60"

    # Hyphenation off everywhere: neither the print CSS nor Word hyphenates.
    assert "hyphens: auto" not in after_print
    assert after["settings"].find("w:autoHyphenation", NS) is None
    # Only code and the masthead are exempt: the selector list and the DOCX styles follow.
    assert "pre, code, .masthead, .dateline, .byline { hyphens: manual; }" in after_print
    assert "h1, h2" not in after_print.split("{ hyphens: manual; }")[0].rsplit("}", 1)[-1]
    assert all(hyphenates(after, sid) for sid in ("Heading2", "SummaryTitle", "Caption", "Header"))
    # the title is inside the masthead (<header class="masthead">), whose hyphenation it inherits
    assert not any(hyphenates(after, sid) for sid in ("Code", "Byline", "Dateline", "Publication", "Subtitle",
                                                      "Title"))
    # Ragged body text.
    assert "text-align: justify" not in after_print
    assert style(after, "BodyText").find("w:pPr/w:jc", NS) is None
    # Other bullets, in the print CSS, the EPUB's CSS and the DOCX's list levels.
    for css in (after_print, after_epub):
        assert 'ul { list-style-type: "\\25a0\\a0"; }' in css
        assert 'ul ul, ol ul { list-style-type: "\\203a\\a0\\a0"; }' in css
    assert bullets(after) == ["■", "›"]
    # The summary's items one and a half paragraph gaps (6pt) apart.
    assert "aside.summary li { margin: 0 0 9.0pt 0; }" in after_print and summary_item_gap(after) == "180"


def test_every_role_has_docx_styles() -> None:
    """Each role a theme may name maps to DOCX styles (and every role with
    CSS selectors is in the default selector list)."""
    assert set(ROLE_STYLES) == set(ROLES)
    layout = load_theme("default").layout
    assert set(layout.no_hyphens) == set(ROLES)
    assert layout.selectors(layout.no_hyphens).split(", ") == [s for sels in ROLES.values() for s in sels]


@pytest.mark.parametrize("body, message", [
    ('[layout]\nno_hyphens = ["heading"]\n', "layout.no_hyphens: expected a list of distinct roles"),
    ('[layout]\nno_hyphens = ["code", "code"]\n', "layout.no_hyphens: expected a list of distinct roles"),
    ('[layout]\nbullets = ["-"]\n', "layout.bullets: expected 2 single characters"),
    ('[layout]\nbullets = ["->", "-"]\n', "layout.bullets: expected 2 single characters"),
    ('[layout]\nbullets = ["\\u0007", "-"]\n', "layout.bullets: expected 2 single characters"),
    ('[layout]\njustify = "yes"\n', "layout.justify: expected true or false"),
    ('[layout]\nsummary_item_gap = 0\n', "layout.summary_item_gap: expected a number"),
    ('[layout]\nwidows = 2\n', "unknown token layout.widows"),
])
def test_bad_layout_tokens_name_file_and_key(tmp_path: Path, body: str, message: str) -> None:
    d = tmp_path / "mine"
    d.mkdir()
    (d / "theme.toml").write_text('name = "mine"\ninherit = "default"\n' + body, encoding="utf-8")
    with pytest.raises(ThemeError) as e:
        load_theme(d)
    assert str(e.value).startswith(str(d / "theme.toml")) and message in str(e.value), str(e.value)
