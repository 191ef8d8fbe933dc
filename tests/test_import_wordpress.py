"""``storyexport import wordpress``: the fixture export (every block,
shortcode, post kind and status), read back by the Markdown reader, exported
and checked with the real validators; reruns, foreign files, uploads."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import docx
import pytest

from conftest import run_cli
from storyexport import model as m
from storyexport.config import Site
from storyexport.errors import Diagnostics, SourceError
from storyexport.importers import run_import
from storyexport.importers.wordpress import WordPressImport
from storyexport.readers import read_source

FIXTURES = Path(__file__).parent / "import_fixtures"
WXR = FIXTURES / "wordpress.xml"
LEAK = re.compile(r"\[/?(caption|gallery|embed|audio|video|playlist|code|sourcecode|pullout_box)\b|<!-- /?wp:|wp:")


def words(text: str) -> str:
    return " ".join(text.split())


def kept(expected: str, got: str) -> float:
    """Share of the expected words (with multiplicity) found in ``got``."""
    want = Counter(w.strip(".,;:!?()\"'") for w in expected.split())
    have = Counter(w.strip(".,;:!?()\"'") for w in got.split())
    return sum(min(n, have[w]) for w, n in want.items()) / max(1, sum(want.values()))


def read(path: Path) -> m.Article:
    article = read_source(path, path.parent, Site(), Diagnostics())
    assert article is not None
    return article


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("wp") / "source"
    r = run_cli("import", "wordpress", str(WXR), "--out", str(out))
    assert r.returncode == 0, r.stderr
    return out, r.stderr


def test_published_posts_only_and_the_summary_counts_the_rest(imported: tuple[Path, str]) -> None:
    out, stderr = imported
    assert sorted(p.name for p in out.iterdir()) == ["ferry-timetable-2.md", "ferry-timetable.md", "harbour-wall.md"]
    summary = stderr.strip().splitlines()[-1]
    assert summary.startswith("storyexport import: 3 imported (3 written, 0 unchanged")
    for part in ("3 attachments", "2 drafts", "1 menu items", "1 pages", "1 password-protected", "1 private",
                 "1 revisions", "1 scheduled", "1 trashed", "1 other items (wp_block)"):
        assert part in summary, summary


def test_front_matter_mapping(imported: tuple[Path, str]) -> None:
    out, _ = imported
    ferry = read(out / "ferry-timetable.md").meta
    assert ferry.title == "Classic ferry timetable changes"
    assert ferry.published == datetime(2020, 3, 2, 9, 30, tzinfo=UTC)
    assert ferry.updated == datetime(2020, 3, 3, 11, 0, tzinfo=UTC)
    assert [a.name for a in ferry.authors] == ["Marta Reyes"]
    assert ferry.tags == ("Harbour", "Ferries", "Transport & travel")
    assert ferry.slug == "ferry-timetable"
    assert ferry.canonical_url == "https://gazette.example.org/2020/03/ferry-timetable/"
    assert ferry.language == "en-GB"
    # no excerpt: the text before <!--more--> is the description
    assert ferry.description.startswith("The ferry company announced a new spring timetable on Monday.")
    assert len(ferry.description.split()) == 56 and ferry.description.endswith(" …")
    assert "review the timetable in June" not in ferry.description
    wall = read(out / "harbour-wall.md").meta
    assert wall.description == "The harbour wall has reopened."
    assert [a.name for a in wall.authors] == ["News Desk"]
    # no GMT date: the local date less the site's offset (learnt from another post: +0)
    assert wall.published == datetime(2020, 3, 4, 14, 0, tzinfo=UTC)
    second = read(out / "ferry-timetable-2.md").meta
    assert second.published == datetime(2020, 3, 5, 7, 0, tzinfo=UTC)
    assert second.slug == "ferry-timetable-2"


def test_classic_text_shortcodes_and_autop(imported: tuple[Path, str]) -> None:
    out, stderr = imported
    source = (out / "ferry-timetable.md").read_text()
    art = read(out / "ferry-timetable.md")
    text = words(m.plain_text(art))
    first = art.blocks[0]
    # a single newline inside a paragraph is a line break, a blank line a new paragraph
    assert isinstance(first, m.Para) and m.LineBreak() in first.children
    assert m.Emph((m.Text("spring"),)) in first.children
    for phrase in ("The morning ferry leaves the north pier", "Ferry at dawn", "A white ferry",
                   "Embedded content: https://www.youtube.com/watch?v=abc123",
                   "Audio: https://gazette.example.org/wp-content/uploads/2020/03/interview.mp3",
                   "Video: https://gazette.example.org/wp-content/uploads/2020/03/harbour.mp4",
                   "Playlist: Interview", "Tickets go on sale on Friday.", "last year. [sic]",
                   "[gallery] is how a shortcode is written literally.", "review the timetable in June"):
        assert phrase in text, phrase
    codes = m.query(art, m.CodeBlock)
    assert codes[0] == m.CodeBlock("def fare(zone):\n    return [1, 2][zone]", "python")
    assert codes[1] == m.CodeBlock('echo "timetable" < file', "bash")
    links = {lk.url for lk in m.query(art, m.Link)}
    assert "https://gazette.example.org/2020/02/survey/" in links  # relative link made absolute
    assert "https://www.youtube.com/watch?v=abc123" in links
    # [[gallery]] is WordPress's escape for the literal text: it is the only bracket left
    assert not LEAK.search(source.split("---\n", 2)[2].replace("\\[gallery\\] is how", ""))
    assert "post 10 'ferry-timetable': unknown shortcode [pullout_box] removed, its text kept" in stderr
    assert re.search(r"wordpress\.xml:\d+: warning: post 10 ", stderr)


def test_every_block_kind(imported: tuple[Path, str]) -> None:
    out, stderr = imported
    art = read(out / "harbour-wall.md")
    kinds = [type(b).__name__ for b in art.blocks]
    for kind in ("Heading", "BulletList", "OrderedList", "BlockQuote", "Table", "CodeBlock", "ThematicBreak"):
        assert kind in kinds, kind
    assert m.query(art, m.OrderedList)[0].start == 3
    assert m.query(art, m.CodeBlock)[0] == m.CodeBlock("SELECT cost FROM works;", "sql")
    assert m.query(art, m.CodeBlock)[1].text == "Tide   High  Low\nMon    06:10 12:20"
    table = m.query(art, m.Table)[0]
    assert [m.inline_text(c.children) for c in table.header] == ["Section", "Cost"]
    text = words(m.plain_text(art))
    for phrase in ("It was worth the wait.", "A fisherman", "Safer for everyone.", "The mayor", "The new wall",
                   "The wall at low tide", "Gallery ferry", "Costs by section", "The sea came in and the wall stood",
                   "Embedded Youtube: https://www.youtube.com/watch?v=xyz", "Drone footage of the works",
                   "Interview with the engineer", "Video: https://gazette.example.org/wp-content/uploads/2020/03/",
                   "Engineering report", "Left column words.", "Right column words.", "Grouped words.",
                   "Embedded content: https://vimeo.com/12345", "Reusable notice words.", "Custom HTML words."):
        assert phrase in text, phrase
    verse = next(b for b in art.blocks if isinstance(b, m.Para) and "sea came in" in m.inline_text(b.children))
    assert isinstance(verse, m.Para) and m.LineBreak() in verse.children
    assert "alert" not in text
    assert "removed <script> and its content" in stderr
    assert "block wp:latest-posts is drawn by WordPress" in stderr
    assert not LEAK.search((out / "harbour-wall.md").read_text().split("---\n", 2)[2])


def test_the_written_source_reads_back_as_the_imported_model(tmp_path: Path) -> None:
    importer = WordPressImport(WXR, Site(), Diagnostics())
    out = tmp_path / "src"
    run_import("wordpress", WXR, out, Site(), Diagnostics())
    written = {a.meta.canonical_url: a for a in map(read, out.glob("*.md"))}
    n = 0
    for story in importer.stories():
        back = written[story.front["canonical_url"]]
        model = m.Article(back.meta, story.blocks)
        assert words(m.plain_text(model)) == words(m.plain_text(back)), story.name
        n += 1
    assert n == 3


def test_rerun_is_byte_identical_and_foreign_files_are_never_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "src"
    assert run_cli("import", "wordpress", str(WXR), "--out", str(out)).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    r = run_cli("import", "wordpress", str(WXR), "--out", str(out))
    assert r.returncode == 0 and "(0 written, 3 unchanged" in r.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == stamps
    # edited by hand: refused, with the post's location, and nothing else written
    edited = out / "harbour-wall.md"
    edited.write_text(edited.read_text().replace("six months", "seven months"))
    (out / "ferry-timetable.md").unlink()
    r = run_cli("import", "wordpress", str(WXR), "--out", str(out))
    assert r.returncode == 1
    assert re.search(r"wordpress\.xml:\d+: post 11 'harbour-wall': .*harbour-wall\.md exists and was not written "
                     r"by storyexport import \(or was edited since\); not overwritten", r.stderr), r.stderr
    assert "Traceback" not in r.stderr
    assert not (out / "ferry-timetable.md").exists()
    assert "seven months" in edited.read_text()
    assert sorted(p.name for p in out.iterdir()) == ["ferry-timetable-2.md", "harbour-wall.md"]


def test_uploads_are_copied_beside_the_sources(tmp_path: Path) -> None:
    from PIL import Image

    uploads = tmp_path / "wp-content" / "uploads"
    (uploads / "2020" / "03").mkdir(parents=True)
    Image.new("RGB", (40, 30), "navy").save(uploads / "2020" / "03" / "ferry.png")
    Image.new("RGB", (40, 30), "gray").save(uploads / "2020" / "03" / "wall.png")
    (tmp_path / "secret.png").write_bytes(b"not for you")
    out = tmp_path / "src"
    r = run_cli("import", "wordpress", str(WXR), "--out", str(out), "--uploads", str(uploads))
    assert r.returncode == 0, r.stderr
    assert "files copied" in r.stderr and "2 files copied" in r.stderr
    assert (out / "uploads" / "2020" / "03" / "ferry.png").read_bytes() == \
        (uploads / "2020" / "03" / "ferry.png").read_bytes()
    art = read(out / "harbour-wall.md")
    fig = m.query(art, m.Figure)[0]
    assert fig.image.src == "uploads/2020/03/wall.png" and fig.caption == (m.Text("The wall at low tide"),)
    ferry = read(out / "ferry-timetable.md")
    assert ferry.meta.cover == "uploads/2020/03/ferry.png"  # the featured image (_thumbnail_id)
    assert m.query(ferry, m.Figure)[0].caption == (m.Text("The morning ferry leaves the north pier"),)
    # files not in uploads keep their address
    source = (out / "ferry-timetable.md").read_text()
    assert "https://gazette.example.org/wp-content/uploads/2020/03/interview.mp3" in source


HOSTILE = {
    "entity-bomb": ('<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
                    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>\n'
                    "<rss><channel><item><title>&c;</title></item></channel></rss>",
                    r":1: the document declares a DTD"),
    "external-entity": ('<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
                        "<rss><channel><item><title>&x;</title></item></channel></rss>",
                        r":1: the document declares a DTD"),
    "unterminated-cdata": ("<rss><channel><item>\n<content:encoded><![CDATA[never closed",
                           r":2: not well-formed XML: .*CData"),
    "no-channel": ("<rss>\n<item><title>x</title></item></rss>", r":\d+: no <channel> element"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_inputs_fail_located_and_write_nothing(case: str, tmp_path: Path) -> None:
    data, expected = HOSTILE[case]
    bad = tmp_path / f"{case}.xml"
    # a good post first: it must not be written either
    good = WXR.read_text().split("<item>")[1].split("</item>")[0]
    if "<channel>" in data:
        data = data.replace("<channel>", f"<channel>\n<item>{good}</item>", 1)
        expected = expected.replace(":2:", r":\d+:")
    namespaces = WXR.read_text().split("<rss", 1)[1].split(">", 1)[0]
    data = data.replace("<rss>", f"<rss{namespaces}>")
    bad.write_text(data)
    out = tmp_path / "src"
    r = run_cli("import", "wordpress", str(bad), "--out", str(out))
    assert r.returncode == 1
    assert re.search(re.escape(str(bad)) + expected, r.stderr), r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists()


def test_a_100_mb_text_node_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    bad = tmp_path / "huge.xml"
    with bad.open("w") as f:
        f.write('<rss xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><item><title>x</title>\n'
                "<content:encoded>")
        chunk = "a" * (1 << 20)
        for _ in range(100):
            f.write(chunk)
        f.write("</content:encoded></item></channel></rss>")
    out = tmp_path / "src"
    out.mkdir()
    r = run_cli("import", "wordpress", str(bad), "--out", str(out))
    assert r.returncode == 1
    assert re.search(r"huge\.xml:\d+: not well-formed XML: .*[Tt]ext node too long", r.stderr), r.stderr
    assert list(out.iterdir()) == []


def test_errors_inside_the_library_api_leave_nothing(tmp_path: Path) -> None:
    out = tmp_path / "src"
    bad = tmp_path / "bad.xml"
    bad.write_text(WXR.read_text().replace("</channel>", "<item><title>cut"))
    with pytest.raises(SourceError):
        run_import("wordpress", bad, out, Site(), Diagnostics())
    assert not out.exists()


@pytest.fixture(scope="module")
def exported(imported: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    src, _ = imported
    dist = tmp_path_factory.mktemp("wp-dist")
    config = dist.parent / "site.toml"
    config.write_text('[site]\ntitle = "Gazette"\nbase_url = "https://gazette.example.org/"\n')
    r = run_cli(str(src), "--out", str(dist), "--config", str(config), "--jobs", "2")
    assert r.returncode == 0, r.stderr
    return dist


def web_page(exported: Path, src: Path, slug: str) -> Path:
    """The story's web page: where its WordPress permalink says, since the
    export's base_url is the blog's own (so links to the old address resolve)."""
    path = urlsplit(read(src / f"{slug}.md").meta.canonical_url).path
    return exported / (path.strip("/") + "/index.html" if path.endswith("/") else path.lstrip("/"))


def test_imported_posts_export_to_every_format_and_pass_the_validators(
        exported: Path, imported: tuple[Path, str]) -> None:
    src, _ = imported
    for slug in ("ferry-timetable", "ferry-timetable-2", "harbour-wall"):
        for ext in ("pdf", "docx", "epub"):
            assert (exported / f"{slug}.{ext}").stat().st_size > 0
        page = web_page(exported, src, slug)
        assert page.stat().st_size > 0 and page.parent != exported, page
    r = run_cli("check", str(exported))
    assert r.returncode == 0, r.stdout + r.stderr


def test_no_shortcode_or_block_text_in_any_output(exported: Path, imported: tuple[Path, str]) -> None:
    src, _ = imported
    for slug in ("ferry-timetable", "harbour-wall"):
        expected = words(m.plain_text(read(src / f"{slug}.md")))
        outputs = {
            "pdf": subprocess.run(["pdftotext", str(exported / f"{slug}.pdf"), "-"], capture_output=True,
                                  text=True, check=True).stdout,
            "html": web_page(exported, src, slug).read_text(),
            "docx": "\n".join(p.text for p in docx.Document(str(exported / f"{slug}.docx")).paragraphs)
                    + "\n".join(c.text for t in docx.Document(str(exported / f"{slug}.docx")).tables
                                 for row in t.rows for c in row.cells),
            "epub": " ".join(zipfile.ZipFile(exported / f"{slug}.epub").read(n).decode()
                             for n in zipfile.ZipFile(exported / f"{slug}.epub").namelist() if n.endswith(".xhtml")),
        }
        for fmt, text in outputs.items():
            assert not LEAK.search(text.replace("[gallery] is how", "")), (slug, fmt, LEAK.search(text))
        outputs["html"] = html.unescape(re.sub(r"<[^>]+>", " ", outputs["html"]))
        outputs["epub"] = html.unescape(re.sub(r"<[^>]+>", " ", outputs["epub"]))
        for fmt, text in outputs.items():
            assert kept(expected, text) >= 0.98, (slug, fmt, kept(expected, text))
    for feed in ("feed.xml", "atom.xml", "feed.json"):
        assert not LEAK.search((exported / feed).read_text().replace("[gallery] is how", ""))


def test_missing_input_and_bad_kind_are_usage_errors(tmp_path: Path) -> None:
    r = run_cli("import", "wordpress", str(tmp_path / "nope.xml"), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "no such file" in r.stderr
    r = run_cli("import", "joomla", str(WXR), "--out", str(tmp_path / "o"))
    assert r.returncode == 2


def test_no_staging_folder_is_left(tmp_path: Path) -> None:
    copy = tmp_path / "w.xml"
    shutil.copy(WXR, copy)
    out = tmp_path / "o"
    assert run_cli("import", "wordpress", str(copy), "--out", str(out)).returncode == 0
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging folder left


def test_wordpress_com_namespaces_and_bare_addresses(tmp_path: Path) -> None:
    """WordPress.com writes its namespaces with https; an address alone on a
    line of classic text is an embed."""
    wxr = tmp_path / "com.xml"
    wxr.write_text(WXR.read_text().replace("http://wordpress.org/export/1.2/", "https://wordpress.org/export/1.2/")
                   .replace("Second paragraph.", "https://vimeo.com/777\n\nSecond paragraph."))
    out = tmp_path / "src"
    assert run_cli("import", "wordpress", str(wxr), "--out", str(out)).returncode == 0
    wall = read(out / "harbour-wall.md").meta
    assert [a.name for a in wall.authors] == ["News Desk"] and wall.description == "The harbour wall has reopened."
    text = words(m.plain_text(read(out / "ferry-timetable-2.md")))
    assert "Embedded content: https://vimeo.com/777 Second paragraph." in text


WORDLESS = """
<item><title>Harbour at dusk</title><link>https://gazette.example.org/2020/03/dusk/</link>
<content:encoded><![CDATA[<a href="https://gazette.example.org/wp-content/uploads/2020/03/ferry.png"><img
 class="alignnone wp-image-21 size-large" src="https://gazette.example.org/wp-content/uploads/2020/03/ferry.png"
 alt="" width="604" height="453" /></a>]]></content:encoded>
