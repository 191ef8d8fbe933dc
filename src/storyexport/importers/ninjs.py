"""IPTC ninjs (News in JSON) 1.x and 2.x items to stories: one ``.json``
file (an item or a list of items) or a folder of them.

1.x names fields singly (``headline``, ``body_html``/``body_xhtml``/
``body_text``, ``byline``, ``description_text``, ``subject``, associations
as a mapping); 2.x uses lists with roles (``headlines``, ``bodies``,
``descriptions``, ``by``, ``subjects``, associations as a list). Text items
are imported; pictures, video and audio items on their own, and withheld or
cancelled items, are counted. Associated pictures become figures.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ..errors import SourceError
from ..readers.dates import in_range
from ..urls import split_url
from .common import BaseImport, ImportContext, Story, html_blocks, html_text, language
from .htmlprep import prepare
from .output import front

MAX_JSON_BYTES = 16 * 1024 * 1024


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*.json") if p.is_file() and not p.name.startswith((".", "_")))
    return [path]


def _load(path: Path) -> list[Any]:
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise SourceError(f"file is {size} bytes, over the {MAX_JSON_BYTES} a ninjs file may have", str(path), 1)
    try:
        data = json.loads(path.read_bytes())
    except json.JSONDecodeError as e:
        raise SourceError(f"not valid JSON: {e.msg}", str(path), e.lineno) from None
    except UnicodeDecodeError:
        raise SourceError("not valid UTF-8 JSON", str(path), 1) from None
    except RecursionError:
        raise SourceError("JSON nested too deeply", str(path), 1) from None
    items = data if isinstance(data, list) else [data]
    if not all(isinstance(i, dict) for i in items):
        raise SourceError("not a ninjs item (a JSON object) or a list of them", str(path), 1)
    return items


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _role_value(entries: Any, html_ok: bool) -> tuple[str, bool]:
    """From a 2.x list of {role, value, contenttype}: the main/HTML value and
    whether it is HTML."""
    if not isinstance(entries, list):
        return "", False
    good = [e for e in entries if isinstance(e, dict) and isinstance(e.get("value"), str) and e["value"].strip()]
    if html_ok:
        for e in good:
            if "html" in str(e.get("contenttype", "")):
                return e["value"], True
    main = next((e for e in good if e.get("role") in ("main", "text", None)), good[0] if good else None)
    if main is None:
        return "", False
    return main["value"], "html" in str(main.get("contenttype", ""))


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        d = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    d = d if d.tzinfo else d.replace(tzinfo=UTC)
    return d.astimezone(UTC) if in_range(d) else None  # as the Markdown reader would refuse it


def _rendition(renditions: Any) -> str:
    """The address of a picture's rendition: the widest up to 2,048 pixels,
    else the narrowest."""
    items = list(renditions.values()) if isinstance(renditions, dict) else renditions
    if not isinstance(items, list):
        return ""
    found = [(int(r.get("width") or 0), str(r["href"])) for r in items
             if isinstance(r, dict) and isinstance(r.get("href"), str) and r["href"].startswith(("http://", "https://"))]
    if not found:
        return ""
    fitting = [f for f in found if f[0] <= 2048]
    return max(fitting)[1] if fitting else min(found)[1]


class NinjsImport(BaseImport):
    noun = "stories"

    def stories(self) -> Iterator[Story]:
        for path in _files(self.path):
            items = _load(path)
            for n, item in enumerate(items, 1):
                kind = self._kind(item)
                if kind:
                    self.tally.counts[kind] += 1
                    continue
                story = self.tally.convert(partial(self._story, path, item, n if len(items) > 1 else 0))
                if story is not None:
                    yield story

    def _kind(self, item: dict[str, Any]) -> str:
        status = _text(item.get("pubstatus")) or "usable"
        if status != "usable":
            return f"{status} items"
        kind = _text(item.get("type")) or "text"
        return "" if kind in ("text", "composite") else f"{kind} items"

    def _story(self, path: Path, item: dict[str, Any], n: int) -> Story | None:
        uri = _text(item.get("uri"))
        headline = _text(item.get("headline")) or _role_value(item.get("headlines"), False)[0].strip()
        name = f"item {n} " if n else "item "
        name += repr(headline[:40]) if headline else repr(uri[:60])
        link = uri if uri.startswith(("http://", "https://")) else ""
        ctx = ImportContext(path, self.site, self.diagnostics, name, base=link)
        body, is_html = self._body(item)
        if not is_html:
            body = "".join(f"<p>{html.escape(p.strip())}</p>" for p in re.split(r"\n\s*\n|\n", body) if p.strip())
        figures = self._figures(item, body)
        end = re.search(r"</body\s*>", body, re.I)  # a whole HTML document: inside its body
        body = body[:end.start()] + figures + body[end.start():] if end else body + figures
        blocks = html_blocks(prepare(body, lambda msg: ctx.warn(1, msg, "markup.raw_html")), ctx, 1)
        created = _date(item.get("firstcreated")) or _date(item.get("contentcreated"))
        version = _date(item.get("versioncreated"))
        published = created or version
        if published is None:
            raise SourceError(f"{name}: no date (firstcreated or versioncreated)", str(path), 1)
        description = _text(item.get("description_text"))
        if not description:
            value, desc_html = _role_value(item.get("descriptions"), False)
            description = html_text(value, ctx, 1) if desc_html else " ".join(value.split())
        if not description and _text(item.get("description_html")):
            description = html_text(item["description_html"], ctx, 1)
        subjects = item.get("subjects", item.get("subject", []))
        tags = [_text(s.get("name")) for s in subjects if isinstance(s, dict)] if isinstance(subjects, list) else []
        parts = split_url(uri)
        slug = (_text(item.get("slugline")) or (unquote(parts.path.rstrip("/").rsplit("/", 1)[-1]) if parts else "")
                or headline)
        story_front = front(
            title=headline or None, date=published.isoformat(),
            updated=version.isoformat() if version and version > published else None,
            authors=self._authors(item), tags=[t for t in tags if t], description=description,
            canonical_url=ctx.canonical(link, 1), lang=language(_text(item.get("language"))),
            rights=_text(item.get("copyrightnotice")))
        return Story(name, 1, slug, story_front, blocks)

    def _body(self, item: dict[str, Any]) -> tuple[str, bool]:
        for key in ("body_html", "body_xhtml"):
            if _text(item.get(key)):
                return item[key], True
        if _text(item.get("body_text")):
            return item["body_text"], False
        return _role_value(item.get("bodies"), True)

    def _authors(self, item: dict[str, Any]) -> list[str]:
        by = item.get("by", item.get("byline"))
        if isinstance(by, str) and by.strip():
            return [by.strip()]
        if isinstance(by, list):  # ninjs 2: "by" may be a list of people
            return [_text(p.get("name")) for p in by if isinstance(p, dict) and _text(p.get("name"))]
        return []

    def _figures(self, item: dict[str, Any], body: str) -> str:
        """Associated pictures the body does not show already, as figures."""
        assoc = item.get("associations")
        entries = list(assoc.values()) if isinstance(assoc, dict) else assoc if isinstance(assoc, list) else []
        out = []
        for a in entries:
            if not isinstance(a, dict) or _text(a.get("type")) not in ("picture", "graphic", ""):
                continue
            src = _rendition(a.get("renditions")) or (
                _text(a.get("uri")) if re.search(r"\.(jpe?g|png|gif)$", _text(a.get("uri")), re.I) else "")
            if not src or src in body or (_text(a.get("uri")) and _text(a.get("uri")) in body):
                continue
            caption = (_text(a.get("description_text")) or _role_value(a.get("descriptions"), False)[0]
                       or _text(a.get("body_text")) or _text(a.get("headline")))
            alt = _text(a.get("headline")) or _role_value(a.get("headlines"), False)[0] or caption
            credit = _text(a.get("byline")) or (_text(a.get("by")) if isinstance(a.get("by"), str) else "")
            full = f"{caption} ({credit})" if caption and credit else caption or credit
            cap = f"<figcaption>{html.escape(' '.join(full.split()))}</figcaption>" if full else ""
            alt = html.escape(" ".join(alt.split()))
            out.append(f'<figure><img src="{html.escape(src)}" alt="{alt}"/>{cap}</figure>')
        return "".join(out)
