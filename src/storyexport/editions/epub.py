"""An edition as one EPUB 3 book: a periodical of many stories.

Everything a story's page holds comes from the EPUB writer
(:meth:`EpubWriter.content`, the shared XHTML renderer with EPUB noterefs),
one XHTML document per story with its ids after the story's key, so no two
stories' footnotes or headings clash. Around them: a cover drawn from the
theme with the edition's title, date and top headlines; a navigation
document (also the book's contents page) of sections, then stories, then
each story's headings, and the same as an NCX; landmarks; accessibility
metadata; and an identifier derived from the edition's slug, so a reading
system replaces yesterday's "daily" rather than shelving a second copy.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from ebooklib import epub

from ..model import Article, Asset
from ..writers import RenderContext
from ..writers.epub import (
    COVER_LABEL,
    GENERATED_COVER,
    NAV,
    NCX,
    EpubWriter,
    TocEntry,
    accessibility_metadata,
    add_image,
    asset_names,
    cover_document,
    image_size,
    navigation,
    ncx_toc,
    package,
    package_item,
    toc_tree,
    w3cdtf,
)
from ..writers.epub_cover import cover_alt, generate_cover
from .selection import Edition

COVER_PAGE = "cover.xhtml"
SUMMARY = (
    "This publication is an edition of several reflowable stories, grouped in sections. Its navigation "
    "document, which is also its contents page, lists the sections, their stories and each story's headings "
    "in reading order; every image has alternative text, and footnotes link to and from their references "
    "within their own story. Text can be resized and restyled by the reading system."
)


def edition_identifier(edition: Edition) -> str:
    """A UUID derived from the edition's slug (and the site's address): the
    same for every issue of "the daily"."""
    site = edition.site
    key = site.absolute(f"editions/{edition.spec.slug}") or f"storyexport:edition:{edition.spec.slug}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}"


def cover_article(edition: Edition) -> Article:
    """What the drawn cover shows, as the cover painter takes it: the
    edition's title, its date, its publisher and its top headlines (as the
    dek, joined by bullets); no byline."""
    a = edition.as_article()
    lang = edition.language.split("-")[0].lower()
    top = edition.top_stories()
    # one font draws the cover's dek: only headlines in the edition's language (else the first)
    same = [e.article.meta.title for e in top if e.article.meta.language.split("-")[0].lower() == lang]
    dek = " • ".join(same or [e.article.meta.title for e in top[:1]])
    return replace(a, meta=replace(a.meta, subtitle=dek, authors=()))


def _metadata(book: epub.EpubBook, edition: Edition) -> None:
    spec = edition.spec
    book.set_identifier(edition_identifier(edition))
    book.set_title(spec.title)
    book.set_language(edition.language)
    authors = dict.fromkeys(a.name for e in edition.entries for a in e.article.meta.authors)
    for i, name in enumerate(authors, 1):
        book.add_author(name, role="aut", uid=f"creator{i}")
    for name, value in (("publisher", edition.publisher), ("date", w3cdtf(edition.date)),
                        ("description", spec.description)):
        if value:
            book.add_metadata("DC", name, value)
    for section in edition.sections:
        book.add_metadata("DC", "subject", section.name)
    accessibility_metadata(book, SUMMARY)


def render_epub(edition: Edition, writer: EpubWriter, ctx: RenderContext) -> bytes:
    """The edition's EPUB: cover, contents (the navigation document), then
    one page per story, section by section."""
    lang, title = edition.language, edition.spec.title
    pages: list[tuple[str, bytes]] = []  # (file name, XHTML)
    images: list[tuple[str, Asset]] = []
    toc: list[TocEntry] = []
    for section in edition.sections:
        stories: list[TocEntry] = []
        for entry in section.entries:
            a = entry.article
            names = {k: f"images/{entry.key}-{v}" for k, v in asset_names(a.assets).items()}
            used: dict[str, Asset] = {}

            def image_url(asset: Asset, names: dict[str, str] = names, used: dict[str, Asset] = used) -> str:
                used[asset.key] = asset
                return names[asset.key]

            name = f"{entry.key}.xhtml"
            content, ids = writer.content(a, ctx, image_url, id_prefix=f"{entry.key}-")
            pages.append((name, content))
            # the renderer asks for the story's cover too, which only a one-story book shows
            images += [(names[k], asset) for k, asset in used.items() if names[k].encode() in content]
            stories.append(toc_tree(a, ids, name, f"{entry.key}-"))
        toc.append(TocEntry(section.name, stories[0].href, stories))

    drawn = cover_article(edition)
    png = generate_cover(drawn, writer.theme)
    cover_doc = cover_document(lang, "ltr", title, cover_alt(drawn), GENERATED_COVER, *image_size(png))
    label = COVER_LABEL.get(lang.split("-")[0].lower(), COVER_LABEL["en"])
    nav_doc = navigation(lang, "ltr", title, toc, [("cover", COVER_PAGE, label), ("toc", NAV, title),
                                                   ("bodymatter", pages[0][0], toc[0].children[0].title)])
    book = epub.EpubBook()
    _metadata(book, edition)
    writer.add_style(book, cover_doc, nav_doc, *(doc for _name, doc in pages))
    book.add_item(package_item("cover-image", GENERATED_COVER, "image/png", png, epub.EpubCover))
    for i, (name, asset) in enumerate(images, 1):
        add_image(book, ctx, asset, name, f"image-{i}", False)
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})  # for EPUB 2 readers
    cover_item = book.add_item(package_item("cover-page", COVER_PAGE, "application/xhtml+xml", cover_doc))
    nav_item = book.add_item(package_item("nav", NAV, "application/xhtml+xml", nav_doc))
    nav_item.properties = ["nav"]
    story_items = [book.add_item(package_item(f"story-{name[:-6]}", name, "application/xhtml+xml", doc))
                   for name, doc in pages]
    book.add_item(epub.EpubNcx(uid="ncx", file_name=NCX))
    counter = [0]
    book.toc = [ncx_toc(s, counter) for s in toc]
    book.spine = [cover_item, nav_item, *story_items]
    book.guide = [{"href": COVER_PAGE, "title": label, "type": "cover"},
                  {"href": NAV, "title": title, "type": "toc"},
                  {"href": pages[0][0], "title": toc[0].children[0].title, "type": "text"}]
    return package(book, edition.modified, lang, False)
