"""Themes: tokens validated with located errors, inheritance, CSS generated
from tokens only."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import SEED, run_cli
from storyexport.errors import ThemeError
from storyexport.theme import find_theme, length_pt, load_theme
from storyexport.xhtml import render_css


def test_default_theme_tokens() -> None:
    t = load_theme("default")
    assert t.fonts["body"].family == "Noto Serif"
    assert t.base_size == 10.5 and t.heading_size(1) == round(10.5 * 2.2, 2)
    assert round(t.page["width"], 2) == round(210 * 72 / 25.4, 2)
    for _fam, _b, _i, path in t.font_files():
        assert path.is_file() and path.is_relative_to(find_theme("default"))


def test_sans_inherits_default_and_overrides() -> None:
    sans, default = load_theme("sans"), load_theme("default")
    assert sans.fonts["body"].family == "Noto Sans"
    assert sans.page["width"] == 612.0  # 8.5in
    assert sans.colors["muted"] == default.colors["muted"]  # inherited
    assert sans.quote_italic is False and default.quote_italic is True
    assert sans.spacing == default.spacing
    assert sans.dirs[1] == default.dirs[0]


@pytest.mark.parametrize("value, pt", [("10pt", 10), ("1in", 72), ("25.4mm", 72), ("2.54cm", 72), ("4px", 3)])
def test_lengths(value: str, pt: float) -> None:
    assert length_pt(value, "x") == pytest.approx(pt)


def user_theme(tmp_path: Path, body: str) -> Path:
    d = tmp_path / "mine"
    d.mkdir()
    (d / "theme.toml").write_text('name = "mine"\ninherit = "default"\n' + body)
    return d


@pytest.mark.parametrize("body, message", [
    ('[size]\nbase = "11"\n', "size.base: not a length with a unit"),
    ('[size]\nbasee = "11pt"\n', "unknown token size.basee"),
    ('[color]\naccent = "red"\n', "color.accent: expected a colour"),
    ('[fonts.body]\nfamily = "X"\nregular = "fonts/missing.ttf"\n', "fonts.body.regular: font file not found"),
    (f'[fonts.body]\nfamily = "X"\nregular = "{find_theme("default")}/fonts/NotoSerif-Regular.ttf"\n',
     "outside the theme"),
    ('[page]\nwidth = 12\n', "page.width: not a length"),
    ('[rule]\nquote_bar = 2\n', "rule.quote_bar: not a length"),
    ('[rule]\nmasthead = "1em"\n', "rule.masthead: not a length with a unit"),
    ('[rule]\nquote_barr = "2pt"\n', "unknown token rule.quote_barr"),
    ("rule = 3\n", "[rule] must be a table"),
    ('[spacing]\ncell_padding_x = "4"\n', "spacing.cell_padding_x: not a length"),
    ('[size]\ncode_scale = 0\n', "size.code_scale: expected a number between 0 and 10"),
    ('[size]\nheading_line_height = "1.2"\n', "size.heading_line_height: expected a number"),
    ('[tracking]\npublication = "0.08em"\n', "tracking.publication: expected a number of em"),
    ('[tracking]\nsummary_title = true\n', "tracking.summary_title: expected a number of em"),
    ('[figure]\nmax_height = 1.5\n', "figure.max_height: expected a share above 0 and at most 1"),
    ('[figure]\nmax_width = 0.5\n', "unknown token figure.max_width"),
    ("colour = 1\n", "unknown theme key 'colour'"),
    ("[size\n", "invalid TOML"),
])
def test_bad_theme_files_name_file_and_key(tmp_path: Path, body: str, message: str) -> None:
    d = user_theme(tmp_path, body)
    with pytest.raises(ThemeError) as e:
        load_theme(d)
    assert str(e.value).startswith(str(d / "theme.toml")) and message in str(e.value), str(e.value)


def test_user_theme_overrides_a_few_tokens(tmp_path: Path) -> None:
    d = user_theme(tmp_path, '[color]\naccent = "#123456"\n[size]\nbase = "12pt"\n')
    t = load_theme(d)
    assert t.colors["accent"] == "#123456" and t.base_size == 12
    assert t.fonts["body"].family == "Noto Serif"


def test_unknown_theme_lists_known() -> None:
    with pytest.raises(ThemeError, match="known: default, sans"):
        load_theme("nope")


def test_site_styles_folder_themes(tmp_path: Path) -> None:
    """A site's own themes live in its ``styles/<name>/``: found by name from
    --theme and from ``[build] theme``, by path too, inheriting the installed
    themes; an unknown name lists them all."""
    site = tmp_path / "site"
    (site / "source").mkdir(parents=True)
    shutil.copy(SEED, site / "source")
    (site / "styles").mkdir()
    user_theme(site / "styles", '[color]\naccent = "#123456"\n')  # styles/mine

    def colours(*args: str) -> set[str]:
        r = run_cli("--format", "html", "--out", "dist", "--force", *args, cwd=site)
        assert r.returncode == 0, r.stderr
        return set(re.findall(r"#[0-9a-f]{6}", (site / "dist" / "_theme" / "screen.css").read_text()))

    assert "#123456" in colours("--theme", "mine")
    assert "#123456" in colours("--theme", str(site / "styles" / "mine" / "theme.toml"))
    sans = colours("--theme", "sans")
    assert load_theme("sans").colors["accent"] in sans and "#123456" not in sans
    (site / "storyexport.toml").write_text('[build]\ntheme = "mine"\n')
    assert "#123456" in colours()
    r = run_cli("--theme", "nope", cwd=site)
    assert r.returncode == 1 and "known: default, mine, sans" in r.stderr and "Traceback" not in r.stderr


def test_css_uses_only_tokens() -> None:
    """Every colour and point size in the generated CSS comes from a token."""
    t = load_theme("sans")
    css = render_css(t, "screen", lambda p: p)
    colours = set(re.findall(r"#[0-9a-f]{6}", css))
    assert colours <= set(t.colors.values()) | {t.caption_color, t.quote_border}
    assert f"font-size: {t.base_size}pt" in css
    assert f"font-size: {t.heading_size(2)}pt" in css
    assert '"Noto Sans"' in css and "Noto Serif" not in css


def test_theme_fingerprint_changes_with_files(tmp_path: Path) -> None:
    d = tmp_path / "copy"
    shutil.copytree(find_theme("default"), d)
    before = load_theme(d).fingerprint
    (d / "theme.toml").write_text((d / "theme.toml").read_text().replace('"10.5pt"', '"11pt"'))
    assert load_theme(d).fingerprint != before


def test_default_look_tokens() -> None:
    """The numbers the style sheets and the DOCX builder used to write by hand
    are now the default theme's tokens, unchanged; sans inherits them."""
    for t in (load_theme("default"), load_theme("sans")):
        assert (t.heading_line_height, t.dek_line_height, t.code_line_height) == (1.2, 1.3, 1.3)
        assert (t.code_scale, t.inline_image, t.note_call, t.figure_max_height) == (0.88, 1.2, 0.8, 0.6)
        assert t.rules == {"masthead": 1, "hr": 1, "summary_bar": 3, "summary_box": 0.5, "quote_bar": 2,
                           "table_head": 1.2, "table_row": 0.5, "footnote": 0.5}
        assert t.tracking == {"publication": 0.08, "summary_title": 0.06}
        assert (t.spacing["cell_padding_x"], t.spacing["cell_padding_y"]) == (4, 2)


