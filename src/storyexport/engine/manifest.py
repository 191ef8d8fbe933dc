"""The manifest: what the last export made, typed, and the one place that
loads, checks and saves it.

It is data on disk (a hand edit, a truncated write, another version of
storyexport), so it is never trusted as it is. :func:`parse` keeps what
has the right shape and drops the rest: a source whose entry is damaged is
simply read and rendered again, a manifest of another ``format`` (or no
manifest at all) means a full rebuild, and nothing raises. Every path it
keeps is checked here, once: an output, a shared file, a collection's
file or a failed removal is a plain relative path below the output folder
(:func:`inside`), an image is a relative path below the source tree, and a
digest is exactly where :func:`digest_file` puts it. (Every write and
removal still goes through :func:`storage.safe_target`, which resolves
links.) Change the JSON shape and :data:`FORMAT` goes up with it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from ..storage import Storage
from ..urls import Place, is_place

FORMAT = 1
"""The manifest's shape. A manifest of any other format is dropped."""
NAME = "manifest.json"
CACHE = "cache"  # per-article digests for collection writers (see Writer.digest_family)

Warning = tuple[str, int | None, str, str]
"""A warning as the manifest keeps it: path, line or None, message, category."""


@dataclass
class OutputRecord:
    """One per-article output: where it is, what it was made with, its size
    (a file of another size was truncated or replaced: it is made again)."""

    path: str
    key: str
    length: int
    media_type: str


@dataclass
class DigestRecord:
    """One article's digest for a collection writer family, in the state."""

    file: str
    key: str


@dataclass
class SourceRecord:
    """What the build keeps of one source. A failed source (``error``) keeps
    only the outputs and digests it had, so that they are removed."""

    outputs: dict[str, OutputRecord] = field(default_factory=dict)
    digests: dict[str, DigestRecord] = field(default_factory=dict)
    error: bool = False
    hash: str = ""  # of the source and the images it uses (see plan.SourceKeys)
    slug: str = ""
    published: str = ""
    assets: dict[str, str] = field(default_factory=dict)  # path below the source root -> sha256 ("" if unusable)
    warnings: list[Warning] = field(default_factory=list)
    folder: str = ""
    page: str = ""
    downloads: str = ""

    @property
    def good(self) -> bool:
        return not self.error

    @property
    def place(self) -> Place:
        return Place(self.folder, self.page, self.downloads)

    def failed(self) -> SourceRecord:
        """This source as a failure: its files stay listed, to be removed."""
        return SourceRecord(dict(self.outputs), dict(self.digests), error=True)


@dataclass
class CollectionRecord:
    """One collection writer's files and the key they were made for; ``keys``
    the key of each file a writer yielded as :class:`writers.Keyed`."""

    key: str
    files: list[str]
    keys: dict[str, str] = field(default_factory=dict)


@dataclass
class Manifest:
    sources: dict[str, SourceRecord] = field(default_factory=dict)
    collections: dict[str, CollectionRecord] = field(default_factory=dict)
    shared: dict[str, list[str]] = field(default_factory=dict)  # writer -> files its outputs share (_theme/)
    stale: list[str] = field(default_factory=list)  # outputs an earlier removal failed for: retried


# ------------------------------------------------------------------ checks


def inside(rel: Any) -> bool:
    """Whether a path from the manifest is a plain relative path below its
    folder (not the folder itself, nor a way out). Lexical, so loading a
    large manifest stays cheap."""
    return (isinstance(rel, str) and bool(rel) and "\0" not in rel and not rel.startswith("/")
            and not any(part in ("", ".", "..") for part in rel.split("/")))


def digest_file(family: str, rel: str) -> str:
    """Where a source's digest is kept, relative to the state folder: named
    by a hash of its path."""
    folder = re.sub(r"[^A-Za-z0-9._-]", "_", family)
    return f"{CACHE}/{folder}/{hashlib.sha256(os.fsencode(rel)).hexdigest()[:24]}.json"


def _is_warning(w: Any) -> bool:
    return (isinstance(w, list) and len(w) == 4 and isinstance(w[0], str)
            and (w[1] is None or type(w[1]) is int) and isinstance(w[2], str) and isinstance(w[3], str))


def _output(o: Any) -> OutputRecord | None:
    if (isinstance(o, dict) and inside(o.get("path")) and isinstance(o.get("key"), str)
            and isinstance(o.get("media_type"), str) and type(o.get("length")) is int):
        return OutputRecord(o["path"], o["key"], o["length"], o["media_type"])
    return None


