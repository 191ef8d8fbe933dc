"""One theme, every format, proven by read-back.

The same articles are exported with both shipped themes, and each output is
read back with a reader that shares no code with the writer that made it:

* the PDF through pypdf (the font, size and fill colour each piece of text is
  shown with), ``pdffonts`` (embedded faces) and ``pdftotext -bbox`` (where
  the text sits on the page);
* the DOCX twice: its ``styles.xml`` and section properties resolved the way
  Word does (run, character style, paragraph style chain, document
  defaults), and the PDF LibreOffice lays it out as, read like the PDF;
* the EPUB twice: its style sheet parsed with tinycss2 and cascaded over its
  content document with cssselect2 (specificity, order, inheritance, ``em``
  against a reader whose default size is the theme's base size), and the
  content page as ``storyexport proof`` renders it.

Each reading gives a "look" (publication label, title, body text, summary
title, a section heading: face, size, colour; page size and margins) that
must equal the look the theme's tokens describe, and so each other. A writer
that drifts from a token fails here; a reading that cannot tell the two
themes apart fails too.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

import cssselect2
import pytest
import tinycss2
from fontTools.ttLib import TTFont
from lxml import etree
from PIL import Image, ImageChops
from pypdf import PdfReader

from conftest import ROOT, SOURCE, have, run_cli
from storyexport import model as m
from storyexport import proof
from storyexport.config import load_config
from storyexport.errors import Diagnostics
from storyexport.i18n import labels
from storyexport.readers import read_source
from storyexport.theme import Theme, load_theme

THEMES = ("default", "sans")
SEED, RICH = "russia-sends-aid", "newsroom-style-guide"
ARTICLES = {SEED: "russia-sends-aid.txt", RICH: "newsroom-style-guide.md"}
READERS = ("pdf", "docx", "docx-libreoffice", "epub-css", "epub-rendered")
SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
XHTML = "{http://www.w3.org/1999/xhtml}"

SIZE_TOLERANCE = 0.26  # pt: DOCX sizes are whole half-points (23.1pt is written 23pt)
PAGE_TOLERANCE = 0.1  # pt: DOCX lengths are whole twips
MARGIN_TOLERANCE = 1.5  # pt: a PDF margin is measured from where the text sits
TOP_TOLERANCE = 2.5  # pt: the first line's leading sits above its text (all of it, in LibreOffice)


# ------------------------------------------------------------------ the look


@dataclass(frozen=True)
class Face:
    family: str
    bold: bool = False
    italic: bool = False


@dataclass(frozen=True)
class Set:
    """How a piece of text is set."""

    face: Face
    size: float
    color: str

    def matches(self, other: object) -> bool:
        return (isinstance(other, Set) and self.face == other.face and self.color == other.color
                and abs(self.size - other.size) <= SIZE_TOLERANCE)


Look = dict[str, Any]


def token_look(t: Theme, slug: str) -> Look:
    """What the theme's tokens say every format shows."""
    heading = Face(t.fonts["heading"].family, bold=True)
    look: Look = {
        "publication": Set(heading, t.small_size, t.colors["accent"]),
        "title": Set(heading, t.heading_size(1), t.colors["text"]),
        "summary_title": Set(heading, t.base_size, t.colors["accent"]),
        "body": Set(Face(t.fonts["body"].family), t.base_size, t.colors["text"]),
        "page": (t.page["width"], t.page["height"]),
        "margins": tuple(t.page[f"margin_{side}"] for side in ("top", "right", "bottom", "left")),
    }
    if slug == RICH:
        look["heading2"] = Set(heading, t.heading_size(2), t.colors["text"])
    return look


TEXT_KEYS = {"publication", "title", "summary_title", "body"}
KEYS = {  # what each reading can see; e-readers paginate themselves, so EPUB has no page
    "pdf": TEXT_KEYS | {"page"},
    "docx": TEXT_KEYS | {"page", "margins"},
    "docx-libreoffice": TEXT_KEYS | {"page"},
    "epub-css": TEXT_KEYS,
    "epub-rendered": TEXT_KEYS,
}


