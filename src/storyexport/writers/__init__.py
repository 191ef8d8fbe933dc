"""Writers: pure functions from the model (plus theme and site) to bytes.

A writer is a small class that declares what it produces (``name``,
``extension``, ``media_type``, ``scope``, ``version``) and renders bytes; it
never opens a source path nor writes a file, so the build engine can cache,
parallelise and write atomically. Writers are discovered through the
``storyexport.writers`` entry-point group, the built-in ones included, so a
third-party package adds a format without touching storyexport.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, ClassVar, Literal

from ..config import Site
from ..errors import Diagnostics, UsageError
from ..model import Article, Asset
from ..presentation import Presented, present
from ..safeio import read_regular_file
from ..theme import Theme
from ..urls import Place
from .collection import Collection, Download, Shared, SharedKey, Siblings

__all__ = ["Collection", "Download", "Keyed", "OutputInfo", "RenderContext", "Shared", "SharedKey", "Siblings",
           "Writer", "available", "load"]

GROUP = "storyexport.writers"


@dataclass(frozen=True)
class OutputInfo:
    """A file the build has written: feeds use it for enclosures."""

    path: str  # relative to the output folder, with forward slashes
    media_type: str
    length: int


@dataclass(frozen=True)
class Keyed:
    """A collection output with the key of everything it was made from. The
    build records the key; at the next export it offers it back in
    :attr:`Collection.previous`, and a writer whose file would come out
    the same yields ``Keyed(key, None)`` instead of making it again (an
    archive of thousands of stories where one changed rewrites a few feed
    documents, not all of them)."""

    key: str
    data: bytes | None  # None: unchanged since the export that recorded ``key``


@dataclass
class RenderContext:
    """Everything a writer may use besides the article. Effects come in here
    (diagnostics, file reads of vetted assets), never from globals."""

    theme: Theme
    site: Site
    diagnostics: Diagnostics
    # the source tree, when known: files named by cached digests are read only
    # from inside it (a digest is data on disk, not a vetted model)
    source_root: Path | None = None
    # the writers of this build, by name: a page links the feeds and
    # downloads the build makes (found through the registry, never by name)
    formats: tuple[str, ...] = ()

    def asset_bytes(self, asset: Asset) -> bytes:
        """Bytes of an image the reader already vetted (inside the source tree)."""
        return self.file_bytes(asset.path)

    def file_bytes(self, path: str) -> bytes:
        """Bytes of an asset file, refused (``OSError``) outside the source tree."""
        real = Path(path).resolve()
        if self.source_root is not None and (not real.is_relative_to(self.source_root.resolve())
                                             or not real.is_file()):
            raise PermissionError(f"not a file inside the source tree: {path}")
        return read_regular_file(real)

    def warn(self, article: Article | None, message: str, category: str) -> None:
        self.diagnostics.warn(article.source_path if article else "storyexport", None, message, category)


class Writer:
    """Base class for writers. Subclasses set the class attributes and
    implement :meth:`render` (per article) or :meth:`render_collection`."""

    name: ClassVar[str]
    extension: ClassVar[str]
    media_type: ClassVar[str]
    scope: ClassVar[Literal["article", "collection"]] = "article"
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    # A collection writer that sets this works from per-article *digests*
    # (see :meth:`digest`) rather than from the articles: the build computes
    # each digest in the pool while the article is parsed anyway, keeps it on
    # disk, and recomputes it only when the article changes. Writers naming the
    # same family (RSS, Atom and JSON Feed) share one digest per article.
    digest_family: ClassVar[str] = ""
    # The per-article writer whose output is the story's web page (placed as
    # [site] permalink says; the others are its downloads, beside it).
    page: ClassVar[bool] = False
    # A collection writer's subscription document (``feed.xml``): pages
    # advertise it (rel=alternate), per tag too (``tags/<tag>/feed.xml``).
    subscription: ClassVar[str] = ""
    # Whether the output links to the other formats of the same build (feed
    # autodiscovery, downloads): the build then keys it by that set too.
    links_formats: ClassVar[bool] = False
    label: ClassVar[str] = ""  # what a page calls the format ("PDF", "Atom"); default: the extension
    # The distributions (as pip names them) whose code decides this writer's
    # bytes: their installed versions are part of its outputs' cache key, so
    # upgrading one makes those outputs again.
    libraries: ClassVar[tuple[str, ...]] = ()
    # The shared libraries (by soname, as the dynamic loader names them:
    # ``libpango-1.0.so.0``) whose code decides this writer's bytes: the
    # content of the file the loader would load for each (or its absence)
    # is part of the cache key, so a new build of one makes those outputs again.
    native_libraries: ClassVar[tuple[str, ...]] = ()
    # A per-article writer whose file feeds attach to the story's item
    # (an enclosure): the higher, the more preferred; 0: not attached.
    enclosure: ClassVar[int] = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.label and hasattr(cls, "extension"):
            cls.label = cls.extension.upper()

    def __init__(self, theme: Theme, site: Site) -> None:
        self.theme = theme
        self.site = site

    def output_name(self, slug: str, place: Place | None = None) -> str:
        """Where a per-article output goes, relative to the output folder
        (see :mod:`storyexport.urls`): the web page (``page``) at the story's
        page, any other format as a download named by the slug."""
        if place is None:
            return f"{slug}.{self.extension}"
        return place.page_path if self.page else f"{place.downloads}{slug}.{self.extension}"

    def fonts(self) -> tuple[tuple[str, int], ...]:
        """The font faces this writer draws with besides the theme's own
        (found on this machine, such as the CJK faces a theme names), each
        as (file, index in the file): their content is part of its outputs'
        cache key, so that installing, removing or replacing one makes those
        outputs again."""
        return ()

    def render(self, article: Article, ctx: RenderContext) -> bytes:
        raise NotImplementedError

    def shared_files(self, ctx: RenderContext) -> dict[str, bytes]:
        """Files shared by all of this writer's outputs (e.g. a style sheet)."""
        return {}

    def render_collection(self, articles: Sequence[Article], ctx: RenderContext,
                          collection: Collection | None = None
                          ) -> Mapping[str, bytes] | Iterable[tuple[str, bytes | Keyed]]:
        """For ``scope = "collection"``: (relative path, bytes) pairs, as a
        mapping or, better for large archives, a generator the build engine
        writes file by file (a :class:`Keyed` value lets the build skip an
        unchanged file). ``collection``: the export around it (none: no
        sibling files, nothing from a previous export). A writer with a
        ``digest_family`` gets this for free: it digests each article, then
        renders the digests (every file made, as bytes)."""
        if not self.digest_family:
            raise NotImplementedError
        # these digests are this call's own: nothing from a previous export,
        # and no value another call shared (made from other digests)
        fresh = Collection((collection or Collection()).siblings)
        made = self.render_digests([self.digest(a, ctx) for a in articles], ctx, fresh)
        pairs = made.items() if isinstance(made, Mapping) else made
        return ((path, v.data if isinstance(v, Keyed) and v.data is not None else v) for path, v in pairs)

    def digest(self, article: Article, ctx: RenderContext) -> dict[str, Any]:
        """What this collection writer needs of one article, as JSON-ready
        data: computed once per changed article, kept between builds."""
        raise NotImplementedError

    def render_digests(self, digests: Sequence[Mapping[str, Any]], ctx: RenderContext, collection: Collection
                       ) -> Mapping[str, bytes] | Iterable[tuple[str, bytes | Keyed]]:
        """Like :meth:`render_collection`, from the articles' digests (loaded
        on demand: do not hold them all)."""
        raise NotImplementedError


