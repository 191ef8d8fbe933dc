"""Dask against the embedded process pool, in one run: N synthetic stories
to HTML, DOCX, EPUB and the feeds, on ``--scheduler local --jobs W`` and on
``--scheduler dask-local --jobs W``, alternating, each into a fresh output
folder. Prints wall times, the overhead ratio, and the client's own CPU per
story (what the projection in RESULTS.md scales).

    .venv/bin/python bench/cluster.py --n 2000 --workers 2 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus

FORMATS = "html,docx,epub,rss,atom,jsonfeed"
# Runs the CLI in this process and reports its own CPU time and that of its
# children (the pool's or the LocalCluster's worker processes, all waited for).
WRAPPER = """
import json, resource, sys, time
from storyexport.cli import main
t = time.perf_counter()
code = main(sys.argv[1:])
wall = time.perf_counter() - t
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code, "wall": wall, "client_cpu": me.ru_utime + me.ru_stime,
                  "worker_cpu": kids.ru_utime + kids.ru_stime}), file=sys.stderr)
"""


def run(src: Path, work: Path, scheduler: str, workers: int, tag: str) -> dict[str, float]:
    out = work / f"out-{tag}"
    shutil.rmtree(out, ignore_errors=True)
    config = work / "site.toml"
    args = [str(src), "--config", str(config), "--format", FORMATS, "--out", str(out), "--jobs", str(workers),
            "--scheduler", scheduler, "--quiet"]
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    r = subprocess.run([sys.executable, "-c", WRAPPER, *args], capture_output=True, text=True, env=env, cwd=work)
    result: dict[str, float] = json.loads(r.stderr.strip().splitlines()[-1])
    if result["code"] != 0:
        raise SystemExit(f"{scheduler}: export failed:\n{r.stderr[-2000:]}")
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(work / ".storyexport", ignore_errors=True)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        work = Path(tmp)
        src = corpus.make(a.n, work / "src")
        (work / "site.toml").write_text('[site]\ntitle = "Bench"\nbase_url = "https://bench.example.org/"\n')
        results: dict[str, list[dict[str, float]]] = {"local": [], "dask-local": []}
        for k in range(a.rounds):
            for scheduler in ("local", "dask-local"):
                res = run(src, work, scheduler, a.workers, f"{scheduler}-{k}")
                results[scheduler].append(res)
                print(f"round {k + 1} {scheduler:10s} wall {res['wall']:7.1f} s  client CPU {res['client_cpu']:6.1f} s"
                      f"  workers' CPU {res['worker_cpu']:7.1f} s", flush=True)
    pool = statistics.median(r["wall"] for r in results["local"])
    dask = statistics.median(r["wall"] for r in results["dask-local"])
    print(f"\nN={a.n} stories, {a.workers} workers, {FORMATS}, median of {a.rounds}")
    print(f"local pool   {pool:7.1f} s   ({a.n / pool:.1f} stories/s)")
    print(f"dask-local   {dask:7.1f} s   ({a.n / dask:.1f} stories/s)")
    print(f"overhead     {100 * (dask / pool - 1):+.1f}%")
    for s in ("local", "dask-local"):
        c = statistics.median(r["client_cpu"] for r in results[s]) / a.n * 1000
        w = statistics.median(r["worker_cpu"] for r in results[s]) / a.n * 1000
        print(f"{s:10s} client CPU {c:.2f} ms/story, workers' CPU {w:.1f} ms/story")


if __name__ == "__main__":
    main()
