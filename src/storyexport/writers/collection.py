"""What a collection writer (feeds, the site) is given besides the corpus.

A per-article writer sees one article; a collection writer sees the whole
export, and three things about it that a per-article writer must not:

* :class:`Siblings`: the files the per-article writers of this export made,
  found through the writer registry by what each writer declares (a page, a
  download, an enclosure), never by a format's name;
* its own ``previous`` files: what it made at the last export, with their
  keys, so an unchanged archive page is kept rather than made again;
* :class:`Shared`: values the writers of one export compute once and share
  (the feed items RSS, Atom, JSON Feed and the site all list), under typed
  keys rather than a memo keyed by object identity.

Each collection writer gets a :class:`Collection` of its own; nothing in it
is changed while another writer runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar, cast

if TYPE_CHECKING:
    from . import OutputInfo

T = TypeVar("T")


@dataclass(frozen=True)
class Download:
    """A story's file other than its page, as a page offers it."""

    label: str  # what the page calls the format ("PDF")
    path: str
    media_type: str
    length: int


@dataclass(frozen=True)
class Siblings:
    """The per-article outputs of this export: slug -> writer name -> file,
    and the export's writers in their order (``formats``)."""

    outputs: Mapping[str, Mapping[str, OutputInfo]] = field(default_factory=dict)
    formats: tuple[str, ...] = ()

    def of(self, slug: str) -> Mapping[str, OutputInfo]:
        return self.outputs.get(slug, {})

    def downloads(self, slug: str) -> tuple[Download, ...]:
        """The story's files other than its page, in the export's order of
        formats: every per-article writer that is not the page."""
        from . import load

        mine = self.of(slug)
        return tuple(Download(cls.label, o.path, o.media_type, o.length)
                     for name in self.formats if (o := mine.get(name)) is not None
                     and (cls := load(name)).scope == "article" and not cls.page)

    def enclosures(self, slug: str) -> tuple[OutputInfo, ...]:
        """The story's files a feed attaches, least preferred first (RSS
        keeps one, the last): per-article writers with an ``enclosure``
        rank, lowest rank first."""
        from . import load

        mine = self.of(slug)
        ranked = sorted((cls.enclosure, name) for name in mine if (cls := load(name)).enclosure > 0)
        return tuple(mine[name] for _, name in ranked)

    def paths(self) -> Iterator[str]:
        """Every file the per-article writers made (taken: a redirect page
        may not go there)."""
        return (o.path for outs in self.outputs.values() for o in outs.values())


class SharedKey(Generic[T]):
    """A typed name for a value the writers of one export share."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"SharedKey({self.name!r})"


class Shared:
    """Values computed once per export by whichever writer needs one first."""

    def __init__(self) -> None:
        self._values: dict[SharedKey[object], object] = {}

    def get(self, key: SharedKey[T], make: Callable[[], T]) -> T:
        if key not in self._values:
            self._values[cast("SharedKey[object]", key)] = make()
        return cast(T, self._values[cast("SharedKey[object]", key)])


@dataclass(frozen=True)
class Collection:
    """One collection writer's view of an export (see the module's text)."""

    siblings: Siblings = field(default_factory=Siblings)
    # this writer's files of the last export (path -> key, see Keyed) that
    # are still whole and were made by the same code, theme and site
    previous: Mapping[str, str] = field(default_factory=dict)
    shared: Shared = field(default_factory=Shared)