def same(a: Any, b: Any) -> bool:
    if isinstance(a, Set):
        return a.matches(b)
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        return all(abs(x - y) <= PAGE_TOLERANCE for x, y in zip(a, b, strict=True))
    return bool(a == b)


def differences(got: Look, want: Look) -> list[str]:
    return [f"{k}: got {got.get(k)!r}, tokens say {want.get(k)!r}"
            for k in sorted(set(got) | set(want)) if not same(got.get(k), want.get(k))]


# ------------------------------------------------------------- the articles


@dataclass(frozen=True)
class Story:
    """The texts a look is read from, as the export saw the article."""

    title: str
    publisher: str
    glance: str
    paragraphs: tuple[str, ...]  # top-level paragraphs of the body
    heading2: str  # the first section heading, or ""


@cache
def story(slug: str) -> Story:
    site = load_config(ROOT / "storyexport.toml")
    a = read_source(SOURCE / ARTICLES[slug], SOURCE, site, Diagnostics())
    assert a is not None
    paras = tuple(norm(m.inline_text(b.children)) for b in a.blocks if isinstance(b, m.Para))
    h2 = next((norm(m.inline_text(b.children)) for b in a.blocks if isinstance(b, m.Heading) and b.level == 2), "")
    assert a.meta.publisher and a.meta.summary and paras
    return Story(norm(a.meta.title), norm(a.meta.publisher), labels(a.meta.language).glance, paras, h2)


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def in_body(text: str, s: Story) -> bool:
    """Whether a line of text is part of a body paragraph (hyphens at line ends removed)."""
    t = norm(text).rstrip("-\u2010\u00ad")
    return len(t) >= 12 and any(t in p for p in s.paragraphs)


def mode(sets: list[tuple[Set, int]]) -> Set | None:
    """The setting most of the text has (weighted by length)."""
    c: Counter[Set] = Counter()
    for s, n in sets:
        c[s] += n
    return c.most_common(1)[0][0] if c else None


# --------------------------------------------------------------- font faces


def _key(name: str) -> str:
    """A font name without subset tag, punctuation and a trailing "Regular"."""
    k = re.sub(r"[^a-z0-9]", "", name.split("+", 1)[-1].lower())
    return k.removesuffix("regular") or k


@cache
def faces(theme_name: str) -> dict[str, Face]:
    """Every name a theme face can be embedded under (PostScript name,
    family + style) -> the face as the theme names it."""
    out: dict[str, Face] = {}
    for family, bold, italic, path in load_theme(theme_name).font_files():
        with TTFont(path, lazy=True) as f:
            names = f["name"]
            fam = str(names.getDebugName(16) or names.getDebugName(1))
            style = str(names.getDebugName(17) or names.getDebugName(2))
            for n in (str(names.getDebugName(6)), f"{fam} {style}"):
                out[_key(n)] = Face(family, bold, italic)
    return out


def face_of(font_name: str, theme_name: str) -> Face:
    return faces(theme_name).get(_key(font_name.lstrip("/")), Face(f"not a theme face: {font_name}"))


# --------------------------------------------------------------------- PDF


@dataclass(frozen=True)
class Chunk:
    text: str
    set: Set
    page: int


def _hex(rgb: list[Any]) -> str:
    return "#" + "".join(f"{round(float(v) * 255):02x}" for v in rgb)


def pdf_chunks(path: Path, theme_name: str) -> list[Chunk]:
    """Every piece of text with the face, size (font size times the text and
    graphics matrices) and fill colour it is shown with."""
    out: list[Chunk] = []
    for number, page in enumerate(PdfReader(path).pages):
        _read_page(page, number, theme_name, out)
    return out


