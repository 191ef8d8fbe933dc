"""A cover image for e-books whose article has none, drawn from the theme.

Reading systems show a book's cover in the library grid; a book without one
is a grey tile. When the article names no cover image, this draws one with
Pillow: publisher band, title, subtitle, byline and date, in the theme's
colours and with the theme's own font files (and, for scripts the theme does
not ship, the CJK families it names, found through fontconfig as WeasyPrint
finds them). The PNG is deterministic: fixed size, no metadata chunks, fixed
compression, so two exports are byte-identical.
"""

from __future__ import annotations

import io
import math
import re
import shutil
import struct
import subprocess
import unicodedata
import zlib
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from ..i18n import format_date, join_names
from ..model import Article
from ..theme import Theme
from .fonts import cmap, unhinted

COVER_WIDTH_PX = 1400
"""Cover width; the height follows the theme's page proportions. 1400 px is
sharp on current e-ink and tablet screens and keeps the PNG small."""

POSTER_SCALE = 2.0
"""A cover is read from across a library grid: its text is the theme's sizes
scaled up by this factor (then mapped from points to pixels)."""

RAMP_STEPS = 16
"""Anti-aliasing levels between a text colour and the colour under it (the
cover is drawn straight into palette indices, see :class:`_Inks`)."""

BLANK_CHUNKS = tuple(1 << k for k in range(10, -1, -1))
"""Row counts (1024 down to 1) whose compressed form is kept per width and
colour: a run of untouched rows is spliced from these, never compressed."""

MARGIN_ROWS = 2
"""Rows either side of what was drawn that are encoded as drawn rows: a
rounding margin around the bounding boxes, so a spliced row is never one
that text reached."""

_RGB = tuple[int, int, int]


def _rgb(hex_colour: str) -> _RGB:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


class _Inks:
    """The cover's palette, laid out so that drawing *is* quantizing.

    The cover is drawn in mode ``L`` whose values are palette indices. Pillow
    anti-aliases text by blending the ink value with the value under it, so
    each text colour gets a contiguous ramp of :data:`RAMP_STEPS` indices that
    runs from the surface it is drawn on to the ink: title and byline run
    down from the page colour, muted text up from it, and the publisher's
    reversed name from the band's accent down to a second copy of the page
    colour. Every pixel is then exactly a theme colour or a blend of two, with
    no colour search afterwards (a median-cut palette took a third of the
    cover's time and spent most of its 32 colours on one ramp)."""

    TEXT = 0
    PAGE = RAMP_STEPS
    MUTED = 2 * RAMP_STEPS
    REVERSED = 2 * RAMP_STEPS + 1  # the page colour, as ink on the band
    BAND = 3 * RAMP_STEPS + 1

    @staticmethod
    def palette(theme: Theme) -> list[int]:
        """Flat RGB palette for the indices above, from the theme's colours."""
        text, muted = _rgb(theme.colors["text"]), _rgb(theme.colors["muted"])
        page, band = _rgb(theme.colors["summary_background"]), _rgb(theme.colors["accent"])
        out: list[int] = []
        for start, end, first in ((text, page, 0), (page, muted, 1), (page, band, 0)):
            for i in range(first, RAMP_STEPS + 1):
                out.extend(round(a + (b - a) * i / RAMP_STEPS) for a, b in zip(start, end, strict=True))
        return out


# ------------------------------------------------------------------ fonts