<wp:post_id>30</wp:post_id><wp:post_date_gmt>2020-03-04 18:00:00</wp:post_date_gmt><wp:post_name>dusk</wp:post_name>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
<category domain="post_format" nicename="post-format-image"><![CDATA[Image]]></category></item>
<item><title>Gulls over the pier</title><link>https://gazette.example.org/2020/03/gulls/</link>
<content:encoded><![CDATA[<!-- wp:image -->
<figure class="wp-block-image"><img src="https://photos.example.net/gulls.jpg" alt=""/></figure>
<!-- /wp:image -->]]></content:encoded>
<wp:post_id>31</wp:post_id><wp:post_date_gmt>2020-03-05 18:00:00</wp:post_date_gmt><wp:post_name>gulls</wp:post_name>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>
<item><title>Nothing to add</title><link>https://gazette.example.org/2020/03/nothing/</link>
<content:encoded><![CDATA[]]></content:encoded>
<wp:post_id>32</wp:post_id><wp:post_date_gmt>2020-03-06 18:00:00</wp:post_date_gmt><wp:post_name>nothing</wp:post_name>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>
<item><title></title><content:encoded><![CDATA[<ul><li></li></ul>]]></content:encoded>
<wp:post_id>33</wp:post_id><wp:post_date_gmt>2020-03-07 18:00:00</wp:post_date_gmt>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>
"""


def test_image_only_and_empty_posts_import_and_export(tmp_path: Path) -> None:
    """A post that is only an image is a story: the image's alt text from the
    media library, else the post's title, gives it words; a post published
    with no content keeps its title as its body. Only a post with neither
    title nor words is skipped. Each exports to every format."""
    wxr = tmp_path / "wordless.xml"
    wxr.write_text(WXR.read_text().replace("</channel>", WORDLESS + "</channel>"))
    src = tmp_path / "src"
    r = run_cli("import", "wordpress", str(wxr), "--out", str(src))
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("storyexport import: 6 imported"), r.stderr
    assert "1 empty posts" in r.stderr and "post 33 '': no title and no body text; not imported" in r.stderr
    assert "post 31 'gulls': no words but an image without alt text; the title is its alt text" in r.stderr
    assert "post 32 'nothing': no body text; the title stands as the body" in r.stderr
    dusk, gulls, nothing = (read(src / f"{slug}.md") for slug in ("dusk", "gulls", "nothing"))
    assert dusk.meta.title == "Harbour at dusk" and words(m.plain_text(dusk)).endswith("A white ferry")
    assert words(m.plain_text(gulls)) == "Gulls over the pier Gulls over the pier"
    assert words(m.plain_text(nothing)) == "Nothing to add Nothing to add"
    dist = tmp_path / "dist"
    r = run_cli(str(src), "--out", str(dist), "--jobs", "2")
    assert r.returncode == 0, r.stderr
    for slug in ("dusk", "gulls", "nothing"):
        for ext in ("pdf", "docx", "epub", "html"):
            assert (dist / f"{slug}.{ext}").stat().st_size > 0
    assert "A white ferry" in (dist / "dusk.html").read_text()
    assert subprocess.run(["pdftotext", str(dist / "gulls.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout.count("Gulls over the pier") == 2
    r = run_cli("check", str(dist))
    assert r.returncode == 0, r.stdout + r.stderr


def test_escaped_markup_before_the_first_tag_stays_text() -> None:
    """CMS HTML that needs the clean-up goes to the converter as a tree: text
    is never parsed twice, so an escaped tag stays words wherever it is."""
    from storyexport.importers.common import ImportContext, html_blocks
    from storyexport.importers.htmlprep import prepare

    diags = Diagnostics()
    ctx = ImportContext(Path("x.xml"), Site(), diags, "post 1")
    fragment = "&lt;b&gt;not bold&lt;/b&gt; &amp; <div>then &lt;i&gt;</div><figure><img src='https://e.org/a.png'" \
               " alt='A'><figcaption>Cap</figcaption></figure><pre>\n  code</pre>"
    blocks = html_blocks(prepare(fragment), ctx, 1)
    art = m.Article(m.Meta("t", "t", datetime(2020, 1, 1, tzinfo=UTC)), blocks)
    assert words(m.plain_text(art)) == "t <b>not bold</b> & then <i> A Cap code"
    assert not m.query(art, m.Strong) and not m.query(art, m.Emph)
    assert m.query(art, m.CodeBlock)[0].text.strip() == "code"


def test_fields_with_white_space_around_them_read_as_without(tmp_path: Path) -> None:
    """A hand-edited or re-exported file may pad a field (``<wp:post_type>
    post </wp:post_type>``): the post imports with its body, as WordPress's
    importer trims it; a padded attachment type still feeds its captions."""
    wxr = tmp_path / "padded.xml"
    text = WXR.read_text().replace("<wp:post_type>post</wp:post_type>", "<wp:post_type> post\n</wp:post_type>")
    text = text.replace("<wp:post_type>attachment</wp:post_type>", "<wp:post_type>\nattachment </wp:post_type>")
    wxr.write_text(text)
    out_plain, out_padded = tmp_path / "plain", tmp_path / "padded"
    assert run_cli("import", "wordpress", str(WXR), "--out", str(out_plain)).returncode == 0
    r = run_cli("import", "wordpress", str(wxr), "--out", str(out_padded))
    assert r.returncode == 0, r.stderr
    plain = sorted(p.name for p in out_plain.glob("*.md"))
    assert plain and sorted(p.name for p in out_padded.glob("*.md")) == plain
    for name in plain:
        assert m.plain_text(read(out_padded / name)) == m.plain_text(read(out_plain / name)), name


ODD_MARKUP = """
<item><title>Odd markup</title><link>https://gazette.example.org/odd/</link>
<content:encoded><![CDATA[<div>Harbour notes</body><body class="b"><p>continue here</p>]]></content:encoded>
<wp:post_id>90</wp:post_id><wp:post_date_gmt>2020-03-04 18:00:00</wp:post_date_gmt><wp:post_name>odd</wp:post_name>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>
<item><title>Whole page</title><link>https://gazette.example.org/page/</link>
<content:encoded><![CDATA[<html><head><meta style="x"></head></html>Words after it.]]></content:encoded>
<wp:post_id>91</wp:post_id><wp:post_date_gmt>2020-03-04 18:00:00</wp:post_date_gmt><wp:post_name>page</wp:post_name>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>
"""


def test_document_markup_inside_a_post_keeps_every_word(tmp_path: Path) -> None:
    """A post holding ``</body><body>`` or a whole ``<html>`` document (pasted
    from elsewhere) imports with all its words: lxml.html's fragment parser
    failed an assertion on the first (a traceback) and dropped what followed
    the body."""
    wxr = tmp_path / "odd.xml"
    wxr.write_text(WXR.read_text().replace("</channel>", ODD_MARKUP + "</channel>"))
    out = tmp_path / "src"
    r = run_cli("import", "wordpress", str(wxr), "--out", str(out))
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert words(m.plain_text(read(out / "odd.md"))) == "Odd markup Harbour notes continue here"
    assert words(m.plain_text(read(out / "page.md"))) == "Whole page Words after it."
    assert "post 91 'page': raw HTML: removed <meta>" in r.stderr


UNREADABLE = """
<item><title>Bad link</title><link>http://[broken/x</link>
<content:encoded><![CDATA[<p>Some words <a href="rel/page">here</a> and <img src="http://[y/p.png" alt="pic"></p>
[caption id="attachment_96"]<img src="http://[z/q.png" alt="cap" /> A caption[/caption]]]></content:encoded>
<wp:post_id>95</wp:post_id><wp:post_date_gmt>2020-03-04 18:00:00</wp:post_date_gmt><wp:post_name>badlink</wp:post_name>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>
<item><title>q</title><wp:post_id>96</wp:post_id><wp:post_parent>95</wp:post_parent>
<wp:post_type>attachment</wp:post_type><wp:status>inherit</wp:status>
<wp:attachment_url>http://[z/q.png</wp:attachment_url></item>
"""


def test_addresses_urllib_cannot_read_are_warnings(tmp_path: Path) -> None:
    """A post's link, an image or an attachment address with a malformed IPv6
    host (``http://[x/``) made urllib raise: a traceback, and the whole import
    lost. Each is now a warning naming the post, and its words are kept."""
    wxr = tmp_path / "unreadable.xml"
    wxr.write_text(WXR.read_text().replace("</channel>", UNREADABLE + "</channel>"))
    out = tmp_path / "src"
    r = run_cli("import", "wordpress", str(wxr), "--out", str(out))
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "post 95 'badlink': its link 'http://[broken/x' is not a readable address; not used" in r.stderr
    story = read(out / "badlink.md")
    assert story.meta.canonical_url == ""
    assert words(m.plain_text(story)) == "Bad link Some words here and pic cap A caption"


def test_a_date_the_calendar_cannot_hold_fails_its_post_only(tmp_path: Path) -> None:
    """A local date of the year 1 less a UTC offset of +2 hours is in the year
    0: that ended the whole import with an OverflowError. It is now a located
    error for that post, as is any date the Markdown reader would refuse."""
    items = """
<item><title>Offset</title><content:encoded><![CDATA[Words one.]]></content:encoded><wp:post_id>97</wp:post_id>
<wp:post_date>2020-03-04 20:00:00</wp:post_date><wp:post_date_gmt>2020-03-04 18:00:00</wp:post_date_gmt>
<wp:post_name>offset</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>
<item><title>Ancient</title><content:encoded><![CDATA[Words two.]]></content:encoded><wp:post_id>98</wp:post_id>
<wp:post_date>0001-01-01 00:00:00</wp:post_date><wp:post_date_gmt>0000-00-00 00:00:00</wp:post_date_gmt>
<wp:post_name>ancient</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>
<item><title>Medieval</title><content:encoded><![CDATA[Words three.]]></content:encoded><wp:post_id>99</wp:post_id>
<wp:post_date_gmt>0999-12-31 23:00:00</wp:post_date_gmt>
<wp:post_name>medieval</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>
"""
    wxr = tmp_path / "dates.xml"
    wxr.write_text(WXR.read_text().replace("<item>", items + "<item>", 1))
    out = tmp_path / "src"
    r = run_cli("import", "wordpress", str(wxr), "--out", str(out))
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert re.search(r"dates\.xml:\d+: post 98 'ancient': publication date 0001-01-01 00:00:00 is, in UTC, outside "
                     r"the years 1000 to 9999", r.stderr), r.stderr
    assert "post 99 'medieval': publication date 0999-12-31 23:00:00 is, in UTC, outside" in r.stderr
    assert (out / "offset.md").is_file() and not (out / "ancient.md").exists()
    assert read(out / "offset.md").meta.published.isoformat() == "2020-03-04T18:00:00+00:00"
