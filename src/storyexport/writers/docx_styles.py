"""The DOCX style set and list numbering, generated from the theme tokens.

Every font, size, colour, line width and length comes from
:class:`~storyexport.theme.Theme`: the same tokens the PDF's and EPUB's CSS
are generated from, and every layout decision (hyphenation, bullets, how
the masthead, summary box, code blocks and figures are spaced) from its
:class:`~storyexport.layout.Layout`, which the style sheets render too; so a
theme change moves Word, PDF and EPUB together.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from ..layout import NUMBER_GAP
from ..theme import Theme
from .docx_ooxml import (
    Element,
    border,
    borders,
    el,
    hexcolor,
    ordered,
    ppr,
    rpr,
    shading,
    size,
    twips,
    val,
)
from .fonts import space_advance

LIST_LEVELS = 9
BORDER_SIDES = ("top", "left", "bottom", "right")
BULLET_NUM, DECIMAL_NUM, SUMMARY_NUM = 1, 2, 3  # abstractNum ids, also the styles' default numIds


class S:
    """Style ids (``w:styleId``); names are in :func:`build_styles`."""

    NORMAL = "Normal"
    BODY = "BodyText"
    TITLE = "Title"
    SUBTITLE = "Subtitle"
    PUBLICATION = "Publication"
    BYLINE = "Byline"
    AUTHOR = "BylineAuthor"
    DATELINE = "Dateline"
    SUMMARY_TITLE = "SummaryTitle"
    SUMMARY = "Summary"
    QUOTE = "Quote"
    LIST_BULLET = "ListBullet"
    LIST_NUMBER = "ListNumber"
    DEFINITION_TERM = "DefinitionTerm"
    DEFINITION = "Definition"
    CAPTION = "Caption"
    TABLE_CAPTION = "TableCaption"
    FIGURE = "Figure"
    CODE = "Code"
    CODE_CHAR = "CodeChar"
    RULE = "HorizontalLine"
    TABLE_CONTENTS = "TableContents"
    TABLE_HEADING = "TableHeading"
    TABLE = "StoryTable"
    FOOTNOTE_TEXT = "FootnoteText"
    FOOTNOTE_REF = "FootnoteReference"
    HYPERLINK = "Hyperlink"
    RIGHTS = "Rights"
    FOOTER = "Footer"
    HEADER = "Header"

    @staticmethod
    def heading(level: int) -> str:
        return f"Heading{min(max(level, 1), 6)}"

    @staticmethod
    def list_continue(level: int) -> str:
        """Paragraphs after the first in a list item at nesting ``level`` (0-based)."""
        return "ListContinue" if level == 0 else f"ListContinue{level + 1}"


ROLE_STYLES: dict[str, tuple[str, ...]] = {
    "headings": (S.TITLE, S.SUMMARY_TITLE, *(S.heading(level) for level in range(1, 7))),
    "code": (S.CODE,),
    # the title too: in HTML it sits inside .masthead and inherits its hyphenation
    "masthead": (S.PUBLICATION, S.TITLE, S.SUBTITLE, S.BYLINE, S.DATELINE),
    "captions": (S.CAPTION, S.TABLE_CAPTION),
    "running": (S.HEADER, S.FOOTER),
}
"""The paragraph styles of each :data:`storyexport.layout.ROLES` role."""


@dataclass(frozen=True)
class Scripts:
    """Languages and font families for the three script slots of a run."""

    language: str
    east_asian: str  # the language again when it is CJK, else ""
    bidi: str  # the language again when it is right-to-left, else ""
    cjk_family: str
    rtl: bool

    def lang(self) -> Element:
        """``w:lang``: the language for Latin runs, and for East Asian and
        complex-script runs when the document is in such a language."""
        attrs = {"w:val": self.language}
        if self.east_asian:
            attrs["w:eastAsia"] = self.east_asian
        if self.bidi:
            attrs["w:bidi"] = self.bidi
        return el("w:lang", attrs)


_CJK_REGION = {"ja": "JP", "zh": "SC", "ko": "KR"}


def scripts_for(theme: Theme, language: str, rtl: bool) -> Scripts:
    """Pick the theme's CJK family by language (``Noto Serif CJK JP`` for
    Japanese, ``… SC`` for Chinese), falling back to the theme's first."""
    base = language.split("-")[0].lower()
    region = _CJK_REGION.get(base, "")
    if base == "zh" and any(p in language.lower() for p in ("-tw", "-hk", "-hant")):
        region = "TC"
    families = list(theme.system_fonts)
    family = next((f for f in families if region and f.endswith(" " + region)), families[0] if families else "")
    return Scripts(language, language if region else "", language if rtl else "", family, rtl)


