"""Per-article jobs on a Dask cluster (``--scheduler dask-local`` or a
scheduler address such as ``tcp://host:8786``).

Why Dask: the process pool cannot leave one machine, and Dask distributed is
the Python ecosystem's engine for that (``LocalCluster`` here; SSH,
Kubernetes, YARN and HPC deployments elsewhere). The writers are pure, so a
job is the same function the pool runs. Each worker process is set up once
by a worker plugin (so a worker that replaces a dead one is set up too),
renders its jobs and writes their outputs straight to the storage; the
client only places and records them. A worker that dies mid-job has its jobs
run again by Dask, and what it had staged is removed at the end of the
export. This module is imported only when Dask is asked for.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from .errors import StoryExportError
from .scheduling import IN_FLIGHT_PER_WORKER, in_order

try:
    from distributed import Client, Future, LocalCluster, WorkerPlugin
except ImportError:  # the [dask] extra is not installed
    Client = Future = LocalCluster = None  # type: ignore[assignment,misc]
    WorkerPlugin = object  # type: ignore[assignment,misc]

J = TypeVar("J")
R = TypeVar("R")
CONNECT_TIMEOUT = "30s"
MAX_BATCH = 16  # jobs per Dask task, at most (see batch_size)


def batch_size(jobs: int, workers: int) -> int:
    """How many jobs one Dask task runs. A task costs the scheduler and the
    client about a millisecond whatever it does, so a large export sends
    jobs in batches (up to :data:`MAX_BATCH`), while a small one still gives
    every worker several tasks to balance. A worker that dies runs its
    whole batch again elsewhere: jobs are idempotent."""
    return max(1, min(MAX_BATCH, jobs // (workers * IN_FLIGHT_PER_WORKER * 4)))


def run_batch(run: Callable[[J], R], jobs: Sequence[J]) -> list[R]:
    """One Dask task: several jobs in a row, results in their order."""
    return [run(j) for j in jobs]


class Setup(WorkerPlugin):
    """Runs the build's worker initialiser in every worker process, those
    that join later included, in the client's working folder: the jobs name
    sources as the client does (``source/x.md``), and a worker on another
    machine sees them through a shared file system at the same path."""

    def __init__(self, init: Callable[..., None], initargs: tuple[Any, ...], cwd: str, ours: bool) -> None:
        self.init, self.initargs, self.cwd, self.ours = init, initargs, cwd, ours

    def setup(self, worker: Any) -> None:
        if self.ours and threading.current_thread() is threading.main_thread():
            # A terminal's Ctrl-C reaches the LocalCluster's workers too: it is the
            # client's to handle (it cancels and closes the cluster), not theirs to print
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        with contextlib.suppress(OSError):  # not there: each job then fails, located, naming its source
            os.chdir(self.cwd)
        self.init(*self.initargs)


def identity() -> tuple[str, str]:
    """This process's storyexport: its version and a hash of its code."""
    from . import __version__
    from .engine.keys import code_fingerprint
    return __version__, code_fingerprint()


def check_workers(client: Any) -> int:
    """The number of workers, refusing any that runs another storyexport
    (its outputs would differ from this client's, and its cache keys lie)."""
    mine = identity()
    theirs: dict[str, tuple[str, str]] = client.run(identity)
    if not theirs:
        raise StoryExportError("the Dask cluster has no workers")
    for address, (version, code) in sorted(theirs.items()):
        if (version, code) != mine:
            what = f"version {version}" if version != mine[0] else f"a different build of {version} (code {code})"
            raise StoryExportError(f"Dask worker {address} runs storyexport {what}; this client runs {mine[0]} "
                                   f"(code {mine[1]}): install the same storyexport on every worker")
    return len(theirs)


@contextlib.contextmanager
def connect(address: str | None, workers: int) -> Iterator[Any]:
    """A client of a new ``LocalCluster`` (``address`` None: ``workers``
    processes of one thread each, bound to 127.0.0.1, no dashboard) or of
    the cluster at ``address``."""
    if Client is None:
        raise StoryExportError("--scheduler needs Dask: pip install 'storyexport[dask]'")
    with contextlib.ExitStack() as stack:
        if address is None:
            cluster = stack.enter_context(LocalCluster(
                n_workers=max(1, workers), threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None, silence_logs=logging.ERROR))
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = stack.enter_context(Client(address, timeout=CONNECT_TIMEOUT))
            except (OSError, TimeoutError) as e:
                raise StoryExportError(f"cannot reach the Dask scheduler at {address}: {e}") from None
        yield client


def dask_results(address: str | None, workers: int, run: Callable[[J], R], jobs: Sequence[J],
                 init: Callable[..., None], initargs: tuple[Any, ...]) -> Iterator[R]:
    """``run(job)`` for every job on a Dask cluster, results in job order
    (see :func:`scheduling.results`). Leaving early (an error, Ctrl-C)
    cancels what is still queued or running."""
    with connect(address, workers) as client:
        count = check_workers(client)
        client.register_plugin(Setup(init, initargs, os.getcwd(), address is None), name="storyexport-setup")
        submitted: list[Any] = []

        def submit(batch: Sequence[J]) -> Any:
            # pure=False: each job runs once per export, never taken from an earlier one
            f = client.submit(run_batch, run, batch, pure=False)
            submitted.append(f)
            return f

        size = batch_size(len(jobs), count)
        batches = (jobs[i:i + size] for i in range(0, len(jobs), size))
        try:
            for done in in_order(submit, batches, IN_FLIGHT_PER_WORKER * count):
                yield from done
        finally:
            client.cancel([f for f in submitted if not f.done()], force=True)
