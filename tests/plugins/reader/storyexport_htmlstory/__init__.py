"""Stories kept as HTML files (``<title>``, ``<meta name="date">`` and a
body): a reader outside storyexport, built on its public reader helpers."""

from __future__ import annotations

import re
from pathlib import Path

from storyexport import model as m
from storyexport.readers.metadata import build_meta
from storyexport.readers.rawhtml import HtmlToModel
from storyexport.readers.source import SourceContext
from storyexport.readers.tree import TreeBuilder

EXTENSIONS = (".htm",)


def read(path: Path, data: bytes, ctx: SourceContext) -> tuple[m.Article, bool]:
    text = ctx.decode(data)
    title = re.search(r"<title>(.*?)</title>", text, re.S)
    date = re.search(r'<meta name="date" content="([^"]+)"', text)
    body = re.search(r"<body>(.*)</body>", text, re.S)
    if body is None:
        raise ctx.error(1, "no <body>")
    builder = TreeBuilder(ctx)
    feeder = HtmlToModel(builder, text[: body.start()].count("\n") + 1, inline=False)
    feeder.feed(body.group(1))
    feeder.done()
    blocks = builder.finish()
    values = {"title": title.group(1).strip() if title else "", "date": date.group(1) if date else None}
    meta, draft = build_meta({k: v for k, v in values.items() if v}, {}, ctx, lambda s, _l: (m.Text(s),))
    return m.Article(meta, blocks, tuple(ctx.assets.values()), str(path)), draft
