"""Standalone HTML pages, one per article, styled by the theme's screen CSS.

Images are embedded as ``data:`` URIs so a page can be mailed or archived on
its own; the theme's style sheet and fonts are shared files under
``_theme/`` beside the pages.
"""

from __future__ import annotations

import base64
from pathlib import Path

from ..model import Article, Asset
from ..xhtml import HtmlOptions, render_article, render_css
from . import RenderContext, Writer

THEME_DIR = "_theme"


class HtmlWriter(Writer):
    name = "html"
    extension = "html"
    media_type = "text/html"
    version = "1"
    description = "standalone HTML page per article"

    def render(self, article: Article, ctx: RenderContext) -> bytes:
        def image_url(asset: Asset) -> str:
            data = base64.b64encode(ctx.asset_bytes(asset)).decode()
            return f"data:{asset.media_type};base64,{data}"

        opts = HtmlOptions(image_url=image_url, footnotes="endnotes", css_href=(f"{THEME_DIR}/screen.css",))
        return render_article(article, self.theme, self.site, opts).encode("utf-8")

    def shared_files(self, ctx: RenderContext) -> dict[str, bytes]:
        files = {f"{THEME_DIR}/{Path(p).name}": Path(p).read_bytes()
                 for _fam, _b, _i, p in self.theme.font_files()}
        css = render_css(self.theme, "screen", lambda p: Path(p).name)
        files[f"{THEME_DIR}/screen.css"] = css.encode("utf-8")
        return files
