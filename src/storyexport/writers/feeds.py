"""Feeds over the whole collection: RSS 2.0 and Atom 1.0 (feedgen) and
JSON Feed 1.1 (by hand, it is just JSON).

The three writers share one helper layer so they cannot disagree: the items
(selection, order, ids, links, dates, authors, tags, summary and sanitised
full-text HTML) are digested once per article from the model by
:func:`item_digest` (the build keeps digests between runs, so one changed
story is the only one digested again), planned by :func:`collect_items`, the
documents (current feed, RFC 5005 archive pages, per-tag feeds) are planned by
:func:`documents`, and each writer only serialises a :class:`Document`.

Why the choices:

* ids are ``urn:uuid`` (uuid5 of the item's canonical link, or of its first
  alias, its old address, so a renamed source keeps its id; an ``id`` in the
  front matter wins), so they survive rebuilds and title edits and are the
  same in all three formats;
* an RSS item's ``<author>`` must be an email address and may not sit beside
  ``dc:creator`` (the W3C validator warns), and readers such as newsboat show
  only one ``dc:creator``: one author with an email is ``<author>``, anything
  else one ``dc:creator`` naming every author (Atom and JSON Feed list them);
* tag feeds live in a folder named by the tag itself (Unicode kept, made
  file-name-safe, as Hugo does) and their URLs percent-encode it;
* dates come from the model only (the newest ``modified`` date of the
  document's items), never from the clock, so two builds are byte-identical;
* content HTML is rendered from the model by the shared renderer (so it holds
  no script), then passed through ``nh3`` with an allowlist as defence in
  depth; relative URLs and footnote anchors are made absolute against the
  item's link, since a feed reader shows the item far from its page;
* images are published beside the feeds under ``media/`` and referenced by
  absolute URL, so the feeds work when the output folder is served at
  ``base_url``.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from hashlib import sha256
from typing import Any, ClassVar, Literal
from urllib.parse import quote, urlsplit

import nh3
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from .. import __version__
from .. import model as m
from ..config import Site
from ..errors import ConfigError, DigestError, WriterError
from ..urls import MEDIA_DIR, media_url, page_url, site_url, split_url, story_place, tag_folder
from ..webmeta import summary_text
from ..xhtml import HtmlOptions, render_fragment
from . import Collection, Keyed, RenderContext, SharedKey, Siblings, Writer
from .feeds_archive import FH_NS, Page, paginate

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
JSONFEED_VERSION = "https://jsonfeed.org/version/1.1"
GENERATOR = f"storyexport {__version__}"

# Characters XML 1.0 cannot carry (and lone surrogates); readers already
# remove them, but a model built another way must not break a feed.
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")

# What the shared renderer emits, and nothing else.
_TAGS = {"div", "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "figure", "figcaption",
         "img", "table", "caption", "thead", "tbody", "tr", "th", "td", "pre", "code", "hr", "br", "em",
         "strong", "del", "sup", "sub", "a", "section", "dl", "dt", "dd"}
_ATTRIBUTES = {"div": {"dir", "lang"}, "a": {"href", "title"}, "img": {"src", "alt", "width", "height", "title"},
               "ol": {"start"}, "th": {"scope", "style"}, "td": {"style"}}
_URL_SCHEMES = {"http", "https", "mailto"}


# ----------------------------------------------------------------- the items


@dataclass(frozen=True, slots=True)
class Enclosure:
    url: str
    media_type: str
    length: int


@dataclass(frozen=True, slots=True)
class Item:
    """One story as every feed format sees it: plain values, already cleaned.
    The full text is fetched on demand (``content_html``), so the items of a
    large archive can all be planned without holding every story's text."""

    slug: str
    id: str
    link: str
    title: str
    published: datetime
    updated: datetime
    authors: tuple[m.Author, ...]
    tags: tuple[str, ...]
    summary: str  # plain text
    language: str
    image: str = ""  # absolute URL of the cover image, if any
    enclosures: tuple[Enclosure, ...] = ()
    source: str = ""  # the article's source file, for diagnostics
    fingerprint: str = ""  # hash of the digest the item comes from: keys the documents that hold it
    content: Callable[[], str] = field(default=str, compare=False, repr=False)

    @property
    def content_html(self) -> str:
        return self.content()


