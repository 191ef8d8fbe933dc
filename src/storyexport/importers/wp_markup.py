"""WordPress's own markup, resolved to plain HTML before the one HTML
converter reads it: Gutenberg block comments, shortcodes and the classic
editor's automatic paragraphs (``wpautop``).

Nothing here builds model nodes; it rewrites WordPress text into the HTML
WordPress itself would have served, with embeds, media players and captions
turned into what the model can hold (links and figures).
"""

from __future__ import annotations

import bisect
import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# ------------------------------------------------------------------ blocks

_BLOCK = re.compile(
    r"<!--\s+(?P<close>/)?wp:(?P<name>[a-z][a-z0-9_-]*(?:/[a-z][a-z0-9_-]*)?)\s+"
    r"(?P<attrs>\{.*?\}\s+)?(?P<void>/)?-->", re.S)
MORE = "<!--more-->"
# Blocks WordPress renders on the server from their attributes alone: an
# export holds nothing of what they showed.
_DYNAMIC = {"latest-posts", "archives", "categories", "calendar", "tag-cloud", "rss", "search",
            "latest-comments", "page-list", "navigation", "social-links", "loginout", "query",
            "post-title", "post-content", "site-title", "site-logo", "comments"}


@dataclass
class Block:
    name: str
    attrs: dict[str, Any]
    parts: list[str | Block] = field(default_factory=list)


def parse_blocks(text: str) -> list[str | Block]:
    """Block comments to a tree; text outside any block stays a string
    (WordPress's "freeform" content). Unbalanced comments are tolerated the
    way WordPress tolerates them: a stray closer is dropped, an unclosed
    opener ends with the text."""
    root: list[str | Block] = []
    stack: list[Block] = []
    pos = 0
    for mt in _BLOCK.finditer(text):
        target = stack[-1].parts if stack else root
        if mt.start() > pos:
            target.append(text[pos:mt.start()])
        pos = mt.end()
        name = mt.group("name").removeprefix("core/")
        if mt.group("close"):
            for i in range(len(stack) - 1, -1, -1):
                if stack[i].name == name:
                    del stack[i:]
                    break
            continue
        try:
            attrs = json.loads(mt.group("attrs")) if mt.group("attrs") else {}
        except ValueError:
            attrs = {}
        block = Block(name, attrs if isinstance(attrs, dict) else {})
        target.append(block)
        if not mt.group("void"):
            stack.append(block)
    if pos < len(text):
        (stack[-1].parts if stack else root).append(text[pos:])
    return root


def has_blocks(text: str) -> bool:
    return "<!-- wp:" in text


# -------------------------------------------------------------- shortcodes

_OPENER = re.compile(r"\[(\[?)([A-Za-z][\w-]*)(?![\w-])([^\[\]]*?)(/?)\](\]?)")
_CLOSER = re.compile(r"\[/([A-Za-z][\w-]*)\]")
_ODD_SPACES = re.compile(r"[\u00a0\u200b]")  # read as spaces between attributes, as WordPress does
_IMG = re.compile(r"<img\b[^>]*>", re.I)
_LINKED_IMG = re.compile(r"<a\b[^>]*>\s*<img\b[^>]*>\s*</a>|<img\b[^>]*>", re.I)
_ATTR = re.compile(
    r"""([\w-]+)\s*=\s*"([^"]*)"(?:\s|$)|([\w-]+)\s*=\s*'([^']*)'(?:\s|$)|([\w-]+)\s*=\s*([^\s'"]+)(?:\s|$)"""
    r"""|"([^"]*)"(?:\s|$)|'([^']*)'(?:\s|$)|(\S+)(?:\s|$)""")
# Bare "[name]" with no attributes and no closer is a shortcode only for these
# (or names with - or _): "[sic]" and "[1]" in a story are text.
_BARE = {"toc", "contact-form", "gallery", "playlist", "embed", "audio", "video", "caption", "more",
         "adsense", "ad", "related", "wpforms", "ninja_forms"}
