"""What a story says about itself on the web, decided once: its summary,
the feeds a page advertises (found through the writer registry, not by
name; its downloads are :meth:`Siblings.downloads
<storyexport.writers.collection.Siblings.downloads>`), and the cards link previews and search
engines read (Open Graph, Twitter, schema.org ``NewsArticle``). The web
page, the site pages and the feeds all take them from here."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from . import model as m
from .config import Site
from .urls import Place, page_url
from .xhtml import WebHead, json_ld_text


def summary_text(article: m.Article) -> str:
    """Plain-text summary: the description, else the dek (subtitle), else the
    "Story at a glance" bullets, else the first paragraph."""
    meta = article.meta
    if meta.description.strip():
        return meta.description.strip()
    if meta.subtitle.strip():
        return meta.subtitle.strip()
    if meta.summary:
        return "\n".join(f"• {m.inline_text(b).strip()}" for b in meta.summary)
    first = next((b for b in article.blocks if isinstance(b, m.Para)), None)
    return m.inline_text(first.children).strip() if first else ""


def feed_links(formats: Iterable[str], site: Site, up: str, prefix: str = "", title: str = ""
               ) -> tuple[tuple[str, str, str], ...]:
    """(media type, href, title) of each subscription document the build
    makes, relative to a page ``up`` from the output folder; ``prefix`` picks
    a tag's feeds (``tags/<tag>/``)."""
    from .writers import load

    out = []
    for name in formats:
        cls = load(name)
        if cls.scope == "collection" and cls.subscription:
            out.append((cls.media_type, up + quote(prefix + cls.subscription), f"{title or site.title} ({cls.label})"))
    return tuple(out)


def web_head(article: m.Article, site: Site, where: Place, formats: Iterable[str], image: str = "") -> WebHead:
    """The head of a story's web page: canonical address, feed
    autodiscovery, Open Graph and Twitter cards, ``NewsArticle`` JSON-LD."""
    meta = article.meta
    url = meta.canonical_url or (page_url(where, site) if site.base_url else where.page)
    description = summary_text(article)
    published, modified = meta.published.isoformat(), meta.modified.isoformat()
    dated = not meta.undated  # an undated story carries no date (its published is only the epoch)
    cards = [("og:type", "article"), ("og:title", meta.title), ("og:url", url), ("og:site_name", site.title),
             ("og:description", description),
             *((("article:published_time", published), ("article:modified_time", modified)) if dated else ()),
             *(("article:tag", t) for t in meta.tags),
             ("twitter:card", "summary_large_image" if image else "summary"), ("twitter:title", meta.title),
             ("twitter:description", description)]
    if image:
        cards[2:2] = [("og:image", image)]
        cards.append(("twitter:image", image))
    ld: dict[str, object] = {
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": meta.title,
        "description": description, **({"datePublished": published, "dateModified": modified} if dated else {}),
        "inLanguage": meta.language, "mainEntityOfPage": url, "url": url,
        "author": [{"@type": "Person", "name": a.name, **({"url": a.url} if a.url else {})} for a in meta.authors],
        "publisher": {"@type": "Organization", "name": meta.publisher or site.publisher or site.title,
                      **({"logo": {"@type": "ImageObject", "url": site.absolute(site.logo)}} if site.logo else {})},
    }
    if meta.tags:
        ld["keywords"] = list(meta.tags)
    if image:
        ld["image"] = [image]
    return WebHead(url, feed_links(formats, site, where.up), tuple(cards), str(json_ld_text(ld)))
