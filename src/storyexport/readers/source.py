"""What every reader needs around the text itself: decoding untrusted bytes,
stripping characters no output format can carry, vetting links, resolving
images inside the source tree, and slugs.

One :class:`SourceContext` per source file carries the file's path, the site
settings and the diagnostics sink, so every warning is located.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

from ..config import Site
from ..errors import Diagnostics, SourceError
from ..model import Asset
from ..urls import is_plain_web_url, split_url

# Characters that XML 1.0 (and so DOCX, EPUB, feeds) cannot carry, plus
# non-characters and lone surrogates.
_INVALID_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff"
_INVALID = re.compile(f"[{_INVALID_CHARS}]")
# Explicit bidi embeddings, overrides and isolates: they can disguise text
# ("Trojan Source"); the renderers set direction from the language instead.
_BIDI_CHARS = "\u202a-\u202e\u2066-\u2069"
_BIDI = re.compile(f"[{_BIDI_CHARS}]")
# Either kind, for the common case of text with neither: one search, not two.
_UNCLEAN = re.compile(f"[{_INVALID_CHARS}{_BIDI_CHARS}]")
_SAFE_SCHEMES = {"http", "https", "mailto"}
_IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}
_NOT_SLUG = re.compile(r"[^A-Za-z0-9]+")


def slugify(text: str) -> str:
    """A stable, file-name-safe slug: ASCII letters, digits and hyphens."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = _NOT_SLUG.sub("-", text).strip("-").lower()
    return text[:80].strip("-")



