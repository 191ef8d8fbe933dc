"""Streaming XML for untrusted exports: no entity is expanded, nothing is
fetched, no text node may exceed libxml2's default 10 MB (no ``huge_tree``),
and a document that declares a DTD is refused before any element of it is
used. Every failure is a :class:`SourceError` with the line it happened on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from ..errors import SourceError


def iter_events(path: Path) -> Iterator[tuple[str, etree._Element]]:
    """``(event, element)`` pairs ("start" and "end") from lxml's iterparse,
    refusing DOCTYPEs (entity declarations: expansion bombs, external entities)."""
    parser = etree.iterparse(str(path), events=("start", "end"), resolve_entities=False, no_network=True,
                             load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True)
    events = iter(parser)
    try:
        for event, el in events:  # the first event: the document's DTD is known by then
            info = el.getroottree().docinfo
            if info.doctype or info.internalDTD is not None:
                raise SourceError("the document declares a DTD (<!DOCTYPE>); exports have none, and its "
                                  "entities are not expanded: refused", str(path), 1)
            yield event, el
            break
        yield from events
    except etree.XMLSyntaxError as e:
        fatal = [x for x in e.error_log if x.level_name == "FATAL"] if e.error_log else []
        line = max(1, (fatal[0].line if fatal else e.lineno) or 1)
        msg = (fatal[0].message if fatal else e.msg or str(e)).split(", line ")[0].splitlines()[0].strip()
        raise SourceError(f"not well-formed XML: {msg}", str(path), line) from None
    except OSError as e:
        raise SourceError(f"cannot read: {e.strerror or e}", str(path)) from None


def release(el: etree._Element) -> None:
    """Free an element that has been used, and its earlier siblings, so a
    stream of items holds one item at a time."""
    el.clear(keep_tail=False)
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


def text(el: etree._Element | None) -> str:
    return "" if el is None or el.text is None else el.text


def local(el: etree._Element) -> tuple[str, str]:
    """(namespace, local name) of an element. An undeclared prefix (a
    namespace error libxml2 tolerates) gives no namespace and the name after it."""
    return local_name(el.tag if isinstance(el.tag, str) else "")


def local_name(tag: str) -> tuple[str, str]:
    """:func:`local` of a tag."""
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag.rpartition(":")[2]
