"""Themes: one set of design tokens (``theme.toml``) for every format.

The tokens are validated against a schema here, once, and handed to writers as
a typed :class:`Theme`; the PDF and EPUB style sheets are generated from them
through the theme's Jinja2 templates and the DOCX writer builds its styles
from the same object. A theme may ``inherit`` another and override a few
tokens, as Sphinx themes do.

A theme is a folder. It is named by a path, found by name in a site's own
``styles/<name>/``, or installed as a package that declares itself in the
``storyexport.themes`` entry-point group (the shipped themes do, from
``storyexport/themes/``), as MkDocs and Sphinx find installed themes.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from .errors import ThemeError
from .layout import BULLET_GAPS, ROLES, Layout, LayoutTokens

GROUP = "storyexport.themes"
"""Entry-point group of installed themes: name -> the package holding ``theme.toml``."""

PROJECT_THEMES = Path("styles")
"""A site's own themes, ``styles/<name>/``, relative to the current folder
(like the configured ``source`` and ``out``)."""

_UNITS_PT = {"pt": 1.0, "mm": 72 / 25.4, "cm": 72 / 2.54, "in": 72.0, "px": 0.75}
_LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(pt|mm|cm|in|px)\s*$")
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_FACE_KEYS = ("regular", "bold", "italic", "bold_italic")

# section -> key -> kind. Anything else in a theme file is an error.
SCHEMA: dict[str, dict[str, str]] = {
    # base is a length; the rest are multiples of a font size: small text and
    # code against the base size, line heights and the inline image height
    # against their own text, the footnote call against the small size.
    "size": {"base": "length", "heading_scale": "scale", "small": "ratio", "line_height": "ratio",
             "heading_line_height": "ratio", "dek_line_height": "ratio", "code_line_height": "ratio",
             "code_scale": "ratio", "inline_image": "ratio", "note_call": "ratio"},
    "color": {
        k: "color"
        for k in ("text", "muted", "accent", "link", "rule", "summary_background",
                  "summary_border", "code_background")
    },
    "spacing": {k: "length" for k in ("paragraph_after", "heading_before", "heading_after", "list_indent",
                                      "cell_padding_x", "cell_padding_y")},
    "page": {k: "length" for k in ("width", "height", "margin_top", "margin_bottom", "margin_left",
                                   "margin_right")},
    # Line widths: the masthead's rule, <hr>, the summary box's bar and
    # hairlines, the quote bar, table rules, the footnote separator.
    "rule": {k: "length" for k in ("masthead", "hr", "summary_bar", "summary_box", "quote_bar",
                                   "table_head", "table_row", "footnote")},
    # Letter spacing of the upper-case labels, in em.
    "tracking": {"publication": "em", "summary_title": "em"},
    "caption": {"italic": "bool", "color": "color_ref"},
    "quote": {"italic": "bool", "indent": "length", "border": "color_ref"},
    # Figures at most this share of the text block's height (print, DOCX).
    "figure": {"max_height": "share"},
    # Decisions every format follows (storyexport.layout): hyphenation and
    # the roles exempt from it, justified body text, the bullets (top level,
    # nested), the summary's item gap as a share of spacing.paragraph_after.
    "layout": {"hyphenate": "bool", "no_hyphens": "roles", "justify": "bool", "bullets": "glyphs",
               "summary_item_gap": "ratio"},
}
FONT_ROLES = ("body", "heading", "code", "arabic")
# Roles a theme may leave out: a face other faces fall back to for symbols
# text faces lack (the ballot boxes of task lists, check marks, arrows).
OPTIONAL_FONT_ROLES = ("symbols",)
FALLBACK_ROLES = ("arabic", "symbols")
TOP_KEYS = {"name", "description", "inherit", "fonts", *SCHEMA}


def length_pt(value: object, where: str) -> float:
    """Parse a CSS-like length (``10.5pt``, ``20mm``) into points."""
    m = _LENGTH.match(value) if isinstance(value, str) else None
    if not m:
        raise ThemeError(f"{where}: not a length with a unit (pt, mm, cm, in, px): {value!r}")
    return round(float(m.group(1)) * _UNITS_PT[m.group(2)], 4)


@dataclass(frozen=True)
class FontFace:
    """A font family and its files, keyed by (bold, italic)."""

    family: str
    files: tuple[tuple[tuple[bool, bool], Path], ...]

    def file(self, bold: bool = False, italic: bool = False) -> Path:
        lookup = dict(self.files)
        return lookup.get((bold, italic)) or lookup.get((bold, False)) or lookup[(False, False)]


@dataclass(frozen=True)
class Theme:
    """Validated design tokens. Lengths are in points, colours ``#rrggbb``."""

    name: str
    description: str
    dirs: tuple[Path, ...]  # this theme first, then what it inherits from
    fonts: Mapping[str, FontFace]
    system_fonts: tuple[str, ...]
    base_size: float
    heading_scale: tuple[float, ...]
    small: float
    line_height: float
    heading_line_height: float
    dek_line_height: float
    code_line_height: float
    code_scale: float
    inline_image: float  # inline image height, em
    note_call: float  # footnote call size, share of the small size
    colors: Mapping[str, str]
    spacing: Mapping[str, float]
    page: Mapping[str, float]
    rules: Mapping[str, float]  # line widths, pt
    tracking: Mapping[str, float]  # letter spacing, em
    caption_italic: bool
    caption_color: str
    quote_italic: bool
    quote_indent: float
    quote_border: str
    figure_max_height: float  # share of the text block height
    layout_tokens: LayoutTokens
    tokens: Mapping[str, Any] = field(repr=False, default_factory=dict)

    def heading_size(self, level: int) -> float:
        """Font size in points of heading ``level`` (1 = article title)."""
        return round(self.base_size * self.heading_scale[min(level, 6) - 1], 2)

    @property
    def small_size(self) -> float:
        """Font size in points of small text (bylines, captions, tables, notes)."""
        return round(self.base_size * self.small, 2)

    @property
    def code_size(self) -> float:
        """Font size in points of code in body text."""
        return round(self.base_size * self.code_scale, 2)

    @cached_property
    def layout(self) -> Layout:
        """The layout decisions every format follows (:mod:`storyexport.layout`);
        the running head is one small line."""
        return Layout.derive(self.layout_tokens, self.spacing, self.small_size * self.line_height)

    @property
    def text_height(self) -> float:
        """Height in points of the page's text block (inside the margins)."""
        return self.page["height"] - self.page["margin_top"] - self.page["margin_bottom"]

    @property
    def figure_height_limit(self) -> float:
        """The tallest a figure prints, in points: the theme's share of the text block."""
        return self.text_height * self.figure_max_height

    @property
    def text_width(self) -> float:
        """Width in points of the page's text block (inside the margins)."""
        return self.page["width"] - self.page["margin_left"] - self.page["margin_right"]

    def family_stack(self, role: str) -> list[str]:
        """Font families to try for a role: the role's own face, then the
        theme's script faces. Never a generic family, so nothing falls back to
        whatever the machine happens to have."""
        stack = [self.fonts[role].family]
        for other in FALLBACK_ROLES:
            if other in self.fonts and self.fonts[other].family not in stack:
                stack.append(self.fonts[other].family)
        stack.extend(f for f in self.system_fonts if f not in stack)
        return stack

    def font_files(self) -> list[tuple[str, bool, bool, Path]]:
        """Every (family, bold, italic, file) the theme ships, deduplicated."""
        seen: set[tuple[str, bool, bool]] = set()
        out = []
        for face in self.fonts.values():
            for (bold, italic), path in face.files:
                if (face.family, bold, italic) not in seen:
                    seen.add((face.family, bold, italic))
                    out.append((face.family, bold, italic, path))
        return out

    @cached_property
    def fingerprint(self) -> str:
        """Hash of the tokens and every file of the theme (fonts, templates):
        the build cache re-renders when it changes."""
        h = hashlib.sha256(repr(sorted(self.tokens.items())).encode())
        for d in self.dirs:
            for p in sorted(d.rglob("*")):
                if p.is_file() and "__pycache__" not in p.relative_to(d).parts:
                    h.update(str(p.relative_to(d)).encode())
                    h.update(p.read_bytes())
        return h.hexdigest()[:16]

    def template_dirs(self) -> list[str]:
        return [str(d / "templates") for d in self.dirs if (d / "templates").is_dir()]


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k != "fonts":
            out[k] = _deep_merge(out[k], v)
        elif k == "fonts" and isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = {**out[k], **v}  # a role is replaced whole: its files belong together
        else:
            out[k] = v
    return out


