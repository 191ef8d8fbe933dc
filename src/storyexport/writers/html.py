"""Standalone HTML pages, one per article, styled by the theme's screen CSS.

Images are embedded as ``data:`` URIs so a page can be mailed or archived on
its own; the theme's style sheet and fonts are shared files under
``_theme/``. The page is the story's place on the web (``page``): it sits
where ``[site] permalink`` puts it and carries a canonical link, feed
autodiscovery for the feeds the build makes, and the cards of
:mod:`storyexport.webmeta`.
"""

from __future__ import annotations

import base64
from pathlib import Path

from ..model import Article, Asset
from ..urls import media_url, story_place
from ..webmeta import web_head
from ..xhtml import HtmlOptions, render_article, render_css
from . import RenderContext, Writer, load, present_story

THEME_DIR = "_theme"


class HtmlWriter(Writer):
    name = "html"
    extension = "html"
    media_type = "text/html"
    version = "2"
    description = "standalone HTML page per article"
    libraries = ("Jinja2", "MarkupSafe")
    page = True
    links_formats = True

    def render(self, article: Article, ctx: RenderContext) -> bytes:
        def image_url(asset: Asset) -> str:
            data = base64.b64encode(ctx.asset_bytes(asset)).decode()
            return f"data:{asset.media_type};base64,{data}"

        where = story_place(article.meta, self.site)
        cover = article.asset(article.meta.cover) if article.meta.cover else None
        # a preview card needs an image by address: the feeds publish the cover under media/
        published = cover is not None and self.site.base_url and any(
            load(n).scope == "collection" and load(n).subscription for n in ctx.formats)
        image = (media_url(self.site, cover.key) if published and cover is not None
                 else self.site.absolute(self.site.logo) if self.site.logo else "")
        opts = HtmlOptions(image_url=image_url, footnotes="endnotes",
                           css_href=(f"{where.up}{THEME_DIR}/screen.css",),
                           web=web_head(article, self.site, where, ctx.formats, image))
        return render_article(present_story(article, ctx), self.theme, self.site, opts).encode("utf-8")

    def shared_files(self, ctx: RenderContext) -> dict[str, bytes]:
        files = {f"{THEME_DIR}/{Path(p).name}": Path(p).read_bytes()
                 for _fam, _b, _i, p in self.theme.font_files()}
        css = render_css(self.theme, "screen", lambda p: Path(p).name)
        files[f"{THEME_DIR}/screen.css"] = css.encode("utf-8")
        return files