def _read_page(page: Any, number: int, theme_name: str, out: list[Chunk]) -> None:
    fill, saved = ["#000000"], []

    def before(op: bytes, args: list[Any], cm: Any, tm: Any) -> None:
        if op == b"q":
            saved.append(fill[0])
        elif op == b"Q" and saved:
            fill[0] = saved.pop()
        elif op in (b"rg", b"sc", b"scn") and len(args) == 3:
            fill[0] = _hex(args)
        elif op == b"g" and len(args) == 1:
            fill[0] = _hex(args * 3)

    def text(t: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if not t.strip() or not font:
            return
        a, b, c, d = (tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3],
                      tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3])
        scaled = round(size * math.sqrt(abs(a * d - b * c)), 2)
        out.append(Chunk(norm(t), Set(face_of(str(font["/BaseFont"]), theme_name), scaled, fill[0]), number))

    page.extract_text(visitor_operand_before=before, visitor_text=text)


def pdf_look(path: Path, theme_name: str, slug: str) -> Look:
    s = story(slug)
    chunks = pdf_chunks(path, theme_name)
    first = lambda pred: next((c.set for c in chunks if pred(c.text)), None)  # noqa: E731
    titled = [c for c in chunks if len(c.text) >= 4 and c.text.rstrip("-\u2010") in s.title]
    biggest = max((c.set.size for c in titled), default=0)
    look: Look = {
        "publication": first(lambda t: t.casefold() == s.publisher.casefold()),
        "title": next((c.set for c in titled if c.set.size == biggest), None),
        "summary_title": first(lambda t: t.casefold() == s.glance.casefold()),
        "body": mode([(c.set, len(c.text)) for c in chunks if in_body(c.text, s)]),
        "page": tuple(round(float(v), 4) for v in PdfReader(path).pages[0].mediabox[2:]),
    }
    if slug == RICH:
        look["heading2"] = first(lambda t: t == s.heading2)
    return look


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


