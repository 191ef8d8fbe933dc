"""Raw HTML in Markdown, converted rather than passed through.

Elements that mean something in the model (``<sup>``, ``<br>``, ``<img>``,
``<a>``, ``<p>``, lists, tables...) become model nodes; other harmless
elements are unwrapped so their text is kept; active or embedding content
(``<script>``, ``<style>``, ``<iframe>``, ``<object>``...) is dropped with its
content. No attribute survives except the few a node needs, and those are
vetted. Python's ``html.parser`` never expands external entities nor reads a
DOCTYPE, so XXE payloads stay inert text or vanish.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from .. import model as m
from .tree import Frame, TreeBuilder

INLINE_TAGS = {
    "em": "em", "i": "em", "cite": "em", "dfn": "em", "var": "em",
    "strong": "strong", "b": "strong",
    "s": "strike", "del": "strike", "strike": "strike",
    "sup": "sup", "sub": "sub",
    "code": "code", "kbd": "code", "samp": "code", "tt": "code",
}
BLOCK_TAGS = {
    "p": "para", "blockquote": "quote", "ul": "bullet_list", "ol": "ordered_list", "li": "item",
    "pre": "pre", "table": "table", "tr": "row", "th": "cell", "td": "cell", "figcaption": "para",
    "dl": "dl", "dt": "dt", "dd": "dd",
}
DROP_TAGS = {
    "script", "style", "iframe", "object", "embed", "applet", "template", "noscript", "svg", "math",
    "form", "textarea", "select", "button", "frame", "frameset", "noframes", "canvas", "audio",
    "video", "head", "title", "xml", "noembed", "dialog", "portal",
}
VOID_DROP = {"input", "link", "meta", "base", "source", "track", "param", "keygen", "area", "col"}
SILENT_UNWRAP = {"span", "div", "section", "article", "figure", "thead", "tbody", "tfoot", "main",
                 "small", "abbr", "u", "mark", "q", "ins", "time", "bdi", "bdo", "html", "body",
                 "header", "footer", "aside", "nav", "center", "font", "big", "colgroup", "caption",
                 "address", "details", "summary", "hgroup", "wbr", "picture"}
# Frames a block of raw HTML may leave open for the Markdown blocks after it,
# as a browser reads CommonMark's output: "<li>", a blank line, "Word", a blank
# line, "</li>" is one item holding "Word". Inline frames close with their block.
_SPANNING = {"item", "quote", "bullet_list", "ordered_list", "table", "row", "cell", "dl", "dt", "dd"}
_SPANNING_UNWRAP = {"div", "section", "article", "main", "header", "footer", "aside", "nav", "center",
                    "figure", "address", "details", "summary", "hgroup", "thead", "tbody", "tfoot",
                    "html", "body"}
_ALLOWED_ATTRS = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"},
                  "th": {"align", "style"}, "td": {"align", "style"}, "code": {"class"},
                  "pre": {"class"}}
# Attributes whose removal is worth a warning (others are presentation).
_REPORTED_ATTRS = frozenset({"style", "srcdoc", "formaction", "href", "src", "xlink:href"})
# What a block's start tag implicitly closes (besides an open paragraph).
_CLOSES: dict[str, tuple[str, ...]] = {"item": ("item",), "row": ("cell",), "cell": ("cell",), "dt": ("dt", "dd"),
                                       "dd": ("dt", "dd")}
_ALIGN = re.compile(r"text-align\s*:\s*(left|center|right)")
_HEADINGS = frozenset(f"h{n}" for n in range(1, 7))


def collapse_spaces(text: str) -> str:
    """Every run of white space as one space, as ``re.sub(r"\\s+", " ", text)``
    does (``str.split`` and ``\\s`` know the same white space) but several
    times faster on long text, which is most of what an import converts."""
    words = text.split()
    if not words:
        return " " if text else ""
    joined = " ".join(words)
    return (" " if text[0].isspace() else "") + joined + (" " if text[-1].isspace() else "")


class HtmlToModel(HTMLParser):
    """Feed raw HTML fragments; events go straight into a :class:`TreeBuilder`."""

    def __init__(self, builder: TreeBuilder, line: int | None, *, inline: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.b = builder
        self.ctx = builder.ctx
        self.line = line
        self.inline = inline
        self.base_depth = len(builder.stack)

    def warn(self, msg: str) -> None:
        self.ctx.warn(self.line, msg, "markup.raw_html")

    # HTMLParser hooks --------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs} if attrs else {}
        if a:
            allowed = _ALLOWED_ATTRS.get(tag, ())
            for k in a:
                if k not in allowed and (k.startswith("on") or k in _REPORTED_ATTRS):
                    what = "event handler" if k.startswith("on") else "attribute"
                    self.warn(f"raw HTML: removed {what} {k}= on <{tag}>")
        if tag == "p" and not self.b.in_drop():  # most start tags, decided first
            self._block_start(tag, a)
            return
        if self.b.in_drop():
            if tag in DROP_TAGS:
                self.b.open("drop", self.line, html_tag=tag)
            return
        if tag in DROP_TAGS:
            self.warn(f"raw HTML: removed <{tag}> and its content")
            self.b.open("drop", self.line, html_tag=tag)
        elif tag in VOID_DROP:
            self.warn(f"raw HTML: removed <{tag}>")
        elif tag == "br":
            self.b.leaf(m.LineBreak())
        elif tag == "hr":
            self.b.leaf(m.ThematicBreak())
        elif tag == "img":
            self._image(a)
        elif tag == "a":
            url = self.ctx.link_url(a["href"], self.line) if "href" in a else None
            self.b.open("link", self.line, html_tag=tag, url=url, title=a.get("title", ""))
        elif tag in INLINE_TAGS:
            self.b.open(INLINE_TAGS[tag], self.line, html_tag=tag)
        elif tag in _HEADINGS:
            self._implicit_close(("para",))
            self.b.open("heading", self.line, html_tag=tag, level=int(tag[1]))
        elif tag in BLOCK_TAGS:
            self._block_start(tag, a)
        else:
            if tag not in SILENT_UNWRAP:
                self.warn(f"raw HTML: unknown element <{tag}> unwrapped, its text kept")
            elif tag in ("span", "div", "u", "font", "center", "section", "article"):
                self.warn(f"raw HTML: <{tag}> unwrapped, its text kept")
            self.b.open("unwrap", self.line, html_tag=tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "hr", "img") and tag not in VOID_DROP:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        stack = self.b.stack
        for i in range(len(stack) - 1, 0, -1):
            frame = stack[i]
            if frame.html_tag is None:
                return  # never close a frame Markdown opened
            if frame.html_tag == tag:
                while len(stack) > i:
                    self.b.close()
                self.base_depth = min(self.base_depth, i)  # it closed a frame an earlier block left open
                return

    def handle_data(self, data: str) -> None:
        b = self.b
        if b.in_drop():
            return
        b.text(self.ctx.clean(data if b.in_pre() else collapse_spaces(data), self.line))

    def handle_decl(self, decl: str) -> None:
        self.warn("raw HTML: removed a <!DOCTYPE> or declaration")

    def unknown_decl(self, data: str) -> None:
        self.warn("raw HTML: removed a markup declaration")

    def handle_pi(self, data: str) -> None:
        self.warn("raw HTML: removed a processing instruction")

    # helpers -------------------------------------------------------------

    def _implicit_close(self, kinds: tuple[str, ...]) -> None:
        top = self.b.top
        if top.html_tag is not None and top.kind in kinds:
            self.b.close()

    def _block_start(self, tag: str, a: dict[str, str]) -> None:
        kind = BLOCK_TAGS[tag]
        if kind in ("para", "item", "row", "cell", "dt", "dd"):
            self._implicit_close(("para",))
            if kind != "para":
                self._implicit_close(_CLOSES[kind])
            if kind == "row":
                self._implicit_close(("row",))
            elif kind == "cell" and self.b.top.kind == "table":
                self.b.open("row", self.line, html_tag="tr")  # a cell right in a table implies its row
        info: dict[str, object] = {}
        if kind == "ordered_list":
            info["start"] = int(a["start"]) if a.get("start", "").isdigit() else 1
        elif kind == "cell":
            align = a.get("align") or (_ALIGN.search(a.get("style", "")) or [None, ""])[1]
            info["align"] = align if align in ("left", "center", "right") else ""
            info["header"] = tag == "th"
        elif kind == "pre":
            cls = a.get("class", "")
            info["language"] = cls.removeprefix("language-") if cls else ""
        self.b.open(kind, self.line, html_tag=tag, **info)

    def _image(self, a: dict[str, str]) -> None:
        alt = self.ctx.clean(a.get("alt", ""), self.line, "alt text")
        key = self.ctx.image(a["src"], self.line) if a.get("src") else None
        if key is None:
            if not a.get("src"):
                self.warn("raw HTML: <img> without src removed (alt text kept)")
            self.b.words_apart(alt)
            # a lone image's title is its caption (see _maybe_figure): its words stay too
            title = self.ctx.clean(a.get("title", ""), self.line, "title")
            if title.strip() != alt.strip():
                self.b.words_apart(title)
        else:
            self.b.leaf(m.Image(alt, key, a.get("title", "")))

    def done(self, *, keep_open: bool = False) -> None:
        """End of the fragment: flush the parser, and for block HTML close
        whatever the fragment left open; with ``keep_open``, block containers
        (lists, items, quotes, tables, definition lists, ``<div>``) stay open
        for the content that follows, up to their end tag or the end of the
        Markdown container around them."""
        self.close()
        if self.inline:
            return
        stack = self.b.stack
        keep = self.base_depth
        while keep_open and keep < len(stack) and _spans(stack[keep]):
            keep += 1
        while len(stack) > keep:
            self.b.close()


def _spans(frame: Frame) -> bool:
    return frame.kind in _SPANNING or (frame.kind == "unwrap" and frame.html_tag in _SPANNING_UNWRAP)


def close_html_frames(builder: TreeBuilder) -> None:
    """Close inline frames raw HTML left open at the end of a Markdown inline run."""
    while builder.top.html_tag is not None:
        builder.close()
