"""A property over generated WordPress exports: any WXR either imports, with
every published post's words in its Markdown source (as the reader reads
it), or fails with one located error and writes nothing."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from storyexport import model as m
from storyexport.config import Site
from storyexport.errors import Diagnostics, SourceError
from storyexport.importers import run_import
from storyexport.readers import read_source

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/'
        'excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/'
        '1.1/" xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n<title>Site</title>\n'
        "<link>https://site.example.org</link>\n<language>en</language>\n<wp:wxr_version>1.2</wp:wxr_version>\n")
MARKUP = [
    "\n", "\n\n", "<p>", "</p>", "<em>", "</em>", "<strong>", "<br>", "<ul><li>", "</li></ul>", "<blockquote>",
    "</blockquote>", "<h2>", "</h2>", "[caption]", "[/caption]", "[caption]<img src=\"https://x.org/a.png\" alt=\"\"/>",
    "[gallery]", '[gallery ids="90"]', "[foo_bar x=\"1\"]", "[/foo_bar]", "[embed]https://x.org/v[/embed]",
    "[code]", "[/code]", "[audio src=\"https://x.org/a.mp3\"]", "[/audio]", "[[gallery]]", "[", "]", "&amp;",
    "<!--more-->", "<div>", "</div>", "<span style=\"color:red\">", "</span>", "<figure>", "</figure>",
    "<figcaption>", "</figcaption>", "<!-- wp:paragraph -->", "<!-- /wp:paragraph -->",
    '<!-- wp:embed {"url":"https://x.org/e","providerNameSlug":"x"} -->', "<!-- /wp:embed -->",
    "<!-- wp:more --><!--more--><!-- /wp:more -->", "<!-- wp:shortcode -->", "<!-- /wp:shortcode -->",
    "<pre>", "</pre>", "<table><tr><td>", "</td></tr></table>", "<!-- wp:columns --><div>",
    "</div><!-- /wp:columns -->",
    "<!-- wp:latest-posts /-->", "<script>", "</script>",
]
WORD = st.from_regex(r"[a-z]{3,9}", fullmatch=True)
content = st.lists(st.one_of(WORD.map(lambda w: ("w", w)), st.sampled_from(MARKUP).map(lambda t: ("t", t))),
                   max_size=30)
item = st.fixed_dictionaries({
    "type": st.sampled_from(["post", "post", "post", "page", "attachment", "revision", "nav_menu_item"]),
    "status": st.sampled_from(["publish", "publish", "draft", "private", "trash", "inherit"]),
    "title": st.lists(WORD, max_size=4),
    "slug": st.sampled_from(["", "same", "other", "%e4%b8%ad", "a/../b"]),
    "content": content,
    "gmt": st.booleans(),
})


def body_text(parts: list[tuple[str, str]]) -> tuple[str, list[str]]:
    """The content and the words a reader must find in it (none inside <script>)."""
    out, expected, in_script = [], [], False
    for kind, value in parts:
        if kind == "t":
            in_script = {"<script>": True, "</script>": False}.get(value, in_script)
            out.append(value)
        else:
            out.append(f" {value} ")
            if not in_script:
                expected.append(value)
    return "".join(out), expected


def wxr(items: list[dict[str, object]], cut: int | None) -> tuple[str, dict[int, tuple[list[str], list[str]]]]:
    doc = [HEAD]
    published: dict[int, tuple[list[str], list[str]]] = {}
    for i, it in enumerate(items, 1):
        text, expected = body_text(it["content"])  # type: ignore[arg-type]
        date = "2021-05-04 10:00:00"
        doc.append(
            f"<item><title>{' '.join(it['title'])}</title><link>https://site.example.org/?p={i}</link>"  # type: ignore[arg-type]
            f"<content:encoded><![CDATA[{text.replace(']]>', ']]]]><![CDATA[>')}]]></content:encoded>"
            f"<wp:post_id>{i}</wp:post_id><wp:post_date>{date}</wp:post_date>"
            f"<wp:post_date_gmt>{date if it['gmt'] else '0000-00-00 00:00:00'}</wp:post_date_gmt>"
            f"<wp:post_name>{it['slug']}</wp:post_name><wp:status>{it['status']}</wp:status>"
            f"<wp:post_type>{it['type']}</wp:post_type></item>\n")
        if it["type"] == "post" and it["status"] == "publish":
            published[i] = (it["title"], expected)  # type: ignore[assignment]
    doc.append("</channel>\n</rss>\n")
    text = "".join(doc)
    return (text if cut is None else text[:cut]), published


def _post(content: list[tuple[str, str]], title: list[str]) -> dict[str, object]:
    return {"type": "post", "status": "publish", "title": title, "slug": "", "content": content, "gmt": False}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(item, max_size=5), cut=st.one_of(st.none(), st.integers(0, 3000)))
@example(items=[_post([("t", "<ul><li>")], [])], cut=None)  # no words: skipped, not an unreadable source
@example(items=[_post([("t", "<em>")], [])], cut=None)
@example(items=[_post([("t", "<ul><li>"), ("w", "listed")], [])], cut=None)  # no title, no paragraph
def test_generated_wxr_imports_every_word_or_fails_located(items: list[dict[str, object]], cut: int | None) -> None:
    data, published = wxr(items, cut)
    tmp = Path(tempfile.mkdtemp(prefix="storyexport-wxr-"))
    try:
        src = tmp / "export.xml"
        src.write_text(data)
        out = tmp / "out"
        diags = Diagnostics()
        try:
            result = run_import("wordpress", src, out, Site(), diags)
        except SourceError as e:
            assert e.path == str(src) and e.line is not None and e.line >= 1, e
            assert not out.exists()
            assert cut is not None, e  # only a cut document may fail
            return
        assert result.errors == 0, diags.items
        written = {}
        for path in out.glob("*.md") if out.exists() else []:
            article = read_source(path, out, Site(), Diagnostics())
            assert article is not None
            written[article.meta.canonical_url] = article
        for i, (title, expected) in published.items():
            article = written.get(f"https://site.example.org/?p={i}")
            if article is None:  # a post with no words at all is skipped, with a warning
                assert not expected, (i, expected)
                continue
            got = Counter(re.findall(r"[a-z]+", m.plain_text(article) + " " + article.meta.title))
            want = Counter(expected + title)
            missing = want - got
            assert not missing, (i, missing, data)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
