"""Where a writer's time goes: renders the synthetic corpus in one process
with one warm writer per format and prints the mean ms per article and the
top functions by cumulative time (cProfile).

The first article of each format is rendered before timing (imports, parsed
style sheets, font caches), as a build worker would have done for its first
job; the figure is therefore the steady per-article cost.

Usage: ``python bench/profile_writers.py [--n 20] [--formats docx,epub,pdf] [--top 25]``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import make
from storyexport.config import load_config
from storyexport.errors import Diagnostics
from storyexport.readers import read_source
from storyexport.theme import load_theme
from storyexport.writers import RenderContext, load


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=20, help="articles (default 20)")
    ap.add_argument("--formats", default="docx,epub,pdf")
    ap.add_argument("--theme", default="default")
    ap.add_argument("--top", type=int, default=25, help="functions to list per format (0: none)")
    args = ap.parse_args()
    site = load_config(None)
    theme = load_theme(args.theme)
    with tempfile.TemporaryDirectory(prefix="profile-") as tmp:
        src = make(args.n + 1, Path(tmp) / "source")
        articles = [a for p in sorted(src.glob("*.md")) if (a := read_source(p, src, site, Diagnostics()))]
        for fmt in args.formats.split(","):
            writer = load(fmt)(theme, site)
            ctx = RenderContext(theme, site, Diagnostics())
            writer.render(articles[0], ctx)  # warm-up
            prof = cProfile.Profile()
            t = time.perf_counter()
            prof.enable()
            size = sum(len(writer.render(a, ctx)) for a in articles[1:])
            prof.disable()
            ms = (time.perf_counter() - t) * 1000 / (len(articles) - 1)
            print(f"## {fmt}: {ms:.1f} ms per article (profiled), {size / (len(articles) - 1) / 1024:.0f} KiB each")
            if args.top:
                out = io.StringIO()
                pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(args.top)
                print("\n".join(out.getvalue().splitlines()[6:]))


if __name__ == "__main__":
    main()
