"""Who runs the per-article jobs: the embedded process pool, or Dask.

Why this is its own concern: the build (the client) plans, places and
records; where the jobs run is the user's choice (``--scheduler``,
``[build] scheduler``), and every choice must give the same results in the
same order (job order), so that outputs and manifest are byte-identical
whichever ran them. Each scheduler keeps a bounded window of jobs in flight:
when placing falls behind rendering, finished jobs wait in a few futures,
not in thousands, so memory stays flat in the size of the archive.
"""

from __future__ import annotations

import itertools
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol, TypeVar

LOCAL = "local"  # the default: a process pool on this machine
DASK_LOCAL = "dask-local"  # a dask.distributed LocalCluster with --jobs worker processes
IN_FLIGHT_PER_WORKER = 4  # jobs queued per worker: keeps workers busy, bounds memory

J = TypeVar("J")
R = TypeVar("R")
_R_co = TypeVar("_R_co", covariant=True)


class _Future(Protocol[_R_co]):
    def result(self) -> _R_co: ...


def check_scheduler(value: str) -> str | None:
    """Why ``value`` names no scheduler, or None."""
    if value in (LOCAL, DASK_LOCAL) or re.fullmatch(r"(tcp|tls|inproc|ucx|ws|wss)://\S+", value):
        return None
    return f"unknown scheduler {value!r} (expected {LOCAL}, {DASK_LOCAL} or a Dask scheduler address such as " \
           "tcp://host:8786)"


def in_order(submit: Callable[[J], _Future[R]], jobs: Iterable[J], width: int) -> Iterator[R]:
    """Results of ``jobs`` in job order, at most ``width`` submitted ahead."""
    todo = iter(jobs)
    window: deque[_Future[R]] = deque(submit(j) for j in itertools.islice(todo, max(1, width)))
    while window:
        result = window.popleft().result()
        for j in itertools.islice(todo, 1):
            window.append(submit(j))
        yield result


def results(scheduler: str, workers: int, run: Callable[[J], R], jobs: Sequence[J],
            init: Callable[..., None], initargs: tuple[Any, ...]) -> Iterator[R]:
    """Run ``run(job)`` for every job on ``scheduler``, each worker process
    first calling ``init(*initargs)``; yield the results in job order."""
    if scheduler == LOCAL:
        count = min(workers, len(jobs))
        with ProcessPoolExecutor(max_workers=count, initializer=init, initargs=initargs) as pool:
            yield from in_order(lambda j: pool.submit(run, j), jobs, IN_FLIGHT_PER_WORKER * count)
        return
    from .cluster import dask_results  # imports Dask only when asked for

    yield from dask_results(None if scheduler == DASK_LOCAL else scheduler, workers, run, jobs, init, initargs)
