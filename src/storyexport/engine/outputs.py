"""The one way the phases change the output folder, each change reported
in the export's result: a whole write, a staged output moved into place,
a removal. A failure (full disk, permissions, a read-only folder) is a
located error that leaves no partial file, and the other outputs go on."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import Diagnostic, Diagnostics
from ..storage import Storage
from .render import Done, Staged, cannot_write


@dataclass
class BuildResult:
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    articles: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


class Outputs:
    """The output folder during one export."""

    def __init__(self, storage: Storage, diagnostics: Diagnostics, res: BuildResult) -> None:
        self.storage = storage
        self.diagnostics = diagnostics
        self.res = res
        self.undeleted: set[str] = set()  # stale outputs a removal failed for: retried next export

    def error(self, d: Diagnostic) -> None:
        self.res.errors.append(d)
        self.diagnostics.add(d)

    def write(self, rel: str, data: bytes, source: str = "") -> bool:
        """Write one output atomically."""
        try:
            self.storage.write(rel, data)
        except OSError as e:
            self.error(cannot_write(source or self.storage.display(rel), self.storage.display(rel), e))
            return False
        self.res.written.append(rel)
        return True

    def place(self, staged: Staged, source: str) -> bool:
        """Move a staged output over its target (one rename: the target is
        the old file or the new one, never a mix)."""
        try:
            self.storage.commit(staged.tmp, staged.rel)
        except OSError as e:
            self.storage.discard(staged.tmp)
            self.error(cannot_write(source, self.storage.display(staged.rel), e))
            return False
        self.res.written.append(staged.rel)
        return True

    def discard(self, d: Done) -> None:
        """Remove what a job staged that may not land."""
        for staged in d.outputs.values():
            self.storage.discard(staged.tmp)

    def unlink(self, rel: str) -> None:
        """Remove an output no longer produced, and the folders it leaves
        empty (``archive/``, ``media/images/``), up to the output folder."""
        if self.storage.size(rel) is None:
            return
        try:
            self.storage.remove(rel)
        except OSError as e:  # read-only folder: reported, the next export retries
            where = self.storage.display(rel)
            self.undeleted.add(rel)
            self.error(Diagnostic(where, None, f"cannot remove stale {where}: {e.strerror or e}", "error"))
            return
        if rel in self.res.written:  # written moments ago, then found stale: not an output
            self.res.written.remove(rel)
        else:
            self.res.removed.append(rel)