LOOK_OVERRIDES = """
[size]
heading_line_height = 1.11
dek_line_height = 1.37
code_line_height = 1.27
code_scale = 0.81
inline_image = 1.7
note_call = 0.7
[spacing]
cell_padding_x = "5pt"
cell_padding_y = "3pt"
[rule]
masthead = "1.7pt"
hr = "1.3pt"
summary_bar = "4.5pt"
summary_box = "0.7pt"
quote_bar = "2.5pt"
table_head = "1.9pt"
table_row = "0.3pt"
footnote = "0.4pt"
[tracking]
publication = 0.11
summary_title = 0.13
[figure]
max_height = 0.45
"""


def test_look_tokens_reach_every_style_sheet_and_the_docx_styles(tmp_path: Path) -> None:
    """Change every look token in a user theme: the print, e-reader and screen
    CSS and the DOCX style set all follow, and none keeps an old number."""
    from lxml import etree

    from storyexport.writers.docx_styles import StyleSet, scripts_for

    t = load_theme(user_theme(tmp_path, LOOK_OVERRIDES))
    css = {medium: render_css(t, medium, lambda p: p) for medium in ("print", "ereader", "screen")}
    for medium, text in css.items():
        for needle in ("line-height: 1.11;", "line-height: 1.37;", "line-height: 1.27;", "font-size: 0.81em;",
                       "height: 1.7em;", "letter-spacing: 0.11em;", "letter-spacing: 0.13em;",
                       "border-bottom: 1.7pt solid", "border-top: 1.3pt solid", "border-left: 4.5pt solid",
                       "border-left: 2.5pt solid", "border-bottom: 1.9pt solid", "border-bottom: 0.3pt solid",
                       "padding: 3.0pt 5.0pt;"):
            assert needle in text, (medium, needle)
        for old in ("line-height: 1.2;", "line-height: 1.3;", "0.88em", "letter-spacing: 0.08em",
                    "letter-spacing: 0.06em", " 3.0pt solid", " 2.0pt solid", " 1.0pt solid", " 1.2pt solid",
                    " 0.5pt solid", "padding: 2.0pt 4.0pt", "1px solid", "height: 1.2em"):
            assert old not in text, (medium, old)
    small = round(t.base_size * t.small, 2)
    assert f"max-height: {round(t.text_height * 0.45, 1)}pt" in css["print"]
    assert f"font-size: {round(small * 0.7, 2)}pt" in css["print"]  # footnote calls
    assert "0.4pt solid" in css["ereader"] and "0.4pt, transparent 0.4pt" in css["print"]
    assert css["print"].count("0.7pt solid") == 4  # the summary box's three hairlines, and the RTL one

    styles = StyleSet(t, scripts_for(t, "en", False)).styles_children()
    xml = b"".join(etree.tostring(e) for e in styles).decode()
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

    def style(sid: str) -> etree._Element:
        return next(e for e in styles if e.get(f"{{{w}}}styleId") == sid)

    def attr(el: etree._Element, path: str, name: str) -> str:
        return el.find(path, {"w": w}).get(f"{{{w}}}{name}")

    assert attr(style("Title"), "w:pPr/w:spacing", "line") == str(round(1.11 * t.heading_size(1) * 20))
    assert attr(style("Subtitle"), "w:pPr/w:spacing", "line") == str(round(1.37 * t.heading_size(4) * 20))
    assert attr(style("Code"), "w:pPr/w:spacing", "line") == str(round(1.27 * t.base_size * 0.81 * 20))
    assert attr(style("Code"), "w:rPr/w:sz", "val") == str(round(t.base_size * 0.81 * 2))
    assert attr(style("Publication"), "w:rPr/w:spacing", "val") == str(round(0.11 * small * 20))
    assert attr(style("SummaryTitle"), "w:rPr/w:spacing", "val") == str(round(0.13 * t.base_size * 20))
    assert attr(style("Dateline"), "w:pPr/w:pBdr/w:bottom", "sz") == str(round(1.7 * 8))
    assert attr(style("HorizontalLine"), "w:pPr/w:pBdr/w:bottom", "sz") == str(round(1.3 * 8))
    assert attr(style("Quote"), "w:pPr/w:pBdr/w:left", "sz") == str(round(2.5 * 8))
    assert attr(style("Summary"), "w:pPr/w:pBdr/w:left", "sz") == str(round(4.5 * 8))
    assert attr(style("Summary"), "w:pPr/w:pBdr/w:top", "sz") == str(round(0.7 * 8))
    table = style("StoryTable")
    assert attr(table, "w:tblPr/w:tblBorders/w:insideH", "sz") == str(round(0.3 * 8))
    assert attr(table, "w:tblStylePr/w:tcPr/w:tcBorders/w:bottom", "sz") == str(round(1.9 * 8))
    assert attr(table, "w:tblPr/w:tblCellMar/w:left", "w") == "100"
    assert attr(table, "w:tblPr/w:tblCellMar/w:top", "w") == "60"
    assert 'w:lineRule="exact"' in xml  # headings at 1.11 are tighter than the face's own line
