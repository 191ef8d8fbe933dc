"""Property tests: random tag soup (open and end tags from the raw-HTML
reader's own tables, in any order, between words and Markdown block markers)
through the reader and every writer. The model must always be well formed,
and each writer either renders output its independent reader accepts or
refuses with a located error: never an internal error."""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path

import feedparser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from storyexport import model as m
from storyexport.config import Site
from storyexport.errors import Diagnostics, StoryExportError
from storyexport.readers import read_source
from storyexport.readers.rawhtml import BLOCK_TAGS, DROP_TAGS, INLINE_TAGS, SILENT_UNWRAP, VOID_DROP
from storyexport.theme import load_theme
from storyexport.writers import RenderContext, load

SITE = Site(title="Soup", base_url="https://example.org/")
THEME = load_theme("default")
WRITERS = {n: load(n)(THEME, SITE) for n in ("html", "pdf", "docx", "epub", "rss", "atom", "jsonfeed")}
SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)

TAGS = sorted({*INLINE_TAGS, *BLOCK_TAGS, *SILENT_UNWRAP, "h1", "h2", "h3", "a", "script", "iframe"})
OPENS = [f"<{t}>" for t in TAGS] + ['<a href="https://example.org/">', '<img src="missing.png" alt="pic">',
                                    "<br>", "<hr>", "<br/>", "<input>", '<td align="center">', '<ol start="3">',
                                    '<pre class="language-py">']
ENDS = [f"</{t}>" for t in TAGS] + [f"</{t}>" for t in ("x-y", "html", "body", "p", "li", "div")]
MARKERS = ["\n\n", "\n", "- ", "1. ", "> ", "# ", "## ", "Term\n: ", ": ", "|a|b|\n|-|-|\n|1|2|\n", "```\n",
           "    ", "[^1]", "\n\n[^1]: note\n", "*", "**", "`", "[x](https://example.org/)", "&amp;", "&lt;li&gt;"]
WORDS = ["Alpha ", "beta ", "Gamma. ", "δέλτα ", "مرحبا ", "東京 ", "x"]
soup = st.lists(st.one_of(st.sampled_from(OPENS), st.sampled_from(ENDS), st.sampled_from(MARKERS),
                          st.sampled_from(WORDS)), min_size=4, max_size=60).map("".join)

assert DROP_TAGS and VOID_DROP  # the tables the soup is drawn from are the reader's own


# --------------------------------------------------------------- the model


INLINES = (m.Text, m.Emph, m.Strong, m.Strike, m.Superscript, m.Subscript, m.Code, m.Link, m.Image,
           m.LineBreak, m.Note)
BLOCKS = (m.Para, m.Heading, m.BulletList, m.OrderedList, m.BlockQuote, m.Figure, m.Table, m.CodeBlock,
          m.ThematicBreak, m.DefinitionList)


def well_formed(article: m.Article) -> None:
    """Every container holds only what it may: what writers rely on."""
    stack: list[tuple[object, tuple[type, ...]]] = [(b, BLOCKS) for b in article.blocks]
    while stack:
        node, allowed = stack.pop()
        assert isinstance(node, allowed), (node, allowed)
        match node:
            case m.Para(c) | m.Heading(_, c, _) | m.Emph(c) | m.Strong(c) | m.Strike(c) | m.Superscript(c) \
                    | m.Subscript(c) | m.Link(c, _, _) | m.TableCell(c):
                stack += [(x, INLINES) for x in c]
            case m.BulletList(items) | m.OrderedList(items, _):
                assert items
                stack += [(x, (m.ListItem,)) for x in items]
            case m.DefinitionList(items):
                assert items
                stack += [(x, (m.DefinitionItem,)) for x in items]
            case m.DefinitionItem(term, defs):
                assert term
                stack += [(x, INLINES) for x in term] + [(b, BLOCKS) for d in defs for b in d]
            case m.ListItem(bs) | m.BlockQuote(bs) | m.Note(_, bs):
                stack += [(b, BLOCKS) for b in bs]
            case m.Table(header, rows, _, caption):
                assert rows or header
                stack += [(x, (m.TableCell,)) for r in (header, *rows) for x in r]
                stack += [(x, INLINES) for x in caption]
            case m.Figure(image, caption):
                stack += [(image, (m.Image,))] + [(x, INLINES) for x in caption]


# ------------------------------------------------------------- the writers


def render(article: m.Article, names: tuple[str, ...]) -> None:
    diag = Diagnostics()
    ctx = RenderContext(THEME, SITE, diag)
    for name in names:
        writer = WRITERS[name]
        try:
            if writer.scope == "collection":
                for rel, data in dict(writer.render_collection([article], ctx)).items():
                    if rel.endswith(".json"):
                        assert all(i["id"] and i["content_html"] for i in json.loads(data)["items"])
                    elif rel.endswith(".xml"):  # not the media files feeds carry
                        assert feedparser.parse(data).bozo == 0, (name, rel)
                continue
            data = writer.render(article, ctx)
        except StoryExportError as e:
            assert e.path and e.message  # a located refusal is an accepted outcome
            continue
        if name == "html":
            etree.fromstring(data.replace(b"<!DOCTYPE html>", b""), SAFE)
        elif name == "pdf":
            from pypdf import PdfReader

            assert len(PdfReader(io.BytesIO(data)).pages) >= 1
        elif name == "docx":
            import docx

            docx.Document(io.BytesIO(data))
        elif name == "epub":
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                assert z.read("mimetype") == b"application/epub+zip"
                for n in z.namelist():
                    if n.endswith(".xhtml"):
                        etree.fromstring(z.read(n), SAFE)
    assert all(d.path for d in diag.items), diag.items  # every warning names its article


def read(body: str) -> m.Article | None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "a.md").write_text("---\ntitle: Soup\ndate: 2024-01-01\n---\n" + body, encoding="utf-8")
        diag = Diagnostics()
        try:
            article = read_source(root / "a.md", root, SITE, diag)
        except StoryExportError as e:
            assert e.path.endswith("a.md") and e.message
            return None
        assert all(d.path.endswith("a.md") for d in diag.items), diag.items
        assert article is not None
        well_formed(article)
        return article


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=soup)
def test_tag_soup_through_every_writer_but_pdf(body: str) -> None:
    article = read(body)
    if article is not None:
        render(article, ("html", "docx", "epub", "rss", "atom", "jsonfeed"))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=soup)
def test_tag_soup_through_the_pdf_writer(body: str) -> None:
    article = read(body)
    if article is not None:
        render(article, ("pdf",))


def test_the_issue_fragment_is_well_formed() -> None:
    article = read("para\n\n<li>\n\nWord\n\n</li>\n")
    assert article is not None
    assert isinstance(article.blocks[1], m.BulletList)
    render(article, tuple(WRITERS))
