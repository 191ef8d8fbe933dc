"""WeasyPrint (and pydyf under it): where the PDF writer reaches into
internals, each beside the public path it replaces (see :mod:`storyexport.compat`).

Speed (about 10 ms of a 130 ms article together, none changing what the PDF
says; ``tests/test_pdf.py`` holds the first three to identical bytes):

* ``pdf-expat-tree``: the article's XHTML parsed by expat into the tree
  WeasyPrint's HTML5 parser builds (:func:`html_document`), set on an
  ``HTML`` made through ``__new__``; public path ``HTML(string=...)``;
* ``pdf-image-stream-once``: a cached image's PDF stream encoded once, not
  once per PDF (:func:`share_image_stream`, wraps ``RasterImage._get_png_data``);
* ``pdf-open-arrays``: the font subsetter's arrays made without cffi parsing
  a C type for each length (:class:`_OpenArrays`, in place of
  ``weasyprint.pdf.fonts.ffi``);
* ``pdf-deflate-6``: streams deflated at zlib's default level, not 9
  (:class:`_Deflate`, in place of ``pydyf.zlib``): 1.2% larger files.

Output:

* ``pdf-theme-fonts-only``: WeasyPrint's fontconfig configuration replaced
  by one that holds only the theme's fonts (:func:`restrict_fonts`, sets the
  private ``FontConfiguration._config``); without it the writer warns that
  characters the theme lacks may come from the machine's fonts.
"""

from __future__ import annotations

import os
import re
import zlib
from typing import Any

from ..native import library_name
from ..writers.html_tree import html_tree
from . import shim

_TESTED = {"weasyprint": ("70.0",)}

EXPAT_TREE = shim("pdf-expat-tree", _TESTED, "3.5 ms of HTML5 parsing per article")
IMAGE_STREAM_ONCE = shim("pdf-image-stream-once", _TESTED, "a cached image decoded and re-encoded per PDF")
OPEN_ARRAYS = shim("pdf-open-arrays", _TESTED, "2 ms of pycparser per new array length, several per article")
DEFLATE_6 = shim("pdf-deflate-6", {**_TESTED, "pydyf": ("0.13.0",)}, "3 ms of deflate level 9 per article")
THEME_FONTS_ONLY = shim("pdf-theme-fonts-only", _TESTED, "no machine font can stand in for the theme's")

# ---------------------------------------------------------------- streams

DEFLATE_LEVEL = 6
"""Deflate level of the PDF's streams. pydyf asks zlib for level 9; on a
news article's content streams level 6 (zlib's default) takes 3.5 ms where
9 takes 6.5 ms, for 1.2% more bytes (0.7 KB of a 60 KB PDF)."""


class _Deflate:
    """The :mod:`zlib` that pydyf sees: every stream compressed at
    :data:`DEFLATE_LEVEL`, whatever level pydyf names; the rest is zlib's."""

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)

    @staticmethod
    def compressobj(level: int = DEFLATE_LEVEL, *args: Any, **kwargs: Any) -> Any:
        return zlib.compressobj(min(level, DEFLATE_LEVEL), *args, **kwargs)


class _OpenArrays:
    """WeasyPrint's ``ffi`` as its font subsetter sees it, except that
    ``new("hb_codepoint_t[53]", items)`` becomes ``new("hb_codepoint_t[]",
    items)``. The subsetter writes each array's length into the C type, and
    cffi parses every type it has not seen with pycparser: 2 ms for each new
    length, several per article (glyph counts differ from one article to the
    next). The open array type is parsed once; the array is the same."""

    _SIZED = re.compile(r"([A-Za-z_][\w ]*?)\s*\[(\d+)\]")

    def __init__(self, ffi: Any) -> None:
        self._ffi = ffi

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ffi, name)

    def new(self, cdecl: Any, init: Any = None) -> Any:
        sized = self._SIZED.fullmatch(cdecl.strip()) if isinstance(cdecl, str) else None
        if sized:
            length = int(sized.group(2))
            if init is None:
                return self._ffi.new(f"{sized.group(1)}[]", length)
            # (a string would get a terminating NUL in an open array: one item more)
            if isinstance(init, list | tuple) and len(init) == length:
                return self._ffi.new(f"{sized.group(1)}[]", init)
        return self._ffi.new(cdecl, init)


