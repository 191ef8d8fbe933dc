"""An explicit-stack builder that turns open/close/leaf events into model nodes.

Both the Markdown token stream and sanitised raw HTML feed the same builder,
so ``*x*`` and ``<em>x</em>`` become the same node by construction. The stack
is explicit (no recursion), so hostile nesting is bounded by ``max_depth`` and
reported instead of overflowing Python's stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .. import model as m
from .source import SourceContext

INLINE_KINDS = {"em", "strong", "strike", "sup", "sub", "link", "code", "cell", "para", "heading", "caption"}
BLOCK_CONTAINERS = {"root", "item", "quote", "footnote"}


@dataclass
class Frame:
    kind: str
    line: int | None
    items: list[Any] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    html_tag: str | None = None  # set when raw HTML opened this frame


class TreeBuilder:
    def __init__(self, ctx: SourceContext) -> None:
        self.ctx = ctx
        self.stack: list[Frame] = [Frame("root", 1)]
        self.footnotes: list[m.Footnote] = []
        self.max_depth = ctx.site.limits.max_depth

    # ----------------------------------------------------------- events

    @property
    def top(self) -> Frame:
        return self.stack[-1]

    def open(self, kind: str, line: int | None, html_tag: str | None = None, **info: Any) -> None:
        if len(self.stack) > self.max_depth:
            raise self.ctx.error(line, f"content is nested more than {self.max_depth} levels deep "
                                       "(limit max_depth)")
        self.stack.append(Frame(kind, line, info=info, html_tag=html_tag))

    def close(self, kind: str | None = None) -> None:
        frame = self.stack.pop()
        if kind is not None and frame.kind != kind:  # pragma: no cover - a reader bug
            raise AssertionError(f"closing {kind} but {frame.kind} is open")
        self._finish(frame)

    def text(self, s: str) -> None:
        if not s or self.top.kind == "drop":
            return
        items = self.top.items
        if items and isinstance(items[-1], m.Text):
            items[-1] = m.Text(items[-1].text + s)
        else:
            items.append(m.Text(s))

    def leaf(self, node: Any) -> None:
        if self.top.kind == "drop":
            return
        if self.top.kind in INLINE_KINDS and not _is_inline(node):
            for inline in block_inlines(node):
                self.leaf(inline)
            return
        if isinstance(node, m.Text):
            self.text(node.text)
        else:
            self.top.items.append(node)

    def in_drop(self) -> bool:
        return any(f.kind == "drop" for f in self.stack)

    def finish(self) -> tuple[tuple[m.Block, ...], tuple[m.Footnote, ...]]:
        while len(self.stack) > 1:
            self.close()
        return _blocks(self.stack[0].items), tuple(self.footnotes)

    # ---------------------------------------------------------- building

    def _finish(self, f: Frame) -> None:
        inl = _inlines(f.items)
        node: Any
        match f.kind:
            case "drop":
                return
            case "unwrap":
                for item in f.items:
                    self.leaf(item)
                return
            case "para" | "caption":
                if not inl:
                    return
                node = _maybe_figure(inl)
            case "heading":
                node = m.Heading(f.info["level"], inl, f.info.get("id", ""))
            case "em":
                node = m.Emph(inl)
            case "strong":
                node = m.Strong(inl)
            case "strike":
                node = m.Strike(inl)
            case "sup":
                node = m.Superscript(inl)
            case "sub":
                node = m.Subscript(inl)
            case "code":
                node = m.Code(m.inline_text(inl))
            case "link":
                if not f.info.get("url"):
                    for item in inl:
                        self.leaf(item)
                    return
                node = m.Link(inl, f.info["url"], f.info.get("title", ""))
            case "pre":
                node = m.CodeBlock(m.inline_text(inl).strip("\n"), f.info.get("language", ""))
            case "bullet_list" | "ordered_list":
                items = tuple(i if isinstance(i, m.ListItem) else m.ListItem(_blocks([i]))
                              for i in f.items if not _blank(i))
                if not items:
                    return
                node = (m.BulletList(items) if f.kind == "bullet_list"
                        else m.OrderedList(items, f.info.get("start", 1)))
            case "item":
                node = m.ListItem(_blocks(f.items))
            case "quote":
                node = m.BlockQuote(_blocks(f.items))
            case "cell":
                node = m.TableCell(inl)
                node = (node, f.info.get("align", ""), f.info.get("header", False))
            case "row":
                node = ("row", tuple(c for c in f.items if isinstance(c, tuple)))
            case "table":
                node = _table(f.items)
                if node is None:
                    return
            case "footnote":
                self.footnotes.append(m.Footnote(f.info["label"], _blocks(f.items)))
                return
            case _:  # pragma: no cover
                raise AssertionError(f"unknown frame {f.kind}")
        if f.kind in ("cell", "row", "table"):
            self._append_raw(node)
        else:
            self.leaf(node)

    def _append_raw(self, node: Any) -> None:
        if self.top.kind == "drop":
            return
        if isinstance(node, m.Table) and self.top.kind in INLINE_KINDS:
            self.leaf(node)  # flattened to text
            return
        self.top.items.append(node)


def _is_inline(node: Any) -> bool:
    return isinstance(node, m.Text | m.Emph | m.Strong | m.Strike | m.Superscript | m.Subscript | m.Code
                      | m.Link | m.Image | m.LineBreak | m.NoteRef)


def block_inlines(node: Any) -> list[Any]:
    """A block's words as inlines, for block content found where only inline
    content may go (e.g. ``<p>`` inside ``<em>`` in raw HTML)."""
    text = []
    for n in m.walk(node):
        if isinstance(n, m.Text | m.Code):
            text.append(n.text)
        elif isinstance(n, m.Para | m.Heading | m.ListItem | m.TableCell):
            text.append(" ")
    return [m.Text(re.sub(r"\s+", " ", "".join(text)))]


def _blank(node: Any) -> bool:
    return isinstance(node, m.Text) and not node.text.strip()


def _inlines(items: list[Any]) -> tuple[m.Inline, ...]:
    out = [i for i in items if _is_inline(i)]
    # trim leading/trailing whitespace of the run
    while out and _blank(out[0]):
        out.pop(0)
    while out and _blank(out[-1]):
        out.pop()
    if out and isinstance(out[0], m.Text):
        out[0] = m.Text(out[0].text.lstrip())
    if out and isinstance(out[-1], m.Text):
        out[-1] = m.Text(out[-1].text.rstrip())
    return tuple(out)


def _blocks(items: list[Any]) -> tuple[m.Block, ...]:
    """Blocks from a container's children, wrapping stray inline runs in paragraphs."""
    out: list[m.Block] = []
    run: list[Any] = []

    def flush() -> None:
        inl = _inlines(run)
        if inl:
            out.append(_maybe_figure(inl))
        run.clear()

    for item in items:
        if _is_inline(item):
            run.append(item)
        else:
            flush()
            if isinstance(item, tuple):  # stray table row or cell outside a table
                continue
            out.append(item)
    flush()
    return tuple(out)


def _maybe_figure(inl: tuple[m.Inline, ...]) -> m.Block:
    if len(inl) == 1 and isinstance(inl[0], m.Image):
        img = inl[0]
        return m.Figure(img, (m.Text(img.title),) if img.title else ())
    return m.Para(inl)


def _table(items: list[Any]) -> m.Table | None:
    rows = [r[1] for r in items if isinstance(r, tuple) and r and r[0] == "row"]
    rows = [r for r in rows if r]
    if not rows:
        return None
    width = max(len(r) for r in rows)

    def pad(r: tuple[Any, ...]) -> tuple[m.TableCell, ...]:
        cells = [c[0] for c in r]
        return tuple(cells + [m.TableCell(())] * (width - len(cells)))

    head = rows[0] if all(c[2] for c in rows[0]) else ()
    body = rows[1:] if head else rows
    align = tuple(c[1] for c in head) if head else ()
    align = align + ("",) * (width - len(align)) if align else ()
    return m.Table(pad(head) if head else (), tuple(pad(r) for r in body), align)
