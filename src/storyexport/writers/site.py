"""The site around the stories: ``index.html`` (newest first, in pages),
one page per tag, ``sitemap.xml`` and a redirect page for each old address
(``aliases``, ``redirect_from``), so ``dist/`` is a site a static host
serves as it is.

The pages come from the theme's templates through the same Jinja2
environment as the story pages, and from the feeds' digests (the same
family, so nothing is parsed twice): each story's title, dek, byline, date
and summary, its place (:mod:`storyexport.urls`) and, through the build's
outputs and the writer registry, its downloads with their sizes. Links
between pages are relative, so the site works under any folder of any host;
canonical links, the sitemap and redirect targets' canonical addresses are
absolute.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote

from lxml import etree

from .. import model as m
from ..errors import DigestError
from ..i18n import format_date, join_names, labels
from ..urls import Place, is_place, page_url, path_place, site_url, tag_folder
from ..webmeta import feed_links
from ..xhtml import environment
from . import Collection, Download, Keyed, RenderContext, Siblings, Writer
from .feeds import feed_items, feed_sets, item_digest, require_base_url
from .html import THEME_DIR

PER_PAGE = 20  # stories per index page
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


@dataclass(frozen=True)
class Entry:
    """One story as the site pages show it."""

    slug: str
    source: str
    title: str
    dek: str
    byline: str
    published: datetime
    date: str  # in the story's language
    language: str
    summary: str
    place: Place
    tags: tuple[str, ...]
    aliases: tuple[str, ...]
    downloads: tuple[Download, ...]


def human_size(n: int) -> str:
    """``12 KB``, ``1.4 MB``: what a reader needs to decide to download."""
    if n < 1024 * 1024:
        return f"{max(1, round(n / 1024))} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def _entry(d: Mapping[str, Any], siblings: Siblings) -> Entry:
    if not (isinstance(d["place"], list) and len(d["place"]) == 3 and is_place(*d["place"])):
        raise TypeError(f"place: not a place a story may take: {d['place']!r:.60}")
    where = Place(*d["place"])
    lang = d["language"]
    summary = " ".join(d["summary"].split())
    return Entry(d["slug"], d["source"], d["title"], d["dek"], join_names([a[0] for a in d["authors"]], lang),
                 datetime.fromisoformat(d["published"]),
                 "" if d["undated"] is True else format_date(datetime.fromisoformat(d["published"]), lang),
                 lang, "" if summary == " ".join(d["dek"].split()) else summary, where, tuple(d["tags"]),
                 tuple(a for a in d["aliases"] if isinstance(a, str)),
                 siblings.downloads(d["slug"]))


class SiteWriter(Writer):
    """index.html, tag pages, sitemap.xml and redirect pages."""

    name = "site"
    extension = "html"
    media_type = "text/html"
    scope = "collection"
    version = "1"
    description = "the site: index pages, a page per tag, sitemap.xml, redirects from old addresses"
    libraries = ("lxml", "nh3", "Jinja2", "MarkupSafe")
    digest_family = "storyexport.feeds"
    links_formats = True
    label: ClassVar[str] = "site"

    def digest(self, article: m.Article, ctx: RenderContext) -> dict[str, Any]:
        return item_digest(article, ctx, self.site)

    def render_digests(self, digests: Sequence[Mapping[str, Any]], ctx: RenderContext, collection: Collection
                       ) -> Iterator[tuple[str, bytes | Keyed]]:
        """Every page, keyed by its bytes: one that comes out as it was is
        kept, not written again (so a server's validators stay the same)."""
        for path, data in self._pages(digests, ctx, collection):
            key = hashlib.sha256(data).hexdigest()
            yield path, Keyed(key, None if collection.previous.get(path) == key else data)

    def _pages(self, digests: Sequence[Mapping[str, Any]], ctx: RenderContext, collection: Collection
               ) -> Iterator[tuple[str, bytes]]:
        require_base_url(self.site)
        items, _media = feed_items(digests, ctx, self.site, collection)  # each digest checked, newest first
        by_slug: dict[str, Entry] = {}
        for i, d in enumerate(digests):
            try:
                by_slug[d["slug"]] = _entry(d, collection.siblings)
            except (KeyError, TypeError, ValueError) as e:  # not what item_digest writes: a damaged cache
                raise DigestError(f"site: unusable item digest ({type(e).__name__}: {e})", i) from None
        entries = [by_slug[item.slug] for item in items]
        pages = [entries[i:i + PER_PAGE] for i in range(0, len(entries), PER_PAGE)] or [[]]
        for n, group in enumerate(pages, 1):
            yield self._index_path(n), self._listing(group, self._index_path(n), self.site.title, "", n, len(pages),
                                                     ctx.formats)
        tags = feed_sets(items, self.site)[1:]  # grouped and named as the tag feeds are
        for channel, subset in tags:
            path = f"{channel.prefix}index.html"
            yield path, self._listing([by_slug[i.slug] for i in subset], path, channel.title, channel.prefix, 1, 1,
                                      ctx.formats)
        yield "sitemap.xml", self._sitemap(entries, len(pages), [channel.prefix for channel, _ in tags])
        yield from self._redirects(entries, ctx, collection.siblings)

    @staticmethod
    def _index_path(n: int) -> str:
        return "index.html" if n == 1 else f"page/{n}/index.html"

    def _listing(self, group: list[Entry], path: str, title: str, feeds_prefix: str, n: int, total: int,
                 formats: tuple[str, ...]) -> bytes:
        """One index or tag page."""
        here = Place(path.rsplit("/", 1)[0] + "/" if "/" in path else "", "index.html")
        up = here.up
        stories = [{
            "e": e, "href": up + quote(e.place.url_path or "./"),
            "dir": "rtl" if e.language.split("-")[0].lower() in m.RTL_LANGUAGES else "ltr",
            "downloads": [(d.label, up + quote(d.path), human_size(d.length)) for d in e.downloads],
            "tags": [(t, f"{up}tags/{quote(tag_folder(t))}/") for t in dict.fromkeys(e.tags)],
        } for e in group]
        feeds = feed_links(formats, self.site, up)
        if feeds_prefix:
            feeds = feed_links(formats, self.site, up, feeds_prefix, title) + feeds
        lang = self.site.language
        html = environment(self.theme).get_template("index.html.j2").render(
            site=self.site, title=title, stories=stories, lang=lang, L=labels(lang),
            direction="rtl" if lang.split("-")[0] in m.RTL_LANGUAGES else "ltr",
            canonical=site_url(self.site, here.url_path), feeds=feeds, css=f"{up}{THEME_DIR}/screen.css",
            home=up or "./", page=n, pages=total,
            newer=(up + quote(self._index_path(n - 1).removesuffix("index.html")) or "./") if n > 1 else "",
            older=up + quote(self._index_path(n + 1).removesuffix("index.html")) if n < total else "")
        return html.encode("utf-8")

    def _sitemap(self, entries: list[Entry], pages: int, tags: list[str]) -> bytes:
        """Every page a search engine should know, absolute, with the story's date."""
        root = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS})

        def url(loc: str, lastmod: datetime | None = None) -> None:
            u = etree.SubElement(root, f"{{{SITEMAP_NS}}}url")
            etree.SubElement(u, f"{{{SITEMAP_NS}}}loc").text = loc
            if lastmod is not None:
                etree.SubElement(u, f"{{{SITEMAP_NS}}}lastmod").text = lastmod.isoformat()

        for n in range(1, pages + 1):
            url(site_url(self.site, self._index_path(n).removesuffix("index.html")))
        for e in entries:
            url(page_url(e.place, self.site), e.published if e.date else None)  # undated: no lastmod
        for prefix in tags:
            url(site_url(self.site, prefix))
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))

    def _redirects(self, entries: list[Entry], ctx: RenderContext, siblings: Siblings) -> Iterator[tuple[str, bytes]]:
        """A page at each old address that sends readers (and search engines,
        through rel=canonical) to the story; never over another file."""
        taken = set(siblings.paths())
        tmpl = environment(self.theme).get_template("redirect.html.j2")
        for e in entries:
            for alias in e.aliases:
                old = path_place(alias if alias.startswith("/") else "/" + alias)
                if old is None or old.page_path in taken:
                    ctx.diagnostics.warn(e.source, None, f"site: alias {alias[:80]!r} of {e.slug!r} names no free "
                                                       "page of this site; no redirect page made", "site.alias")
                    continue
                taken.add(old.page_path)
                target = old.up + quote(e.place.url_path)
                yield old.page_path, tmpl.render(title=e.title, target=target, lang=e.language,
                                                 canonical=page_url(e.place, self.site)).encode("utf-8")
