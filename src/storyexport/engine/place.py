"""Place: what lands of the rendered jobs, as their results arrive.

The client alone decides: a job's staged outputs are moved into place and
recorded, unless another source holds the slug (then it writes nothing,
and both are errors); digests go to the state. After the jobs, outputs no
current source produces are removed (so ``dist/`` mirrors ``source/``),
and the files a writer's outputs share are written.
"""

from __future__ import annotations

import contextlib

from ..errors import Diagnostic
from ..writers import RenderContext
from .context import Export
from .manifest import DigestRecord, Manifest, OutputRecord, SourceRecord, digest_file
from .outputs import Outputs
from .plan import SourceKeys
from .render import Done, cannot_write


class Placer:
    """The place phase of one export: ``entries`` becomes the new manifest's
    sources, starting with those the plan skipped."""

    def __init__(self, export: Export, outputs: Outputs, keys: SourceKeys, entries: dict[str, SourceRecord]) -> None:
        self.x, self.out, self.keys, self.entries = export, outputs, keys, entries
        # who holds each slug so far: a source that claims a held slug writes nothing
        # (it must not overwrite the other's files; check_slugs then fails both)
        self.slug_owners = {e.slug: rel for rel, e in entries.items() if e.good}

    def absorb(self, d: Done, old: SourceRecord | None) -> None:
        """Record one finished source and place its outputs."""
        x = self.x
        rel = x.rel(d.path)
        errs = [e for e in d.diagnostics if e.kind == "error"]
        warnings = [e for e in d.diagnostics if e.kind != "error"]
        x.diagnostics.extend(warnings)
        self.out.res.errors.extend(errs)
        x.diagnostics.extend(errs)
        if d.summary is None:
            if not d.draft:
                self.entries[rel] = old.failed() if old else SourceRecord(error=True)
            return
        s = d.summary
        assets = {x.asset_rel(p): h for p, h in s.assets.items()}
        entry = self.entries[rel] = SourceRecord(
            dict(old.outputs) if old else {}, dict(old.digests) if old else {},
            hash=self.keys.key(d.path, list(assets)), slug=s.slug, published=s.published, assets=assets,
            warnings=[(w.path, w.line, w.message, w.category) for w in warnings], folder=s.folder, page=s.page,
            downloads=s.downloads)
        if old and old.good and old.hash != entry.hash and not s.updated:
            x.diagnostics.warn(str(d.path), None, "changed since the last export, but has no updated date and "
                               "no later commit: feed readers will not show the correction (add updated:)",
                               "build.updated")
        if self.slug_owners.setdefault(s.slug, rel) != rel:
            self.out.discard(d)
            return
        for name, staged in d.outputs.items():
            if self.out.place(staged, str(d.path)):
                entry.outputs[name] = OutputRecord(staged.rel, x.keys.writers[name], staged.length,
                                                   x.writers[name].media_type)
            else:
                entry.outputs.pop(name, None)
        for family in x.families:
            if family not in d.digests:
                continue
            file = digest_file(family, rel)
            try:
                x.state_store.write(file, d.digests[family])
                entry.digests[family] = DigestRecord(file, x.keys.digests[family])
            except OSError as e:
                entry.digests.pop(family, None)
                self.out.error(cannot_write(str(d.path), x.state_store.display(file), e))

    def check_slugs(self) -> None:
        """Two sources with one slug would overwrite each other: both are errors."""
        owners: dict[str, list[str]] = {}
        for rel, e in self.entries.items():
            if e.good:
                owners.setdefault(e.slug, []).append(rel)
        for slug, rels in owners.items():
            if len(rels) > 1:
                for rel in rels:
                    others = ", ".join(r for r in rels if r != rel)
                    self.out.error(Diagnostic(self.x.display(rel), None,
                                              f"slug {slug!r} is also used by {others}; not exported", "error"))
                    self.entries[rel] = self.entries[rel].failed()

    def remove_stale(self, old: Manifest) -> None:
        """Remove outputs no current source produces (deleted, renamed,
        re-slugged or now failing sources)."""
        new = self.entries
        keep = {o.path for e in new.values() if e.good for o in e.outputs.values()}
        keep_digests = {d.file for e in new.values() if e.good for d in e.digests.values()}
        for rel in old.stale:  # removals an earlier export could not do
            if rel not in keep:
                self.out.unlink(rel)
        for e in [*old.sources.values(), *(e for e in new.values() if e.error)]:
            for o in e.outputs.values():
                if o.path not in keep:
                    self.out.unlink(o.path)
            for d in e.digests.values():
                if d.file not in keep_digests:  # bookkeeping: not reported
                    with contextlib.suppress(OSError):
                        self.x.state_store.remove(d.file)
        for e in new.values():
            if e.error:
                e.outputs, e.digests = {}, {}

    def shared_files(self, shared: dict[str, list[str]]) -> None:
        """Write the files a writer's outputs share (the HTML theme's CSS and
        fonts), and remove those it shared before but no longer does (another
        theme's fonts): ``shared`` is the manifest's record, updated here."""
        x = self.x
        ctx = RenderContext(x.theme, x.site, x.diagnostics)
        previous = dict(shared)
        for name in x.article_writers:
            files = x.writers[name].shared_files(ctx)
            for rel, data in files.items():
                if x.storage.read(rel) != data:
                    self.out.write(rel, data)
            shared[name] = sorted(files)
        kept = {f for fs in shared.values() for f in fs}
        for name in x.article_writers:
            for rel in set(previous.get(name, ())) - kept:
                self.out.unlink(rel)