def pdf_words(path: Path, page: int = 1) -> list[Word]:
    """Word boxes from poppler's ``pdftotext -bbox`` (top-left origin, points)."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
                          capture_output=True, check=True, timeout=60).stdout
    root = etree.fromstring(html, etree.XMLParser(recover=True, resolve_entities=False, no_network=True))
    return [Word(w.text or "", *(float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")))
            for w in root.iter(f"{XHTML}word")]


# -------------------------------------------------------------------- DOCX


class Docx:
    """A DOCX's text formatting resolved as Word does: direct run properties,
    the run's character style, the paragraph's style and what it is based
    on, then the document defaults."""

    def __init__(self, path: Path) -> None:
        with zipfile.ZipFile(path) as z:
            self.styles = etree.fromstring(z.read("word/styles.xml"), SAFE)
            self.doc = etree.fromstring(z.read("word/document.xml"), SAFE)
        self.by_id = {s.get(f"{W}styleId"): s for s in self.styles.iter(f"{W}style")}
        self.default_para = next((s.get(f"{W}styleId") for s in self.styles.iter(f"{W}style")
                                  if s.get(f"{W}type") == "paragraph" and s.get(f"{W}default") in ("1", "true")), "")

    def chain(self, sid: str | None) -> Iterator[etree._Element]:
        seen = set()
        while sid and sid in self.by_id and sid not in seen:
            seen.add(sid)
            style = self.by_id[sid]
            yield style
            based = style.find(f"{W}basedOn")
            sid = based.get(f"{W}val") if based is not None else None

    def prop(self, para: etree._Element, run: etree._Element, tag: str) -> etree._Element | None:
        rpr = run.find(f"{W}rPr")
        places = [rpr] if rpr is not None else []
        rstyle = rpr.find(f"{W}rStyle") if rpr is not None else None
        places += [s.find(f"{W}rPr") for s in self.chain(rstyle.get(f"{W}val") if rstyle is not None else None)]
        pstyle = para.find(f"{W}pPr/{W}pStyle")
        places += [s.find(f"{W}rPr") for s in self.chain(pstyle.get(f"{W}val") if pstyle is not None
                                                          else self.default_para)]
        places.append(self.styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr"))
        for p in places:
            found = p.find(f"{W}{tag}") if p is not None else None
            if found is not None:
                return found
        return None

    def set_of(self, para: etree._Element) -> Set:
        run = para.find(f".//{W}r")
        assert run is not None

        def attr(tag: str, name: str = "val") -> str | None:
            e = self.prop(para, run, tag)
            return None if e is None else e.get(f"{W}{name}", "1")

        def on(tag: str) -> bool:
            return attr(tag) not in (None, "0", "false")

        size = attr("sz")
        face = Face(attr("rFonts", "ascii") or "(none)", on("b"), on("i"))
        return Set(face, int(size) / 2 if size else 0.0, "#" + (attr("color") or "auto").lower())

    def paragraphs(self) -> list[tuple[str, etree._Element]]:
        body = self.doc.find(f"{W}body")
        return [(norm("".join(t.text or "" for t in p.iter(f"{W}t"))), p) for p in body.iter(f"{W}p")]

    def look(self, slug: str) -> Look:
        s = story(slug)
        paras = self.paragraphs()
        first = lambda pred: next((self.set_of(p) for t, p in paras if pred(t)), None)  # noqa: E731
        sect = self.doc.find(f"{W}body/{W}sectPr")
        twips = lambda e, k: int(e.get(f"{W}{k}")) / 20  # noqa: E731
        size, mar = sect.find(f"{W}pgSz"), sect.find(f"{W}pgMar")
        look: Look = {
            "publication": self.set_of(paras[0][1]) if paras[0][0].casefold() == s.publisher.casefold() else None,
            "title": first(lambda t: t == s.title),
            "summary_title": first(lambda t: t.casefold() == s.glance.casefold()),
            "body": mode([(self.set_of(p), len(t)) for t, p in paras if t in s.paragraphs]),
            "page": (twips(size, "w"), twips(size, "h")),
            "margins": tuple(twips(mar, k) for k in ("top", "right", "bottom", "left")),
        }
        if slug == RICH:
            look["heading2"] = first(lambda t: t == s.heading2)
        return look


# -------------------------------------------------------------------- EPUB


class Epub:
    """An EPUB's first content document with its style sheet cascaded over
    it: selectors matched by cssselect2, declarations ordered by
    specificity then position, inherited properties taken from the parent,
    ``em`` and ``%`` sizes against the parent and, at the root, against the
    reading system's default size."""

    INHERITED = ("font-family", "font-weight", "font-style", "color")

    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path)
        container = etree.fromstring(self.zip.read("META-INF/container.xml"), SAFE)
        opf_name = container.xpath("//*[local-name()='rootfile']/@full-path")[0]
        opf = etree.fromstring(self.zip.read(opf_name), SAFE)
        items = {i.get("id"): i for i in opf.xpath("//*[local-name()='item']")}
        spine = [items[r] for r in opf.xpath("//*[local-name()='itemref']/@idref")]
        content = next(i for i in spine if "nav" not in i.get("properties", "")
                       and "cover" not in i.get("href", "") + i.get("id", ""))
        self.doc_name = str(PurePosixPath(opf_name).parent / content.get("href"))
        self.root = etree.fromstring(self.zip.read(self.doc_name), SAFE)
        links = self.root.xpath("//*[local-name()='link'][@rel='stylesheet']/@href")
        assert len(links) == 1, links
        self.css_name = self.resolve(self.doc_name, links[0])
        self.rules = tinycss2.parse_stylesheet(self.zip.read(self.css_name).decode("utf-8"),
                                               skip_whitespace=True, skip_comments=True)
        self.matcher = cssselect2.Matcher()
        for index, rule in enumerate(self.rules):
            if rule.type == "qualified-rule":
                decls = [d for d in tinycss2.parse_blocks_contents(rule.content, skip_whitespace=True,
                                                                   skip_comments=True) if d.type == "declaration"]
                for selector in cssselect2.compile_selector_list(rule.prelude):
                    if selector.pseudo_element is None:
                        self.matcher.add_selector(selector, (index, decls))
        self.wrapper = cssselect2.ElementWrapper.from_xml_root(self.root)

    @staticmethod
    def resolve(base: str, href: str) -> str:
        parts: list[str] = []
        for p in (*PurePosixPath(base).parent.parts, *href.split("/")):
            if p == "..":
                parts.pop()
            elif p not in (".", ""):
                parts.append(p)
        return "/".join(parts)

    def at_rules(self, keyword: str) -> list[dict[str, str]]:
        out = []
        for rule in self.rules:
            if rule.type == "at-rule" and rule.lower_at_keyword == keyword and rule.content:
                decls = tinycss2.parse_blocks_contents(rule.content, skip_whitespace=True, skip_comments=True)
                out.append({d.lower_name: tinycss2.serialize(d.value).strip()
                            for d in decls if d.type == "declaration"})
        return out

    def declared(self, el: cssselect2.ElementWrapper) -> dict[str, str]:
        ordered = sorted(self.matcher.match(el), key=lambda x: (x[0], x[3][0]))
        out: dict[str, str] = {}
        for _spec, _order, _pseudo, (_index, decls) in ordered:
            for d in decls:
                out[d.lower_name] = tinycss2.serialize(d.value).strip()
        return out

    def computed(self, el: cssselect2.ElementWrapper, reader_pt: float) -> dict[str, Any]:
        parent = (self.computed(el.parent, reader_pt) if el.parent is not None
                  else {"font-size": reader_pt, "color": "(reader default)", "font-family": "(reader default)",
                        "font-weight": "normal", "font-style": "normal"})
        own = self.declared(el)
        out = {k: own.get(k, parent[k]) for k in self.INHERITED}
        out["font-size"] = self.size(own.get("font-size"), parent["font-size"])
        return out

    @staticmethod
    def size(value: str | None, parent: float) -> float:
        if value is None:
            return parent
        mt = re.fullmatch(r"([\d.]+)(em|%|pt|px)", value)
        assert mt, f"font-size {value!r} is not a size this test understands"
        n, unit = float(mt.group(1)), mt.group(2)
        return {"em": n * parent, "%": n * parent / 100, "pt": n, "px": n * 0.75}[unit]

    def set_of(self, el: cssselect2.ElementWrapper, reader_pt: float) -> Set:
        c = self.computed(el, reader_pt)
        family = c["font-family"].split(",")[0].strip().strip("\"'")
        weight = c["font-weight"]
        bold = weight in ("bold", "bolder") or (weight.isdigit() and int(weight) >= 600)
        color = c["color"].lower()
        if re.fullmatch(r"#[0-9a-f]{3}", color):
            color = "#" + "".join(ch * 2 for ch in color[1:])
        return Set(Face(family, bold, c["font-style"] == "italic"), round(c["font-size"], 2), color)

    def elements(self, tag: str, cls: str = "") -> list[cssselect2.ElementWrapper]:
        return [e for e in self.wrapper.iter_subtree() if e.local_name == tag
                and (not cls or cls in (e.etree_element.get("class") or "").split())]

    @staticmethod
    def text(e: cssselect2.ElementWrapper) -> str:
        return norm("".join(e.etree_element.itertext()))

    def look(self, slug: str, reader_pt: float) -> Look:
        s = story(slug)
        body = self.elements("div", "body")[0]
        paras = [e for e in body.iter_children() if e.local_name == "p" and self.text(e) in s.paragraphs]
        look: Look = {
            "publication": self.set_of(self.elements("p", "publication")[0], reader_pt),
            "title": self.set_of(self.elements("h1", "title")[0], reader_pt),
            "summary_title": self.set_of(self.elements("h2", "summary-title")[0], reader_pt),
            "body": mode([(self.set_of(p, reader_pt), len(self.text(p))) for p in paras]),
        }
        if slug == RICH:
            look["heading2"] = next(self.set_of(e, reader_pt) for e in self.elements("h2")
                                    if self.text(e) == s.heading2)
        return look


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def outputs(exported: Callable[..., Path]) -> dict[str, Path]:
    """Each theme's export of every sample as PDF, DOCX and EPUB."""
    return {name: exported("pdf,docx,epub", theme=name) for name in THEMES}