def font_families(theme: Theme, role: str, scripts: Scripts) -> Element:
    """``w:rFonts`` for a theme font role: Latin face, the theme's Arabic face
    for complex script, the theme's CJK family for East Asian text."""
    family = theme.fonts[role].family
    attrs = {"w:ascii": family, "w:hAnsi": family, "w:cs": theme.fonts["arabic"].family}
    if scripts.cjk_family:
        attrs["w:eastAsia"] = scripts.cjk_family
    if scripts.east_asian:
        attrs["w:hint"] = "eastAsia"
    return el("w:rFonts", attrs)


def spacing(before: float = 0, after: float = 0, line: float | None = None, font_pt: float = 0,
            natural: float = 0.0) -> Element:
    """Paragraph spacing in points. ``line`` is the CSS line-height ratio: as
    Word's "multiple" spacing scales the font's own line height (1.36 em for
    Noto), the CSS box height ``line × font size`` is written as an "at least"
    height instead, which also lets an inline picture grow its line. "At
    least" cannot go below the face's ``natural`` line height (same unit as
    ``line``), so a tighter CSS line (headings at 1.2) is written "exact"."""
    attrs: dict[str, object] = {"w:before": twips(before), "w:after": twips(after)}
    if line is None:
        attrs |= {"w:line": 240, "w:lineRule": "auto"}
    else:
        attrs |= {"w:line": twips(line * font_pt), "w:lineRule": "exact" if line < natural else "atLeast"}
    return el("w:spacing", attrs)


