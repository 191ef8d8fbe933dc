"""Reader cases: small Markdown and plain-text inputs and the model they must give.

Many cases in one table (as markdown-it-py's fixture files do): each names
the input and a check on the model, so a failing case points at one node type.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image as PILImage

from storyexport import model as m
from storyexport.config import Site
from storyexport.errors import Diagnostics, SourceError
from storyexport.readers import read_source

FM = "---\ntitle: T\ndate: 2024-01-02\n---\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "source"
    (root / "images").mkdir(parents=True)
    PILImage.new("RGB", (40, 20), "red").save(root / "images" / "a.png")
    return root


def read(root: Path, text: str | bytes, name: str = "a.md", site: Site | None = None
         ) -> tuple[m.Article, Diagnostics]:
    p = root / name
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    d = Diagnostics()
    a = read_source(p, root, site or Site(), d)
    assert a is not None
    return a, d


def body(root: Path, md: str, site: Site | None = None) -> tuple[tuple[m.Block, ...], Diagnostics, m.Article]:
    a, d = read(root, FM + md, site=site)
    return a.blocks, d, a


def messages(d: Diagnostics) -> str:
    return "\n".join(str(x) for x in d.items)


# --------------------------------------------------------------- block nodes


def test_paragraphs_and_headings_1_to_6(tree: Path) -> None:
    blocks, _, _ = body(tree, "Para one.\n\n# H1\n## H2\n### H3\n#### H4\n##### H5\n###### H6\n\nPara two.\n")
    assert blocks[0] == m.Para((m.Text("Para one."),))
    levels = [b.level for b in blocks if isinstance(b, m.Heading)]
    assert levels == [1, 2, 3, 4, 5, 6]
    assert [b.id for b in blocks if isinstance(b, m.Heading)] == ["h1", "h2", "h3", "h4", "h5", "h6"]
    assert blocks[-1] == m.Para((m.Text("Para two."),))


def test_duplicate_heading_ids_are_made_unique(tree: Path) -> None:
    blocks, _, _ = body(tree, "## Same\n\n## Same\n")
    assert [b.id for b in blocks if isinstance(b, m.Heading)] == ["same", "same-2"]


def test_nested_bullet_and_ordered_lists(tree: Path) -> None:
    blocks, _, _ = body(tree, "- a\n  - b\n  - c\n- d\n\n3. x\n4. y\n   1. z\n")
    bl, ol = blocks
    assert isinstance(bl, m.BulletList) and len(bl.items) == 2
    inner = bl.items[0].blocks[1]
    assert isinstance(inner, m.BulletList) and len(inner.items) == 2
    assert isinstance(ol, m.OrderedList) and ol.start == 3
    nested = ol.items[1].blocks[1]
    assert isinstance(nested, m.OrderedList) and nested.start == 1


def test_block_quote_with_two_paragraphs(tree: Path) -> None:
    blocks, _, _ = body(tree, "> one\n>\n> two\n")
    assert blocks == (m.BlockQuote((m.Para((m.Text("one"),)), m.Para((m.Text("two"),)))),)


def test_figure_with_alt_and_caption_from_title(tree: Path) -> None:
    blocks, _, a = body(tree, '![A red box](images/a.png "The caption")\n')
    fig = blocks[0]
    assert isinstance(fig, m.Figure)
    assert fig.image.alt == "A red box" and fig.image.src == "images/a.png"
    assert fig.caption == (m.Text("The caption"),)
    asset = a.asset("images/a.png")
    assert asset is not None and (asset.width, asset.height, asset.media_type) == (40, 20, "image/png")


def test_table_with_header_and_alignment(tree: Path) -> None:
    blocks, _, _ = body(tree, "| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n| 4 | 5 | 6 |\n")
    t = blocks[0]
    assert isinstance(t, m.Table)
    assert [m.inline_text(c.children) for c in t.header] == ["a", "b", "c"]
    assert t.align == ("left", "center", "right")
    assert [[m.inline_text(c.children) for c in r] for r in t.rows] == [["1", "2", "3"], ["4", "5", "6"]]


def test_code_block_and_thematic_break(tree: Path) -> None:
    blocks, _, _ = body(tree, "```python\nprint('<x>')\n```\n\n---\n\n    indented\n")
    assert blocks[0] == m.CodeBlock("print('<x>')", "python")
    assert blocks[1] == m.ThematicBreak()
    assert blocks[2] == m.CodeBlock("indented", "")


def test_footnotes_definitions_and_references(tree: Path) -> None:
    _, _, a = body(tree, "Text[^n] and more[^2].\n\n[^n]: First note.\n\n[^2]: Second.\n\n    Para two.\n")
    assert [n.label for n in m.query(a, m.Note)] == ["n", "2"]
    assert [f.label for f in m.article_notes(a)] == ["n", "2"]
    assert len(m.article_notes(a)[1].blocks) == 2
    assert m.inline_text(m.article_notes(a)[0].blocks[0].children) == "First note."  # type: ignore[union-attr]


def test_summary_bullet_note_is_kept(tree: Path) -> None:
    """A note called only from a "Story at a glance" bullet is the bullet's
    (it used to be dropped as never referenced, leaving a dangling call)."""
    a, d = read(tree, "---\ntitle: T\ndate: 2024-01-02\n---\nStory at a glance\n\n- Point[^g]\n- Other\n\n"
                      "Body[^b].\n\n[^g]: Glance note.\n\n[^b]: Body note.\n")
    assert [n.label for n in m.notes(a.meta.summary[0])] == ["g"]
    assert [n.label for n in m.article_notes(a)] == ["g", "b"]
    assert "never referenced" not in messages(d)
    assert "Glance note." in m.plain_text(a)


def test_footnote_without_definition_warns(tree: Path) -> None:
    blocks, d, a = body(tree, "Text[^missing].\n")
    assert "[^missing]" in m.inline_text(blocks[0].children)  # type: ignore[union-attr]
    assert "footnote reference [^missing] has no definition" in messages(d)
    assert m.query(a, m.Note) == []


def test_circular_footnote_is_broken_with_warning(tree: Path) -> None:
    _, d, a = body(tree, "Text[^a].\n\n[^a]: See [^a].\n")
    assert len(m.article_notes(a)) == 1
    assert len(m.query(a, m.Note)) == 1  # the call inside the note is text
    assert "notes inside notes are not supported" in messages(d)


# -------------------------------------------------------------- inline nodes


def test_every_inline_node(tree: Path) -> None:
    md = ("*em* **strong** ~~gone~~ `code` [link](https://example.org \"t\") "
          "![icon](images/a.png) a\\\nb H<sub>2</sub>O E=mc<sup>2</sup>[^1]\n\n[^1]: n\n")
    blocks, _, a = body(tree, md)
    kinds = {type(n) for n in m.walk(blocks[0])}
    for k in (m.Emph, m.Strong, m.Strike, m.Code, m.Link, m.Image, m.LineBreak, m.Subscript,
              m.Superscript, m.Note, m.Text):
        assert k in kinds, k
    link = m.query(a, m.Link)[0]
    assert (link.url, link.title) == ("https://example.org", "t")


def test_raw_br_img_and_a_become_nodes(tree: Path) -> None:
    blocks, _, _ = body(tree, 'a<br>b <a href="https://x.org/">x</a> <img src="images/a.png" alt="pic">\n')
    kinds = [type(n) for n in m.walk(blocks[0])]
    assert m.LineBreak in kinds and m.Link in kinds and m.Image in kinds


@pytest.mark.parametrize("html, gone", [
    ("<script>alert(1)</script>", "alert"),
    ("<style>body{background:url(file:///etc/passwd)}</style>", "passwd"),
    ('<iframe src="https://evil.example/"></iframe>', "evil"),
    ('<object data="x.swf">obj</object>', "obj"),
])
def test_active_raw_html_is_removed_with_content(tree: Path, html: str, gone: str) -> None:
    a, d = read(tree, FM + f"Before {html} after.\n\n{html}\n")
    assert gone not in m.plain_text(a)
    assert "Before" in m.plain_text(a) and "after." in m.plain_text(a)
    assert "raw HTML: removed" in messages(d)


def test_event_handlers_and_javascript_urls_removed(tree: Path) -> None:
    a, d = read(tree, FM + '<a href="javascript:alert(1)" onclick="x()">click</a> [y](javascript:alert(2))\n')
    assert m.query(a, m.Link) == []
    assert "click" in m.plain_text(a)
    assert "event handler onclick=" in messages(d)
    assert "javascript" in messages(d)


def test_harmless_html_is_unwrapped_keeping_text(tree: Path) -> None:
    blocks, d, _ = body(tree, '<div class="x"><p>Kept <span>words</span></p></div>\n')
    assert m.inline_text(blocks[0].children) == "Kept words"  # type: ignore[union-attr]
    assert "<div> unwrapped" in messages(d)


def test_xxe_doctype_in_html_is_inert(tree: Path) -> None:
    md = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<p>&xxe; text</p>\n'
    a, d = read(tree, FM + md)
    assert "root:" not in m.plain_text(a)
    assert "removed a <!DOCTYPE>" in messages(d) or "markup declaration" in messages(d)
    assert "text" in m.plain_text(a)


# ------------------------------------------------------------- front matter


def test_front_matter_conventions(tree: Path) -> None:
    a, d = read(tree, """---