def tune() -> None:
    """Apply the process-wide shims that are active (WeasyPrint is imported)."""
    import pydyf
    from weasyprint.pdf import fonts

    if DEFLATE_6.active() and not isinstance(getattr(pydyf, "zlib", None), _Deflate):
        pydyf.zlib = _Deflate()
    if OPEN_ARRAYS.active() and not isinstance(fonts.ffi, _OpenArrays):
        fonts.ffi = _OpenArrays(fonts.ffi)


# ----------------------------------------------------------------- images


def share_image_stream(image: object) -> None:
    """Let a cached WeasyPrint raster image encode its PDF stream once.

    WeasyPrint 70 keeps a decoded image in the cache but, for every PDF that
    shows it, decodes it again and re-encodes it as PNG to extract the
    stream data (``RasterImage._get_png_data``): about a sixth of the time of
    a one-page article with a chart. The result depends only on the image and
    the mode and size asked for (the colour and alpha planes), so it is kept
    on the cached image; the PDF bytes are the same."""
    if not IMAGE_STREAM_ONCE.active():
        return
    encode = getattr(type(image), "_get_png_data", None)
    if encode is None or "_get_png_data" in vars(image):
        return  # not a raster image, or already sharing
    done: dict[tuple[str, tuple[int, int]], bytes] = {}

    def once(pillow_image: Any) -> bytes:
        key = (pillow_image.mode, pillow_image.size)
        if key not in done:
            done[key] = encode(pillow_image)
        return done[key]

    image._get_png_data = once  # type: ignore[attr-defined]


# ------------------------------------------------------------------- HTML


def html_document(weasyprint: Any, html: str, base_url: str | None, fetcher: Any) -> Any:
    """``weasyprint.HTML(string=html, ...)``, with the tree parsed by expat
    (:mod:`..writers.html_tree`) when it can be: the same tree, 3.5 ms sooner.
    WeasyPrint has no public way to take a parsed tree, so this sets what
    its ``HTML.__init__`` sets (``tests/test_pdf.py`` holds the output
    byte-identical to WeasyPrint parsing the string itself)."""
    root = html_tree(html) if EXPAT_TREE.active() else None
    if root is None:
        return weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    import cssselect2

    doc = weasyprint.HTML.__new__(weasyprint.HTML)
    doc.base_url = weasyprint._find_base_url(root, base_url)
    doc.url_fetcher = fetcher
    doc.media_type = "print"
    doc.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
    doc.etree_element = doc.wrapper_element.etree_element
    return doc


# ------------------------------------------------------------------ fonts


def restrict_fonts(font_config: Any, files: list[str]) -> bool:
    """Swap WeasyPrint's fontconfig configuration (every font on the machine)
    for an empty one holding only ``files``; ``@font-face`` rules then add the
    theme's fonts. Fontconfig's fallback can only pick among those, so output
    never depends on the machine's other fonts. Returns False (configuration
    untouched) where this shim is off or fontconfig cannot be reached."""
    if not THEME_FONTS_ONLY.active():
        return False
    import cffi
    from weasyprint.text import ffi as wffi

    name = library_name("libfontconfig.so.1", "fontconfig")
    if not name:
        return False
    try:
        own = cffi.FFI()
        own.cdef("void *FcConfigCreate(void);")
        lib: Any = own.dlopen(name)
        config = wffi.ffi.cast("FcConfig *", int(own.cast("uintptr_t", lib.FcConfigCreate())))
    except (OSError, AttributeError, cffi.CDefError):
        return False
    if config == wffi.ffi.NULL:
        return False
    for f in files:
        wffi.fontconfig.FcConfigAppFontAddFile(config, os.fsencode(f))
    wffi.pangoft2.pango_fc_font_map_set_config(wffi.ffi.cast("PangoFcFontMap *", font_config.font_map), config)
    wffi.fontconfig.FcConfigDestroy(config)  # the font map holds its own reference
    font_config._config = config  # where @font-face rules register the theme's fonts
    return True
