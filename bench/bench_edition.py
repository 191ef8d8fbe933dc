"""Edition PDF speed and memory: one 200-story edition PDF against the sum
of the same stories' single PDFs, in the same run on the same machine.

Each side runs in its own fresh process (so each has its own peak RSS),
with one warm PdfWriter (WeasyPrint imported, the theme's style sheets and
font configuration parsed before the clock starts), calling the writer as
the build does (through ``call_with_room``):

* singles: ``PdfWriter.render(article)`` for every story, timed one by one
  and summed, each with the collector paused and one collection after it,
  as the build's pool workers run them;
* edition: ``editions.render(edition, "pdf", ...)`` once for all of them
  (cover, contents with page numbers, outline, every story), as the export
  calls it (collector paused, one collection after).

Corpus: N synthetic articles from ``bench/corpus.py`` (about three A4 pages
each, three footnotes, a table, a figure). The target (issue 19): the
edition in less than 1.2x the sum, peak RSS under 1 GB. Both wall and CPU
time are printed: on a shared machine the CPU time of each side is the
steadier figure.
Usage: ``python bench/bench_edition.py [--n 200] [--rounds 1]``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import make
from storyexport.compat.cpython import call_with_room
from storyexport.config import Site
from storyexport.editions import collector_paused, render
from storyexport.editions.command import read_stories
from storyexport.editions.selection import EditionSpec, select
from storyexport.errors import Diagnostics
from storyexport.theme import load_theme
from storyexport.writers import RenderContext
from storyexport.writers.pdf import PdfWriter

SITE = Site(title="Bench", publisher="Bench", base_url="https://bench.example.org/")


def child(mode: str, folder: Path) -> dict[str, float]:
    theme = load_theme("default")
    stories = read_stories([folder], folder, SITE, Diagnostics())
    writer = PdfWriter(theme, SITE)
    ctx = RenderContext(theme, SITE, Diagnostics(), source_root=folder)
    writer.engine()
    spec = EditionSpec("Bench edition", "bench", start=date(2000, 1, 1), end=date(2100, 1, 1))
    edition = select(spec, stories, SITE)
    pages = 0
    if mode == "singles":
        call_with_room(writer.render, stories[0], ctx)  # the same warm-up the edition side gets below
        total = cpu = 0.0
        size = 0
        for a in stories:
            t0, c0 = time.perf_counter(), time.process_time()
            with collector_paused():  # as a build worker: collector off in the layout, one collection after
                data = call_with_room(writer.render, a, ctx)
            total += time.perf_counter() - t0
            cpu += time.process_time() - c0
            size += len(data)
    else:
        call_with_room(writer.render, stories[0], ctx)
        from storyexport.editions.pdf import render_pdf  # noqa: F401 (imported before the clock)
        t0, c0 = time.perf_counter(), time.process_time()
        data = render(edition, "pdf", writer, ctx)  # as the build calls it
        total, cpu = time.perf_counter() - t0, time.process_time() - c0
        size = len(data)
        import pypdf

        pages = len(pypdf.PdfReader(io.BytesIO(data)).pages)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB
    return {"seconds": total, "cpu": cpu, "rss_mib": rss, "bytes": size, "stories": len(edition.entries),
            "pages": pages}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--child", choices=("singles", "edition"))
    ap.add_argument("--corpus", type=Path)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.corpus)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = make(args.n, Path(tmp) / "corpus")
        print(f"storyexport edition bench: N={args.n}, Python {platform.python_version()}, "
              f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
        for r in range(args.rounds):
            res = {}
            for mode in ("singles", "edition"):
                out = subprocess.run([sys.executable, __file__, "--child", mode, "--corpus", str(folder)],
                                     capture_output=True, text=True, check=True).stdout
                res[mode] = json.loads(out.strip().splitlines()[-1])
            s, e = res["singles"], res["edition"]
            print(f"round {r + 1}: singles {s['seconds']:.1f} s wall, {s['cpu']:.1f} s CPU for {s['stories']} PDFs "
                  f"({s['bytes'] / 1e6:.1f} MB), peak RSS {s['rss_mib']:.0f} MiB; edition {e['seconds']:.1f} s wall, "
                  f"{e['cpu']:.1f} s CPU, {e['pages']} pages ({e['bytes'] / 1e6:.1f} MB), peak RSS "
                  f"{e['rss_mib']:.0f} MiB; edition/sum: wall {e['seconds'] / s['seconds']:.2f}, "
                  f"CPU {e['cpu'] / s['cpu']:.2f} (load {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
