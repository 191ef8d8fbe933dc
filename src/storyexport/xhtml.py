"""The shared HTML renderer: article model to semantic, well-formed XHTML.

The HTML, PDF and EPUB writers all go through here (composition, not
inheritance); they differ only in :class:`HtmlOptions`: where images and
fonts are found, how footnotes are laid out, and which style sheet applies.
Everything is escaped here, once: no raw HTML from a source can reach this
point because the readers never put any in the model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import jinja2
from markupsafe import Markup, escape

from . import __version__
from . import model as m
from .config import Site
from .i18n import format_date
from .presentation import Call, Presented, present
from .theme import Theme

FootnoteMode = Literal["endnotes", "float", "epub"]
Medium = Literal["screen", "print", "ereader", "edition-print"]


@dataclass(frozen=True)
class WebHead:
    """What a page on the web carries in its head and the others do not:
    its canonical address, the feeds it advertises (autodiscovery), and the
    cards link previews and search engines read (Open Graph, Twitter,
    schema.org JSON-LD)."""

    canonical: str
    feeds: tuple[tuple[str, str, str], ...] = ()  # (media type, href, title)
    cards: tuple[tuple[str, str], ...] = ()  # (Open Graph property or twitter: name, content)
    json_ld: str = ""  # serialised, see json_ld_text


def json_ld_text(data: object) -> Markup:
    """JSON for a ``<script type="application/ld+json">``: no ``<``, ``>`` or
    ``&`` (they would end the element or break the XHTML), escaped as JSON
    allows."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return Markup(text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e"))


@dataclass(frozen=True)
class HtmlOptions:
    """What differs between the formats built on this renderer."""

    image_url: Callable[[m.Asset], str]
    footnotes: FootnoteMode = "endnotes"
    css_href: tuple[str, ...] = ()
    css_inline: str = ""
    xhtml: bool = True  # EPUB needs XML; browsers and WeasyPrint accept it too
    extra_head: tuple[tuple[str, str], ...] = field(default=())  # (meta name, content)
    web: WebHead | None = None  # a page on the web (not an e-book or a PDF)
    # put before every id the story defines (and every link to one), so many
    # stories can share one document (an edition) without their ids clashing
    id_prefix: str = ""