_EMBEDS = {"youtube": "YouTube video", "vimeo": "Vimeo video", "soundcloud": "SoundCloud audio",
           "tweet": "Tweet", "twitter": "Tweet", "instagram": "Instagram post", "wpvideo": "Video"}
_AUDIO_KEYS = ("src", "mp3", "m4a", "ogg", "wav", "wma", "flac")
_VIDEO_KEYS = ("src", "mp4", "m4v", "webm", "ogv", "wmv", "flv")
MAX_ROUNDS = 40


def shortcode_attrs(text: str) -> tuple[dict[str, str], list[str]]:
    """Named and positional attributes, as WordPress's ``shortcode_parse_atts``."""
    named: dict[str, str] = {}
    positional: list[str] = []
    text = _ODD_SPACES.sub(" ", text)
    for mt in _ATTR.finditer(text):
        if mt.group(1):
            named[mt.group(1).lower()] = mt.group(2)
        elif mt.group(3):
            named[mt.group(3).lower()] = mt.group(4)
        elif mt.group(5):
            named[mt.group(5).lower()] = mt.group(6)
        else:
            value = next(g for g in (mt.group(7), mt.group(8), mt.group(9)) if g is not None)
            positional.append(value)
    return named, positional


@dataclass
class Attachment:
    url: str
    title: str = ""
    caption: str = ""
    alt: str = ""
    parent: int = 0
    order: int = 0
    mime: str = ""


def literal(text: str) -> str:
    """Brackets as character references, so a later round never reads them
    as shortcodes (the HTML converter turns them back into brackets)."""
    return text.replace("[", "&#91;").replace("]", "&#93;")


def _link(label: str, url: str) -> str:
    u = html.escape(url)
    return f'<p>{html.escape(label)}: <a href="{u}">{u}</a></p>'


