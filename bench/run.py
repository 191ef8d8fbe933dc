"""storyexport benchmarks, every figure a ratio against a reference measured in
the same run on the same machine (never asserted in tests).

(a) full export to PDF, DOCX and EPUB against pandoc converting the same
    Markdown file by file (``--pdf-engine=weasyprint`` for PDF): per format,
    and overall as one ``--format pdf,docx,epub`` export;
(b) no-op rebuild; (c) one-changed-article rebuild;
(d) peak RSS against N (HTML + feeds);
(e) ``storyexport --help`` start-up against a bare ``python -c pass``;
(f) the full export with every shim (``storyexport.compat``), with none
    (``STORYEXPORT_SHIMS=off``) and without each one in turn, alternated.

Usage: ``python bench/run.py --n 100`` (``make bench``; ``N=1000 make bench``).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import make

BIN = Path(sys.executable).parent
EXE = str(BIN / "storyexport")
ENV = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
CONFIG = """[site]
title = "Bench"
base_url = "https://bench.example.org/"
"""


def timed(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, env={**ENV, **(env or {})}, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"failed (exit {r.returncode}): {' '.join(cmd)}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return elapsed


def export(src: Path, out: Path, formats: str, *extra: str, env: dict[str, str] | None = None) -> float:
    cfg = src.parent / "storyexport.toml"
    cfg.write_text(CONFIG)
    return timed([EXE, "--format", formats, "--out", str(out), "--config", str(cfg), "--quiet", *extra, str(src)],
                 env=env)


def cpu_seconds() -> float:
    """User and system time of this process's finished children."""
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def shims(src: Path, work: Path, rounds: int, only: str) -> None:
    """(f): one ``--force`` export to pdf,docx,epub per configuration and
    round, the configurations alternated so that load drifts hit them alike;
    medians of wall time and of CPU time (all processes)."""
    from storyexport.compat import ENV as SWITCH
    from storyexport.compat import all_shims

    names = [n for n in all_shims() if not only or n in only.split(",")]  # "none": all and none only
    configs = {"all shims": {}, "no shims": {SWITCH: "off"}, **{f"without {n}": {SWITCH: f"-{n}"} for n in names}}
    runs: dict[str, list[tuple[float, float]]] = {c: [] for c in configs}
    n = len(list(src.glob("*.md")))
    for _ in range(rounds):
        for config, env in configs.items():
            before = cpu_seconds()
            wall = export(src, work / "out-shims", "pdf,docx,epub", "--force", env=env)
            runs[config].append((wall, cpu_seconds() - before))
    base_wall, base_cpu = (statistics.median(x[i] for x in runs["all shims"]) for i in (0, 1))
    print(f"\n## (f) shims: one export to pdf,docx,epub of {n} articles, {rounds} rounds, medians")
    print(f"{'configuration':40} {'wall s':>8} {'vs all':>7} {'CPU s':>8} {'vs all':>7}")
    for config, vals in runs.items():
        wall, cpu = (statistics.median(x[i] for x in vals) for i in (0, 1))
        print(f"{config:40} {wall:8.2f} {100 * (wall / base_wall - 1):+6.1f}% "
              f"{cpu:8.2f} {100 * (cpu / base_cpu - 1):+6.1f}%")


def pandoc_ms(files: list[Path], fmt: str, work: Path) -> float:
    """Mean ms per article for pandoc converting each file to ``fmt``."""
    total = 0.0
    for f in files:
        out = work / f"{f.stem}.{fmt}"
        cmd = ["pandoc", str(f), "-s", "--resource-path", str(f.parent), "-o", str(out)]
        if fmt == "pdf":
            cmd.insert(1, "--pdf-engine=weasyprint")
        total += timed(cmd, cwd=f.parent)
    return 1000 * total / len(files)


