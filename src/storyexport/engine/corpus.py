"""The corpus as collection writers and editions see it: articles parsed on
demand, digests read on demand, each through a small bounded cache, so
that a feed over a large archive holds no story's text beyond the page
being written."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ..config import Site
from ..errors import Diagnostic, Diagnostics, StoryExportError
from ..model import Article
from ..readers import read_source
from ..storage import Storage

T = TypeVar("T")


class _OnDemand(Sequence[T]):
    """A sequence whose items are made when asked for, a few kept."""

    def __init__(self, count: int, cache: int) -> None:
        self._count = count
        self._cache: dict[int, T] = {}
        self._limit = cache

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, i: int) -> T:  # type: ignore[override]
        if isinstance(i, slice):
            raise TypeError(f"{type(self).__name__} does not support slices; iterate instead")
        if i < 0:
            i += self._count
        item = self._cache.get(i)
        if item is None:
            item = self._make(i)
            if len(self._cache) >= self._limit:
                self._cache.pop(next(iter(self._cache)))
            self._cache[i] = item
        return item

    def _make(self, i: int) -> T:
        raise NotImplementedError


class DigestStore(_OnDemand[Mapping[str, Any]]):
    """The corpus's digests for one family, read from the state on demand."""

    def __init__(self, store: Storage, files: Sequence[str], cache: int = 64) -> None:
        super().__init__(len(files), cache)
        self.store = store
        self.files = list(files)

    def _make(self, i: int) -> Mapping[str, Any]:
        return self._load(self.files[i])

    def discard(self, i: int, why: str) -> Diagnostic:
        """Remove digest ``i``, which its writer could not use: the next
        export computes it again. The error names the file."""
        with contextlib.suppress(OSError):
            self.store.remove(self.files[i])
        return Diagnostic(self.store.display(self.files[i]), None, f"{why}; damaged cache file removed: the next "
                                                                   "export computes it again", "error")

    def _load(self, file: str) -> Mapping[str, Any]:
        """One digest; a damaged one is removed (so the next export computes
        it again) and reported as an error, not a traceback."""
        try:
            d = json.loads(self.store.read(file) or b"")
        except (OSError, ValueError):
            d = None
        if not isinstance(d, dict):
            with contextlib.suppress(OSError):
                self.store.remove(file)
            raise StoryExportError("damaged cache file, removed: the next export computes it again",
                                   self.store.display(file))
        return d


class LazyArticles(_OnDemand[Article]):
    """The corpus for collection writers, parsed on demand."""

    def __init__(self, paths: Sequence[Path], root: Path, site: Site, cache: int = 256) -> None:
        super().__init__(len(paths), cache)
        self.paths = list(paths)
        self.root, self.site = root, site

    def _make(self, i: int) -> Article:
        a = read_source(self.paths[i], self.root, self.site, Diagnostics())
        assert a is not None  # it was read successfully moments ago
        return a
