"""The article model written back as Markdown, for the importers.

The one rule: what ``readers/markdown.py`` reads back from this text has the
same words, in the same order, in the same nodes. Text is escaped rather than
trusted; inline formatting uses ``*``/``**``/``~~`` where CommonMark's
flanking rules let the delimiters work and the equivalent raw HTML tag (which
the reader turns into the same node) where they would not. Images keep
whatever ``src`` the importer gave them (a URL or a path beside the source).
"""

from __future__ import annotations

import html
import re
import unicodedata

from .. import model as m

# Characters that start Markdown syntax anywhere in a line.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>~])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
# A brace the reader would take before Markdown: Hugo shortcodes and Liquid
# (``{{``, ``{%``), kramdown's attribute lists and extension tags (``{:``).
_TEMPLATE = re.compile(r"\{(?=[{%:])")
# A character any of the three may change.
_MAY_ESCAPE = re.compile(r"[\\`*_\[\]<>~&{]")
_UNESCAPED_DELIMITER = re.compile(r"(?<!\\)[*~]")
_REMOTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:|//")
_CLOSING_HASHES = re.compile(r"#+$")
_FENCE_RUN = re.compile(r"^`{3,}", re.M)
_NOT_IN_INFO = re.compile(r"[\s`]+")  # what a fence's info string cannot hold
# Line starts that would open a block: heading, quote, list, rule, setext underline, table,
# definition (":", which would make the line before it a term).
_LINE_START = re.compile(r"^( {0,3})([#>+=|:-]|\d{1,9}(?=[.)]))")


def escape_text(text: str) -> str:
    """Plain text as Markdown that reads back as the same text."""
    if not _MAY_ESCAPE.search(text):  # most text: one search, not three substitutions
        return text
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    text = _ENTITY.sub("&amp;", text)
    return _no_template(text)


def _no_template(text: str) -> str:
    """The reader expands Hugo shortcodes and Liquid (``{{``, ``{%``) and
    drops kramdown attribute lists (``{: .class}``) before it reads
    Markdown: such a brace is written as a character reference."""
    return _TEMPLATE.sub("&#123;", text)


def _escape_line_start(line: str) -> str:
    mt = _LINE_START.match(line)
    if not mt:
        return line
    lead, mark = mt.group(1), mt.group(2)
    if mark[0].isdigit():  # "1." -> "1\."
        end = mt.end()
        return line[:end] + "\\" + line[end:]
    return lead + "\\" + line[len(lead):]


def _flanking_ok(inner: str, before: str, after: str) -> bool:
    """Whether ``*inner*`` between the characters ``before`` and ``after``
    opens and closes as CommonMark's flanking rules require."""
    if not inner or inner[0].isspace() or inner[-1].isspace():
        return False

    def punct(c: str) -> bool:
        return bool(c) and unicodedata.category(c)[0] in "PS"

    first, last = inner[0], inner[-1]
    opens = not punct(first) or (not before or before.isspace() or punct(before))
    closes = not punct(last) or (not after or after.isspace() or punct(after))
    return opens and closes


