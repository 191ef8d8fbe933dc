"""Where each story's files go in the output folder, and the URL they have.

One pure decision shared by the build (which writes the files), the web
page (its canonical link, relative links to the theme), the feeds (item
links) and the site pages (index, sitemap): so a link always names a file
that exists. A story's place is, in order: the path of its own canonical URL
when that is on this site (so the address the author gave resolves), else
``[site] permalink``, a pattern such as ``/{year}/{slug}/`` (default
``/{slug}.html``, the flat layout). A pattern or path ending in ``/`` makes
the page that folder's ``index.html``. With a pattern the downloads (PDF,
EPUB, DOCX...) sit beside the page; without one they stay in the output
folder, as they always have.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from hashlib import sha256
from urllib.parse import SplitResult, quote, unquote, urlsplit

from .config import Site
from .model import Meta

DEFAULT_PERMALINK = "/{slug}.html"
MEDIA_DIR = "media"  # images published for the feeds (and the cards of web pages)
PLACEHOLDERS = ("year", "month", "day", "slug")
# first folders the site's own files use: a story placed there could overwrite them
RESERVED = frozenset({"_theme", "archive", "media", "page", "tags"})
_SEGMENT = re.compile(r"^[^\x00-\x1f\x7f/\\:*?\"<>|]+$")
# An http(s) address with a host, made only of characters every URL parser
# leaves alone: a query only if it is not empty, and no fragment, path
# parameters, brackets, spaces or non-ASCII (see is_plain_web_url).
_PLAIN_WEB_URL = re.compile(r"https?://[A-Za-z0-9._~!$&'()*+,=:@%-]+(?:/[A-Za-z0-9._~!$&'()*+,=:@%/-]*)?"
                            r"(?:\?[A-Za-z0-9._~!$&'()*+,=:@%/?;-]+)?\Z")


@dataclass(frozen=True)
class Place:
    """A story's folder in the output folder (``""`` or ``"2024/slug/"``),
    the file name of its web page there, and the folder of its downloads."""

    folder: str
    page: str
    downloads: str = ""

    @property
    def page_path(self) -> str:
        return self.folder + self.page

    @property
    def url_path(self) -> str:
        """The page's path in URLs, relative to the site root: a folder's
        ``index.html`` is named by the folder."""
        return self.folder if self.page == "index.html" else self.page_path

    @property
    def up(self) -> str:
        """From the page's folder back to the output folder (``""``, ``"../../"``)."""
        return "../" * self.folder.count("/")


def is_plain_web_url(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) address that ``urljoin`` gives
    back unchanged against any base, and whose scheme ``urlsplit`` reads as
    written. Most addresses a CMS export holds are such, and skip both
    parsers (Python code, some 20 µs a call)."""
    return _PLAIN_WEB_URL.match(url) is not None


def split_url(url: str) -> SplitResult | None:
    """``urlsplit(url)``, or None for an address it refuses to read (a
    malformed IPv6 host, ``http://[x/``): an address from a source or an
    import then gets a warning, not a traceback that ends the whole run."""
    try:
        return urlsplit(url)
    except ValueError:
        return None


def check_pattern(pattern: str) -> str | None:
    """Why a permalink pattern cannot be used, or None."""
    if not pattern.startswith("/") or "{slug}" not in pattern:
        return "expected a path starting with / that contains {slug}, e.g. /{year}/{slug}/"
    if not (pattern.endswith("/") or pattern.endswith(".html")):
        return "expected it to end with / (a folder per story) or .html"
    unknown = set(re.findall(r"{([^{}]*)}", pattern)) - set(PLACEHOLDERS)
    if unknown:
        return f"unknown placeholder(s) {', '.join(sorted(unknown))} (known: {', '.join(PLACEHOLDERS)})"
    return None


def path_place(path: str) -> Place | None:
    """A place from a site path (``/2024/x``, ``/2024/x/``, ``/x.html``), or
    None if it is not one a story may take (empty, ``..``, a reserved
    folder, characters a file name cannot carry)."""
    parts = [p for p in path.split("/") if p]
    if not parts or any(p in (".", "..") or p.startswith(".") or not _SEGMENT.match(p) for p in parts):
        return None
    if parts[0] in RESERVED or (len(parts) == 1 and parts[0] == "index.html"):
        return None
    if parts[-1].endswith(".html") and not path.endswith("/"):
        return Place("".join(p + "/" for p in parts[:-1]), parts[-1])
    return Place("".join(p + "/" for p in parts), "index.html")


def is_place(folder: object, page: object, downloads: object) -> bool:
    """Whether recorded values (the manifest, a digest: data on disk) make
    a place :func:`place` could have made."""
    if not (isinstance(folder, str) and isinstance(page, str) and isinstance(downloads, str)):
        return False
    p = path_place("/" + folder + page)
    return (p is not None and p.page_path == folder + page and downloads in ("", folder))


def place(slug: str, published: datetime, site: Site, canonical: str = "") -> Place:
    """Where a story's page and downloads go (see the module's notes)."""
    base = site.base_url.rstrip("/") + "/" if site.base_url else ""
    own = None
    if base and canonical.startswith(base):
        own = path_place(unquote(urlsplit(canonical).path[len(urlsplit(base).path) - 1:]))
    if not site.permalink:
        return own or path_place(f"/{slug}.html") or Place(f"{slug}/", "index.html")  # "index": not the site's
    path = site.permalink.format(
        year=f"{published.year:04d}", month=f"{published.month:02d}", day=f"{published.day:02d}", slug=slug)
    p = own or path_place(path) or Place(f"{slug}/", "index.html")
    return Place(p.folder, p.page, p.folder)


def story_place(meta: Meta, site: Site) -> Place:
    return place(meta.slug, meta.published, site, meta.canonical_url)


def site_url(site: Site, path: str) -> str:
    """The absolute URL (percent-encoded) of a path in the output folder;
    ``""`` is the site's root."""
    return site.base_url.rstrip("/") + "/" + quote(path) if site.base_url else quote(path)


def page_url(p: Place, site: Site) -> str:
    """The page's absolute URL under ``base_url``."""
    return site_url(site, p.url_path)


def media_url(site: Site, key: str) -> str:
    """The address of an image published under ``media/``."""
    return site_url(site, f"{MEDIA_DIR}/{key}")


TAG_FOLDER_BYTES = 120  # well under the 255 bytes a file name may have


@lru_cache(maxsize=4096)
def tag_folder(tag: str) -> str:
    """A tag's folder: the tag itself in lower case (NFC), spaces as
    hyphens, keeping letters, marks, digits, ``-`` and ``_`` of any script
    (so ``東京`` and ``مياه`` stay readable), cut to a safe length. Links
    percent-encode it. A tag with nothing left gets a hash."""
    text = re.sub(r"\s+", "-", unicodedata.normalize("NFC", tag).strip().lower())
    text = "".join(c for c in text if c in "-_" or unicodedata.category(c)[0] in "LMN")
    text = re.sub(r"-{2,}", "-", text).strip("-_")
    while len(text.encode("utf-8")) > TAG_FOLDER_BYTES:
        text = text[:-1]
    return text.rstrip("-_") or "tag-" + sha256(tag.casefold().encode()).hexdigest()[:10]