@lru_cache(maxsize=32)
def natural_line_height(path: Path) -> float:
    """A face's own line height as a multiple of its size, the larger of the
    ``hhea`` (LibreOffice on Linux, macOS) and the OS/2 Windows metrics (Word)."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        upm, hhea, os2 = font["head"].unitsPerEm, font["hhea"], font["OS/2"]
        return max(hhea.ascent - hhea.descent + hhea.lineGap, os2.usWinAscent + os2.usWinDescent) / upm


def bold() -> list[Element]:
    return [el("w:b"), el("w:bCs")]


def italic(on: bool = True) -> list[Element]:
    return [val("w:i", int(on)), val("w:iCs", int(on))]


def no_hyphens() -> Element:
    """No automatic hyphenation in this paragraph (a role in ``Layout.no_hyphens``)."""
    return el("w:suppressAutoHyphens")


def tracking(em: float, pt: float) -> Element:
    """Letter spacing of ``em`` at a ``pt`` font size (CSS letter-spacing)."""
    return val("w:spacing", twips(em * pt))


def color(c: str) -> Element:
    return val("w:color", hexcolor(c))


@dataclass(frozen=True)
class Style:
    """One ``w:style``."""

    kind: str  # paragraph, character, table, numbering
    sid: str
    name: str
    based_on: str = ""
    next: str = ""
    link: str = ""
    ppr: tuple[Element, ...] = ()
    rpr: tuple[Element, ...] = ()
    extra: tuple[Element, ...] = ()  # tblPr, trPr, tblStylePr
    default: bool = False
    hidden: bool = False

    def element(self) -> Element:
        attrs: dict[str, object] = {"w:type": self.kind, "w:styleId": self.sid}
        if self.default:
            attrs["w:default"] = 1
        return el(
            "w:style", attrs,
            val("w:name", self.name),
            val("w:basedOn", self.based_on) if self.based_on else None,
            val("w:next", self.next) if self.next else None,
            val("w:link", self.link) if self.link else None,
            el("w:semiHidden") if self.hidden else None,
            el("w:unhideWhenUsed") if self.hidden else None,
            None if self.hidden else el("w:qFormat"),
            ppr(*self.ppr) if self.ppr else None,
            rpr(*self.rpr) if self.rpr else None,
            *self.extra,
        )


@dataclass
class StyleSet:
    """Styles and numbering for one document (numbering grows as lists are met)."""

    theme: Theme
    scripts: Scripts
    _nums: list[tuple[int, int, int, int]] = field(default_factory=list)  # numId, abstract, level, start

    # -------------------------------------------------------------- lists

    def marker_gap(self, spaces: int = NUMBER_GAP) -> float:
        """The space after a list marker, in points: CSS sets an outside marker
        ("• ", "1. ", "–\u00a0\u00a0") right against the text, so the DOCX
        right-aligns the marker and leaves just this gap before the text."""
        path = str(self.theme.fonts["body"].file())
        return spaces * space_advance(path) * self.theme.base_size

    def list_indent(self, level: int, spaces: int = NUMBER_GAP, offset: float = 0,
                    right: float | None = None) -> Element:
        """A list level's indent, ``offset`` further in (the summary box's padding)."""
        attrs = {"w:left": twips(offset + self.theme.layout.list_indent * (level + 1))}
        if right is not None:
            attrs["w:right"] = twips(right)
        return el("w:ind", attrs | {"w:hanging": twips(self.marker_gap(spaces))})

    def new_list(self, ordered_list: bool, level: int, start: int = 1) -> int:
        """A fresh ``w:num`` for one list, so numbering restarts at ``start``."""
        num_id = len(self._nums) + SUMMARY_NUM + 1
        self._nums.append((num_id, DECIMAL_NUM if ordered_list else BULLET_NUM, level, start))
        return num_id

    def _abstract(self, aid: int) -> Element:
        t = self.theme
        offset = t.layout.summary_padding[1] if aid == SUMMARY_NUM else 0
        levels = []
        for lvl in range(LIST_LEVELS):
            if aid == DECIMAL_NUM:
                fmt, lvl_text, gap, run = "decimal", f"%{lvl + 1}.", NUMBER_GAP, None
            else:
                bullet = t.layout.bullets[min(lvl, 1)]
                fmt, lvl_text, gap = "bullet", bullet.glyph, bullet.gap
                run = rpr(font_families(t, "body", self.scripts), color(t.colors["text"]))
            ind = self.list_indent(lvl, gap, offset)
            levels.append(el("w:lvl", {"w:ilvl": lvl}, val("w:start", 1), val("w:numFmt", fmt),
                             val("w:lvlText", lvl_text), val("w:lvlJc", "right"), ppr(ind), run))
        return el("w:abstractNum", {"w:abstractNumId": aid}, val("w:multiLevelType", "multilevel"), *levels)

    def numbering_children(self) -> list[Element]:
        """``word/numbering.xml`` content: all abstractNums, then all nums."""
        out = [self._abstract(a) for a in (BULLET_NUM, DECIMAL_NUM, SUMMARY_NUM)]
        out += [el("w:num", {"w:numId": a}, val("w:abstractNumId", a))
                for a in (BULLET_NUM, DECIMAL_NUM, SUMMARY_NUM)]
        return out + self.list_nums()

    def list_nums(self) -> list[Element]:
        """The ``w:num`` of each list met so far (:meth:`new_list`), which
        follow what :meth:`numbering_children` gave before any list."""
        out = []
        for num_id, aid, level, start in self._nums:
            override = el("w:lvlOverride", {"w:ilvl": level}, val("w:startOverride", start))
            out.append(el("w:num", {"w:numId": num_id}, val("w:abstractNumId", aid), override))
        return out

    # ------------------------------------------------------------- styles

    def natural(self, role: str) -> float:
        """The natural line height of a font role's face (bold for headings, as they are set)."""
        return natural_line_height(self.theme.fonts[role].file(bold=role == "heading"))

    def _summary_box(self) -> list[Element]:
        """A shaded box with a coloured bar on the start side and hairlines on
        the others; the border spacing is the box's padding (``Layout.summary_padding``),
        inside which the items are a top-level list, and Word and LibreOffice
        merge the borders of the consecutive summary paragraphs into one box."""
        t = self.theme
        (pad_y, pad_x), bullet = t.layout.summary_padding, t.layout.bullets[0]
        rule, hairline = t.colors["rule"], t.rules["summary_box"]
        sides = [border("top", rule, hairline, pad_y),
                 border("left", t.colors["summary_border"], t.rules["summary_bar"], pad_x),
                 border("bottom", rule, hairline, pad_y), border("right", rule, hairline, pad_x)]
        ind = self.list_indent(0, bullet.gap, offset=pad_x, right=pad_x)
        return [borders("w:pBdr", sides), shading(t.colors["summary_background"]), ind]

    def styles(self) -> list[Style]:
        """The style set; the styles of the roles in ``Layout.no_hyphens`` never hyphenate."""
        unhyphenated = {sid for role in self.theme.layout.no_hyphens for sid in ROLE_STYLES[role]}
        return [replace(s, ppr=(*s.ppr, no_hyphens())) if s.sid in unhyphenated else s for s in self._styles()]

    def _styles(self) -> list[Style]:
        t, sc = self.theme, self.scripts
        c, sp, lay = t.colors, t.spacing, t.layout
        small = t.base_size * t.small
        code_size = t.base_size * t.code_scale
        P, C = "paragraph", "character"
        styles = [
            Style(P, S.NORMAL, "Normal", default=True,
                  ppr=(el("w:widowControl"), spacing(0, sp["paragraph_after"], t.line_height, t.base_size)),
                  rpr=(font_families(t, "body", sc), color(c["text"]), *size(t.base_size), sc.lang())),
            Style(C, "DefaultParagraphFont", "Default Paragraph Font", default=True, hidden=True),
            Style("table", "TableNormal", "Normal Table", default=True, hidden=True, extra=(
                el("w:tblPr", None, el("w:tblInd", {"w:w": 0, "w:type": "dxa"}), self._cell_margins()),)),
            Style("numbering", "NoList", "No List", default=True, hidden=True),
            Style(P, S.BODY, "Body Text", S.NORMAL, S.BODY, ppr=(val("w:jc", "both"),) if lay.justify else ()),
            Style(P, S.TITLE, "Title", S.NORMAL, S.SUBTITLE,
                  ppr=(el("w:keepNext"), el("w:keepLines"),
                       spacing(0, sp["heading_after"], t.heading_line_height, t.heading_size(1),
                               self.natural("heading"))),
                  rpr=(font_families(t, "heading", sc), *bold(), *size(t.heading_size(1)))),
            Style(P, S.SUBTITLE, "Subtitle", S.NORMAL, S.BYLINE,
                  ppr=(el("w:keepNext"),
                       spacing(0, sp["paragraph_after"], t.dek_line_height, t.heading_size(4), self.natural("body"))),
                  rpr=(color(c["muted"]), *size(t.heading_size(4)))),
            Style(P, S.PUBLICATION, "Publication", S.NORMAL, S.TITLE,
                  ppr=(el("w:keepNext"), spacing(0, lay.masthead_line_after, t.line_height, small)),
                  rpr=(font_families(t, "heading", sc), *bold(), el("w:caps"), color(c["accent"]),
                       tracking(t.tracking["publication"], small), *size(small))),
            Style(P, S.BYLINE, "Byline", S.NORMAL, S.DATELINE,
                  ppr=(el("w:keepNext"), spacing(0, lay.masthead_line_after, t.line_height, small)),
                  rpr=(color(c["muted"]), *size(small))),
            Style(C, S.AUTHOR, "Byline Author", rpr=(*bold(), color(c["text"]))),
            Style(P, S.DATELINE, "Dateline", S.BYLINE, S.BODY,
                  ppr=(spacing(0, lay.masthead_after, t.line_height, small),
                       borders("w:pBdr", [border("bottom", c["rule"], t.rules["masthead"],
                                                 lay.masthead_rule_offset)]))),
            Style(P, S.SUMMARY_TITLE, "Summary Title", S.NORMAL, S.SUMMARY,
                  ppr=(el("w:keepNext"), *self._summary_box(),
                       spacing(0, sp["heading_after"], t.line_height, t.base_size)),
                  rpr=(font_families(t, "heading", sc), *bold(), el("w:caps"), color(c["accent"]),
                       tracking(t.tracking["summary_title"], t.base_size), *size(t.base_size))),
            # the last item adds the gap below the box (DocxWriter._summary)
            Style(P, S.SUMMARY, "Summary", S.NORMAL, S.SUMMARY,
                  ppr=(self._num(SUMMARY_NUM), *self._summary_box(),
                       spacing(0, lay.summary_item_gap, t.line_height, t.base_size))),
            Style(P, S.QUOTE, "Quote", S.BODY, S.QUOTE,
                  ppr=(el("w:ind", {"w:left": twips(t.quote_indent)}),
                       borders("w:pBdr", [border("left", t.quote_border, t.rules["quote_bar"], t.quote_indent)])),
                  rpr=tuple(italic(t.quote_italic))),
            Style(P, S.LIST_BULLET, "List Bullet", S.NORMAL, S.LIST_BULLET,
                  ppr=(self._num(BULLET_NUM), el("w:contextualSpacing"))),
            Style(P, S.LIST_NUMBER, "List Number", S.NORMAL, S.LIST_NUMBER,
                  ppr=(self._num(DECIMAL_NUM), el("w:contextualSpacing"))),
            # a term bold with no gap below, its definitions at the list indent (names as pandoc's)
            Style(P, S.DEFINITION_TERM, "Definition Term", S.BODY, S.DEFINITION,
                  ppr=(el("w:keepNext"), spacing(0, 0, t.line_height, t.base_size)), rpr=tuple(bold())),
            Style(P, S.DEFINITION, "Definition", S.BODY, S.DEFINITION_TERM,
                  ppr=(el("w:ind", {"w:left": twips(lay.list_indent)}),)),
            *[Style(P, S.list_continue(lvl), "List Continue" + (f" {lvl + 1}" if lvl else ""), S.BODY,
                    S.list_continue(lvl),
                    ppr=(el("w:ind", {"w:left": twips(lay.list_indent * (lvl + 1))}), el("w:contextualSpacing")))
              for lvl in range(LIST_LEVELS)],
            *[Style(P, S.heading(lvl), f"heading {lvl}", S.NORMAL, S.BODY,
                    ppr=(el("w:keepNext"), el("w:keepLines"),
                         spacing(sp["heading_before"], sp["heading_after"], t.heading_line_height, t.heading_size(lvl),
                                 self.natural("heading")),
                         val("w:outlineLvl", lvl - 1)),
                    rpr=(font_families(t, "heading", sc), *bold(), color(c["text"]), *size(t.heading_size(lvl))))
              for lvl in range(1, 7)],
            Style(P, S.FIGURE, "Figure", S.NORMAL, S.CAPTION,
                  ppr=(el("w:keepNext"), spacing(lay.figure_before, 0), val("w:jc", "center"))),
            Style(P, S.CAPTION, "caption", S.NORMAL, S.BODY,
                  ppr=(spacing(lay.caption_gap, lay.figure_after, t.line_height, small),
                       val("w:jc", "center")),
                  rpr=self._caption_run()),
            Style(P, S.TABLE_CAPTION, "Table Caption", S.NORMAL, S.TABLE_CONTENTS,
                  ppr=(el("w:keepNext"), spacing(0, lay.caption_gap, t.line_height, small)),
                  rpr=self._caption_run()),
            Style(P, S.CODE, "Code", S.NORMAL, S.BODY, link=S.CODE_CHAR,
                  # the block's padding as border spacing, indents and spacing; then its gap below
                  ppr=(borders("w:pBdr", [border(s, c["code_background"], 0.25, lay.code_padding)
                                          for s in BORDER_SIDES]),
                       shading(c["code_background"]),
                       el("w:ind", {"w:left": twips(lay.code_padding), "w:right": twips(lay.code_padding)}),
                       spacing(lay.code_padding, lay.code_padding + lay.code_after, t.code_line_height, code_size,
                               self.natural("code"))),
                  rpr=(font_families(t, "code", sc), el("w:noProof"), *size(code_size))),
            Style(C, S.CODE_CHAR, "Code Char", link=S.CODE,
                  rpr=(font_families(t, "code", sc), el("w:noProof"), *size(code_size), shading(c["code_background"]))),
            Style(P, S.RULE, "Horizontal Line", S.NORMAL, S.BODY,
                  ppr=(spacing(sp["heading_before"], sp["heading_before"]),
                       borders("w:pBdr", [border("bottom", c["rule"], t.rules["hr"], 0)])),
                  rpr=tuple(size(1))),
            Style(P, S.TABLE_CONTENTS, "Table Contents", S.NORMAL, S.TABLE_CONTENTS,
                  ppr=(spacing(0, 0, t.line_height, small),), rpr=tuple(size(small))),
            Style(P, S.TABLE_HEADING, "Table Heading", S.TABLE_CONTENTS, S.TABLE_HEADING,
                  ppr=(el("w:keepNext"),), rpr=tuple(bold())),
            self._table_style(),
            Style(P, S.FOOTNOTE_TEXT, "footnote text", S.NORMAL, S.FOOTNOTE_TEXT,
                  ppr=(spacing(0, 0, t.line_height, small),), rpr=(color(c["text"]), *size(small))),
            Style(C, S.FOOTNOTE_REF, "footnote reference", rpr=(color(c["accent"]), val("w:vertAlign", "superscript"))),
            Style(C, S.HYPERLINK, "Hyperlink",
                  rpr=(color(c["link"]), el("w:u", {"w:val": "single", "w:color": hexcolor(c["rule"])}))),
            Style(P, S.RIGHTS, "Rights", S.NORMAL, S.RIGHTS,
                  ppr=(spacing(sp["heading_before"], 0, t.line_height, small),),
                  rpr=(color(c["muted"]), *size(small))),
            *[Style(P, sid, name, S.NORMAL, sid, ppr=(spacing(0, 0), val("w:jc", "center")),
                    rpr=(color(c["muted"]), *size(small)))
              for sid, name in ((S.HEADER, "header"), (S.FOOTER, "footer"))],
        ]
        return styles

    def _caption_run(self) -> tuple[Element, ...]:
        t = self.theme
        return (*italic(t.caption_italic), color(t.caption_color), *size(t.base_size * t.small))

    def _num(self, num_id: int) -> Element:
        return el("w:numPr", None, val("w:ilvl", 0), val("w:numId", num_id))

    def _cell_margins(self) -> Element:
        sp = self.theme.spacing
        pad_x, pad_y = sp["cell_padding_x"], sp["cell_padding_y"]
        pads = {"top": pad_y, "left": pad_x, "bottom": pad_y, "right": pad_x}
        return ordered("w:tblCellMar", [el(f"w:{s}", {"w:w": twips(v), "w:type": "dxa"}) for s, v in pads.items()],
                       BORDER_SIDES)

    def _table_style(self) -> Style:
        """Rules under every row, a heavier rule under the header row (the
        ``firstRow`` conditional format, switched on by each table's tblLook)."""
        c, widths = self.theme.colors, self.theme.rules
        rules = [border("bottom", c["rule"], widths["table_row"]), border("insideH", c["rule"], widths["table_row"])]
        tbl = el("w:tblPr", None, borders("w:tblBorders", rules), self._cell_margins())
        head = el("w:tblStylePr", {"w:type": "firstRow"},
                  rpr(*bold()),
                  el("w:tcPr", None, borders("w:tcBorders", [border("bottom", c["text"], widths["table_head"])])))
        return Style("table", S.TABLE, "Story Table", "TableNormal", extra=(tbl, head))

    def styles_children(self) -> list[Element]:
        """``word/styles.xml`` content: document defaults (language, fonts) and
        the style set. Nothing of python-docx's template survives."""
        sc = self.scripts
        defaults = el("w:docDefaults", None,
                      el("w:rPrDefault", None, rpr(font_families(self.theme, "body", sc),
                                                   *size(self.theme.base_size), sc.lang())),
                      el("w:pPrDefault", None, ppr(spacing(0, 0))))
        return [defaults, *(s.element() for s in self.styles())]
