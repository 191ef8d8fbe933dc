"""Where outputs go: a local folder, or any fsspec file system (``s3://``,
``gs://``, ``file://``...).

Why one small interface: the build promises that an output is visible only
complete, whoever renders it. A worker (in the process pool, or on another
machine under Dask) *stages* what it renders and sends back a token; the
client, which alone decides what lands, *commits* it (a rename on a local
disk; a copy from a temporary key in an object store, which has no rename)
or *discards* it. Paths handed to a storage are relative, POSIX, and checked
here, so nothing is ever written outside the output folder or bucket prefix.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import re
import stat
import tempfile
import uuid
from abc import ABC, abstractmethod
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import StoryExportError

TEMP_FOLDER = ".storyexport-tmp"  # in an object store: staged objects, removed once committed


def is_url(out: str | Path) -> bool:
    """Whether ``--out`` names an fsspec URL rather than a local folder."""
    return isinstance(out, str) and re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", out) is not None


def open_storage(out: str | Path) -> Storage:
    """The storage ``--out`` names: a URL through fsspec, else a local folder."""
    return FsspecStorage(str(out)) if is_url(out) else LocalStorage(Path(out))


class Storage(ABC):
    """An output folder (see the module's notes). Picklable: workers get it
    with their jobs."""

    #: the folder on this machine, when there is one (serve and check need it)
    local: Path | None = None

    @abstractmethod
    def display(self, rel: str = "") -> str:
        """How messages name ``rel`` (or the folder itself)."""

    @abstractmethod
    def prepare(self) -> None:
        """Make sure the output folder can be written, or say in one line why not."""

    @abstractmethod
    def stage(self, rel: str, data: bytes) -> str:
        """Write ``data`` completely under a temporary name; return the token
        :meth:`commit` or :meth:`discard` takes."""

    @abstractmethod
    def commit(self, token: str, rel: str) -> None:
        """Make a staged output visible as ``rel``, whole, in one step."""

    @abstractmethod
    def discard(self, token: str) -> None:
        """Forget a staged output (never raises)."""

    def write(self, rel: str, data: bytes, durable: bool = False) -> None:
        """Stage and commit at once: ``rel`` is the old bytes or the new, never
        a mix. ``durable``: on the disk before this returns (the manifest),
        rather than at the next :meth:`sync`."""
        token = self.stage(rel, data)
        try:
            self.commit(token, rel)
        except BaseException:
            self.discard(token)
            raise

    @abstractmethod
    def size(self, rel: str) -> int | None:
        """The output's size, or None when it is missing (or not a file)."""

    @abstractmethod
    def read(self, rel: str) -> bytes | None:
        """The output's bytes, or None when it is missing."""

    @abstractmethod
    def remove(self, rel: str) -> None:
        """Remove an output that is no longer produced (OSError if it cannot be)."""

    @abstractmethod
    def clean_temp(self) -> None:
        """Remove what a killed export staged and never committed."""

    @abstractmethod
    def sync(self) -> None:
        """Make every committed output durable (before the manifest records them)."""


def check_rel(rel: str, where: str) -> str:
    """``rel`` if it is a relative path inside the output folder, else a
    located error (a writer, or data on disk, asked for something else)."""
    p = PurePosixPath(rel)
    if (not rel or p.is_absolute() or "\\" in rel or "\x00" in rel
            or any(part in ("..", ".") for part in rel.split("/")) or not p.parts):
        raise StoryExportError(f"refusing to write outside the output folder: {rel!r}", where)
    return rel


# ------------------------------------------------------------------ local


def safe_target(out: Path, rel: str) -> Path:
    """``out / rel``, refusing anything that would land outside ``out``
    (a link inside ``out`` included)."""
    target, top = (out / rel).resolve(), out.resolve()
    if not target.is_relative_to(top) or target == top:
        raise StoryExportError(f"refusing to write outside the output folder: {rel!r}", str(out))
    return target


def _start_writeback(fd: int) -> None:
    """Ask the kernel to start writing the file's pages to disk now, without
    waiting (Linux starts writeback of dirty pages for ``POSIX_FADV_DONTNEED``).
    The one ``syncfs`` at the end of the export then finds them on their way
    (a 100-article export to PDF, DOCX and EPUB writes 190 MB: its syncfs took
    0.1 s of the run, and takes 6 ms this way)."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None:
        with contextlib.suppress(OSError):
            advise(fd, 0, 0, os.POSIX_FADV_DONTNEED)


def stage(target: Path, data: bytes, durable: bool = False) -> str:
    """Write ``data`` to a new temporary file beside ``target`` and return
    its path; :func:`atomic_write` (or the build, once it has checked the
    article) then moves it over ``target`` in one rename. A failed write
    leaves nothing behind; a killed process may leave the temporary file,
    which the next export removes (:meth:`LocalStorage.clean_temp`)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if durable:
                os.fsync(f.fileno())
            else:
                _start_writeback(f.fileno())
        os.chmod(tmp, 0o644)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def atomic_write(target: Path, data: bytes, durable: bool = True) -> None:
    """Write ``data`` so that ``target`` is either the old or the new file.

    ``durable=False`` skips the per-file ``fsync``: a crash of the process
    still never leaves a partial file (the rename comes after the complete
    write), and the build makes everything durable at once before it writes
    the manifest (:meth:`Storage.sync`)."""
    tmp = stage(target, data, durable)
    try:
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def make_folder(folder: Path, what: str) -> None:
    """Create ``folder`` (and its parents), or say in one line why not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # a file named like the folder, no permission, read-only disk
        why = "is not a folder" if folder.exists() and not folder.is_dir() else f"cannot be used: {e.strerror or e}"
        raise StoryExportError(f"{what} {folder} {why}") from None


def clean_temp_files(folder: Path) -> None:
    """Remove temporary files (:func:`stage`) a killed process left behind."""
    for p in folder.rglob(".*.tmp"):
        with contextlib.suppress(OSError):
            p.unlink()


def sync_filesystem(folder: Path) -> None:
    """Make what was written under ``folder`` durable: ``syncfs`` flushes its
    file system only (``os.sync`` would wait for every mounted one)."""
    libc = ctypes.CDLL(None, use_errno=True)
    syncfs = getattr(libc, "syncfs", None)
    fd = os.open(folder, os.O_RDONLY)
    try:
        if syncfs is None or syncfs(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


def file_size(path: Path) -> int | None:
    """A file's size, or None if it is missing (or not a file)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


class LocalStorage(Storage):
    """A folder on this machine (or one every worker mounts at the same path)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.local = folder

    def display(self, rel: str = "") -> str:
        return str(self.folder / rel) if rel else str(self.folder)

    def prepare(self) -> None:
        make_folder(self.folder, "output folder")

    def stage(self, rel: str, data: bytes) -> str:
        return stage(safe_target(self.folder, rel), data)

    def commit(self, token: str, rel: str) -> None:
        os.replace(token, safe_target(self.folder, rel))

    def write(self, rel: str, data: bytes, durable: bool = False) -> None:
        atomic_write(safe_target(self.folder, rel), data, durable)

    def discard(self, token: str) -> None:
        with contextlib.suppress(OSError):
            os.unlink(token)

    def size(self, rel: str) -> int | None:
        return file_size(self.folder / rel)

    def read(self, rel: str) -> bytes | None:
        target = safe_target(self.folder, rel)
        return target.read_bytes() if target.is_file() else None

    def remove(self, rel: str) -> None:
        """Remove ``rel`` and the folders it leaves empty (``archive/``,
        ``media/images/``), up to the output folder."""
        target = safe_target(self.folder, rel)
        if not target.is_file():
            return
        target.unlink()
        top = self.folder.resolve()
        for folder in target.parents:
            if folder == top or not folder.is_relative_to(top):
                break
            try:
                folder.rmdir()
            except OSError:  # not empty
                break

    def clean_temp(self) -> None:
        clean_temp_files(self.folder)

    def sync(self) -> None:
        sync_filesystem(self.folder)

    def device(self) -> int:
        return self.folder.stat().st_dev


# ----------------------------------------------------------------- fsspec


class FsspecStorage(Storage):
    """Any fsspec file system, named by URL. Objects are staged under
    ``.storyexport-tmp/`` beside the outputs and copied into place when
    committed (an object store has no rename; the copy appears whole), so a
    reader of the bucket never sees part of an output. Credentials and
    endpoints come from fsspec's own configuration (for S3, the AWS
    environment variables, or ``FSSPEC_S3_ENDPOINT_URL`` for an S3-compatible
    server): storyexport keeps none."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self._fs: Any = None
        self._root = ""
        self._sizes: dict[str, int] | None = None  # one listing per run, kept up to date

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url}  # each process opens the file system itself

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["url"])  # type: ignore[misc]

    @property
    def fs(self) -> Any:
        """The file system, opened on first use (in each process: it does not
        pickle); opening it also finds the root every key is under."""
        if self._fs is None:
            try:
                import fsspec
                # a local file system creates folders when asked to write in them, as an object store does
                local = fsspec.utils.get_protocol(self.url) in ("file", "local")
                self._fs, self._root = fsspec.core.url_to_fs(self.url, **({"auto_mkdir": True} if local else {}))
            except ImportError as e:
                raise StoryExportError(f"output {self.url}: needs fsspec and the file system's package "
                                       f"(pip install 'storyexport[dask]'): {e}") from None
            except ValueError as e:  # an unknown protocol
                raise StoryExportError(f"output {self.url}: {e}") from None
            self._root = self._root.rstrip("/")
        return self._fs

    @property
    def root(self) -> str:
        """The key prefix of the output folder (known once the file system is open)."""
        if self._fs is None:
            _ = self.fs
        return self._root

    def _key(self, rel: str) -> str:
        return f"{self.root}/{check_rel(rel, self.url)}"

    def display(self, rel: str = "") -> str:
        return f"{self.url}/{rel}" if rel else self.url

    def prepare(self) -> None:
        try:
            self.fs.makedirs(self.root, exist_ok=True)
        except OSError as e:
            raise StoryExportError(f"output {self.url} cannot be used: {e}") from None

    def stage(self, rel: str, data: bytes) -> str:
        name = hashlib.sha256(rel.encode("utf-8", "surrogateescape")).hexdigest()[:16]
        token = self._key(f"{TEMP_FOLDER}/{uuid.uuid4().hex}-{name}")
        self.fs.pipe_file(token, data)
        return token

    def commit(self, token: str, rel: str) -> None:
        key = self._key(rel)
        self.fs.mv(token, key)
        if self._sizes is not None:
            self._sizes[rel] = self.fs.size(key)

    def discard(self, token: str) -> None:
        with contextlib.suppress(Exception):
            self.fs.rm_file(token)

    def _listing(self) -> dict[str, int]:
        """Every output's size from one listing (an object store answers one
        request per thousand keys, not one per output)."""
        if self._sizes is None:
            prefix = self.root + "/"
            try:
                found = self.fs.find(self.root, detail=True)
            except FileNotFoundError:
                found = {}
            self._sizes = {k[len(prefix):]: int(v.get("size") or 0) for k, v in found.items()
                           if k.startswith(prefix) and v.get("type") != "directory"
                           and not k[len(prefix):].startswith(TEMP_FOLDER + "/")}
        return self._sizes

    def size(self, rel: str) -> int | None:
        return self._listing().get(check_rel(rel, self.url))

    def read(self, rel: str) -> bytes | None:
        if self.size(rel) is None:
            return None
        data: bytes = self.fs.cat_file(self._key(rel))
        return data

    def remove(self, rel: str) -> None:
        key = self._key(rel)
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(key)
        if self._sizes is not None:
            self._sizes.pop(rel, None)

    def clean_temp(self) -> None:
        key = self._key(TEMP_FOLDER)
        with contextlib.suppress(FileNotFoundError):
            if self.fs.exists(key):
                self.fs.rm(key, recursive=True)

    def sync(self) -> None:
        """Nothing to do: a write returned only once the object was stored."""
