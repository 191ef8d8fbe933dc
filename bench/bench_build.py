"""Benchmark: the full export (every installed format, ``--force``) and a
no-op rebuild of N generated articles (bench/corpus.py), for one or more
versions of the code in the same run.

    .venv/bin/python bench/bench_build.py [--n 100] [--rounds 3] [--src DIR,DIR] [--jobs 2]

``--src`` runs each export with ``PYTHONPATH=DIR`` (a ``src`` folder from
``git archive``), the versions alternated round by round so that load on
the machine hits them alike. Each version exports into its own folder
(its own manifest). Reports the median wall and CPU time (all processes)
per version, and each against the first.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpus import make

ROOT = Path(__file__).resolve().parents[1]
EXE = Path(sys.executable).with_name("storyexport")
CONFIG = '[site]\ntitle = "Bench"\nbase_url = "https://bench.example.org/"\n'


def timed(src: Path, out: Path, config: Path, code: str, jobs: int, *extra: str) -> tuple[float, float]:
    """Wall and CPU seconds (the export and its workers) of one export."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", **({"PYTHONPATH": code} if code else {})}
    start = time.perf_counter()
    proc = subprocess.Popen([str(EXE), "--out", str(out), "--config", str(config), "--quiet", "--jobs", str(jobs),
                             *extra, str(src)], env=env, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    assert proc.stderr is not None
    err = proc.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"export failed ({code or 'this checkout'}): {err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--src", default="", help="comma-separated src folders to compare (default: this checkout)")
    args = ap.parse_args()
    codes = args.src.split(",") if args.src else [""]
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
          f"N={args.n}, --jobs {args.jobs}, {args.rounds} rounds")
    runs: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="storyexport-bench-build-") as tmp:
        work = Path(tmp)
        src = make(args.n, work / "source")
        config = work / "storyexport.toml"
        config.write_text(CONFIG)
        for _ in range(args.rounds):
            for i, code in enumerate(codes):
                out = work / f"out-{i}"
                runs.setdefault((code, "full export (--force)"), []).append(
                    timed(src, out, config, code, args.jobs, "--force"))
                runs.setdefault((code, "no-op rebuild"), []).append(timed(src, out, config, code, args.jobs))
        print(f"load after {os.getloadavg()[0]:.1f}")
    print("| code | run | wall s (median) | CPU s (median) | wall vs first | CPU vs first |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for (code, what), values in runs.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        base = runs[(codes[0], what)]
        bw = statistics.median(v[0] for v in base)
        bc = statistics.median(v[1] for v in base)
        print(f"| {code or 'this checkout'} | {what} | {wall:.2f} | {cpu:.2f} | {wall / bw:.3f} | {cpu / bc:.3f} |")


if __name__ == "__main__":
    main()