class Renderer:
    """A presented story to XHTML: numbers, ids, joins and sizes come from
    the :class:`~storyexport.presentation.Presented` story, never from here."""

    def __init__(self, story: Presented, opts: HtmlOptions) -> None:
        self.a = story.article
        self.story = story
        self.opts = opts
        self.labels = story.labels

    # ------------------------------------------------------------- inlines

    def inlines(self, nodes: tuple[m.Inline, ...]) -> str:
        return "".join(self.inline(n) for n in nodes)

    def inline(self, n: m.Inline | Call) -> str:
        match n:
            case m.Text(t):
                return str(escape(t))
            case m.Emph(c):
                return f"<em>{self.inlines(c)}</em>"
            case m.Strong(c):
                return f"<strong>{self.inlines(c)}</strong>"
            case m.Strike(c):
                return f"<del>{self.inlines(c)}</del>"
            case m.Superscript(c):
                return f"<sup>{self.inlines(c)}</sup>"
            case m.Subscript(c):
                return f"<sub>{self.inlines(c)}</sub>"
            case m.Code(t):
                return f"<code>{escape(t)}</code>"
            case m.Link(c, url, title):
                t = f' title="{escape(title)}"' if title else ""
                return f'<a href="{escape(url)}"{t}>{self.inlines(c)}</a>'
            case m.Image(alt, src, title):
                return self.image(alt, src, title, "inline")
            case m.LineBreak():
                return "<br/>"
            case Call():
                return self.noteref(n)
        raise TypeError(f"not an inline: {n!r}")  # pragma: no cover

    def image(self, alt: str, src: str, title: str, cls: str) -> str:
        asset = self.a.asset(src)
        if asset is None:  # the reader guarantees assets; be safe anyway
            return str(escape(alt))
        t = f' title="{escape(title)}"' if title else ""
        return (f'<img class="{cls}" src="{escape(self.opts.image_url(asset))}" alt="{escape(alt)}"'
                f' width="{asset.width}" height="{asset.height}"{t}/>')

    def noteref(self, call: Call) -> str:
        note = call.note
        n, note_id = note.number, escape(note.id)
        if self.opts.footnotes == "float" and call.first:
            body = "".join(self.span_block(b) for b in note.blocks)
            return f'<span class="footnote" id="{note_id}">{body}</span>'
        if self.opts.footnotes == "float":
            return f'<a class="footnote-ref" href="#{note_id}"><sup>{n}</sup></a>'
        epub = ' epub:type="noteref" role="doc-noteref"' if self.opts.footnotes == "epub" else ""
        return f'<a class="footnote-ref" id="{escape(call.id)}" href="#{note_id}"{epub}><sup>{n}</sup></a>'

    def span_block(self, b: m.Block) -> str:
        """A block as inline-level markup, for a page footnote that sits
        inside the paragraph referring to it (block elements would end the
        paragraph early in an HTML parser)."""
        match b:
            case m.Para(c) | m.Heading(_, c, _):
                return f'<span class="fn-block">{self.inlines(c)}</span>'
            case m.BulletList(items) | m.OrderedList(items, _):
                start = b.start if isinstance(b, m.OrderedList) else 0
                return "".join(
                    f'<span class="fn-block">{f"{start + i}. " if start else "• "}'
                    f'{"".join(self.span_block(x) for x in item.blocks)}</span>'
                    for i, item in enumerate(items))
            case m.BlockQuote(bs):
                return f'<span class="fn-block"><q>{"".join(self.span_block(x) for x in bs)}</q></span>'
            case m.CodeBlock(text, _):
                return f'<span class="fn-block"><code>{escape(text)}</code></span>'
            case m.Figure(img, caption):
                return f'<span class="fn-block">{escape(img.alt)} {self.inlines(caption)}</span>'
            case m.Table():
                rows = [b.header, *b.rows] if b.header else list(b.rows)
                return "".join('<span class="fn-block">' + " | ".join(self.inlines(c.children) for c in row)
                               + "</span>" for row in rows)
            case m.DefinitionList(items):
                return "".join(f'<span class="fn-block"><strong>{self.inlines(item.term)}</strong></span>'
                               + "".join(self.span_block(x) for d in item.definitions for x in d)
                               for item in items)
            case m.ThematicBreak():
                return ""
        raise TypeError(f"not a block: {b!r}")  # pragma: no cover

    # -------------------------------------------------------------- blocks

    def blocks(self, blocks: tuple[m.Block, ...]) -> str:
        return "\n".join(self.block(b) for b in blocks)

    def block(self, b: m.Block) -> str:
        match b:
            case m.Para(c):
                return f"<p>{self.inlines(c)}</p>"
            case m.Heading(level, c, hid):
                i = f' id="{escape(hid)}"' if hid else ""
                return f"<h{level}{i}>{self.inlines(c)}</h{level}>"
            case m.BulletList(items):
                return "<ul>\n" + "\n".join(self.item(i) for i in items) + "\n</ul>"
            case m.OrderedList(items, start):
                # the counter-reset spells out `start` for WeasyPrint, which ignores the attribute
                s = f' start="{start}" style="counter-reset: list-item {start - 1}"' if start != 1 else ""
                return f"<ol{s}>\n" + "\n".join(self.item(i) for i in items) + "\n</ol>"
            case m.BlockQuote(bs):
                return f"<blockquote>\n{self.blocks(bs)}\n</blockquote>"
            case m.Figure(img, caption):
                cap = f"<figcaption>{self.inlines(caption)}</figcaption>" if caption else ""
                return f"<figure>{self.image(img.alt, img.src, img.title, 'figure')}{cap}</figure>"
            case m.Table():
                return self.table(b)
            case m.CodeBlock(text, lang):
                cls = f' class="language-{escape(lang)}"' if lang else ""
                return f"<pre><code{cls}>{escape(text)}</code></pre>"
            case m.ThematicBreak():
                return "<hr/>"
            case m.DefinitionList(items):
                return "<dl>\n" + "\n".join(self.definition(item, i == len(items) - 1)
                                             for i, item in enumerate(items)) + "\n</dl>"
        raise TypeError(f"not a block: {b!r}")  # pragma: no cover

    def definition(self, item: m.DefinitionItem, last: bool) -> str:
        """A term and its definitions; a term without any shares the next
        item's (consecutive ``<dt>``), and the last one gets an empty ``<dd>``,
        which HTML requires after a term."""
        defs = [self.item_blocks(d, "dd") for d in item.definitions]
        if not defs and last:
            defs = ["<dd></dd>"]
        return f"<dt>{self.inlines(item.term)}</dt>" + "".join("\n" + d for d in defs)

    def item(self, item: m.ListItem) -> str:
        return self.item_blocks(item.blocks, "li")

    def item_blocks(self, blocks: tuple[m.Block, ...], tag: str) -> str:
        # tight items: a lone paragraph renders without <p>, as Markdown does
        if len(blocks) == 1 and isinstance(blocks[0], m.Para):
            return f"<{tag}>{self.inlines(blocks[0].children)}</{tag}>"
        return f"<{tag}>{self.blocks(blocks)}</{tag}>"

    def table(self, t: m.Table) -> str:
        def cell(tag: str, c: m.TableCell, i: int) -> str:
            al = t.align[i] if i < len(t.align) else ""
            style = f' style="text-align: {al}"' if al else ""
            scope = ' scope="col"' if tag == "th" else ""
            return f"<{tag}{scope}{style}>{self.inlines(c.children)}</{tag}>"

        out = ["<table>"]
        if t.caption:
            out.append(f"<caption>{self.inlines(t.caption)}</caption>")
        if t.header:
            out.append("<thead><tr>" + "".join(cell("th", c, i) for i, c in enumerate(t.header))
                       + "</tr></thead>")
        out.append("<tbody>")
        for row in t.rows:
            out.append("<tr>" + "".join(cell("td", c, i) for i, c in enumerate(row)) + "</tr>")
        out.append("</tbody></table>")
        return "\n".join(out)

    def endnotes(self) -> str:
        """Footnotes collected at the end, each with a back-link (web and EPUB)."""
        if not self.story.notes or self.opts.footnotes == "float":
            return ""
        epub = self.opts.footnotes == "epub"
        out = []
        for note in self.story.notes:
            n, note_id = note.number, escape(note.id)
            body = self.blocks(note.blocks)
            back = (f' <a class="footnote-back" href="#{escape(note.call_id)}" role="doc-backlink"'
                    f' aria-label="{escape(self.labels.back)} {n}">[{escape(self.labels.back)}]</a>')
            body = body[:-4] + back + "</p>" if body.endswith("</p>") else body + back
            if epub:
                out.append(f'<aside class="footnote" id="{note_id}" epub:type="footnote" role="doc-footnote">'
                           f'<span class="footnote-number">{n}.</span> {body}</aside>')
            else:
                out.append(f'<li id="{note_id}">{body}</li>')
        if epub:
            return '<section class="footnotes" role="doc-endnotes">\n' + "\n".join(out) + "\n</section>"
        return ('<section class="footnotes" role="doc-endnotes">\n<hr/>\n<ol>\n' + "\n".join(out)
                + "\n</ol>\n</section>")


