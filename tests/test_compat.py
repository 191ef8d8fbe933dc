"""Shims (``storyexport.compat``): each applies only to the library versions
it was tested on, ``STORYEXPORT_SHIMS`` switches them off, and every writer
with all of them off makes valid outputs that say what the shimmed ones say."""

from __future__ import annotations

import ast
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pypdf
import pytest
from lxml import etree

from conftest import ROOT, run_cli
from storyexport import compat
from storyexport.writers import available

SRC = ROOT / "src" / "storyexport"
XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
XML_PARTS = (".opf", ".xml", ".xhtml", ".ncx", ".rels")
SIZES = re.compile(rb'(?<=length=")\d+|(?<="size_in_bytes": )\d+|(?<=<span class="size">)[^<]+')


@pytest.fixture(scope="module")
def both(exported: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The samples exported in every format with the shims (as the other
    tests have them) and with ``STORYEXPORT_SHIMS=off``."""
    formats = ",".join(available())
    off = tmp_path_factory.mktemp("shims-off")
    r = run_cli("--format", formats, "--out", str(off), "--jobs", "2", env={compat.ENV: "off"})
    assert r.returncode == 0, r.stderr
    return exported(formats), off


def test_every_shim_applies_to_the_installed_versions() -> None:
    """The shims are in use here (so the suite tests them): a library at a
    version a shim was not tested on turns it off; test it with that version,
    then add the version to the shim's list."""
    shims = compat.all_shims()
    assert len(shims) >= 7
    for s in shims.values():
        versions = {d: compat.installed(d) for d in s.tested}
        assert s.active(), f"{s.name}: tested on {dict(s.tested)}, installed {versions}"


def test_the_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    shims = compat.all_shims()
    monkeypatch.setenv(compat.ENV, "Off")
    assert not any(s.active() for s in shims.values()) and compat.state() == "off"
    monkeypatch.setenv(compat.ENV, "-pdf-deflate-6, -docx-package-members")
    assert {n for n, s in shims.items() if not s.active()} == {"pdf-deflate-6", "docx-package-members"}
    assert compat.state() == "-docx-package-members,-pdf-deflate-6"
    monkeypatch.setenv(compat.ENV, "")
    assert all(s.active() for s in shims.values()) and compat.state() == ""


def test_an_untested_version_takes_the_public_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compat, "installed", lambda d: "0.0.1" if d == "weasyprint" else "x")
    assert not compat.all_shims()["pdf-expat-tree"].active()


def pdf_pages(path: Path) -> list[str]:
    return [p.extract_text() for p in pypdf.PdfReader(path).pages]


def members(path: Path) -> dict[str, bytes]:
    """A zip's members; XML ones canonicalised (EbookLib writes an empty
    element as ``<meta ...></meta>``, which reads back as ``<meta .../>``)."""
    with zipfile.ZipFile(path) as z:
        return {n: etree.tostring(etree.fromstring(z.read(n), XML), method="c14n") if n.endswith(XML_PARTS)
                else z.read(n) for n in z.namelist()}


def test_every_writer_without_shims(both: tuple[Path, Path]) -> None:
    """With the shims off: the same files; HTML, DOCX and feeds byte for byte
    (but for the enclosures' sizes), EPUB member for member (XML
    canonicalised), PDFs with the same text on the same pages (their streams
    are deflated at level 9 then, so the bytes differ); and every file passes
    ``storyexport check`` (EPUBCheck, pypdf, python-docx, feedparser)."""
    on, off = both
    files = sorted(p.relative_to(on) for p in on.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(off) for p in off.rglob("*") if p.is_file())
    kinds = {p.suffix for p in files}
    assert {".pdf", ".docx", ".epub", ".html", ".xml", ".json"} <= kinds
    for rel in files:
        a, b = on / rel, off / rel
        if rel.suffix == ".pdf":
            assert pdf_pages(a) == pdf_pages(b), rel
            assert len(b.read_bytes()) <= len(a.read_bytes()), rel  # level 9 without the deflate shim
        elif rel.suffix in (".docx", ".epub"):
            assert members(a) == members(b), rel
        else:  # (a feed or site index names each download's size, which differs for PDFs and EPUBs)
            assert SIZES.sub(b"#", a.read_bytes()) == SIZES.sub(b"#", b.read_bytes()), rel
    checked = run_cli("check", str(off))
    assert checked.returncode == 0 and " 0 failed" in checked.stdout, checked.stdout[-3000:]


def _patches(tree: ast.Module) -> list[str]:
    """Assignments to another library's attributes: to an attribute of an
    imported module (``pydyf.zlib = ...``, ``ctypes.util.find_library = ...``,
    or ``setattr`` on one), or to a private attribute of an object other than
    ``self`` or ``cls`` (``font_config._config = ...``)."""
    modules = {(a.asname or a.name).split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
               for a in n.names}
    modules |= {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names
                if (a.asname or a.name).islower()}  # submodules imported by name (``from weasyprint.pdf import fonts``)

    def root(node: ast.expr) -> str:
        while isinstance(node, ast.Attribute):
            node = node.value
        return node.id if isinstance(node, ast.Name) else ""

    found = []
    for n in ast.walk(tree):
        targets = n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(n, ast.AugAssign) else []
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "setattr" and n.args:
            targets = [ast.Attribute(value=n.args[0], attr="?")]
        for t in targets:
            if not isinstance(t, ast.Attribute):
                continue
            base = root(t)
            if base in modules or (t.attr.startswith("_") and base not in ("self", "cls")):
                found.append(f"line {n.lineno}: {ast.unparse(t)}")
    return found


def test_no_library_patched_outside_compat() -> None:
    """The issue's done-when check: outside ``storyexport/compat/`` no code
    assigns to another library's attributes (the ``grep`` in bench/RESULTS.md
    finds the same lines)."""
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        hits = _patches(ast.parse(path.read_text()))
        if hits:
            found[str(path.relative_to(SRC))] = hits
    assert set(found) <= {"compat/weasyprint.py"}, found
    assert len(found["compat/weasyprint.py"]) == 4  # pydyf.zlib, fonts.ffi, font_config._config, _get_png_data
