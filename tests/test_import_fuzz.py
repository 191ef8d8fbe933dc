"""Hostile field values for every importer: whatever an export holds in its
fields (addresses urllib refuses, impossible dates, numbers where text goes,
nested JSON where a string goes), an import either succeeds or raises one
located :class:`SourceError`; nothing else escapes, and nothing half-written
is left. An address with a malformed IPv6 host once ended a whole import
with a traceback; this keeps that class of bug out."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyexport.config import Site
from storyexport.errors import Diagnostics, SourceError
from storyexport.importers import run_import

ODD = st.sampled_from([
    "", " ", "0", "-1", "99999999999999999999", "abc", "http://[x/", "https://[::1/", "https://ok.example/a.jpg",
    "//h/x.png", "javascript:alert(1)", "/wp-content/uploads/../../etc/passwd", "2021-02-30 10:00:00",
    "0000-00-00 00:00:00", "2021-05-04T10:00:00Z", "9999-12-31 23:59:59", "0001-01-01 00:00:00", "١٢٣", "a" * 300,
    "\u202e", "<b>x</b>", "&amp;lt;", "%zz", "post", "attachment", "publish", "inherit", "en_US", "xx-!!",
    "Tue, 02 Jan 2024 10:00:00 GMT", "<p>x <img src='http://[i/' title='t'></p>", "• one\n• two",
])
TEXT = st.one_of(ODD, st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=8))
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))


def attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


@contextmanager
def imported(kind: str, name: str, text: str, uploads: bool = False) -> Iterator[None]:
    """Import ``text`` (as file ``name``); the property: success or a
    SourceError, and after an error the output folder does not exist."""
    tmp = Path(tempfile.mkdtemp(prefix="storyexport-fuzz-"))
    try:
        src, out = tmp / name, tmp / "out"
        src.write_text(text, encoding="utf-8")
        up = tmp / "wp-content" / "uploads"
        up.mkdir(parents=True)
        try:
            run_import(kind, src, out, Site(), Diagnostics(), uploads=up if uploads else None)
        except SourceError as e:
            assert e.diagnostic().path, e
            assert not out.exists()
        else:  # nothing to import writes nothing; else no stage folder is left behind
            assert not out.exists() or not [p for p in out.iterdir() if p.name.startswith(".storyexport-import-")]
        yield
    finally:
        shutil.rmtree(tmp)


WXR_FIELDS = ("wp:post_date", "wp:post_date_gmt", "wp:post_modified_gmt", "wp:post_id", "wp:post_parent",
              "wp:menu_order", "wp:attachment_url", "guid", "link", "title", "wp:post_name", "excerpt:encoded",
              "dc:creator", "wp:post_password", "wp:status", "wp:post_type")
WXR_CONTENT = st.lists(st.sampled_from([
    '[gallery ids="1,2,3"]', '[caption id="attachment_2"]<img src="%s">c[/caption]',
    '<!-- wp:image {"id":2} --><figure><img src="%s"/></figure><!-- /wp:image -->', '<a href="%s">l</a>',
    '<img src="%s" title="t">', '[audio src="%s"]', '[video mp4="%s"]', "[embed]%s[/embed]",
    '<!-- wp:gallery {"ids":[1,2]} -->', '<!-- wp:file {"id":2,"href":"%s"} --><a href="%s">f</a><!-- /wp:file -->',
    '[playlist ids="2"]', "words here", '<!-- wp:block {"ref":3} /-->', '[sourcecode lang="%s"]x[/sourcecode]',
]), max_size=6)
WXR_ITEM = st.fixed_dictionaries({f: TEXT for f in WXR_FIELDS}, optional={
    "content": WXR_CONTENT, "thumb": TEXT, "alt": TEXT, "cat": st.tuples(TEXT, TEXT)})
WXR_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n<title>S</title><link>{link}</link>'
            "<language>{lang}</language><wp:base_site_url>{link}</wp:base_site_url><wp:author>"
            "<wp:author_login>{a}</wp:author_login><wp:author_display_name>{a}</wp:author_display_name></wp:author>\n")


def _meta(key: str, value: str) -> str:
    return f"<wp:postmeta><wp:meta_key>{key}</wp:meta_key><wp:meta_value>{escape(value)}</wp:meta_value></wp:postmeta>"


@SETTINGS
@given(TEXT, TEXT, TEXT, st.lists(WXR_ITEM, min_size=1, max_size=4), TEXT)
def test_wordpress_fields(link: str, lang: str, author: str, items: list[dict[str, object]], url: str) -> None:
    doc = [WXR_HEAD.format(link=escape(link), lang=escape(lang), a=escape(author))]
    for it in items:
        parts = ["<item>", *(f"<{f}>{escape(str(it[f]))}</{f}>" for f in WXR_FIELDS)]
        content = "".join(c.replace("%s", url) for c in it.get("content", []))  # type: ignore[attr-defined]
        parts.append(f"<content:encoded><![CDATA[{content.replace(']]>', '')}]]></content:encoded>")
        if "thumb" in it:
            parts.append(_meta("_thumbnail_id", str(it["thumb"])))
        if "alt" in it:
            parts.append(_meta("_wp_attachment_image_alt", str(it["alt"])))
        if "cat" in it:
            domain, name = it["cat"]  # type: ignore[misc]
            parts.append(f'<category domain="{attr(domain)}">{escape(name)}</category>')
        doc.append("".join(parts) + "</item>\n")
    doc.append("</channel></rss>\n")
    with imported("wordpress", "site.xml", "".join(doc), uploads=True):
        pass


FEED_FIELDS = ("title", "link", "guid", "date", "description", "content", "author", "category", "language")


@pytest.mark.filterwarnings("ignore:To avoid breaking existing software:DeprecationWarning")  # feedparser's own
@SETTINGS
@given(TEXT, TEXT, st.lists(st.fixed_dictionaries({k: TEXT for k in FEED_FIELDS}), min_size=1, max_size=3),
       st.booleans())
def test_feed_fields(channel_link: str, channel_lang: str, entries: list[dict[str, str]], atom: bool) -> None:
    if atom:
        body = "".join(
            f'<entry><title>{escape(e["title"])}</title><link href="{attr(e["link"])}"/><id>{escape(e["guid"])}</id>'
            f'<updated>{escape(e["date"])}</updated><summary>{escape(e["description"])}</summary>'
            f'<content type="html">{escape(e["content"])}</content><author><name>{escape(e["author"])}</name>'
            f'</author><category term="{attr(e["category"])}"/></entry>' for e in entries)
        doc = (f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{attr(channel_lang)}">'
               f'<title>T</title><link href="{attr(channel_link)}"/>{body}</feed>')
    else:
        body = "".join(
            f'<item><title>{escape(e["title"])}</title><link>{escape(e["link"])}</link><guid>{escape(e["guid"])}</guid>'
            f'<pubDate>{escape(e["date"])}</pubDate><description>{escape(e["description"])}</description>'
            f'<content:encoded>{escape(e["content"])}</content:encoded><author>{escape(e["author"])}</author>'
            f'<category>{escape(e["category"])}</category><dc:language>{escape(e["language"])}</dc:language></item>'
            for e in entries)
        doc = ('<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
               f'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title><link>{escape(channel_link)}</link>'
               f"<language>{escape(channel_lang)}</language>{body}</channel></rss>")
    with imported("feed", "feed.xml", doc):
        pass


NINJS_KEYS = ("uri", "type", "headline", "headlines", "body_html", "body_text", "body_xhtml", "bodies", "byline", "by",
              "firstcreated", "versioncreated", "subject", "subjects", "language", "description_text", "descriptions",
              "copyrightnotice", "associations", "slugline", "pubstatus", "description_html", "renditions")
LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), ODD, st.text(max_size=5))
VALUE = st.recursive(LEAF, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
    ["href", "width", "height", "uri", "type", "value", "role", "name", "renditions", "headline", "original",
     "description_text", "body_text"]), inner, max_size=3)), max_leaves=8)
NINJS_ITEM = st.dictionaries(st.sampled_from(NINJS_KEYS), VALUE, max_size=10)


@SETTINGS
@given(st.one_of(NINJS_ITEM, st.lists(NINJS_ITEM, max_size=3), VALUE))
def test_ninjs_fields(doc: object) -> None:
    with imported("ninjs", "item.json", json.dumps(doc)):
        pass
