"""Jekyll's Liquid, expanded as Jekyll expands it before kramdown, into
model nodes or text.

- ``{% highlight lang %}…{% endhighlight %}``: a code block;
- ``{% raw %}…{% endraw %}``: its content, literally;
- ``{% link path %}`` and ``{% post_url name %}``: the target story's address;
- ``{{ site.url }}``, ``{{ site.baseurl }}``, ``{{ site.title }}`` from the
  configuration, other ``site.*`` from a Jekyll ``_config.yml`` at the root of
  the source tree, ``{{ page.x }}`` from the story's front matter, with the
  ``relative_url``/``absolute_url`` filters applied;
- ``{% comment %}``: removed with its content;
- ``{% include %}`` and any other tag or variable: a located warning, removed
  (the content between a block tag's ends is kept).
No delimiter survives outside ``raw``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from .. import model as m
from . import sitelinks
from .source import SourceContext
from .templating import Placeholders, Replacement, alone_on_line, line_at

_TOKEN = re.compile(r"\{%-?\s*(\w+)((?:(?!\{[{%]).)*?)-?%\}|\{\{-?((?:(?!\{[{%]).)*?)-?\}\}", re.DOTALL)
_BLOCK_ENDS = {"if": "endif", "unless": "endunless", "for": "endfor", "case": "endcase", "capture": "endcapture",
               "tablerow": "endtablerow"}
_OPENER = re.compile(r"\{[{%]")


def expand(body: str, ctx: SourceContext, first_line: int, page: Mapping[str, Any], table: Placeholders) -> str:
    """``body`` with every Liquid tag and variable expanded or removed."""
    out: list[str] = []
    pos = 0
    while (mt := _OPENER.search(body, pos)) is not None:
        out.append(body[pos:mt.start()])
        line = line_at(body, mt.start(), first_line)
        tm = _TOKEN.match(body, mt.start())
        if tm is None:
            ctx.warn(line, f"unclosed Liquid {body[mt.start():mt.start() + 30]!r}: delimiter removed")
            pos = mt.end()
            continue
        if tm.group(1) is None:
            out.append(_variable(tm.group(3), ctx, line, page))
            pos = tm.end()
            continue
        name, args = tm.group(1), tm.group(2).strip()
        if name in ("raw", "highlight", "comment"):
            end = re.compile(r"\{%-?\s*end" + name + r"\s*-?%\}").search(body, tm.end())
            if end is None:
                ctx.warn(line, f"{{% {name} %}} is not closed by {{% end{name} %}}: tag removed, text kept")
                pos = tm.end()
                continue
            inner = body[tm.end():end.start()]
            if name == "raw":
                out.append(inner)
            elif name == "highlight":
                out.append(_highlight(body, tm.start(), end.end(), inner, args, table))
            pos = end.end()
            continue
        if name in ("link", "post_url"):
            _drop_base_prefix(out, ctx)
        out.append(_tag(name, args, ctx, line, table))
        pos = tm.end()
    out.append(body[pos:])
    return "".join(out)


def _drop_base_prefix(out: list[str], ctx: SourceContext) -> None:
    """``{{ site.baseurl }}{% link x %}`` is Jekyll's idiom for a site path;
    the link is already absolute here, so the prefix written before it goes."""
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
                   + (f", the content up to {{% {_BLOCK_ENDS[name]} %}} kept" if name in _BLOCK_ENDS else ""))
    return ""


def _variable(expr: str, ctx: SourceContext, line: int, page: Mapping[str, Any]) -> str:
    head, *filters = [p.strip() for p in expr.split("|")]
    value = _lookup(head, ctx, page)
    if value is None:
        ctx.warn(line, f"Liquid variable {{{{ {head[:40]} }}}} has no value here: removed")
        return ""
    text = value.isoformat() if isinstance(value, date | datetime) else str(value)
    for f in filters:
        fname = f.split(":")[0].strip()
        if fname == "relative_url":
            text = _base_path(ctx) + "/" + text.lstrip("/")
        elif fname == "absolute_url":
            text = ctx.site.absolute(text) if ctx.site.base_url else text
        elif fname not in ("escape", "xml_escape", "strip", "markdownify", "smartify", "uri_escape"):
            ctx.warn(line, f"Liquid filter {fname!r} is not supported: value used unfiltered")
    return text


def _lookup(head: str, ctx: SourceContext, page: Mapping[str, Any]) -> Any:
    if re.fullmatch(r"'[^']*'|\"[^\"]*\"", head):
        return head[1:-1]
    scope, _, path = head.partition(".")
    if scope == "page":
        return _dig(page, path)
    if scope != "site":
        return None
    site = ctx.site
    own = {"url": site.base_url.rstrip("/"), "baseurl": _base_path(ctx), "title": site.title,
           "description": site.description, "author": site.author}
    if path in ("url", "baseurl") or own.get(path):
        return own[path]  # an empty baseurl is Jekyll's default, not a gap
    return _dig(_jekyll_config(str(ctx.root.resolve())), path)


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