def installed_themes() -> dict[str, EntryPoint]:
    """Installed themes by name, from the ``storyexport.themes`` entry points."""
    return {ep.name: ep for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name)}


def _package_dir(ep: EntryPoint) -> Path:
    """The folder of the package an entry point names (its ``module``)."""
    try:
        root = resources.files(ep.module)
    except Exception as e:  # a broken theme package must not end in a traceback
        raise ThemeError(f"theme {ep.name!r} could not be loaded: {type(e).__name__}: {e}", ep.name) from None
    # Fonts are handed to Pango and fontconfig by path: the package must be
    # files on disk (a wheel installs so), not inside a zip.
    if not isinstance(root, Path) or not (root / "theme.toml").is_file():
        raise ThemeError(f"theme {ep.name!r}: package {ep.module} has no theme.toml in a folder", ep.name)
    return root.resolve()


def find_theme(name_or_path: str | Path, search: tuple[Path, ...] = ()) -> Path:
    """A theme directory from a path to a directory or ``theme.toml``, or from
    a name: ``<folder>/<name>`` for a folder in ``search``, else the installed
    theme of that name."""
    p = Path(name_or_path)
    if p.name == "theme.toml":
        p = p.parent
    if p.is_dir() and (p / "theme.toml").is_file():
        return p.resolve()
    name = str(name_or_path)
    for base in search:
        cand = base / name
        if (cand / "theme.toml").is_file():
            return cand.resolve()
    installed = installed_themes()
    if name in installed:
        return _package_dir(installed[name])
    local = {d.name for base in search if base.is_dir() for d in base.iterdir() if (d / "theme.toml").is_file()}
    known = ", ".join(sorted(local | set(installed))) or "none"
    raise ThemeError(f"no such theme: {name!r} (known: {known})", name)


