"""WordPress WXR exports (1.0 to 1.2) to stories.

The file is streamed twice with lxml's iterparse, holding one ``<item>`` at a
time: the first pass collects what posts refer to (authors, attachments,
reusable blocks, the site's UTC offset, its language), the second maps each
published post. Pages, drafts, private and trashed posts, revisions, menu
items and attachments are counted, not imported.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from urllib.parse import unquote

from lxml import etree

from ..errors import SourceError
from ..readers.dates import YEARS, in_range
from ..urls import split_url
from . import safexml
from .common import BaseImport, ImportContext, Story, html_blocks, html_text, language
from .htmlprep import prepare
from .output import front
from .wp_markup import Attachment, Shortcodes, attachment_alt, resolve

_WP_NS = re.compile(r"https?://wordpress\.org/export/")  # WordPress.com writes https
_CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
_ZERO_DATE = "0000-00-00 00:00:00"
_TAG = re.compile(r"<[^>]+>")
_PLAIN_DATE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\Z", re.ASCII)
_SKIPPED_TYPES = {"page": "pages", "revision": "revisions", "nav_menu_item": "menu items",
                  "attachment": "attachments"}
_SKIPPED_STATUS = {"draft": "drafts", "pending": "drafts", "auto-draft": "drafts", "future": "scheduled",
                   "private": "private", "trash": "trashed", "inherit": "drafts"}


@dataclass
class Item:
    """The fields of one ``<item>`` a post needs."""

    line: int | None
    fields: dict[str, str] = field(default_factory=dict)
    categories: list[tuple[str, str]] = field(default_factory=list)  # (domain, name)
    meta: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str:
        return self.fields.get(key, "")

    @property
    def id(self) -> int:
        v = self.get("post_id").strip()
        return int(v) if v.isdigit() else 0


@dataclass
class Channel:
    language: str = ""
    link: str = ""
    base_site: str = ""
    authors: dict[str, str] = field(default_factory=dict)  # login -> display name
    attachments: dict[int, Attachment] = field(default_factory=dict)
    children: dict[int, list[int]] = field(default_factory=dict)  # post id -> attachment ids
    reusable: dict[int, str] = field(default_factory=dict)
    offset: timedelta | None = None
    seen_channel: bool = False


def _field_name(ns: str, name: str) -> str:
    if _WP_NS.match(ns) and ns.rstrip("/").endswith("excerpt"):
        return "excerpt"
    return "content" if ns == _CONTENT_NS else name


def _items(path: Path, channel: Channel, full: Callable[[str], bool] = lambda kind: True) -> Iterator[Item]:
    """Every ``<item>`` of the channel as an :class:`Item`; channel-level
    fields are filled into ``channel`` as they stream past. Items whose
    post type ``full`` refuses carry only their type, all that is asked of them."""
    depth = 0
    in_channel = False  # whether the open element under the root is the channel
    for event, el in safexml.iter_events(path):
        if event == "start":
            depth += 1
            if depth == 1:
                root_tag = safexml.local(el)[1]
                if root_tag != "rss":
                    raise SourceError(f"the root element is <{root_tag}>, not <rss>: not a WordPress export",
                                      str(path), el.sourceline)
            elif depth == 2:
                in_channel = safexml.local(el)[1] == "channel"
                channel.seen_channel = channel.seen_channel or in_channel
            continue
        depth -= 1
        if depth == 2:
            if not in_channel:
                raise SourceError("no <channel> element: not a WordPress export", str(path), el.sourceline)
            ns, name = safexml.local(el)
            if name == "item":
                kind = _child_text(el, "{*}post_type").strip()
                yield _item(el) if full(kind) else Item(el.sourceline, {"post_type": kind})
            elif name == "language":
                channel.language = safexml.text(el).strip()
            elif name == "link" and not ns:
                channel.link = safexml.text(el).strip()
            elif name == "base_site_url":
                channel.base_site = safexml.text(el).strip()
            elif name == "author" and _WP_NS.match(ns):
                login = safexml.text(el.find(f"{{{ns}}}author_login")).strip()
                display = safexml.text(el.find(f"{{{ns}}}author_display_name")).strip()
                if login:
                    channel.authors[login] = html.unescape(display or login)
            safexml.release(el)
        elif depth == 1 and not channel.seen_channel:
            raise SourceError("no <channel> element: not a WordPress export", str(path), el.sourceline)
    if not channel.seen_channel:
        raise SourceError("no <channel> element: not a WordPress export", str(path), 1)


def _child_tag(tag: str) -> tuple[str, str, str]:
    """(namespace, local name, field name) of an item child's tag: a few dozen
    tags, met on every item, so the usual ones are remembered. A tag is the
    input's (a namespace may be megabytes long): only short ones are kept,
    so memory stays flat whatever the export holds."""
    if len(tag) > 200:
        return _tag_fields(tag)
    return _short_tag_fields(tag)


def _tag_fields(tag: str) -> tuple[str, str, str]:
    ns, name = safexml.local_name(tag)
    return ns, name, _field_name(ns, name)


_short_tag_fields = functools.lru_cache(maxsize=1024)(_tag_fields)


def _item(el: etree._Element) -> Item:
    item = Item(el.sourceline)
    fields = item.fields
    for child in el:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        ns, name, key = _child_tag(tag)
        if name == "category" and not ns:
            item.categories.append((child.get("domain", "category"), safexml.text(child).strip()))
        elif name == "postmeta":
            meta_key = safexml.text(child.find(f"{{{ns}}}meta_key"))
            item.meta[meta_key] = safexml.text(child.find(f"{{{ns}}}meta_value"))
        elif name != "comment":
            text = child.text
            fields[key] = "" if text is None else text
    return item


def _child_text(el: etree._Element, tag: str) -> str:
    """The text of ``el``'s first child ``tag`` (``{*}name`` for any
    namespace), or "": ``findtext`` without its path machinery, asked of
    every item twice."""
    return safexml.text(next(el.iterchildren(tag), None))


def _date(value: str) -> datetime | None:
    value = value.strip()
    if not value or value == _ZERO_DATE:
        return None
    try:
        if _PLAIN_DATE.match(value):  # as WordPress writes them; fromisoformat is ten times strptime's speed
            return datetime.fromisoformat(value)
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def _collect(path: Path, channel: Channel) -> None:
    """Pass one: what posts refer to (the rest is read only until the
    site's UTC offset is known)."""
    for item in _items(path, channel, lambda kind: kind in ("attachment", "wp_block") or channel.offset is None):
        kind = item.get("post_type").strip()
        if kind == "attachment":
            url = item.get("attachment_url").strip() or item.get("guid").strip()
            parent = item.get("post_parent").strip()
            order = item.get("menu_order").strip()
            channel.attachments[item.id] = Attachment(
                url=url, title=html.unescape(item.get("title")), caption=item.get("excerpt").strip(),
                alt=item.meta.get("_wp_attachment_image_alt", ""),
                parent=int(parent) if parent.isdigit() else 0,
                order=int(order) if order.lstrip("-").isdigit() else 0, mime=_mime(url))
            if parent.isdigit():
                channel.children.setdefault(int(parent), []).append(item.id)
        elif kind == "wp_block":
            channel.reusable[item.id] = item.get("content")
        if channel.offset is None:
            local, gmt = _date(item.get("post_date")), _date(item.get("post_date_gmt"))
            if local and gmt:
                channel.offset = local - gmt


def _mime(url: str) -> str:
    parts = split_url(url)
    ext = parts.path.rsplit(".", 1)[-1].lower() if parts is not None else ""
    return {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
            "webp": "image/webp", "mp3": "audio/mpeg", "m4a": "audio/mp4", "ogg": "audio/ogg",
            "wav": "audio/wav", "mp4": "video/mp4", "webm": "video/webm", "mov": "video/quicktime"}.get(ext, "")


@dataclass
class WordPressImport(BaseImport):
    """One WXR file to stories; ``tally`` holds what was skipped, by kind."""

    noun = "posts"
    uploads: Path | None = None

    def stories(self) -> Iterator[Story]:
        channel = Channel()
        _collect(self.path, channel)
        self.channel = channel
        self.lang = language(channel.language)
        if channel.language and not self.lang:
            self.diagnostics.warn(str(self.path), None, f"channel language {channel.language!r} is not a "
                                                        "BCP 47 tag; not used", "import.channel")
        for item in _items(self.path, Channel(), lambda kind: kind == "post"):
            kind = self._kind(item)
            if kind:
                self.tally.counts[kind] += 1
                continue
            story = self.tally.convert(partial(self._story, item))
            if story is not None:
                yield story

    def _kind(self, item: Item) -> str:
        """Why an item is not imported ("" when it is)."""
        post_type, status = item.get("post_type").strip(), item.get("status").strip()
        if post_type in _SKIPPED_TYPES:
            return _SKIPPED_TYPES[post_type]
        if post_type != "post":
            return f"other items ({post_type or 'no type'})"
        if status != "publish":
            return _SKIPPED_STATUS.get(status, f"other statuses ({status or 'none'})")
        if item.get("post_password").strip():
            return "password-protected"
        return ""

    def _published(self, item: Item, name: str) -> datetime | None:
        gmt = _date(item.get("post_date_gmt"))
        if gmt is not None:
            return self._in_range(gmt.replace(tzinfo=UTC), gmt, item, name)
        local = _date(item.get("post_date"))
        if local is None:
            return None
        offset = self.channel.offset
        if offset is None:
            self.diagnostics.warn(str(self.path), item.line, f"{name}: no GMT date and no other post shows the "
                                                             "site's UTC offset; its local date is taken as UTC",
                                                             "import.channel")
            offset = timedelta(0)
        try:
            published = (local - offset).replace(tzinfo=UTC)
        except OverflowError:  # before the year 1 or after 9999
            published = None
        return self._in_range(published, local, item, name)

    def _in_range(self, published: datetime | None, given: datetime, item: Item, name: str) -> datetime:
        """The date, if the Markdown reader takes it (see ``readers.dates.YEARS``)."""
        if published is None or not in_range(published):
            raise SourceError(f"{name}: publication date {given.isoformat(' ')} is, in UTC, outside the years "
                              f"{YEARS[0]} to {YEARS[1]}", str(self.path), item.line)
        return published

    def _story(self, item: Item) -> Story | None:
        slug = unquote(item.get("post_name").strip())
        title = html.unescape(_TAG.sub("", item.get("title"))).strip()
        name = f"post {item.id} {slug or title[:40]!r}"
        files: dict[str, Path] = {}
        ctx = ImportContext(self.path, self.site, self.diagnostics, name, base=item.get("link").strip(),
                            resolve_image=lambda src: self._upload(src, files))
        published = self._published(item, name)
        if published is None:
            raise SourceError(f"{name}: no publication date (post_date)", str(self.path), item.line)
        modified = _date(item.get("post_modified_gmt"))
        updated = modified.replace(tzinfo=UTC) if modified and modified.replace(tzinfo=UTC) > published else None
        kids = self.channel.children.get(item.id, [])
        shortcodes = Shortcodes(
            attachments=self.channel.attachments.get,
            children=lambda: sorted((self.channel.attachments[i] for i in kids), key=lambda a: a.order),
            warn=lambda msg: ctx.warn(item.line, msg, "import.markup"))
        body = resolve(item.get("content"), shortcodes, self.channel.reusable.get)
        body_html = attachment_alt(body.html, self.channel.attachments.get)
        prepared = prepare(body_html, lambda msg: ctx.warn(item.line, msg, "markup.raw_html"))
        blocks = html_blocks(prepared, ctx, item.line)
        excerpt = item.get("excerpt").strip()
        description = html_text(prepare(excerpt), ctx, item.line) if excerpt else ""
        if not description and body.teaser.strip():
            # WordPress's own excerpt of a post: its first 55 words, up to the "more" mark
            teaser = html_text(prepare(body.teaser), ctx, item.line).split()
            description = " ".join(teaser[:55]) + (" …" if len(teaser) > 55 else "")
        authors = [self.channel.authors.get(login, login) for login in [item.get("creator").strip()] if login]
        cover = ""
        thumb = item.meta.get("_thumbnail_id", "").strip()
        if thumb.isdigit() and self.uploads is not None and int(thumb) in self.channel.attachments:
            cover = self._upload(self.channel.attachments[int(thumb)].url, files) or ""
        story_front = front(
            title=title or None, date=published.isoformat(), updated=updated.isoformat() if updated else None,
            authors=authors,
            categories=[html.unescape(n) for d, n in item.categories if d == "category" and n],
            tags=[html.unescape(n) for d, n in item.categories if d == "post_tag" and n],
            description=description, canonical_url=ctx.canonical(item.get("link"), item.line),
            lang=self.lang, cover=cover)
        return Story(name, item.line, slug or title or f"post-{item.id}", story_front, blocks, files=files)

    def _upload(self, src: str, files: dict[str, Path]) -> str | None:
        """With ``--uploads``, a file under ``wp-content/uploads/`` is copied
        beside the sources (``uploads/…``) and referred to relatively."""
        if self.uploads is None:
            return None
        parts = split_url(src)
        if parts is None:
            return None
        path = unquote(parts.path)
        mt = re.search(r"/wp-content/uploads/(.+)$", path)
        if mt is None:
            return None
        rel = mt.group(1)
        root = self.uploads.resolve()
        candidate = (root / rel).resolve()
        if not candidate.is_relative_to(root) or ".." in rel.split("/") or not candidate.is_file():
            return None
        target = f"uploads/{candidate.relative_to(root).as_posix()}"
        files[target] = candidate
        return target