class _Inlines:
    """Serialises a run of inlines, deciding delimiters with their context."""

    def __init__(self, in_table: bool = False, in_heading: bool = False, in_link: bool = False) -> None:
        self.in_table = in_table
        self.in_heading = in_heading
        self.in_link = in_link

    def run(self, nodes: tuple[m.Inline, ...] | list[m.Inline]) -> str:
        if len(nodes) == 1 and type(nodes[0]) is m.Text:
            return self.one(nodes[0])  # the loop below would leave it as it is
        delimited = (m.Emph, m.Strong, m.Strike)
        if self.in_link:  # Markdown has no link inside a link: its words join the run around them
            nodes = _unlinked(nodes)
        # a delimited neighbour counts as "*": conservative, it may turn into a tag
        parts = ["*" if isinstance(n, delimited) else self.one(n) for n in nodes]
        out: list[str] = []
        for i, node in enumerate(nodes):
            text = parts[i]
            if i and isinstance(nodes[i - 1], m.LineBreak) and isinstance(node, m.Text):
                text = text.lstrip(" ")  # the reader drops it anyway
            before = out[-1][-1:] if out and out[-1] else ""
            if isinstance(node, delimited):
                text = self._delimited(node, before, parts[i + 1][:1] if i + 1 < len(parts) else "")
            if before == "`" and text.startswith("`"):  # two code spans would merge
                text = "<!-- -->" + text
            if before in ("!", "^") and text.startswith("["):  # an image, an inline footnote
                out[-1] = out[-1][:-1] + f"&#{ord(before)};"
            out.append(text)
        # two nodes can meet at "{" + "%": the whole run is checked, not each text
        return _no_template("".join(out))

    def _delimited(self, node: m.Emph | m.Strong | m.Strike, before: str, after: str) -> str:
        """``*x*``, ``**x**`` or ``~~x~~`` where CommonMark's flanking rules
        let the delimiters work (white space at the edges moved outside), else
        the equivalent tag, which the reader maps onto the same node."""
        inner = self.run(node.children)
        tag = {m.Emph: "em", m.Strong: "strong", m.Strike: "del"}[type(node)]
        core = inner.strip(" ")
        lead, trail = inner[: len(inner) - len(inner.lstrip(" "))], inner[len(inner.rstrip(" ")):]
        before, after = (lead[-1:] or before), (trail[:1] or after)
        if not core:
            return inner
        if ("\n" in core or not _flanking_ok(core, before, after)
                or any(c in ("*", "~") for c in (before, after, core[:1], core[-1:]))
                or _UNESCAPED_DELIMITER.search(core)):  # nested delimiters could pair up wrongly
            return f"{lead}<{tag}>{core}</{tag}>{trail}"
        delim = {"em": "*", "strong": "**", "del": "~~"}[tag]
        return f"{lead}{delim}{core}{delim}{trail}"

    def one(self, n: m.Inline) -> str:
        match n:
            case m.Text(t):
                s = escape_text(t.replace("\n", " "))
                if self.in_heading and "{" in s:  # "## Title {#id}": kramdown's heading attributes, dropped
                    s = s.replace("{", "&#123;")
                return s.replace("|", "\\|") if self.in_table else s
            case m.Emph() | m.Strong() | m.Strike():
                return self._delimited(n, "", "")
            case m.Superscript(c):
                return _outside("<sup>", self.run(c), "</sup>")
            case m.Subscript(c):
                return _outside("<sub>", self.run(c), "</sub>")
            case m.Code(t):
                return _code_span(t, self.in_table)
            case m.Link(c, url, title):
                inner = _Inlines(self.in_table, self.in_heading, in_link=True).run(c)
                return _outside("[", inner, f"]({_destination(url)}{_title(title)})")
            case m.Image(alt, src, title):
                return f"![{escape_text(alt)}]({_destination(src)}{_title(title)})"
            case m.LineBreak():
                return "<br>" if self.in_table or self.in_heading else "\\\n"
            case m.Note(label, _):
                return f"[^{label}]"
        raise TypeError(f"not an inline: {n!r}")  # pragma: no cover


def _unlinked(nodes: tuple[m.Inline, ...] | list[m.Inline]) -> list[m.Inline]:
    """Links replaced by what they hold, at any depth of links."""
    out: list[m.Inline] = []
    for n in nodes:
        out.extend(_unlinked(n.children) if isinstance(n, m.Link) else (n,))
    return out


def _outside(start: str, inner: str, end: str) -> str:
    """Markup around ``inner`` with its edge spaces moved outside: the reader
    trims them inside an element, and words would run together."""
    core = inner.strip(" ")
    lead, trail = inner[: len(inner) - len(inner.lstrip(" "))], inner[len(inner.rstrip(" ")):]
    return f"{lead}{start}{core}{end}{trail}"


