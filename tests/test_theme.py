"""Themes: tokens validated with located errors, inheritance, CSS generated
from tokens only."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from storyexport.errors import ThemeError
from storyexport.theme import STYLES_DIR, length_pt, load_theme
from storyexport.xhtml import render_css


def test_default_theme_tokens() -> None:
    t = load_theme("default")
    assert t.fonts["body"].family == "Noto Serif"
    assert t.base_size == 10.5 and t.heading_size(1) == round(10.5 * 2.2, 2)
    assert round(t.page["width"], 2) == round(210 * 72 / 25.4, 2)
    for _fam, _b, _i, path in t.font_files():
        assert path.is_file() and path.is_relative_to(STYLES_DIR / "default")


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
    (f'[fonts.body]\nfamily = "X"\nregular = "{STYLES_DIR}/default/fonts/NotoSerif-Regular.ttf"\n',
     "outside the theme"),
    ('[page]\nwidth = 12\n', "page.width: not a length"),
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
    shutil.copytree(STYLES_DIR / "default", d)
    before = load_theme(d).fingerprint
    (d / "theme.toml").write_text((d / "theme.toml").read_text().replace('"10.5pt"', '"11pt"'))
    assert load_theme(d).fingerprint != before
