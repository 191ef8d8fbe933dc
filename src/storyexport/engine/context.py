"""What one export is asked to do, and what its phases work with: the
storage, the state, the writers and their keys. Set up once; the phases
(see :mod:`storyexport.engine`) read it and keep their own state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Site
from ..errors import Diagnostics
from ..scheduling import LOCAL
from ..storage import Storage, open_storage
from ..theme import Theme
from ..writers import Writer, load
from .filehashes import MEMO, FileHashes
from .keys import Keys
from .state import state_folder, state_store


@dataclass
class Export:
    root: Path  # the source tree
    out: Path | str  # a folder, or an fsspec URL (s3://bucket/prefix)
    theme: Theme
    site: Site
    writer_names: tuple[str, ...]
    diagnostics: Diagnostics
    jobs: int = 1
    force: bool = False
    strict: bool = False
    progress: Callable[[int, int, str], None] | None = None
    state: Path | None = None  # the local bookkeeping folder (the lock); default: state_folder(out, site)
    scheduler: str = LOCAL  # who runs the jobs (see scheduling.py)
    storage: Storage = field(init=False)  # the outputs
    state_store: Storage = field(init=False)  # manifest and digests: the state folder, or [build] state's URL
    writers: dict[str, Writer] = field(init=False)
    keys: Keys = field(init=False)

    def __post_init__(self) -> None:
        self.storage = open_storage(self.out)
        if self.state is None:
            self.state = state_folder(self.out, self.site)
        self.state_store = state_store(self.out, self.site, self.state)
        self.writers = {n: load(n)(self.theme, self.site) for n in self.writer_names}
        self.article_writers = tuple(n for n, w in self.writers.items() if w.scope == "article")
        self.collection_writers = tuple(n for n, w in self.writers.items() if w.scope == "collection")
        # digest family -> the (first) requested writer that computes it
        self.families: dict[str, str] = {}
        for n in self.collection_writers:
            if fam := self.writers[n].digest_family:
                self.families.setdefault(fam, n)
        self.keys = Keys(self.writers, self.families, self.theme, self.site, self.writer_names,
                         FileHashes(self.state / MEMO))
        self._root = self.root.resolve()
        self._rels: dict[Path, str] = {}

    @property
    def lock_folder(self) -> Path:
        assert self.state is not None  # set in __post_init__
        return self.state

    def rel(self, path: Path) -> str:
        """A source's name in the manifest (its path below the source root),
        resolved once: planning, placing and the feeds ask for every
        source's several times, and resolving walks the file system."""
        rel = self._rels.get(path)
        if rel is None:
            try:
                rel = path.resolve().relative_to(self._root).as_posix()
            except ValueError:
                rel = path.as_posix()
            self._rels[path] = rel
        return rel

    def asset_rel(self, path: str) -> str:
        """An image's name in the manifest: its path below the source root
        (the reader only admits images inside it), so the manifest names no
        folder of the build machine."""
        try:
            return Path(path).relative_to(self._root).as_posix()
        except ValueError:
            return Path(path).resolve().relative_to(self._root).as_posix()

    @property
    def source_root(self) -> Path:
        """The source tree, resolved."""
        return self._root

    def display(self, rel: str) -> str:
        """How a message names a source."""
        return str(self.root / rel)