def _tree_rss_kb(root: int) -> int:
    """Resident memory of ``root``'s descendants, summed (Linux ``/proc``)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
            fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
            children.setdefault(int(fields[1]), []).append(int(d))
            rss[int(d)] = int(fields[21])
        except (OSError, ValueError, IndexError):
            continue  # the process ended while we looked
    total, todo = 0, list(children.get(root, []))
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total * (os.sysconf("SC_PAGE_SIZE") // 1024)


def peak_rss_mb(src: Path, out: Path, formats: str) -> tuple[float, float]:
    """Peak resident memory of one export: of its largest process (the
    kernel's ``ru_maxrss`` over the export and its workers), and of all its
    processes together (sampled every 20 ms)."""
    cmd = [EXE, "--format", formats, "--out", str(out), "--config", str(src.parent / "storyexport.toml"),
           "--quiet", str(src)]
    code = (
        "import resource, subprocess, sys\n"
        f"subprocess.run({cmd!r}, check=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kb(proc.pid))
        time.sleep(0.02)
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{stderr[-2000:]}")
    return int(stdout.strip().splitlines()[-1]) / 1024, peak / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="articles in the corpus (default 100)")
    ap.add_argument("--pandoc-sample", type=int, default=20, help="articles pandoc converts per format")
    ap.add_argument("--rss-sizes", default="100,1000,10000", help="corpus sizes for the memory curve")
    ap.add_argument("--skip", default="", help="comma-separated sections to skip: a,b,c,d,e,f")
    ap.add_argument("--shim-rounds", type=int, default=3, help="rounds of (f)")
    ap.add_argument("--shims", default="",
                    help="shims (f) leaves out one at a time, comma-separated (default: all; none: all vs none only)")
    args = ap.parse_args()
    skip = set(args.skip.split(","))
    work = Path(tempfile.mkdtemp(prefix="storyexport-bench-"))
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                         text=True).stdout.strip()
    print(f"# storyexport benchmarks: N={args.n}, {platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, commit {rev or 'unknown'}, {time.strftime('%Y-%m-%d %H:%M')}, "
          f"load average {os.getloadavg()[0]:.1f}")
    src = make(args.n, work / "corpus" / "source")
    files = sorted(src.glob("*.md"))

    if "a" not in skip:
        print("\n## (a) full export vs pandoc (ms per article; pandoc on "
              f"{min(args.pandoc_sample, len(files))} articles)")
        print(f"{'format':8} {'storyexport':>12} {'pandoc':>10} {'ratio':>8}")
        ours_total = theirs_total = 0.0
        for fmt in ("pdf", "docx", "epub"):
            ours = 1000 * export(src, work / f"out-{fmt}", fmt, "--force") / len(files)
            theirs = pandoc_ms(files[: args.pandoc_sample], fmt, work)
            ours_total += ours
            theirs_total += theirs
            print(f"{fmt:8} {ours:12.1f} {theirs:10.1f} {theirs / ours:7.1f}x")
        print(f"{'sum':8} {ours_total:12.1f} {theirs_total:10.1f} {theirs_total / ours_total:7.1f}x faster "
              "(three separate exports)")
        # What a user runs: one export to all three formats (one start-up, one
        # read of each source, one pool), against pandoc's three conversions.
        one = 1000 * export(src, work / "out-all3", "pdf,docx,epub", "--force") / len(files)
        print(f"{'overall':8} {one:12.1f} {theirs_total:10.1f} {theirs_total / one:7.1f}x faster "
              "(one export to pdf,docx,epub)")

    if "b" not in skip or "c" not in skip:
        out = work / "out-all"
        full = export(src, out, "pdf,docx,epub,html,rss,atom,jsonfeed")
        noop = export(src, out, "pdf,docx,epub,html,rss,atom,jsonfeed")
        target = files[len(files) // 2]
        target.write_text(target.read_text().replace("## ", "## Changed ", 1))
        one = export(src, out, "pdf,docx,epub,html,rss,atom,jsonfeed")
        print(f"\n## (b, c) rebuilds of {len(files)} articles, all formats")
        print(f"full build       {full:8.2f} s")
        print(f"no-op rebuild    {noop:8.2f} s   ({full / noop:.0f}x faster than full)")
        print(f"one changed      {one:8.2f} s   ({full / one:.0f}x faster than full)")

    if "d" not in skip:
        print("\n## (d) peak RSS of a full export, HTML + RSS + Atom + JSON Feed")
        for n in (int(x) for x in args.rss_sizes.split(",")):
            s = make(n, work / f"rss{n}" / "source")
            (s.parent / "storyexport.toml").write_text(CONFIG)
            t = time.perf_counter()
            largest, total = peak_rss_mb(s, work / f"rss{n}-out", "html,rss,atom,jsonfeed")
            print(f"N={n:<6} peak RSS {largest:7.1f} MB largest process, {total:7.1f} MB all processes "
                  f"({time.perf_counter() - t:.1f} s)")
            shutil.rmtree(s.parent)

    if "e" not in skip:
        runs = 10
        base = min(timed([sys.executable, "-c", "pass"]) for _ in range(runs))
        ours = min(timed([EXE, "--help"]) for _ in range(runs))
        print(f"\n## (e) start-up: storyexport --help {1000 * ours:.0f} ms, bare python {1000 * base:.0f} ms "
              f"(ratio {ours / base:.1f}x)")
    if "f" not in skip:
        shims(src, work, args.shim_rounds, args.shims)
    print(f"\n(load average at the end: {os.getloadavg()[0]:.1f}; other work on the machine slows every figure)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
    main()