@cache
def _installed() -> tuple[tuple[str, EntryPoint], ...]:
    # Discovery reads every installed distribution's metadata (milliseconds):
    # done once per process, as the readers' is, since the build, the feeds
    # and the pages look writers up per story.
    return tuple((ep.name, ep) for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name))


def available() -> dict[str, object]:
    """Installed writers by name, not yet imported (entry points load lazily);
    a package installed while a process runs is seen by the next one."""
    return dict(_installed())


def load(name: str) -> type[Writer]:
    eps = available()
    if name not in eps:
        raise UsageError(f"unknown format {name!r} (known: {', '.join(eps) or 'none'})")
    try:
        cls = eps[name].load()  # type: ignore[attr-defined]
    except Exception as e:  # a broken plugin must not take the CLI down with a traceback
        raise UsageError(f"writer {name!r} could not be loaded: {type(e).__name__}: {e}") from None
    if not (isinstance(cls, type) and issubclass(cls, Writer)):
        raise UsageError(f"writer {name!r} does not provide a storyexport.writers.Writer subclass")
    return cls


def present_story(article: Article, ctx: RenderContext, id_prefix: str = "") -> Presented:
    """The story as every format shows it (:mod:`storyexport.presentation`),
    with what the presentation could not keep reported through ``ctx``
    (each writer reports it; the diagnostics keep one of each)."""
    story = present(article, id_prefix)
    for category, message in story.warnings:
        ctx.warn(article, message, category)
    return story