@dataclass
class Media:
    """Images the feed content references, published under ``media/``:
    their output path and the source file each is copied from."""

    site: Site
    files: dict[str, str] = field(default_factory=dict)

    def url(self, asset: m.Asset) -> str:
        self.files.setdefault(f"{MEDIA_DIR}/{asset.key}", asset.path)
        return media_url(self.site, asset.key)


def require_base_url(site: Site) -> None:
    """Feeds are read far from the site: every URL in them must be absolute."""
    if not site.base_url:
        raise ConfigError("feeds need [site] base_url in storyexport.toml", path=site.config_path or "storyexport.toml")


def aware(d: datetime) -> datetime:
    """feedgen rejects naive datetimes; the readers never produce them, but a
    model built by hand might: read them as UTC."""
    return d if d.tzinfo is not None else d.replace(tzinfo=UTC)


def clean_text(text: str, article: m.Article, ctx: RenderContext, what: str) -> str:
    """``text`` without the characters XML cannot carry, with a located warning."""
    if not _INVALID.search(text):
        return text
    bad = sorted({f"U+{ord(c):04X}" for c in _INVALID.findall(text)})
    ctx.warn(article, f"feeds: {what} of {article.meta.slug!r}: removed control or invalid characters "
                      f"{', '.join(bad[:5])}", "feeds.characters")
    return _INVALID.sub("", text)


def item_link(meta: m.Meta, site: Site) -> str:
    """The story's page: its canonical URL, else its web page's address
    (see :mod:`storyexport.urls`)."""
    return meta.canonical_url or page_url(story_place(meta, site), site)