title: NO
subtitle: A dek
description: Desc
authors:
  - name: Ann
    email: ann@example.org
    url: https://ann.example.org
  - Bob
date: 2022-06-01 08:00:00 +0900
lastmod: 2022-06-02T10:00:00Z
tags: [a, b]
categories: c, d
keywords: [a]
lang: de-CH
slug: my-slug
canonical_url: https://example.org/x
rights: CC BY
publisher: P
time: 10:00
layout: post
---
Body.
""")
    meta = a.meta
    assert meta.title == "NO"  # YAML 1.1 would say False
    assert meta.subtitle == "A dek" and meta.description == "Desc"
    assert meta.authors == (m.Author("Ann", "ann@example.org", "https://ann.example.org"), m.Author("Bob"))
    assert meta.published == datetime(2022, 6, 1, 8, 0, tzinfo=timezone(timedelta(hours=9)))
    assert meta.updated == datetime(2022, 6, 2, 10, 0, tzinfo=UTC)
    assert meta.tags == ("a", "b", "c", "d")
    assert (meta.language, meta.slug, meta.canonical_url, meta.rights, meta.publisher) == (
        "de-CH", "my-slug", "https://example.org/x", "CC BY", "P")
    assert dict(meta.extra) == {"time": "10:00", "layout": "post"}
    assert "a.md:20: warning: unknown front-matter key 'time'" in messages(d)
    assert "'layout'" not in messages(d)  # Jekyll's own template key: kept without a warning


@pytest.mark.parametrize("value, expected", [
    ("2020-04-01", datetime(2020, 4, 1, tzinfo=UTC)),
    ("2020-04-01T10:30:00+02:00", datetime(2020, 4, 1, 10, 30, tzinfo=timezone(timedelta(hours=2)))),
    ("2020-04-01 10:30", datetime(2020, 4, 1, 10, 30, tzinfo=UTC)),
    ('"Apr 01, 2020"', datetime(2020, 4, 1, tzinfo=UTC)),
    ("2020-04-01T10:30:00Z", datetime(2020, 4, 1, 10, 30, tzinfo=UTC)),
])
def test_date_forms(tree: Path, value: str, expected: datetime) -> None:
    a, _ = read(tree, f"---\ntitle: T\ndate: {value}\n---\nBody.\n")
    assert a.meta.published == expected


def test_author_mapping_and_single_string(tree: Path) -> None:
    a, _ = read(tree, "---\ntitle: T\ndate: 2020-01-01\nauthor: {name: Jane, email: j@x.org}\n---\nB\n")
    assert a.meta.authors == (m.Author("Jane", "j@x.org"),)


@pytest.mark.parametrize("fm, message", [
    ("title: T\ndate: yesterday", "a.md:3: date: not a date: 'yesterday'"),
    ("title: T\ndate: 2020-13-45", "a.md:3: date: not a date: '2020-13-45'"),
    ("title: [x]\ndate: 2020-01-01", "a.md:2: title: expected text"),
    ("title: T\ndate: 2020-01-01\ntags: {a: 1}", "a.md:4: tags: expected a list"),
    ("title: T\ndate: 2020-01-01\nlang: 'not a lang'", "a.md:4: lang: not a BCP 47 language tag"),
    ("title: T\n  bad: indent: here", "a.md:3: invalid YAML"),
    ("title: !!python/object:os.system x\ndate: 2020-01-01", "a.md:2: invalid YAML"),
])
def test_front_matter_errors_are_located(tree: Path, fm: str, message: str) -> None:
    with pytest.raises(SourceError) as e:
        read(tree, f"---\n{fm}\n---\nBody.\n")
    assert str(e.value).split("/source/")[1].startswith(message), str(e.value)


def test_yaml_alias_bomb_is_refused(tree: Path) -> None:
    bomb = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    with pytest.raises(SourceError, match="aliases"):
        read(tree, f"---\ntitle: T\n{bomb}---\nBody.\n")


@pytest.mark.parametrize("data, message", [
    (b"", "has no body text"),
    (b"---\ntitle: T\ndate: 2020-01-01\n---\n", "has no body text"),
    (b"---\ntitle: T\n", "front matter is not closed"),
    (b"---\ntitle: T\ndate: 2020-01-01\n---\nok \xff\xfe bad\n", "a.md:5: not valid UTF-8"),
])
def test_bad_files(tree: Path, data: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        read(tree, data)


def test_utf16_and_bom_sources_are_read(tree: Path) -> None:
    a, d = read(tree, (FM + "Grüße.\n").encode("utf-16"))
    assert m.plain_text(a).endswith("Grüße.")
    assert "UTF-16" in messages(d)
    a, _ = read(tree, b"\xef\xbb\xbf" + (FM + "Body.\n").encode())
    assert a.meta.title == "T"


def test_control_and_bidi_characters_removed_with_warning(tree: Path) -> None:
    a, d = read(tree, "---\ntitle: \"A\\x07B\"\ndate: 2020-01-01\n---\nx\x00y \u202eevil\u202c\n")
    assert a.meta.title == "AB"
    assert "xy evil" in m.plain_text(a)
    assert "control or invalid characters U+0000" in messages(d)
    assert "bidirectional override" in messages(d)


# --------------------------------------------------------------- resources


def test_images_outside_tree_missing_or_remote_keep_alt(tree: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.png").write_bytes((tree / "images" / "a.png").read_bytes())
    (tree / "fake.png").write_bytes(b"not a png")
    md = ("![one](../outside.png) ![two](missing.png) ![three](http://169.254.169.254/x.png) "
          '![four](fake.png) <img src="file:///etc/passwd" alt="five">\n')
    a, d = read(tree, FM + md)
    assert a.assets == ()
    text = m.plain_text(a)
    for alt in ("one", "two", "three", "four", "five"):
        assert alt in text
    msgs = messages(d)
    assert "outside the source tree" in msgs and "not found" in msgs
    assert "not a local file" in msgs and "not a readable image" in msgs


def test_decompression_bomb_refused(tree: Path) -> None:
    # A real PNG header claiming 20000x20000 pixels; Pillow reads only the header.
    PILImage.new("1", (20000, 20000)).save(tree / "bomb.png", optimize=True)
    a, d = read(tree, FM + "![bomb](bomb.png)\n")
    assert a.assets == () and "over max_image_pixels" in messages(d)


def test_relative_links_need_base_url(tree: Path) -> None:
    blocks, d, _ = body(tree, "[about](/about/) [top](#top)\n")
    assert [n.url for n in m.walk(blocks[0]) if isinstance(n, m.Link)] == ["#top"]
    assert "no base_url" in messages(d)
    blocks, _, _ = body(tree, "[about](/about/)\n", site=Site(base_url="https://ex.org/"))
    assert [n.url for n in m.walk(blocks[0]) if isinstance(n, m.Link)] == ["https://ex.org/about/"]


def test_nesting_limit_is_an_error_not_silent_truncation(tree: Path) -> None:
    with pytest.raises(SourceError, match="nested more than"):
        read(tree, FM + ">" * 200 + " deep\n")
    with pytest.raises(SourceError, match="nested"):
        read(tree, FM + "".join("  " * i + "- x\n" for i in range(100)))


# --------------------------------------------------------------- plain text


def test_plain_text_story_shape(tree: Path) -> None:
    a, d = read(tree, "Story at a glance\n\n  • One.\n  • Two.\n\nFirst para. More words.\n\n"
                      "Second para.\n\nPublished on Apr 01, 2020", name="s.txt")
    assert [m.inline_text(i) for i in a.meta.summary] == ["One.", "Two."]
    assert a.meta.published == datetime(2020, 4, 1, tzinfo=UTC)
    assert [m.inline_text(b.children) for b in a.blocks] == ["First para. More words.", "Second para."]  # type: ignore[union-attr]
    assert a.meta.title == "First para"
    assert "s.txt: warning: no title; using its first sentence" in messages(d)


def test_plain_text_header_block(tree: Path) -> None:
    a, _ = read(tree, "Title: Head\nAuthor: Sam\nTags: x, y\nLanguage: fr\nURL: https://e.org/a\n\n"
                      "Para.\n\nPublished on July 15, 2023\n", name="h.txt")
    assert (a.meta.title, a.meta.authors, a.meta.tags, a.meta.language, a.meta.canonical_url) == (
        "Head", (m.Author("Sam"),), ("x", "y"), "fr", "https://e.org/a")


def test_plain_text_is_verbatim(tree: Path) -> None:
    text = "Title: T\n\n*not emphasis* <b>not html</b> “quotes” ...\n\nPublished on Apr 01, 2020\n"
    a, _ = read(tree, text, name="v.txt")
    assert a.blocks == (m.Para((m.Text("*not emphasis* <b>not html</b> “quotes” ..."),)),)


def test_plain_text_bad_dateline(tree: Path) -> None:
    with pytest.raises(SourceError, match=r"b\.txt:3: published: not a date"):
        read(tree, "Title: T\n\nPublished on Someday\n", name="b.txt")


# ---------------------------------------------------------------- samples


def test_seed_is_read_verbatim(samples: dict[str, m.Article]) -> None:
    seed = samples["russia-sends-aid"]
    src = (Path(__file__).parents[1] / "source" / "russia-sends-aid.txt").read_text()
    assert len(seed.meta.summary) == 3
    assert seed.meta.published == datetime(2020, 4, 1, tzinfo=UTC)
    for block in seed.blocks:
        assert m.inline_text(block.children) in src  # type: ignore[union-attr]
    assert len(seed.blocks) == 11


def test_richest_sample_has_every_node_type(samples: dict[str, m.Article]) -> None:
    a = samples["newsroom-style-guide"]
    found = {type(n) for n in m.nodes(a)}
    for kind in (m.Para, m.Heading, m.BulletList, m.OrderedList, m.BlockQuote, m.Figure, m.Table, m.CodeBlock,
                 m.ThematicBreak, m.Text, m.Emph, m.Strong, m.Strike, m.Code, m.Link, m.Image, m.LineBreak,
                 m.Note, m.Superscript, m.Subscript):
        assert kind in found, kind
    assert {h.level for h in m.query(a, m.Heading)} >= {2, 3, 4, 5, 6}


def test_leading_heading_is_the_title_without_warning(tree: Path) -> None:
    a, d = read(tree, "---\ndate: 2024-01-02\n---\n# The Headline\n\nBody text. More.\n")
    assert a.meta.title == "The Headline"
    assert a.blocks == (m.Para((m.Text("Body text. More."),)),)
    assert "no title" not in messages(d)
    a, d = read(tree, "---\ndate: 2024-01-02\n---\nBody text. More.\n")
    assert a.meta.title == "Body text"
    assert "no title; using its first sentence" in messages(d)
