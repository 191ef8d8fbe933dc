"""EbookLib: where the EPUB writer reaches into internals, beside the
public path it replaces (see :mod:`storyexport.compat`).

* ``epub-package-members``: the container's members taken as EbookLib
  0.20's ``EpubWriter.write`` makes them (its private ``_write_*`` steps,
  handed a collector instead of a zip file, and its ``_write_opf_file`` hook
  for finishing the package document), so the writer zips the container
  once, reproducibly; public path: ``write_epub`` into memory, the members
  read back from that zip and the package document finished there.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

from lxml import etree

from . import shim

PACKAGE_MEMBERS = shim("epub-package-members", {"ebooklib": ("0.20",)},
                       "the book zipped by EbookLib, unzipped and zipped again")

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"

FinishOpf = Callable[[etree._Element], None]
"""Changes the package document's root element before it is serialised."""


class _Members:
    """Takes the place of EbookLib's ``zipfile.ZipFile``: collects the
    members in the order EbookLib writes them."""

    def __init__(self) -> None:
        self.items: list[tuple[str, bytes]] = []

    def writestr(self, name: str, data: str | bytes, compress_type: int | None = None) -> None:
        self.items.append((name, data.encode("utf-8") if isinstance(data, str) else data))


def _shimmed(book: Any, options: dict[str, Any], finish_opf: FinishOpf) -> list[tuple[str, bytes]]:
    from ebooklib import epub

    class Writer(epub.EpubWriter):
        """EbookLib 0.20's ``write`` with the zip file swapped for :class:`_Members`."""

        def write(self) -> None:
            self.out = _Members()
            self.out.writestr("mimetype", "application/epub+zip")
            self._write_container()
            self._write_opf()
            self._write_items()

        def _write_opf_file(self, root: etree._Element) -> None:
            finish_opf(root)
            super()._write_opf_file(root)

    writer = Writer("", book, options)
    writer.process()
    writer.write()
    return writer.out.items


def _public(book: Any, options: dict[str, Any], finish_opf: FinishOpf) -> list[tuple[str, bytes]]:
    from ebooklib import epub

    buf = io.BytesIO()
    epub.write_epub(buf, book, options)
    with zipfile.ZipFile(buf) as z:
        items = [(info.filename, z.read(info)) for info in z.infolist()]
    container = etree.fromstring(dict(items)["META-INF/container.xml"], _PARSER)
    opf = container.find(f".//{_CONTAINER}rootfile").get("full-path")
    for i, (name, data) in enumerate(items):
        if name == opf:
            root = etree.fromstring(data, _PARSER)
            finish_opf(root)  # and serialised as EbookLib's _write_opf_file does
            items[i] = (name, etree.tostring(root, pretty_print=True, encoding="utf-8", xml_declaration=True))
    return items


def package_members(book: Any, options: dict[str, Any], finish_opf: FinishOpf) -> list[tuple[str, bytes]]:
    """The EPUB container's members, (name, bytes) in EbookLib's order,
    ``mimetype`` first, with the package document passed through ``finish_opf``."""
    return (_shimmed if PACKAGE_MEMBERS.active() else _public)(book, options, finish_opf)
