"""The build engine: the only code that touches the output folder.

It finds sources, reads them (in a process pool), asks writers for bytes,
checks nothing escapes the output folder, writes atomically (temporary file,
then ``os.replace``), removes outputs of deleted sources, and keeps a manifest
so an unchanged article is not rendered twice. A lock file keeps two exports
from writing the same folder at once. Pool workers write what they render to
temporary files beside the targets (:class:`_Staged`); the main process
decides what lands and renames it into place.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import gc
import hashlib
import json
import os
import re
import shutil
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from . import __version__, compat
from .compat.cpython import call_with_room
from .config import Site
from .corrections import corrected, corrected_dates
from .errors import Diagnostic, Diagnostics, DigestError, StoryExportError, WriterError, category_matches
from .model import Article
from .readers import is_source, layout, read_source
from .safeio import read_regular_file
from .scheduling import LOCAL, results
from .storage import (
    FsspecStorage,
    LocalStorage,
    Storage,
    is_url,
    make_folder,
    open_storage,
    safe_target,
)
from .theme import Theme
from .urls import Place, is_place, story_place
from .writers import Keyed, OutputInfo, RenderContext, Writer, load

STATE = ".storyexport"  # the build's bookkeeping, beside the output folder (see state_folder)
MANIFEST = "manifest.json"
LOCK = "lock"
CACHE = "cache"  # per-article digests for collection writers (see Writer.digest_family)
# where earlier versions kept the bookkeeping, inside the output folder: read once, then removed
LEGACY_MANIFEST, LEGACY_CACHE, LEGACY_LOCK = ".storyexport-manifest.json", ".storyexport-cache", ".storyexport.lock"


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


def find_sources(paths: Sequence[Path], root: Path) -> list[Path]:
    """Source files under ``paths`` (files or folders), sorted for stable output."""
    return layout.scan(paths, is_source).sources


# ----------------------------------------------------------------- writes


def _state_name(out: Path | str) -> str:
    """The subfolder of the state that belongs to the output ``out``."""
    if is_url(out):
        url = str(out)
        return f"{re.sub(r'[^A-Za-z0-9._-]+', '_', url).strip('_')[:80]}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"
    out = Path(out)
    return (out if out.name else out.absolute()).name or "out"


def state_folder(out: Path | str, site: Site) -> Path:
    """Where the build keeps its bookkeeping for the output folder ``out``
    (manifest, digest cache, lock): never inside ``out``, so the output folder
    can be published as it is. ``[build] state`` names the folder (default
    ``.storyexport`` beside the output folder, i.e. beside ``storyexport.toml``
    for the default ``dist``); each output folder has its own subfolder. An
    output URL (``s3://bucket/prefix``) keeps its state in ``.storyexport``
    here; a state URL keeps only the lock here (see :func:`state_store`)."""
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


def cannot_write(source: str, target: str, e: OSError) -> Diagnostic:
    """The located error for an output that could not be written."""
    return Diagnostic(source, None, f"cannot write {target}: {e.strerror or e}", "error")


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


# ------------------------------------------------------------------ worker

_W: dict[str, Any] = {}


def _init_worker(theme: Theme, site: Site, writer_names: Sequence[str], pool: bool = False,
                 formats: tuple[str, ...] = ()) -> None:
    _W["theme"], _W["site"], _W["formats"] = theme, site, formats
    _W["writers"] = {n: load(n)(theme, site) for n in writer_names}
    # The garbage collector is managed in pool workers only, never in the caller's process.
    _W["pool"], _W["frozen"] = pool, False
    if pool:
        gc.disable()  # collected between articles instead: see _collect_after_job


COLLECT_AFTER = 10_000
"""Objects a pool worker may leave behind (created and not yet freed: mostly
reference cycles) before the next collection between articles. A PDF leaves
about 13,000; an HTML page about 60, and waits for the next ones."""


def _collect_after_job() -> None:
    """Collect a pool worker's garbage once per article, between articles.

    Layout allocates millions of short-lived objects per document. Nearly all
    are freed by reference counting, but the collector, run by allocation
    counts, kept walking the live document in the middle of its layout: 5 ms
    an article even at 50,000 allocations between young collections (CPython's
    default, 700, costs more). Between two articles the document is garbage,
    and one full collection (3.5 ms) frees its cycles; memory stays as flat
    as before. Cheap articles (HTML pages) are collected a few at a time
    (:data:`COLLECT_AFTER`). After the first article, which warmed the
    writers up (imports, parsed style sheets, fonts, caches), what is left is
    moved out of the collector's sight for good (``gc.freeze``)."""
    if _W.get("pool") and (gc.get_count()[0] >= COLLECT_AFTER or not _W["frozen"]):
        gc.collect()
        if not _W["frozen"]:
            _W["frozen"] = True
            gc.freeze()


@dataclass
class _Job:
    path: Path
    root: Path
    storage: Storage  # the output folder, where the worker stages what it renders (see _Staged)
    writers: tuple[str, ...]  # per-article writers to run for this source
    strict: bool = False
    digests: tuple[tuple[str, str], ...] = ()  # (family, writer that digests it) to compute
    corrected: datetime | None = None  # its last commit, when it has more than one (see corrections.py)


@dataclass(frozen=True)
class _Summary:
    """What the build keeps of an article (the manifest entry): the worker
    sends this back rather than the whole tree."""

    slug: str
    published: str
    assets: dict[str, str]  # path -> sha256
    updated: bool = False  # whether it has an updated date (its own or its last commit's)
    folder: str = ""  # the story's place (see urls.Place)
    page: str = ""
    downloads: str = ""


@dataclass(frozen=True)
class _Staged:
    """An output the worker has written beside its target under a temporary
    name (:func:`stage`). The build moves it into place, or removes it if
    the article may not write (a slug another source holds). Rendered bytes
    so never travel back through the pool's pipe: a DOCX with its fonts is
    2 MB, and sending it cost both processes more than writing it."""

    rel: str  # the output's path in the output folder
    tmp: str  # the temporary file
    length: int


@dataclass
class _Done:
    path: Path
    summary: _Summary | None  # None: the source failed or is a draft
    outputs: dict[str, _Staged]
    diagnostics: list[Diagnostic]
    draft: bool = False
    digests: dict[str, bytes] = field(default_factory=dict)  # family -> JSON


def _guarded(name: str, path: Path, diags: Diagnostics, make: Callable[[], bytes]) -> bytes | None:
    """Run one writer step; a failure becomes this article's located error."""
    try:
        return make()
    except StoryExportError as e:
        d = e.diagnostic()
        diags.add(Diagnostic(d.path if e.path else str(path), d.line, f"{name}: {d.message}", "error"))
    except RecursionError:
        diags.add(Diagnostic(str(path), None, f"{name}: content nested too deeply to render", "error"))
    except Exception as e:  # a bug in a writer must not stop the other articles
        detail = "".join(traceback.format_exception(e)) if site_verbose() else ""
        diags.add(Diagnostic(str(path), None, f"{name}: internal error: {type(e).__name__}: {e}{detail}", "error"))
    return None


def _run_job(job: _Job) -> _Done:
    """Read one source and render it in every writer asked for (in a pool
    worker, or in the caller's process for ``--jobs 1``)."""
    try:
        return call_with_room(_render_job, job)
    finally:
        _collect_after_job()


def _render_job(job: _Job) -> _Done:
    diags = Diagnostics()
    site: Site = _W["site"]
    try:
        article = read_source(job.path, job.root, site, diags)
    except StoryExportError as e:
        diags.add(e.diagnostic())
        return _Done(job.path, None, {}, diags.items)
    if article is None:
        return _Done(job.path, None, {}, diags.items, draft=True)
    # --strict: the warnings that are shown count as errors (suppressed ones do not)
    counted = [d for d in diags.warnings if not category_matches(d.category, site.suppress_warnings)]
    if job.strict and counted:
        return _Done(job.path, None, {}, [Diagnostic(d.path, d.line, d.message, "error") for d in counted])
    article = corrected(article, job.corrected)
    ctx = RenderContext(_W["theme"], site, diags, formats=_W["formats"])
    writers: dict[str, Writer] = _W["writers"]
    outputs: dict[str, _Staged] = {}
    where = story_place(article.meta, site)
    for name in job.writers:
        data = _guarded(name, job.path, diags, functools.partial(writers[name].render, article, ctx))
        if data is None:
            continue
        rel = writers[name].output_name(article.meta.slug, where)
        try:
            outputs[name] = _Staged(rel, job.storage.stage(rel, data), len(data))
        except OSError as e:
            diags.add(cannot_write(str(job.path), job.storage.display(rel), e))
    digests: dict[str, bytes] = {}
    for family, name in job.digests:
        data = _guarded(name, job.path, diags, functools.partial(_digest_json, writers[name], article, ctx))
        if data is not None:
            digests[family] = data
    # a missing or unusable image is watched too ("" here; hashed as absent
    # or as it is now), so adding or fixing it exports the article again
    summary = _Summary(article.meta.slug, article.meta.published.isoformat(),
                       {**dict.fromkeys(article.watched, ""), **{a.path: a.sha256 for a in article.assets}},
                       article.meta.updated is not None, where.folder, where.page, where.downloads)
    return _Done(job.path, summary, outputs, diags.items, digests=digests)


def _digest_json(writer: Writer, article: Article, ctx: RenderContext) -> bytes:
    # ASCII with escapes: a path from a file name that is not UTF-8 holds lone surrogates
    return json.dumps(writer.digest(article, ctx), ensure_ascii=True, sort_keys=True).encode("ascii")


def _is_warning(w: Any) -> bool:
    """A warning as the manifest keeps it: ``[path, line or null, message, category]``."""
    return (isinstance(w, list) and len(w) == 4 and isinstance(w[0], str)
            and (w[1] is None or type(w[1]) is int) and isinstance(w[2], str) and isinstance(w[3], str))


def site_verbose() -> bool:
    return os.environ.get("STORYEXPORT_DEBUG", "") not in ("", "0")


# ------------------------------------------------------------------ build


@functools.cache
def code_fingerprint() -> str:
    """Hash of storyexport's own source, so an upgrade (or a local edit)
    re-renders what it may change."""
    h = hashlib.sha256()
    for p in sorted(Path(__file__).parent.rglob("*.py")):
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


@dataclass
class Builder:
    root: Path
    out: Path | str  # a folder, or an fsspec URL (s3://bucket/prefix)
    theme: Theme
    site: Site
    writer_names: tuple[str, ...]
    diagnostics: Diagnostics
    jobs: int = 1
    force: bool = False
    strict: bool = False
    progress: Callable[[int, int, str], None] | None = None
    state: Path | None = None  # the bookkeeping folder; default: state_folder(out, site)
    scheduler: str = LOCAL  # who runs the jobs (see scheduling.py)

    def __post_init__(self) -> None:
        self.storage = open_storage(self.out)
        if self.state is None:
            self.state = state_folder(self.out, self.site)
        self._state: Path = self.state  # local: the lock, and the state unless [build] state is a URL
        self.state_store = state_store(self.out, self.site, self._state)
        self.writers = {n: load(n)(self.theme, self.site) for n in self.writer_names}
        self.article_writers = tuple(n for n, w in self.writers.items() if w.scope == "article")
        self.collection_writers = tuple(n for n, w in self.writers.items() if w.scope == "collection")
        # digest family -> the (first) requested writer that computes it
        self.families: dict[str, str] = {}
        for n in self.collection_writers:
            if fam := self.writers[n].digest_family:
                self.families.setdefault(fam, n)
        self._root = self.root.resolve()
        self._env_keys = {n: self._compute_env_key(n) for n in self.writers}
        self._digest_keys = {f: self._compute_env_key(n, family=f) for f, n in self.families.items()}
        self._asset_digests: dict[str, str] = {}  # per run: an image shared by many articles is read once
        self._rels: dict[Path, str] = {}  # per run: see _rel
        self._slug_owners: dict[str, str] = {}  # per run: slug -> the source that writes its outputs
        self._undeleted: set[str] = set()  # stale outputs a removal failed for: retried next export

    # manifest -------------------------------------------------------------

    def _env_key(self, name: str) -> str:
        return self._env_keys[name]

    def _compute_env_key(self, name: str, family: str = "") -> str:
        """What an output depends on besides its source: storyexport's code,
        the writer, the theme, the site settings and the shims in use. A digest is keyed by its
        family instead of the writer's name, as every writer of the family
        shares it."""
        w = self.writers[name]
        site = json.dumps({k: str(v) for k, v in vars(self.site).items()
                           if k not in ("config_path", "state", "editions", "suppress_warnings")},
                          sort_keys=True)
        writer_code = sys.modules[type(w).__module__].__file__ or ""
        linked = ",".join(self.writer_names) if w.links_formats else ""  # what it links to
        h = hashlib.sha256(f"{__version__}|{code_fingerprint()}|{family or name}|{w.version}|"
                           f"{self.theme.fingerprint}|{site}|{compat.state()}|{linked}".encode())
        h.update(Path(writer_code).read_bytes() if writer_code else b"")
        return h.hexdigest()[:16]

    def _load_manifest(self) -> dict[str, Any]:
        """The last export's manifest; failing that, one an earlier version
        left in the output folder (its outputs are still cleaned up when
        stale; everything is rebuilt, as its entries name images by absolute
        path)."""
        legacy = [self.storage.local / LEGACY_MANIFEST] if self.storage.local else []
        with contextlib.suppress(OSError, ValueError):
            data = self.state_store.read(MANIFEST)
            if data is not None:
                return self._sane_manifest(json.loads(data.decode("utf-8")))
        for path in legacy:
            with contextlib.suppress(OSError, ValueError):
                return self._sane_manifest(json.loads(path.read_text(encoding="utf-8")))
        return self._sane_manifest(None)

    def _remove_legacy(self) -> None:
        """Remove the bookkeeping earlier versions kept in the output folder,
        which would otherwise be published with it."""
        if self.storage.local is None:
            return
        for name in (LEGACY_MANIFEST, LEGACY_LOCK):
            with contextlib.suppress(OSError):
                safe_target(self.storage.local, name).unlink()
        cache = self.storage.local / LEGACY_CACHE
        if cache.is_dir() and not cache.is_symlink():
            shutil.rmtree(cache, ignore_errors=True)

    def _sane_manifest(self, data: Any) -> dict[str, Any]:
        """The manifest as far as it can be trusted. It is data on disk (a
        hand edit, a truncated write, another version): a part of the wrong
        shape is dropped, so its source is simply rebuilt, and a path that
        names anything outside the output folder (or an asset outside the
        source tree) is never read, written or deleted."""
        clean: dict[str, Any] = {"format": 1, "sources": {}, "collections": {}, "shared": {}, "stale": []}
        if not isinstance(data, dict) or data.get("format") != 1:
            return clean
        sources = data.get("sources")
        for rel, e in (sources.items() if isinstance(sources, dict) else ()):
            if isinstance(rel, str) and isinstance(e, dict):
                clean["sources"][rel] = self._sane_entry(rel, e)
        colls = data.get("collections")
        for name, c in (colls.items() if isinstance(colls, dict) else ()):
            if (isinstance(c, dict) and isinstance(c.get("key"), str) and isinstance(c.get("files"), list)
                    and all(self._inside(f) for f in c["files"])):
                keys = c.get("keys")
                listed = set(c["files"])
                keys = ({f: k for f, k in keys.items() if isinstance(k, str) and f in listed}
                        if isinstance(keys, dict) else {})
                clean["collections"][name] = {"key": c["key"], "files": c["files"], "keys": keys}
        shared = data.get("shared")
        for name, fs in (shared.items() if isinstance(shared, dict) else ()):
            if isinstance(fs, list) and all(self._inside(f) for f in fs):
                clean["shared"][name] = fs
        stale = data.get("stale")
        clean["stale"] = [f for f in stale if self._inside(f)] if isinstance(stale, list) else []
        return clean

    def _sane_entry(self, rel: str, e: dict[str, Any]) -> dict[str, Any]:
        outputs = e.get("outputs")
        outputs = outputs if isinstance(outputs, dict) else {}
        digests = e.get("digests")
        digests = digests if isinstance(digests, dict) else {}
        entry: dict[str, Any] = {
            "outputs": {n: o for n, o in outputs.items() if isinstance(o, dict) and self._inside(o.get("path"))
                        and isinstance(o.get("key"), str) and isinstance(o.get("media_type"), str)
                        and type(o.get("length")) is int},
            # a digest is only ever where this build would put it
            "digests": {f: d for f, d in digests.items() if isinstance(d, dict) and isinstance(f, str)
                        and d.get("file") == self._digest_file(f, rel) and isinstance(d.get("key"), str)},
        }
        assets = e.get("assets")
        if (e.get("error") or not all(isinstance(e.get(k), str) for k in ("hash", "slug", "published"))
                or not is_place(e.get("folder"), e.get("page"), e.get("downloads"))
                or not isinstance(assets, dict)
                or not all(isinstance(v, str) and self._in_source(k) for k, v in assets.items())):
            entry["error"] = True  # read again
            return entry
        warnings = e.get("warnings", [])
        if not (isinstance(warnings, list) and all(_is_warning(w) for w in warnings)):
            warnings = []
        return {**entry, "hash": e["hash"], "slug": e["slug"], "published": e["published"], "assets": assets,
                "warnings": warnings, "folder": e["folder"], "page": e["page"], "downloads": e["downloads"]}

    @staticmethod
    def _inside(rel: Any) -> bool:
        """Whether a path from the manifest is a plain relative path below the
        output folder (not the folder itself, nor a way out). Lexical, so
        loading a large manifest stays cheap: every write and removal still
        goes through :func:`safe_target`, which resolves links."""
        return (isinstance(rel, str) and bool(rel) and "\0" not in rel and not rel.startswith("/")
                and not any(part in ("", ".", "..") for part in rel.split("/")))

    def _in_source(self, path: Any) -> bool:
        """Whether an asset path from the manifest is a relative path below
        the source root (lexically; :func:`read_regular_file` reads it)."""
        return self._inside(path)

    def media_types(self) -> dict[str, str]:
        """The media type of each output the last export recorded, as its
        writer declares it (``feed.xml`` is RSS, ``atom.xml`` Atom): what a
        server needs that a file name does not say. A collection writer's
        other files (feed images, a sitemap) are left to their extension."""
        manifest = self._load_manifest()
        types = {o["path"]: o["media_type"] for e in manifest["sources"].values()
                 for o in e.get("outputs", {}).values()}
        for name, c in manifest["collections"].items():
            with contextlib.suppress(StoryExportError):
                w = load(name)
                types.update({f: w.media_type for f in c["files"] if f.endswith("." + w.extension)})
        return types

    # the build ------------------------------------------------------------

    def run(self, sources: Sequence[Path]) -> BuildResult:
        res = BuildResult()
        self.storage.prepare()
        with locked(self._state, lambda: print("storyexport: waiting for another export into "
                                               f"{self.storage.display()} to finish", file=sys.stderr)):
            self.storage.clean_temp()
            self.state_store.clean_temp()
            try:
                self._run(sources, res)
            finally:  # what a killed worker staged, or an interrupted export
                self.storage.clean_temp()
        return res

    def _plan(self, sources: Sequence[Path], manifest: dict[str, Any]) -> tuple[list[_Job], list[str]]:
        jobs: list[_Job] = []
        skipped: list[str] = []
        for path in sources:
            rel = self._rel(path)
            entry = manifest["sources"].get(rel)
            # A source is (re)read when a writer needs it or when the manifest does
            # not know it as it is now (collections need its entry).
            # --strict: a source that warned last time must fail now, not be skipped
            stale = (not entry or entry.get("error")
                     or (self.strict and any(not category_matches(w[3], self.site.suppress_warnings)
                                             for w in entry.get("warnings", [])))
                     or entry.get("hash") != self._source_key(path, entry.get("assets", {})))
            todo = tuple(n for n in self.article_writers if self.force or stale or not self._fresh(entry, n))
            digests = tuple((f, n) for f, n in self.families.items()
                            if self.force or stale or not self._digest_fresh(entry, f))
            if todo or digests or self.force or stale:
                jobs.append(_Job(path, self.root, self.storage, todo, self.strict, digests))
            else:
                skipped.append(rel)
        return jobs, skipped

    def _rel(self, path: Path) -> str:
        """A source's name in the manifest (its path below the source root),
        resolved once per run: planning, absorbing and the feeds ask for
        every source's several times, and resolving walks the file system."""
        rel = self._rels.get(path)
        if rel is None:
            try:
                rel = path.resolve().relative_to(self._root).as_posix()
            except ValueError:
                rel = path.as_posix()
            self._rels[path] = rel
        return rel

    def _fresh(self, entry: dict[str, Any] | None, name: str) -> bool:
        """Whether an up-to-date source's output for writer ``name`` is current."""
        out = (entry or {}).get("outputs", {}).get(name)
        where = Place(*(str((entry or {}).get(k, "")) for k in ("folder", "page", "downloads")))
        return (bool(out) and out.get("key") == self._env_key(name)
                and out["path"] == self.writers[name].output_name((entry or {}).get("slug", ""), where)
                and self.storage.size(out["path"]) == out["length"])  # missing or truncated: rebuilt

    def _digest_fresh(self, entry: dict[str, Any] | None, family: str) -> bool:
        d = (entry or {}).get("digests", {}).get(family)
        return bool(d) and d.get("key") == self._digest_keys[family] and self.state_store.size(d["file"]) is not None

    def _digest_file(self, family: str, rel: str) -> str:
        """Where a source's digest is kept, relative to the state folder:
        named by a hash of its path."""
        folder = re.sub(r"[^A-Za-z0-9._-]", "_", family)
        return f"{CACHE}/{folder}/{hashlib.sha256(os.fsencode(rel)).hexdigest()[:24]}.json"

    def _source_key(self, path: Path, assets: dict[str, str]) -> str:
        """Hash of a source and the current content of the images it uses
        (named relative to the source root)."""
        h = hashlib.sha256()
        try:
            h.update(path.read_bytes())
            for apath in sorted(assets):
                digest = self._asset_digests.get(apath)
                if digest is None:
                    try:
                        digest = hashlib.sha256(read_regular_file(self._root / apath)).hexdigest()
                    except OSError:
                        digest = "absent"  # a watched image that is missing or unusable, or one gone since
                    self._asset_digests[apath] = digest
                h.update(os.fsencode(f"{apath}={digest}"))
        except OSError:
            return ""
        return h.hexdigest()

    def _run(self, sources: Sequence[Path], res: BuildResult) -> None:
        # loaded with --force too: what it lists is what stale removal cleans up
        manifest = self._load_manifest()
        jobs, skipped = self._plan(sources, manifest)
        if jobs:
            dates = corrected_dates(self.root)
            for job in jobs:
                job.corrected = dates.get(job.path.resolve())
        res.skipped.extend(skipped)
        new_sources: dict[str, Any] = {rel: manifest["sources"][rel] for rel in skipped}
        for rel in skipped:  # a skipped source warns as it did when it was read
            self.diagnostics.extend([Diagnostic(w[0], w[1], w[2], "warning", w[3])
                                     for w in new_sources[rel].get("warnings", [])])
        # who holds each slug so far: a source that claims a held slug writes nothing
        # (it must not overwrite the other's files; _check_slugs then fails both)
        self._slug_owners = {e["slug"]: rel for rel, e in new_sources.items() if not e.get("error")}
        # Results are written as they arrive and then dropped, so memory does
        # not grow with the number of articles.
        for d in self._execute(jobs):
            self._absorb(d, manifest["sources"].get(self._rel(d.path)), new_sources, res)
        self._check_slugs(new_sources, res)
        res.articles = sum(1 for e in new_sources.values() if e and not e.get("error"))
        self._remove_stale(manifest, new_sources, res)
        self._shared_files(manifest["shared"], res)
        self._collections(sources, new_sources, manifest, res)
        if self.site.editions:  # many stories as one book: see editions/build.py
            from .editions.build import build_editions

            build_editions(self, sources, new_sources, res)
        manifest = {"format": 1, "sources": {k: v for k, v in new_sources.items() if v},
                    "collections": manifest.get("collections", {}), "shared": manifest["shared"],
                    "stale": sorted(self._undeleted)}
        # Outputs were written without a per-file fsync (at N=3,000 those took
        # 45% of an HTML and feeds export): make them all durable now, before
        # the manifest that records them. A power cut earlier leaves the old
        # manifest, which does not vouch for them; and an output whose size is
        # not the recorded one is rebuilt (_fresh), so a truncated file heals.
        if res.written or jobs:
            self.storage.sync()
            if not (isinstance(self.storage, LocalStorage) and isinstance(self.state_store, LocalStorage)
                    and self.storage.device() == self.state_store.device()):
                self.state_store.sync()  # the digests, elsewhere
        try:
            self.state_store.write(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode(), durable=True)
        except OSError as e:
            where = self.state_store.display(MANIFEST)
            self._error(res, cannot_write(where, where, e))
        self._remove_legacy()

    def _write(self, rel: str, data: bytes, res: BuildResult, source: str = "", durable: bool = False) -> bool:
        """Write one output atomically; a failed write (full disk, permissions)
        is reported as an error and leaves no partial file."""
        try:
            self.storage.write(rel, data)
        except OSError as e:
            self._error(res, cannot_write(source or self.storage.display(rel), self.storage.display(rel), e))
            return False
        res.written.append(rel)
        return True

    def _error(self, res: BuildResult, d: Diagnostic) -> None:
        res.errors.append(d)
        self.diagnostics.add(d)

    def _place(self, staged: _Staged, res: BuildResult, source: str) -> bool:
        """Move a staged output over its target (one rename: the target is
        the old file or the new one, never a mix)."""
        try:
            self.storage.commit(staged.tmp, staged.rel)
        except OSError as e:
            self.storage.discard(staged.tmp)
            self._error(res, cannot_write(source, self.storage.display(staged.rel), e))
            return False
        res.written.append(staged.rel)
        return True

    def _discard(self, d: _Done) -> None:
        for staged in d.outputs.values():
            self.storage.discard(staged.tmp)

    def _absorb(self, d: _Done, old: dict[str, Any] | None, entries: dict[str, Any], res: BuildResult) -> None:
        """Record one finished source and write its outputs."""
        rel = self._rel(d.path)
        errs = [x for x in d.diagnostics if x.kind == "error"]
        warnings = [x for x in d.diagnostics if x.kind != "error"]
        self.diagnostics.extend(warnings)
        res.errors.extend(errs)
        self.diagnostics.extend(errs)
        if d.summary is None:
            if not d.draft:
                entries[rel] = {"error": True, "outputs": (old or {}).get("outputs", {}),
                                "digests": (old or {}).get("digests", {})}
            return
        assets = {self._asset_rel(p): h for p, h in d.summary.assets.items()}
        entry = entries[rel] = {
            "hash": self._source_key(d.path, assets),
            "assets": assets,
            "slug": d.summary.slug,
            "published": d.summary.published,
            "folder": d.summary.folder,
            "page": d.summary.page,
            "downloads": d.summary.downloads,
            "outputs": dict((old or {}).get("outputs", {})),
            "digests": dict((old or {}).get("digests", {})),
            "warnings": [[w.path, w.line, w.message, w.category] for w in warnings],
        }
        if old and not old.get("error") and old.get("hash") != entry["hash"] and not d.summary.updated:
            self.diagnostics.warn(str(d.path), None, "changed since the last export, but has no updated date and "
                                  "no later commit: feed readers will not show the correction (add updated:)",
                                  "build.updated")
        if self._slug_owners.setdefault(d.summary.slug, rel) != rel:
            self._discard(d)
            return
        for name, staged in d.outputs.items():
            if self._place(staged, res, str(d.path)):
                entry["outputs"][name] = {"path": staged.rel, "key": self._env_key(name),
                                          "length": staged.length, "media_type": self.writers[name].media_type}
            else:
                entry["outputs"].pop(name, None)
        for family in self.families:
            if family not in d.digests:
                continue
            file = self._digest_file(family, rel)
            try:
                self.state_store.write(file, d.digests[family])
                entry["digests"][family] = {"file": file, "key": self._digest_keys[family]}
            except OSError as e:
                entry["digests"].pop(family, None)
                self._error(res, cannot_write(str(d.path), self.state_store.display(file), e))

    def _asset_rel(self, path: str) -> str:
        """An image's name in the manifest: its path below the source root
        (the reader only admits images inside it), so the manifest names no
        folder of the build machine."""
        try:
            return Path(path).relative_to(self._root).as_posix()
        except ValueError:
            return Path(path).resolve().relative_to(self._root).as_posix()

    def _execute(self, jobs: list[_Job]) -> Iterator[_Done]:
        if not jobs:
            return
        total = len(jobs)
        if self.scheduler == LOCAL and (self.jobs <= 1 or total == 1):
            _init_worker(self.theme, self.site, (), formats=self.writer_names)
            _W["writers"] = self.writers
            done: Iterator[_Done] = map(_run_job, jobs)
        else:
            needed = (*self.article_writers, *dict.fromkeys(self.families.values()))
            # the pool's workers manage their collector; a Dask worker's process is Dask's
            initargs = (self.theme, self.site, needed, self.scheduler == LOCAL, self.writer_names)
            done = results(self.scheduler, self.jobs, _run_job, jobs, _init_worker, initargs)
        for i, d in enumerate(done, 1):
            yield d
            if self.progress:
                self.progress(i, total, self._rel(d.path))

    def _check_slugs(self, entries: dict[str, Any], res: BuildResult) -> None:
        """Two sources with one slug would overwrite each other: both are errors."""
        owners: dict[str, list[str]] = {}
        for rel, e in entries.items():
            if e and not e.get("error"):
                owners.setdefault(e["slug"], []).append(rel)
        for slug, rels in owners.items():
            if len(rels) > 1:
                for rel in rels:
                    others = ", ".join(r for r in rels if r != rel)
                    self._error(res, Diagnostic(self._display(rel), None,
                                                f"slug {slug!r} is also used by {others}; not exported", "error"))
                    entries[rel] = {"error": True, "outputs": entries[rel].get("outputs", {}),
                                    "digests": entries[rel].get("digests", {})}

    def _display(self, rel: str) -> str:
        return str(self.root / rel)

    def _remove_stale(self, old: dict[str, Any], new: dict[str, Any], res: BuildResult) -> None:
        """Remove outputs no current source produces (deleted, renamed, re-slugged
        or now failing sources), so ``dist/`` always mirrors ``source/``."""
        keep = {o["path"] for e in new.values() if e and not e.get("error")
                for o in e.get("outputs", {}).values()}
        keep_digests = {d["file"] for e in new.values() if e and not e.get("error")
                        for d in e.get("digests", {}).values()}
        for rel in old.get("stale", []):  # removals an earlier export could not do
            if rel not in keep:
                self._unlink(rel, res)
        for e in [*old["sources"].values(), *(e for e in new.values() if e and e.get("error"))]:
            for o in (e or {}).get("outputs", {}).values():
                if o["path"] not in keep:
                    self._unlink(o["path"], res)
            for d in (e or {}).get("digests", {}).values():
                if d["file"] not in keep_digests:  # bookkeeping: not reported
                    with contextlib.suppress(OSError):
                        self.state_store.remove(d["file"])
        for e in new.values():
            if e and e.get("error"):
                e["outputs"] = {}
                e["digests"] = {}

    def _shared_files(self, shared: dict[str, list[str]], res: BuildResult) -> None:
        """Write the files a writer's outputs share (the HTML theme's CSS and
        fonts), and remove those it shared before but no longer does (another
        theme's fonts): ``shared`` is the manifest's record, updated here."""
        ctx = RenderContext(self.theme, self.site, self.diagnostics)
        previous = dict(shared)
        for name in self.article_writers:
            files = self.writers[name].shared_files(ctx)
            for rel, data in files.items():
                if self.storage.read(rel) != data:
                    self._write(rel, data, res)
            shared[name] = sorted(files)
        kept = {f for fs in shared.values() for f in fs}
        for name in self.article_writers:
            for rel in set(previous.get(name, ())) - kept:
                self._unlink(rel, res)

    def _unlink(self, rel: str, res: BuildResult | None = None) -> None:
        """Remove an output no longer produced, and the folders it leaves
        empty (``archive/``, ``media/images/``), up to the output folder."""
        if self.storage.size(rel) is None:
            return
        try:
            self.storage.remove(rel)
        except OSError as e:  # read-only folder: reported, the next export retries
            where = self.storage.display(rel)
            d = Diagnostic(where, None, f"cannot remove stale {where}: {e.strerror or e}", "error")
            self.diagnostics.add(d)
            self._undeleted.add(rel)
            if res is not None:
                res.errors.append(d)
            return
        if res is not None:
            if rel in res.written:  # written moments ago, then found stale: not an output
                res.written.remove(rel)
            else:
                res.removed.append(rel)

    def _collections(self, sources: Sequence[Path], entries: dict[str, Any], manifest: dict[str, Any],
                     res: BuildResult) -> None:
        """Render feeds and other collection outputs when any input changed."""
        if not self.collection_writers:
            return
        good = [p for p in sources if (e := entries.get(self._rel(p))) and not e.get("error")]
        corpus = hashlib.sha256("".join(f"{self._rel(p)}={entries[self._rel(p)]['hash']};"
                                        for p in good).encode("utf-8", "surrogateescape")).hexdigest()[:16]
        colls = manifest.setdefault("collections", {})
        outputs = {
            e["slug"]: {n: OutputInfo(o["path"], o["media_type"], o["length"])
                        for n, o in e.get("outputs", {}).items()}
            for e in entries.values() if e and not e.get("error")
        }
        ctx = RenderContext(self.theme, self.site, self.diagnostics, outputs, source_root=self.root,
                            formats=self.writer_names)
        articles = LazyArticles(good, self.root, self.site)
        digests = {f: DigestStore(self.state_store, [d["file"] for p in good
                                   if (d := entries[self._rel(p)].get("digests", {}).get(f))])
                   for f in self.families}
        # feeds link to per-article files (enclosures): their set and sizes are inputs too
        linked = hashlib.sha256(json.dumps(
            {slug: {n: [o.path, o.media_type, o.length] for n, o in v.items()} for slug, v in outputs.items()},
            sort_keys=True).encode()).hexdigest()[:16]
        broken: set[str] = set()  # digest families with a damaged digest: one error, not one per writer
        shared: dict[str, bytes] = {}  # path -> hash of what this phase wrote there
        for name in self.collection_writers:
            if self.writers[name].digest_family in broken:
                continue  # not recorded: the next export renders it
            env = self._env_key(name)
            key = f"{env}-{corpus}-{linked}"
            prev = colls.get(name, {})
            if (not self.force and prev.get("key") == key
                    and all(self.storage.size(f) for f in prev.get("files", []))):  # none missing or emptied
                res.skipped.append(name)
                continue
            # files of the last export, made by this same code, theme and site, still whole:
            # the writer may keep them (Keyed) rather than make them again
            same_env = not self.force and str(prev.get("key", "")).startswith(env + "-")
            ctx.previous = {f: k for f, k in prev.get("keys", {}).items() if same_env and self.storage.size(f)}
            files: list[str] = []
            keys: dict[str, str] = {}
            ok = True
            try:
                w = self.writers[name]
                made = (w.render_digests(digests[w.digest_family], ctx) if w.digest_family
                        else w.render_collection(articles, ctx))
                # written one by one as the writer yields them: a large archive is never all in memory
                for rel, value in (made.items() if isinstance(made, Mapping) else made):
                    data: bytes | None
                    if isinstance(value, Keyed):
                        keys[rel], data = value.key, value.data
                        if data is None and ctx.previous.get(rel) != value.key:
                            raise WriterError(f"kept {rel} as it was, but it was not made from the same "
                                              "inputs (a bug in the writer)")
                    else:
                        data = value
                    if data is not None:
                        digest = hashlib.sha256(data).digest()
                        if shared.get(rel) != digest:  # another writer just wrote it (feed media): written once
                            ok = self._write(rel, data, res) and ok
                            shared[rel] = digest
                    files.append(rel)
            except StoryExportError as e:
                d = e.diagnostic()
                if isinstance(e, DigestError) and w.digest_family:
                    d = digests[w.digest_family].discard(e.index, e.message)
                    broken.add(w.digest_family)
                self._error(res, Diagnostic(d.path, d.line, f"{name}: {d.message}", "error"))
                continue
            if not ok:
                continue  # not recorded: the next export retries
            for rel in set(prev.get("files", [])) - set(files) - set(res.written):  # not another feed's
                self._unlink(rel, res)
            colls[name] = {"key": key, "files": sorted(files), "keys": keys}


class DigestStore(Sequence[Mapping[str, Any]]):
    """The corpus's digests for one family, read from the cache on demand
    (a few held), so a feed over a large archive holds no story's text."""

    def __init__(self, store: Storage, files: Sequence[str], cache: int = 64) -> None:
        self.store = store
        self.files = list(files)
        self._cache: dict[int, Mapping[str, Any]] = {}
        self._limit = cache

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> Mapping[str, Any]:  # type: ignore[override]
        if isinstance(i, slice):
            raise TypeError("DigestStore does not support slices; iterate instead")
        d = self._cache.get(i)
        if d is None:
            d = self._load(self.files[i])
            if len(self._cache) >= self._limit:
                self._cache.pop(next(iter(self._cache)))
            self._cache[i] = d
        return d


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


class LazyArticles(Sequence[Article]):
    """The corpus for collection writers, parsed on demand with a bounded
    cache, so feeds over a large archive do not hold every article at once."""

    def __init__(self, paths: Sequence[Path], root: Path, site: Site, cache: int = 256) -> None:
        self.paths = list(paths)
        self.root, self.site = root, site
        self._cache: dict[int, Article] = {}
        self._limit = cache

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> Article:  # type: ignore[override]
        if isinstance(i, slice):
            raise TypeError("LazyArticles does not support slices; iterate instead")
        if i < 0:
            i += len(self.paths)
        a = self._cache.get(i)
        if a is None:
            a = read_source(self.paths[i], self.root, self.site, Diagnostics())
            assert a is not None  # it was read successfully moments ago
            if len(self._cache) >= self._limit:
                self._cache.pop(next(iter(self._cache)))
            self._cache[i] = a
        return a
