"""OOXML pieces python-docx has no API for: an element builder that keeps the
schema's child order, units, fields, the footnotes part, font embedding
(ECMA-376 Part 1 §17.8.1), settings and extended properties.

Everything here is a pure function of its arguments (no clock, no random
IDs), so a document built from the same model is byte-identical.
"""

from __future__ import annotations

import functools
import hashlib
import re
import struct
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part, XmlPart
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, nsmap
from docx.oxml.parser import oxml_parser
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.package import Package
from docx.parts.story import StoryPart
from docx.shared import Emu

from ..theme import Theme
from .fonts import font_bytes

OBFUSCATED_FONT = "application/vnd.openxmlformats-officedocument.obfuscatedFont"
LINK_SCHEMES = ("http://", "https://", "mailto:")

# Child order of the property elements we write (ECMA-376 CT_RPr / CT_PPr /
# CT_TblPr / CT_TcPr / CT_SectPr): Word rejects out-of-order children.
RPR_ORDER = ("rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike",
             "noProof", "vanish", "color", "spacing", "w", "kern", "position", "sz", "szCs", "highlight",
             "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs", "em", "lang")
PPR_ORDER = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "widowControl", "numPr", "pBdr", "shd",
             "tabs", "suppressAutoHyphens", "bidi", "spacing", "ind", "contextualSpacing", "jc",
             "outlineLvl", "rPr")
TBLPR_ORDER = ("tblStyle", "bidiVisual", "tblW", "jc", "tblInd", "tblBorders", "shd", "tblLayout",
               "tblCellMar", "tblLook")
BORDER_ORDER = ("top", "left", "bottom", "right", "insideH", "insideV")

Element = BaseOxmlElement


# ----------------------------------------------------------------- builder


@functools.cache
def _clark(tag: str) -> tuple[str, dict[str, str]]:
    """``w:jc`` -> (``{namespace}jc``, ``{"w": namespace}``), worked out once
    per name (a document makes thousands of elements from a few dozen names)."""
    prefix, local = tag.split(":")
    return f"{{{nsmap[prefix]}}}{local}", {prefix: nsmap[prefix]}


def el(tag: str, attrs: Mapping[str, object] | None = None, *children: Element | None) -> Element:
    """One element: ``el("w:jc", {"w:val": "center"})``. ``None`` children are skipped.
    Always build a fresh element per use: lxml *moves* an element appended twice.
    The same element as ``OxmlElement(tag)`` (python-docx's parser, so its
    element classes), without that function's per-call name parsing."""
    name, decl = _clark(tag)
    e = oxml_parser.makeelement(name, nsmap=decl)
    for k, v in (attrs or {}).items():
        e.set(_clark(k)[0], str(v))
    for c in children:
        if c is not None:
            e.append(c)
    return e


def val(tag: str, value: object) -> Element:
    """The common ``<w:x w:val="…"/>`` element."""
    return el(tag, {"w:val": value})


def ordered(tag: str, children: Iterable[Element | None], order: Sequence[str]) -> Element:
    """A property container whose children follow the schema order, whatever
    order the caller produced them in (later duplicates replace earlier ones)."""
    by_name: dict[str, Element] = {}
    for c in children:
        if c is not None:
            by_name[c.tag.rsplit("}", 1)[-1]] = c
    rank = {name: i for i, name in enumerate(order)}
    return el(tag, None, *sorted(by_name.values(), key=lambda c: rank[c.tag.rsplit("}", 1)[-1]]))


def rpr(*children: Element | None) -> Element:
    return ordered("w:rPr", children, RPR_ORDER)


def ppr(*children: Element | None) -> Element:
    return ordered("w:pPr", children, PPR_ORDER)


def text(s: str) -> Element:
    """A ``w:t`` that keeps leading/trailing spaces."""
    t = el("w:t")
    t.text = s
    if s != s.strip() or "  " in s:
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return t


# ------------------------------------------------------------------- units


def twips(pt: float) -> int:
    return round(pt * 20)


def half_points(pt: float) -> int:
    return round(pt * 2)


def emu(pt: float) -> Emu:
    return Emu(round(pt * 12700))


