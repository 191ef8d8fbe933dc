"""``storyexport.toml``: the site's identity, build settings and safety limits.

Everything a writer may need beyond the article and the theme lives in
:class:`Site`; writers never read the file themselves.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .errors import CATEGORIES, ConfigError

if TYPE_CHECKING:
    from .editions.selection import EditionSpec

PDF_VARIANTS = ("", "pdf/a-1b", "pdf/a-2b", "pdf/a-3b", "pdf/a-2u", "pdf/a-3u", "pdf/ua-1")


@dataclass(frozen=True)
class Limits:
    """Resource limits for untrusted sources; each reported when hit."""

    max_file_bytes: int = 2 * 1024 * 1024
    max_depth: int = 40
    max_image_pixels: int = 40_000_000
    max_table_rows: int = 5_000
    max_title_chars: int = 500


@dataclass(frozen=True)
class SiteShortcode:
    """A site's own shortcode as a link (``link``/``text`` templates) or, for
    a paired one, a code block of its inner text (``code``: the language)."""

    name: str
    link: str = ""
    text: str = ""
    code: str | None = None


@dataclass(frozen=True)
class Site:
    title: str = "storyexport"
    description: str = ""
    base_url: str = ""
    language: str = "en"
    author: str = ""
    author_email: str = ""
    publisher: str = ""
    logo: str = ""
    feed_limit: int = 50
    permalink: str = ""  # where each story's page goes, e.g. /{year}/{slug}/; "" = /{slug}.html
    theme: str = "default"
    source: str = "source"
    out: str = "dist"
    state: str = ""  # the build's bookkeeping folder; "" = .storyexport beside the output folder
    formats: tuple[str, ...] = ()
    scheduler: str = "local"  # who runs the jobs: local, dask-local or a Dask scheduler address
    # warning categories not shown (errors.CATEGORIES; "markup" silences every markup.*)
    suppress_warnings: tuple[str, ...] = ()
    pdf_variant: str = ""
    allowed_hosts: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    config_path: str = ""
    source_date_epoch: int | None = None  # from the environment, for undated sources
    # [source]: how sources written for other tools are read
    git_dates: bool = True  # a story with no date takes its last git commit's (Hugo's enableGitInfo)
    syntax: str = "auto"  # template syntax in Markdown: auto, hugo, jekyll or none
    # the site's own Hugo shortcodes, described in [source.shortcodes.NAME]
    shortcodes: tuple[SiteShortcode, ...] = ()
    # [[editions]]: many stories as one book (see editions/); not a setting
    # any per-story output depends on, so the build leaves it out of their keys
    editions: tuple[EditionSpec, ...] = ()

    def absolute(self, url: str) -> str:
        """``url`` made absolute against ``base_url`` (unchanged if it already is)."""
        if not url or urlsplit(url).scheme or not self.base_url:
            return url
        return self.base_url.rstrip("/") + "/" + url.lstrip("/")


_SECTIONS = {
    "site": {"title", "description", "base_url", "language", "author", "author_email",
             "publisher", "logo", "feed_limit", "permalink"},
    "build": {"theme", "source", "out", "state", "formats", "scheduler", "suppress_warnings"},
    "pdf": {"pdf_variant", "variant", "allowed_hosts"},
    "limits": {f.name for f in fields(Limits)},
    "source": {"git_dates", "syntax", "shortcodes"},
}
SYNTAXES = ("auto", "hugo", "jekyll", "none")


def _source_setting(key: str, value: Any, where: str) -> Any:
    """``[source]`` keys, checked: ``git_dates`` (bool), ``syntax`` (one of
    SYNTAXES) and ``shortcodes``, a table of ``name = {link, text}`` or
    ``name = {code}`` whose ``{0}``, ``{1}``... and ``{name}`` stand for the
    call's arguments."""
    if key == "git_dates":
        if not isinstance(value, bool):
            raise ConfigError("[source] git_dates: expected true or false", where)
        return value
    if key == "syntax":
        if value not in SYNTAXES:
            raise ConfigError(f"[source] syntax: expected one of {', '.join(SYNTAXES)}, got {value!r}", where)
        return value
    if not isinstance(value, dict):
        raise ConfigError("[source] shortcodes: expected a table of name = {link, text} or {code}", where)
    out = []
    for name, spec in sorted(value.items()):
        if (not isinstance(spec, dict) or not spec or set(spec) - {"link", "text", "code"}
                or not all(isinstance(v, str) for v in spec.values()) or ("code" in spec and len(spec) > 1)):
            raise ConfigError(f"[source.shortcodes] {name}: expected {{link = \"...\", text = \"...\"}} "
                              f"or {{code = \"language\"}}", where)
        out.append(SiteShortcode(name, spec.get("link", ""), spec.get("text", ""), spec.get("code")))
    return tuple(out)


