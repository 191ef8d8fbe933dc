"""Reproducible ZIP containers for the zip-based formats (DOCX, EPUB).

Libraries stamp entries with the wall clock and compress every member every
time. :class:`ZipBuilder` writes a container once, from members the writer
hands it, with a fixed timestamp, fixed permissions and the given order
(EPUB's ``mimetype`` first and stored). Large members that recur from one
document to the next (a theme's fonts, a shared chart) are deflated once per
process: their compressed form is cached by content, which is what makes a
DOCX with 3.5 MB of embedded fonts cheap to write. Members that are already
compressed (PNG, JPEG, WOFF...) are stored, not deflated a second time.

The layout is the one :mod:`zipfile` writes (same header fields and version
numbers), so :mod:`zipfile`, Word, LibreOffice and EPUBCheck read it as
before; :mod:`zipfile` cannot take data that is already compressed, which is
why the few lines of header packing live here.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

LEVEL = 9
"""Deflate level for members smaller than :data:`LARGE` (XML parts)."""

LARGE = 16 * 1024
LARGE_LEVEL = 6
"""Deflate level for members of :data:`LARGE` bytes or more: the large ones
recur (a theme's fonts) and are compressed once per process, but that once
is every worker's start-up. For the 3.9 MB of a theme's Noto faces level 9
takes 200 ms where 6 takes 115 ms, for 3 KB (0.2%) more."""

CACHE_MIN = 4 * 1024
"""Members at least this large are looked up in the compressed-member cache:
besides fonts, a DOCX's theme part, an EPUB's style sheet and the small
font subsets that articles with the same Latin letters share."""

CACHE_BYTES = 64 * 1024 * 1024
"""Upper bound of what the cache holds, members and their compressed form
(least recently used go first)."""

PRECOMPRESSED = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".woff", ".woff2", ".zip", ".gz")
"""Members whose bytes are already compressed: deflating them again costs
time and saves nothing, so they are stored."""

_VERSION = 20  # zipfile.DEFAULT_VERSION: what zipfile writes for stored and deflated members
_UNIX = 3
_MODE = 0o644 << 16
_UTF8_NAME = 0x800


def zip_time(when: datetime) -> tuple[int, int, int, int, int, int]:
    """A ZIP timestamp (local fields, 2-second resolution): MS-DOS dates
    hold the years 1980 to 2107, so an earlier or later story date takes the
    nearest end."""
    if when.year < 1980:
        return (1980, 1, 1, 0, 0, 0)
    if when.year > 2107:
        return (2107, 12, 31, 23, 59, 58)
    return (when.year, when.month, when.day, when.hour, when.minute, when.second // 2 * 2)


@dataclass(frozen=True)
class Packed:
    """A member's bytes as they go into the container."""

    method: int  # zipfile.ZIP_STORED or zipfile.ZIP_DEFLATED
    data: bytes  # stored bytes or raw deflate stream
    crc: int
    size: int  # uncompressed size


_cache: OrderedDict[bytes, Packed] = OrderedDict()  # keyed by the uncompressed bytes themselves
_cached_bytes = 0


def _deflate_now(data: bytes) -> Packed:
    c = zlib.compressobj(LEVEL if len(data) < LARGE else LARGE_LEVEL, zlib.DEFLATED, -15)
    return Packed(zipfile.ZIP_DEFLATED, c.compress(data) + c.flush(), zlib.crc32(data), len(data))


def deflate(data: bytes) -> Packed:
    """``data`` deflated, from the cache when the same bytes were deflated
    before in this process. The key is the bytes object: a writer that hands
    the same object again (a cached font) costs a dictionary lookup, since
    Python keeps a bytes object's hash; equal bytes in a new object cost one
    hash and one comparison, and any change is a miss."""
    global _cached_bytes
    if len(data) < CACHE_MIN:
        return _deflate_now(data)
    hit = _cache.get(data)
    if hit is not None:
        _cache.move_to_end(data)
        return hit
    packed = _deflate_now(data)
    _cache[data] = packed
    _cached_bytes += len(data) + len(packed.data)
    while _cached_bytes > CACHE_BYTES and len(_cache) > 1:
        key, old = _cache.popitem(last=False)
        _cached_bytes -= len(key) + len(old.data)
    return packed


def store(data: bytes) -> Packed:
    return Packed(zipfile.ZIP_STORED, data, zlib.crc32(data), len(data))


class ZipBuilder:
    """Writes a ZIP in memory, member by member, with one fixed timestamp."""

    def __init__(self, when: datetime) -> None:
        t = zip_time(when)
        self._date = (t[0] - 1980) << 9 | t[1] << 5 | t[2]
        self._time = t[3] << 11 | t[4] << 5 | t[5] // 2
        self._chunks: list[bytes] = []  # joined once at the end: a font member is copied once, not three times
        self._offset = 0
        self._central: list[bytes] = []
        self._names: set[str] = set()

    def add(self, name: str, data: bytes, stored: bool | None = None) -> None:
        """Add a member; ``stored`` None means: stored if its extension says
        it is already compressed, deflated otherwise."""
        if name in self._names:
            raise ValueError(f"duplicate ZIP member {name!r}")
        self._names.add(name)
        if stored is None:
            stored = name.lower().endswith(PRECOMPRESSED)
        data = bytes(data)  # no copy for bytes; a bytearray or memoryview becomes hashable
        p = store(data) if stored else deflate(data)
        try:
            raw, flags = name.encode("ascii"), 0
        except UnicodeEncodeError:
            raw, flags = name.encode("utf-8"), _UTF8_NAME
        offset = self._offset
        fields = (_VERSION, 0, flags, p.method, self._time, self._date, p.crc, len(p.data), p.size, len(raw))
        header = struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", *fields, 0) + raw
        self._chunks += (header, p.data)
        self._offset += len(header) + len(p.data)
        self._central.append(struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", _VERSION, _UNIX, *fields, 0, 0, 0, 0,
                                          _MODE, offset) + raw)

    def getvalue(self) -> bytes:
        directory = b"".join(self._central)
        n = len(self._central)
        end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n, n, len(directory), self._offset, 0)
        return b"".join((*self._chunks, directory, end))


def build_zip(members: Iterable[tuple[str, bytes]], when: datetime, stored: Iterable[str] = ()) -> bytes:
    """A container from (name, bytes) pairs in order; names in ``stored`` are
    stored whatever their extension."""
    keep = set(stored)
    z = ZipBuilder(when)
    for name, data in members:
        z.add(name, data, stored=True if name in keep else None)
    return z.getvalue()


def rezip(data: bytes, when: datetime, first: Iterable[str] = (), stored: Iterable[str] = ()) -> bytes:
    """Rewrite a ZIP with fixed metadata. Entries in ``first`` lead (in that
    order); the rest follow in their original order; ``stored`` entries are not
    compressed."""
    first = list(first)
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        names = src.namelist()
        order = [n for n in first if n in names] + [n for n in names if n not in first]
        return build_zip(((n, src.read(n)) for n in order), when, stored)