def _source(rel: str, e: dict[str, Any]) -> SourceRecord:
    outputs = e.get("outputs")
    digests = e.get("digests")
    record = SourceRecord(
        {n: out for n, o in (outputs.items() if isinstance(outputs, dict) else ()) if (out := _output(o))},
        # a digest is only ever where this build would put it
        {f: DigestRecord(d["file"], d["key"]) for f, d in (digests.items() if isinstance(digests, dict) else ())
         if isinstance(f, str) and isinstance(d, dict) and d.get("file") == digest_file(f, rel)
         and isinstance(d.get("key"), str)},
        error=True)
    assets = e.get("assets")
    if (e.get("error") or not all(isinstance(e.get(k), str) for k in ("hash", "slug", "published"))
            or not is_place(e.get("folder"), e.get("page"), e.get("downloads"))
            or not isinstance(assets, dict)
            or not all(isinstance(v, str) and inside(k) for k, v in assets.items())):  # below the source root
        return record  # read again
    warnings = e.get("warnings", [])
    if not (isinstance(warnings, list) and all(_is_warning(w) for w in warnings)):
        warnings = []
    record.error = False
    record.hash, record.slug, record.published, record.assets = e["hash"], e["slug"], e["published"], assets
    record.warnings = [(w[0], w[1], w[2], w[3]) for w in warnings]
    record.folder, record.page, record.downloads = e["folder"], e["page"], e["downloads"]
    return record


def parse(data: Any) -> Manifest:
    """The manifest as far as it can be trusted (see the module's docstring)."""
    clean = Manifest()
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return clean
    sources = data.get("sources")
    for rel, e in (sources.items() if isinstance(sources, dict) else ()):
        if isinstance(rel, str) and isinstance(e, dict):
            clean.sources[rel] = _source(rel, e)
    colls = data.get("collections")
    for name, c in (colls.items() if isinstance(colls, dict) else ()):
        if (isinstance(c, dict) and isinstance(c.get("key"), str) and isinstance(c.get("files"), list)
                and all(inside(f) for f in c["files"])):
            keys = c.get("keys")
            listed = set(c["files"])
            keys = ({f: k for f, k in keys.items() if isinstance(k, str) and f in listed}
                    if isinstance(keys, dict) else {})
            clean.collections[name] = CollectionRecord(c["key"], c["files"], keys)
    shared = data.get("shared")
    for name, fs in (shared.items() if isinstance(shared, dict) else ()):
        if isinstance(fs, list) and all(inside(f) for f in fs):
            clean.shared[name] = fs
    stale = data.get("stale")
    clean.stale = [f for f in stale if inside(f)] if isinstance(stale, list) else []
    return clean


# ------------------------------------------------------------- load, save


def load(store: Storage, legacy: os.PathLike[str] | None = None) -> Manifest:
    """The last export's manifest from the state; failing that, one an
    earlier version left in the output folder (``legacy``: its outputs are
    still cleaned up when stale; everything is rebuilt, as its entries name
    images by absolute path); failing that, an empty one."""
    try:
        data = store.read(NAME)
        if data is not None:
            return parse(json.loads(data.decode("utf-8")))
    except (OSError, ValueError, RecursionError):  # RecursionError: nested past what json reads
        pass
    if legacy is not None:
        try:
            with open(legacy, encoding="utf-8") as f:
                return parse(json.load(f))
        except (OSError, ValueError, RecursionError):
            pass
    return Manifest()


def _source_json(e: SourceRecord) -> dict[str, Any]:
    files = {"outputs": {n: vars(o) for n, o in e.outputs.items()},
             "digests": {f: vars(d) for f, d in e.digests.items()}}
    if e.error:
        return {"error": True, **files}
    return {"hash": e.hash, "assets": e.assets, "slug": e.slug, "published": e.published, "folder": e.folder,
            "page": e.page, "downloads": e.downloads, **files, "warnings": [list(w) for w in e.warnings]}


def dumps(m: Manifest) -> bytes:
    """The manifest as JSON (sorted keys: the same manifest, the same bytes)."""
    return json.dumps({"format": FORMAT, "sources": {rel: _source_json(e) for rel, e in m.sources.items()},
                       "collections": {n: vars(c) for n, c in m.collections.items()},
                       "shared": m.shared, "stale": m.stale}, indent=1, sort_keys=True).encode()


def save(store: Storage, m: Manifest) -> None:
    """Write the manifest durably (after the outputs it vouches for)."""
    store.write(NAME, dumps(m), durable=True)
