"""Where the build keeps its bookkeeping (manifest, digests, lock), never
inside the output folder, so that the output folder can be published as it
is; and the lock that keeps two exports from writing one folder at once."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from ..config import Site
from ..errors import StoryExportError
from ..storage import FsspecStorage, LocalStorage, Storage, is_url, make_folder, safe_target

STATE = ".storyexport"  # the build's bookkeeping, beside the output folder (see state_folder)
LOCK = "lock"
# where earlier versions kept the bookkeeping, inside the output folder: read once, then removed
LEGACY_MANIFEST, LEGACY_CACHE, LEGACY_LOCK = ".storyexport-manifest.json", ".storyexport-cache", ".storyexport.lock"


def _state_name(out: Path | str) -> str:
    """The subfolder of the state that belongs to the output ``out``."""
    if is_url(out):
        url = str(out)
        return f"{re.sub(r'[^A-Za-z0-9._-]+', '_', url).strip('_')[:80]}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"
    out = Path(out)
    return (out if out.name else out.absolute()).name or "out"


def state_folder(out: Path | str, site: Site) -> Path:
    """Where the build keeps its bookkeeping for the output folder ``out``
    (manifest, digest cache, lock): never inside ``out``. ``[build] state``
    names the folder (default ``.storyexport`` beside the output folder, i.e.
    beside ``storyexport.toml`` for the default ``dist``); each output folder
    has its own subfolder. An output URL (``s3://bucket/prefix``) keeps its
    state in ``.storyexport`` here; a state URL keeps only the lock here
    (see :func:`state_store`)."""
    if is_url(out) or is_url(site.state):
        return Path(site.state if site.state and not is_url(site.state) else STATE) / _state_name(out)
    out = Path(out)
    named = out if out.name else out.absolute()  # "dist" stays relative; "." is named by its path
    top = Path(site.state) if site.state else named.parent / STATE
    state = top / _state_name(out)
    if state.absolute().resolve().is_relative_to(out.absolute().resolve()):
        raise StoryExportError(f"the state folder {state} must not be inside the output folder {out}",
                               site.config_path)
    return state


def state_store(out: Path | str, site: Site, folder: Path) -> Storage:
    """Where the manifest and the feeds' digests live: the local state
    folder, or the storage ``[build] state`` names by URL (beside outputs
    in a bucket, say, so that any machine can continue the archive's
    incremental exports). The lock is always local: object stores have none."""
    if is_url(site.state):
        return FsspecStorage(f"{site.state.rstrip('/')}/{_state_name(out)}")
    return LocalStorage(folder)


@contextlib.contextmanager
def locked(state: Path, wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on the state folder (so on its output folder)
    for the whole export."""
    make_folder(state, "state folder")
    try:
        f = open(state / LOCK, "a+b")  # noqa: SIM115 (closed by the with below)
    except OSError as e:
        raise StoryExportError(f"state folder {state} cannot be used: {e.strerror or e}") from None
    with f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if wait:
                wait()
            fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def legacy_manifest(storage: Storage) -> Path | None:
    """The manifest an earlier version kept in a local output folder."""
    return storage.local / LEGACY_MANIFEST if storage.local else None


def remove_legacy(storage: Storage) -> None:
    """Remove the bookkeeping earlier versions kept in the output folder,
    which would otherwise be published with it."""
    if storage.local is None:
        return
    for name in (LEGACY_MANIFEST, LEGACY_LOCK):
        with contextlib.suppress(OSError):
            safe_target(storage.local, name).unlink()
    cache = storage.local / LEGACY_CACHE
    if cache.is_dir() and not cache.is_symlink():
        shutil.rmtree(cache, ignore_errors=True)