def _check_token(kind: str, value: object) -> str:
    """Why a token value is wrong for its kind, or "" if it is fine."""
    if kind == "length":
        ok = isinstance(value, str) and _LENGTH.match(value) is not None
        return "" if ok else "not a length with a unit (pt, mm, cm, in, px)"
    if kind == "color":
        return "" if isinstance(value, str) and _HEX.match(value) else "expected a colour like '#1a2b3c'"
    if kind == "color_ref":
        ok = isinstance(value, str) and (value in SCHEMA["color"] or _HEX.match(value) is not None)
        return "" if ok else "expected a colour token name or '#rrggbb'"
    if kind == "ratio":
        ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 10
        return "" if ok else "expected a number between 0 and 10"
    if kind == "em":
        ok = isinstance(value, int | float) and not isinstance(value, bool) and -1 < value < 1
        return "" if ok else "expected a number of em between -1 and 1"
    if kind == "share":
        ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 1
        return "" if ok else "expected a share above 0 and at most 1"
    if kind == "bool":
        return "" if isinstance(value, bool) else "expected true or false"
    if kind == "roles":
        ok = (isinstance(value, list) and all(isinstance(r, str) and r in ROLES for r in value)
              and len(set(value)) == len(value))
        return "" if ok else f"expected a list of distinct roles ({', '.join(ROLES)})"
    if kind == "glyphs":
        ok = (isinstance(value, list) and len(value) == len(BULLET_GAPS)
              and all(isinstance(g, str) and len(g) == 1 and unicodedata.category(g)[0] not in "CZ" for g in value))
        return "" if ok else (f"expected {len(BULLET_GAPS)} single characters (top level, nested), each one "
                              "visible: no space, control or format character")
    if kind == "scale":
        ok = (isinstance(value, list) and len(value) == 6
              and all(isinstance(x, int | float) and not isinstance(x, bool) and 0 < x < 10 for x in value))
        return "" if ok else "expected six numbers between 0 and 10"
    raise AssertionError(kind)  # pragma: no cover


def _read_layer(theme_dir: Path) -> dict[str, Any]:
    path = theme_dir / "theme.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ThemeError(f"invalid TOML: {e}", str(path)) from None
    for key in data:
        if key not in TOP_KEYS:
            raise ThemeError(f"unknown theme key {key!r}", str(path))
    for section, keys in SCHEMA.items():
        sub = data.get(section, {})
        if not isinstance(sub, dict):
            raise ThemeError(f"[{section}] must be a table", str(path))
        for key, value in sub.items():
            if key not in keys:
                raise ThemeError(f"unknown token {section}.{key} (known: {', '.join(keys)})", str(path))
            problem = _check_token(keys[key], value)
            if problem:
                raise ThemeError(f"{section}.{key}: {problem}, got {value!r}", str(path))
    # Resolve font files against the theme that names them, so inheriting
    # themes keep their parent's files.
    for role, spec in data.get("fonts", {}).items():
        if role == "system":
            continue
        if role not in FONT_ROLES + OPTIONAL_FONT_ROLES:
            known = ", ".join(FONT_ROLES + OPTIONAL_FONT_ROLES)
            raise ThemeError(f"unknown font role fonts.{role} (known: {known})", str(path))
        for k, v in spec.items():
            if k == "family":
                continue
            if k not in _FACE_KEYS:
                raise ThemeError(f"unknown font key fonts.{role}.{k}", str(path))
            f = (theme_dir / str(v)).resolve()
            if not f.is_file():
                raise ThemeError(f"fonts.{role}.{k}: font file not found: {v}", str(path))
            if not f.is_relative_to(theme_dir.resolve()):
                raise ThemeError(f"fonts.{role}.{k}: font file outside the theme: {v}", str(path))
            spec[k] = f
    return data


