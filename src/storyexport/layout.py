"""Layout decisions, made once for every format from the theme.

A token says how one thing looks (a size, a colour, a length). A layout
decision says how things are put together: which text never hyphenates,
which glyph marks a nested bullet, how far the summary's items sit apart,
where the masthead's rule falls, how far the running head sits from the
text. The style sheets (``base.css.j2``, ``print.css.j2``) render these
values through ``layout`` and the DOCX styles are built from the same
:class:`Layout`, so neither restates the other and a theme that changes a
decision (its ``[layout]`` tokens, or a token a decision derives from)
changes the PDF, the EPUB and the DOCX together.

The DOCX follows the print style sheet (both are paged); the e-reader and
screen style sheets share what ``base.css.j2`` renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

ROLES: dict[str, tuple[str, ...]] = {
    "headings": ("h1", "h2", "h3", "h4", "h5", "h6"),
    "code": ("pre", "code"),
    "masthead": (".masthead", ".dateline", ".byline"),
    "captions": ("caption", "figcaption"),
    # The running head and the page numbers: in print they are page-margin
    # boxes, which no selector reaches (and set on one line, they never
    # break); the DOCX's header and footer paragraphs.
    "running": (),
}
"""Kinds of text a decision can name (``[layout] no_hyphens``), each with the
HTML elements of that kind as :mod:`storyexport.xhtml` and the templates
write them. Each renderer maps a role to its own parts (the DOCX: styles)."""

BULLET_GAPS = (1, 2)
"""Spaces between a bullet and its text: the top level is CSS's ``disc``,
which the browser follows with one space; nested bullets (a dash, which
looks closer to its text) with two no-break spaces."""

NUMBER_GAP = 1
"""Spaces between a list number and its text: CSS's ``decimal`` marker is
the number, a full stop and one space."""

DISC = "•"
"""The glyph of CSS's default ``disc`` marker: a top-level bullet of this
glyph needs no ``list-style-type`` in the style sheet."""


@dataclass(frozen=True)
class Marker:
    """A bullet: its glyph and the spaces that follow it."""

    glyph: str
    gap: int

    @property
    def css(self) -> str:
        """The marker as a CSS string (``"\\2013\\a0\\a0"``): every character
        escaped, the gap as no-break spaces, so nothing collapses it."""
        return '"' + "".join(f"\\{ord(c):x}" for c in self.glyph + "\u00a0" * self.gap) + '"'


@dataclass(frozen=True)
class LayoutTokens:
    """A theme's ``[layout]`` tokens, validated (``theme.SCHEMA``)."""

    hyphenate: bool  # text hyphenates (print, DOCX) ...
    no_hyphens: tuple[str, ...]  # ... except these roles (keys of ROLES)
    justify: bool  # body paragraphs are justified (print, DOCX)
    bullets: tuple[str, ...]  # the glyphs of the top-level and nested bullets
    summary_item_gap: float  # a share of the paragraph gap


@dataclass(frozen=True)
class Layout:
    """The decisions, in points where a length. Built by :meth:`derive`."""

    hyphenate: bool  # text hyphenates (print, DOCX) ...
    no_hyphens: tuple[str, ...]  # ... except these roles (keys of ROLES)
    justify: bool  # body paragraphs are justified (print, DOCX)
    bullets: tuple[Marker, Marker]  # top level, nested levels
    running_gap: float  # between the text block and the running head, and the page numbers
    running_band: float  # the running head's (and the page numbers') share of the page margin
    masthead_line_after: float  # below the publication, byline and dateline lines
    masthead_padding: float  # between the masthead's last line and its rule (print)
    masthead_after: float  # below the masthead's rule
    summary_padding: tuple[float, float]  # inside the summary box: vertical, horizontal
    summary_item_gap: float  # between the summary's items
    summary_after: float  # below the summary box
    list_indent: float  # each list level's indent, and a definition's
    code_padding: float  # inside a code block
    code_after: float  # below a code block
    figure_before: float
    figure_after: float
    caption_gap: float  # between a figure and its caption, a table's caption and the table

    @classmethod
    def derive(cls, tokens: LayoutTokens, spacing: Mapping[str, float], running_line: float) -> Layout:
        """The decisions from a theme's ``[layout]`` tokens, its ``[spacing]``
        and the height of one running-head line, in points."""
        para, before, after = spacing["paragraph_after"], spacing["heading_before"], spacing["heading_after"]
        top, nested = (Marker(glyph, gap) for glyph, gap in zip(tokens.bullets, BULLET_GAPS, strict=True))
        return cls(
            hyphenate=tokens.hyphenate,
            no_hyphens=tokens.no_hyphens,
            justify=tokens.justify,
            bullets=(top, nested),
            running_gap=after,
            running_band=after + running_line,
            masthead_line_after=after,
            masthead_padding=after,
            masthead_after=before,
            summary_padding=(para, spacing["list_indent"]),
            summary_item_gap=para * tokens.summary_item_gap,
            summary_after=before,
            list_indent=spacing["list_indent"],
            code_padding=para,
            code_after=para,
            figure_before=para,
            figure_after=before,
            caption_gap=after,
        )

    @property
    def masthead_rule_offset(self) -> float:
        """From the masthead's last line (the dateline) to its rule: the
        line's own space below, then the masthead's padding."""
        return self.masthead_line_after + self.masthead_padding

    @property
    def default_bullet(self) -> bool:
        """Whether the top-level bullet is CSS's own ``disc`` (one space after)."""
        return self.bullets[0] == Marker(DISC, BULLET_GAPS[0])

    def selectors(self, roles: tuple[str, ...]) -> str:
        """The CSS selector list of the HTML elements of ``roles``."""
        return ", ".join(s for role in roles for s in ROLES[role])
