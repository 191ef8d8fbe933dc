"""Normalise metadata (front matter or a plain-text header block) into
:class:`~storyexport.model.Meta`, accepting the key names pandoc, Jekyll and
Hugo users already write. Both readers share this, so a key means the same
thing whatever the source format."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from ..model import Author, Inline, Meta
from ..urls import split_url
from . import layout
from .dates import file_name_date, parse_date
from .frontmatter import as_authors, as_date, as_list, as_text, not_a_date
from .history import last_commit_date
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
    "canonical_url": ("canonical_url", "canonical"),
    "permalink": ("url", "permalink"),
    "aliases": ("aliases", "redirect_from"),
    "rights": ("rights", "copyright"),
    "publisher": ("publisher",),
    "cover": ("cover", "cover-image", "cover_image", "image", "images", "featured_image"),
    "summary": ("summary", "glance", "highlights"),
    "series": ("series",),
    "weight": ("weight",),
    "draft": ("draft",),
    "excerpt_separator": ("excerpt_separator",),
    "id": ("id",),
}
_KNOWN = {alias: canon for canon, names in ALIASES.items() for alias in names}
# Keys Hugo and Jekyll define that steer their own templates, menus or
# build, not the story: kept in ``extra`` without a warning.
SITE_TOOL_KEYS = frozenset(k.lower() for k in (
    "layout", "type", "toc", "markup", "linkTitle", "menu", "menus", "sitemap", "outputs", "headless",
    "_build", "build", "cascade", "resources", "expiryDate", "translationKey", "isCJKLanguage",
    "comments", "sidebar", "share", "related", "render_with_liquid", "nav_order", "parent", "has_children",
    "permalink_pretty", "sitemap_exclude", "showToc", "hidemeta", "tocOpen", "weight_in_menu",
    "section",  # Hugo's content section; storyexport's editions group stories by it
))
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
        if key.lower() == "published" and (isinstance(value, bool) or str(value).lower() in ("true", "false")):
            canon = None  # Jekyll's publish switch, read below; not a date
            extra.append((key, _freeze(value)))
        elif canon is None:
            if key.lower() not in SITE_TOOL_KEYS:
                ctx.warn(lines.get(key), f"unknown front-matter key {key!r} (kept, not used)", "metadata.key")
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
        ctx.warn(line("title"), f"title is {len(title)} characters; cut to {limit} (max_title_chars)", "metadata.title")
        title = title[:limit].rstrip() + "…"
    if not title:
        title = heading_title or fallback_title
        if not title:
            raise ctx.error(None, "no title: add one to the front matter (title: ...)")
        if not heading_title:
            ctx.warn(line("title"), f"no title; using its first sentence: {title!r}", "metadata.title")

    authors: list[Author] = []
    if "authors" in grouped:
        for key, v in grouped["authors"]:
            authors.extend(as_authors(v, ctx, lines.get(key)))
    elif site.author:
        authors.append(Author(site.author, site.author_email))

    published, undated = _published(grouped, lines, ctx, fallback_date)
    updated = as_date(first("updated"), "updated", ctx, line("updated")) if "updated" in grouped else None
    if updated is not None and updated < published:
        ctx.warn(line("updated"), "updated is before the publication date; ignored", "metadata.date")
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
    slug = slugify(slug_src) or slugify(layout.default_slug(ctx.path)) or slugify(title)
    if not slug:
        slug = "article-" + hashlib.sha256(os.fsencode(ctx.path.name)).hexdigest()[:10]
    if slug_src and slug != slug_src:
        ctx.warn(line("slug"), f"slug {slug_src[:60]!r} is not file-name safe; using {slug!r}", "metadata.slug")

    permalink = text("permalink")
    canonical = text("canonical_url") or permalink
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
        given = _cover_path(first("cover"), grouped["cover"][0][0], ctx, line("cover"))
        cover = (ctx.image(given, line("cover")) or "") if given else ""

    weight = first("weight")
    if weight is not None and (isinstance(weight, bool) or not isinstance(weight, int)):
        raise ctx.error(line("weight"), f"weight: expected a whole number, got {weight!r}")

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
        permalink=permalink,
        aliases=_aliases(grouped.get("aliases", []), ctx, lines),
        series=tuple(s for key, v in grouped.get("series", []) for s in as_list(v, key, ctx, lines.get(key))),
        weight=weight or 0,
        undated=undated,
        id=text("id"),
        extra=tuple(extra),
    )
    unpublished = values.get("published") is False or str(values.get("published")).lower() == "false"
    return meta, _truthy(draft) or unpublished


UNDATED = datetime(1970, 1, 1, tzinfo=UTC)  # the Unix epoch: sorts last, never the clock


def _aliases(values: list[tuple[str, Any]], ctx: SourceContext, lines: dict[str, int]) -> tuple[str, ...]:
    """The story's earlier addresses; one no URL parser can read (a
    malformed IPv6 host) is left out, with a warning."""
    out = []
    for key, value in values:
        for alias in as_list(value, key, ctx, lines.get(key)):
            if split_url(alias) is None:
                ctx.warn(lines.get(key), f"alias {alias[:80]!r} removed: not a readable address", "source.link")
            else:
                out.append(alias)
    return tuple(out)


def _truthy(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "yes"))


def _published(grouped: dict[str, list[tuple[str, Any]]], lines: dict[str, int], ctx: SourceContext,
               fallback_date: datetime | None) -> tuple[datetime, bool]:
    """The publication date and whether the story is undated. The front
    matter wins; then the reader's own dateline, the file name (Jekyll's
    rule), the last git commit (Hugo's ``enableGitInfo``) and
    SOURCE_DATE_EPOCH, each fallback with a located warning. A date that is
    not a date is an error only when no fallback exists."""
    given = grouped.get("date", [])
    bad: tuple[str, int | None, object] | None = None
    for key, value in given:
        d = parse_date(value)
        if d is not None:
            return d, False
        bad = bad or (key, lines.get(key), value)
    if fallback_date is not None:
        return fallback_date, False
    why = not_a_date(bad[0], bad[2]) if bad else "no date in the front matter"
    where = bad[1] if bad else None
    from_name = file_name_date(ctx.path.name)
    if from_name is not None:
        ctx.warn(where, f"{why}; using the date in the file name, {from_name.date().isoformat()}", "metadata.date")
        return from_name, False
    from_git = last_commit_date(ctx.path, ctx.root) if ctx.site.git_dates else None
    if from_git is not None:
        ctx.warn(where, f"{why}; using the date of its last git commit, {from_git.isoformat()}", "metadata.date")
        return from_git, False
    if bad is not None:
        raise ctx.error(bad[1], why)
    ctx.warn(None, "no date in the front matter, the file name or git history; exported undated "
                   "(no date shown, listed last in feeds): add one (date: 2024-03-05)", "metadata.date")
    return UNDATED, True


def _cover_path(value: object, key: str, ctx: SourceContext, line: int | None) -> str:
    """Hugo ``images`` is a list (the first is the cover); Jekyll ``image``
    may be a mapping with a ``path``."""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("path") or value.get("feature") or value.get("src") or ""
    return as_text(value, key, ctx, line) if value else ""


def _freeze(value: Any) -> Any:
    """Unknown values kept immutably (lists to tuples, mappings to pairs)."""
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple((str(k), _freeze(v)) for k, v in value.items())
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return value
