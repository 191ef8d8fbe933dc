"""Render: the per-article jobs, run in worker processes (or in the
caller's for ``--jobs 1``) by a scheduler (:mod:`storyexport.scheduling`).

A job reads one source and renders it in the writers asked for. What it
renders it stages beside the target under a temporary name
(:class:`Staged`); only a small summary and those names travel back, never
the bytes (a DOCX with its fonts is 2 MB, and sending it cost both
processes more than writing it) nor the article tree. The place phase then
decides what lands.
"""

from __future__ import annotations

import functools
import json
import os
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .. import process
from ..compat.cpython import call_with_room
from ..config import Site
from ..corrections import corrected
from ..errors import Diagnostic, Diagnostics, StoryExportError, category_matches
from ..model import Article
from ..readers import read_source
from ..scheduling import LOCAL, results
from ..storage import Storage
from ..theme import Theme
from ..urls import story_place
from ..writers import RenderContext, Writer, load

if TYPE_CHECKING:
    from .context import Export


@dataclass
class Job:
    path: Path
    root: Path
    storage: Storage  # the output folder, where the worker stages what it renders (see Staged)
    writers: tuple[str, ...]  # per-article writers to run for this source
    strict: bool = False
    digests: tuple[tuple[str, str], ...] = ()  # (family, writer that digests it) to compute
    corrected: datetime | None = None  # its last commit, when it has more than one (see corrections.py)


@dataclass(frozen=True)
class Summary:
    """What the build keeps of an article (its manifest entry, less what the
    client adds): the worker sends this back rather than the whole tree."""

    slug: str
    published: str
    assets: dict[str, str]  # path -> sha256
    updated: bool = False  # whether it has an updated date (its own or its last commit's)
    folder: str = ""  # the story's place (see urls.Place)
    page: str = ""
    downloads: str = ""


@dataclass(frozen=True)
class Staged:
    """An output the worker has written beside its target under a temporary
    name (:meth:`Storage.stage`). The place phase moves it into place, or
    removes it if the article may not write (a slug another source holds)."""

    rel: str  # the output's path in the output folder
    tmp: str  # the temporary file
    length: int


@dataclass
class Done:
    path: Path
    summary: Summary | None  # None: the source failed or is a draft
    outputs: dict[str, Staged]
    diagnostics: list[Diagnostic]
    draft: bool = False
    digests: dict[str, bytes] = field(default_factory=dict)  # family -> JSON


@dataclass
class _Worker:
    """What a worker process renders with, set up once (:func:`init_worker`)."""

    theme: Theme
    site: Site
    writers: dict[str, Writer]
    formats: tuple[str, ...]  # the export's writers, for pages that link to them


_worker: _Worker | None = None


def init_worker(theme: Theme, site: Site, writer_names: Sequence[str], pool: bool = False,
                formats: tuple[str, ...] = ()) -> None:
    """Set up a worker process (a pool's, a Dask worker's) for the jobs."""
    use_writers(theme, site, {n: load(n)(theme, site) for n in writer_names}, formats)
    process.manage_collector(pool)


def use_writers(theme: Theme, site: Site, writers: dict[str, Writer], formats: tuple[str, ...]) -> None:
    """Render this process's jobs with these writer instances."""
    global _worker
    _worker = _Worker(theme, site, writers, formats)


def run_job(job: Job) -> Done:
    """Read one source and render it in every writer asked for."""
    try:
        return call_with_room(_render, job)
    finally:
        process.after_article()


def site_verbose() -> bool:
    return os.environ.get("STORYEXPORT_DEBUG", "") not in ("", "0")


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


def cannot_write(source: str, target: str, e: OSError) -> Diagnostic:
    """The located error for an output that could not be written."""
    return Diagnostic(source, None, f"cannot write {target}: {e.strerror or e}", "error")


def _render(job: Job) -> Done:
    assert _worker is not None, "init_worker was not called in this process"
    w = _worker
    diags = Diagnostics()
    try:
        article = read_source(job.path, job.root, w.site, diags)
    except StoryExportError as e:
        diags.add(e.diagnostic())
        return Done(job.path, None, {}, diags.items)
    if article is None:
        return Done(job.path, None, {}, diags.items, draft=True)
    # --strict: the warnings that are shown count as errors (suppressed ones do not)
    counted = [d for d in diags.warnings if not category_matches(d.category, w.site.suppress_warnings)]
    if job.strict and counted:
        return Done(job.path, None, {}, [Diagnostic(d.path, d.line, d.message, "error") for d in counted])
    article = corrected(article, job.corrected)
    ctx = RenderContext(w.theme, w.site, diags, formats=w.formats)
    outputs: dict[str, Staged] = {}
    where = story_place(article.meta, w.site)
    for name in job.writers:
        data = _guarded(name, job.path, diags, functools.partial(w.writers[name].render, article, ctx))
        if data is None:
            continue
        rel = w.writers[name].output_name(article.meta.slug, where)
        try:
            outputs[name] = Staged(rel, job.storage.stage(rel, data), len(data))
        except OSError as e:
            diags.add(cannot_write(str(job.path), job.storage.display(rel), e))
    digests: dict[str, bytes] = {}
    for family, name in job.digests:
        data = _guarded(name, job.path, diags, functools.partial(_digest_json, w.writers[name], article, ctx))
        if data is not None:
            digests[family] = data
    # a missing or unusable image is watched too ("" here; hashed as absent
    # or as it is now), so adding or fixing it exports the article again
    summary = Summary(article.meta.slug, article.meta.published.isoformat(),
                      {**dict.fromkeys(article.watched, ""), **{a.path: a.sha256 for a in article.assets}},
                      article.meta.updated is not None, where.folder, where.page, where.downloads)
    return Done(job.path, summary, outputs, diags.items, digests=digests)


def _digest_json(writer: Writer, article: Article, ctx: RenderContext) -> bytes:
    # ASCII with escapes: a path from a file name that is not UTF-8 holds lone surrogates
    return json.dumps(writer.digest(article, ctx), ensure_ascii=True, sort_keys=True).encode("ascii")


def execute(export: Export, jobs: list[Job]) -> Iterator[Done]:
    """The jobs' results in job order, on the export's scheduler (in this
    process when one job or ``--jobs 1`` makes a pool not worth starting)."""
    if not jobs:
        return
    total = len(jobs)
    if export.scheduler == LOCAL and (export.jobs <= 1 or total == 1):
        use_writers(export.theme, export.site, export.writers, export.writer_names)
        process.manage_collector(False)
        done: Iterator[Done] = map(run_job, jobs)
    else:
        needed = (*export.article_writers, *dict.fromkeys(export.families.values()))
        # the pool's workers manage their collector; a Dask worker's process is Dask's
        initargs = (export.theme, export.site, needed, export.scheduler == LOCAL, export.writer_names)
        done = results(export.scheduler, export.jobs, run_job, jobs, init_worker, initargs)
    for i, d in enumerate(done, 1):
        yield d
        if export.progress:
            export.progress(i, total, export.rel(d.path))
