"""Scan and plan: which sources must be read and which writers run for
each, against the last export's manifest.

A source is read again when the manifest does not know it as it is now
(new, changed, one of its images changed, it failed, or ``--strict`` and
it warned last time): collections need its entry. Otherwise only the
writers whose output is missing, truncated or keyed differently run, and
a source with none is skipped.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..corrections import corrected_dates
from ..errors import category_matches
from ..readers import is_source, layout
from ..safeio import read_regular_file
from .context import Export
from .manifest import Manifest, SourceRecord
from .render import Job


def find_sources(paths: Sequence[Path], root: Path) -> list[Path]:
    """Source files under ``paths`` (files or folders), sorted for stable output."""
    return layout.scan(paths, is_source).sources


class SourceKeys:
    """Hashes of sources and the images they use, for one export: an image
    shared by many articles is read once."""

    def __init__(self, root: Path) -> None:
        self.root = root  # resolved
        self._assets: dict[str, str] = {}

    def key(self, path: Path, assets: Sequence[str]) -> str:
        """Hash of a source and the current content of the images it uses
        (named relative to the source root); "" if the source is unreadable."""
        h = hashlib.sha256()
        try:
            h.update(path.read_bytes())
            for apath in sorted(assets):
                digest = self._assets.get(apath)
                if digest is None:
                    try:
                        digest = hashlib.sha256(read_regular_file(self.root / apath)).hexdigest()
                    except OSError:
                        digest = "absent"  # a watched image that is missing or unusable, or one gone since
                    self._assets[apath] = digest
                h.update(os.fsencode(f"{apath}={digest}"))
        except OSError:
            return ""
        return h.hexdigest()


@dataclass
class Plan:
    jobs: list[Job] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # sources whose every output is current


def _fresh(export: Export, entry: SourceRecord | None, name: str) -> bool:
    """Whether an up-to-date source's output for writer ``name`` is current."""
    out = entry.outputs.get(name) if entry else None
    return (entry is not None and out is not None and out.key == export.keys.writers[name]
            and out.path == export.writers[name].output_name(entry.slug, entry.place)
            and export.storage.size(out.path) == out.length)  # missing or truncated: rebuilt


def _digest_fresh(export: Export, entry: SourceRecord | None, family: str) -> bool:
    d = entry.digests.get(family) if entry else None
    return d is not None and d.key == export.keys.digests[family] and export.state_store.size(d.file) is not None


def plan(export: Export, sources: Sequence[Path], manifest: Manifest, keys: SourceKeys) -> Plan:
    """The jobs for ``sources``, in their order, and the sources skipped."""
    out = Plan()
    force = export.force
    for path in sources:
        rel = export.rel(path)
        entry = manifest.sources.get(rel)
        # --strict: a source that warned last time must fail now, not be skipped
        stale = (entry is None or entry.error
                 or (export.strict and any(not category_matches(w[3], export.site.suppress_warnings)
                                           for w in entry.warnings))
                 or entry.hash != keys.key(path, list(entry.assets)))
        todo = tuple(n for n in export.article_writers if force or stale or not _fresh(export, entry, n))
        digests = tuple((f, n) for f, n in export.families.items()
                        if force or stale or not _digest_fresh(export, entry, f))
        if todo or digests or force or stale:
            out.jobs.append(Job(path, export.root, export.storage, todo, export.strict, digests))
        else:
            out.skipped.append(rel)
    if out.jobs:
        dates = corrected_dates(export.root)
        for job in out.jobs:
            job.corrected = dates.get(job.path.resolve())
    return out
