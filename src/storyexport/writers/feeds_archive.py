"""RFC 5005 archived feeds: which items go into which feed document, and how
the documents link to each other.

Why fixed pages of the *oldest* items: an archive document must keep the same
entries when new stories arrive (RFC 5005 section 4), so page 1 always holds
the first ``limit`` stories ever published, page 2 the next ``limit``, and so
on; only complete pages are published. The subscription ("current") document
holds every story no archive page holds, so a reader paging back through
``prev-archive`` (or JSON Feed's ``next_url``) meets each story once: that is
at least ``limit`` stories once there are so many (a complete page is archived
only when ``limit`` newer stories remain after it), and fewer than twice as
many. Everything here is pure list arithmetic so it can be tested
without rendering anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

#: The Feed History namespace of RFC 5005 (``fh:archive``).
FH_NS = "http://purl.org/syndication/history/1.0"


@dataclass(frozen=True)
class Page(Generic[T]):
    """One feed document of a logical feed.

    ``links`` are ``(rel, path)`` pairs with paths relative to the output
    folder: ``prev-archive``/``next-archive`` between pages and ``current``
    from an archive page back to the subscription document.
    """

    path: str
    items: tuple[T, ...]  # newest first
    archive: bool
    links: tuple[tuple[str, str], ...]

    def link(self, rel: str) -> str | None:
        return next((p for r, p in self.links if r == rel), None)


def archive_count(total: int, limit: int) -> int:
    """How many complete archive pages a feed of ``total`` items has: every
    complete group of ``limit`` oldest items that still leaves ``limit``
    items for the current document."""
    if limit < 1:
        raise ValueError("feed limit must be positive")
    return max(0, (total - limit) // limit)


def paginate(newest_first: Sequence[T], limit: int, current: str,
             archive_path: Callable[[int], str]) -> list[Page[T]]:
    """The current document followed by archive pages 1..N (oldest first)."""
    pages = archive_count(len(newest_first), limit)
    chronological = list(reversed(newest_first))
    out: list[Page[T]] = [Page(current, tuple(newest_first[:len(newest_first) - pages * limit]), False,
                               (("prev-archive", archive_path(pages)),) if pages else ())]
    for k in range(1, pages + 1):
        group = chronological[(k - 1) * limit: k * limit]
        links = [("current", current)]
        if k > 1:
            links.append(("prev-archive", archive_path(k - 1)))
        # RFC 5005: SHOULD link the next archive when there is one. The newest
        # page's next document in time is the current one: naming it keeps an
        # only archive page from linking nowhere, which validators read as an
        # incomplete archive (W3C: "Archive incomplete").
        links.append(("next-archive", archive_path(k + 1) if k < pages else current))
        out.append(Page(archive_path(k), tuple(reversed(group)), True, tuple(links)))
    return out
