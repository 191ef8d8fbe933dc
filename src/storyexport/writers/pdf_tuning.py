"""Where WeasyPrint 70 does more work than this writer's use of it needs,
and what the writer does about it. Each measure is small, named, and leaves
the PDF as it was (byte for byte, except the deflate level, which changes
only how hard the streams are compressed); ``tests/test_pdf.py`` holds them
to that. Together they take about 10 ms off a 130 ms article.

* the article's XHTML is parsed by expat, not by a pure-Python HTML5 parser
  (:func:`parsed_html`);
* a cached image's PDF stream is encoded once, not once per PDF
  (:func:`share_pdf_stream`);
* streams are deflated at zlib's default level, not 9 (:class:`_Deflate`);
* the font subsetter's arrays are made without cffi parsing a new C type for
  each length (:class:`_OpenArrays`).
"""

from __future__ import annotations

import re
import zlib
from typing import Any

from .html_tree import html_tree

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
    """Apply the process-wide measures (once; WeasyPrint is imported)."""
    import pydyf
    from weasyprint.pdf import fonts

    if not isinstance(getattr(pydyf, "zlib", None), _Deflate):
        pydyf.zlib = _Deflate()
    if not isinstance(fonts.ffi, _OpenArrays):
        fonts.ffi = _OpenArrays(fonts.ffi)


# ----------------------------------------------------------------- images


def share_pdf_stream(image: object) -> None:
    """Let a cached WeasyPrint raster image encode its PDF stream once.

    WeasyPrint 70 keeps a decoded image in the cache but, for every PDF that
    shows it, decodes it again and re-encodes it as PNG to extract the
    stream data (``RasterImage._get_png_data``): about a sixth of the time of
    a one-page article with a chart. The result depends only on the image and
    the mode and size asked for (the colour and alpha planes), so it is kept
    on the cached image; the PDF bytes are the same."""
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


def parsed_html(weasyprint: Any, html: str, base_url: str | None, fetcher: Any) -> Any:
    """``weasyprint.HTML(string=html, ...)``, with the tree parsed by expat
    (:mod:`.html_tree`) when it can be: the same tree, 3.5 ms sooner.
    WeasyPrint has no public way to take a parsed tree, so this sets what
    its ``HTML.__init__`` sets (``tests/test_pdf.py`` holds the output
    byte-identical to WeasyPrint parsing the string itself)."""
    root = html_tree(html)
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