def load_theme(name_or_path: str | Path = "default", search: tuple[Path, ...] = ()) -> Theme:
    """Load and validate a theme and the themes it inherits from."""
    chain: list[Path] = []
    layers: list[dict[str, Any]] = []
    d: Path | None = find_theme(name_or_path, search)
    while d is not None:
        if d in chain:
            raise ThemeError("theme inherits from itself", str(d / "theme.toml"))
        chain.append(d)
        layer = _read_layer(d)
        layers.append(layer)
        parent = layer.get("inherit")
        d = find_theme(parent, (d.parent, *search)) if parent else None
    merged: dict[str, Any] = {}
    for layer in reversed(layers):
        merged = _deep_merge(merged, layer)
    return _build(merged, tuple(chain))


def _build(t: dict[str, Any], chain: tuple[Path, ...]) -> Theme:
    where = str(chain[0] / "theme.toml")

    def need(section: str, key: str) -> Any:
        try:
            return t[section][key]
        except KeyError:
            raise ThemeError(f"missing token {section}.{key}", where) from None

    # Values were type-checked per file in _read_layer; here they are only converted.
    def length(section: str, key: str) -> float:
        return length_pt(need(section, key), f"{section}.{key}")

    def ratio(section: str, key: str) -> float:
        return float(need(section, key))

    def flag(section: str, key: str) -> bool:
        return bool(need(section, key))

    colors = {key: str(need("color", key)).lower() for key in SCHEMA["color"]}

    def color_ref(section: str, key: str) -> str:
        v = str(need(section, key))
        return colors.get(v, v.lower())

    scale = need("size", "heading_scale")

    fonts: dict[str, FontFace] = {}
    for role in FONT_ROLES + OPTIONAL_FONT_ROLES:
        spec = t.get("fonts", {}).get(role)
        if role in OPTIONAL_FONT_ROLES and not spec:
            continue
        if not spec or "family" not in spec or "regular" not in spec:
            raise ThemeError(f"fonts.{role}: needs a family and a regular font file", where)
        files = tuple(
            ((k in ("bold", "bold_italic"), k in ("italic", "bold_italic")), spec[k])
            for k in _FACE_KEYS if k in spec
        )
        fonts[role] = FontFace(str(spec["family"]), files)
    system = t.get("fonts", {}).get("system", {}).get("cjk", [])
    if not isinstance(system, list) or not all(isinstance(x, str) for x in system):
        raise ThemeError("fonts.system.cjk: expected a list of family names", where)

    name = t.get("name", chain[0].name)
    if not isinstance(name, str):
        raise ThemeError(f"name: expected a string, got {name!r}", where)
    return Theme(
        name=name,
        description=str(t.get("description", "")),
        dirs=chain,
        fonts=fonts,
        system_fonts=tuple(system),
        base_size=length("size", "base"),
        heading_scale=tuple(float(x) for x in scale),
        small=ratio("size", "small"),
        line_height=ratio("size", "line_height"),
        heading_line_height=ratio("size", "heading_line_height"),
        dek_line_height=ratio("size", "dek_line_height"),
        code_line_height=ratio("size", "code_line_height"),
        code_scale=ratio("size", "code_scale"),
        inline_image=ratio("size", "inline_image"),
        note_call=ratio("size", "note_call"),
        colors=colors,
        spacing={k: length("spacing", k) for k in SCHEMA["spacing"]},
        page={k: length("page", k) for k in SCHEMA["page"]},
        rules={k: length("rule", k) for k in SCHEMA["rule"]},
        tracking={k: ratio("tracking", k) for k in SCHEMA["tracking"]},
        caption_italic=flag("caption", "italic"),
        caption_color=color_ref("caption", "color"),
        quote_italic=flag("quote", "italic"),
        quote_indent=length("quote", "indent"),
        quote_border=color_ref("quote", "border"),
        figure_max_height=ratio("figure", "max_height"),
        layout_tokens=LayoutTokens(
            hyphenate=flag("layout", "hyphenate"), no_hyphens=tuple(need("layout", "no_hyphens")),
            justify=flag("layout", "justify"), bullets=tuple(need("layout", "bullets")),
            summary_item_gap=ratio("layout", "summary_item_gap")),
        tokens={k: repr(v) for k, v in t.items()},
    )