@pytest.fixture(scope="module")
def libreoffice(outputs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """The DOCX files as LibreOffice lays them out, converted in one run."""
    if not have("soffice"):
        pytest.skip("LibreOffice (soffice) is not installed")
    d = tmp_path_factory.mktemp("libreoffice")
    docs = {}
    for name in THEMES:
        for slug in ARTICLES:
            docs[(name, slug)] = d / f"{name}--{slug}.docx"
            shutil.copyfile(outputs[name] / f"{slug}.docx", docs[(name, slug)])
    subprocess.run(["soffice", f"-env:UserInstallation=file://{d}/profile", "--headless", "--convert-to", "pdf",
                    "--outdir", str(d), *map(str, docs.values())], capture_output=True, timeout=600, check=False)
    pdfs = {k: v.with_suffix(".pdf") for k, v in docs.items()}
    missing = [p.name for p in pdfs.values() if not p.is_file()]
    assert not missing, f"LibreOffice did not convert {missing}"  # soffice exits 0 even when it fails
    return pdfs


@pytest.fixture(scope="module")
def looks(outputs: dict[str, Path], libreoffice: dict[tuple[str, str], Path],
          tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str, str], Look]:
    """``looks(reading, theme, slug)``, each read once."""
    cache_: dict[tuple[str, str, str], Look] = {}

    def read(reading: str, name: str, slug: str) -> Look:
        key = (reading, name, slug)
        if key not in cache_:
            out, theme = outputs[name], load_theme(name)
            if reading == "pdf":
                cache_[key] = pdf_look(out / f"{slug}.pdf", name, slug)
            elif reading == "docx":
                cache_[key] = Docx(out / f"{slug}.docx").look(slug)
            elif reading == "docx-libreoffice":
                cache_[key] = pdf_look(libreoffice[(name, slug)], name, slug)
            elif reading == "epub-css":
                cache_[key] = Epub(out / f"{slug}.epub").look(slug, theme.base_size)
            else:  # the content page as the proof renders it, with the reader's size at the base size
                work = tmp_path_factory.mktemp(f"epub-{name}-{slug}")
                pdf = proof.epub_first_page_pdf(out / f"{slug}.epub", work, theme)
                look = pdf_look(pdf, name, slug)
                cache_[key] = {k: v for k, v in look.items() if k != "page"}
        return cache_[key]

    return read


