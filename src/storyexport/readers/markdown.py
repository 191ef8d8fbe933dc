"""Markdown with YAML front matter (CommonMark + GFM tables, strikethrough and
footnotes) to the article model, through markdown-it-py's token stream."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from .. import model as m
from ..errors import Diagnostics, StoryExportError
from . import frontmatter, kramdown, liquid, shortcodes
from .metadata import build_meta
from .rawhtml import HtmlToModel, close_html_frames
from .source import SourceContext, slugify
from .templating import Placeholders
from .tree import NoteCall, TreeBuilder

EXTENSIONS = (".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn", ".mdtxt", ".mdtext")
_ALIGN = re.compile(r"text-align:\s*(left|center|right)")
_MISSING_NOTE = re.compile(r"\[\^([^\]\s]+)\]")
GLANCE = re.compile(r"^\s*story at a glance\s*:?\s*$", re.IGNORECASE)


class _EveryLink(MarkdownIt):
    """Lets every link through to the model builder, which vets it and warns;
    markdown-it would silently leave a javascript: link as literal text."""

    def validateLink(self, url: str) -> bool:
        return True


@cache
def _parser(max_nesting: int) -> MarkdownIt:
    md = _EveryLink("commonmark", {"html": True, "maxNesting": max_nesting, "linkify": True})
    md.enable(["table", "strikethrough", "linkify"])  # linkify: GFM's (and Goldmark's) bare-URL autolinks
    md.use(footnote_plugin)
    md.use(deflist_plugin)  # "Term" then ": definition" (pandoc, kramdown, Goldmark)
    md.use(tasklists_plugin)  # "- [ ] task", "- [x] done" (GFM)
    return md


def read(path: Path, data: bytes, ctx: SourceContext) -> tuple[m.Article, bool]:
    text = ctx.decode(data)
    fm, body, body_line = frontmatter.extract(text, ctx)
    if not body.strip():
        raise ctx.error(body_line, "the article has no body text")
    body = ctx.clean(body, None, "body")
    table = Placeholders()
    body = kramdown.strip_attributes(_expand_templates(path, body, ctx, body_line, fm.values, table))
    body, excerpt = _split_excerpt(body, fm.values)
    reader = _MarkdownReader(ctx, body_line)
    reader.b.placeholders = table
    blocks = reader.convert(body)
    if excerpt is not None and not any(k.lower() in _DESCRIPTION_KEYS for k in fm.values):
        fm.values["description"] = _excerpt_text(excerpt, ctx, body_line, table)

    def parse_inline(s: str, line: int | None) -> tuple[m.Inline, ...]:
        return _MarkdownReader(ctx, line or 1).inline_only(ctx.clean(s, line, "summary"))

    blocks, summary = _take_glance(blocks)
    if "title" not in fm.values and blocks and isinstance(blocks[0], m.Heading) and blocks[0].level == 1:
        # a leading "# Title" is the pandoc/Hugo convention: the title, no warning
        heading_title = m.inline_text(blocks[0].children).strip()
        blocks = blocks[1:]
        meta, draft = build_meta(fm.values, fm.lines, ctx, parse_inline, heading_title=heading_title,
                                 summary_items=summary)
    else:
        meta, draft = build_meta(fm.values, fm.lines, ctx, parse_inline, fallback_title=first_sentence(blocks),
                                 summary_items=summary)
    if not blocks:
        raise ctx.error(body_line, "the article has no body text left (only removed or empty content)")
    _check_footnotes(blocks, reader.b, ctx)
    return m.Article(meta, blocks, tuple(ctx.assets.values()), str(path),
                     watched=tuple(dict.fromkeys(ctx.watched))), draft


_DESCRIPTION_KEYS = frozenset({"description", "abstract", "excerpt", "summary"})
_MORE = "<!--more-->"


def _expand_templates(path: Path, body: str, ctx: SourceContext, line: int, values: dict[str, object],
                      table: Placeholders) -> str:
    """Hugo shortcodes or Jekyll Liquid, whichever the story was written for
    (``[source] syntax``; ``auto`` tells them apart by the site's layout)."""
    syntax = ctx.site.syntax
    if syntax == "auto":
        syntax = "jekyll" if liquid.is_jekyll(path, ctx.root, body) else "hugo"
    if syntax == "hugo" and "{{" in body:
        return shortcodes.expand(body, ctx, line, values, table)
    if syntax == "jekyll" and ("{{" in body or "{%" in body):
        return liquid.expand(body, ctx, line, values, table)
    return body


def _split_excerpt(body: str, values: dict[str, object]) -> tuple[str, str | None]:
    """Hugo's ``<!--more-->`` summary divider, or Jekyll's
    ``excerpt_separator``: the text before it is the excerpt, and a separator
    that is not an HTML comment is removed from the body."""
    sep = values.get("excerpt_separator")
    sep = sep if isinstance(sep, str) and sep.strip() else _MORE
    at = body.find(sep)
    if at < 0:
        return body, None
    rest = body[at + len(sep):]
    return body[:at] + ("" if not sep.startswith("<!--") else sep) + rest, body[:at]


def _excerpt_text(excerpt: str, ctx: SourceContext, line: int, table: Placeholders) -> str:
    """The excerpt's words, read quietly (its warnings are the body's)."""
    quiet = SourceContext(ctx.path, ctx.root, ctx.site, Diagnostics())
    reader = _MarkdownReader(quiet, line)
    reader.b.placeholders = table
    try:
        blocks = reader.convert(excerpt)
    except StoryExportError:
        return ""
    text = " ".join(m.inline_text(b.children) for b in blocks if isinstance(b, m.Para | m.Heading))
    return " ".join(text.split())


def first_sentence(blocks: tuple[m.Block, ...]) -> str:
    """A title for an untitled story: its first sentence, at most 25 words."""
    for b in blocks:
        if isinstance(b, m.Para):
            text = " ".join(m.inline_text(b.children).split())
            # a sentence ends at . ! ? followed by a space and a capital or quote
            match = re.search(r"[.!?](?=\s+[\"“‘'(A-Z\u00C0-\u024F])", text)
            sentence = text[: match.start()] if match else text.rstrip(".!?")
            ws = sentence.split()
            return " ".join(ws[:25]) + ("…" if len(ws) > 25 else "")
    return ""


def _take_glance(blocks: tuple[m.Block, ...]) -> tuple[tuple[m.Block, ...], tuple[tuple[m.Inline, ...], ...]]:
    """A leading "Story at a glance" heading or line and its bullet list
    become the summary, as in the plain-text story format."""
    for i, b in enumerate(blocks[:3]):
        if (isinstance(b, m.Heading | m.Para) and GLANCE.match(m.inline_text(b.children))
                and i + 1 < len(blocks) and isinstance(blocks[i + 1], m.BulletList)):
            bl = blocks[i + 1]
            assert isinstance(bl, m.BulletList)
            items = []
            for item in bl.items:
                inl: list[m.Inline] = []
                for blk in item.blocks:
                    if isinstance(blk, m.Para):
                        inl.extend(blk.children)
                items.append(tuple(inl))
            return blocks[:i] + blocks[i + 2:], tuple(items)
    return blocks, ()


def _check_footnotes(blocks: tuple[m.Block, ...], builder: TreeBuilder, ctx: SourceContext) -> None:
    """Warn about references without definitions (markdown-it keeps them as
    text) and definitions never used (no call holds them, so they are gone).
    Calls anywhere count, a "Story at a glance" bullet's too."""
    for b in blocks:
        for n in m.walk(b):
            if isinstance(n, m.Text):
                for label in _MISSING_NOTE.findall(n.text):
                    ctx.warn(None, f"footnote reference [^{label}] has no definition (kept as text)",
                             "markup.footnote")
    for label, line in builder.uncalled_notes():
        ctx.warn(line, f"footnote [^{label}] is defined but never referenced (dropped)", "markup.footnote")


class _MarkdownReader:
    def __init__(self, ctx: SourceContext, body_line: int) -> None:
        self.ctx = ctx
        self.offset = body_line
        self.b = TreeBuilder(ctx)
        self.max_nesting = ctx.site.limits.max_depth + 2
        self.md = _parser(self.max_nesting)
        self.heading_ids: set[str] = set()
        self.in_footnote: str | None = None

    def line(self, tok: Token) -> int | None:
        return tok.map[0] + self.offset if tok.map else None

    def convert(self, text: str) -> tuple[m.Block, ...]:
        try:
            tokens = self.md.parse(text)
        except RecursionError:
            raise self.ctx.error(None, "content is nested too deeply to read (limit max_depth)") from None
        deepest = max((t.level for t in tokens), default=0)
        if deepest >= self.max_nesting - 1:
            raise self.ctx.error(None, f"content is nested more than {self.ctx.site.limits.max_depth} levels "
                                       "deep (limit max_depth)")
        self._blocks(tokens)
        return self.b.finish()

    def inline_only(self, text: str) -> tuple[m.Inline, ...]:
        tokens = self.md.parseInline(text)
        self.b.open("para", self.offset)
        for t in tokens:
            self._inline(t.children or [], self.offset)
        self.b.close("para")
        blocks = self.b.finish()
        if blocks and isinstance(blocks[0], m.Para):
            return blocks[0].children
        if blocks and isinstance(blocks[0], m.Figure):
            return (blocks[0].image,)
        return ()

    # ------------------------------------------------------------- blocks

    def _blocks(self, tokens: list[Token]) -> None:
        b = self.b
        for i, t in enumerate(tokens):
            line = self.line(t)
            if t.nesting == -1:
                close_html_frames(b)  # raw HTML a block left open ends with the container around it
            match t.type:
                case "paragraph_open":
                    b.open("para", line)
                case "heading_open":
                    b.open("heading", line, level=int(t.tag[1]))
                case "bullet_list_open":
                    b.open("bullet_list", line)
                case "ordered_list_open":
                    start = t.attrGet("start")
                    b.open("ordered_list", line, start=int(start) if start is not None else 1)
                case "list_item_open":
                    b.open("item", line)
                case "blockquote_open":
                    b.open("quote", line)
                case "table_open":
                    b.open("table", line)
                case "tr_open":
                    b.open("row", line)
                case "th_open" | "td_open":
                    style = str(t.attrGet("style") or "")
                    am = _ALIGN.search(style)
                    b.open("cell", line, align=am.group(1) if am else "", header=t.type == "th_open")
                case "dl_open" | "dt_open" | "dd_open":
                    b.open(t.tag, line)
                case "footnote_open":
                    label = _note_label(t)
                    self.in_footnote = label
                    b.open("footnote", line, label=label)
                case "footnote_close":
                    self.in_footnote = None
                    b.close("footnote")
                case "heading_close":
                    frame = b.top
                    frame.info["id"] = self._heading_id(m.inline_text(tuple(frame.items)))
                    b.close("heading")
                case ("paragraph_close" | "bullet_list_close" | "ordered_list_close" | "list_item_close"
                      | "blockquote_close" | "table_close" | "tr_close" | "th_close" | "td_close"
                      | "dl_close" | "dt_close" | "dd_close"):
                    b.close()
                case "fence" | "code_block":
                    lang = t.info.strip().split()[0] if t.info.strip() else ""
                    b.leaf(m.CodeBlock(t.content.rstrip("\n"), lang))
                case "hr":
                    b.leaf(m.ThematicBreak())
                case "html_block":
                    feeder = HtmlToModel(b, line, inline=False)
                    feeder.feed(t.content)
                    feeder.done(keep_open=True)
                case "inline":
                    children = t.children or []
                    if _task_checkbox(tokens, i):
                        # the box as a character every format shows (the plugin's <input> would be removed)
                        b.text("\u2611" if 'checked="checked"' in children[0].content else "\u2610")
                        children = children[1:]
                    self._inline(children, line)
                case _:
                    pass  # thead/tbody/footnote_block/footnote_anchor carry no content

    def _heading_id(self, text: str) -> str:
        # ASCII when the heading has Latin letters, else its own letters
        # (an Arabic or Japanese heading keeps a readable, unique anchor)
        base = slugify(text) or re.sub(r"[^\w]+", "-", text.lower()).strip("-")[:60] or "section"
        hid, n = base, 1
        while hid in self.heading_ids:
            n += 1
            hid = f"{base}-{n}"
        self.heading_ids.add(hid)
        return hid

    # ------------------------------------------------------------ inlines

    def _inline(self, tokens: list[Token], line: int | None) -> None:
        b = self.b
        for t in tokens:
            match t.type:
                case "text":
                    b.text(t.content)
                case "softbreak":
                    b.text(" ")
                case "hardbreak":
                    b.leaf(m.LineBreak())
                case "em_open":
                    b.open("em", line)
                case "strong_open":
                    b.open("strong", line)
                case "s_open":
                    b.open("strike", line)
                case "em_close" | "strong_close" | "s_close" | "link_close":
                    close_html_frames(b)
                    b.close()
                case "code_inline":
                    b.leaf(m.Code(t.content))
                case "link_open":
                    url = self.ctx.link_url(str(t.attrGet("href") or ""), line)
                    b.open("link", line, url=url, title=str(t.attrGet("title") or ""))
                case "image":
                    alt = m.inline_text(_alt_inlines(t))
                    key = self.ctx.image(str(t.attrGet("src") or ""), line)
                    if key is None:
                        b.words_apart(alt)
                    else:
                        b.leaf(m.Image(alt, key, str(t.attrGet("title") or "")))
                case "footnote_ref":
                    label = _note_label(t)
                    if self.in_footnote is not None:
                        self.ctx.warn(line, f"footnote [^{self.in_footnote}] refers to footnote [^{label}]; "
                                            "notes inside notes are not supported (kept as text)", "markup.footnote")
                        b.text(f"[{label}]")
                    else:
                        b.leaf(NoteCall(label, line))
                case "html_inline":
                    feeder = HtmlToModel(b, line, inline=True)
                    feeder.feed(t.content)
                    feeder.done()
                case _:
                    b.text(t.content)
        close_html_frames(b)


def _task_checkbox(tokens: list[Token], i: int) -> bool:
    """Whether inline token ``i`` starts with the tasklists plugin's checkbox:
    the first paragraph of an item the plugin marked as a task."""
    children = tokens[i].children or []
    return (i >= 2 and tokens[i - 1].type == "paragraph_open" and tokens[i - 2].type == "list_item_open"
            and "task-list-item" in str(tokens[i - 2].attrGet("class") or "")
            and bool(children) and children[0].type == "html_inline"
            and children[0].content.startswith('<input class="task-list-item-checkbox"'))


def _note_label(t: Token) -> str:
    meta = t.meta or {}
    label = meta.get("label")
    return str(label) if label is not None else f"note-{int(meta.get('id', 0)) + 1}"


def _alt_inlines(t: Token) -> tuple[m.Inline, ...]:
    return (m.Text("".join(c.content for c in (t.children or []) if c.type in ("text", "code_inline"))),)
