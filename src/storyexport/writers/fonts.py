"""Font file helpers shared by the writers that embed or check the theme's
fonts (DOCX, EPUB and its cover, PDF), each cached for the life of the
process: a build worker renders many articles with the same few files.

* :func:`font_bytes` reads a theme font once;
* :func:`cmap` lists the code points a face maps;
* :func:`subset_for` reduces a font to what a document needs. The request is
  widened to a fixed base set (the Latin a newsroom writes every day) and
  narrowed to what the font has, so most articles ask for exactly the same
  subset and get the cached one: subsetting, the costliest step of an EPUB,
  is then done once per face and process instead of once per book.

fontTools is imported when a helper first needs it, not with this module.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

BASE_CHARS = frozenset(
    [*range(0x20, 0x7F), *range(0xA0, 0x100),  # ASCII and Latin-1
     *range(0x2010, 0x2027), 0x2030, 0x2039, 0x203A,  # dashes, quotes, bullets, ellipsis, per mille, guillemets
     0x20AC, 0x2122, 0x2212]  # euro, trade mark, minus
)
"""Code points every subset keeps when its font has them. Widening each
request to this set makes the subsets of ordinary Latin-script articles
identical (and so cached); it costs about 5 KB a face (Latin-1 and
punctuation beyond ASCII), 40 KB a book with the default theme."""


@lru_cache(maxsize=32)
def font_bytes(path: Path) -> bytes:
    """A theme font file, read once per process."""
    return path.read_bytes()


@lru_cache(maxsize=32)
def cmap(path: str, index: int = 0) -> frozenset[int]:
    """Code points one face of a font file (or collection) maps."""
    from fontTools.ttLib import TTFont

    with TTFont(path, fontNumber=index, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


@lru_cache(maxsize=64)
def subset_font(path: str, chars: str) -> bytes:
    """The font reduced to ``chars`` (plus the glyphs fontTools' default
    layout features reach: ligatures, kerning, Arabic joining forms), names
    and licence kept, the ``head`` timestamp untouched (reproducible)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    opts = subset.Options()
    opts.name_IDs = ["*"]  # keep copyright and licence strings (OFL)
    opts.name_languages = ["*"]
    opts.name_legacy = True
    opts.notdef_outline = True
    opts.hinting = False  # halves the size; e-ink and tablet screens are dense enough not to need it
    font = TTFont(path, recalcTimestamp=False)  # the head table's clock stamp would break reproducibility
    sub = subset.Subsetter(opts)
    sub.populate(text=chars)
    sub.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def subset_for(path: str, chars: Iterable[str]) -> bytes:
    """The subset of the font at ``path`` a document showing ``chars`` needs:
    ``chars`` plus :data:`BASE_CHARS`, less what the font does not have
    (fontTools would skip those anyway, so the result is the same font; the
    cache key is what changes)."""
    asked = BASE_CHARS | {ord(c) for c in chars}
    # variation selectors live in the cmap's format-14 table, not the best cmap: pass them on
    wanted = (asked & cmap(path)) | {c for c in asked if 0xFE00 <= c <= 0xFE0F or 0xE0100 <= c <= 0xE01EF}
    return subset_font(path, "".join(map(chr, sorted(wanted))))
