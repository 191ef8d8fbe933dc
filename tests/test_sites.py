"""Sources as Hugo, Jekyll and pandoc write them: front-matter forms, dates,
site layouts, shortcodes, Liquid and kramdown extras. Each rule is checked
on a small tree shaped like the real thing (a Hugo ``content/`` folder, a
Jekyll site), through the reader and, for the leak property, every text
writer."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import html as lhtml
from PIL import Image as PILImage

from conftest import run_cli
from storyexport import model as m
from storyexport.config import Site, load_config
from storyexport.errors import ConfigError, Diagnostics, SourceError
from storyexport.readers import is_source, layout, read_source
from storyexport.readers.dates import parse_date
from storyexport.theme import load_theme
from storyexport.writers import RenderContext, load

SITE = Site(base_url="https://news.example.org/", git_dates=False)
THEME = load_theme("default")
TEXT_WRITERS = {n: load(n)(THEME, SITE) for n in ("html", "jsonfeed")}


def write(root: Path, rel: str, text: str) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def png(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    PILImage.new("RGB", (8, 6), "navy").save(path)


def read(root: Path, rel: str, site: Site = SITE) -> tuple[m.Article | None, Diagnostics]:
    d = Diagnostics()
    return read_source(root / rel, root, site, d), d


def ok(root: Path, rel: str, site: Site = SITE) -> tuple[m.Article, str]:
    a, d = read(root, rel, site)
    assert a is not None
    return a, "\n".join(f"{x.path}:{x.line}: {x.message}" for x in d.items)


def error(root: Path, rel: str, site: Site = SITE) -> SourceError:
    with pytest.raises(SourceError) as e:
        read(root, rel, site)
    return e.value


# ------------------------------------------------------------ front matter

def test_yaml_after_blank_lines_and_closed_by_dots(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "\n\n---\ntitle: Blank first\ndate: 2017-10-16\n...\nBody text.\n")
    a, _ = ok(tmp_path, "a.md")
    assert a.meta.title == "Blank first" and a.meta.published == datetime(2017, 10, 16, tzinfo=UTC)
    assert m.plain_text(a).endswith("Body text.")


def test_toml_front_matter(tmp_path: Path) -> None:
    write(tmp_path, "a.md", '+++\ntitle = "Toml"\ndate = 2020-01-02T03:04:05-07:00\ntags = ["x", "y"]\n'
                            'weight = 3\nseries = ["Go"]\n[params]\nmood = "ok"\n+++\nBody.\n')
    a, warnings = ok(tmp_path, "a.md")
    assert a.meta.title == "Toml" and a.meta.tags == ("x", "y") and a.meta.weight == 3
    assert a.meta.published == datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-7)))
    assert a.meta.series == ("Go",)
    assert "a.md:7: unknown front-matter key 'params'" in warnings


def test_toml_syntax_error_is_located(tmp_path: Path) -> None:
    write(tmp_path, "a.md", '\n+++\ntitle = "x"\ndate = = 3\n+++\nBody.\n')
    e = error(tmp_path, "a.md")
    assert e.line == 4 and "invalid TOML" in str(e)


def test_json_front_matter(tmp_path: Path) -> None:
    write(tmp_path, "a.md", '{\n  "title": "Json",\n  "date": "2019-05-06",\n  "aliases": ["/old/"]\n}\n'
                            'Body *here*.\n')
    a, _ = ok(tmp_path, "a.md")
    assert (a.meta.title, a.meta.aliases) == ("Json", ("/old/",))
    assert m.plain_text(a).endswith("Body here.")


def test_json_syntax_error_is_located(tmp_path: Path) -> None:
    write(tmp_path, "a.md", '{\n  "title": "Json",\n  "date" "2019"\n}\nBody.\n')
    assert error(tmp_path, "a.md").line == 3


def test_unclosed_toml_is_located(tmp_path: Path) -> None:
    write(tmp_path, "a.md", '+++\ntitle = "x"\nBody.\n')
    e = error(tmp_path, "a.md")
    assert e.line == 1 and "'+++'" in str(e)


def test_pandoc_title_block(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "% The Title\n  continued\n% Ann Author; Bo Writer\n% 2021-02-03\n\nBody.\n")
    a, _ = ok(tmp_path, "a.md")
    assert a.meta.title == "The Title continued"
    assert [x.name for x in a.meta.authors] == ["Ann Author", "Bo Writer"]
    assert a.meta.published == datetime(2021, 2, 3, tzinfo=UTC)


# ------------------------------------------------------------------ dates

@pytest.mark.parametrize("value, expected", [
    ("2023-01-29 18:30:22 2023 -0800", datetime(2023, 1, 29, 18, 30, 22, tzinfo=timezone(timedelta(hours=-8)))),
    ("Mon, 02 Jan 2006 15:04:05 -0700", datetime(2006, 1, 2, 15, 4, 5, tzinfo=timezone(timedelta(hours=-7)))),
    ("Mon Jan  2 15:04:05 2006", datetime(2006, 1, 2, 15, 4, 5, tzinfo=UTC)),
    ("2006-01-02 15:04:05.999999999 -0700 MST",
     datetime(2006, 1, 2, 15, 4, 5, 999999, tzinfo=timezone(timedelta(hours=-7)))),
    ("02 Jan 06 15:04 MST", datetime(2006, 1, 2, 15, 4, tzinfo=timezone(timedelta(hours=-7)))),
    ("2020-10-30T10:00:00Z", datetime(2020, 10, 30, 10, tzinfo=UTC)),
    ("2016-10-10 19:00:00 -0700", datetime(2016, 10, 10, 19, tzinfo=timezone(timedelta(hours=-7)))),
    ("yesterday", None), ("10", None), ("Jan 5", None), ("2020-02-30", None), ("{{ .Date }}", None),
    ("2020-01-01 10:00 Europe/Paris", None),
])
def test_dates_hugo_and_jekyll_accept(value: str, expected: datetime | None) -> None:
    assert parse_date(value) == expected


def test_no_date_falls_back_to_the_file_name(tmp_path: Path) -> None:
    write(tmp_path, "_posts/2014-05-06-jekyll-turns-2.markdown", "---\ntitle: Two\n---\nBody.\n")
    a, warnings = ok(tmp_path, "_posts/2014-05-06-jekyll-turns-2.markdown")
    assert a.meta.published == datetime(2014, 5, 6, tzinfo=UTC) and a.meta.slug == "jekyll-turns-2"
    assert "using the date in the file name, 2014-05-06" in warnings


def test_front_matter_date_wins_over_the_file_name(tmp_path: Path) -> None:
    write(tmp_path, "_posts/2014-05-06-x.md", "---\ntitle: X\ndate: 2014-05-07 10:00:00 +0200\n---\nBody.\n")
    a, warnings = ok(tmp_path, "_posts/2014-05-06-x.md")
    assert a.meta.published == datetime(2014, 5, 7, 10, tzinfo=timezone(timedelta(hours=2))) and not warnings


def test_bad_date_with_a_fallback_warns_without_one_errors(tmp_path: Path) -> None:
    write(tmp_path, "2020-03-04-a.md", "---\ntitle: A\ndate: soon\n---\nBody.\n")
    write(tmp_path, "b.md", "---\ntitle: B\ndate: soon\n---\nBody.\n")
    a, warnings = ok(tmp_path, "2020-03-04-a.md")
    assert a.meta.published == datetime(2020, 3, 4, tzinfo=UTC)
    assert "2020-03-04-a.md:3: date: not a date: 'soon'; using the date in the file name" in warnings
    e = error(tmp_path, "b.md")
    assert e.line == 3 and "not a date" in str(e)


def test_no_date_falls_back_to_git_history(tmp_path: Path) -> None:
    write(tmp_path, "content/a.md", "---\ntitle: A\n---\nBody.\n")
    env = {**os.environ, "GIT_AUTHOR_DATE": "2019-07-08T09:10:11+02:00",
           "GIT_COMMITTER_DATE": "2019-07-08T09:10:11+02:00", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"}
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-qm", "x"]):
        subprocess.run(["git", *cmd], cwd=tmp_path, env=env, check=True)
    a, warnings = ok(tmp_path / "content", "a.md", Site(git_dates=True))
    assert a.meta.published == datetime(2019, 7, 8, 7, 10, 11, tzinfo=UTC)
    assert "using the date of its last git commit" in warnings
    a2, _ = ok(tmp_path / "content", "a.md", Site(git_dates=False, base_url="https://x.org/"))
    assert a2.meta.undated


def test_no_date_anywhere_is_exported_undated(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ntitle: A\n---\nBody.\n")
    a, warnings = ok(tmp_path, "a.md")
    assert a.meta.undated and a.meta.published == datetime(1970, 1, 1, tzinfo=UTC)
    assert "exported undated" in warnings
    page = lhtml.fromstring(TEXT_WRITERS["html"].render(a, RenderContext(THEME, SITE, Diagnostics())))
    assert not page.xpath("//*[@class='dateline']") and "1970" not in page.text_content()


def test_unclosed_liquid_warns_and_keeps_the_rest(tmp_path: Path) -> None:
    a, warnings = jekyll_post(tmp_path, "Before {% highlight ruby %}\nputs 1\n\nAfter {{ page.title and more.\n")
    assert "_posts/2020-05-07-post.md:4: {% highlight %} is not closed by {% endhighlight %}" in warnings
    assert "_posts/2020-05-07-post.md:7: unclosed Liquid '{{ page.title and more." in warnings
    text = " ".join(m.plain_text(a).split())
    assert "Before puts 1 After page.title and more." in text


# ---------------------------------------------------------------- layouts

def hugo_site(root: Path) -> Path:
    content = root / "content"
    write(content, "news/_index.md", "---\ntitle: News\n---\nList page.\n")
    write(content, "news/0.30-relnotes/index.md", '\n---\ndate: 2017-10-16\ntitle: "Hugo 0.30"\n'
                                                  "aliases: [/release-notes/0.30/]\nurl: /news/030/\n"
                                                  "images:\n- featured.png\n---\n\nBody of 0.30.\n")
    png(content / "news/0.30-relnotes/featured.png")
    png(content / "news/0.30-relnotes/sunset-get.png")
    write(content, "news/toml-post.md", '+++\ntitle = "Toml post"\ndate = 2018-01-01\nslug = "tomlish"\n+++\n'
                                        "Toml body.\n")
    write(content, "news/headless/index.md", "---\ntitle: Draft one\ndate: 2018-01-01\ndraft: true\n---\nx\n")
    return content


def test_hugo_bundles_sections_and_keys(tmp_path: Path) -> None:
    content = hugo_site(tmp_path)
    scan = layout.scan([content], is_source)
    assert [p.relative_to(content).as_posix() for p in scan.sources] == [
        "news/0.30-relnotes/index.md", "news/headless/index.md", "news/toml-post.md"]
    assert scan.passed_over == {"section page": 1}
    a, _ = ok(content, "news/0.30-relnotes/index.md")
    assert a.meta.slug == "0-30-relnotes" and a.meta.aliases == ("/release-notes/0.30/",)
    assert a.meta.permalink == "/news/030/" and a.meta.canonical_url == "https://news.example.org/news/030/"
    assert a.meta.cover == "news/0.30-relnotes/featured.png"
    assert ok(content, "news/toml-post.md")[0].meta.slug == "tomlish"
    assert read(content, "news/headless/index.md")[0] is None  # draft


def test_jekyll_posts_drafts_and_published_false(tmp_path: Path) -> None:
    write(tmp_path, "_posts/2020-01-02-first.md", "---\ntitle: First\n---\nOne.\n")
    write(tmp_path, "_posts/2020-01-03-hidden.md", "---\ntitle: Hidden\npublished: false\n---\nTwo.\n")
    write(tmp_path, "_drafts/wip.md", "---\ntitle: Wip\n---\nThree.\n")
    write(tmp_path, "_layouts/post.md", "not a story\n")
    scan = layout.scan([tmp_path], is_source)
    assert [p.name for p in scan.sources] == ["2020-01-02-first.md", "2020-01-03-hidden.md"]
    assert scan.passed_over == {"draft": 1}
    assert read(tmp_path, "_posts/2020-01-03-hidden.md")[0] is None
    image = write(tmp_path, "_posts/2020-01-04-img.md", "---\ntitle: I\nimage:\n  path: /pic.png\n---\nx\n")
    png(tmp_path / "pic.png")
    assert ok(tmp_path, image.relative_to(tmp_path).as_posix())[0].meta.cover == "pic.png"


def test_export_summary_counts_what_was_passed_over(tmp_path: Path) -> None:
    content = hugo_site(tmp_path)
    r = run_cli("--format", "html", "--out", str(tmp_path / "dist"), str(content), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "2 article(s)" in r.stderr and "passed over 1 section page" in r.stderr
    assert (tmp_path / "dist/0-30-relnotes.html").is_file() and (tmp_path / "dist/tomlish.html").is_file()


# ------------------------------------------------------------- shortcodes

def shortcodes_post(content: Path, body: str) -> m.Article:
    write(content, "news/x/index.md", f"---\ntitle: X\ndate: 2020-01-01\nmood: calm\n---\n{body}")
    a, _ = ok(content, "news/x/index.md")
    return a


def test_figure_highlight_and_embeds(tmp_path: Path) -> None:
    content = hugo_site(tmp_path)
    png(content / "news/x/pic.png")
    a = shortcodes_post(content, '{{< figure src="pic.png" alt="A pic" title="Sunset" caption="Over the bay" >}}\n\n'
                                 '{{< highlight go "linenos=table" >}}\nfmt.Println("{{ x }}")\n'
                                 '{{< /highlight >}}\n\n{{< youtube w7Ft2ymGmfc >}}\n\n'
                                 '{{< gist spf13 7896402 >}}\n\n'
                                 '{{< tweet user="SanDiegoZoo" id="1453110110599868418" >}}\n\n'
                                 '{{< vimeo id="146022717" title="A talk" >}} and {{< instagram BWNjjyYFxVx >}}\n')
    fig, code, yt, gist, tweet, para = a.blocks
    assert isinstance(fig, m.Figure) and fig.image.src == "news/x/pic.png"
    assert m.inline_text(fig.caption) == "Sunset — Over the bay"
    assert code == m.CodeBlock('fmt.Println("{{ x }}")', "go")
    links = [n for b in (yt, gist, tweet, para) for n in m.walk(b) if isinstance(n, m.Link)]
    assert [x.url for x in links] == ["https://www.youtube.com/watch?v=w7Ft2ymGmfc",
                                      "https://gist.github.com/spf13/7896402",
                                      "https://twitter.com/SanDiegoZoo/status/1453110110599868418",
                                      "https://vimeo.com/146022717", "https://www.instagram.com/p/BWNjjyYFxVx/"]
    assert m.inline_text(links[3].children) == "Vimeo video: A talk"


def test_ref_param_escaped_and_markdown_inner(tmp_path: Path) -> None:
    content = hugo_site(tmp_path)
    a = shortcodes_post(content, 'See [the TOML post]({{< ref "toml-post.md" >}}) and '
                                 '{{< relref "/news/0.30-relnotes" >}}.'
                                 ' Mood: {{< param mood >}}. Write `{{</* gh 123 */>}}` or {{%/* x */%}}.\n\n'
                                 "{{% note %}}\nInner *emphasis* kept.\n{{% /note %}}\n")
    links = m.query(a, m.Link)
    assert [x.url for x in links] == ["https://news.example.org/tomlish.html",
                                      "https://news.example.org/0-30-relnotes.html"]
    text = m.plain_text(a)
    assert "Mood: calm." in text and "{{< gh 123 >}}" in text and "{{% x %}}" in text
    assert any(isinstance(n, m.Emph) for n in m.walk(a.blocks[1]))
    assert [c.text for c in m.query(a, m.Code)] == ["{{< gh 123 >}}", "{{% x %}}"]


def test_unknown_and_unclosed_shortcodes_warn_and_keep_text(tmp_path: Path) -> None:
    content = hugo_site(tmp_path)
    write(content, "news/0.30-relnotes/more.md", "")
    write(content, "news/y/index.md", "---\ntitle: Y\ndate: 2020-01-01\n---\n"
                                      "{{< code-toggle file=\"config\" >}}\nunsafe: true\n{{< /code-toggle >}}\n\n"
                                      "Text {{< gh 42 >}} here.\n\nBroken {{< oops and the rest stays.\n")
    a, warnings = ok(content, "news/y/index.md")
    assert "news/y/index.md:5: unknown shortcode 'code-toggle': its content is kept" in warnings
    assert "news/y/index.md:9: unknown shortcode 'gh': removed" in warnings
    assert "news/y/index.md:11: unclosed shortcode" in warnings
    text = m.plain_text(a)
    assert "unsafe: true" in text and "Text here." in " ".join(text.split()) and "oops and the rest stays." in text


def test_bundle_image_shortcode_becomes_a_figure(tmp_path: Path) -> None:
    content = hugo_site(tmp_path)
    write(content, "news/0.30-relnotes/index.md", "---\ntitle: B\ndate: 2020-01-01\n---\n"
                                                   '{{< imgproc sunset Fill "600x300" >}}\nFetch and scale.\n'
                                                   "{{< /imgproc >}}\n")
    a, warnings = ok(content, "news/0.30-relnotes/index.md")
    (fig,) = a.blocks
    assert isinstance(fig, m.Figure) and fig.image.src.endswith("sunset-get.png")
    assert m.inline_text(fig.caption) == "Fetch and scale."
    assert "shown as a figure of sunset-get.png" in warnings


def test_site_defined_shortcode(tmp_path: Path) -> None:
    cfg = write(tmp_path, "storyexport.toml", '[site]\nbase_url = "https://x.org/"\n[source]\ngit_dates = false\n'
                                              '[source.shortcodes.gh]\nlink = "https://github.com/o/r/issues/{0}"\n'
                                              'text = "#{0}"\n'
                                              '[source.shortcodes.code-toggle]\ncode = "{lang}"\n')
    site = load_config(cfg)
    write(tmp_path, "a.md", "---\ntitle: A\ndate: 2020-01-01\n---\nFixed {{< gh 7 >}}.\n\n"
                            '{{< code-toggle lang="yaml" >}}\nunsafe: true\n{{< /code-toggle >}}\n')
    a, warnings = ok(tmp_path, "a.md", site)
    (link,) = m.query(a, m.Link)
    assert link.url == "https://github.com/o/r/issues/7" and m.inline_text(link.children) == "#7" and not warnings
    assert a.blocks[1] == m.CodeBlock("unsafe: true", "yaml")


def test_bad_source_settings_are_config_errors(tmp_path: Path) -> None:
    for bad in ('[source]\nsyntax = "mustache"\n', '[source.shortcodes.x]\ncode = "go"\nlink = "y"\n',
                '[source.shortcodes.x]\nhref = "y"\n', "[source]\ngit_dates = 1\n"):
        cfg = write(tmp_path, "storyexport.toml", bad)
        with pytest.raises(ConfigError):
            load_config(cfg)


# ----------------------------------------------------------------- Liquid

def jekyll_post(root: Path, body: str, extra: str = "") -> tuple[m.Article, str]:
    write(root, "_posts/2020-05-06-target.md", "---\ntitle: Target\nslug: the-target\n---\nT.\n")
    write(root, "_posts/2020-05-07-post.md", f"---\ntitle: Post\n{extra}---\n{body}")
    return ok(root, "_posts/2020-05-07-post.md")


def test_liquid_tags_and_variables(tmp_path: Path) -> None:
    a, warnings = jekyll_post(tmp_path, "Go [there]({% post_url 2020-05-06-target %}) or "
                                        "[here]({{ site.baseurl }}{% link _posts/2020-05-06-target.md %}).\n\n"
                                        "{% highlight ruby %}\nputs '{{ x }}'\n{% endhighlight %}\n\n"
                                        "{% raw %}`{{ page.title }}`{% endraw %} is {{ page.title }} at "
                                        "{{ site.url }}.\n\n{% include note.html %}\n\n{% comment %}hidden"
                                        "{% endcomment %}Shown.\n")
    assert [x.url for x in m.query(a, m.Link)] == ["https://news.example.org/the-target.html"] * 2 + [
        "https://news.example.org"]  # {{ site.url }} in text, then autolinked
    assert m.CodeBlock("puts '{{ x }}'", "ruby") in a.blocks
    text = m.plain_text(a)
    assert "{{ page.title }} is Post at https://news.example.org." in text
    assert "hidden" not in text and "Shown." in text
    assert "_posts/2020-05-07-post.md:12: include 'note.html' is not supported: removed" in warnings


def test_liquid_logic_runs_as_liquid(tmp_path: Path) -> None:
    a, warnings = jekyll_post(tmp_path, '{% assign nums = "1037|1040" | split: "|" %}'
                                        "{% for n in nums %}[#{{ n }}](https://github.com/j/j/issues/{{ n }}) "
                                        "{% endfor %}{% if page.title == 'Post' %}Titled.{% endif %} "
                                        "{{ site.repository }}{{ '/a.png' | relative_url }}\n")
    assert [x.url for x in m.query(a, m.Link)][:2] == ["https://github.com/j/j/issues/1037",
                                                       "https://github.com/j/j/issues/1040"]
    assert "#1037 #1040 Titled. /a.png" in " ".join(m.plain_text(a).split())
    assert "_posts/2020-05-07-post.md:4: Liquid variable {{ site.repository }} has no value here" in warnings


def test_liquid_loops_are_bounded(tmp_path: Path) -> None:
    a, warnings = jekyll_post(tmp_path, "{% for i in (1..100000000) %}x{% endfor %}Still here.\n")
    assert "Liquid:" in warnings and "Still here." in m.plain_text(a)


def test_excerpt_separator_gives_the_description(tmp_path: Path) -> None:
    a, _ = jekyll_post(tmp_path, "First *part*.\n\nEND\n\nRest.\n", "excerpt_separator: END\n")
    assert a.meta.description == "First part." and "END" not in m.plain_text(a)
    write(tmp_path, "h.md", "---\ntitle: H\ndate: 2020-01-01\n---\nLead words.\n<!--more-->\nMore.\n")
    assert ok(tmp_path, "h.md")[0].meta.description == "Lead words."


def test_alt_text_of_a_dropped_image_stays_a_word(tmp_path: Path) -> None:
    write(tmp_path, "a.md", '---\ntitle: A\ndate: 2020-01-01\n---\n> <img src="https://x.org/l.svg" alt="eSolia" />The '
                            "feature, and ![Logo](missing.png)text.\n")
    a, _ = ok(tmp_path, "a.md")
    assert "eSolia The feature, and Logo text." in m.plain_text(a)


def test_gfm_autolinks(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ntitle: A\ndate: 2020-01-01\n---\nSee https://gohugo.io/news/ and www.example.org "
                            "but not `https://in.code/`.\n")
    a, _ = ok(tmp_path, "a.md")
    assert [x.url for x in m.query(a, m.Link)] == ["https://gohugo.io/news/", "http://www.example.org"]
    assert m.query(a, m.Code) == [m.Code("https://in.code/")]


def test_kramdown_extras_never_show(tmp_path: Path) -> None:
    a, _ = jekyll_post(tmp_path, "* TOC\n{:toc}\n\n## Heading {#custom .x}\n\nPara.\n{: .lead}\n\n"
                                 "{::options parse_block_html=\"true\" /}\n\nThe HTML spec.\n\n"
                                 "*[HTML]: Hyper Text Markup Language\n\n```\n{: kept in code}\n```\n")
    text = m.plain_text(a)
    assert "{:" not in text.replace("{: kept in code}", "") and "TOC" not in text and "Hyper Text" not in text
    assert "Heading\nPara.\nThe HTML spec." in text


# ------------------------------------------------------- nothing leaks out

PIECES = ["{{< gh 1 >}}", "{{% note %}}", "{{% /note %}}", "{{< x", ">}}", "%}}", "{{<", "{{%", "{% raw %}",
          "{% endraw %}", "{% if a %}", "{% endif %}", "{{ page.title }}", "{{ site.url }}", "{%", "%}", "{{", "}}",
          "{{</* ref x */>}}", "{{< highlight go >}}", "{{< /highlight >}}", "`", "\n", "\n\n", "word ", "*", "<b>"]


def _outside_code(page: bytes) -> str:
    tree = lhtml.fromstring(page)
    for el in tree.xpath("//code|//pre|//script"):
        el.drop_tree()
    return tree.text_content()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=25).map(" ".join),  # no openers made by gluing
       st.sampled_from(["hugo", "jekyll"]))
def test_no_template_delimiter_reaches_an_output_outside_code(tmp_path: Path, body: str, syntax: str) -> None:
    write(tmp_path, "p.md", f"---\ntitle: P\ndate: 2020-01-01\n---\nStart. {body}\n")
    site = Site(base_url="https://news.example.org/", git_dates=False, syntax=syntax)
    try:
        a, _ = read(tmp_path, "p.md", site)
    except SourceError:
        return
    assert a is not None
    ctx = RenderContext(THEME, site, Diagnostics())
    page = TEXT_WRITERS["html"].render(a, ctx)
    shown = _outside_code(page)
    if syntax == "jekyll" and "{% raw %}" in body:
        return  # raw is literal by definition
    # an opener is what Hugo and Liquid act on; a stray closer is plain text to both
    for delimiter in ("{{<", "{{%") + (("{%", "{{") if syntax == "jekyll" else ()):
        assert delimiter not in shown, (delimiter, body, shown)