def item_id(link: str) -> str:
    """A stable id that is not a link (so ``isPermaLink="false"``)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, link).urn


def story_id(meta: m.Meta, link: str, site: Site) -> str:
    """The story's feed id: its ``id`` (as given when it is an IRI), else
    made from its first alias (the address it had before a rename), else
    from its link."""
    if meta.id:
        parts = split_url(meta.id)  # an IRI is used as it is; anything else, even unreadable, is quoted
        return meta.id if parts is not None and parts.scheme else item_id(site.absolute(f"#id={quote(meta.id)}"))
    return item_id(site.absolute(meta.aliases[0]) if meta.aliases else link)




def content_html(article: m.Article, ctx: RenderContext, link: str, media: Media) -> str:
    """The article body and footnotes as sanitised HTML with absolute URLs."""
    raw = render_fragment(article, HtmlOptions(image_url=media.url, footnotes="endnotes"))
    raw = clean_text(raw, article, ctx, "content")  # before nh3, which drops some silently
    if article.meta.direction == "rtl":  # feed readers know nothing of the page's dir attribute
        raw = f'<div dir="rtl" lang="{html.escape(article.meta.language)}">{raw}</div>'
    # Without base_url there is no absolute link (and no feed: rendering the
    # digests stops with one error), so there is nothing to rewrite against.
    rewrite: tuple[Literal["rewrite_with_base"], str] | None = (
        ("rewrite_with_base", link) if urlsplit(link).scheme else None)
    return nh3.clean(raw, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=_URL_SCHEMES,
                     filter_style_properties={"text-align"}, url_relative=rewrite)


DIGEST_VERSION = 3


def item_digest(article: m.Article, ctx: RenderContext, site: Site) -> dict[str, Any]:
    """Everything the feeds need of one story, as JSON-ready data (no
    enclosures: those depend on the other formats' files, known at the end)."""
    meta = article.meta
    where = story_place(meta, site)
    link = meta.canonical_url or page_url(where, site)
    media = Media(site)
    cover = article.asset(meta.cover) if meta.cover else None
    published = aware(meta.published)
    digest: dict[str, Any] = {
        "v": DIGEST_VERSION,
        "source": article.source_path,
        "slug": meta.slug,
        "id": story_id(meta, link, site),
        "link": link,
        "title": clean_text(meta.title, article, ctx, "title"),
        "published": published.isoformat(),
        "updated": max(aware(meta.modified), published).isoformat(),
        "authors": [[clean_text(a.name, article, ctx, "author"), a.email, a.url]
                    for a in meta.authors if a.name.strip()],
        "tags": list(dict.fromkeys(t for t in (clean_text(t, article, ctx, "tag").strip() for t in meta.tags) if t)),
        "summary": clean_text(summary_text(article), article, ctx, "summary"),
        "content_html": content_html(article, ctx, link, media),
        "language": meta.language or site.language,
        "image": media.url(cover) if cover else "",
        # for the site pages (same family): the dek, the page's place, the old addresses
        "dek": clean_text(meta.subtitle, article, ctx, "subtitle"),
        "place": [where.folder, where.page, where.downloads],
        "aliases": [a for a in meta.aliases if a.strip()],
        "undated": meta.undated,
    }
    digest["media"] = media.files
    return digest


def _strs(value: Any, n: int | None = None) -> tuple[str, ...]:
    """A list of strings from a digest (of ``n`` of them), or ``TypeError``."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or n not in (None, len(value)):
        raise TypeError(f"expected a list of {n or ''} strings, got {value!r:.60}")
    return tuple(value)


def item_from_digest(d: Mapping[str, Any], siblings: Siblings, site: Site, content: Callable[[], str],
                     fingerprint: str = "") -> Item:
    """The item a digest describes, its types checked: a digest is data from
    the cache on disk (``KeyError``, ``TypeError`` or ``ValueError`` if it is
    not what :func:`item_digest` writes)."""
    if d.get("v") != DIGEST_VERSION:
        raise ValueError(f"version {d.get('v')!r}, expected {DIGEST_VERSION}")
    for k in ("source", "slug", "id", "link", "title", "published", "updated", "summary", "content_html",
              "language", "image"):
        if not isinstance(d[k], str):
            raise TypeError(f"{k}: not a string")
    if not isinstance(d["media"], dict):
        raise TypeError("media: not an object")
    _strs([*d["media"], *d["media"].values()])
    authors = [m.Author(*_strs(a, 3)) for a in d["authors"]]
    return Item(
        slug=d["slug"], id=d["id"], link=d["link"], title=d["title"],
        published=datetime.fromisoformat(d["published"]), updated=datetime.fromisoformat(d["updated"]),
        authors=tuple(authors), tags=_strs(d["tags"]), summary=d["summary"],
        language=d["language"], image=d["image"],
        # least preferred first: RSS allows one per item and feedgen keeps the last
        enclosures=tuple(Enclosure(site_url(site, o.path), o.media_type, o.length)
                         for o in siblings.enclosures(d["slug"])),
        source=d["source"], fingerprint=fingerprint, content=content)


def newest_first(items: Iterable[Item]) -> list[Item]:
    """Newest publication first; equal dates in slug order, so output is stable."""
    by_slug = sorted(items, key=lambda i: i.slug)
    return sorted(by_slug, key=lambda i: i.published, reverse=True)


def _content_of(digests: Sequence[Mapping[str, Any]], i: int) -> str:
    return str(digests[i]["content_html"])


def collect_items(digests: Sequence[Mapping[str, Any]], ctx: RenderContext, site: Site, siblings: Siblings
                  ) -> tuple[list[Item], dict[str, str]]:
    """Every story as a feed item, newest first, and the images they use.
    Items keep no text: each fetches its digest's content when serialised.
    Two stories with one link would share an id and readers would show only
    one: say so."""
    items: list[Item] = []
    media: dict[str, str] = {}
    owner: dict[str, str] = {}
    for i, d in enumerate(digests):
        try:
            fingerprint = sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()
            item = item_from_digest(d, siblings, site, partial(_content_of, digests, i), fingerprint)
        except (KeyError, TypeError, ValueError) as e:  # not what item_digest writes: a damaged cache
            raise DigestError(f"feeds: unusable item digest ({type(e).__name__}: {e})", i) from None
        if owner.setdefault(item.id, item.slug) != item.slug:
            ctx.diagnostics.warn(item.source, None, f"feeds: {item.slug!r} has the same link as "
                                 f"{owner[item.id]!r} ({item.link}); feed readers will show only one of them",
                                 "feeds.link")
        for rel, path in d["media"].items():
            media.setdefault(rel, path)
        items.append(item)
    return newest_first(items), media


# Every story as a feed item and the images they use: planned once per export
# (see feed_items), shared by RSS, Atom, JSON Feed and the site's pages.
FEED_ITEMS: SharedKey[tuple[list[Item], dict[str, str]]] = SharedKey("storyexport.feeds items")


def feed_items(digests: Sequence[Mapping[str, Any]], ctx: RenderContext, site: Site, collection: Collection
               ) -> tuple[list[Item], dict[str, str]]:
    """:func:`collect_items` once per export, whichever writer asks first."""
    return collection.shared.get(FEED_ITEMS, lambda: collect_items(digests, ctx, site, collection.siblings))


# ------------------------------------------------------------- the documents


@dataclass(frozen=True)
class Channel:
    """Feed-level metadata of one logical feed (the site, or one tag)."""

    title: str
    description: str
    home: str
    language: str
    author: m.Author
    logo: str
    prefix: str  # folder of this feed's documents ("" or "tags/<slug>/")


@dataclass(frozen=True)
class Document:
    """One feed file, ready to serialise in any of the three formats."""

    channel: Channel
    items: tuple[Item, ...]
    path: str  # relative to the output folder
    self_url: str
    feed_url: str  # the subscription document: the logical feed's id
    links: tuple[tuple[str, str], ...]  # (rel, absolute URL): RFC 5005 relations
    archive: bool
    updated: datetime

    def link(self, rel: str) -> str | None:
        return next((u for r, u in self.links if r == rel), None)


def site_channel(site: Site) -> Channel:
    author = m.Author(site.author or site.publisher or site.title, site.author_email)
    return Channel(site.title, site.description or site.title, site.base_url, site.language, author,
                   site.absolute(site.logo) if site.logo else "", "")


def feed_sets(items: list[Item], site: Site) -> list[tuple[Channel, list[Item]]]:
    """The site feed, then one feed per tag (tags that slugify alike merge)."""
    main = site_channel(site)
    spellings: dict[str, set[str]] = {}
    tagged: dict[str, list[Item]] = {}  # tag slug -> its items, in the order of ``items``
    for item in items:
        slugs = dict.fromkeys(tag_folder(t) for t in item.tags)  # once per item, however many spellings
        for t in item.tags:
            spellings.setdefault(tag_folder(t), set()).add(t)
        for slug in slugs:
            tagged.setdefault(slug, []).append(item)
    out = [(main, items)]
    for slug in sorted(spellings):
        label = min(spellings[slug])
        subset = tagged[slug]
        ch = replace(main, title=f"{site.title}: {label}", description=f"{site.title}: stories tagged {label}",
                     prefix=f"tags/{slug}/")
        out.append((ch, subset))
    return out


def fallback_date(site: Site) -> datetime:
    """``updated`` of a feed with no items: the build's epoch, never the clock."""
    return datetime.fromtimestamp(site.source_date_epoch or 0, UTC)


def documents(items: list[Item], site: Site, subscription: str, archive_stem: str, ext: str) -> list[Document]:
    """Every file of one format: current feed and archive pages, site and tags."""
    out: list[Document] = []
    for channel, subset in feed_sets(items, site):
        current = channel.prefix + subscription
        newest = max((i.updated for i in subset), default=fallback_date(site))

        def archive_path(n: int, p: str = channel.prefix) -> str:
            return f"{p}archive/{archive_stem}-{n}.{ext}"

        pages: list[Page[Item]] = paginate(subset, site.feed_limit, current, archive_path)
        for page in pages:
            updated = max((i.updated for i in page.items), default=newest) if page.archive else newest
            out.append(Document(channel, page.items, page.path, site_url(site, page.path), site_url(site, current),
                                tuple((rel, site_url(site, p)) for rel, p in page.links), page.archive, updated))
    return out


def document_key(doc: Document) -> str:
    """A hash of everything a feed document is made from (its channel,
    place, links and date, and each item's digest and enclosures); the
    format's code, theme and site settings are keyed by the build."""
    parts = (repr(doc.channel), doc.path, doc.self_url, doc.feed_url, repr(doc.links), doc.archive,
             doc.updated.isoformat(), [(i.fingerprint, repr(i.enclosures)) for i in doc.items])
    return sha256(json.dumps(parts).encode()).hexdigest()


# ------------------------------------------------------------------- writers


class FeedWriter(Writer):
    """What the three feed writers share: checks, items, documents, media."""

    scope = "collection"
    version = "1"
    libraries = ("feedgen", "lxml", "nh3", "Jinja2", "MarkupSafe", "python-dateutil")
    subscription: ClassVar[str]  # the subscription document; archive pages are archive/<name>-N.<ext>

    digest_family = "storyexport.feeds"

    def digest(self, article: m.Article, ctx: RenderContext) -> dict[str, Any]:
        return item_digest(article, ctx, self.site)

    def render_digests(self, digests: Sequence[Mapping[str, Any]], ctx: RenderContext, collection: Collection
                       ) -> Iterator[tuple[str, bytes | Keyed]]:
        """Feed files one at a time (the build writes each as it comes). The
        items are planned once per export and shared by the feed writers."""
        require_base_url(self.site)
        items, media = feed_items(digests, ctx, self.site, collection)
        previous = collection.previous
        for doc in documents(items, self.site, self.subscription, self.name, self.extension):
            doc_key = document_key(doc)
            # an archive page of old stories is the same file as last time: not made again
            yield doc.path, Keyed(doc_key, None if previous.get(doc.path) == doc_key else self.serialize(doc))
        for rel in sorted(media):
            try:
                yield rel, ctx.file_bytes(media[rel])
            except OSError as e:  # vetted by the reader, but gone (or moved out of the tree) since
                raise WriterError(f"feeds: image {rel.removeprefix(MEDIA_DIR + '/')!r} could not be read: "
                                  f"{e.strerror or e}", media[rel]) from e

    def serialize(self, doc: Document) -> bytes:
        raise NotImplementedError


# feedgen extensions: what feedgen does not write itself ------------------


class _ChannelExtension(BaseExtension):
    """RFC 5005 links and ``fh:archive`` (Atom, and RSS per its appendix B)."""

    kind: Literal["rss", "atom"] = "atom"
    links: tuple[tuple[str, str], ...] = ()
    archive: bool = False
    self_type: str = ""

    def extend_ns(self) -> dict[str, str]:
        ns = {"fh": FH_NS} if self.archive else {}
        return {**ns, "dc": DC_NS} if self.kind == "rss" else ns

    def _extend(self, parent: etree._Element, link_tag: str) -> None:
        for rel, href in self.links:
            etree.SubElement(parent, link_tag, rel=rel, href=href, type=self.self_type)
        if self.archive:
            etree.SubElement(parent, f"{{{FH_NS}}}archive")

    def extend_rss(self, feed: etree._Element) -> etree._Element:
        self._extend(feed.find("channel"), f"{{{ATOM_NS}}}link")
        return feed

    def extend_atom(self, feed: etree._Element) -> etree._Element:
        self._extend(feed, "link")  # feedgen writes Atom without a namespace prefix
        return feed


class _ItemExtension(BaseEntryExtension):
    """``dc:creator`` (see the module's notes) and ``atom:updated`` in RSS;
    in Atom, ``xml:lang`` when the entry's language differs from the feed's,
    and the entry's links (feedgen 1.0 drops their rel, type and length, which
    would turn every enclosure into an alternate link)."""

    creators: tuple[str, ...] = ()
    updated: datetime | None = None
    lang: str = ""
    links: tuple[dict[str, str], ...] = ()

    def extend_rss(self, item: etree._Element) -> etree._Element:
        for name in self.creators:
            etree.SubElement(item, f"{{{DC_NS}}}creator").text = name
        if self.updated is not None:
            etree.SubElement(item, f"{{{ATOM_NS}}}updated").text = self.updated.isoformat()
        return item

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        if self.lang:
            entry.set(XML_LANG, self.lang)
        for broken in entry.findall("link"):
            entry.remove(broken)
        for attrs in self.links:
            etree.SubElement(entry, "link", attrs)
        return entry


def feedgen_document(doc: Document, kind: Literal["rss", "atom"], self_type: str) -> FeedGenerator:
    """A FeedGenerator for one document; RSS and Atom differ only in how the
    summary is escaped (RSS descriptions are read as HTML, Atom's as text)."""
    ch = doc.channel
    fg = FeedGenerator()
    fg.register_extension("sx", _ChannelExtension, _ItemExtension)
    fg.sx.kind, fg.sx.links, fg.sx.archive, fg.sx.self_type = kind, doc.links, doc.archive, self_type
    fg.id(doc.feed_url)
    fg.title(ch.title)
    fg.description(ch.description)
    fg.author({"name": ch.author.name, **({"email": ch.author.email} if ch.author.email else {})})
    if ch.author.email:
        fg.managingEditor(f"{ch.author.email} ({ch.author.name})")
    fg.link(href=doc.self_url, rel="self", type=self_type)
    fg.link(href=ch.home, rel="alternate", type="text/html")  # last: feedgen's RSS <link>
    fg.language(ch.language)
    fg.generator(GENERATOR, version=__version__)
    if ch.logo:
        fg.logo(ch.logo)
        fg.image(url=ch.logo, title=ch.title, link=ch.home)
    fg.updated(doc.updated)
    if doc.items:
        fg.pubDate(max(i.published for i in doc.items))
    for item in doc.items:
        fe = fg.add_entry(order="append")
        fe.id(item.id)
        fe.title(item.title)
        links = ({"href": item.link, "rel": "alternate", "type": "text/html"},
                 *({"href": e.url, "rel": "enclosure", "type": e.media_type, "length": str(e.length)}
                   for e in item.enclosures))
        fe.link(list(links))  # RSS: <link> and the last enclosure; Atom: see _ItemExtension
        fe.published(item.published)
        fe.updated(item.updated)
        creator = kind == "rss" and not (len(item.authors) == 1 and item.authors[0].email)
        for a in () if creator else item.authors:
            fe.author({k: v for k, v in (("name", a.name), ("email", a.email), ("uri", a.url)) if v})
        for t in item.tags:
            fe.category(term=t)
        if item.summary:
            fe.summary(html.escape(item.summary, quote=False) if kind == "rss" else item.summary)
        fe.content(item.content_html, type="html")
        fe.sx.links = links
        fe.sx.creators = (", ".join(a.name for a in item.authors),) if creator and item.authors else ()
        fe.sx.updated = item.updated
        fe.sx.lang = item.language if item.language != ch.language else ""
    return fg


class FeedgenWriter(FeedWriter):
    """RSS and Atom: one feedgen document, two serialisations."""

    extension = "xml"

    def serialize(self, doc: Document) -> bytes:
        rss = self.name == "rss"
        fg = feedgen_document(doc, "rss" if rss else "atom", self.media_type)
        return bytes(fg.rss_str(pretty=True) if rss else fg.atom_str(pretty=True))


class RssWriter(FeedgenWriter):
    name = "rss"
    media_type = "application/rss+xml"
    description = "RSS 2.0 feed: full text, RFC 5005 archive, per tag"
    subscription = "feed.xml"
    label = "RSS"


class AtomWriter(FeedgenWriter):
    name = "atom"
    media_type = "application/atom+xml"
    description = "Atom 1.0 feed: full text, RFC 5005 archive, per tag"
    subscription = "atom.xml"
    label = "Atom"


def _json_author(a: m.Author) -> dict[str, str]:
    url = a.url or (f"mailto:{a.email}" if a.email else "")
    return {"name": a.name, **({"url": url} if url else {})}


def _json_item(item: Item) -> dict[str, object]:
    out: dict[str, object] = {
        "id": item.id,
        "url": item.link,
        "title": item.title,
        "content_html": item.content_html,
        "summary": item.summary,
        "date_published": item.published.isoformat(),
        "date_modified": item.updated.isoformat(),
        "language": item.language,
    }
    if item.image:
        out["image"] = item.image
    if item.authors:
        out["authors"] = [_json_author(a) for a in item.authors]
    if item.tags:
        out["tags"] = list(item.tags)
    if item.enclosures:
        out["attachments"] = [{"url": e.url, "mime_type": e.media_type, "size_in_bytes": e.length}
                              for e in item.enclosures]
    return out


class JsonFeedWriter(FeedWriter):
    """JSON Feed 1.1. It has no archive relation; ``next_url`` pages from the
    current feed through the same stable archive pages, newest first."""

    name = "jsonfeed"
    extension = "json"
    media_type = "application/feed+json"
    description = "JSON Feed 1.1 of all stories (full text, paged, per tag)"
    subscription = "feed.json"
    label = "JSON Feed"

    def serialize(self, doc: Document) -> bytes:
        ch = doc.channel
        feed: dict[str, object] = {
            "version": JSONFEED_VERSION,
            "title": ch.title,
            "home_page_url": ch.home,
            "feed_url": doc.self_url,
            "description": ch.description,
            "language": ch.language,
            "authors": [_json_author(ch.author)],
        }
        if ch.logo:
            feed["icon"] = ch.logo
        older = doc.link("prev-archive")
        if older:
            feed["next_url"] = older
        feed["items"] = [_json_item(i) for i in doc.items]
        return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


__all__ = ["AtomWriter", "Document", "FeedWriter", "Item", "JsonFeedWriter", "RssWriter", "collect_items",
           "documents", "item_digest", "item_id", "summary_text"]
