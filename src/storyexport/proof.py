"""``storyexport proof ARTICLE``: one PNG contact sheet showing page 1 of the
PDF, page 1 of the DOCX (as LibreOffice lays it out) and the EPUB's first
content page (as an e-reader-sized page), side by side with captions, so an
editor sees at a glance that the formats agree.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from lxml import etree

from .config import Site
from .errors import Diagnostics, StoryExportError, UsageError
from .readers import read_source
from .storage import atomic_write
from .theme import Theme
from .writers import RenderContext, load

_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
DPI = 60
PAD = 24  # pixels around and between the panels
HEAD = 70  # pixels above the panels: the sheet's title and the captions
READER_CSS = "@page {{ size: 110mm 170mm; margin: 8mm; }} html {{ font-size: {base}pt !important; }}"
"""The reading system: a 6-7 inch screen, its default text size (the theme's base size)."""


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise StoryExportError(f"proof needs {tool!r}; install the system packages with 'make system-deps'")
    return path


def _page_png(pdf: Path, png_stem: Path) -> Path:
    subprocess.run([_need("pdftoppm"), "-png", "-r", str(DPI), "-f", "1", "-l", "1", "-singlefile",
                    str(pdf), str(png_stem)], check=True, capture_output=True, timeout=120)
    return png_stem.with_suffix(".png")


def docx_to_pdf(docx: Path, outdir: Path) -> Path:
    """Convert with LibreOffice headless in a private profile. soffice exits 0
    even when it fails, so the output file is what counts."""
    profile = outdir / "lo-profile"
    subprocess.run([_need("soffice"), f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(outdir), str(docx)],
                   check=False, capture_output=True, timeout=300)
    pdf = outdir / (docx.stem + ".pdf")
    if not pdf.is_file():
        raise StoryExportError(f"LibreOffice could not convert {docx.name} to PDF")
    return pdf


def _unpack(epub: Path, book: Path) -> None:
    """Extract the container, refusing names that would land outside ``book``."""
    with zipfile.ZipFile(epub) as z:
        for name in z.namelist():
            target = (book / name).resolve()
            if target.is_relative_to(book.resolve()) and not name.endswith("/"):
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(z.read(name))


def first_content_document(book: Path) -> Path:
    """The first spine item that is neither the cover nor the navigation."""
    container = etree.parse(str(book / "META-INF" / "container.xml"), _SAFE_XML)
    opf_path = book / container.xpath("//*[local-name()='rootfile']/@full-path")[0]
    opf = etree.parse(str(opf_path), _SAFE_XML)
    items = {i.get("id"): i for i in opf.xpath("//*[local-name()='item']")}
    for ref in opf.xpath("//*[local-name()='itemref']/@idref"):
        item = items[ref]
        props = item.get("properties", "")
        if "nav" in props or "cover" in ref.lower() or "cover" in item.get("href", "").lower():
            continue
        return opf_path.parent / item.get("href")
    raise StoryExportError(f"{book.name}: no content document in the spine")


def epub_first_page_pdf(epub: Path, workdir: Path, theme: Theme) -> Path:
    """Render the EPUB's first content document (not cover or nav) through
    WeasyPrint on an e-reader-sized page, reading only files from the book.

    An e-reader sets the default text size (ereader.css sizes everything in
    em of it); this one is set to the theme's base size, as a reader left at
    the publisher's size would be, so the panel compares with the others."""
    import weasyprint

    from .writers.pdf_fetch import SafeFetcher

    book = workdir / "book"
    _unpack(epub, book)
    chosen = first_content_document(book)
    fetcher = SafeFetcher(dirs=[str(book)])
    reader = weasyprint.CSS(string=READER_CSS.format(base=theme.base_size), url_fetcher=fetcher)
    out = workdir / "epub.pdf"
    weasyprint.HTML(filename=str(chosen), url_fetcher=fetcher).write_pdf(out, stylesheets=[reader])
    return out


def _fit(draw: Any, text: str, font: Any, width: int) -> str:
    """``text`` shortened with an ellipsis until it is at most ``width`` pixels wide."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def contact_sheet(panels: list[tuple[str, Path]], output: Path, theme: Theme, title: str) -> None:
    """Place the page images side by side, captioned, on one PNG."""
    from PIL import Image, ImageDraw, ImageFont

    images = [(caption, Image.open(p).convert("RGB")) for caption, p in panels]
    height = max(im.height for _, im in images)
    pad, head = PAD, HEAD
    width = sum(im.width for _, im in images) + pad * (len(images) + 1)
    sheet = Image.new("RGB", (width, height + head + pad), "#e9e9e9")
    draw = ImageDraw.Draw(sheet)
    font_path = str(theme.fonts["heading"].file(bold=True))
    big, small = ImageFont.truetype(font_path, 22), ImageFont.truetype(font_path, 16)
    draw.text((pad, 12), _fit(draw, title, big, width - 2 * pad), fill=theme.colors["text"], font=big)
    x = pad
    for caption, im in images:
        draw.text((x, head - 26), caption, fill=theme.colors["accent"], font=small)
        sheet.paste(im, (x, head))
        draw.rectangle((x - 1, head - 1, x + im.width, head + im.height), outline="#999999")
        x += im.width + pad
    buf = io.BytesIO()
    sheet.save(buf, format="PNG", optimize=True)
    atomic_write(output, buf.getvalue())


def make_proof(article_path: Path, theme: Theme, site: Site, output: Path | None) -> int:
    if not article_path.is_file():
        raise UsageError(f"no such file: {article_path}")
    root = Path(site.source)
    if not article_path.resolve().is_relative_to(root.resolve()):
        root = article_path.parent
    diags = Diagnostics(stream=sys.stderr, suppress=site.suppress_warnings)
    article = read_source(article_path, root, site, diags)
    if article is None:
        raise UsageError(f"{article_path} is a draft")
    ctx = RenderContext(theme, site, diags)
    output = output or Path(site.out) / f"proof-{article.meta.slug}-{theme.name}.png"
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="storyexport-proof-") as tmp:
        work = Path(tmp)
        files = {}
        for fmt in ("pdf", "docx", "epub"):
            writer = load(fmt)(theme, site)
            files[fmt] = work / f"{article.meta.slug}.{writer.extension}"
            files[fmt].write_bytes(writer.render(article, ctx))
        panels = [
            ("PDF (WeasyPrint)", _page_png(files["pdf"], work / "pdf")),
            ("DOCX (LibreOffice)", _page_png(docx_to_pdf(files["docx"], work), work / "docx")),
            ("EPUB (first content page)", _page_png(epub_first_page_pdf(files["epub"], work, theme), work / "epub")),
        ]
        contact_sheet(panels, output, theme, f"Theme {theme.name}: {article.meta.title}")
    print(output)
    return 0
