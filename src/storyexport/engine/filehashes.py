"""Content hashes of the machine's files a cache key names (the font files
a writer draws with, the native libraries it runs on), so that a file
replaced under its name, by one of the same size and date even, is another
file, while one merely touched or moved is the same.

Reading them is not free (the two Noto CJK collections are 53 MB, some
50 ms of hashing), so each hash is remembered in the state folder
(``file-hashes.json``) with the file's stat identity (device, inode, size,
modification and change times): an unchanged file is not read again, and
any write to it changes its change time, which no program can set back. A
file changed in the last few seconds is not remembered, as a second write
within the file system's timestamp granularity could leave its stat as it
was. The clock decides only that, never a hash or a key.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import time
from pathlib import Path

from ..storage import atomic_write

MEMO = "file-hashes.json"
SETTLED_NS = 3_000_000_000
"""How long ago a file must have last changed for its hash to be remembered."""

_Entry = tuple[int, int, int, int, int, str]  # dev, inode, size, mtime_ns, ctime_ns, hash


class FileHashes:
    """The hashes of one export's files, from and into a memo file (None:
    this process only)."""

    def __init__(self, memo: Path | None = None, settled_ns: int = SETTLED_NS) -> None:
        self.memo = memo
        self.settled_ns = settled_ns
        self._known = self._load()
        self._used: dict[str, _Entry] = {}  # what this export read and may remember
        self._seen: dict[str, _Entry] = {}  # what it read, settled or not (two writers name one file)

    def _load(self) -> dict[str, _Entry]:
        """The memo, or nothing if it is missing or not what this writes
        (it is only ever a shortcut: a bad one costs a re-read)."""
        if self.memo is None:
            return {}
        try:
            data = json.loads(self.memo.read_bytes())
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {path: (e[0], e[1], e[2], e[3], e[4], e[5]) for path, e in data.items()
                if isinstance(e, list) and len(e) == 6 and all(type(v) is int for v in e[:5])
                and isinstance(e[5], str)}

    def hash(self, path: str) -> str:
        """The SHA-256 of the file's content (a prefix), ``absent`` if there
        is no such file, ``unreadable`` if it cannot be read."""
        try:
            st = os.stat(path)
        except OSError:
            return "absent"
        ident = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        seen = self._seen.get(path)
        if seen is not None and seen[:5] == ident:
            return seen[5]
        known = self._known.get(path)
        if known is not None and known[:5] == ident:
            self._used[path] = self._seen[path] = known
            return known[5]
        try:  # without blocking (a FIFO by that name must not hang the export), a regular file only
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            with os.fdopen(fd, "rb") as f:
                st = os.fstat(f.fileno())
                if not stat.S_ISREG(st.st_mode):
                    return "unreadable"
                digest = hashlib.file_digest(f, "sha256").hexdigest()[:32]
        except OSError:
            return "unreadable"
        ident = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)  # the file that was read
        self._seen[path] = (*ident, digest)
        if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) >= self.settled_ns:
            self._used[path] = self._seen[path]
        return digest

    def save(self) -> None:
        """Keep the hashes this export used, with those the memo held for
        files this export did not use that are still there (an export of
        other formats must not forget the fonts of the PDF), if anything
        changed (a no-op export writes nothing). The memo is a shortcut:
        failing to write it is not an error."""
        if self.memo is None:
            return
        kept = {p: e for p, e in self._known.items() if p not in self._seen and os.path.lexists(p)}
        merged = {**kept, **self._used}
        if merged == self._known:
            return
        data = json.dumps({p: list(e) for p, e in sorted(merged.items())}).encode()
        with contextlib.suppress(OSError):
            atomic_write(self.memo, data, durable=False)
        self._known = merged
