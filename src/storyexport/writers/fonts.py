"""Font file helpers shared by the writers that embed or check the theme's
fonts (DOCX, EPUB and its cover, PDF), each cached for the life of the
process: a build worker renders many articles with the same few files.

* :func:`font_bytes` reads a theme font once;
* :func:`cmap` lists the code points a face maps;
* :func:`unhinted` gives a face without hinting, for large text;
* :func:`subset_for` reduces a font to what a document needs, through
  HarfBuzz's ``hb-subset`` (ctypes) where the machine has it, else fontTools
  (imported when first needed), and caches the result by font and request;
* :func:`system_font_faces` finds the machine's faces of the families a
  theme names (not cached: the build keys outputs by them, see
  :func:`theme_system_faces`, and by the content of their files).
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from ..native import library_name
from ..theme import Theme

Face = tuple[str, int]
"""A font file and the index of a face in it (collections hold several)."""


@lru_cache(maxsize=32)
def font_bytes(path: Path) -> bytes:
    """A theme font file, read once per process."""
    return path.read_bytes()


@lru_cache(maxsize=32)
def space_advance(path: str) -> float:
    """Width of the face's space, in em (what CSS puts after a list marker)."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        glyph = font.getBestCmap().get(0x20)
        if glyph is None:
            return 0.25
        return font["hmtx"][glyph][0] / font["head"].unitsPerEm


