"""Front matter as pandoc, Jekyll and Hugo write it: YAML between ``---``
lines (``...`` also closes), TOML between ``+++`` lines, a JSON object at the
top (Hugo), or pandoc's ``%`` title block; then safe loading and
normalisation of the keys those tools' users already write.

YAML 1.1 surprises are switched off (``NO`` stays a string, ``10:00`` is not
600, dates are not guessed): every value arrives as a string, list or mapping
and each known key is normalised here with its own line number, so an error
reads ``source/x.md:3: date: not a date: 'yesterday'``.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml

from ..model import Author
from .dates import YEARS, out_of_range, parse_date
from .source import SourceContext

MAX_ALIASES = 50


_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: same results, ~10x faster


class _Loader(_Base):  # type: ignore[misc,valid-type]
    """Safe loading with only YAML 1.2 core scalars: true/false, null, numbers."""


_Loader.yaml_implicit_resolvers = {}
for _first, _resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items():
    kept = [(tag, rx) for tag, rx in _resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp",
                           "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    if kept:
        _Loader.yaml_implicit_resolvers[_first] = kept
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)$"),
                              list("-+0123456789."))


@dataclass
class FrontMatter:
    values: dict[str, Any]
    lines: dict[str, int]  # key -> line in the source file


def extract(text: str, ctx: SourceContext) -> tuple[FrontMatter, str, int]:
    """Split the front matter off, in whichever form the file uses. Returns
    (front matter, body, line number of the body's first line). Leading
    blank lines are skipped, as Hugo does (a BOM is gone after decoding)."""
    skipped = len(text) - len(text.lstrip("\n \t"))
    lead = text[:skipped].count("\n")
    rest = text[skipped:]
    first = rest.split("\n", 1)[0].rstrip()
    if first == "---":
        src, body, body_line = _fenced(rest, ("---", "..."), ctx, lead, "---")
        return parse(src, ctx, lead + 2), body, body_line
    if first == "+++":
        src, body, body_line = _fenced(rest, ("+++",), ctx, lead, "+++")
        return _toml(src, ctx, lead + 2), body, body_line
    if re.match(r"\{\s*(?:\"|\})", rest):
        return _json(rest, ctx, lead)
    if text.startswith("%"):
        return _pandoc_title_block(text, ctx)
    return FrontMatter({}, {}), text, 1


def _fenced(text: str, closers: tuple[str, ...], ctx: SourceContext, lead: int,
            opener: str) -> tuple[str, str, int]:
    lines = text.split("\n")
    for i in range(1, len(lines)):
        if lines[i].rstrip() in closers:
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1:]), lead + i + 2
    raise ctx.error(lead + 1, f"front matter is not closed: add a line '{opener}' after it")


def _toml(src: str, ctx: SourceContext, first_line: int) -> FrontMatter:
    """TOML front matter (Hugo), read with the standard library's parser."""
    try:
        values = tomllib.loads(src)
    except tomllib.TOMLDecodeError as e:
        where = re.search(r"line (\d+)", str(e))
        line = first_line + int(where.group(1)) - 1 if where else first_line
        raise ctx.error(line, f"invalid TOML: {re.sub(r' [(]at .*[)]$', '', str(e))}") from None
    lines: dict[str, int] = {}
    for n, raw in enumerate(src.split("\n")):
        if raw.lstrip().startswith("["):
            table = raw.strip().strip("[]").strip().split(".")[0].strip("\"'")
            lines.setdefault(table, first_line + n)
            continue
        km = re.match(r"\s*[\"']?([^\"'=\s]+)[\"']?\s*=", raw)
        if km:
            lines.setdefault(km.group(1), first_line + n)
    return FrontMatter(values, lines)


def _json(text: str, ctx: SourceContext, lead: int) -> tuple[FrontMatter, str, int]:
    """A JSON object at the top of the file is Hugo's JSON front matter."""
    try:
        values, end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as e:
        raise ctx.error(lead + e.lineno, f"invalid JSON front matter: {e.msg}") from None
    except RecursionError:
        raise ctx.error(lead + 1, "front matter is nested too deeply") from None
    if not isinstance(values, dict):  # pragma: no cover - raw_decode of '{' is a dict
        raise ctx.error(lead + 1, "front matter must be a mapping of keys to values")
    head = text[:end]
    lines: dict[str, int] = {}
    for km in re.finditer(r'"((?:[^"\\]|\\.)*)"\s*:', head):
        lines.setdefault(km.group(1), lead + head.count("\n", 0, km.start()) + 1)
    after = text[end:]
    nl = after.find("\n")
    body = after[nl + 1:] if nl >= 0 and not after[:nl].strip() else after
    body_line = lead + head.count("\n") + (2 if nl >= 0 and not after[:nl].strip() else 1)
    return FrontMatter(values, lines), body, body_line


def _pandoc_title_block(text: str, ctx: SourceContext) -> tuple[FrontMatter, str, int]:
    """pandoc's title block: ``% title``, ``% author; author``, ``% date``;
    an indented line continues a field, an empty field is left out."""
    fields: list[tuple[int, str]] = []
    lines = text.split("\n")
    n = 0
    while n < len(lines) and len(fields) < 3:
        line = lines[n]
        if line.startswith("%"):
            fields.append((n + 1, line[1:].strip()))
        elif line[:1] in (" ", "\t") and fields and line.strip():
            fields[-1] = (fields[-1][0], f"{fields[-1][1]} {line.strip()}".strip())
        else:
            break
        n += 1
    while n < len(lines) and lines[n][:1] in (" ", "\t") and lines[n].strip() and fields:
        n += 1
    values: dict[str, Any] = {}
    where: dict[str, int] = {}
    for key, (line_no, value) in zip(("title", "author", "date"), fields, strict=False):
        if not value:
            continue
        values[key] = [a.strip() for a in value.split(";") if a.strip()] if key == "author" else value
        where[key] = line_no
    return FrontMatter(values, where), "\n".join(lines[n:]), n + 1


def parse(src: str, ctx: SourceContext, first_line: int = 2) -> FrontMatter:
    """Load front matter YAML safely, keeping each top-level key's line."""
    def at(mark: yaml.Mark | None) -> int:
        return first_line + (mark.line if mark else 0)

    try:
        aliases = sum(isinstance(ev, yaml.AliasEvent) for ev in yaml.parse(src, Loader=_Loader))
        if aliases > MAX_ALIASES:
            raise ctx.error(first_line, f"front matter uses {aliases} YAML aliases (limit {MAX_ALIASES}); "
                                        "refusing to expand them")
        loader = _Loader(src)
        try:
            node = loader.get_single_node()
            if node is None:
                return FrontMatter({}, {})
            if not isinstance(node, yaml.MappingNode):
                raise ctx.error(at(node.start_mark), "front matter must be a mapping of keys to values")
            values: dict[str, Any] = {}
            lines: dict[str, int] = {}
            for knode, vnode in node.value:
                key = loader.construct_object(knode, deep=True)
                if not isinstance(key, str):
                    raise ctx.error(at(knode.start_mark), f"front matter key {key!r} is not a string")
                values[key] = loader.construct_object(vnode, deep=True)
                lines[key] = at(knode.start_mark)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = (e.problem or str(e)).split("\n")[0]
        raise ctx.error(at(mark), f"invalid YAML: {problem}") from None
    except yaml.YAMLError as e:
        raise ctx.error(first_line, f"invalid YAML: {str(e).splitlines()[0]}") from None
    except RecursionError:
        raise ctx.error(first_line, "front matter is nested too deeply") from None
    return FrontMatter(values, lines)


# ------------------------------------------------------------------ values

def as_text(value: object, key: str, ctx: SourceContext, line: int | None) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ctx.error(line, f"{key}: expected text, got {type(value).__name__} {describe(value)}")
    return ctx.clean(str(value).strip(), line, key)


def as_list(value: object, key: str, ctx: SourceContext, line: int | None) -> list[str]:
    """Tags and friends: a YAML list, or a comma-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        items: list[object] = [v for v in value.split(",")]
    elif isinstance(value, list):
        items = value
    else:
        raise ctx.error(line, f"{key}: expected a list, got {type(value).__name__} {describe(value)}")
    out = []
    for v in items:
        if not isinstance(v, str | int | float) or isinstance(v, bool):
            raise ctx.error(line, f"{key}: list items must be text, got {describe(v)}")
        s = ctx.clean(str(v).strip(), line, key)
        if s:
            out.append(s)
    return out


def as_authors(value: object, ctx: SourceContext, line: int | None) -> list[Author]:
    """``author``/``authors``: a name, a mapping {name, email, url}, or a list of either."""
    items = value if isinstance(value, list) else [value]
    out = []
    for v in items:
        if isinstance(v, str | int) and not isinstance(v, bool):
            name = ctx.clean(str(v).strip(), line, "author")
            if name:
                out.append(Author(name))
        elif isinstance(v, dict):
            given = v.get("name")
            if not isinstance(given, str) or not given.strip():
                raise ctx.error(line, f"author: a mapping needs a 'name', got {describe(v)}")
            email, url = v.get("email", ""), v.get("url", v.get("website", ""))
            if not isinstance(email, str) or not isinstance(url, str):
                raise ctx.error(line, "author: email and url must be text")
            out.append(Author(ctx.clean(given.strip(), line, "author"), email.strip(), url.strip()))
        else:
            raise ctx.error(line, f"author: expected a name or a mapping, got {describe(v)}")
    return out


def as_date(value: object, key: str, ctx: SourceContext, line: int | None) -> datetime:
    d = parse_date(value)
    if d is None:
        raise ctx.error(line, not_a_date(key, value))
    return d


def not_a_date(key: str, value: object) -> str:
    """Why ``value``, given as ``key``, is no date storyexport can use."""
    if out_of_range(value):
        return f"{key}: {describe(value)} is, in UTC, outside the years {YEARS[0]} to {YEARS[1]}"
    return f"{key}: not a date: {describe(value)}"


def describe(value: object) -> str:
    r = repr(value)
    return r if len(r) <= 60 else r[:57] + "..."

