"""The edition feed: RSS, Atom and JSON Feed whose items are the editions.

A reader subscribes to ``editions/feed.xml`` (or ``atom.xml``,
``feed.json``) and gets each edition as an item with its EPUB, PDF and DOCX
as enclosures: "the daily" arrives as a book. An item's id is made from the
edition's slug and date, so the next day's edition is a new item. The
documents are the feed writers' own (same channel fields, same
serialisers); they are written only when their bytes change.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

from ..model import Author
from ..urls import site_url as url_of
from ..writers.feeds import (
    AtomWriter,
    Channel,
    Document,
    Enclosure,
    FeedWriter,
    Item,
    JsonFeedWriter,
    RssWriter,
    item_id,
    site_channel,
)
from .selection import FORMATS

if TYPE_CHECKING:
    from ..engine.context import Export
    from ..engine.outputs import Outputs

FEEDS: dict[str, type[FeedWriter]] = {"rss": RssWriter, "atom": AtomWriter, "jsonfeed": JsonFeedWriter}
FOLDER = "editions/"


def _content(rec: Mapping[str, Any], files: list[Enclosure]) -> str:
    """The item's text: the edition's headlines, then its files."""
    heads = "".join(f"<li>{escape(h)}</li>" for h in rec["headlines"])
    links = "".join(f'<li><a href="{escape(e.url)}">{escape(e.url.rsplit("/", 1)[-1])}</a></li>' for e in files)
    return f"<ul>{heads}</ul>\n<ul>{links}</ul>"


def items(made: Mapping[str, Mapping[str, Any]], export: Export) -> list[Item]:
    site = export.site
    out: list[Item] = []
    for slug, rec in made.items():
        files = [Enclosure(url_of(site, f["path"]), f["media_type"], f["length"])
                 for fmt in FORMATS if (f := rec["files"].get(fmt))]
        if not files:
            continue
        published, updated = datetime.fromisoformat(rec["date"]), datetime.fromisoformat(rec["modified"])
        link = files[0].url
        out.append(Item(slug=slug, id=item_id(f"{site.absolute(FOLDER + slug)}#{published.isoformat()}"),
                        link=link, title=rec["title"], published=published, updated=updated, authors=(),
                        tags=tuple(rec["sections"]), summary=rec.get("description") or " · ".join(rec["headlines"]),
                        language=site.language, enclosures=tuple(files),
                        content=functools.partial(_content, rec, files)))
    return sorted(out, key=lambda i: (i.updated, i.slug), reverse=True)


def write_feeds(export: Export, out: Outputs, made: Mapping[str, Mapping[str, Any]]) -> None:
    """Write the edition feeds the export's formats ask for; remove them when
    there is no edition."""
    site = export.site
    kinds = [n for n in FEEDS if n in export.writer_names]
    listed = items(made, export) if site.base_url else []
    for name, cls in FEEDS.items():
        writer = cls(export.theme, site)
        rel = FOLDER + writer.subscription
        if name not in kinds or not listed:
            out.unlink(rel)
            continue
        base = site_channel(site)
        channel = Channel(f"{site.title}: editions", f"Editions of {site.title} as e-books, PDFs and DOCX files",
                          base.home, base.language, base.author if base.author.name else Author(site.title),
                          base.logo, FOLDER)
        doc = Document(channel, tuple(listed), rel, url_of(site, rel), url_of(site, rel), (), False,
                       max(i.updated for i in listed))
        data = writer.serialize(doc)
        if export.storage.read(rel) != data:
            out.write(rel, data)