# ------------------------------------------------------------------- tests


@pytest.mark.parametrize("slug", ARTICLES)
@pytest.mark.parametrize("name", THEMES)
@pytest.mark.parametrize("reading", READERS)
def test_every_format_shows_the_tokens(looks: Callable[..., Look], reading: str, name: str, slug: str) -> None:
    got = looks(reading, name, slug)
    want = {k: v for k, v in token_look(load_theme(name), slug).items() if k in KEYS[reading] | {"heading2"}}
    assert set(got) == set(want), f"{reading} reading is missing {set(want) - set(got)}"
    assert not differences(got, want), f"{reading} of {slug} ({name}) drifts from the theme:\n" + "\n".join(
        differences(got, want))


@pytest.mark.parametrize("slug", ARTICLES)
@pytest.mark.parametrize("name", THEMES)
def test_formats_agree_with_each_other(looks: Callable[..., Look], name: str, slug: str) -> None:
    read = {r: looks(r, name, slug) for r in READERS}
    for a in READERS:
        for b in READERS[READERS.index(a) + 1:]:
            common = set(read[a]) & set(read[b])
            assert "title" in common and "body" in common
            bad = [k for k in sorted(common) if not same(read[a][k], read[b][k])]
            assert not bad, f"{a} and {b} disagree on {bad}: {[(read[a][k], read[b][k]) for k in bad]}"


@pytest.mark.parametrize("reading", READERS)
def test_readings_tell_the_themes_apart(looks: Callable[..., Look], reading: str) -> None:
    """A negative control: the sans outputs, held against the default theme's
    tokens, differ wherever those tokens differ, so no reading passes by
    seeing nothing."""
    default, sans = (token_look(load_theme(n), RICH) for n in THEMES)
    differing = [k for k in KEYS[reading] | {"heading2"} if not same(default[k], sans[k])]
    assert {"title", "body", "publication"} <= set(differing)
    got = looks(reading, "sans", RICH)
    assert all(not same(got[k], default[k]) for k in differing), differences(got, default)


