"""Collections: feeds and other collection writers, rendered after the
articles are placed (they link to the per-article outputs, enclosures), and
only when an input changed: the corpus (every good source's hash), the
per-article outputs they link to (paths, types and sizes) or the writer's
environment key. A writer with a digest family renders from the digests
(:class:`DigestStore`), one without from the articles (:class:`LazyArticles`).
Files a writer yields as :class:`Keyed` are kept when their key is the one
recorded last time and the file is still whole.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import Diagnostic, DigestError, StoryExportError, WriterError
from ..writers import Collection, Keyed, OutputInfo, RenderContext, Shared, Siblings
from .context import Export
from .corpus import DigestStore, LazyArticles
from .manifest import CollectionRecord, SourceRecord
from .outputs import Outputs


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:16]


class Collections:
    """The collection phase of one export."""

    def __init__(self, export: Export, out: Outputs, sources: Sequence[Path], entries: Mapping[str, SourceRecord],
                 records: dict[str, CollectionRecord]) -> None:
        self.x, self.out, self.records = export, out, records
        rel = export.rel
        self.good = [p for p in sources if (e := entries.get(rel(p))) and e.good]
        self.corpus = _hash("".join(f"{rel(p)}={entries[rel(p)].hash};" for p in self.good))
        self.outputs = {e.slug: {n: OutputInfo(o.path, o.media_type, o.length) for n, o in e.outputs.items()}
                        for e in entries.values() if e.good}
        # feeds link to per-article files (enclosures): their set and sizes are inputs too
        self.linked = _hash(json.dumps({slug: {n: [o.path, o.media_type, o.length] for n, o in v.items()}
                                        for slug, v in self.outputs.items()}, sort_keys=True))
        self.digests = {f: DigestStore(export.state_store, [d.file for p in self.good
                                                            if (d := entries[rel(p)].digests.get(f))])
                        for f in export.families}
        self.ctx = RenderContext(export.theme, export.site, export.diagnostics, source_root=export.root,
                                 formats=export.writer_names)
        self.siblings = Siblings(self.outputs, export.writer_names)
        self.shared = Shared()  # values the writers compute once and share (the feed items)
        self.articles = LazyArticles(self.good, export.root, export.site)
        self.written: dict[str, bytes] = {}  # path -> hash of what this phase wrote there

    def run(self) -> None:
        broken: set[str] = set()  # digest families with a damaged digest: one error, not one per writer
        for name in self.x.collection_writers:
            family = self.x.writers[name].digest_family
            if family in broken:
                continue  # not recorded: the next export renders it
            try:
                self.render(name)
            except StoryExportError as e:
                d = e.diagnostic()
                if isinstance(e, DigestError) and family:
                    d = self.digests[family].discard(e.index, e.message)
                    broken.add(family)
                self.out.error(Diagnostic(d.path, d.line, f"{name}: {d.message}", "error"))

    def render(self, name: str) -> None:
        """Render one collection writer if an input changed; record it when
        every file was written."""
        x, res = self.x, self.out.res
        env = x.keys.writers[name]
        key = f"{env}-{self.corpus}-{self.linked}"
        prev = self.records.get(name)
        if (not x.force and prev is not None and prev.key == key
                and all(x.storage.size(f) for f in prev.files)):  # none missing or emptied
            res.skipped.append(name)
            return
        # files of the last export, made by this same code, theme and site, still whole:
        # the writer may keep them (Keyed) rather than make them again
        same_env = not x.force and prev is not None and prev.key.startswith(env + "-")
        previous = {f: k for f, k in (prev.keys if prev else {}).items() if same_env and x.storage.size(f)}
        collection = Collection(self.siblings, previous, self.shared)
        files: list[str] = []
        keys: dict[str, str] = {}
        ok = True
        w = x.writers[name]
        made = (w.render_digests(self.digests[w.digest_family], self.ctx, collection) if w.digest_family
                else w.render_collection(self.articles, self.ctx, collection))
        # written one by one as the writer yields them: a large archive is never all in memory
        for rel, value in (made.items() if isinstance(made, Mapping) else made):
            data: bytes | None
            if isinstance(value, Keyed):
                keys[rel], data = value.key, value.data
                if data is None and previous.get(rel) != value.key:
                    raise WriterError(f"kept {rel} as it was, but it was not made from the same "
                                      "inputs (a bug in the writer)")
            else:
                data = value
            if data is not None:
                digest = hashlib.sha256(data).digest()
                if self.written.get(rel) != digest:  # another writer just wrote it (feed media): written once
                    ok = self.out.write(rel, data) and ok
                    self.written[rel] = digest
            files.append(rel)
        if not ok:
            return  # not recorded: the next export retries
        for rel in set(prev.files if prev else ()) - set(files) - set(res.written):  # not another feed's
            self.out.unlink(rel)
        self.records[name] = CollectionRecord(key, sorted(files), keys)