def _trim_breaks(nodes: tuple[m.Inline, ...]) -> tuple[m.Inline, ...]:
    """Line breaks at the edges of a paragraph show nothing, and a trailing
    one would read back as a literal backslash."""
    start, end = 0, len(nodes)
    def blank(n: m.Inline) -> bool:
        return isinstance(n, m.LineBreak) or (isinstance(n, m.Text) and not n.text.strip())

    while start < end and blank(nodes[start]):
        start += 1
    while end > start and blank(nodes[end - 1]):
        end -= 1
    return nodes[start:end]


def _code_span(text: str, in_table: bool) -> str:
    text = text.replace("\n", " ")
    if _TEMPLATE.search(text):  # no character reference works inside backticks: the tag does
        return _outside("<code>", escape_text(text), "</code>")
    if in_table and "|" in text:  # GFM splits cells before code spans: \| is the only way
        text = text.replace("|", "\\|")
    longest = max((len(r) for r in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else ""
    if not text.strip(" "):
        pad = ""  # an all-space span keeps its spaces as they are
    return f"{fence}{pad}{text}{pad}{fence}"


def _is_remote(src: str) -> bool:
    return bool(_REMOTE.match(src))


def _destination(url: str) -> str:
    for raw, code in (("{", "%7B"), ("}", "%7D"), ("<", "%3C"), (">", "%3E"), ("\n", "%0A"), (" ", "%20")):
        url = url.replace(raw, code)
    return f"<{url}>"


def _title(title: str) -> str:
    if not title:
        return ""
    quoted = title.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return ' "' + _no_template(_ENTITY.sub("&amp;", quoted)) + '"'


def _inline_block(nodes: tuple[m.Inline, ...], ser: _Inlines) -> str:
    # a paragraph's leading spaces mean nothing to the reader, but they would
    # indent it: four make code, and in a list item they move the content column
    text = ser.run(nodes).lstrip(" ")
    return "\n".join(_escape_line_start(line) for line in text.split("\n"))


def _indent(text: str, first: str, rest: str) -> str:
    lines = text.split("\n")
    return "\n".join((first if i == 0 else (rest if line else "")) + line for i, line in enumerate(lines))


class MarkdownWriter:
    """Blocks to Markdown. Lists alternate their markers so two lists in a
    row stay two lists, as they were in the model."""

    def __init__(self) -> None:
        self.bullet = "-"
        self.delim = "."

    def blocks(self, blocks: tuple[m.Block, ...] | list[m.Block]) -> str:
        out: list[str] = []
        prev: m.Block | None = None
        for b in blocks:
            text = self.block(b, prev)
            if isinstance(prev, m.DefinitionList) and isinstance(b, m.BulletList | m.OrderedList | m.DefinitionList):
                # the definition-list syntax would read the first line of a list item or term
                # followed by a ":" line as one more term of the list before: an empty comment ends it
                out.append("<!-- -->")
            if text:
                out.append(text)
            prev = b
        return "\n\n".join(out)

    def block(self, b: m.Block, prev: m.Block | None = None) -> str:
        match b:
            case m.Para(c):
                return _inline_block(_trim_breaks(c), _Inlines())
            case m.Heading(level, c, _):
                text = _Inlines(in_heading=True).run(_trim_breaks(c)).strip()
                run = _CLOSING_HASHES.search(text)
                if run:  # a closing sequence would be dropped: escape it
                    text = text[: run.start()] + "\\" + text[run.start():]
                return ("#" * max(1, min(level, 6)) + " " + text).rstrip()
            case m.Figure(img, caption):
                title = m.inline_text(caption).replace("\n", " ").strip()
                if title and _is_remote(img.src):
                    # the reader uses only images inside the source tree and keeps a remote
                    # one's alt text alone: the caption follows as its own paragraph so its
                    # words survive the export
                    return _Inlines().one(img) + "\n\n" + _inline_block(caption, _Inlines())
                return _Inlines().one(m.Image(img.alt, img.src, title))
            case m.BulletList(items):
                # a list right after another of its kind changes marker, else the two would merge
                self.bullet = "*" if isinstance(prev, m.BulletList) and self.bullet == "-" else "-"
                return self._list([f"{self.bullet} "] * len(items), items)
            case m.OrderedList(items, start):
                self.delim = ")" if isinstance(prev, m.OrderedList) and self.delim == "." else "."
                start = max(0, min(start, 999_999_999 - len(items)))
                return self._list([f"{start + i}{self.delim} " for i in range(len(items))], items)
            case m.BlockQuote(bs):
                inner = self.blocks(bs)
                return "\n".join(">" + (" " + line if line else "") for line in inner.split("\n"))
            case m.CodeBlock(text, language) if _TEMPLATE.search(text):
                lang = re.sub(r"[^\w+#.-]+", "", language)
                cls = f' class="language-{lang}"' if lang else ""
                return f"<pre{cls}>{_no_template(html.escape(text, quote=False))}</pre>"
            case m.CodeBlock(text, language):
                longest = max((len(r) for r in _FENCE_RUN.findall(text)), default=0)
                fence = "`" * max(3, longest + 1)
                lang = _NOT_IN_INFO.sub("", language)
                return f"{fence}{lang}\n{text}\n{fence}"
            case m.ThematicBreak():
                return "___"
            case m.Table():
                return self._table(b)
            case m.DefinitionList(items):
                return "\n\n".join(text for text in map(self._definition, items) if text)
        raise TypeError(f"not a block: {b!r}")  # pragma: no cover

    def _definition(self, item: m.DefinitionItem) -> str:
        """``Term`` then ``:   definition`` (indented), the syntax of the
        reader's deflist plugin. A term without definitions stays a line of
        its own (Markdown has no way to share the next term's)."""
        term = _escape_line_start(_Inlines(in_heading=True).run(_trim_breaks(item.term)).strip())
        bodies = [text for text in (MarkdownWriter().blocks(d) for d in item.definitions) if text]
        if not term:  # nothing to hang the definitions on: they stay as blocks
            return "\n\n".join(bodies)
        return "\n".join([term, *(_indent(text, ":   ", "    ") for text in bodies)])

    def _list(self, marks: list[str], items: tuple[m.ListItem, ...]) -> str:
        out = []
        loose = any(len(item.blocks) > 1 for item in items)
        for mark, item in zip(marks, items, strict=True):
            body = MarkdownWriter().blocks(item.blocks)
            out.append(_indent(body, mark, " " * len(mark)).rstrip(" "))
        return ("\n\n" if loose else "\n").join(out)

    def _table(self, t: m.Table) -> str:
        width = max([len(t.header)] + [len(r) for r in t.rows])
        ser = _Inlines(in_table=True)

        def row(cells: tuple[m.TableCell, ...]) -> str:
            texts = [ser.run(c.children).replace("\n", " ") for c in cells]
            texts += [""] * (width - len(texts))
            return "| " + " | ".join(texts) + " |"

        align = list(t.align) + [""] * (width - len(t.align))
        rule = {"": "---", "left": ":---", "center": ":---:", "right": "---:"}
        lines = [row(t.header), "| " + " | ".join(rule[a] for a in align) + " |"]
        lines += [row(r) for r in t.rows]
        out = "\n".join(lines)
        if t.caption:
            out = _inline_block(t.caption, _Inlines()) + "\n\n" + out
        return out


def footnotes(notes: list[m.Note]) -> str:
    """Each note's definition, in order of first call."""
    out = []
    for note in notes:
        body = MarkdownWriter().blocks(note.blocks)
        out.append(_indent(body, f"[^{note.label}]: ", "    ").rstrip(" "))
    return "\n\n".join(out)


def body_markdown(blocks: tuple[m.Block, ...]) -> str:
    """The Markdown body (without front matter) for blocks: each note is a
    call where it is (``[^label]``) and a definition at the end."""
    text = MarkdownWriter().blocks(blocks)
    notes = m.notes(blocks)
    if notes:
        text += "\n\n" + footnotes(notes)
    return text + "\n"