def hexcolor(color: str) -> str:
    return color.lstrip("#").upper()


def size(pt: float) -> list[Element]:
    """Latin and complex-script sizes together, so Arabic text matches."""
    return [val("w:sz", half_points(pt)), val("w:szCs", half_points(pt))]


def border(side: str, color: str, width_pt: float, space_pt: float = 0) -> Element:
    """A single-line border; widths in eighths of a point (2..96), space in points (0..31)."""
    return el(f"w:{side}", {"w:val": "single", "w:sz": max(2, min(96, round(width_pt * 8))),
                           "w:space": max(0, min(31, round(space_pt))), "w:color": hexcolor(color)})


def borders(tag: str, sides: Iterable[Element]) -> Element:
    return ordered(tag, sides, BORDER_ORDER)


def shading(color: str) -> Element:
    return el("w:shd", {"w:val": "clear", "w:color": "auto", "w:fill": hexcolor(color)})


# -------------------------------------------------------------- text rules

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(s: str) -> tuple[str, bool]:
    """``s`` without characters XML 1.0 forbids, and whether any were removed."""
    clean = _NOT_XML.sub("", s)
    return clean, clean != s


def link_allowed(url: str) -> bool:
    """Only web and mail links become relationships: python-docx would happily
    write ``javascript:`` or ``file:`` targets."""
    return url.lower().startswith(LINK_SCHEMES)


_BOOKMARK_BAD = re.compile(r"[^A-Za-z0-9_]")


