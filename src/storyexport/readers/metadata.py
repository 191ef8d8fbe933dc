"""Normalise metadata (front matter or a plain-text header block) into
:class:`~storyexport.model.Meta`, accepting the key names pandoc, Jekyll and
Hugo users already write. Both readers share this, so a key means the same
thing whatever the source format."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..model import Author, Inline, Meta
from .frontmatter import as_authors, as_date, as_list, as_text
from .source import SourceContext, slugify

# canonical name -> accepted spellings, first wins
ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "subtitle": ("subtitle", "dek", "subheadline"),
    "description": ("description", "abstract", "excerpt"),
    "authors": ("authors", "author"),
    "date": ("date", "published", "publishdate", "pubdate", "date_published"),
    "updated": ("updated", "lastmod", "modified", "last_modified_at", "date_modified"),
    "tags": ("tags", "categories", "category", "keywords"),
    "language": ("lang", "language"),
    "slug": ("slug",),
    "canonical_url": ("canonical_url", "canonical", "url"),
    "rights": ("rights", "copyright"),
    "publisher": ("publisher",),
    "cover": ("cover", "cover-image", "cover_image", "image", "featured_image"),
    "summary": ("summary", "glance", "highlights"),
    "draft": ("draft",),
}
_KNOWN = {alias: canon for canon, names in ALIASES.items() for alias in names}
_LANG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")

InlineParser = Callable[[str, int | None], tuple[Inline, ...]]


def build_meta(
    values: dict[str, Any],
    lines: dict[str, int],
    ctx: SourceContext,
    parse_inline: InlineParser,
    *,
    fallback_title: str = "",
    heading_title: str = "",
    fallback_date: datetime | None = None,
    summary_items: tuple[tuple[Inline, ...], ...] = (),
) -> tuple[Meta, bool]:
    """Return the article's metadata and whether it is a draft."""
    site = ctx.site
    grouped: dict[str, list[tuple[str, Any]]] = {}
    extra: list[tuple[str, Any]] = []
    for key, value in values.items():
        canon = _KNOWN.get(key.lower())
        if canon is None:
            ctx.warn(lines.get(key), f"unknown front-matter key {key!r} (kept, not used)")
            extra.append((key, _freeze(value)))
        else:
            grouped.setdefault(canon, []).append((key, value))

    def line(canon: str) -> int | None:
        return lines.get(grouped[canon][0][0]) if canon in grouped else None

    def first(canon: str) -> Any:
        return grouped[canon][0][1] if canon in grouped else None

    def text(canon: str) -> str:
        v = first(canon)
        return "" if v is None else as_text(v, grouped[canon][0][0], ctx, line(canon))

    title = text("title")
    limit = site.limits.max_title_chars
    if len(title) > limit:
        ctx.warn(line("title"), f"title is {len(title)} characters; cut to {limit} (max_title_chars)")
        title = title[:limit].rstrip() + "…"
    if not title:
        title = heading_title or fallback_title
        if not title:
            raise ctx.error(None, "no title: add one to the front matter (title: ...)")
        if not heading_title:
            ctx.warn(line("title"), f"no title; using its first sentence: {title!r}")

    authors: list[Author] = []
    if "authors" in grouped:
        for key, v in grouped["authors"]:
            authors.extend(as_authors(v, ctx, lines.get(key)))
    elif site.author:
        authors.append(Author(site.author, site.author_email))

    published = as_date(first("date"), "date", ctx, line("date")) if "date" in grouped else fallback_date
    if published is None:
        epoch = ctx.site_date_epoch()
        if epoch is None:
            raise ctx.error(None, "no date: add one to the front matter (date: 2024-03-05)")
        published = epoch
        ctx.warn(None, "no date; using SOURCE_DATE_EPOCH")
    updated = as_date(first("updated"), "updated", ctx, line("updated")) if "updated" in grouped else None
    if updated is not None and updated < published:
        ctx.warn(line("updated"), "updated is before the publication date; ignored")
        updated = None

    tags: list[str] = []
    for key, v in grouped.get("tags", []):
        for t in as_list(v, key, ctx, lines.get(key)):
            if t.lower() not in (x.lower() for x in tags):
                tags.append(t)

    language = text("language") or site.language
    if not _LANG.match(language):
        raise ctx.error(line("language"), f"lang: not a BCP 47 language tag: {language!r}")

    slug_src = text("slug")
    slug = slugify(slug_src) or slugify(re.sub(r"^\d{4}-\d{2}-\d{2}-", "", ctx.path.stem)) or slugify(title)
    if not slug:
        slug = "article-" + hashlib.sha256(os.fsencode(ctx.path.name)).hexdigest()[:10]
    if slug_src and slug != slug_src:
        ctx.warn(line("slug"), f"slug {slug_src[:60]!r} is not file-name safe; using {slug!r}")

    canonical = text("canonical_url")
    if canonical:
        canonical = ctx.link_url(canonical, line("canonical_url")) or ""
        if canonical.startswith(("#", "mailto:")):
            canonical = ""

    description = text("description")
    summary = summary_items
    sv = first("summary")
    if isinstance(sv, str):
        description = description or as_text(sv, "summary", ctx, line("summary"))
    elif sv is not None:
        items = as_list(sv, "summary", ctx, line("summary"))
        summary = tuple(parse_inline(s, line("summary")) for s in items)

    cover = ""
    if "cover" in grouped:
        cover = ctx.image(text("cover"), line("cover")) or ""

    draft = first("draft")
    meta = Meta(
        title=title,
        slug=slug,
        published=published,
        updated=updated,
        subtitle=text("subtitle"),
        description=description,
        authors=tuple(authors),
        publisher=text("publisher") or site.publisher or site.title,
        language=language,
        tags=tuple(tags),
        summary=summary,
        canonical_url=canonical,
        rights=text("rights"),
        cover=cover,
        extra=tuple(extra),
    )
    return meta, draft is True or (isinstance(draft, str) and draft.lower() in ("true", "yes"))


def _freeze(value: Any) -> Any:
    """Unknown values kept immutably (lists to tuples, mappings to pairs)."""
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple((str(k), _freeze(v)) for k, v in value.items())
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value
