"""The article's XHTML as the tree WeasyPrint's HTML parser would build,
parsed by expat instead.

WeasyPrint reads HTML with tinyhtml5, a pure-Python HTML5 parser: about
3.5 ms of a PDF's 130 ms of CPU, spent re-reading markup our own renderer
has just written as well-formed XHTML. Expat parses the same text in a
fiftieth of that. The tree is then made the one tinyhtml5 returns for this
input (``namespace_html_elements=False``): element names and ``xml:lang`` /
``epub:type`` attributes without namespaces, the ``xmlns`` declarations as
plain attributes, and whitespace placed where HTML's tree construction puts
it. A test holds the two trees equal for every sample; anything that is not
XML (a theme template writing HTML-only markup) returns None, and the caller
falls back to WeasyPrint's own parser.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

_PREFIXES = {
    "http://www.w3.org/1999/xhtml": "",
    "http://www.w3.org/XML/1998/namespace": "xml:",
    "http://www.idpf.org/2007/ops": "epub:",
}


class _Builder(ET.TreeBuilder):
    """A tree builder that also keeps the namespace declarations."""

    def __init__(self) -> None:
        super().__init__()
        self.declared: list[tuple[str, str]] = []

    def start_ns(self, prefix: str, uri: str) -> None:
        self.declared.append((prefix, uri))


def _html_name(name: str) -> str | None:
    if name[0] != "{":
        return name
    uri, _, local = name[1:].partition("}")
    prefix = _PREFIXES.get(uri)
    return None if prefix is None else prefix + local


def html_tree(xhtml: str) -> ET.Element | None:
    """The tree of ``<html>``, or None if ``xhtml`` is not a document whose
    tree this function can vouch for."""
    builder = _Builder()
    parser = ET.XMLParser(target=builder)
    try:
        parser.feed(xhtml)
        root = parser.close()
    except ET.ParseError:
        return None
    for el in root.iter():
        tag = _html_name(el.tag)
        if tag is None:
            return None  # an element of another vocabulary (SVG, MathML): the HTML parser treats those its own way
        el.tag = tag
        if el.attrib:
            attrib = {}
            for k, v in el.attrib.items():
                name = _html_name(k)
                if name is None:
                    return None
                attrib[name] = v
            el.attrib = attrib
    if root.tag != "html" or [c.tag for c in root] != ["head", "body"]:
        return None
    for prefix, uri in builder.declared:
        root.set(f"xmlns:{prefix}" if prefix else "xmlns", uri)
    # HTML's tree construction drops whitespace before <head> and gives what
    # follows </body> (and </html>) to the body's last node.
    if root.text is not None and not root.text.strip():
        root.text = None
    body = root[1]
    after = (body.tail or "") + xhtml[xhtml.rindex(">") + 1 :]
    if after.strip():
        return None
    body.tail = None
    if after:
        if len(body):
            body[-1].tail = (body[-1].tail or "") + after
        else:
            body.text = (body.text or "") + after
    return root
