"""What building an export's cache keys costs: every installed writer with
the default theme, timed in a fresh process (as a no-op export pays it),
for one or more versions of the code, alternated run by run.

    .venv/bin/python bench/bench_keys.py [--runs 7] [--src DIR,DIR]

``--src`` runs each version with ``PYTHONPATH=DIR`` (a ``src`` folder from
``git archive``). A version that remembers file hashes (``engine/filehashes.py``)
gets a memo written by an earlier process, as the previous export leaves
it, and is also timed without one. Reports the median CPU time of the
process (``ldconfig`` and ``fc-list`` not counted) and wall time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import sys, time
from pathlib import Path
from storyexport.config import Site
from storyexport.engine import keys
from storyexport.theme import load_theme
from storyexport.writers import available, load
theme, site = load_theme(), Site()
names = tuple(sorted(available()))
writers = {n: load(n)(theme, site) for n in names}
families = {}
for n, w in writers.items():
    if w.scope == "collection" and w.digest_family:
        families.setdefault(w.digest_family, n)
memo = sys.argv[1]
extra = ()
if memo:
    from storyexport.engine.filehashes import FileHashes
    extra = (FileHashes(Path(memo)),)
cpu, wall = time.process_time(), time.perf_counter()
made = keys.Keys(writers, families, theme, site, names, *extra)
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
if memo:
    made.hashes.save()
print(cpu, wall)
"""


def once(code: str, memo: str) -> tuple[float, float]:
    env = {**os.environ, **({"PYTHONPATH": code} if code else {})}
    out = subprocess.run([sys.executable, "-c", CHILD, memo], env=env, capture_output=True, text=True, check=True)
    cpu, wall = map(float, out.stdout.split())
    return cpu, wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--src", default="", help="comma-separated src folders to compare (default: this checkout)")
    args = ap.parse_args()
    codes = args.src.split(",") if args.src else [""]
    runs: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="storyexport-bench-keys-") as tmp:
        memos = {}
        for i, code in enumerate(codes):
            memo = str(Path(tmp) / f"{i}.json")
            has_memo = (Path(code or "src") / "storyexport" / "engine" / "filehashes.py").exists()
            memos[code] = memo if has_memo else ""
            if has_memo:
                once(code, memo)  # the previous export's memo
        for _ in range(args.runs):
            for code in codes:
                runs.setdefault(code or "this checkout", []).append(once(code, memos[code]))
                if memos[code]:
                    runs.setdefault(f"{code or 'this checkout'}, no memo", []).append(once(code, ""))
    print(f"{args.runs} runs, load {os.getloadavg()[0]:.1f}")
    print("| code | CPU ms (median) | wall ms (median) |\n| --- | ---: | ---: |")
    for name, got in runs.items():
        print(f"| {name} | {statistics.median(c for c, _ in got) * 1000:.1f} | "
              f"{statistics.median(w for _, w in got) * 1000:.1f} |")


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"({time.perf_counter() - start:.0f} s)")
