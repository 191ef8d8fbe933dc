"""YAML front matter: safe loading and normalisation of the keys pandoc, Jekyll
and Hugo users already write.

YAML 1.1 surprises are switched off (``NO`` stays a string, ``10:00`` is not
600, dates are not guessed): every value arrives as a string, list or mapping
and each known key is normalised here with its own line number, so an error
reads ``source/x.md:3: date: not a date: 'yesterday'``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import yaml

from ..model import Author
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


def split(text: str, ctx: SourceContext) -> tuple[str | None, str, int]:
    """Split ``---`` fenced front matter off. Returns (yaml or None, body,
    line number of the body's first line)."""
    if not text.startswith("---\n") and text.rstrip("\n") != "---":
        return None, text, 1
    lines = text.split("\n")
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1:]), i + 2
    raise ctx.error(1, "front matter is not closed: add a line '---' after it")


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

_DATE_FORMATS = (
    "%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z",
    "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z",
    "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S.%f",
    "%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y",
)


def parse_date(value: object) -> datetime | None:
    """A timezone-aware datetime from the date forms pandoc, Jekyll and Hugo
    accept; naive values are taken as UTC. None if it is not a date."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        return None
    s = value.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    s = re.sub(r"([+-]\d\d):(\d\d)$", r"\1\2", s)  # +01:00 -> +0100 for %z
    s = re.sub(r"\s+", " ", s)
    for fmt in _DATE_FORMATS:
        try:
            d = datetime.strptime(s, fmt)
        except ValueError:
            continue
        return d if d.tzinfo else d.replace(tzinfo=UTC)
    return None


def as_text(value: object, key: str, ctx: SourceContext, line: int | None) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ctx.error(line, f"{key}: expected text, got {type(value).__name__} {_show(value)}")
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
        raise ctx.error(line, f"{key}: expected a list, got {type(value).__name__} {_show(value)}")
    out = []
    for v in items:
        if not isinstance(v, str | int | float) or isinstance(v, bool):
            raise ctx.error(line, f"{key}: list items must be text, got {_show(v)}")
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
                raise ctx.error(line, f"author: a mapping needs a 'name', got {_show(v)}")
            email, url = v.get("email", ""), v.get("url", v.get("website", ""))
            if not isinstance(email, str) or not isinstance(url, str):
                raise ctx.error(line, "author: email and url must be text")
            out.append(Author(ctx.clean(given.strip(), line, "author"), email.strip(), url.strip()))
        else:
            raise ctx.error(line, f"author: expected a name or a mapping, got {_show(v)}")
    return out


def as_date(value: object, key: str, ctx: SourceContext, line: int | None) -> datetime:
    d = parse_date(value)
    if d is None:
        raise ctx.error(line, f"{key}: not a date: {_show(value)}")
    return d


def _show(value: object) -> str:
    r = repr(value)
    return r if len(r) <= 60 else r[:57] + "..."

