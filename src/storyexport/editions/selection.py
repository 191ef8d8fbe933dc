"""Which stories an edition holds, in which sections and order.

An edition is a selection over the parsed stories: a date range, the last N
days before the newest story (never the clock: an edition built next year
from the same sources holds the same stories), tags, or an explicit list of
slugs. Stories are grouped into sections (a ``section`` front-matter key,
else the first tag, else the edition's default section), the sections come
in the configured order and then alphabetically, and inside a section the
stories run by date (then title, then slug, so the order never depends on
file names). What every edition format shows is decided here once: the
sections, the order and each story's key (its id prefix and file name).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..config import Site
from ..errors import ConfigError
from ..model import Article, Meta

FORMATS = ("epub", "pdf", "docx")
"""The formats an edition is made in unless its table names others."""

_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
_KEYS = {"title", "slug", "description", "from", "to", "last_days", "tags", "stories", "sections",
         "default_section", "formats", "continuous", "headlines"}


@dataclass(frozen=True)
class EditionSpec:
    """One ``[[editions]]`` table (or the ``edition`` command's options)."""

    title: str
    slug: str
    description: str = ""
    start: date | None = None  # ``from``, inclusive
    end: date | None = None  # ``to``, inclusive
    last_days: int = 0  # 0: no such window
    tags: tuple[str, ...] = ()  # a story with any of them (case-insensitive)
    stories: tuple[str, ...] = ()  # slugs; with other criteria, the story must meet those too
    sections: tuple[str, ...] = ()  # the order of sections named here; others follow alphabetically
    default_section: str = "News"
    formats: tuple[str, ...] = FORMATS
    continuous: bool = False  # PDF: stories run on rather than each starting a page
    headlines: int = 4  # how many headlines the cover shows

    def key(self) -> str:
        """Everything the edition's files depend on from its configuration."""
        return repr(self)


@dataclass(frozen=True)
class Entry:
    """A story in an edition: ``key`` is unique in the edition and safe as an
    XML id and a file name (``s01``...): every format uses it for the ids
    and files it makes for this story."""

    key: str
    section: str
    position: int  # in its section, from 0
    article: Article


@dataclass(frozen=True)
class Section:
    name: str
    key: str  # ``sec01``...
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Edition:
    spec: EditionSpec
    sections: tuple[Section, ...]
    site: Site = field(compare=False)

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(e for s in self.sections for e in s.entries)

    @property
    def date(self) -> datetime:
        """The edition's date: its newest story's."""
        return max(e.article.meta.published for e in self.entries)

    @property
    def modified(self) -> datetime:
        return max(e.article.meta.modified for e in self.entries)

    @property
    def language(self) -> str:
        return self.site.language or "en"

    @property
    def publisher(self) -> str:
        return self.site.publisher or self.site.title

    def as_article(self) -> Article:
        """The edition as the metadata of one (bodiless) article, for what
        the writers derive from an article's metadata (document properties,
        a drawn cover): title, date, authors, sections as subjects."""
        authors = tuple({a.name: a for e in self.entries for a in e.article.meta.authors}.values())
        meta = Meta(title=self.spec.title, slug=self.spec.slug, published=self.date,
                    updated=self.modified if self.modified != self.date else None, subtitle=self.spec.description,
                    description=self.spec.description, authors=authors, publisher=self.publisher,
                    language=self.language, tags=tuple(s.name for s in self.sections))
        return Article(meta, ())

    def top_stories(self) -> list[Entry]:
        """The cover's stories: each section's first story, then the next
        ones, in the edition's language where there are enough (a cover
        mixing scripts reads badly), up to ``spec.headlines``."""
        lang = self.language.split("-")[0].lower()
        ranked = sorted(self.entries, key=lambda e: (
            e.article.meta.language.split("-")[0].lower() != lang, e.position))
        return ranked[: self.spec.headlines]

    def headlines(self) -> list[str]:
        return [e.article.meta.title for e in self.top_stories()]


def section_of(article: Article, default: str) -> str:
    """A ``section`` front-matter key, else the first tag, else ``default``."""
    extra = {k.lower(): v for k, v in article.meta.extra}
    named = extra.get("section")
    if isinstance(named, str) and named.strip():
        return " ".join(named.split())
    return article.meta.tags[0] if article.meta.tags else default


def _day(when: datetime) -> date:
    return when.astimezone(UTC).date() if when.tzinfo else when.date()


def select(spec: EditionSpec, articles: Iterable[Article], site: Site) -> Edition:
    """The edition of ``articles`` that ``spec`` describes (maybe empty)."""
    pool = list(articles)
    if spec.stories:
        wanted = set(spec.stories)
        pool = [a for a in pool if a.meta.slug in wanted]
    else:  # a date window never holds a story that has no date
        pool = [a for a in pool if not a.meta.undated]
    if spec.tags:
        tags = {t.casefold() for t in spec.tags}
        pool = [a for a in pool if tags & {t.casefold() for t in a.meta.tags}
                or section_of(a, "").casefold() in tags]
    if spec.start:
        pool = [a for a in pool if _day(a.meta.published) >= spec.start]
    if spec.end:
        pool = [a for a in pool if _day(a.meta.published) <= spec.end]
    if spec.last_days and pool:
        newest = max(_day(a.meta.published) for a in pool)
        # the window's first day; a window reaching back past the year 1 holds every day before
        first = newest - timedelta(days=min(spec.last_days - 1, (newest - date.min).days))
        pool = [a for a in pool if _day(a.meta.published) >= first]
    groups: dict[str, list[Article]] = {}
    for a in pool:
        groups.setdefault(section_of(a, spec.default_section), []).append(a)
    configured = {name.casefold(): i for i, name in enumerate(spec.sections)}
    names = sorted(groups, key=lambda n: (configured.get(n.casefold(), len(configured)), n.casefold(), n))
    sections: list[Section] = []
    n = 0
    for i, name in enumerate(names, 1):
        stories = sorted(groups[name], key=lambda a: (a.meta.published.astimezone(UTC) if a.meta.published.tzinfo
                                                      else a.meta.published.replace(tzinfo=UTC),
                                                      a.meta.title, a.meta.slug))
        entries = []
        for position, a in enumerate(stories):
            n += 1
            entries.append(Entry(f"s{n:02d}", name, position, a))
        sections.append(Section(name, f"sec{i:02d}", tuple(entries)))
    return Edition(spec, tuple(sections), site)


# ------------------------------------------------------------------ config


def _date(value: Any, what: str, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError(f"{what}: expected a date (YYYY-MM-DD), got {value!r}", where)


def _strings(value: Any, what: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [s.strip() for s in value.split(",") if s.strip()]
    if not isinstance(value, list) or not all(isinstance(s, str) and s.strip() for s in value):
        raise ConfigError(f"{what}: expected a list of strings", where)
    return tuple(s.strip() for s in value)


def make_spec(values: Mapping[str, Any], where: str, what: str = "[[editions]]") -> EditionSpec:
    """An :class:`EditionSpec` from a TOML table (or the command's options),
    every key checked; errors name the file and the table."""
    unknown = sorted(set(values) - _KEYS)
    if unknown:
        raise ConfigError(f"{what}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})", where)
    title = values.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ConfigError(f"{what}: a title is required", where)
    slug = values.get("slug") or re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    if not isinstance(slug, str) or not _SLUG.match(slug):
        raise ConfigError(f"{what} {title!r}: slug must be lower-case letters, digits, '.', '_' or '-', "
                          f"got {slug!r}", where)
    out: dict[str, Any] = {"title": " ".join(title.split()), "slug": slug}
    for key in ("description", "default_section"):
        if key in values:
            if not isinstance(values[key], str):
                raise ConfigError(f"{what} {slug}: {key}: expected a string", where)
            out[key] = values[key].strip()
    if "from" in values:
        out["start"] = _date(values["from"], f"{what} {slug}: from", where)
    if "to" in values:
        out["end"] = _date(values["to"], f"{what} {slug}: to", where)
    if out.get("start") and out.get("end") and out["start"] > out["end"]:
        raise ConfigError(f"{what} {slug}: 'from' is after 'to'", where)
    for key in ("last_days", "headlines"):
        if key in values:
            v = values[key]
            if not isinstance(v, int) or isinstance(v, bool) or v < (1 if key == "last_days" else 0):
                raise ConfigError(f"{what} {slug}: {key}: expected a positive integer", where)
            out[key] = v
    for key in ("tags", "stories", "sections"):
        if key in values:
            out[key] = _strings(values[key], f"{what} {slug}: {key}", where)
    if "formats" in values:
        formats = _strings(values["formats"], f"{what} {slug}: formats", where)
        bad = [f for f in formats if f not in FORMATS]
        if bad or not formats:
            raise ConfigError(f"{what} {slug}: formats: {bad[0] if bad else 'none'!r} is not one of "
                              f"{', '.join(FORMATS)}", where)
        out["formats"] = tuple(dict.fromkeys(formats))
    if "continuous" in values:
        if not isinstance(values["continuous"], bool):
            raise ConfigError(f"{what} {slug}: continuous: expected true or false", where)
        out["continuous"] = values["continuous"]
    if not any(k in out for k in ("start", "end", "last_days", "tags", "stories")):
        raise ConfigError(f"{what} {slug}: say which stories it holds (from/to, last_days, tags or stories)",
                          where)
    return EditionSpec(**out)


def parse_editions(value: Any, where: str) -> tuple[EditionSpec, ...]:
    """The ``[[editions]]`` array of tables; slugs must be unique."""
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise ConfigError("[[editions]]: expected an array of tables ([[editions]] ...)", where)
    specs = tuple(make_spec(t, where) for t in value)
    seen: set[str] = set()
    for s in specs:
        if s.slug in seen:
            raise ConfigError(f"[[editions]]: two editions use the slug {s.slug!r}", where)
        seen.add(s.slug)
    return specs


def formats_for(spec: EditionSpec, requested: Sequence[str]) -> tuple[str, ...]:
    """The edition's formats among those an export makes."""
    return tuple(f for f in spec.formats if f in requested)
