"""Configured editions during an export, made again only when needed.

Called by the build engine once the stories are written. Each
``[[editions]]`` table is keyed twice, the way the engine keys its
collection writers: by everything it could depend on (every story's source
hash, storyexport's code, the theme's fingerprint, the site settings, the
shims in use, its own table and formats), and, when that changed, by what
it does depend on (the same, with only the stories it selects). An edition
whose first key is unchanged is not even selected again; one whose stories
are the same (a story outside its window changed) is not rendered again. So
an edition is made again only when one of its stories, the theme or its
configuration changes. The record (``editions.json`` in the state folder)
is data on disk: a part of the wrong shape is dropped, and no path in it is
followed except the very names this module gives an edition's files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__, compat
from ..engine.corpus import LazyArticles
from ..engine.keys import code_fingerprint
from ..errors import Diagnostic, StoryExportError
from . import output_name, render
from .command import empty_warning
from .selection import _SLUG, FORMATS, Edition, EditionSpec, formats_for, select

if TYPE_CHECKING:
    from ..engine.context import Export
    from ..engine.manifest import SourceRecord
    from ..engine.outputs import Outputs

RECORD = "editions.json"
MEDIA_TYPES = {"epub": "application/epub+zip", "pdf": "application/pdf",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def _hash(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8", "surrogateescape")
                          ).hexdigest()[:24]


def _sane(data: Any) -> dict[str, dict[str, Any]]:
    """The recorded editions, as far as they can be trusted."""
    out: dict[str, dict[str, Any]] = {}
    editions = data.get("editions") if isinstance(data, dict) and data.get("format") == 1 else None
    for slug, e in (editions.items() if isinstance(editions, dict) else ()):
        if not (isinstance(slug, str) and _SLUG.match(slug) and isinstance(e, dict)):
            continue
        files = e.get("files")
        if not isinstance(files, dict) or not all(
                f in FORMATS and isinstance(v, dict) and v.get("path") == output_name(slug, f)
                and type(v.get("length")) is int for f, v in files.items()):
            continue
        if all(isinstance(e.get(k), str) for k in ("all", "key", "title", "date", "modified")):
            out[slug] = {**e, "headlines": [h for h in e.get("headlines", []) if isinstance(h, str)],
                         "sections": [s for s in e.get("sections", []) if isinstance(s, str)]}
    return out


class EditionBuild:
    """The edition phase of one export."""

    def __init__(self, export: Export, out: Outputs, sources: Sequence[Path],
                 entries: Mapping[str, SourceRecord]) -> None:
        self.b, self.out, self.res = export, out, out.res
        self.good = [p for p in sources if (e := entries.get(export.rel(p))) and e.good]
        self.hashes = {export.rel(p): entries[export.rel(p)].hash for p in self.good}
        self.by_path = {str(p): export.rel(p) for p in self.good}
        self._articles: LazyArticles | None = None

    def environment(self, spec: EditionSpec, formats: Sequence[str]) -> str:
        b = self.b
        site = {k: str(v) for k, v in vars(b.site).items() if k not in ("config_path", "state", "editions")}
        return _hash(__version__, code_fingerprint(), b.theme.fingerprint, site, compat.state(), spec.key(),
                     list(formats), [b.keys.writers[f] for f in formats])  # libraries and fonts too

    def load(self) -> dict[str, dict[str, Any]]:
        try:
            return _sane(json.loads((self.b.state_store.read(RECORD) or b"").decode("utf-8")))
        except (OSError, ValueError):
            return {}

    def current(self, rec: dict[str, Any] | None, key_name: str, key: str, formats: Sequence[str]) -> bool:
        """Whether the recorded files of an edition stand for ``key`` and are whole."""
        return (not self.b.force and rec is not None and rec.get(key_name) == key and set(rec["files"]) == set(formats)
                and all(self.b.storage.size(f["path"]) == f["length"] for f in rec["files"].values()))

    def articles(self) -> LazyArticles:
        if self._articles is None:
            self._articles = LazyArticles(self.good, self.b.root, self.b.site)
        return self._articles

    def run(self) -> dict[str, dict[str, Any]]:
        """Make what is out of date; the record of every edition there is."""
        old = self.load()
        new: dict[str, dict[str, Any]] = {}
        corpus = sorted(self.hashes.items())
        for spec in self.b.site.editions:
            formats = formats_for(spec, self.b.writer_names)
            if not formats:
                continue
            env = self.environment(spec, formats)
            everything = _hash(env, corpus)
            rec = old.get(spec.slug)
            if self.current(rec, "all", everything, formats):
                assert rec is not None
                new[spec.slug] = rec
                self.res.skipped.append(f"edition {spec.slug}")
                continue
            made = self.edition(spec, formats, env, everything, rec)
            if made is not None:
                new[spec.slug] = made
        for slug, rec in old.items():  # editions no longer configured, formats no longer made
            for fmt, f in rec["files"].items():
                if fmt not in new.get(slug, {}).get("files", {}):
                    self.out.unlink(f["path"])
        try:
            self.b.state_store.write(RECORD, json.dumps({"format": 1, "editions": new}, indent=1,
                                                        sort_keys=True).encode())
        except OSError as e:
            where = self.b.state_store.display(RECORD)
            self.out.error(Diagnostic(where, None, f"cannot write: {e.strerror or e}", "error"))
        return new

    def edition(self, spec: EditionSpec, formats: Sequence[str], env: str, everything: str,
                rec: dict[str, Any] | None) -> dict[str, Any] | None:
        b = self.b
        edition = select(spec, self.articles(), b.site)
        if not edition.entries:
            b.diagnostics.warn(b.site.config_path or "storyexport.toml", None, empty_warning(spec), "edition.empty")
            return None
        key = _hash(env, [(self.by_path.get(e.article.source_path, e.article.source_path),
                           self.hashes.get(self.by_path.get(e.article.source_path, ""), ""))
                          for e in edition.entries])
        if self.current(rec, "key", key, formats):
            assert rec is not None
            self.res.skipped.append(f"edition {spec.slug}")
            return {**rec, "all": everything}
        from ..writers import RenderContext

        ctx = RenderContext(b.theme, b.site, b.diagnostics, source_root=b.root)
        files: dict[str, dict[str, Any]] = {}
        ok = True
        for fmt in formats:
            rel = output_name(spec.slug, fmt)
            try:
                data = render(edition, fmt, b.writers[fmt], ctx)
            except StoryExportError as e:
                d = e.diagnostic()
                self.out.error(Diagnostic(d.path or f"edition {spec.slug}", d.line,
                                          f"edition {spec.slug} ({fmt}): {d.message}", "error"))
                ok = False
                continue
            if self.out.write(rel, data):
                files[fmt] = {"path": rel, "length": len(data), "media_type": MEDIA_TYPES[fmt]}
            else:
                ok = False
        return {"all": everything if ok else "", "key": key if ok else "", "files": files,
                **summary(edition)}


def summary(edition: Edition) -> dict[str, Any]:
    """What the edition feed says of an edition (kept in the record, so the
    feed never needs the stories)."""
    return {"title": edition.spec.title, "date": edition.date.isoformat(), "modified": edition.modified.isoformat(),
            "headlines": edition.headlines(), "sections": [s.name for s in edition.sections],
            "description": edition.spec.description}


def build_editions(export: Export, out: Outputs, sources: Sequence[Path],
                   entries: Mapping[str, SourceRecord]) -> None:
    """The build engine's hook: make the configured editions, then their feed."""
    made = EditionBuild(export, out, sources, entries).run()
    from .feed import write_feeds

    write_feeds(export, out, made)
