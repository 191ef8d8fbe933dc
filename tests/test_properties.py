"""Property-based tests: random Markdown and random model trees through every
writer. Each must give output its independent reader accepts, or raise a
clear storyexport error, never anything else."""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from storyexport import model as m
from storyexport.config import Site
from storyexport.epubcheck import check_epubs
from storyexport.errors import Diagnostics, StoryExportError
from storyexport.readers import read_source
from storyexport.theme import load_theme
from storyexport.writers import RenderContext, load

SITE = Site(title="Props", base_url="https://example.org/")
THEME = load_theme("default")
WRITERS = {n: load(n)(THEME, SITE) for n in ("html", "pdf", "docx", "epub", "rss", "atom", "jsonfeed")}
SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
EPUBS: list[Path] = []  # validated together by EPUBCheck at the end (one run, many files)
EPUB_DIR = Path(tempfile.mkdtemp(prefix="storyexport-props-"))

FRAGMENTS = [
    "# ", "## ", "- ", "1. ", "> ", "*", "**", "~~", "`", "```\n", "\n", "\n\n", "|a|b|\n|-|-|\n|1|2|\n",
    "[x](https://example.org/)", "![alt](missing.png)", "[^1]", "\n\n[^1]: note\n", "<sup>2</sup>", "<br>",
    "<script>x()</script>", "<em>", "</em>", "&amp;", "&#0;", "\\", "---\n", "    code\n",
    "Zürich ", "مرحبا ", "東京 ", "\u202e", "\x00", "\x0b", "word ", "Word. ", "<a href='javascript:x()'>j</a>",
]
markdown = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=40).map("".join)


def check_article(article: m.Article) -> None:
    ctx = RenderContext(THEME, SITE, Diagnostics())
    for name, writer in WRITERS.items():
        try:
            if writer.scope == "collection":
                files = dict(writer.render_collection([article], ctx))
                for rel, data in files.items():
                    if rel.endswith(".json"):  # feedparser 6 does not read JSON Feed
                        assert all(item["id"] and item["content_html"] for item in json.loads(data)["items"])
                    else:
                        assert feedparser.parse(data).bozo == 0, (name, rel)
                continue
            data = writer.render(article, ctx)
        except StoryExportError:
            continue  # a clear, located refusal is an accepted outcome
        if name == "html":
            etree.fromstring(data.replace(b"<!DOCTYPE html>", b""), SAFE)
        elif name == "pdf":
            from pypdf import PdfReader

            pdf = PdfReader(io.BytesIO(data))
            assert len(pdf.pages) >= 1
            assert isinstance(pdf.pages[0].extract_text(), str)
        elif name == "docx":
            import docx

            docx.Document(io.BytesIO(data))
        elif name == "epub":
            assert zipfile.ZipFile(io.BytesIO(data)).read("mimetype") == b"application/epub+zip"
            if len(EPUBS) < 12:
                p = EPUB_DIR / f"case-{len(EPUBS)}.epub"
                p.write_bytes(data)
                EPUBS.append(p)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=markdown)
def test_random_markdown_through_every_writer(body: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "a.md").write_text("---\ntitle: Random\ndate: 2024-01-01\n---\n" + body, encoding="utf-8",
                                   errors="surrogatepass")
        try:
            article = read_source(root / "a.md", root, SITE, Diagnostics())
        except StoryExportError:
            return
        assert article is not None
        check_article(article)


# What a reader can put in the model: no control, surrogate, unassigned or format characters.
CHARS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn", "Co", "Cf"))
text = st.text(alphabet=CHARS, min_size=1, max_size=20)
inline = st.recursive(
    text.map(m.Text) | st.just(m.LineBreak()) | text.map(m.Code),
    lambda kids: st.one_of(
        st.tuples(kids).map(lambda c: m.Emph(c)), st.tuples(kids).map(lambda c: m.Strong(c)),
        st.tuples(kids).map(lambda c: m.Strike(c)), st.tuples(kids).map(lambda c: m.Superscript(c)),
        st.tuples(kids).map(lambda c: m.Subscript(c)),
        st.tuples(kids).map(lambda c: m.Link(c, "https://example.org/x")),
    ),
    max_leaves=6,
)
inlines = st.lists(inline, min_size=1, max_size=5).map(tuple)
block = st.recursive(
    inlines.map(m.Para) | st.tuples(st.integers(2, 6), inlines).map(lambda t: m.Heading(t[0], t[1], "h"))
    | text.map(lambda t: m.CodeBlock(t)) | st.just(m.ThematicBreak()),
    lambda kids: st.one_of(
        st.lists(st.lists(kids, min_size=1, max_size=3).map(lambda bs: m.ListItem(tuple(bs))), min_size=1,
                 max_size=3).map(lambda items: m.BulletList(tuple(items))),
        st.lists(st.lists(kids, min_size=1, max_size=3).map(lambda bs: m.ListItem(tuple(bs))), min_size=1,
                 max_size=3).map(lambda items: m.OrderedList(tuple(items), 2)),
        st.lists(kids, min_size=1, max_size=3).map(lambda bs: m.BlockQuote(tuple(bs))),
        st.lists(st.tuples(inlines, st.lists(st.lists(kids, min_size=1, max_size=2).map(tuple), max_size=2)),
                 min_size=1, max_size=3).map(
            lambda items: m.DefinitionList(tuple(m.DefinitionItem(t, tuple(ds)) for t, ds in items))),
    ),
    max_leaves=8,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blocks=st.lists(block, min_size=1, max_size=6), title=text, lang=st.sampled_from(["en", "ar", "ja", "de-CH"]))
def test_random_model_trees_through_every_writer(blocks: list[m.Block], title: str, lang: str) -> None:
    meta = m.Meta(title=title.strip() or "T", slug="random", published=datetime(2024, 1, 2, tzinfo=UTC),
                  language=lang, authors=(m.Author("A. Writer"),), tags=("x",))
    check_article(m.Article(meta, tuple(blocks), source_path="random.md"))


def test_generated_epubs_pass_epubcheck() -> None:
    """Runs after the property tests in this file (pytest keeps file order)."""
    if not EPUBS:
        pytest.fail("the property tests produced no EPUB to check")
    for path, report in check_epubs(EPUBS).items():
        assert not report.errors and not report.warnings, (path, report.errors, report.warnings)