@dataclass
class Shortcodes:
    """Expands the shortcodes of one post. ``attachments`` resolves ids;
    ``children`` lists a post's attached images (a ``[gallery]`` without ids);
    ``warn`` reports what cannot be kept."""

    attachments: Callable[[int], Attachment | None]
    children: Callable[[], list[Attachment]]
    warn: Callable[[str], None]

    def expand(self, text: str) -> str:
        if "[" not in text:
            return text
        for _ in range(MAX_ROUNDS):
            new = self._round(text)
            if new == text:
                return new
            text = new
        self.warn(f"shortcodes nested more than {MAX_ROUNDS} deep; the rest kept as text")
        return literal(text)

    def _round(self, text: str) -> str:
        """One left-to-right pass: each shortcode replaced, its content (up to
        the first matching closer, as WordPress reads it) left for the next."""
        closers: dict[str, list[int]] = {}
        for found in _CLOSER.finditer(text):
            closers.setdefault(found.group(1), []).append(found.start())
        out: list[str] = []
        pos = 0
        while (mt := _OPENER.search(text, pos)) is not None:
            out.append(text[pos:mt.start()])
            name, end, content = mt.group(2), mt.end(), None
            escaped = mt.group(1) == "[" and mt.group(5) == "]"
            if not mt.group(4) and not escaped:
                starts = closers.get(name, [])
                body = mt.end() - len(mt.group(5))
                k = bisect.bisect_left(starts, body)
                if k < len(starts):
                    end = starts[k] + len(name) + 3
                    content = text[body:starts[k]]
            if escaped:  # [[name]] is WordPress's way to write a literal [name]
                out.append(literal(mt.group(0)[1:-1]))
            else:
                out.append(mt.group(1) + self._one(name, mt.group(3), bool(mt.group(4)), content))
                if content is None:
                    out.append(mt.group(5))
            pos = end
        out.append(text[pos:])
        return "".join(out)

    def _one(self, name: str, attrs: str, closed: bool, content: str | None) -> str:
        key = name.lower()
        named, positional = shortcode_attrs(attrs)
        if key in _HANDLED:
            handler: Callable[[dict[str, str], list[str], str], str] = getattr(self, "_" + key)
            return handler(named, positional, content or "")
        if key in _EMBEDS:
            url = named.get("url") or (positional[0] if positional else "") or (content or "").strip()
            return _link(_EMBEDS[key], url) if url else ""
        if not (content is not None or closed or named or key in _BARE or "-" in key or "_" in key):
            return literal(f"[{name}{attrs}]")  # "[sic]", "[Updated: ...]": text, not a shortcode
        self.warn(f"unknown shortcode [{name}] removed" + (", its text kept" if content and content.strip() else ""))
        return content or ""

    # the shortcodes WordPress core (and WordPress.com's code highlighter) define

    def _caption(self, named: dict[str, str], positional: list[str], content: str) -> str:
        img = _IMG.search(content)
        caption = named.get("caption", "")
        rest = _LINKED_IMG.sub("", content, count=1).strip()
        caption = caption or rest
        if img is None:
            return f"<p>{caption}</p>" if caption else ""
        return f"<figure>{img.group(0)}<figcaption>{caption}</figcaption></figure>"

    _wp_caption = _caption

    def _gallery(self, named: dict[str, str], positional: list[str], content: str) -> str:
        ids = named.get("ids") or named.get("include") or ""
        if ids:
            items = []
            for part in ids.split(","):
                att = self.attachments(int(part)) if part.strip().isdigit() else None
                if att is None:
                    self.warn(f"[gallery]: attachment {part.strip()!r} is not in the export; left out")
                else:
                    items.append(att)
        else:
            items = [a for a in self.children() if a.mime.startswith("image/")]
        return "".join(_figure(a) for a in items) + _fallback(content)

    def _embed(self, named: dict[str, str], positional: list[str], content: str) -> str:
        url = content.strip() or named.get("src", "")
        return _link("Embedded content", url) if url else ""

    def _media(self, label: str, keys: tuple[str, ...], named: dict[str, str], positional: list[str],
               content: str) -> str:
        url = next((named[k] for k in keys if named.get(k)), "") or next(
            (p for p in positional if re.match(r"https?://", p)), "")  # WordPress.com: [audio URL]
        return (_link(label, url) if url else "") + _fallback(content)

    def _audio(self, named: dict[str, str], positional: list[str], content: str) -> str:
        return self._media("Audio", _AUDIO_KEYS, named, positional, content)

    def _video(self, named: dict[str, str], positional: list[str], content: str) -> str:
        return self._media("Video", _VIDEO_KEYS, named, positional, content)

    def _playlist(self, named: dict[str, str], positional: list[str], content: str) -> str:
        kind = "video" if named.get("type") == "video" else "audio"
        ids = [int(p) for p in (named.get("ids") or named.get("include") or "").split(",") if p.strip().isdigit()]
        atts = [a for a in (self.attachments(i) for i in ids) if a is not None] if ids else [
            a for a in self.children() if a.mime.startswith(kind + "/")]
        if not atts:
            return _fallback(content)
        items = "".join(f'<li><a href="{html.escape(a.url)}">{html.escape(a.title or a.url)}</a></li>' for a in atts)
        return f"<p>Playlist:</p><ul>{items}</ul>" + _fallback(content)

    def _code(self, named: dict[str, str], positional: list[str], content: str) -> str:
        lang = named.get("language") or named.get("lang") or ""
        cls = f' class="language-{html.escape(lang)}"' if re.fullmatch(r"[\w+#.-]+", lang) else ""
        code = html.unescape(content) if re.search(r"&(lt|gt|amp|quot);", content) else content
        return f"<pre{cls}>{literal(html.escape(code.strip(chr(10))))}</pre>"

    _sourcecode = _code


_HANDLED = {"caption", "wp_caption", "gallery", "embed", "audio", "video", "playlist", "code", "sourcecode"}


def _fallback(content: str) -> str:
    """What a media shortcode encloses is the text shown without the player:
    kept, so no words are lost."""
    return f"<div>{content}</div>" if content.strip() else ""


