"""RSS 2.0, RSS 1.0 and Atom feeds with full content to stories, one per
item, read with feedparser.

feedparser reads the whole document and has its own XML handling, so the
file first goes through the same streaming gate as a WordPress export (no
DTD, no entities, no network, libxml2's size limits); that pass also gives
each item its line for messages. Full text is ``content:encoded`` or Atom
``content``; an item with only a summary is imported from it, with a warning.
"""

from __future__ import annotations

import calendar
import html
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import feedparser

from .. import model as m
from ..errors import SourceError
from ..readers.dates import in_range
from ..urls import split_url
from . import safexml
from .common import BaseImport, ImportContext, Story, html_blocks, html_text, language, lift_footnotes
from .htmlprep import prepare
from .output import front

_ENTRY_TAGS = {"item", "entry"}
_LANG_WRAPPER = re.compile(r'^\s*<div\b[^>]*\blang="([^"]+)"', re.I)


def _item_lines(path: Path) -> list[int | None]:
    """The line of each item or entry, in document order (and the proof that
    the file is safe, well-formed XML before feedparser reads it)."""
    lines: list[int | None] = []
    depth = 0
    for event, el in safexml.iter_events(path):
        if event == "start":
            depth += 1
            continue
        depth -= 1
        if safexml.local(el)[1] in _ENTRY_TAGS:
            lines.append(el.sourceline)
            safexml.release(el)
    return lines


def _authors(given: list[Any]) -> list[str | dict[str, str]]:
    """Names, or mappings when the feed gives an email or address too.
    feedparser 6 carries an author's email and address over to the next
    author that has none: a repeated one is taken as that, and dropped."""
    out: list[str | dict[str, str]] = []
    seen: set[str] = set()
    for a in given:
        name, email, url = (str(a.get(k, "") or "").strip() for k in ("name", "email", "href"))
        if not name:
            continue
        email, url = ("" if email in seen else email), ("" if url in seen else url)
        seen.update(v for v in (email, url) if v)
        out.append({k: v for k, v in (("name", name), ("email", email), ("url", url)) if v}
                   if email or url else name)
    return out


def _when(value: Any) -> datetime | None:
    """A date feedparser read, in UTC; None when there is none or it names no
    moment a datetime can hold (feedparser reads "0000-00-00" as year -1)."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        d = datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return d if in_range(d) else None  # as the Markdown reader would refuse it


class FeedImport(BaseImport):
    noun = "items"

    def stories(self) -> Iterator[Story]:
        lines = _item_lines(self.path)
        parsed = feedparser.parse(self.path.read_bytes(), sanitize_html=False, resolve_relative_uris=True)
        if parsed.get("version", "") == "" and not parsed.entries:
            raise SourceError("not an RSS or Atom feed", str(self.path), 1)
        channel = parsed.feed
        self.lang = language(str(channel.get("language", "")))
        for i, entry in enumerate(parsed.entries):
            line = lines[i] if i < len(lines) else None
            story = self.tally.convert(partial(self._story, entry, line, channel))
            if story is not None:
                yield story

    def _story(self, entry: Any, line: int | None, channel: Any) -> Story | None:
        link = str(entry.get("link", "")).strip()
        title_detail = entry.get("title_detail") or {}
        raw_title = str(entry.get("title", "")).strip()
        name = f"item {raw_title[:40]!r}" if raw_title else f"item at line {line}"
        ctx = ImportContext(self.path, self.site, self.diagnostics, name, base=link or str(channel.get("link", "")))
        title = (html_text(raw_title, ctx, line) if "html" in str(title_detail.get("type", ""))
                 else html.unescape(raw_title).replace("\n", " ").strip())
        contents = entry.get("content") or []
        detail: Any = next((c for c in contents if "html" in str(c.get("type", ""))), contents[0] if contents else None)
        summary = entry.get("summary_detail") or {}
        if detail is None:
            if not summary:
                ctx.warn(line, "no content; not imported", "import.story")
                return None
            ctx.warn(line, "no full content (content:encoded or Atom content); imported from its summary",
                     "import.story")
            detail = summary
        body = str(detail.get("value", ""))
        if "html" not in str(detail.get("type", "text/html")):
            body = "".join(f"<p>{html.escape(p)}</p>" for p in re.split(r"\n\s*\n", body) if p.strip())
        wrapper = _LANG_WRAPPER.match(body)
        lang = language(wrapper.group(1) if wrapper else str(detail.get("language") or "")) or self.lang
        prepared = prepare(body, lambda msg: ctx.warn(line, msg, "markup.raw_html"))
        blocks = lift_footnotes(html_blocks(prepared, ctx, line))
        published = _when(entry.get("published_parsed")) or _when(entry.get("updated_parsed"))
        if published is None:
            raise SourceError(f"{name}: no date (pubDate, published or updated)", str(self.path), line)
        updated = _when(entry.get("updated_parsed"))
        description, glance = "", []
        if detail is not summary and summary.get("value"):
            value = str(summary.get("value", ""))
            lines = [x.strip() for x in value.split("\n") if x.strip()]
            first = next((b for b in blocks if isinstance(b, m.Para)), None)
            if lines and all(x.startswith("• ") for x in lines):  # "Story at a glance" bullets
                glance = [x[2:].strip() for x in lines]
            elif "html" in str(summary.get("type", "")):
                description = html_text(value, ctx, line)
            else:
                description = " ".join(value.split())
            if first is not None and description == " ".join(m.inline_text(first.children).split()):
                description = ""  # the feed's stand-in for a missing description: its first paragraph
        authors = _authors(entry.get("authors", []))
        tags = [str(t.get("term") or t.get("label") or "").strip() for t in entry.get("tags", [])]
        parts = split_url(link)
        path_slug = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1]).rsplit(".", 1)[0] if parts else ""
        story_front = front(
            title=title or None, date=published.isoformat(),
            updated=updated.isoformat() if updated and updated > published else None,
            authors=authors, tags=[t for t in tags if t], description=description, summary=glance,
            canonical_url=ctx.canonical(link, line), lang=lang,
            rights=" ".join(str(entry.get("rights", "") or "").split()))
        return Story(name, line, path_slug or title, story_front, blocks)
