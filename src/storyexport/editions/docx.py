"""An edition as one Word document: cover, a contents field, then the
stories section by section.

Each story is built by the DOCX writer's own builder into the shared
document (:class:`~storyexport.writers.docx.Composer`), with the theme's
styles: sections are Heading 1, story titles sit at outline level 2 and
their headings one level below, so Word's navigation pane and the contents
field (``TOC``, refreshed when Word opens the file) show sections, then
stories. Each story ends a Word section that restarts footnote numbers, so
every story's notes count from 1; running heads name the current section
(a ``STYLEREF`` field). Document properties are the edition's.
"""

from __future__ import annotations

from ..i18n import format_date, labels
from ..writers import RenderContext
from ..writers.docx import Composer, DocxWriter
from ..writers.docx_styles import S
from .selection import Edition


def render_docx(edition: Edition, writer: DocxWriter, ctx: RenderContext) -> bytes:
    spec, lang = edition.spec, edition.language
    c = Composer(writer, ctx, edition.as_article())
    if edition.publisher:
        c.paragraph(S.PUBLICATION, edition.publisher)
    c.paragraph(S.TITLE, spec.title)
    if spec.description:
        c.paragraph(S.SUBTITLE, spec.description)
    c.paragraph(S.DATELINE, format_date(edition.date, lang))
    for headline in edition.headlines():
        c.paragraph(S.SUMMARY, headline)
    c.section_break()
    c.paragraph(S.SUMMARY_TITLE, labels(lang).contents)
    entries: list[tuple[int, str, str]] = []
    for section in edition.sections:
        entries.append((1, section.name, f"_Toc_{section.key}"))
        entries += [(2, e.article.meta.title, f"_Toc_{e.key}") for e in section.entries]
    c.contents("1-2", entries)
    c.section_break()
    last = edition.entries[-1]
    for section in edition.sections:
        c.paragraph(S.heading(1), section.name, f"_Toc_{section.key}")
        for i, entry in enumerate(section.entries):
            c.story(entry.article, f"{entry.key}_", f"_Toc_{entry.key}")
            if entry is not last:
                runs_on = spec.continuous and i + 1 < len(section.entries)
                c.section_break("continuous" if runs_on else "nextPage")
    return c.finish("heading 1", edition.sections[0].name)
