"""Two versions of the writers in one run: the CPU time each format takes to
render one article of the synthetic corpus (warm writers, no profiler), for
``--src`` folders tried in turn (each run a fresh process with
``PYTHONPATH=DIR``), alternated ``--repeat`` times; the least CPU per version
and format is kept, as load from other processes only ever adds time.

Usage: ``python bench/render_ab.py --src OLD/src,NEW/src [--n 20] [--repeat 3] [--formats html,docx,epub,pdf]``
(a version's ``src`` is e.g. ``git archive COMMIT src | tar -x -C DIR``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LOOPS = {"html": 20, "docx": 5, "epub": 5, "pdf": 1}  # renders of the corpus per format (each run)


def measure(n: int, formats: list[str]) -> dict[str, float]:
    """ms of CPU per article per format, in this process."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from corpus import make
    from storyexport.config import load_config
    from storyexport.errors import Diagnostics
    from storyexport.readers import read_source
    from storyexport.theme import load_theme
    from storyexport.writers import RenderContext, load

    site, theme = load_config(None), load_theme("default")
    src = make(n, Path(tempfile.mkdtemp()) / "source")
    articles = [a for p in sorted(src.glob("*.md")) if (a := read_source(p, src, site, Diagnostics())) is not None]
    out = {}
    for fmt in formats:
        writer, ctx = load(fmt)(theme, site), RenderContext(theme, site, Diagnostics())
        writer.render(articles[0], ctx)  # imports, style sheets, font caches: as a worker's first job
        loops = LOOPS.get(fmt, 1)
        t = time.process_time()
        for _ in range(loops):
            for a in articles:
                writer.render(a, ctx)
        out[fmt] = (time.process_time() - t) / loops / len(articles) * 1000
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", required=True, help="comma-separated src folders to compare")
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--formats", default="html,docx,epub,pdf")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    formats = args.formats.split(",")
    if args.child:
        print(json.dumps(measure(args.n, formats)))
        return
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.repeat):
        for src in args.src.split(","):
            r = subprocess.run([sys.executable, __file__, "--child", "--src", src, "--n", str(args.n),
                                "--formats", args.formats], env={**os.environ, "PYTHONPATH": src},
                               capture_output=True, text=True, check=True)
            got = json.loads(r.stdout.strip().splitlines()[-1])
            print(src, " | ".join(f"{f} {got[f]:.2f}" for f in formats), flush=True)
            mine = best.setdefault(src, {})
            for f in formats:
                mine[f] = min(mine.get(f, got[f]), got[f])
    print("least CPU ms per article:")
    for src, per in best.items():
        print(f"  {src}: " + " | ".join(f"{f} {per[f]:.2f}" for f in formats) + f" | sum {sum(per.values()):.1f}")


if __name__ == "__main__":
    main()