@pytest.mark.parametrize("name", THEMES)
@pytest.mark.parametrize("renderer", ["weasyprint", "libreoffice"])
def test_pdf_pages_have_the_theme_page_and_margins(outputs: dict[str, Path], libreoffice: dict, name: str,
                                                   renderer: str) -> None:
    """Page 1 as the PDF writer and as LibreOffice (from the DOCX) lay it
    out: the page size, text starting at the left and top margins, justified
    lines ending at the right margin, nothing but the page footer below the
    bottom margin."""
    t = load_theme(name)
    width, height = t.page["width"], t.page["height"]
    for slug in ARTICLES:
        pdf = outputs[name] / f"{slug}.pdf" if renderer == "weasyprint" else libreoffice[(name, slug)]
        box = PdfReader(pdf).pages[0].mediabox
        assert abs(float(box.width) - width) <= PAGE_TOLERANCE and abs(float(box.height) - height) <= PAGE_TOLERANCE
        words = pdf_words(pdf)
        footer_top = max(w.y0 for w in words)
        footer = [w for w in words if w.y0 > footer_top - 2]
        text = [w for w in words if w not in footer]
        where = f"{renderer} {slug} ({name})"
        assert abs(min(w.x0 for w in text) - t.page["margin_left"]) <= MARGIN_TOLERANCE, where
        assert abs(width - max(w.x1 for w in text) - t.page["margin_right"]) <= MARGIN_TOLERANCE, where
        assert abs(min(w.y0 for w in text) - t.page["margin_top"]) <= TOP_TOLERANCE, where
        assert max(w.y1 for w in text) <= height - t.page["margin_bottom"] + 0.5, where
        assert footer_top > height - t.page["margin_bottom"], f"{where}: the footer is in the bottom margin"
        assert [w.text for w in footer][:2] == ["Page", "1"], where
        if renderer == "weasyprint":  # print.css.j2: the footer's top is the text block's end plus heading_after
            bottom = height - (footer_top - t.spacing["heading_after"])
            assert abs(bottom - t.page["margin_bottom"]) <= MARGIN_TOLERANCE, where


@pytest.mark.parametrize("name", THEMES)
def test_pdfs_embed_only_theme_faces(outputs: dict[str, Path], libreoffice: dict, name: str) -> None:
    """pdffonts: every font in both PDFs (WeasyPrint's, and LibreOffice's of
    the DOCX) is embedded and is one of the theme's faces, and the two PDFs
    use the same faces."""
    used = {}
    for slug in ARTICLES:
        pdfs = {"weasyprint": outputs[name] / f"{slug}.pdf", "libreoffice": libreoffice[(name, slug)]}
        for renderer, pdf in pdfs.items():
            rows = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True,
                                  timeout=60).stdout.splitlines()[2:]
            assert rows, pdf
            fonts = {(row.split()[0], row.split()[-5]) for row in rows}
            assert all(emb == "yes" for _, emb in fonts), (pdf.name, fonts)
            got = {face_of(f, name) for f, _ in fonts}
            assert all(not f.family.startswith("not a theme face") for f in got), (renderer, slug, got)
            used[(renderer, slug)] = got
        assert used[("weasyprint", slug)] == used[("libreoffice", slug)], slug
    t = load_theme(name)
    assert Face(t.fonts["body"].family) in used[("weasyprint", RICH)]
    assert Face(t.fonts["heading"].family, bold=True) in used[("weasyprint", RICH)]
    assert Face(t.fonts["code"].family) in used[("weasyprint", RICH)]


