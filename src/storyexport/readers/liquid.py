"""Jekyll's Liquid, expanded as Jekyll expands it before kramdown, into
model nodes or text, with python-liquid for Liquid itself (no loader: no
file is read; loops and output bounded).

- ``{% highlight lang %}…{% endhighlight %}``: a code block;
- ``{% raw %}…{% endraw %}``: its content, literally;
- ``{% link path %}`` and ``{% post_url name %}``: the target story's address;
- ``{{ site.url }}``, ``{{ site.baseurl }}``, ``{{ site.title }}`` from the
  configuration, other ``site.*`` from a Jekyll ``_config.yml`` at the root of
  the source tree, ``{{ page.x }}`` from the story's front matter, with the
  ``relative_url``/``absolute_url`` filters applied;
- ``{% comment %}``: removed with its content;
- ``assign``, ``capture``, ``for``, ``if``, ``case`` and the standard
  filters: as Liquid evaluates them;
- ``{% include %}``, an undefined variable, or a template Liquid refuses: a
  located warning, removed (the content between a block tag's ends is kept).
No delimiter survives outside ``raw``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import liquid
import liquid.exceptions
import yaml
from liquid import Undefined

from .. import model as m
from . import sitelinks
from .source import SourceContext
from .templating import Placeholders, Replacement, alone_on_line, line_at

_TOKEN = re.compile(r"\{%-?\s*(\w+)((?:(?!\{[{%]).)*?)-?%\}|\{\{-?((?:(?!\{[{%]).)*?)-?\}\}", re.DOTALL)
_BLOCK_ENDS = {"if": "endif", "unless": "endunless", "for": "endfor", "case": "endcase", "capture": "endcapture",
               "tablerow": "endtablerow"}
_OPENER = re.compile(r"\{[{%]")


def expand(body: str, ctx: SourceContext, first_line: int, page: Mapping[str, Any], table: Placeholders) -> str:
    """``body`` with every Liquid tag and variable expanded or removed: first
    Jekyll's own tags (which Liquid does not know), then Liquid itself
    (python-liquid: variables, filters, ``assign``, ``for``, ``if``,
    ``raw``, ``comment``). A template python-liquid refuses is reported and
    its remaining tags and variables are removed one by one instead."""
    jekyll = _scan(body, ctx, first_line, page, table, full=False)
    try:
        return render(jekyll, ctx, first_line, page)
    except liquid.exceptions.LiquidError as e:
        token = getattr(e, "token", None)
        at = getattr(token, "start_index", -1)
        line = line_at(jekyll, at, first_line) if isinstance(at, int) and at >= 0 else first_line
        ctx.warn(line, f"Liquid: {str(e).splitlines()[0]}; its tags and variables are removed one by one",
                 "markup.liquid")
        return _scan(jekyll, ctx, first_line, page, table, full=True)


def _scan(body: str, ctx: SourceContext, first_line: int, page: Mapping[str, Any], table: Placeholders, *,
          full: bool) -> str:
    """Jekyll's tags (``highlight``, ``link``, ``post_url``, ``include``) or,
    with ``full``, every tag and variable, expanded or removed; ``raw``
    blocks stay as they are for Liquid unless ``full``."""
    out: list[str] = []
    pos = 0
    while (mt := _OPENER.search(body, pos)) is not None:
        out.append(body[pos:mt.start()])
        line = line_at(body, mt.start(), first_line)
        tm = _TOKEN.match(body, mt.start())
        if tm is None:
            if full:
                ctx.warn(line, f"unclosed Liquid {body[mt.start():mt.start() + 30]!r}: delimiter removed",
                         "markup.liquid")
            else:
                out.append(mt.group())
            pos = mt.end()
            continue
        name, args = tm.group(1), (tm.group(2) or "").strip()
        if name in ("raw", "highlight", "comment") and (full or name != "comment"):
            end = re.compile(r"\{%-?\s*end" + name + r"\s*-?%\}").search(body, tm.end())
            if end is None:
                if full or name == "highlight":
                    ctx.warn(line, f"{{% {name} %}} is not closed by {{% end{name} %}}: tag removed, text kept",
                             "markup.liquid")
                    pos = tm.end()
                else:  # Liquid reports it
                    out.append(tm.group())
                    pos = tm.end()
                continue
            inner = body[tm.end():end.start()]
            if name == "raw":
                out.append(inner if full else body[tm.start():end.end()])
            elif name == "highlight":
                out.append(_highlight(body, tm.start(), end.end(), inner, args, table))
            pos = end.end()
            continue
        if name in ("link", "post_url", "include", "include_relative") or (full and name is not None):
            if name in ("link", "post_url"):
                _drop_base_prefix(out, ctx)
            out.append(_tag(name, args, ctx, line, table))
        elif full:
            out.append(_variable(tm.group(3), ctx, line, page))
        else:
            out.append(tm.group())
        pos = tm.end()
    out.append(body[pos:])
    return "".join(out)


class _Reported(Undefined):
    """An undefined variable: empty, as in Jekyll, with a located warning."""

    def __str__(self) -> str:
        where = _CURRENT.get()
        if where is not None:
            ctx, text, first_line = where
            at = getattr(self.token, "start_index", -1)
            line = line_at(text, at, first_line) if isinstance(at, int) and at >= 0 else None
            name = self.hint.removesuffix(" is undefined") if self.hint else self.name
            ctx.warn(line, f"Liquid variable {{{{ {name} }}}} has no value here: removed", "markup.liquid")
        return ""


class _Environment(liquid.Environment):
    """Liquid for untrusted text: no loader (so no file is ever read),
    bounded loops, output and nesting."""

    loop_iteration_limit = 10_000
    context_depth_limit = 30
    local_namespace_limit = 100_000
    output_stream_limit = 8 * 1024 * 1024


_CURRENT: ContextVar[tuple[SourceContext, str, int] | None] = ContextVar("liquid_source", default=None)


def render(text: str, ctx: SourceContext, first_line: int, page: Mapping[str, Any]) -> str:
    env = _environment()
    site = _site_values(ctx)
    token = _CURRENT.set((ctx, text, first_line))
    try:
        return env.from_string(text).render(site=site, page=dict(page), _storyexport_base=_base_path(ctx),
                                            _storyexport_url=ctx.site.base_url)
    finally:
        _CURRENT.reset(token)


@cache
def _environment() -> liquid.Environment:
    env = _Environment(undefined=_Reported)
    env.add_filter("relative_url", _relative_url)
    env.add_filter("absolute_url", _absolute_url)
    for name in ("markdownify", "smartify", "xml_escape", "cgi_escape", "uri_escape", "jsonify", "inspect"):
        env.add_filter(name, lambda value: "" if value is None else str(value))
    return env


def _relative_url(value: object) -> str:
    where = _CURRENT.get()
    base = _base_path(where[0]) if where else ""
    return base + "/" + str(value).lstrip("/")


def _absolute_url(value: object) -> str:
    where = _CURRENT.get()
    site = where[0].site if where else None
    return site.absolute(str(value)) if site and site.base_url else str(value)


def _site_values(ctx: SourceContext) -> dict[str, Any]:
    """``site.*`` as Jekyll sees it: ``_config.yml`` at the source root, under
    storyexport's own settings (an empty ``baseurl`` is Jekyll's default)."""
    return {**_jekyll_config(str(ctx.root.resolve())), **_own_site(ctx)}


def _own_site(ctx: SourceContext) -> dict[str, str]:
    site = ctx.site
    own = {"url": site.base_url.rstrip("/"), "baseurl": _base_path(ctx), "title": site.title,
           "description": site.description, "author": site.author}
    return {k: v for k, v in own.items() if v or k in ("url", "baseurl")}


def _drop_base_prefix(out: list[str], ctx: SourceContext) -> None:
    """``{{ site.baseurl }}{% link x %}`` is Jekyll's idiom for a site path;
    the link is already absolute here, so the prefix written before it goes
    (still a variable, or already its value)."""
    joined = "".join(out)
    trimmed = re.sub(r"(?:\{\{-?\s*site\.(?:url|baseurl)\s*-?\}\})+$", "", joined)
    if trimmed != joined:
        out[:] = [trimmed]
        return
    tail = "".join(out[-3:])
    for prefix in (ctx.site.base_url.rstrip("/") + _base_path(ctx), ctx.site.base_url.rstrip("/"), _base_path(ctx)):
        if prefix and tail.endswith(prefix):
            joined = "".join(out)[: -len(prefix)]
            out[:] = [joined]
            return


def _highlight(body: str, start: int, end: int, inner: str, args: str, table: Placeholders) -> str:
    code = re.sub(r"\{%-?\s*(?:end)?raw\s*-?%\}", "", inner).strip("\n")
    lang = args.split()[0] if args.split() else ""
    placeholder = table.add(Replacement((m.Code(code),), m.CodeBlock(code, lang), code))
    if not alone_on_line(body, start, end):
        return placeholder
    return "\n\n" + placeholder + "\n" * body.count("\n", start, end) + "\n"


def _tag(name: str, args: str, ctx: SourceContext, line: int, table: Placeholders) -> str:
    if name in ("link", "post_url"):
        target = args.split()[0] if args.split() else ""
        url = sitelinks.resolve(ctx, target, line, posts=name == "post_url")
        return url or ""
    if name.startswith("end") or name in ("else", "elsif", "when"):
        return ""  # the opening tag already warned
    what = "include" if name in ("include", "include_relative") else f"Liquid tag {{% {name} %}}"
    ctx.warn(line, f"{what} {args[:40]!r} is not supported: removed"
                   + (f", the content up to {{% {_BLOCK_ENDS[name]} %}} kept" if name in _BLOCK_ENDS else ""),
                   "markup.liquid")
    return ""


def _variable(expr: str, ctx: SourceContext, line: int, page: Mapping[str, Any]) -> str:
    head, *filters = [p.strip() for p in expr.split("|")]
    value = _lookup(head, ctx, page)
    if value is None:
        ctx.warn(line, f"Liquid variable {{{{ {head[:40]} }}}} has no value here: removed", "markup.liquid")
        return ""
    text = value.isoformat() if isinstance(value, date | datetime) else str(value)
    for f in filters:
        fname = f.split(":")[0].strip()
        if fname == "relative_url":
            text = _base_path(ctx) + "/" + text.lstrip("/")
        elif fname == "absolute_url":
            text = ctx.site.absolute(text) if ctx.site.base_url else text
        elif fname not in ("escape", "xml_escape", "strip", "markdownify", "smartify", "uri_escape"):
            ctx.warn(line, f"Liquid filter {fname!r} is not supported: value used unfiltered", "markup.liquid")
    return text


def _lookup(head: str, ctx: SourceContext, page: Mapping[str, Any]) -> Any:
    if re.fullmatch(r"'[^']*'|\"[^\"]*\"", head):
        return head[1:-1]
    scope, _, path = head.partition(".")
    if scope == "page":
        return _dig(page, path)
    if scope != "site":
        return None
    return _dig(_site_values(ctx), path)


def _dig(values: Any, path: str) -> Any:
    for part in path.split(".") if path else ():
        values = values.get(part) if isinstance(values, Mapping) else None
    return values if isinstance(values, str | int | float | date) and not isinstance(values, bool) else None


def _base_path(ctx: SourceContext) -> str:
    return urlsplit(ctx.site.base_url).path.rstrip("/")


@cache
def _jekyll_config(root: str) -> Mapping[str, Any]:
    """A Jekyll site's ``_config.yml`` at the source root, loaded safely;
    empty when there is none or it is not a mapping."""
    path = Path(root) / "_config.yml"
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > 1_000_000:
            return {}
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def is_jekyll(path: Path, root: Path, text: str) -> bool:
    """Whether a story is Jekyll's: under ``_posts``/``_drafts``, or in a site
    with a ``_config.yml`` at the source root, or using Liquid tags and no
    Hugo shortcodes."""
    if {"_posts", "_drafts"} & set(path.parts):
        return True
    if (root / "_config.yml").is_file():
        return True
    return "{%" in text and "{{<" not in text and "{{%" not in text
