"""An edition as one PDF: cover, contents with page numbers, then the
stories section by section.

Each story is the PDF writer's own rendering (``xhtml.render_story`` with
page footnotes), its ids after the story's key; the edition's page
(``edition.html.j2``) and its print additions (``edition-print.css.j2``,
made from the theme's tokens) add the cover, the contents page (page
numbers by CSS ``target-counter``, so they are the pages the stories land
on), running heads with the section's name, an outline of sections, then
stories, then their headings, page breaks between stories (or none, for a
``continuous`` edition) and footnotes numbered per story. The writer's
:meth:`PdfWriter.render_html` lays it out with the same fonts, fetcher,
metadata and finisher as a single story.
"""

from __future__ import annotations

from markupsafe import Markup

from .. import __version__
from ..errors import StoryExportError
from ..i18n import labels
from ..model import Asset
from ..writers import RenderContext
from ..writers.pdf import DocInfo, PdfWriter, identifier_for
from ..xhtml import HtmlOptions, environment, render_css, render_story
from .selection import Edition, Entry, Section


def doc_info(edition: Edition) -> DocInfo:
    spec = edition.spec
    authors = tuple(dict.fromkeys(a.name for e in edition.entries for a in e.article.meta.authors))
    key = edition.site.absolute(f"editions/{spec.slug}") or f"storyexport:edition:{spec.slug}"
    return DocInfo(spec.title, authors, spec.description or " · ".join(edition.headlines()),
                   tuple(s.name for s in edition.sections), (edition.date, edition.modified), edition.language,
                   "", identifier_for(key), f"edition {spec.slug}")


def edition_html(edition: Edition, writer: PdfWriter, ctx: RenderContext) -> tuple[str, list[Asset]]:
    """The edition's page, and the images it shows. A story the PDF writer
    refuses (nested too deep) is left out with its located error."""
    stories: dict[str, Markup] = {}
    assets: list[Asset] = []
    sections: list[Section] = []
    for section in edition.sections:
        kept: list[Entry] = []
        for entry in section.entries:
            a = entry.article
            try:
                writer.check_depth(a)
            except StoryExportError as e:
                ctx.diagnostics.add(e.diagnostic())
                continue
            writer.check_glyphs(a, ctx, writer.engine())
            opts = HtmlOptions(image_url=writer.image_url, footnotes="float", id_prefix=f"{entry.key}-")
            stories[entry.key] = Markup(render_story(a, writer.theme, writer.site, opts))
            assets += a.assets
            kept.append(entry)
        if kept:
            sections.append(Section(section.name, section.key, tuple(kept)))
    spec = edition.spec
    html = environment(writer.theme).get_template("edition.html.j2").render(
        lang=edition.language, title=spec.title, description=spec.description, publisher=edition.publisher,
        date=edition.date, modified=edition.modified, top_stories=edition.top_stories(), sections=sections,
        stories=stories, continuous=spec.continuous, L=labels(edition.language),
        generator=f"storyexport {__version__}")
    return html, assets


def render_pdf(edition: Edition, writer: PdfWriter, ctx: RenderContext) -> bytes:
    css = writer.stylesheet(render_css(writer.theme, "edition-print", lambda p: p))
    html, assets = edition_html(edition, writer, ctx)
    return writer.render_html(html, doc_info(edition), assets, ctx, None, (css,))
