"""The importers' Markdown serialiser: what it writes, read back by the
project's own Markdown reader, is the same model text (fixed cases, then a
property over generated models)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from storyexport import model as m
from storyexport.config import Site
from storyexport.errors import Diagnostics
from storyexport.importers.markdown_out import body_markdown
from storyexport.readers import markdown
from storyexport.readers.source import SourceContext

T = m.Text


def read_back(body: str, tmp: Path) -> tuple[m.Article, Diagnostics]:
    path = tmp / "story.md"
    diags = Diagnostics()
    ctx = SourceContext(path, tmp, Site(), diags)
    text = "---\ntitle: t\ndate: 2020-01-01\n---\n" + body
    article, _ = markdown.read(path, text.encode(), ctx)
    return article, diags


def text_of(blocks: tuple[m.Block, ...]) -> str:
    art = m.Article(m.Meta("t", "t", datetime(2020, 1, 1, tzinfo=UTC)), blocks)
    return " ".join(m.plain_text(art).split())


def assert_round_trip(blocks: tuple[m.Block, ...], tmp: Path) -> m.Article:
    md = body_markdown(blocks)
    article, _ = read_back(md, tmp)
    assert text_of(article.blocks) == text_of(blocks), md
    return article


NOTE = (m.Para((T("A note with "), m.Emph((T("words"),)))),)


def test_escaping_and_every_node(tmp_path: Path) -> None:
    blocks: tuple[m.Block, ...] = (
        m.Para((T("Stars *a* [b] <b> & &amp; _u_ `t` ~~s~~ 1. # x"), m.Emph((T("em"),)), T("!"),
                m.Link((T("link"),), "https://example.org/a b", 'say "hi"'))),
        m.Para((T("a"), m.Emph((T('"q"'),)), T("b"), m.Strong((T(" s "),)), m.Code("x`y"), m.LineBreak(),
                T("- not a list"), m.LineBreak(), T("==="), m.LineBreak(), T("1) nor this"))),
        m.Heading(2, (T("Heading ends in #"),)),
        m.Heading(3, (T("Two"), m.LineBreak(), T("lines"))),
        m.BulletList((m.ListItem((m.Para((T("one"),)),)), m.ListItem((m.Para((T("two"),)), m.Para((T("more"),)))))),
        m.BulletList((m.ListItem((m.Para((T("a second list"),)),)),)),
        m.OrderedList((m.ListItem((m.Para((T("2. not a number"),)),)),), 3),
        m.OrderedList((m.ListItem((m.ThematicBreak(),)),), 1),
        m.BlockQuote((m.Para((T("quoted"),)), m.CodeBlock("```\ncode\n````", "py"))),
        m.Figure(m.Image("alt [x]", "https://example.org/i.jpg"), (T('Caption "x"'),)),
        m.Table((m.TableCell((T("h|1"),)), m.TableCell((m.Code("a|b"),))),
                ((m.TableCell((T("c"), m.LineBreak(), T("d"))), m.TableCell((T("e"),))),), ("left", "")),
        m.Table((), ((m.TableCell((T("no"),)), m.TableCell((T("header"),))),)),
        m.ThematicBreak(),
        m.Para((m.Superscript((T("sup"),)), m.Strike((T("del"),)), T("x"), m.Subscript((T("2"),)),
                m.Note("n1", NOTE))),
        m.DefinitionList((m.DefinitionItem((T("- Term "), m.Emph((T("one"),))),
                                           ((m.Para((T("first"),)),), (m.Para((T("second"),)),))),)),
    )
    back = assert_round_trip(blocks, tmp_path)
    kinds = [type(b).__name__ for b in back.blocks]
    assert kinds == ["Para", "Para", "Heading", "Heading", "BulletList", "BulletList", "OrderedList", "OrderedList",
                     "BlockQuote", "Para", "Para", "Table", "Table", "ThematicBreak", "Para", "DefinitionList"]
    first, second = back.blocks[0], back.blocks[1]
    assert isinstance(first, m.Para) and isinstance(second, m.Para)
    assert first.children[1] == m.Emph((T("em"),))
    assert first.children[-1] == m.Link((T("link"),), "https://example.org/a%20b", 'say "hi"')
    assert m.Strong((T("s"),)) in second.children and m.Code("x`y") in second.children
    assert back.blocks[6] == m.OrderedList((m.ListItem((m.Para((T("2. not a number"),)),)),), 3)
    assert m.article_notes(back) == [m.Note("n1", NOTE)]


def test_template_braces_are_never_written(tmp_path: Path) -> None:
    """The reader expands Hugo shortcodes and Liquid before Markdown."""
    blocks = (m.Para((T("a {{< x >}} b {% raw %}"), m.Code("{{ site.url }}"))),
              m.CodeBlock("{% if %}\n{{x}}", "liquid"),
              m.Figure(m.Image("alt {{y}}", "https://example.org/{{z}}.png"), (T("cap {%w%}"),)))
    md = body_markdown(blocks)
    assert "{{" not in md and "{%" not in md
    back = assert_round_trip(blocks, tmp_path)
    assert back.blocks[1] == m.CodeBlock("{% if %}\n{{x}}", "liquid")


def test_kramdown_attribute_syntax_in_text_is_kept(tmp_path: Path) -> None:
    """The reader drops kramdown's attribute lists (``{: .x}``, ``{:toc}``) and
    a heading's trailing ``{#id}`` before Markdown: text that looks like
    them is written so it reads back as itself (Hypothesis found ``{{:}``)."""
    blocks = (m.Para((T("{{:}"),)), m.Para((T("a {: .x}"),)), m.Para((T("{:toc}"),)),
              m.Heading(2, (T("Title {#id}"),)), m.Heading(3, (T("Other {.cls}"),)),
              m.Para((T("code "), m.Code("x {: .y}"))), m.CodeBlock("{: .x}\n{::comment}", ""))
    back = assert_round_trip(blocks, tmp_path)
    assert back.blocks[3] == m.Heading(2, (T("Title {#id}"),), back.blocks[3].id)
    assert back.blocks[6] == m.CodeBlock("{: .x}\n{::comment}", "")


def test_local_figure_keeps_its_caption(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (4, 3), "red").save(tmp_path / "pic.png")
    blocks = (m.Figure(m.Image("A red square", "pic.png"), (T("The caption"),)),)
    back = assert_round_trip(blocks, tmp_path)
    fig = back.blocks[0]
    assert isinstance(fig, m.Figure) and fig.image.alt == "A red square" and fig.caption == (T("The caption"),)


def shape(node: object) -> object:
    """A node's kinds and words, without the spaces at the edges of a text
    (the reader trims them) and without heading ids (it makes them)."""
    if isinstance(node, m.Text):
        return node.text.strip()
    if isinstance(node, m.Heading):
        return ("Heading", node.level, shape(node.children))
    if isinstance(node, tuple):
        merged: list[object] = []  # neighbouring texts read back as one
        for n in node:
            if isinstance(n, m.Text) and merged and isinstance(merged[-1], m.Text):
                merged[-1] = m.Text(merged[-1].text + n.text)
            else:
                merged.append(n)
        return tuple(s for s in map(shape, merged) if s != "")
    if dataclasses.is_dataclass(node):
        return (type(node).__name__, *(shape(getattr(node, f.name)) for f in dataclasses.fields(node)))
    return node


def test_nested_definition_lists_and_leading_spaces_read_back_as_the_same_nodes(tmp_path: Path) -> None:
    """Definition lists inside list items, quotes and definitions, and
    after each other; a ":" at the start of a line of text; blocks
    whose text starts with spaces (they must not indent the line: four would
    make code, and in a list item they move the content column); a "{" and a
    "%" in two neighbouring texts (together they would open Liquid)."""
    lead = m.Para((m.Emph((T(" a"),)),))
    dl = m.DefinitionList((
        m.DefinitionItem((T("Term"),), ((m.Para((T("    one"),)), m.Para((T("two"),))), (lead,))),
        m.DefinitionItem((T("Other"),), ((m.BulletList((m.ListItem((m.Para((T("x"),)),)),)),),))))
    blocks: tuple[m.Block, ...] = (
        m.BulletList((m.ListItem((dl,)), m.ListItem((m.Para((T("lead"),)), dl)))),
        m.OrderedList((m.ListItem((lead, m.Heading(1, (T("h"),)))), m.ListItem((dl,))), 10),
        m.BlockQuote((dl,)),
        m.DefinitionList((m.DefinitionItem((T("Outer"),), ((dl,),)),)),
        m.Para((T("    four spaces"),)),
        m.Para((T("a"), m.LineBreak(), T(": not a definition"))),
        m.Para((T(":   nor this"),)),
        dl,
        m.BulletList((m.ListItem((dl,)),)),  # its first term is not one more term of the list before
        dl,
        dl,
        m.Para((T("a \\"), T("{"), T("%b"), m.Emph((T("{"),)), T("{c"))),
    )
    md = body_markdown(blocks)
    assert "{%" not in md and "{{" not in md, md
    back = assert_round_trip(blocks, tmp_path)
    assert shape(back.blocks) == shape(blocks), md
    # Markdown has no link inside a link: the inner one's words join the outer, emphasis kept
    nested = (m.Para((m.Link((T("a"), m.Link((m.Emph((m.Code("c"), m.LineBreak())),), "https://example.org/y")),
                             "https://example.org/x"),)),)
    back = assert_round_trip(nested, tmp_path)
    assert len(m.query(back, m.Emph)) == 1 and len(m.query(back, m.Link)) == 1


# ------------------------------------------------------------------ property

ALPHABET = st.sampled_from([*"abcXYZ019 .,;:!?'\"()[]{}<>*_`~#+-=|\\/&$%^@", "&amp;", "&#33;", "é", "東", "1.", "- ",
                            "> ", "![", "](", "**", "~~", "``", "<b>", "{{", "{%", "%}", "}}", "{{< x >}}"])
words = st.lists(ALPHABET, min_size=1, max_size=12).map("".join).filter(lambda s: s.strip() != "")
inline = st.recursive(
    st.one_of(words.map(T), st.just(m.LineBreak()), words.map(m.Code)),
    lambda kids: st.one_of(
        st.lists(kids, min_size=1, max_size=3).map(lambda c: m.Emph(tuple(c))),
        st.lists(kids, min_size=1, max_size=3).map(lambda c: m.Strong(tuple(c))),
        st.lists(kids, min_size=1, max_size=3).map(lambda c: m.Strike(tuple(c))),
        st.lists(kids, min_size=1, max_size=3).map(lambda c: m.Superscript(tuple(c))),
        st.lists(kids, min_size=1, max_size=3).map(lambda c: m.Link(tuple(c), "https://example.org/x")),
    ),
    max_leaves=6,
)
inlines = st.lists(inline, min_size=1, max_size=5).map(tuple)
leaf_block = st.one_of(
    inlines.map(m.Para),
    st.tuples(st.integers(1, 6), inlines).map(lambda t: m.Heading(t[0], t[1])),
    st.tuples(words, words).map(lambda t: m.CodeBlock(t[0] + "\n" + t[1], "py")),
    st.just(m.ThematicBreak()),
    st.tuples(words, words).map(lambda t: m.Figure(m.Image(t[0], "https://example.org/i.png"), (T(t[1]),))),
    st.lists(st.lists(words.map(lambda w: m.TableCell((T(w),))), min_size=2, max_size=2).map(tuple),
             min_size=1, max_size=3).map(lambda rows: m.Table(rows[0], tuple(rows[1:]))),
)
block = st.recursive(
    leaf_block,
    lambda kids: st.one_of(
        st.lists(st.lists(kids, min_size=1, max_size=2).map(lambda b: m.ListItem(tuple(b))), min_size=1,
                 max_size=3).map(lambda items: m.BulletList(tuple(items))),
        st.tuples(st.lists(st.lists(kids, min_size=1, max_size=2).map(lambda b: m.ListItem(tuple(b))),
                           min_size=1, max_size=3), st.integers(0, 20)).map(
            lambda t: m.OrderedList(tuple(t[0]), t[1])),
        st.lists(kids, min_size=1, max_size=3).map(lambda b: m.BlockQuote(tuple(b))),
        st.lists(st.tuples(inlines, st.lists(st.lists(kids, min_size=1, max_size=2).map(tuple), max_size=2)),
                 min_size=1, max_size=3).map(
            lambda items: m.DefinitionList(tuple(m.DefinitionItem(t, tuple(d)) for t, d in items))),
    ),
    max_leaves=5,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(blocks=st.lists(block, min_size=1, max_size=5).map(tuple))
def test_any_model_reads_back_with_the_same_text(blocks: tuple[m.Block, ...], tmp_path: Path) -> None:
    assume(text_of(blocks) != "t")  # a story with no words is never written (the importers skip it)
    assert_round_trip(blocks, tmp_path)


@settings(max_examples=100, deadline=None)
@given(values=st.dictionaries(st.sampled_from(["title", "description", "slug", "tags", "authors"]),
                              st.one_of(st.text(), st.lists(st.text(), max_size=3)), max_size=5))
def test_front_matter_reads_back_as_written(values: dict[str, object]) -> None:
    from storyexport.importers.output import front_matter
    from storyexport.readers import frontmatter

    ctx = SourceContext(Path("x.md"), Path("."), Site(), Diagnostics())
    text = front_matter(values)
    bad = [c for c in text if 0xD800 <= ord(c) <= 0xDFFF or c in "\ufffe\uffff" or (ord(c) < 32 and c not in "\n")]
    if bad:
        return  # the importers clean these before (SourceContext.clean); YAML cannot carry them
    assert frontmatter.parse(text, ctx).values == values
