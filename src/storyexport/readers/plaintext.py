"""Plain-text stories as newsrooms file them: an optional ``Key: value`` header
block, a "Story at a glance" bullet summary, paragraphs separated by blank
lines and a "Published on Apr 01, 2020" line.

Text is taken verbatim: no Markdown, no smart quotes, nothing rewritten.
"""

from __future__ import annotations

import re
from pathlib import Path

from .. import model as m
from .dates import parse_date
from .frontmatter import not_a_date
from .markdown import GLANCE, first_sentence
from .metadata import build_meta
from .source import SourceContext

EXTENSIONS = (".txt",)
_HEADER = re.compile(r"^([A-Za-z][A-Za-z _-]{0,30}):\s*(.*)$")
_BULLET = re.compile(r"^\s*[•\-*–·]\s+(.*)$")
_DATELINE = re.compile(r"^\s*(Published|Updated)(?:\s+on)?\s*:?\s+(.+?)\s*$", re.IGNORECASE)
# header names as newsrooms write them -> front-matter keys
_HEADER_KEYS = {
    "title": "title", "headline": "title", "subtitle": "subtitle", "dek": "subtitle",
    "author": "author", "authors": "authors", "byline": "author", "by": "author",
    "tags": "tags", "keywords": "keywords", "categories": "categories", "category": "categories",
    "language": "lang", "lang": "lang", "url": "canonical_url", "canonical url": "canonical_url",
    "date": "date", "published": "date", "updated": "updated", "description": "description",
    "publisher": "publisher", "rights": "rights", "copyright": "rights", "slug": "slug",
}


def read(path: Path, data: bytes, ctx: SourceContext) -> tuple[m.Article, bool]:
    text = ctx.decode(data)
    if not text.strip():
        raise ctx.error(1, "the story is empty")
    chunks = _chunks(text)  # (first line number, lines)
    values: dict[str, object] = {}
    lines: dict[str, int] = {}
    if chunks and _is_header(chunks[0][1]):
        start, header = chunks.pop(0)
        for i, raw in enumerate(header):
            match = _HEADER.match(raw)
            assert match
            key = _HEADER_KEYS.get(match.group(1).strip().lower(), match.group(1).strip())
            values[key] = ctx.clean(match.group(2).strip(), start + i, key)
            lines[key] = start + i

    summary: list[tuple[m.Inline, ...]] = []
    blocks: list[m.Block] = []
    published = updated = None
    i = 0
    while i < len(chunks):
        start, chunk = chunks[i]
        i += 1
        if (len(chunk) == 1 and GLANCE.match(chunk[0]) and not summary and i < len(chunks)
                and _is_bullets(chunks[i][1])):
            summary = _bullets(ctx, *chunks[i])
            i += 1
            continue
        if len(chunk) == 1 and (dm := _DATELINE.match(chunk[0])):
            when = parse_date(dm.group(2))
            if when is None:
                raise ctx.error(start, not_a_date(dm.group(1).lower(), dm.group(2)))
            if dm.group(1).lower() == "published":
                published = when
            else:
                updated = when
            continue
        if _is_bullets(chunk):
            blocks.append(m.BulletList(tuple(m.ListItem((m.Para(b),)) for b in _bullets(ctx, start, chunk))))
            continue
        para = " ".join(x.strip() for x in chunk)
        blocks.append(m.Para((m.Text(ctx.clean(para, start)),)))
    if not blocks:
        raise ctx.error(None, "the story has no paragraphs")
    if updated is not None and "updated" not in values:
        values["updated"] = updated
    meta, draft = build_meta(
        values, lines, ctx, lambda s, _line: (m.Text(s),),
        fallback_title=first_sentence(tuple(blocks)),
        fallback_date=published,
        summary_items=tuple(summary),
    )
    return m.Article(meta, tuple(blocks), tuple(ctx.assets.values()), str(path),
                     watched=tuple(dict.fromkeys(ctx.watched))), draft


def _is_bullets(chunk: list[str]) -> bool:
    return all(_BULLET.match(x) for x in chunk)


def _bullets(ctx: SourceContext, start: int, chunk: list[str]) -> list[tuple[m.Inline, ...]]:
    out: list[tuple[m.Inline, ...]] = []
    for k, line in enumerate(chunk):
        match = _BULLET.match(line)
        assert match is not None
        out.append((m.Text(ctx.clean(match.group(1).strip(), start + k)),))
    return out


def _chunks(text: str) -> list[tuple[int, list[str]]]:
    out: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 1
    for n, line in enumerate(text.split("\n"), 1):
        if line.strip():
            if not current:
                start = n
            current.append(line.rstrip())
        elif current:
            out.append((start, current))
            current = []
    if current:
        out.append((start, current))
    return out


def _is_header(chunk: list[str]) -> bool:
    """A header block: every line ``Key: value`` and the first key one we know."""
    if not all(_HEADER.match(x) for x in chunk):
        return False
    first = _HEADER.match(chunk[0])
    return first is not None and first.group(1).strip().lower() in _HEADER_KEYS
