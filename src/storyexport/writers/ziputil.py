"""Reproducible ZIP containers for the zip-based formats (DOCX, EPUB).

Libraries stamp entries with the wall clock; this rewrites a container with
a fixed timestamp, fixed permissions and a stable entry order, keeping any
entries that must come first (EPUB's ``mimetype``) first and stored.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from datetime import datetime


def zip_time(when: datetime) -> tuple[int, int, int, int, int, int]:
    """A ZIP timestamp (local fields, 2-second resolution, not before 1980)."""
    if when.year < 1980:
        return (1980, 1, 1, 0, 0, 0)
    return (when.year, when.month, when.day, when.hour, when.minute, when.second // 2 * 2)


def rezip(data: bytes, when: datetime, first: Iterable[str] = (), stored: Iterable[str] = ()) -> bytes:
    """Rewrite a ZIP with fixed metadata. Entries in ``first`` lead (in that
    order); the rest follow in their original order; ``stored`` entries are not
    compressed."""
    stamp = zip_time(when)
    first, stored = list(first), set(stored)
    src = zipfile.ZipFile(io.BytesIO(data))
    names = [n for n in src.namelist()]
    order = [n for n in first if n in names] + [n for n in names if n not in first]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            dst.writestr(info, src.read(name), compresslevel=9 if name not in stored else None)
    return out.getvalue()