_WP_IMAGE = re.compile(r"""\sclass\s*=\s*(?:"[^"]*|'[^']*)\bwp-image-(\d+)\b""", re.I)
_ALT = re.compile(r"""\salt\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)


def attachment_alt(text: str, attachments: Callable[[int], Attachment | None]) -> str:
    """Images that name their attachment (``class="wp-image-N"``) and have
    no alt text of their own take the attachment's alt text, else its
    caption: what the site's editors wrote for the image in the media
    library (an image-only post often has nothing else)."""
    if "wp-image-" not in text:
        return text

    def one(mt: re.Match[str]) -> str:
        tag = mt.group(0)
        ident = _WP_IMAGE.search(tag)
        alt = _ALT.search(tag)
        if ident is None or (alt is not None and (alt.group(1) or alt.group(2) or "").strip()):
            return tag
        att = attachments(int(ident.group(1)))
        words = " ".join(html.unescape(re.sub(r"<[^>]*>", " ", att.alt or att.caption)).split()) if att else ""
        if not words:
            return tag
        value = f' alt="{html.escape(words)}"'
        return tag[:alt.start()] + value + tag[alt.end():] if alt else tag[:4] + value + tag[4:]

    return _IMG.sub(one, text)


def _figure(att: Attachment) -> str:
    cap = f"<figcaption>{html.escape(att.caption)}</figcaption>" if att.caption else ""
    return f'<figure><img src="{html.escape(att.url)}" alt="{html.escape(att.alt)}"/>{cap}</figure>'


# --------------------------------------------------------------------- autop

# The tags wpautop treats as blocks: never wrapped in a paragraph.
_BLOCK_NAMES = frozenset({
    "table", "thead", "tfoot", "caption", "col", "colgroup", "tbody", "tr", "td", "th", "div", "dl", "dd", "dt",
    "ul", "ol", "li", "pre", "form", "map", "area", "blockquote", "address", "math", "style", "p", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "fieldset", "legend", "section", "article", "aside", "hgroup", "header",
    "footer", "nav", "figure", "figcaption", "details", "menu", "summary", "audio", "video", "iframe", "object"})
# Block tags are found as any tag, then looked up: a case-blind alternation
# of fifty names tried at every character was a tenth of an import.
_TAG_OPEN = re.compile(r"<([^\s/<>]+)(?=[\s/>])")
_TAG_CLOSE = re.compile(r"</([^\s/<>]+)>")


def _is_block(name: str) -> bool:
    """Whether a tag name is a block's, as wpautop's ASCII-only, case-blind
    patterns decide it."""
    return name.isascii() and name.lower() in _BLOCK_NAMES


def _block_tag_apart(mt: re.Match[str]) -> str:
    return f"\n\n{mt.group(0)}" if _is_block(mt.group(1)) else mt.group(0)


def _after_block_close(mt: re.Match[str]) -> str:
    return f"{mt.group(0)}\n\n" if _is_block(mt.group(1)) else mt.group(0)


_LEADING_TAG = re.compile(r"</?([^\s/<>]+)[\s/>]")
_PRE = re.compile(r"(<pre[\s>].*?</pre>)", re.I | re.S)
_TAG_NEWLINES = re.compile(r"<[^<>\n]*\n[^<>]*>")  # tags written over several lines
_MORE_MARK = re.compile(r"\s*(<!--more(?:\s.*?)?-->)\s*")
_MORE_ANY = re.compile(r"<!--more(?:\s.*?)?-->")
_PARAGRAPHS = re.compile(r"\n\s*\n")
_COMMENT_ONLY = re.compile(r"^<!--.*-->$", re.S)
_BARE_URL = re.compile(r"https?://[^\s<>\"]+")


def autop(text: str) -> str:
    """WordPress's ``wpautop``, in its essentials: a blank line ends a
    paragraph, a single newline inside one is a line break, and block-level
    HTML is left as it is. ``<pre>`` is never touched."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for i, part in enumerate(_PRE.split(text)):
        out.append(part if i % 2 else _autop_part(part))
    return "\n".join(p for p in out if p)


def _autop_part(text: str) -> str:
    if not text.strip():
        return ""
    if "<!--more" in text:
        text = _MORE_MARK.sub(r"\n\n\1\n\n", text)
    text = _TAG_NEWLINES.sub(lambda mt: mt.group(0).replace("\n", " "), text)
    text = _TAG_OPEN.sub(_block_tag_apart, text)
    text = _TAG_CLOSE.sub(_after_block_close, text)
    out = []
    for para in _PARAGRAPHS.split(text):
        para = para.strip()
        if not para:
            continue
        lead = _LEADING_TAG.match(para)
        if (lead is not None and _is_block(lead.group(1))) or _COMMENT_ONLY.match(para):
            out.append(para)
        elif _BARE_URL.fullmatch(para):  # a bare address on its own: an oEmbed
            out.append(_link("Embedded content", para))
        else:
            out.append("<p>" + (_line_breaks(para) if "\n" in para else para) + "</p>")
    return "\n".join(out)


def _line_breaks(para: str) -> str:
    """Each newline of a paragraph, with the white space around it, as a
    line break: what ``re.sub(r"\\s*\\n\\s*", "<br />\\n", para)`` gives a
    paragraph that has no blank line and no white space at either end (the
    same white space: ``str.strip`` and ``\\s`` know the same), without a
    match tried at every character."""
    return "<br />\n".join(line.strip() for line in para.split("\n"))


# --------------------------------------------------------------- the whole body


@dataclass
class Resolved:
    html: str
    teaser: str  # the HTML before the "more" mark, or ""


def resolve(content: str, shortcodes: Shortcodes, reusable: Callable[[int], str | None]) -> Resolved:
    """A post's ``content:encoded`` as plain HTML: blocks resolved (classic
    text and ``[shortcode]`` blocks get ``wpautop``), shortcodes expanded."""
    if has_blocks(content):
        body = _render(parse_blocks(content), shortcodes, reusable, 0)
    else:
        body = autop(shortcodes.expand(content))
    teaser = ""
    if MORE in body:
        teaser = body.split(MORE, 1)[0]
    elif "<!--more" in body and _MORE_ANY.search(body):
        teaser = _MORE_ANY.split(body, maxsplit=1)[0]
    return Resolved(body, teaser)


def _render(parts: list[str | Block], sc: Shortcodes, reusable: Callable[[int], str | None], depth: int) -> str:
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            if depth == 0:  # freeform (classic) text between blocks
                out.append(autop(sc.expand(part)) if part.strip() else "")
            else:
                out.append(sc.expand(part))
            continue
        name = part.name
        if name == "shortcode" or name == "freeform":
            out.append(autop(sc.expand(_inner_text(part))))
        elif name == "html":
            out.append(sc.expand(_inner_text(part)))
        elif name == "more":
            out.append(MORE)
        elif name == "nextpage":
            continue
        elif name == "block":
            ref = part.attrs.get("ref")
            inner = reusable(ref) if isinstance(ref, int) else None
            if inner is None:
                sc.warn(f"reusable block {ref!r} is not in the export; left out")
            elif depth < 10:
                out.append(_render(parse_blocks(inner), sc, reusable, depth + 1))
        elif name in _DYNAMIC and not _inner_text(part).strip():
            sc.warn(f"block wp:{name} is drawn by WordPress when the page is served; the export holds "
                    "none of its content")
        elif depth < 40:
            out.append(_render(part.parts, sc, reusable, depth + 1))
        else:
            out.append(sc.expand(_inner_text(part)))
    return "\n".join(o for o in out if o)


def _inner_text(block: Block) -> str:
    out = []
    stack: list[str | Block] = [block]
    while stack:
        p = stack.pop()
        if isinstance(p, str):
            out.append(p)
        else:
            stack.extend(reversed(p.parts))
    return "".join(out)
