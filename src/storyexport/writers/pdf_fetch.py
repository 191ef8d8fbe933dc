"""The only way WeasyPrint may read a resource while it renders a PDF.

WeasyPrint's default fetcher opens any ``file:`` path and any URL, so a
hostile article could embed ``/etc/passwd`` or make the build call a server.
This fetcher serves ``data:`` URLs, regular files whose real path is one of
the article's vetted assets or lies inside the theme's folders, and
``http(s)`` only for hosts the configuration allows (without following
redirects). Everything else is refused through a callback (the writer turns
it into a located warning) and WeasyPrint carries on without the resource.

WeasyPrint is imported when this module is, so only the PDF writer imports
it, lazily, at its first render.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..safeio import read_regular_file

ASSET_HOST = "asset.storyexport.invalid"
"""The host of an article image's address inside the PDF's HTML: the address
names the image by its content (``https://asset.storyexport.invalid/SHA256/NAME``),
not by where the source tree is, because WeasyPrint names each image object
after a hash of its address; a folder path would make the PDF's bytes depend
on where the sources were checked out. ``.invalid`` never resolves (RFC 2606):
only this fetcher answers it."""

Refusal = Callable[[str, str], None]
"""Called with (url, reason) when a resource is refused."""


class RefusedResource(ValueError):
    """Raised to WeasyPrint for a refused URL. WeasyPrint catches it (it is an
    ``Exception``, not a ``FatalURLFetchingError``) and renders without the
    resource; its name lets the writer skip WeasyPrint's duplicate log line."""


def _real(path: str) -> str:
    return os.path.realpath(path)


class SafeFetcher(URLFetcher):
    """Serve only vetted local files, ``data:`` and allowed hosts."""

    def __init__(self, files: Iterable[str] = (), dirs: Iterable[str] = (), hosts: Iterable[str] = (),
                 on_refuse: Refusal | None = None, timeout: float = 10,
                 assets: Mapping[str, str] | None = None) -> None:
        super().__init__(timeout=timeout, allowed_protocols=("file", "data", "http", "https"),
                         allow_redirects=False, fail_on_errors=False)
        self.files = frozenset(_real(f) for f in files)
        self.dirs = tuple(_real(d) for d in dirs)
        self.hosts = frozenset(h.lower().strip() for h in hosts if h.strip())
        self.on_refuse = on_refuse
        self.assets = dict(assets or {})  # sha256 -> path of a vetted asset (see ASSET_HOST)

    def refuse(self, url: str, reason: str) -> RefusedResource:
        if self.on_refuse is not None:
            self.on_refuse(url, reason)
        return RefusedResource(f"refused {url}: {reason}")

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        try:
            parts = urlsplit(url)
        except ValueError:
            raise self.refuse(url, "malformed URL") from None
        scheme = parts.scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            return self._file(url, parts.netloc, parts.path)
        if scheme == "https" and (parts.hostname or "").lower() == ASSET_HOST:
            digest = parts.path.lstrip("/").split("/", 1)[0]
            if digest not in self.assets:
                raise self.refuse(url, "not one of the article's images")
            path = self.assets[digest]  # messages name the file, as for any file: URL
            return self._file(Path(path).absolute().as_uri(), "", path, quoted=False)
        if scheme in ("http", "https"):
            host = (parts.hostname or "").lower()
            if host and host in self.hosts:
                return super().fetch(url, headers)
            raise self.refuse(url, f"host {host or '(none)'!r} is not in [pdf] allowed_hosts")
        raise self.refuse(url, f"{scheme or 'relative'} URLs are not fetched")

    def allowed_path(self, real: str) -> bool:
        """Whether a resolved path is a vetted asset or inside a theme folder."""
        if real in self.files:
            return True
        return any(real == d or real.startswith(d.rstrip(os.sep) + os.sep) for d in self.dirs)

    def _file(self, url: str, netloc: str, path: str, quoted: bool = True) -> URLFetcherResponse:
        if netloc not in ("", "localhost"):
            raise self.refuse(url, "file URL on another host")
        # Decoded once (``url2pathname`` would decode a second time, so a file
        # named "a%41.png" became "aA.png"); bytes that are not UTF-8 come
        # back as the surrogates Python uses for such file names.
        real = _real(unquote(path, errors="surrogateescape") if quoted else path)
        if not self.allowed_path(real):
            raise self.refuse(url, "outside the article's assets and the theme")
        try:
            data = read_regular_file(real)  # ``real`` has no links left: one appearing now is refused
        except OSError as e:
            raise self.refuse(url, f"cannot read: {e.strerror or e}") from None
        media_type = mimetypes.guess_type(real)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=data, headers={"Content-Type": media_type})