@pytest.mark.parametrize("name", THEMES)
def test_epub_css_follows_the_reader_and_ships_the_faces(outputs: dict[str, Path], name: str) -> None:
    """The EPUB's CSS sizes text relative to the reader's setting (so a
    reader set larger scales every size by the same factor), sets no page,
    and every family it names is a font file in the book with that family."""
    t = load_theme(name)
    book = Epub(outputs[name] / f"{RICH}.epub")
    at_base, larger = book.look(RICH, t.base_size), book.look(RICH, 2 * t.base_size)
    for key in at_base:
        assert larger[key].size == pytest.approx(2 * at_base[key].size, abs=0.02), key
    assert not [p for p in book.at_rules("page") if "size" in p], "an e-reader sizes its own pages"
    declared = {f["font-family"].strip("\"'"): f["src"] for f in book.at_rules("font-face")}
    for role in ("body", "heading", "code"):
        family = t.fonts[role].family
        assert family in declared, family
        url = re.search(r"url\((['\"]?)(.+?)\1\)", declared[family]).group(2)
        with TTFont(book.zip.open(Epub.resolve(book.css_name, url))) as f:
            assert f["name"].getDebugName(1) == family
    inline = book.root.xpath("//@style")  # the renderer aligns table cells and starts lists inline, nothing else
    assert inline and all(re.fullmatch(r"(text-align: (left|center|right)|counter-reset: list-item -?\d+);?", v)
                          for v in inline), set(inline)


# ------------------------------------------------------------------- proof


def _ink(im: Image.Image) -> tuple[int, int, int, int]:
    """Bounding box of everything darker than near-white."""
    box = im.convert("L").point(lambda v: 255 if v < 200 else 0).getbbox()
    assert box is not None
    return box


@pytest.mark.skipif(not (have("soffice") and have("pdftoppm")), reason="proof needs LibreOffice and poppler")
@pytest.mark.parametrize("name", THEMES)
def test_proof_contact_sheet(tmp_path: Path, name: str) -> None:
    """``storyexport proof`` for each theme: one PNG, three panels side by
    side (PDF and DOCX pages at the theme's page size, the EPUB page at the
    reader's), none blank, each with the theme's accent (the publication
    label), and the PDF and DOCX text blocks in the same place."""
    png = tmp_path / "proof.png"
    r = run_cli("proof", str(SOURCE / ARTICLES[SEED]), "--theme", name, "-o", str(png))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(png)
    with Image.open(png) as im:
        im.verify()
    with Image.open(png) as im:
        assert im.format == "PNG"
        sheet = im.convert("RGB")
    t = load_theme(name)
    px = lambda pt: pt / 72 * proof.DPI  # noqa: E731
    widths = [px(t.page["width"]), px(t.page["width"]), px(110 / 25.4 * 72)]
    assert abs(sheet.width - (sum(widths) + proof.PAD * 4)) <= 4
    assert abs(sheet.height - (proof.HEAD + px(t.page["height"]) + proof.PAD)) <= 2
    accent = tuple(int(t.colors["accent"][i:i + 2], 16) for i in (1, 3, 5))
    x, panels = proof.PAD, []
    for w in widths:
        panel = sheet.crop((x + 1, proof.HEAD + 1, round(x + w) - 1, round(proof.HEAD + px(170 / 25.4 * 72)) - 1))
        grey = panel.convert("L")
        dark = sum(grey.histogram()[:128]) / (panel.width * panel.height)
        assert 0.005 < dark < 0.5, f"panel at x={x} looks blank or black ({dark:.3f})"
        r, g, b = (band.point(lambda v, c=c: 255 if abs(v - c) < 20 else 0) for band, c in zip(panel.split(), accent,
                                                                                                strict=True))
        near = sum(ImageChops.multiply(ImageChops.multiply(r, g), b).histogram()[255:])
        assert near > 20, f"panel at x={x} has no {t.colors['accent']} (the publication label)"
        panels.append(panel)
        x += round(w) + proof.PAD
    pdf_box, docx_box = _ink(panels[0]), _ink(panels[1])
    assert all(abs(a - b) <= 3 for a, b in zip(pdf_box[:3], docx_box[:3], strict=True)), (pdf_box, docx_box)