def _text_key(rel: str) -> str:
    """An image's key, which names it inside every output (zip members, URLs,
    feed media): its path in the source tree, with the bytes of a file name
    that is not UTF-8 percent-encoded (such names decode to lone surrogates,
    which no output can carry)."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return quote(os.fsencode(rel), safe="/")
    return rel

@dataclass
class SourceContext:
    """Per-file state shared by a reader and the helpers it calls."""

    path: Path  # as given (relative paths print nicely)
    root: Path  # the source tree; nothing outside it is ever read
    site: Site
    diagnostics: Diagnostics
    assets: dict[str, Asset] = field(default_factory=dict)
    watched: list[str] = field(default_factory=list)  # see Article.watched

    @property
    def display(self) -> str:
        return str(self.path)

    def warn(self, line: int | None, message: str, category: str) -> None:
        self.diagnostics.warn(self.display, line, message, category)

    def error(self, line: int | None, message: str) -> SourceError:
        return SourceError(message, self.display, line)

    # ---------------------------------------------------------------- text

    def decode(self, data: bytes) -> str:
        """Bytes to text: UTF-8 (BOM optional) or UTF-16 with a BOM."""
        limit = self.site.limits.max_file_bytes
        if len(data) > limit:
            raise self.error(None, f"file is {len(data)} bytes, over the limit of {limit} (max_file_bytes)")
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            try:
                text = data.decode("utf-16")
            except UnicodeDecodeError as e:
                raise self.error(None, f"not valid UTF-16: {e.reason}") from None
            self.warn(None, "file is UTF-16; storyexport reads it but prefers UTF-8", "source.encoding")
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as e:
                line = data[: e.start].count(b"\n") + 1
                msg = f"not valid UTF-8 (byte 0x{data[e.start]:02x}); save the file as UTF-8"
                raise self.error(line, msg) from None
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def clean(self, text: str, line: int | None = None, what: str = "text") -> str:
        """Remove characters no output format can carry, with a warning."""
        if not _UNCLEAN.search(text):
            return text
        if _INVALID.search(text):
            bad = sorted({f"U+{ord(c):04X}" for c in _INVALID.findall(text)})
            self.warn(line, f"{what}: removed control or invalid characters {', '.join(bad[:5])}", "source.characters")
            text = _INVALID.sub("", text)
        if _BIDI.search(text):
            self.warn(line, f"{what}: removed bidirectional override characters", "source.characters")
            text = _BIDI.sub("", text)
        return text

    # ---------------------------------------------------------------- links

    def link_url(self, url: str, line: int | None) -> str | None:
        """A safe link target, or None (the link text is then kept alone)."""
        url = url.strip()
        if not url:
            return None
        if url.startswith("#") or is_plain_web_url(url):
            return url
        parts = split_url(url)
        if parts is None:
            self.warn(line, f"link to {url[:80]!r} removed: not a readable address", "source.link")
            return None
        scheme = parts.scheme.lower()
        if scheme in _SAFE_SCHEMES:
            return url
        if scheme or url.startswith("//"):
            self.warn(line, f"link to {url[:80]!r} removed: scheme {scheme or 'network-path'!r} is not allowed",
                      "source.link")
            return None
        if self.site.base_url:
            return self.site.absolute(url)
        self.warn(line, f"relative link {url[:80]!r} has no base_url to resolve against; kept as text", "source.link")
        return None

    # --------------------------------------------------------------- images

    def image(self, src: str, line: int | None) -> str | None:
        """Resolve an image reference to an asset key, or None with a warning
        (the caller then keeps the alt text)."""
        src = src.strip()
        parts = split_url(src)
        if parts is None:
            self.warn(line, f"image {src[:80]!r} is not a readable address (alt text kept)", "source.image")
            return None
        if parts.scheme or src.startswith("//"):
            self.warn(line, f"image {src[:80]!r} is not a local file; only images inside the source tree "
                            "are used (alt text kept)", "source.image")
            return None
        rel = unquote(parts.path, errors="surrogateescape")  # %E4 names a Latin-1 file name byte
        base = self.root if rel.startswith("/") else self.path.parent
        candidate = (base / rel.lstrip("/")).resolve() if rel else base
        root = self.root.resolve()
        if not candidate.is_relative_to(root):
            self.warn(line, f"image {src[:80]!r} is outside the source tree; not read (alt text kept)", "source.image")
            return None
        if not candidate.is_file():
            self.warn(line, f"image {src[:80]!r} not found (alt text kept)", "source.image")
            self.watched.append(str(candidate))
            return None
        key = _text_key(candidate.relative_to(root).as_posix())
        if key in self.assets:
            return key
        asset = self._load_asset(key, candidate, src, line)
        if asset is None:
            self.watched.append(str(candidate))
            return None
        self.assets[key] = asset
        return key

    def _load_asset(self, key: str, path: Path, src: str, line: int | None) -> Asset | None:
        from PIL import Image as PILImage

        limits = self.site.limits
        size = os.stat(path).st_size
        if size > limits.max_file_bytes:
            self.warn(line, f"image {src!r} is {size} bytes, over max_file_bytes (alt text kept)", "source.image")
            return None
        data = path.read_bytes()
        try:
            with PILImage.open(io.BytesIO(data)) as im:
                fmt, (w, h) = im.format, im.size
                if w * h > limits.max_image_pixels:
                    self.warn(line, f"image {src!r} is {w}x{h} pixels, over max_image_pixels "
                                    f"({limits.max_image_pixels}) (alt text kept)", "source.image")
                    return None
                im.verify()
        except PILImage.DecompressionBombError:
            self.warn(line, f"image {src!r} is over max_image_pixels ({limits.max_image_pixels}) (alt text kept)",
                      "source.image")
            return None
        except Exception as e:  # Pillow raises many types for bad files
            self.warn(line, f"image {src!r} is not a readable image ({type(e).__name__}) (alt text kept)",
                      "source.image")
            return None
        if fmt not in _IMAGE_TYPES:
            self.warn(line, f"image {src!r} is {fmt}; only PNG, JPEG and GIF are supported (alt text kept)",
                      "source.image")
            return None
        return Asset(key, str(path), _IMAGE_TYPES[fmt], w, h, hashlib.sha256(data).hexdigest())