def load_config(path: Path | None) -> Site:
    """Read ``storyexport.toml``; a missing default file means all defaults."""
    if path is None:
        return Site()
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("configuration file not found", where) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"invalid TOML: {e}", where) from None
    values: dict[str, Any] = {"config_path": where}
    limits: dict[str, Any] = {}
    for section, table in data.items():
        if section == "editions":
            from .editions.selection import parse_editions

            values["editions"] = parse_editions(table, where)
            continue
        if section not in _SECTIONS or not isinstance(table, dict):
            raise ConfigError(f"unknown section [{section}] (known: {', '.join(_SECTIONS)}, [[editions]])", where)
        for key, value in table.items():
            if key not in _SECTIONS[section]:
                raise ConfigError(f"[{section}] unknown key {key!r}", where)
            if section == "source":
                values[key] = _source_setting(key, value, where)
            elif section == "limits":
                if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                    raise ConfigError(f"[limits] {key}: expected a positive integer", where)
                limits[key] = value
            else:
                values["pdf_variant" if key == "variant" else key] = value
    for key in ("formats", "allowed_hosts", "suppress_warnings"):
        if key in values:
            v = values[key]
            if isinstance(v, str):
                v = [s.strip() for s in v.split(",") if s.strip()]
            if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
                raise ConfigError(f"{key}: expected a list of strings", where)
            values[key] = tuple(v)
    if "feed_limit" in values and (not isinstance(values["feed_limit"], int) or values["feed_limit"] < 1):
        raise ConfigError("[site] feed_limit: expected a positive integer", where)
    for key in ("title", "description", "base_url", "language", "author", "author_email",
                "publisher", "logo", "theme", "source", "out", "state", "pdf_variant", "permalink", "scheduler"):
        if key in values and not isinstance(values[key], str):
            raise ConfigError(f"{key}: expected a string, got {values[key]!r}", where)
    known = {*CATEGORIES, *(c.split(".")[0] for c in CATEGORIES)}
    for category in values.get("suppress_warnings", ()):
        if category not in known:
            raise ConfigError(f"[build] suppress_warnings: unknown category {category!r} "
                              f"(see README.md, \"Errors and warnings\")", where)
    if values.get("pdf_variant", "") not in PDF_VARIANTS:
        raise ConfigError(
            f"[pdf] variant: {values['pdf_variant']!r} is not one of {', '.join(PDF_VARIANTS[1:])}", where)
    if values.get("scheduler"):
        from .scheduling import check_scheduler

        if why := check_scheduler(values["scheduler"]):
            raise ConfigError(f"[build] scheduler: {why}", where)
    if values.get("permalink"):
        from .urls import check_pattern

        if why := check_pattern(values["permalink"]):
            raise ConfigError(f"[site] permalink: {why}", where)
    base = values.get("base_url", "")
    if base and urlsplit(base).scheme not in ("http", "https"):
        raise ConfigError(f"[site] base_url: expected an http(s) URL, got {base!r}", where)
    return Site(**values, limits=Limits(**limits))
