"""What Hugo shortcodes and Jekyll Liquid tags stand for, carried through
Markdown parsing.

Both tools expand their template syntax before the Markdown renderer sees
the text, and put the result back afterwards (Hugo literally: it swaps each
shortcode for a placeholder, renders, then swaps the HTML in). storyexport
does the same with model nodes: the pre-pass (``shortcodes.py``,
``liquid.py``) replaces each call by a placeholder made of Unicode
non-characters (which :meth:`SourceContext.clean` removes from every source,
so none can be forged), and the tree builder swaps the node back in where
the placeholder lands: a block when it is alone in a paragraph, inlines in
running text, its literal text inside code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import model as m

OPEN, CLOSE = "\ufdd0", "\ufdd1"
PLACEHOLDER = re.compile(f"{OPEN}(\\d+){CLOSE}")


@dataclass(frozen=True)
class Replacement:
    """What one template call stands for, in each context it may land in."""

    inlines: tuple[m.Inline, ...] = ()
    block: m.Block | None = None  # when it is a paragraph on its own
    text: str = ""  # inside code, and wherever only text fits


@dataclass
class Placeholders:
    """The replacements of one source file, by placeholder."""

    items: list[Replacement] = field(default_factory=list)

    def add(self, r: Replacement) -> str:
        self.items.append(r)
        return f"{OPEN}{len(self.items) - 1}{CLOSE}"

    def get(self, token: str) -> Replacement | None:
        """The replacement a text made of exactly one placeholder stands for."""
        match = PLACEHOLDER.fullmatch(token.strip())
        return self.items[int(match.group(1))] if match else None

    def text(self, s: str) -> str:
        """``s`` with every placeholder as its literal text (code, URLs)."""
        if OPEN not in s:
            return s
        return PLACEHOLDER.sub(lambda mt: self.items[int(mt.group(1))].text, s)

    def inlines(self, s: str, emit_text: Callable[[str], None], emit_node: Callable[[m.Inline], None]) -> None:
        """Feed ``s`` to a builder: plain runs as text, placeholders as the
        inlines they stand for (a block's words when it has no inline form)."""
        pos = 0
        for mt in PLACEHOLDER.finditer(s):
            if mt.start() > pos:
                emit_text(s[pos:mt.start()])
            r = self.items[int(mt.group(1))]
            if r.inlines:
                for node in r.inlines:
                    emit_node(node)
            elif r.text:
                emit_text(r.text)
            pos = mt.end()
        if pos < len(s):
            emit_text(s[pos:])


@dataclass(frozen=True)
class Call:
    """One parsed template call: ``{{< name a b key="c" >}}`` or ``{% name args %}``."""

    name: str
    args: tuple[str, ...]
    named: tuple[tuple[str, str], ...]
    line: int

    def arg(self, index: int, *names: str) -> str:
        """A positional argument, or the first of the named ones given."""
        for n in names:
            for k, v in self.named:
                if k == n:
                    return v
        return self.args[index] if 0 <= index < len(self.args) else ""

    def format(self, template: str, inner: str = "") -> str:
        """A site-defined template (``[source.shortcodes]``) filled in:
        ``{0}``, ``{1}``... positional, ``{name}`` named, ``{inner}``."""
        values = {str(i): a for i, a in enumerate(self.args)} | dict(self.named) | {"inner": inner}
        return re.sub(r"\{(\w+)\}", lambda mt: values.get(mt.group(1), ""), template)


_ARG = re.compile(r'\s*(?:([\w-]+)\s*=\s*)?("(?:[^"\\]|\\.)*"|`[^`]*`|[^\s"`]+)')


def parse_args(text: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Hugo's argument syntax, shared with Liquid tags: positional or
    ``key=value``, values bare, ``"quoted"`` (with escapes) or ```raw```."""
    args: list[str] = []
    named: list[tuple[str, str]] = []
    for mt in _ARG.finditer(text):
        value = mt.group(2)
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        elif value.startswith("`"):
            value = value[1:-1]
        if mt.group(1):
            named.append((mt.group(1), value))
        else:
            args.append(value)
    return tuple(args), tuple(named)


def line_at(text: str, offset: int, first_line: int) -> int:
    return first_line + text.count("\n", 0, offset)


def alone_on_line(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` fills its lines (block context)."""
    before = text.rfind("\n", 0, start) + 1
    after = text.find("\n", end)
    after = len(text) if after < 0 else after
    return not text[before:start].strip() and not text[end:after].strip()