@lru_cache(maxsize=16)
def _system_font(family: str, bold: bool) -> tuple[str, int] | None:
    """File and collection index of an installed family (the CJK faces a theme
    names but does not ship), or None when fontconfig does not have it."""
    exe = shutil.which("fc-match")
    if exe is None:
        return None
    pattern = f"{family}:weight={'bold' if bold else 'regular'}"
    try:
        out = subprocess.run([exe, "-f", "%{family}\n%{file}\n%{index}", pattern],
                             capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    lines = out.split("\n")
    if len(lines) < 3 or family not in lines[0].split(","):
        return None  # fontconfig substituted another family: not the one named
    return lines[1], int(lines[2] or 0)


def _candidates(theme: Theme, role: str, bold: bool) -> list[tuple[str, int]]:
    """Font files to try for a role, in the theme's family order."""
    out: list[tuple[str, int]] = []
    for fam in theme.family_stack(role):
        face = next((f for f in theme.fonts.values() if f.family == fam), None)
        found = (str(face.file(bold=bold)), 0) if face else _system_font(fam, bold)
        if found and found not in out:
            out.append(found)
    return out


def pick_font(theme: Theme, role: str, bold: bool, text: str) -> tuple[str, int]:
    """The first font of the role's stack that has every character of
    ``text``, else the one that has most of them. Pillow draws a run with one
    font, so choosing per run is what keeps CJK or Arabic titles legible."""
    need = {ord(c) for c in text if not c.isspace()}
    best: tuple[int, int, tuple[str, int]] | None = None
    for rank, cand in enumerate(_candidates(theme, role, bold)):
        covered = len(need & cmap(*cand))
        if covered == len(need):
            return cand
        if best is None or covered > best[0]:
            best = (covered, -rank, cand)
    assert best is not None  # the theme always has the role's own face
    return best[2]


@lru_cache(maxsize=64)
def _load_font(path: str, size: int, index: int) -> ImageFont.FreeTypeFont:
    """A face at a pixel size, opened once per process (opening parses the
    file; a cover uses a handful of sizes, the same for every article).
    TrueType files are drawn without their hinting instructions
    (:func:`.fonts.unhinted`): the same advances and line breaks, edges
    within a fraction of a pixel, in about half the time."""
    source: str | io.BytesIO = path
    if index == 0 and path.lower().endswith(".ttf"):
        source = io.BytesIO(unhinted(path))
    return ImageFont.truetype(source, size=size, index=index, layout_engine=ImageFont.Layout.RAQM)


# ----------------------------------------------------------------- layout


@dataclass(frozen=True)
class _Style:
    role: str
    bold: bool
    size_pt: float
    ink: int  # an :class:`_Inks` index
    leading: float  # line height as a multiple of the size


class _Canvas:
    """Text drawing in a column between two margins, in reading direction."""

    def __init__(self, img: Image.Image, left: float, right: float, scale: float, lang: str, rtl: bool) -> None:
        self.draw = ImageDraw.Draw(img)
        self.left, self.right, self.scale = left, right, scale
        self.lang, self.rtl = lang, rtl
        self.touched: list[tuple[int, int]] = [(0, 1)]  # row ranges drawing may have changed

    def mark(self, top: float, bottom: float) -> None:
        """Note rows ``top`` to ``bottom`` as drawn on (see :func:`_png`)."""
        self.touched.append((math.floor(top) - MARGIN_ROWS, math.ceil(bottom) + MARGIN_ROWS))

    def rectangle(self, box: tuple[float, float, float, float], ink: int) -> None:
        self.draw.rectangle(box, fill=ink)
        self.mark(box[1], box[3])

    def font(self, theme: Theme, style: _Style, text: str) -> ImageFont.FreeTypeFont:
        path, index = pick_font(theme, style.role, style.bold, text)
        return _load_font(path, max(1, round(style.size_pt * self.scale)), index)

    def width(self, font: ImageFont.FreeTypeFont, text: str) -> float:
        return font.getlength(text, language=self.lang)

    def lines(self, theme: Theme, style: _Style, text: str) -> list[str]:
        """``text`` wrapped to the column in the font chosen for it, without
        the characters that font lacks (an emoji would be a box on a cover;
        the text itself is in the book)."""
        path, index = pick_font(theme, style.role, style.bold, text)
        have = cmap(path, index)
        kept = "".join(ch for ch in text if ch.isspace() or ord(ch) in have
                       or unicodedata.category(ch) in ("Mn", "Me", "Cf"))
        # a run of spaces counts once (an ideographic space stays one); a line
        # break is a space, as in the HTML (raqm cannot lay out a break)
        kept = re.sub(r"\s+", lambda m: " " if "\n" in m.group(0) else m.group(0)[0], kept).strip()
        return self.wrap(self.font(theme, style, kept), kept) if kept else []

    def wrap(self, font: ImageFont.FreeTypeFont, text: str) -> list[str]:
        """Greedy line breaking at spaces; a word wider than the column (or
        text without spaces, as in Japanese) breaks between characters."""
        limit = self.right - self.left
        lines: list[str] = []
        line = ""
        for token in re.findall(r"\S+\s*", " ".join(text.split()) if " " in text else text):
            if self.width(font, (line + token).rstrip()) <= limit:
                line += token
                continue
            if line:
                lines.append(line.rstrip())
                line = ""
            for ch in token:
                if line and self.width(font, (line + ch).rstrip()) > limit:
                    lines.append(line.rstrip())
                    line = ""
                line += ch
        if line.strip():
            lines.append(line.rstrip())
        return lines

    def block_height(self, style: _Style, lines: list[str]) -> float:
        return len(lines) * style.size_pt * self.scale * style.leading

    def text(self, theme: Theme, style: _Style, lines: list[str], top: float) -> float:
        """Draw lines from ``top``; return the y below them."""
        step = style.size_pt * self.scale * style.leading
        for i, line in enumerate(lines):
            font = self.font(theme, style, line)
            x, anchor = (self.right, "ra") if self.rtl else (self.left, "la")
            # No forced direction: each line's own first strong character sets
            # it (a Latin date on an Arabic cover stays in order), while the
            # book's direction decides the alignment.
            self.line((x, top + i * step), line, font, style.ink, anchor)
        return top + len(lines) * step

    def line(self, xy: tuple[float, float], line: str, font: ImageFont.FreeTypeFont, ink: int, anchor: str) -> None:
        """One line of text, as ``ImageDraw.text`` draws it (the same mask at
        the same place), noting the rows the mask covers. Asking Pillow for
        the bounding box instead would lay the line out a second time."""
        x, y = xy
        mask, (dx, dy) = font.getmask2(line, "L", language=self.lang, anchor=anchor, ink=ink,
                                       start=(math.modf(x)[0], math.modf(y)[0]))
        left, top = int(x) + dx, int(y) + dy
        self.draw.draw.draw_bitmap((left, top), mask, ink)
        self.mark(top, top + mask.size[1])


def byline(article: Article) -> str:
    """Authors joined as the article template joins them (CJK names with the
    ideographic comma, which needs no translation)."""
    return join_names([a.name for a in article.meta.authors], article.meta.language)


def cover_alt(article: Article) -> str:
    """Alternative text for a cover image: what is written on it, joined
    with dashes rather than English words so it reads in any language."""
    m = article.meta
    parts = [m.title, m.subtitle, byline(article), m.publisher]
    return " — ".join(p for p in parts if p)


def generate_cover(article: Article, theme: Theme) -> bytes:
    """A PNG cover for ``article`` in the theme's look."""
    img, touched = draw_cover(article, theme)
    return _png(img, _Inks.palette(theme), touched)


def draw_cover(article: Article, theme: Theme) -> tuple[Image.Image, list[tuple[int, int]]]:
    """The cover in palette indices (mode ``L``), and the row ranges that
    text and rules were drawn on; every other row is one flat colour."""
    m = article.meta
    t = theme
    scale = COVER_WIDTH_PX / t.page["width"] * POSTER_SCALE  # px per (poster) point
    px = COVER_WIDTH_PX / t.page["width"]  # px per page point, for margins
    width = COVER_WIDTH_PX
    height = round(COVER_WIDTH_PX * t.page["height"] / t.page["width"])
    img = Image.new("L", (width, height), _Inks.PAGE)
    lang = m.language.split("-")[0]
    c = _Canvas(img, t.page["margin_left"] * px, width - t.page["margin_right"] * px, scale, lang,
                m.direction == "rtl")
    top_margin, bottom = t.page["margin_top"] * px, height - t.page["margin_bottom"] * px

    # Publisher band: the accent colour across the top, the name reversed out.
    small = _Style("heading", True, t.base_size, _Inks.REVERSED, 1.0)
    band = top_margin * 2 + small.size_pt * scale
    c.rectangle((0, 0, width, band), _Inks.BAND)  # full width: rows are all band or all page colour
    if m.publisher:
        c.text(t, small, c.lines(t, small, m.publisher)[:1], top_margin)

    # Byline and date, anchored to the bottom margin.
    foot: list[tuple[_Style, list[str]]] = []
    date_style = _Style("body", False, t.base_size * t.small, _Inks.MUTED, t.line_height)
    foot.append((date_style, c.lines(t, date_style, format_date(m.published, m.language))))
    if m.authors:
        by_style = _Style("body", True, t.heading_size(4), _Inks.TEXT, t.line_height)
        foot.insert(0, (by_style, c.lines(t, by_style, byline(article))[:3]))
    y = bottom - sum(c.block_height(s, lines) for s, lines in foot)
    foot_top = y
    for s, lines in foot:
        y = c.text(t, s, lines, y)

    # Title (shrunk until it fits) and subtitle, below the band.
    room_top = band + t.spacing["heading_before"] * scale * 2
    room = foot_top - room_top - t.spacing["heading_before"] * scale * 2
    sub_style = _Style("heading", False, t.heading_size(4), _Inks.MUTED, 1.3)
    sub = c.lines(t, sub_style, m.subtitle)[:4]
    size = t.heading_size(1)
    while True:
        title_style = _Style("heading", True, size, _Inks.TEXT, 1.2)
        title = c.lines(t, title_style, m.title)
        rule_gap = t.spacing["heading_after"] * scale * 2
        need = c.block_height(title_style, title) + (rule_gap * 2 + c.block_height(sub_style, sub) if sub else 0)
        if need <= room or size <= t.base_size:
            break
        size = round(size * 0.9, 2)
    y = c.text(t, title_style, title, room_top) + rule_gap
    rule_w = (c.right - c.left) / 4
    x0 = c.right - rule_w if c.rtl else c.left
    c.rectangle((x0, y, x0 + rule_w, y + max(2, scale)), _Inks.BAND)
    if sub:
        c.text(t, sub_style, sub, y + rule_gap)

    return img, c.touched


# -------------------------------------------------------------------- PNG

_ADLER_BASE = 65521
_FINAL_BLOCK = zlib.compressobj(9, zlib.DEFLATED, -15).flush()  # an empty last deflate block


def _adler32_combine(a1: int, a2: int, len2: int) -> int:
    """The Adler-32 of two byte strings joined, from theirs (zlib's
    ``adler32_combine``, which Python does not expose)."""
    rem = len2 % _ADLER_BASE
    s1 = a1 & 0xFFFF
    sum1 = (s1 + (a2 & 0xFFFF) + _ADLER_BASE - 1) % _ADLER_BASE
    sum2 = (rem * s1 + (a1 >> 16) + (a2 >> 16) + _ADLER_BASE - rem) % _ADLER_BASE
    return sum1 | sum2 << 16


def _deflate_segment(data: bytes) -> tuple[bytes, int, int]:
    """``data`` as a self-contained, byte-aligned piece of a deflate stream
    (no reference before its start, not the last block), its Adler-32 and
    length. zlib's run-length strategy: the cover is runs of one index,
    which RLE finds in half the time of the default match search."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_RLE)
    return c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH), zlib.adler32(data), len(data)


@lru_cache(maxsize=128)
def _blank_rows(width: int, value: int, rows: int) -> tuple[bytes, int, int]:
    """``rows`` PNG scanlines of one colour (filter byte 0), compressed once."""
    return _deflate_segment((b"\0" + bytes((value,)) * width) * rows)


def _png(img: Image.Image, palette: list[int], touched: list[tuple[int, int]]) -> bytes:
    """A palette PNG of ``img`` (mode ``L`` holding indices into ``palette``).

    Most of a cover's rows are one flat colour. Deflating its 2.8 million
    bytes took half the cover's time, so only the ``touched`` rows are
    compressed; each run of untouched rows is spliced from compressed runs
    of flat rows kept per colour (:func:`_blank_rows`). Every piece is a
    self-contained deflate segment, the checksum is combined from theirs,
    and the file is the one any encoder would write for these pixels (no
    filters, no metadata chunks): deterministic."""
    width, height = img.size
    runs: list[tuple[int, int]] = []  # merged touched ranges
    for top, bottom in sorted(touched):
        top, bottom = max(0, top), min(height, bottom)
        if runs and top <= runs[-1][1]:
            runs[-1] = (runs[-1][0], max(runs[-1][1], bottom))
        elif top < bottom:
            runs.append((top, bottom))
    stream, adler, row = [b"\x78\xda"], 1, 0
    for top, bottom in [*runs, (height, height)]:
        pieces = []
        if row < top:  # untouched, so one colour across and down (see draw_cover)
            value, left = img.getpixel((0, row)), top - row
            for size in BLANK_CHUNKS:
                while left >= size:
                    pieces.append(_blank_rows(width, value, size))
                    left -= size
        if top < bottom:
            framed = Image.new("L", (width + 1, bottom - top), 0)  # column 0: the rows' filter bytes
            framed.paste(img.crop((0, top, width, bottom)), (1, 0))
            pieces.append(_deflate_segment(framed.tobytes()))
        for data, check, length in pieces:
            stream.append(data)
            adler = _adler32_combine(adler, check, length)
        row = bottom
    stream += [_FINAL_BLOCK, struct.pack(">I", adler)]
    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)  # 8-bit palette, no interlace
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        _chunk(kind, data) for kind, data in ((b"IHDR", header), (b"PLTE", bytes(palette)),
                                              (b"IDAT", b"".join(stream)), (b"IEND", b"")))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
