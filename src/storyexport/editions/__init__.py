"""Editions: many stories as one EPUB, PDF and DOCX (a daily or a weekly).

``selection`` decides which stories an edition holds and in which sections
and order (from ``[[editions]]`` tables or the ``edition`` command, never
from the clock); ``epub``, ``pdf`` and ``docx`` lay one edition out in each
format by composing the per-story writers' own seams (the same renderer,
theme and footnote handling, with ids kept apart per story); ``feed``
lists the editions as RSS, Atom and JSON Feed items with their files as
enclosures; ``build`` makes the configured editions during an export,
again only when a story, the theme or the edition's configuration changed;
``command`` is ``storyexport edition``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..compat.cpython import call_with_room
from ..process import collector_paused
from .selection import FORMATS, Edition

if TYPE_CHECKING:  # a site's configuration reads [[editions]] through .selection: no writer needed for that
    from ..writers import RenderContext, Writer

EXTENSIONS = {"epub": "epub", "pdf": "pdf", "docx": "docx"}


def render(edition: Edition, fmt: str, writer: Writer, ctx: RenderContext) -> bytes:
    """The edition in one format, through that format's writer instance (as
    the build's workers call writers: see :func:`call_with_room`)."""
    with collector_paused():
        return call_with_room(_render, edition, fmt, writer, ctx)


def _render(edition: Edition, fmt: str, writer: Writer, ctx: RenderContext) -> bytes:
    if fmt == "epub":
        from ..writers.epub import EpubWriter
        from .epub import render_epub

        assert isinstance(writer, EpubWriter)
        return render_epub(edition, writer, ctx)
    if fmt == "pdf":
        from ..writers.pdf import PdfWriter
        from .pdf import render_pdf

        assert isinstance(writer, PdfWriter)
        return render_pdf(edition, writer, ctx)
    if fmt == "docx":
        from ..writers.docx import DocxWriter
        from .docx import render_docx

        assert isinstance(writer, DocxWriter)
        return render_docx(edition, writer, ctx)
    raise ValueError(f"not an edition format: {fmt!r} (known: {', '.join(FORMATS)})")


def output_name(slug: str, fmt: str) -> str:
    """Where an edition's file goes in the output folder."""
    return f"editions/{slug}.{EXTENSIONS[fmt]}"
