"""An explicit-stack builder that turns open/close/leaf events into model nodes.

Both the Markdown token stream and sanitised raw HTML feed the same builder,
so ``*x*`` and ``<em>x</em>`` become the same node by construction. The stack
is explicit (no recursion), so hostile nesting is bounded by ``max_depth`` and
reported instead of overflowing Python's stack.

Whatever order the events come in, the builder only ever makes valid nodes,
repairing fragments as browsers do: each container takes what it may hold
and turns the rest into something it may (words in a list become an item,
an orphan item a one-item list, stray cells and rows a table, content in a
table goes before it, block content inside inline content becomes its text).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import model as m
from .source import SourceContext
from .templating import OPEN, Placeholders

INLINE_KINDS = {"em", "strong", "strike", "sup", "sub", "link", "code", "cell", "para", "heading", "caption",
                "pre", "dt"}
BLOCK_CONTAINERS = {"root", "item", "quote", "footnote", "dd"}


@dataclass(slots=True)
class Frame:
    kind: str
    line: int | None
    items: list[Any] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    html_tag: str | None = None  # set when raw HTML opened this frame


# Parts of a structure, not nodes by themselves: what a row, a table or a
# definition list is made from. A part found anywhere else is repaired.

@dataclass(frozen=True, slots=True)
class Cell:
    cell: m.TableCell
    align: m.Align = ""
    header: bool = False


@dataclass(frozen=True, slots=True)
class Row:
    cells: tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class Term:
    inlines: tuple[m.Inline, ...]


@dataclass(frozen=True, slots=True)
class Definition:
    blocks: tuple[m.Block, ...]


Part = Cell | Row | Term | Definition


@dataclass(frozen=True, slots=True)
class NoteCall:
    """A footnote call while the story is read: its note is usually defined
    further on, so :meth:`TreeBuilder.finish` puts the note (a
    :class:`~storyexport.model.Note`) in its place; no call leaves the reader."""

    label: str
    line: int | None


class TreeBuilder:
    def __init__(self, ctx: SourceContext) -> None:
        self.ctx = ctx
        self.stack: list[Frame] = [Frame("root", 1)]
        self.notes: dict[str, tuple[m.Block, ...]] = {}  # label -> blocks of each note defined
        self.note_lines: dict[str, int | None] = {}
        self.called: set[str] = set()
        self.max_depth = ctx.site.limits.max_depth
        self.placeholders: Placeholders | None = None  # template calls to swap back in (templating.py)
        # open "drop" and "pre" frames, counted as they open and close: every
        # start tag and text of raw HTML asks whether it is inside one
        self._drops = 0
        self._pres = 0

    # ----------------------------------------------------------- events

    @property
    def top(self) -> Frame:
        return self.stack[-1]

    def open(self, kind: str, line: int | None, html_tag: str | None = None, **info: Any) -> None:
        if len(self.stack) > self.max_depth:
            raise self.ctx.error(line, f"content is nested more than {self.max_depth} levels deep "
                                       "(limit max_depth)")
        self.stack.append(Frame(kind, line, info=info, html_tag=html_tag))
        if kind == "drop":
            self._drops += 1
        elif kind == "pre":
            self._pres += 1

    def close(self, kind: str | None = None) -> None:
        frame = self.stack.pop()
        if frame.kind == "drop":
            self._drops -= 1
        elif frame.kind == "pre":
            self._pres -= 1
        if kind is not None and frame.kind != kind:  # pragma: no cover - a reader bug
            raise AssertionError(f"closing {kind} but {frame.kind} is open")
        self._finish(frame)

    def text(self, s: str) -> None:
        top = self.stack[-1]
        if not s or top.kind == "drop":
            return
        items = top.items
        if top.info and top.info.pop("separated", False):
            s = s.lstrip()  # flattened block content already ended with a space
            if not s:
                return
        if items and isinstance(items[-1], m.Text):
            items[-1] = m.Text(items[-1].text + s)
        else:
            items.append(m.Text(s))

    def leaf(self, node: Any) -> None:
        """Put a node (or a part) into the open frame. Inline frames hold only
        inlines, so anything else there gives its words instead, set off by
        spaces; every other frame sorts out what it holds when it closes."""
        top = self.stack[-1]
        if top.kind == "drop":
            return
        if self.placeholders is not None and isinstance(node, m.Code | m.CodeBlock) and OPEN in node.text:
            node = dataclasses.replace(node, text=self.placeholders.text(node.text))
        if top.kind in INLINE_KINDS and _role(node) != "inline":
            self._separate()
            for inline in as_inlines(node):
                self.leaf(inline)
            self._separate()
            top.info["separated"] = True
            return
        if isinstance(node, m.Text):
            self.text(node.text)
        else:
            if top.info:
                top.info.pop("separated", None)
            top.items.append(node)

    def words_apart(self, s: str) -> None:
        """Text standing in for a dropped element (an image's alt text), set
        off by spaces as a browser sets off the box it draws for it, so it
        never glues to the words around it."""
        if not s.strip():
            return
        self._separate()
        self.text(s)
        self._separate()
        self.top.info["separated"] = True

    def _separate(self) -> None:
        items = self.top.items
        if items and not (isinstance(items[-1], m.Text) and items[-1].text[-1:].isspace()):
            self.text(" ")

    def in_drop(self) -> bool:
        return self._drops > 0

    def in_pre(self) -> bool:
        return self._pres > 0

    def finish(self) -> tuple[m.Block, ...]:
        while len(self.stack) > 1:
            self.close()
        self._swap_placeholders(self.stack[0])
        blocks = _blocks(self.stack[0].items)
        if self.notes:
            blocks = m.map_nodes(blocks, NoteCall, self._note)
        return blocks

    def _note(self, call: NoteCall) -> m.Inline:
        """The note a call names, or the call as text (with a located warning)."""
        blocks = self.notes.get(call.label)
        if blocks is None:
            self.ctx.warn(call.line, f"footnote reference [^{call.label}] has no definition (kept as text)",
                          "markup.footnote")
            return m.Text(f"[^{call.label}]")
        self.called.add(call.label)
        return m.Note(call.label, blocks)

    def uncalled_notes(self) -> list[tuple[str, int | None]]:
        """Notes defined but never called (label, line), known after :meth:`finish`."""
        return [(label, self.note_lines[label]) for label in self.notes if label not in self.called]

    # ---------------------------------------------------------- building

    def _swap_placeholders(self, f: Frame) -> None:
        """Put template calls back where their placeholders landed: a block
        for a paragraph that holds only one, literal text in code, inlines
        elsewhere."""
        table = self.placeholders
        if table is None or not any(isinstance(i, m.Text) and OPEN in i.text for i in f.items):
            return
        if f.kind in ("pre", "code"):
            f.items = [m.Text(table.text(i.text)) if isinstance(i, m.Text) else i for i in f.items]
            return
        if f.kind == "para":
            only = [i for i in f.items if not _blank(i)]
            r = table.get(only[0].text) if len(only) == 1 and isinstance(only[0], m.Text) else None
            if r is not None and r.block is not None:
                f.kind, f.items = "unwrap", [r.block]
                return
        items: list[Any] = []

        def text(s: str) -> None:
            if items and isinstance(items[-1], m.Text):
                items[-1] = m.Text(items[-1].text + s)
            else:
                items.append(m.Text(s))

        for item in f.items:
            if isinstance(item, m.Text) and OPEN in item.text:
                table.inlines(item.text, text, items.append)
            else:
                items.append(item)
        f.items = items

    def _finish(self, f: Frame) -> None:
        if self.placeholders is not None:
            self._swap_placeholders(f)
        inl = _inlines(f.items) if f.kind in _OF_INLINES else ()
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
                items = _list_items(f.items)
                if not items:
                    return
                node = (m.BulletList(items) if f.kind == "bullet_list"
                        else m.OrderedList(items, f.info.get("start", 1)))
            case "item":
                node = m.ListItem(_blocks(f.items))
            case "quote":
                node = m.BlockQuote(_blocks(f.items))
            case "cell":
                node = Cell(m.TableCell(inl), f.info.get("align", ""), f.info.get("header", False))
            case "row":
                node = Row(_row_cells(f.items))
            case "table":
                # what a table cannot hold goes before it, as browsers "foster-parent" it
                for item in f.items:
                    if not isinstance(item, Cell | Row) and not _blank(item):
                        self.leaf(item)
                node = _table([i for i in f.items if isinstance(i, Cell | Row)])
                if node is None:
                    return
            case "dl":
                for block in _definition_lists(_dl_parts(f.items)):
                    self.leaf(block)
                return
            case "dt":
                if not inl:
                    return
                node = Term(inl)
            case "dd":
                node = Definition(_blocks(f.items))
            case "footnote":
                self.notes.setdefault(f.info["label"], _blocks(f.items))
                self.note_lines.setdefault(f.info["label"], f.line)
                return
            case _:  # pragma: no cover
                raise AssertionError(f"unknown frame {f.kind}")
        self.leaf(node)


# Frames whose node is made from their inline run (the others never look at it).
_OF_INLINES = frozenset({"para", "caption", "heading", "em", "strong", "strike", "sup", "sub", "code", "link",
                         "pre", "cell", "dt"})
_INLINE_TYPES = (m.Text, m.Emph, m.Strong, m.Strike, m.Superscript, m.Subscript, m.Code, m.Link, m.Image,
                 m.LineBreak, NoteCall)  # a tuple: ``A | B`` would build a union at every call


_ROLE: dict[type, str] = {}  # node type -> "inline", or its :func:`_group`, or ""


def _role(node: Any) -> str:
    """What a node is to a container: asked of every item of every frame, so
    decided once per type."""
    kind = type(node)
    role = _ROLE.get(kind)
    if role is None:
        role = _ROLE[kind] = "inline" if isinstance(node, _INLINE_TYPES) else _group(node)
    return role


def _is_inline(node: Any) -> bool:
    return _role(node) == "inline"


def block_inlines(node: Any) -> list[Any]:
    """A block's words as inlines, for block content found where only inline
    content may go (e.g. ``<p>`` inside ``<em>`` in raw HTML)."""
    text = []
    for n in m.walk(node):
        if isinstance(n, m.Text | m.Code):
            text.append(n.text)
        elif isinstance(n, m.Image):
            text.append(n.alt)
        elif isinstance(n, m.Para | m.Heading | m.ListItem | m.TableCell | m.DefinitionItem | m.CodeBlock):
            text.append(" ")
            if isinstance(n, m.CodeBlock):
                text.append(n.text)
    return [m.Text(re.sub(r"\s+", " ", "".join(text)).strip())]


def as_inlines(node: Any) -> list[Any]:
    """The words of a block, list item or part, for a place that holds only inlines."""
    match node:
        case Cell(cell):
            return list(cell.children)
        case Row(cells):
            return [x for i, c in enumerate(cells) for x in [*([m.Text(" ")] if i else []), *c.cell.children]]
        case Term(inlines):
            return list(inlines)
        case Definition(blocks):
            return [x for i, b in enumerate(blocks) for x in [*([m.Text(" ")] if i else []), *block_inlines(b)]]
    return block_inlines(node)


def _blank(node: Any) -> bool:
    return isinstance(node, m.Text) and not node.text.strip()


def _inlines(items: list[Any]) -> tuple[m.Inline, ...]:
    """The inline run of ``items``, its leading and trailing white space trimmed."""
    out: list[Any] = [i for i in items if _role(i) == "inline"]
    while out and _blank(out[0]):
        out.pop(0)
    while out and _blank(out[-1]):
        out.pop()
    if not out:
        return ()
    first = out[0]  # not blank: a Text here has a character that is not white space
    if isinstance(first, m.Text) and first.text[0].isspace():
        out[0] = m.Text(first.text.lstrip())
    last = out[-1]
    if isinstance(last, m.Text) and last.text[-1].isspace():
        out[-1] = m.Text(last.text.rstrip())
    return tuple(out)


def _group(item: Any) -> str:
    """Which structure a stray item belongs to in a block container."""
    if isinstance(item, m.ListItem):
        return "list"
    if isinstance(item, Term | Definition):
        return "dl"
    if isinstance(item, Cell | Row):
        return "table"
    return ""


def _blocks(items: list[Any]) -> tuple[m.Block, ...]:
    """Blocks from a container's children: stray inline runs become
    paragraphs, orphan list items a bullet list, stray terms and definitions
    a definition list, stray rows and cells a table."""
    out: list[m.Block] = []
    run: list[Any] = []
    group: list[Any] = []

    def flush() -> None:
        if run:
            inl = _inlines(run)
            if inl:
                out.append(_maybe_figure(inl))
            run.clear()
        if not group:
            return
        match _group(group[0]):
            case "list":
                out.append(m.BulletList(tuple(group)))
            case "dl":
                out.extend(_definition_lists(group))
            case _:
                table = _table(group)
                if table is not None:
                    out.append(table)
        group.clear()

    for item in items:
        kind = _role(item)
        if kind == "inline":
            if group and _blank(item):
                continue  # white space between stray items
            if group:
                flush()
            run.append(item)
        elif kind:
            if run or (group and _role(group[0]) != kind):
                flush()
            group.append(item)
        else:
            flush()
            out.append(item)
    flush()
    return tuple(out)


def _gather(items: list[Any], kinds: type | tuple[type, ...], wrap: Callable[[list[Any]], Any]) -> list[Any]:
    """The parts of a structure: what it holds passes through, and each run of
    anything else between them is wrapped into one part of its own (``wrap``
    gives None for a run with no content)."""
    out: list[Any] = []
    run: list[Any] = []
    for item in [*items, None]:
        if item is None or isinstance(item, kinds):
            part = wrap(run) if run else None
            if part is not None:
                out.append(part)
            run = []
            if item is not None:
                out.append(item)
        else:
            run.append(item)
    return out


def _list_items(items: list[Any]) -> tuple[m.ListItem, ...]:
    """A list's items; anything between them becomes an item of its own."""
    return tuple(_gather(items, m.ListItem, lambda run: m.ListItem(bs) if (bs := _blocks(run)) else None))


def _row_cells(items: list[Any]) -> tuple[Cell, ...]:
    """A row's cells (a row inside a row gives its cells); content between
    cells becomes a cell of its own."""
    flat = [c for item in items for c in (item.cells if isinstance(item, Row) else (item,))]

    def cell(run: list[Any]) -> Cell | None:
        inl = _inlines([x for item in run for x in ([item] if _is_inline(item) else as_inlines(item))])
        return Cell(m.TableCell(inl)) if inl else None

    return tuple(_gather(flat, Cell, cell))


def _dl_parts(items: list[Any]) -> list[Term | Definition]:
    """A definition list's terms and definitions; content between them
    becomes a definition of its own."""
    return _gather(items, (Term, Definition), lambda run: Definition(bs) if (bs := _blocks(run)) else None)


def _definition_lists(parts: list[Any]) -> list[m.Block]:
    """Terms and definitions to a :class:`~storyexport.model.DefinitionList`.
    Definitions before the first term have none to belong to: their blocks
    stand on their own, before the list."""
    out: list[m.Block] = []
    items: list[tuple[tuple[m.Inline, ...], list[tuple[m.Block, ...]]]] = []
    for part in parts:
        if isinstance(part, Term):
            items.append((part.inlines, []))
        elif part.blocks and items:
            items[-1][1].append(part.blocks)
        else:
            out.extend(part.blocks)
    if items:
        out.append(m.DefinitionList(tuple(m.DefinitionItem(term, tuple(defs)) for term, defs in items)))
    return out


def _maybe_figure(inl: tuple[m.Inline, ...]) -> m.Block:
    if len(inl) == 1 and isinstance(inl[0], m.Image):
        img = inl[0]
        return m.Figure(img, (m.Text(img.title),) if img.title else ())
    return m.Para(inl)


def _table(parts: list[Cell | Row]) -> m.Table | None:
    """A table from its rows; cells outside a row make one, as browsers do."""
    rows: list[tuple[Cell, ...]] = []
    loose: list[Cell] = []
    for part in parts:
        if isinstance(part, Cell):
            loose.append(part)
            continue
        if loose:
            rows.append(tuple(loose))
            loose = []
        rows.append(part.cells)
    if loose:
        rows.append(tuple(loose))
    rows = [r for r in rows if r]
    if not rows:
        return None
    width = max(len(r) for r in rows)

    def pad(r: tuple[Cell, ...]) -> tuple[m.TableCell, ...]:
        cells = [c.cell for c in r]
        return tuple(cells + [m.TableCell(())] * (width - len(cells)))

    head = rows[0] if all(c.header for c in rows[0]) else ()
    body = rows[1:] if head else rows
    none: m.Align = ""
    align = tuple(c.align for c in head) + (none,) * (width - len(head)) if head else ()
    return m.Table(pad(head) if head else (), tuple(pad(r) for r in body), align)
