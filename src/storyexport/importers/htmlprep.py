"""CMS HTML made ready for the readers' HTML converter.

Publishing systems wrap content in markup the model has no node for: a
``<figure>`` around an image and its ``<figcaption>``, players (``<audio>``,
``<video>``, ``<iframe>``), embed wrappers, layout ``<div>``/``<span>``s and
inline styles. This step rewrites those into HTML the converter maps onto
the model (a captioned image, a labelled link) and drops layout-only
wrappers and presentation attributes, so the converter's warnings are left
for what is really lost. It never builds model nodes itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree

# What makes a fragment need this step, searched in its lower-cased text: a
# case-blind search of the original ran the alternation at every "<" and
# every space, a tenth of the whole import.
_NEEDED_TAG = re.compile(r"<(?:figure|div|span|section|font|center|audio|video|iframe|pre|article)\b")
_STYLE_ATTR = re.compile(r"\sstyle=")
# lxml's plain HTML parser, not lxml.html's: its elements need no Python class
# lookup, which cost a tenth of the conversion when every node is visited.
_PARSER = etree.HTMLParser(no_network=True, remove_comments=True, remove_pis=True, recover=True)
_UNWRAP = ("div", "span", "section", "font", "center", "article", "header", "footer", "main")
_PROVIDER = re.compile(r"is-provider-([\w-]+)")


def prepare(fragment: str, warn: Callable[[str], None] | None = None) -> str | etree._Element:
    """The fragment rewritten, as a tree whose root (a ``<div>`` of our own)
    holds it; or the fragment as it is when nothing applies. ``warn`` hears
    of each embedded frame replaced by a link."""
    low = fragment.lower()
    if not _NEEDED_TAG.search(low) and not ("style=" in low and _STYLE_ATTR.search(low)):
        return fragment
    root = _fragment_root(fragment)
    for el in root.iter("*"):
        if isinstance(el.tag, str) and "style" in el.attrib and el.tag not in ("td", "th"):
            del el.attrib["style"]
    for el in list(root.iter("audio", "video", "iframe")):
        if el.tag == "iframe" and warn is not None:
            warn(f"raw HTML: <iframe> replaced by a link to {str(el.get('src') or '')[:80]!r}")
        _media_link(el)
    for el in list(root.iter("pre")):
        _pre(el)
    for fig in reversed(list(root.iter("figure"))):
        _figure(fig)
    etree.strip_tags(root, *_UNWRAP)
    return root


def _fragment_root(fragment: str) -> etree._Element:
    """The fragment parsed as the body of a document, which becomes the
    ``<div>`` that holds it: the body's content as ``lxml.html``'s
    ``fragments_fromstring`` gives it, without moving each node into a
    document of its own. A fragment that is itself a whole document
    (``<html>``, ``<!DOCTYPE>``) is read as body content too: its ``<head>``
    elements are then dropped, with a warning, by the converter."""
    doc = etree.fromstring(f"<html><body>{fragment}</body></html>", _PARSER)
    root = None if doc is None else next(doc.iterchildren("body"), None)
    if root is None:  # libxml2 always makes the body it was given; should it not, no word is lost
        root = etree.Element("div")
        root.text = fragment
        return root
    for later in list(root.itersiblings()):  # "</body><body>" in the fragment makes a second body
        if later.tag == "body":
            _replace_by_content(later, root)
        else:
            root.append(later)
    root.tag = "div"
    root.attrib.clear()  # attributes of a <body> inside the fragment, merged onto it
    if root.text is not None and not root.text.strip():
        root.text = None  # white space before the first element
    return root


def _replace_by_content(body: etree._Element, into: etree._Element) -> None:
    """Move what ``body`` holds (its text, then its children) to the end of
    ``into``, and remove ``body``."""
    if body.text:
        last = into[-1] if len(into) else None
        if last is None:
            into.text = (into.text or "") + body.text
        else:
            last.tail = (last.tail or "") + body.text
    into.extend(list(body))
    parent = body.getparent()
    if parent is not None:
        parent.remove(body)


def _replace(el: etree._Element, new: list[etree._Element]) -> None:
    """Put ``new`` where ``el`` was, keeping the text that followed it."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    idx = parent.index(el)
    parent.remove(el)
    for i, n in enumerate(new):
        parent.insert(idx + i, n)
    if tail:
        if new:
            new[-1].tail = (new[-1].tail or "") + tail
        elif idx > 0:
            prev = parent[idx - 1]
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail


def labelled_link(label: str, url: str) -> etree._Element:
    p = etree.Element("p")
    p.text = f"{label}: "
    a = etree.SubElement(p, "a", href=url)
    a.text = url
    return p


def _media_link(el: etree._Element) -> None:
    src = el.get("src") or next((s.get("src") for s in el.iter("source") if s.get("src")), None)
    label = {"audio": "Audio", "video": "Video", "iframe": "Embedded content"}[el.tag]
    if src and re.match(r"^(https?:)?//", src):
        _replace(el, [labelled_link(label, src if not src.startswith("//") else "https:" + src)])
    elif el.tag != "iframe":
        _replace(el, [])


def _pre(el: etree._Element) -> None:
    classes = (el.get("class") or "").split()
    code = el.find("code")
    if code is not None:
        classes += (code.get("class") or "").split()
    if "wp-block-verse" in classes:  # poetry: lines, not code
        el.tag = "p"
        el.attrib.clear()
        for child in list(el.iter()):
            for attr in ("text", "tail"):
                value = getattr(child, attr)
                if value and "\n" in value:
                    _split_lines(child, attr, value)
        return
    lang = next((c.removeprefix("language-").removeprefix("lang-") for c in classes
                 if c.startswith(("language-", "lang-"))), "")
    el.attrib.clear()
    if lang:
        el.set("class", "language-" + lang)


def _split_lines(el: etree._Element, attr: str, value: str) -> None:
    lines = value.strip("\n").split("\n") if attr == "text" else value.split("\n")
    setattr(el, attr, lines[0])
    parent, anchor = (el, None) if attr == "text" else (el.getparent(), el)
    if parent is None:
        return
    idx = 0 if anchor is None else parent.index(anchor) + 1
    for i, line in enumerate(lines[1:]):
        br = etree.Element("br")
        br.tail = line
        parent.insert(idx + i, br)


def _figure(fig: etree._Element) -> None:
    classes = fig.get("class") or ""
    caption_el = fig.find("figcaption")
    caption = " ".join("".join(caption_el.itertext()).split()) if caption_el is not None else ""
    if "wp-block-embed" in classes:
        wrapper = "".join(fig.itertext()).replace(caption, "").strip() if caption else "".join(fig.itertext()).strip()
        url = wrapper.split()[0] if wrapper.split() else ""
        provider = _PROVIDER.search(classes)
        label = "Embedded " + (provider.group(1).replace("-", " ").title() if provider else "content")
        new = [labelled_link(label, url)] if re.match(r"^https?://", url) else []
        if caption:
            p = etree.Element("p")
            p.text = caption
            new.append(p)
        _replace(fig, new)
        return
    images = list(fig.iter("img"))
    if len(images) != 1 or any(True for _ in fig.iter("table", "blockquote", "figure")
                               if _ is not fig):
        if caption_el is not None:
            caption_el.tag = "p"
        return
    img = images[0]
    holder = img.getparent()
    if holder is not fig and (holder is None or holder.tag != "a" or holder.getparent() is not fig):
        return  # an image deeper inside (a gallery of figures already rewritten): leave as it is
    other = " ".join("".join(fig.itertext()).split())
    if other != caption:  # words outside the caption: keep the figure's content as it is
        if caption_el is not None:
            caption_el.tag = "p"
        return
    new_img = etree.Element("img", src=img.get("src") or "", alt=img.get("alt") or "")
    if caption:
        new_img.set("title", caption)
    p = etree.Element("p")
    p.append(new_img)
    _replace(fig, [p])
