"""Dates as the tools that wrote the sources accept them.

Hugo parses front-matter dates with Go layouts (RFC 3339, RFC 1123, ANSI C,
Ruby's ``Time#to_s``, Go's own ``Time.String()``, bare dates...) and Jekyll
with Ruby's lenient ``Time.parse``, which takes the first date, time and zone
it finds and ignores the rest (``2023-01-29 18:30:22 2023 -0800``). A story
moved from either must keep its date, so this module accepts what they
accept, and refuses anything that would need the clock to fill a gap: a
value without a year, month and day is not a date.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

from dateutil import parser as _dateutil

_STRICT_FORMATS = (
    "%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z",
    "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z",
    "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S.%f %z", "%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y",
)

# Zone abbreviations Go and Ruby print; an abbreviation alone is ambiguous in
# general, so only these well-known ones are honoured.
_ZONES = {
    "UTC": 0, "GMT": 0, "UT": 0, "Z": 0, "WET": 0, "BST": 1, "CET": 1, "WEST": 1, "CEST": 2, "EET": 2,
    "EEST": 3, "MSK": 3, "IST": 5.5, "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9,
    "AKDT": -8, "HST": -10,
}
_TZINFOS = {name: int(hours * 3600) for name, hours in _ZONES.items()}

# Ruby's Time.parse on ISO-like text: the first date, an optional time, and
# the first numeric offset or known zone after it; anything else is ignored.
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_TIME = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?![\d:])")
_OFFSET = re.compile(r"(?:(?<=\d)|(?<=\s)|^)([+-])(\d{2}):?(\d{2})(?!\d)|(?<![A-Za-z])(Z|[A-Z]{2,5})(?![A-Za-z])")
_FRACTION = re.compile(r"(:\d{2})[.,](\d{6})\d+")
_DEFAULTS = (datetime(2000, 1, 1), datetime(2001, 2, 2))


# The years a story's date may have, in UTC: the feeds (feedgen) and EPUB
# (EbookLib) write a year with strftime's %Y, which has no leading zeros, so
# an earlier one would make an invalid date there.
YEARS = (1000, 9999)


def parse_date(value: object) -> datetime | None:
    """A timezone-aware datetime, or None when ``value`` is not a complete
    date or is outside :data:`YEARS` (see :func:`out_of_range`). Values
    without an offset are UTC, as everywhere in storyexport."""
    d = _parse(value)
    return d if d is not None and in_range(d) else None


def out_of_range(value: object) -> bool:
    """Whether ``value`` is a date, but not in :data:`YEARS` once in UTC."""
    d = _parse(value)
    return d is not None and not in_range(d)


def in_range(d: datetime) -> bool:
    """Whether ``d`` is in :data:`YEARS` once in UTC."""
    try:
        return YEARS[0] <= d.astimezone(UTC).year <= YEARS[1]
    except OverflowError:  # 0001-01-01T00:00+05:00 is in the year 0 in UTC
        return False


def _parse(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):  # TOML and JSON-in-YAML dates
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str):
        return None
    s = re.sub(r"\s+", " ", value.strip())
    if not s or len(s) > 80:
        return None
    return _strict(s) or _ruby_like(s) or _lenient(s)


def _strict(s: str) -> datetime | None:
    t = s[:-1] + "+00:00" if s.endswith("Z") else s
    t = re.sub(r"([+-]\d\d):(\d\d)$", r"\1\2", t)  # +01:00 -> +0100 for %z
    t = _FRACTION.sub(r"\1.\2", t)  # Go prints nanoseconds; Python reads microseconds
    for fmt in _STRICT_FORMATS:
        try:
            d = datetime.strptime(t, fmt)
        except ValueError:
            continue
        return d if d.tzinfo else d.replace(tzinfo=UTC)
    return None


def _ruby_like(s: str) -> datetime | None:
    dm = _ISO_DATE.search(s)
    if dm is None:
        return None
    rest = s[dm.end():]
    hour = minute = second = micro = 0
    tm = _TIME.search(rest)
    if tm:
        hour, minute, second = int(tm.group(1)), int(tm.group(2)), int(tm.group(3) or 0)
        micro = int((tm.group(4) or "0")[:6].ljust(6, "0"))
        rest = rest[tm.end():]
    zone = _zone(rest)
    if zone is None and re.search(r"[A-Za-z]", rest):
        return None  # an unknown zone name: Ruby would guess, we refuse
    try:
        return datetime(int(dm.group(1)), int(dm.group(2)), int(dm.group(3)), hour, minute, second, micro,
                        tzinfo=zone if zone is not None else UTC)
    except ValueError:
        return None


def _zone(text: str) -> timezone | None:
    for m in _OFFSET.finditer(text):
        if m.group(1):
            delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
            return timezone(-delta if m.group(1) == "-" else delta)
        name = m.group(4)
        if name in _TZINFOS:
            return timezone(timedelta(seconds=_TZINFOS[name]))
    return None


def _lenient(s: str) -> datetime | None:
    """RFC 1123/822/850, ANSI C, Unix and Ruby date forms, through dateutil;
    accepted only when nothing came from the defaults (no clock, no guess)."""
    if not re.search(r"\d{4}|\b\d{2}\b", s):
        return None
    try:
        a, b = (_dateutil.parse(s, default=d, tzinfos=_TZINFOS) for d in _DEFAULTS)
    except (ValueError, OverflowError):
        return None
    if (a.year, a.month, a.day) != (b.year, b.month, b.day):
        return None  # year, month or day missing: refuse to guess
    return a if a.tzinfo else a.replace(tzinfo=UTC)


_FILE_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-")


def file_name_date(name: str) -> datetime | None:
    """Jekyll's rule: ``YYYY-MM-DD-title.ext`` carries the post's date."""
    m = _FILE_DATE.match(name)
    if not m:
        return None
    try:
        d = datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=UTC)
    except ValueError:
        return None
    return d if in_range(d) else None