def bookmark_names(ids: Iterable[str]) -> dict[str, str]:
    """Word bookmark names for heading ids: letters, digits and ``_``, starting
    with a letter, at most 40 characters, unique."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for hid in ids:
        if not hid or hid in out:
            continue
        name = _BOOKMARK_BAD.sub("_", hid)
        if not name[:1].isalpha():
            name = "h_" + name
        if len(name) > 40 or name in used:
            name = name[:31] + "_" + hashlib.sha256(hid.encode()).hexdigest()[:8]
        used.add(name)
        out[hid] = name
    return out


def bidi_segments(s: str) -> list[tuple[str, bool]]:
    """Split text of a right-to-left paragraph into (text, is_rtl) runs: a
    left-to-right run spans from a strong LTR character to the last one before
    the next strong RTL character, so "UNESCO" inside Arabic is not marked
    ``w:rtl`` (Word would shape it with the complex-script font)."""
    ltr = [False] * len(s)
    last_l: int | None = None
    for i, ch in enumerate(s):
        kind = unicodedata.bidirectional(ch)
        if kind == "L":
            for j in range(i if last_l is None else last_l, i + 1):
                ltr[j] = True
            last_l = i
        elif kind in ("R", "AL"):
            last_l = None
    out: list[tuple[str, bool]] = []
    for i, ch in enumerate(s):
        if out and out[-1][1] == (not ltr[i]):
            out[-1] = (out[-1][0] + ch, not ltr[i])
        else:
            out.append((ch, not ltr[i]))
    return out


# ------------------------------------------------------------------ fields


def field(instr: str, result: str, props: Callable[[], Element | None]) -> list[Element]:
    """A complex field (``PAGE``, ``NUMPAGES``, ``NOTEREF``) with a cached
    result, as runs; ``props`` makes a fresh ``w:rPr`` for each run."""

    def run(*children: Element) -> Element:
        return el("w:r", None, props(), *children)

    instr_el = el("w:instrText")
    instr_el.text = f" {instr} "
    instr_el.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return [run(el("w:fldChar", {"w:fldCharType": "begin"})), run(instr_el),
            run(el("w:fldChar", {"w:fldCharType": "separate"})), run(text(result)),
            run(el("w:fldChar", {"w:fldCharType": "end"}))]


# --------------------------------------------------------------- footnotes


class FootnotesPart(StoryPart):
    """``word/footnotes.xml``: a story part, so footnotes can hold images and
    links with relationships of their own."""

    @classmethod
    def new(cls, package: Package) -> FootnotesPart:
        sep = ('<w:footnote w:type="{kind}" w:id="{id}"><w:p><w:pPr><w:spacing w:after="0" w:line="240"'
               ' w:lineRule="auto"/></w:pPr><w:r><w:{kind}/></w:r></w:p></w:footnote>')
        xml = (f'<w:footnotes {nsdecls("w", "r")}>' + sep.format(kind="separator", id=-1)
               + sep.format(kind="continuationSeparator", id=0) + "</w:footnotes>")
        return cls(PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, parse_xml(xml), package)


# ------------------------------------------------------------------- fonts


@dataclass(frozen=True)
class FontInfo:
    """What the font table says about a font file (read from its own tables)."""

    fs_type: int
    panose: str
    fixed_pitch: bool

    @property
    def embeddable(self) -> bool:
        """Installable (0) or editable (8) embedding: a document an editor may
        change. Restricted, preview-only and bitmap-only fonts are refused."""
        return (self.fs_type & 0x000F) in (0, 0x0008) and not self.fs_type & 0x0200


def font_info(data: bytes) -> FontInfo:
    """Read OS/2 ``fsType`` and PANOSE and ``post.isFixedPitch`` from a TrueType/OpenType file."""
    tables: dict[bytes, tuple[int, int]] = {}
    num = struct.unpack_from(">H", data, 4)[0]
    for i in range(num):
        tag, _sum, off, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        tables[tag] = (off, length)
    fs_type, panose, fixed = 0x0002, "", False  # no OS/2 table: treat as restricted
    if b"OS/2" in tables:
        off = tables[b"OS/2"][0]
        fs_type = struct.unpack_from(">H", data, off + 8)[0]
        panose = data[off + 32: off + 42].hex().upper()
    if b"post" in tables:
        fixed = struct.unpack_from(">I", data, tables[b"post"][0] + 12)[0] != 0
    return FontInfo(fs_type, panose, fixed)


@functools.lru_cache(maxsize=32)
def font_key(data: bytes) -> str:
    """A GUID for the font, derived from its bytes: stable across runs, so the
    obfuscated font and the document stay byte-identical."""
    digest = hashlib.sha256(data).hexdigest()
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:storyexport:font:{digest}")).upper() + "}"


@functools.lru_cache(maxsize=32)
def obfuscate(data: bytes, key: str) -> bytes:
    """ECMA-376 Part 1 §17.8.1: XOR the first 32 bytes with the GUID's 16
    bytes taken in reverse order of the key string. Applying it twice restores
    the font. Cached: every document of a process embeds the same object,
    which the zip writer then finds already compressed."""
    raw = bytes.fromhex(key.strip("{}").replace("-", ""))[::-1]
    head = bytes(b ^ raw[i % 16] for i, b in enumerate(data[:32]))
    return head + data[32:]


EMBED_TAGS = {(False, False): "w:embedRegular", (True, False): "w:embedBold",
              (False, True): "w:embedItalic", (True, True): "w:embedBoldItalic"}


@dataclass
class FontEntry:
    """One ``w:font`` of the font table, with its embedded faces."""

    name: str
    info: FontInfo | None = None
    embeds: tuple[tuple[tuple[bool, bool], str, str], ...] = ()  # ((bold, italic), rId, fontKey)

    def element(self) -> Element:
        info = self.info
        children: list[Element | None] = [
            val("w:panose1", info.panose) if info and info.panose and info.panose != "0" * 20 else None,
            val("w:charset", "00"),
            val("w:family", "modern" if info and info.fixed_pitch else "auto"),
            val("w:pitch", "fixed" if info and info.fixed_pitch else "variable"),
        ]
        for face in ((False, False), (True, False), (False, True), (True, True)):
            for f, rid, key in self.embeds:
                if f == face:
                    children.append(el(EMBED_TAGS[face], {"r:id": rid, "w:fontKey": key}))
        return el("w:font", {"w:name": self.name}, *children)


def embedded_fonts(theme: Theme, roles: Sequence[str], extra_family: str = "") -> tuple[
        list[FontEntry], dict[str, list[tuple[bool, bool, bytes]]], list[str]]:
    """Font table entries for the theme's faces of ``roles`` (each family once),
    their files to embed, and the families whose licence refuses embedding.
    ``extra_family`` (the CJK system family) is named, not embedded: it is not
    shipped with the theme and weighs ~16 MB a weight."""
    entries: dict[str, FontEntry] = {}
    files: dict[str, list[tuple[bool, bool, bytes]]] = {}
    refused: list[str] = []
    for role in roles:
        face = theme.fonts[role]
        if face.family in entries:
            continue
        faces = [(b, i, font_bytes(p)) for (b, i), p in sorted(face.files)]
        entries[face.family] = FontEntry(face.family, font_info(faces[0][2]))
        if all(font_info(d).embeddable for _b, _i, d in faces):
            files[face.family] = faces
        else:
            refused.append(face.family)
    if extra_family:
        entries.setdefault(extra_family, FontEntry(extra_family))
    return list(entries.values()), files, refused


def font_table_part(package: Package, entries: Sequence[FontEntry],
                    files: Mapping[str, Sequence[tuple[bool, bool, bytes]]]) -> XmlPart:
    """``word/fontTable.xml`` listing ``entries``; faces in ``files`` (family ->
    (bold, italic, ttf bytes)) are embedded as obfuscated ``word/fonts/*.odttf``."""
    root = parse_xml(f'<w:fonts {nsdecls("w", "r")}/>')
    part = XmlPart(PackURI("/word/fontTable.xml"), CT.WML_FONT_TABLE, root, package)
    n = 0
    for entry in entries:
        embeds = []
        for bold, italic, data in files.get(entry.name, ()):
            n += 1
            key = font_key(data)
            font = Part(PackURI(f"/word/fonts/font{n}.odttf"), OBFUSCATED_FONT, obfuscate(data, key), package)
            embeds.append(((bold, italic), part.relate_to(font, RT.FONT), key))
        entry.embeds = tuple(embeds)
        root.append(entry.element())
    return part


# ---------------------------------------------------- settings, properties


def settings_children(tab_stop_pt: float, language: str, east_asian: str, bidi: str,
                      footnotes: bool, hyphenate: bool, update_fields: bool = False) -> list[Element]:
    """``word/settings.xml`` content: no rsids, no document GUID, nothing that
    changes between runs; ``embedTrueTypeFonts`` so Word keeps the fonts;
    ``update_fields`` asks Word to refresh fields (a contents field's page
    numbers) when it opens the document."""
    notes = el("w:footnotePr", None, el("w:footnote", {"w:id": -1}), el("w:footnote", {"w:id": 0}))
    lang = {"w:val": language}
    if east_asian:
        lang["w:eastAsia"] = east_asian
    if bidi:
        lang["w:bidi"] = bidi
    return [c for c in (
        el("w:zoom", {"w:percent": 100}),
        el("w:embedTrueTypeFonts"),
        val("w:defaultTabStop", twips(tab_stop_pt)),
        el("w:autoHyphenation") if hyphenate else None,
        val("w:characterSpacingControl", "doNotCompress"),
        el("w:updateFields", {"w:val": "true"}) if update_fields else None,
        notes if footnotes else None,
        # doNotExpandShiftReturn: a justified line ending in a line break is not stretched (as in CSS)
        el("w:compat", None, el("w:doNotExpandShiftReturn"),
           el("w:compatSetting", {"w:name": "compatibilityMode", "w:uri": "http://schemas.microsoft.com/office/word",
                                  "w:val": 15})),
        el("w:themeFontLang", lang),
        val("w:decimalSymbol", "."),
        val("w:listSeparator", ","),
    ) if c is not None]


def app_properties_part(package: Package, company: str, words: int, characters: int) -> Part:
    """``docProps/app.xml`` naming storyexport instead of the template's
    "Microsoft Macintosh Word" and its zero counts."""
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
           ' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
           f"<Application>storyexport</Application><DocSecurity>0</DocSecurity>"
           f"<Words>{words}</Words><Characters>{characters}</Characters>"
           f"<Company>{escape(company)}</Company><ScaleCrop>false</ScaleCrop>"
           "<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
           "<HyperlinksChanged>false</HyperlinksChanged></Properties>")
    return Part(PackURI("/docProps/app.xml"), CT.OFC_EXTENDED_PROPERTIES, xml.encode("utf-8"), package)