_ENVS: dict[tuple[str, ...], jinja2.Environment] = {}


def environment(theme: Theme) -> jinja2.Environment:
    """Jinja2 environment over the theme's templates (inherited ones last)."""
    key = tuple(theme.template_dirs())
    env = _ENVS.get(key)
    if env is None:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(list(key)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters["date"] = format_date
        _ENVS[key] = env
    return env


def render_css(theme: Theme, medium: Medium, font_url: Callable[[str], str]) -> str:
    """The theme's style sheet for one medium, generated from its tokens."""
    fonts = [
        {"family": fam, "bold": bold, "italic": italic, "url": font_url(str(path))}
        for fam, bold, italic, path in theme.font_files()
    ]
    tmpl = environment(theme).get_template(f"{medium}.css.j2")
    return tmpl.render(theme=theme, fonts=fonts, t=theme, medium=medium, autoescape=False)


def _page_context(story: m.Article | Presented, theme: Theme, site: Site, opts: HtmlOptions) -> dict[str, object]:
    """What the article templates are given: decided once for the whole
    page (``article.html.j2``) and for the story alone (``story.html.j2``),
    from the presented story (``masthead``, ``summary``, ``body``,
    ``footnotes``); ``meta``, ``L`` and ``date_dir`` stay for themes that
    still read them."""
    p = _presented(story, opts)
    r = Renderer(p, opts)
    meta = p.article.meta
    return dict(
        a=p.article, meta=meta, site=site, theme=theme, opts=opts, masthead=p.masthead,
        summary=[Markup(r.inlines(item)) for item in p.summary],
        body=Markup(r.blocks(p.blocks)), footnotes=Markup(r.endnotes()),
        css_inline=Markup(opts.css_inline.replace("</", "<\\/")),
        direction=p.direction, generator=f"storyexport {__version__}", L=p.labels,
        date_dir=p.masthead.dateline.direction if p.masthead.dateline else "ltr",
        cover=Markup(r.image(meta.title, meta.cover, "", "cover")) if meta.cover else "",
    )


def _presented(story: m.Article | Presented, opts: HtmlOptions) -> Presented:
    """The story as presented: given (its ids already carry their prefix), or
    presented here with ``opts.id_prefix``."""
    return story if isinstance(story, Presented) else present(story, opts.id_prefix)


def render_article(story: m.Article | Presented, theme: Theme, site: Site, opts: HtmlOptions) -> str:
    """A complete XHTML document for one story."""
    tmpl = environment(theme).get_template("article.html.j2")
    return tmpl.render(**_page_context(story, theme, site, opts))


def render_story(story: m.Article | Presented, theme: Theme, site: Site, opts: HtmlOptions) -> str:
    """The story's ``<article class="story">`` element alone (masthead,
    summary, body, notes, rights), for a document that holds many stories
    (an edition); ``opts.id_prefix`` keeps its ids apart from theirs."""
    tmpl = environment(theme).get_template("story.html.j2")
    return tmpl.render(**_page_context(story, theme, site, opts))


def render_fragment(story: m.Article | Presented, opts: HtmlOptions) -> str:
    """The story's body and its notes as an HTML fragment (for feed
    content): no page, no masthead, no style."""
    p = _presented(story, opts)
    r = Renderer(p, opts)
    return r.blocks(p.blocks) + ("\n" + r.endnotes() if p.notes else "")
