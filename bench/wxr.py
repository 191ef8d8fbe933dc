"""Deterministic synthetic WordPress export for the import benchmark: N
published posts (half classic text with shortcodes, half Gutenberg blocks),
each about 600 words, with categories, tags, an author and an attachment,
plus one draft, one page and one revision per 20 posts.

    python bench/wxr.py 10000 /tmp/site.xml
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from pathlib import Path

from corpus import WORDS, sentence

HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<title>Benchmark Gazette</title>
<link>https://bench.example.org</link>
<language>en-US</language>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>https://bench.example.org</wp:base_site_url>
<wp:author><wp:author_login><![CDATA[desk]]></wp:author_login>
<wp:author_display_name><![CDATA[News Desk]]></wp:author_display_name></wp:author>
"""


def _classic(rng: random.Random, n: int) -> str:
    paras = []
    for k in range(8):
        lines = [sentence(rng) for _ in range(rng.randint(3, 6))]
        if k == 2:
            lines[0] = f'<a href="https://example.org/r/{rng.randint(1, 999)}">{lines[0]}</a> <em>{lines[1]}</em>'
        paras.append("\n".join(lines) if k % 3 == 0 else " ".join(lines))
    paras.insert(3, f'[caption id="attachment_{n + 1}" width="640"]<img src="https://bench.example.org/wp-content/'
                    f'uploads/2020/01/p{n}.jpg" alt="{sentence(rng, 5)}" /> {sentence(rng, 8)}[/caption]')
    paras.insert(6, "[embed]https://www.youtube.com/watch?v=bench[/embed]")
    paras.insert(7, f"[code lang=\"python\"]\nprint({n})\n[/code]")
    return "\n\n".join(paras)


def _blocks(rng: random.Random, n: int) -> str:
    out = []
    for k in range(8):
        text = " ".join(sentence(rng) for _ in range(rng.randint(3, 6)))
        out.append(f"<!-- wp:paragraph -->\n<p>{text}</p>\n<!-- /wp:paragraph -->")
        if k == 2:
            out.append(f'<!-- wp:heading -->\n<h2>{sentence(rng, 6)}</h2>\n<!-- /wp:heading -->')
        if k == 4:
            items = "".join(f"<li>{sentence(rng, 6)}</li>" for _ in range(4))
            out.append(f"<!-- wp:list -->\n<ul>{items}</ul>\n<!-- /wp:list -->")
        if k == 5:
            out.append(f'<!-- wp:image {{"id":{n + 1}}} -->\n<figure class="wp-block-image"><img src="https://bench.'
                       f'example.org/wp-content/uploads/2020/01/p{n}.jpg" alt="{sentence(rng, 5)}"/><figcaption>'
                       f"{sentence(rng, 8)}</figcaption></figure>\n<!-- /wp:image -->")
        if k == 6:
            out.append(f"<!-- wp:quote -->\n<blockquote class=\"wp-block-quote\"><p>{sentence(rng)}</p>"
                       f"<cite>{sentence(rng, 3)}</cite></blockquote>\n<!-- /wp:quote -->")
    return "\n\n".join(out)


def _item(n: int, kind: str, status: str, content: str, rng: random.Random) -> str:
    day = 1 + n % 28
    date = f"2020-{1 + n % 12:02d}-{day:02d} {n % 24:02d}:{n % 60:02d}:00"
    tags = "".join(f'<category domain="post_tag" nicename="{w}"><![CDATA[{w}]]></category>'
                   for w in sorted({rng.choice(WORDS) for _ in range(3)}))
    return (f"<item><title>{sentence(rng, 8)[:-1]}</title><link>https://bench.example.org/?p={n}</link>"
            f"<dc:creator><![CDATA[desk]]></dc:creator><content:encoded><![CDATA[{content}]]></content:encoded>"
            f"<excerpt:encoded><![CDATA[]]></excerpt:encoded><wp:post_id>{n}</wp:post_id>"
            f"<wp:post_date><![CDATA[{date}]]></wp:post_date><wp:post_date_gmt><![CDATA[{date}]]></wp:post_date_gmt>"
            f"<wp:post_name><![CDATA[post-{n}]]></wp:post_name><wp:status><![CDATA[{status}]]></wp:status>"
            f"<wp:post_type><![CDATA[{kind}]]></wp:post_type>"
            f'<category domain="category" nicename="news"><![CDATA[News]]></category>{tags}</item>\n')


def items(n_posts: int) -> Iterator[str]:
    yield HEAD
    for i in range(n_posts):
        rng = random.Random(i)
        n = 10 * i + 10
        content = _classic(rng, n) if i % 2 else _blocks(rng, n)
        yield _item(n, "post", "publish", content, rng)
        yield (f"<item><title>p{n}</title><wp:post_id>{n + 1}</wp:post_id><wp:post_parent>{n}</wp:post_parent>"
               f"<wp:post_type>attachment</wp:post_type><wp:status>inherit</wp:status><wp:attachment_url>"
               f"https://bench.example.org/wp-content/uploads/2020/01/p{n}.jpg</wp:attachment_url></item>\n")
        if i % 20 == 0:
            for k, (kind, status) in enumerate((("post", "draft"), ("page", "publish"), ("revision", "inherit"))):
                yield _item(n + 2 + k, kind, status, "<p>Not imported.</p>", rng)
    yield "</channel>\n</rss>\n"


def write(n_posts: int, path: Path) -> None:
    with path.open("w", encoding="utf-8") as f:
        for chunk in items(n_posts):
            f.write(chunk)


if __name__ == "__main__":
    write(int(sys.argv[1]), Path(sys.argv[2]))
