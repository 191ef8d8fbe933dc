"""Hugo shortcodes, expanded as Hugo expands them, into model nodes.

``{{< name args >}}`` and ``{{% name args %}}``, self-closing (``/>}}``) or
paired with ``{{< /name >}}``, nested. Like Hugo, expansion happens before
Markdown, everywhere in the body (code included: that is why Hugo sites write
``{{</* name */>}}`` to show a shortcode, which prints as ``{{< name >}}``).

- Built-ins become what they stand for: ``figure`` a figure, ``highlight`` a
  code block, ``ref``/``relref`` a link to the target story, ``param`` the
  front-matter value; ``gist``, ``tweet``, ``x``, ``youtube``, ``vimeo`` and
  ``instagram`` a labelled link, never a fetch.
- A site's own shortcodes can be described in ``[source.shortcodes]``, as
  links or as code blocks of their inner text.
- Any other shortcode is unknown: a located warning, and its inner content is
  kept (shown as a figure when its first argument names an image of the
  story's bundle, the usual shape of an image-processing shortcode).
No delimiter survives outside code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatch
from typing import Any

from .. import model as m
from . import sitelinks
from .source import SourceContext
from .templating import Call, Placeholders, Replacement, alone_on_line, line_at, parse_args

_TAG = re.compile(r"\{\{([<%])\s*(/\*)?\s*(/)?\s*([\w./-]+)?((?:(?!\{\{).)*?)(\*/)?\s*(/)?\s*([>%])\}\}", re.DOTALL)
_OPENER = re.compile(r"\{\{[<%]")
_EMBEDS = {
    "gist": ("https://gist.github.com/{0}/{1}", "Gist {0}/{1}"),
    "tweet": ("https://twitter.com/{user}/status/{id}", "Post by @{user} on X"),
    "x": ("https://x.com/{user}/status/{id}", "Post by @{user} on X"),
    "youtube": ("https://www.youtube.com/watch?v={id}", "YouTube video: {title}"),
    "vimeo": ("https://vimeo.com/{id}", "Vimeo video: {title}"),
    "instagram": ("https://www.instagram.com/p/{id}/", "Instagram post {id}"),
}
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif")


@dataclass
class _Tag:
    start: int
    end: int
    closing: bool
    markdown: bool  # {{% %}}: the inner content is Markdown
    call: Call
    self_closing: bool


def expand(body: str, ctx: SourceContext, first_line: int, params: Mapping[str, Any],
           table: Placeholders) -> str:
    """``body`` with every shortcode replaced by its placeholder or content."""
    tags = _scan(body, ctx, first_line, table)
    out: list[str] = []
    pos = 0
    i = 0
    while i < len(tags):
        tag = tags[i]
        out.append(body[pos:tag.start])
        if tag.closing:
            ctx.warn(tag.call.line, f"shortcode {{{{< /{tag.call.name} >}}}} closes nothing; removed",
                     "markup.shortcode")
            pos, i = tag.end, i + 1
            continue
        close = None if tag.self_closing else _matching_close(tags, i)
        if close is None:
            inner, pos, i = "", tag.end, i + 1
        else:
            inner_start, j = tag.end, close
            inner = body[inner_start:tags[j].start]
            pos, i = tags[j].end, j + 1
        block = alone_on_line(body, tag.start, pos)
        in_url = body[:tag.start].endswith(("](", '="', "='", "<"))
        text = _render(tag, inner, close is not None, ctx, params, table, in_url)
        if block and (r := table.get(text)) is not None and r.block is not None:
            text = _as_paragraph(body, tag.start, pos, text)
        out.append(text)
    out.append(body[pos:])
    return "".join(out)


def _as_paragraph(body: str, start: int, end: int, placeholder: str) -> str:
    """A block placeholder set apart by blank lines (at the line's indent, so
    it stays inside a list item), padded to the lines the call spanned so
    later line numbers stay true."""
    line_start = body.rfind("\n", 0, start) + 1
    indent = body[line_start:start]
    prev_end = line_start - 1
    prev_blank = prev_end <= 0 or not body[body.rfind("\n", 0, prev_end) + 1:prev_end].strip()
    next_start = body.find("\n", end)
    next_line = body[next_start + 1:body.find("\n", next_start + 1) if body.find("\n", next_start + 1) >= 0
                     else len(body)] if next_start >= 0 else ""
    return (("" if prev_blank else "\n" + indent) + placeholder + "\n" * body.count("\n", start, end)
            + ("\n" if next_line.strip() else ""))


def _scan(body: str, ctx: SourceContext, first_line: int, table: Placeholders) -> list[_Tag]:
    tags: list[_Tag] = []
    pos = 0
    while (mt := _OPENER.search(body, pos)) is not None:
        tm = _TAG.match(body, mt.start())
        line = line_at(body, mt.start(), first_line)
        if tm is None or tm.group(8) != {"<": ">", "%": "%"}[tm.group(1)]:
            ctx.warn(line, f"unclosed shortcode {body[mt.start():mt.start() + 30]!r}: delimiter removed",
                     "markup.shortcode")
            tags.append(_Tag(mt.start(), mt.end(), False, False, Call("", (), (), line), True))
            pos = mt.end()
            continue
        if tm.group(2) and tm.group(6):  # {{</* x */>}}: printed, not run
            inside = " ".join(x for x in ((tm.group(3) or "") + (tm.group(4) or ""), tm.group(5).strip(),
                                          "/" if tm.group(7) else "") if x)
            shown = "{{" + tm.group(1) + (f" {inside} " if inside else " ") + tm.group(8) + "}}"
            placeholder = table.add(Replacement((m.Code(shown),), None, shown))
            tags.append(_Tag(tm.start(), tm.end(), False, False, Call("\x00literal", (placeholder,), (), line),
                             True))
        elif not tm.group(4):
            ctx.warn(line, "shortcode without a name: removed", "markup.shortcode")
            tags.append(_Tag(tm.start(), tm.end(), False, False, Call("", (), (), line), True))
        else:
            args, named = parse_args(tm.group(5))
            call = Call(tm.group(4), args, named, line)
            tags.append(_Tag(tm.start(), tm.end(), bool(tm.group(3)), tm.group(1) == "%", call,
                             bool(tm.group(7))))
        pos = tm.end()
    return tags


def _matching_close(tags: list[_Tag], i: int) -> int | None:
    name, depth = tags[i].call.name, 0
    for j in range(i + 1, len(tags)):
        t = tags[j]
        if t.call.name != name:
            continue
        if t.closing:
            if depth == 0:
                return j
            depth -= 1
        elif not t.self_closing:
            depth += 1
    return None


def _render(tag: _Tag, inner: str, paired: bool, ctx: SourceContext, params: Mapping[str, Any],
            table: Placeholders, in_url: bool) -> str:
    call = tag.call
    if call.name == "\x00literal":
        return call.args[0]
    if not call.name:
        return ""
    site_defined = {sc.name: sc for sc in ctx.site.shortcodes}
    if call.name in site_defined:
        sc = site_defined[call.name]
        if sc.code is not None:
            return _code(inner, call.format(sc.code), table)
        label = call.format(sc.text, inner) or call.format(sc.link, inner)
        return _link(table, call.format(sc.link, inner), label, ctx, call.line)
    match call.name:
        case "highlight":
            return _code(inner, call.arg(0, "lang"), table)
        case "figure":
            return _figure(call, ctx, table)
        case "ref" | "relref":
            url = sitelinks.resolve(ctx, call.arg(0, "path"), call.line)
            if in_url or not url:  # [text]({{< ref x >}}): the address itself
                return url or ""
            return table.add(Replacement((m.Link((m.Text(url),), url),), None, url))
        case "param":
            return _param(call, params, ctx)
        case name if name in _EMBEDS:
            return _embed(call, ctx, table)
    bundle_image = _bundle_image(call, ctx)
    if bundle_image is not None:
        ctx.warn(call.line, f"unknown shortcode {call.name!r}: shown as a figure of {bundle_image}"
                            + (" with its content as caption" if inner.strip() else ""), "markup.shortcode")
        key = ctx.image(bundle_image, call.line)
        caption = (m.Text(" ".join(inner.split())),) if inner.strip() else ()
        if key is not None:
            img = m.Image(m.inline_text(caption), key)
            return table.add(Replacement((img,), m.Figure(img, caption), m.inline_text(caption)))
    ctx.warn(call.line, f"unknown shortcode {call.name!r}"
                        + (": its content is kept" if paired and inner.strip() else ": removed"), "markup.shortcode")
    return expand(inner, ctx, call.line, params, table) if paired else ""


def _code(inner: str, language: str, table: Placeholders) -> str:
    code = inner.strip("\n")
    return table.add(Replacement((m.Code(code),), m.CodeBlock(code, language), code))


def _link(table: Placeholders, url: str, label: str, ctx: SourceContext, line: int) -> str:
    vetted = ctx.link_url(url, line) if url else None
    node: m.Inline = m.Link((m.Text(label),), vetted) if vetted else m.Text(label)
    return table.add(Replacement((node,), m.Para((node,)), label))


def _embed(call: Call, ctx: SourceContext, table: Placeholders) -> str:
    """An embedded resource as a labelled link (nothing is fetched)."""
    url_t, label_t = _EMBEDS[call.name]
    values = {"user": call.arg(0, "user"), "id": call.arg(1 if call.name in ("tweet", "x") else 0, "id")}
    values["title"] = call.arg(-1, "title") or values["id"]
    if call.name == "gist":
        values = {"0": call.arg(0), "1": call.arg(1)}
    if call.name in ("tweet", "x") and not call.named and len(call.args) == 1:
        values["id"] = call.arg(0)  # the old one-argument form names only the post
        url_t, label_t = "https://x.com/i/status/{id}", "Post {id} on X"
    url = re.sub(r"\{(\w+)\}", lambda mt: values.get(mt.group(1), ""), url_t)
    label = re.sub(r"\{(\w+)\}", lambda mt: values.get(mt.group(1), ""), label_t)
    return _link(table, url, label, ctx, call.line)


def _figure(call: Call, ctx: SourceContext, table: Placeholders) -> str:
    src, alt = call.arg(-1, "src"), call.arg(-1, "alt")
    title, caption_text = call.arg(-1, "title"), call.arg(-1, "caption")
    caption = tuple(m.Text(t) for t in (" — ".join(x for x in (title, caption_text) if x),) if t)
    key = ctx.image(src, call.line) if src else None
    words = " ".join(x for x in (alt, m.inline_text(caption)) if x)
    if key is None:
        if not src:
            ctx.warn(call.line, "figure shortcode without src: its text kept", "markup.shortcode")
        return table.add(Replacement(caption or (m.Text(alt),), m.Para(caption or (m.Text(alt),)), words))
    img = m.Image(alt or m.inline_text(caption), key, "")
    return table.add(Replacement((img,), m.Figure(img, caption), words))


def _param(call: Call, params: Mapping[str, Any], ctx: SourceContext) -> str:
    value: Any = params
    for part in call.arg(0, "name").split("."):
        lowered = {str(k).lower(): v for k, v in value.items()} if isinstance(value, Mapping) else {}
        value = lowered.get(part.lower())
    if value is None or isinstance(value, Mapping | list):
        ctx.warn(call.line, f"param {call.arg(0)!r} is not a front-matter value of this story; removed",
                 "markup.shortcode")
        return ""
    return str(value)


def _bundle_image(call: Call, ctx: SourceContext) -> str | None:
    """An image beside the story (a Hugo page resource) that the call's first
    argument names, matched as Hugo's ``Resources.GetMatch "*name*"``."""
    name = call.arg(0)
    if not name or "/" in name or ctx.path.stem != "index":
        return None
    try:
        files = sorted(p.name for p in ctx.path.parent.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)
    except OSError:
        return None
    hits = [f for f in files if fnmatch(f.lower(), f"*{name.lower()}*")]
    return hits[0] if hits else None
