"""python-docx: where the DOCX writer reaches into internals, beside the
public path it replaces (see :mod:`storyexport.compat`).

* ``docx-package-members``: the package's members taken as python-docx
  1.2's ``OpcPackage.save`` would write them (its private
  ``PackageWriter._write_*`` steps, handed a collector instead of a zip
  file), so the writer zips the container once, reproducibly; public path:
  ``Document.save`` into memory, and the members read back from that zip.
"""

from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING

from . import shim

if TYPE_CHECKING:
    import docx.document
    from docx.opc.packuri import PackURI

PACKAGE_MEMBERS = shim("docx-package-members", {"python-docx": ("1.2.0",)},
                       "a 2 MB document (fonts embedded) zipped by python-docx, unzipped and zipped again")


class _Members:
    """Takes the place of python-docx's zip writer: collects the members
    in the order python-docx writes them."""

    def __init__(self) -> None:
        self.items: list[tuple[str, bytes]] = []

    def write(self, uri: PackURI, blob: bytes) -> None:
        self.items.append((uri.membername, blob))


def package_members(doc: docx.document.Document) -> list[tuple[str, bytes]]:
    """What ``Document.save`` zips, as (member name, bytes) in its order."""
    if not PACKAGE_MEMBERS.active():
        buf = io.BytesIO()
        doc.save(buf)
        with zipfile.ZipFile(buf) as z:
            return [(info.filename, z.read(info)) for info in z.infolist()]
    from docx.opc.pkgwriter import PackageWriter

    package = doc.part.package
    for part in package.parts:
        part.before_marshal()
    out = _Members()
    PackageWriter._write_content_types_stream(out, package.parts)
    PackageWriter._write_pkg_rels(out, package.rels)
    # python-docx annotates the physical writer as PhysPkgWriter, a factory class with
    # no methods; these steps only call write(uri, blob), which _Members has
    PackageWriter._write_parts(out, package.parts)  # type: ignore[arg-type]
    return out.items