@lru_cache(maxsize=32)
def cmap(path: str, index: int = 0) -> frozenset[int]:
    """Code points one face of a font file (or collection) maps: HarfBuzz's
    reading of the best ``cmap`` subtable (a millisecond or two, where
    fontTools takes 3 ms for a theme face and 50-80 ms for a CJK one; the
    same sets for every face of the themes and of Noto CJK), else fontTools'
    ``getBestCmap``."""
    hb = _harfbuzz()
    found = hb.unicodes(path, index) if hb is not None else None
    if found:  # empty: let fontTools say why (no cmap, no such face)
        return found
    from fontTools.ttLib import TTFont

    with TTFont(path, fontNumber=index, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


@lru_cache(maxsize=64)
def subset_font(path: str, chars: str) -> bytes:
    """The font reduced to ``chars`` (plus the glyphs the default layout
    features reach: ligatures, kerning, Arabic joining forms), every name
    and licence string kept, no hinting, the ``head`` timestamp untouched
    (reproducible). HarfBuzz does it in about a millisecond where fontTools
    takes 100-200 ms a face; fontTools is the fallback where
    ``libharfbuzz-subset`` is missing or fails (the same glyphs either way)."""
    return _subset(path, sorted({ord(c) for c in chars}))


@lru_cache(maxsize=16)
def unhinted(path: str) -> bytes:
    """The whole face (every code point it maps, and what layout reaches
    from them) without hinting instructions, for drawing large text: at
    poster sizes FreeType runs a TrueType face's instructions for every
    glyph, which takes as long as drawing it, to move edges by a fraction
    of a pixel. Advances are unchanged, so text measures and wraps the same.
    About 4 ms a face, once per process."""
    return _subset(path, sorted(cmap(path)))


def _subset(path: str, cps: list[int]) -> bytes:
    hb = _harfbuzz()
    if hb is not None:
        out = hb.subset(font_bytes(Path(path)), cps)
        if out is not None:
            return out
    return _fonttools_subset(path, cps)


def _fonttools_subset(path: str, cps: list[int]) -> bytes:
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
    sub.populate(unicodes=cps)
    sub.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


# a C function's name, return type (None: void) and argument types, for ctypes
_Signature = tuple[str, type | None, list[type]]


class _HarfBuzz:
    """The few HarfBuzz calls a subset (``hb-subset``) and a face's code
    points take, through ctypes (no Python binding needed: the library comes
    with WeasyPrint's system packages). Options mirror the fontTools ones
    above."""

    _SETS_UNICODE, _SETS_NAME_ID, _SETS_NAME_LANG_ID = 1, 4, 5
    _FLAGS = 0x01 | 0x08 | 0x40  # no hinting, legacy (Mac) names, .notdef outline

    def __init__(self, lib: ctypes.CDLL) -> None:
        vp, uint = ctypes.c_void_p, ctypes.c_uint
        signatures: tuple[_Signature, ...] = (
            ("hb_blob_create_or_fail", vp, [ctypes.c_char_p, uint, ctypes.c_int, vp, vp]),
            ("hb_blob_destroy", None, [vp]),
            ("hb_blob_get_data", ctypes.c_void_p, [vp, ctypes.POINTER(uint)]),
            ("hb_face_create", vp, [vp, uint]),
            ("hb_face_destroy", None, [vp]),
            ("hb_face_reference_blob", vp, [vp]),
            ("hb_subset_input_create_or_fail", vp, []),
            ("hb_subset_input_destroy", None, [vp]),
            ("hb_subset_input_set", vp, [vp, ctypes.c_int]),
            ("hb_subset_input_set_flags", None, [vp, uint]),
            ("hb_subset_or_fail", vp, [vp, vp]),
            ("hb_set_add", None, [vp, ctypes.c_uint32]),
            ("hb_set_clear", None, [vp]),
            ("hb_set_invert", None, [vp]),
        )
        for name, restype, argtypes in signatures:
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = restype, argtypes
        self.lib = lib
        self.can_collect = bool(lib.hb_version_atleast(4, 2, 0))  # hb_set_next_many
        if self.can_collect:
            signatures = (
                ("hb_blob_create_from_file_or_fail", vp, [ctypes.c_char_p]),
                ("hb_set_create", vp, []),
                ("hb_set_destroy", None, [vp]),
                ("hb_face_collect_unicodes", None, [vp, vp]),
                ("hb_set_get_population", uint, [vp]),
                ("hb_set_next_many", uint, [vp, ctypes.c_uint32, ctypes.POINTER(ctypes.c_uint32), uint]),
            )
            for name, restype, argtypes in signatures:
                fn = getattr(lib, name)
                fn.restype, fn.argtypes = restype, argtypes

    def unicodes(self, path: str, index: int) -> frozenset[int] | None:
        """The code points face ``index`` of the file maps, or None if
        HarfBuzz cannot tell (too old, file unreadable). The file is mapped,
        not read into Python: a CJK collection is 20 MB."""
        if not self.can_collect:
            return None
        hb = self.lib
        blob = hb.hb_blob_create_from_file_or_fail(os.fsencode(path))
        if not blob:
            return None
        face = hb.hb_face_create(blob, index)
        found = hb.hb_set_create()
        try:
            hb.hb_face_collect_unicodes(face, found)
            size = hb.hb_set_get_population(found)
            out = (ctypes.c_uint32 * size)()
            got = hb.hb_set_next_many(found, 0xFFFFFFFF, out, size)  # from HB_SET_VALUE_INVALID: the first
            return frozenset(out[:got])
        finally:
            hb.hb_set_destroy(found)
            hb.hb_face_destroy(face)
            hb.hb_blob_destroy(blob)

    def subset(self, data: bytes, cps: list[int]) -> bytes | None:
        """The subset, or None if HarfBuzz refuses the font."""
        hb = self.lib
        blob = hb.hb_blob_create_or_fail(data, len(data), 0, None, None)  # 0: HarfBuzz copies the bytes
        face = hb.hb_face_create(blob, 0)
        request = hb.hb_subset_input_create_or_fail()
        try:
            if not (blob and face and request):
                return None
            unicodes = hb.hb_subset_input_set(request, self._SETS_UNICODE)
            for cp in cps:
                hb.hb_set_add(unicodes, cp)
            for which in (self._SETS_NAME_ID, self._SETS_NAME_LANG_ID):  # every name, every language
                names = hb.hb_subset_input_set(request, which)
                hb.hb_set_clear(names)
                hb.hb_set_invert(names)
            hb.hb_subset_input_set_flags(request, self._FLAGS)
            sub = hb.hb_subset_or_fail(face, request)
            if not sub:
                return None
            out = hb.hb_face_reference_blob(sub)
            size = ctypes.c_uint()
            data_ptr = hb.hb_blob_get_data(out, ctypes.byref(size))
            result = ctypes.string_at(data_ptr, size.value) if data_ptr and size.value else None
            hb.hb_blob_destroy(out)
            hb.hb_face_destroy(sub)
            return result
        finally:
            if request:
                hb.hb_subset_input_destroy(request)
            hb.hb_face_destroy(face)
            hb.hb_blob_destroy(blob)


@lru_cache(maxsize=1)
def _harfbuzz() -> _HarfBuzz | None:
    """HarfBuzz's subsetter if this machine has it (3.0 or later), else None."""
    name = library_name("libharfbuzz-subset.so.0", "harfbuzz-subset")
    if not name:
        return None
    try:
        lib = ctypes.CDLL(name)
        lib.hb_version_atleast.restype = ctypes.c_bool
        lib.hb_version_atleast.argtypes = [ctypes.c_uint, ctypes.c_uint, ctypes.c_uint]
        if not lib.hb_version_atleast(3, 0, 0):
            return None
        return _HarfBuzz(lib)
    except (OSError, AttributeError):
        return None


def subset_for(path: str, chars: Iterable[str]) -> bytes:
    """The subset of the font at ``path`` a document showing ``chars`` needs.
    The request is narrowed to what the font has (the subsetter would skip
    the rest anyway, so the font is the same): a Latin face then gets the
    same request, and the cached subset, for every article whose Latin
    letters are the same, whatever else it holds (Arabic, Japanese)."""
    asked = {ord(c) for c in chars}
    # variation selectors live in the cmap's format-14 table, not the best cmap: pass them on
    wanted = (asked & cmap(path)) | {c for c in asked if 0xFE00 <= c <= 0xFE0F or 0xE0100 <= c <= 0xE01EF}
    return subset_font(path, "".join(map(chr, sorted(wanted))))


# ----------------------------------------------------------- machine fonts


def _fc_escape(name: str) -> str:
    return re.sub(r"([\\\-:,])", r"\\\1", name)


def _fc_list(pattern: str) -> list[Face]:
    """The faces fontconfig's ``fc-list`` lists for a pattern."""
    exe = shutil.which("fc-list")
    faces: set[Face] = set()
    if exe:
        with contextlib.suppress(OSError, subprocess.SubprocessError, ValueError):
            out = subprocess.run([exe, "--format", "%{file}\t%{index}\n", pattern],
                                 capture_output=True, text=True, timeout=30, check=True).stdout
            for line in out.splitlines():
                path, _, index = line.partition("\t")
                if path.strip():
                    faces.add((path, int(index or 0)))
    return sorted(faces)


def system_font_faces(families: Iterable[str]) -> dict[str, list[Face]]:
    """Faces of the system font families the theme names (CJK faces too
    large to ship), found through fontconfig's ``fc-list``: an exact family
    match, never a substitute."""
    return {family: _fc_list(_fc_escape(family)) for family in families}


def machine_faces() -> list[Face]:
    """Every face fontconfig knows."""
    return _fc_list(":")


def theme_system_faces(theme: Theme) -> tuple[Face, ...]:
    """The machine's faces of the families the theme names."""
    return families_faces(theme.system_fonts)


@lru_cache(maxsize=4)
def families_faces(families: tuple[str, ...]) -> tuple[Face, ...]:
    """The machine's faces of ``families``, cached until
    ``families_faces.cache_clear()``: the build clears it once an export, so
    its writers list the machine's fonts once between them."""
    return tuple(sorted({f for faces in system_font_faces(families).values() for f in faces}))
