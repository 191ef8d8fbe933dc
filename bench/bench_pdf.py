"""PDF speed: ms per article for the storyexport PDF writer against WeasyPrint
rendering the same HTML bare and against ``pandoc --pdf-engine=weasyprint``
on the same Markdown, all in one run on one machine. Prints both ratios
(targets: within 10% of bare WeasyPrint, at least 10x faster than pandoc).

* storyexport: one warm :class:`PdfWriter` (parsed CSS and font
  configuration reused), model to PDF bytes: the HTML rendering, glyph check,
  metadata and XMP are inside the timing. It is called as the build's workers
  call it, through :func:`storyexport.compat.cpython.call_with_room`.
* bare WeasyPrint: the same HTML string prepared beforehand, then
  ``HTML(string).write_pdf()`` with a new ``CSS`` from the same CSS string
  and a new ``FontConfiguration`` each time, the same ``pdf_tags=True``.
* pandoc: one ``pandoc FILE --pdf-engine=weasyprint --css print.css`` process
  per article (the venv's ``weasyprint`` on PATH), as a newsroom script would.

All three run in one process here; the export itself uses a process pool
(all CPUs), and ``bench/run.py`` (a) compares that with pandoc.

Corpus: the repository's Markdown samples plus N synthetic articles from
``bench/corpus.py``. Usage: ``python bench/bench_pdf.py [--n 8] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import make
from storyexport.compat.cpython import call_with_room
from storyexport.config import Site, load_config
from storyexport.errors import Diagnostics
from storyexport.model import Article, Asset
from storyexport.readers import read_source
from storyexport.theme import load_theme
from storyexport.writers import RenderContext
from storyexport.writers.pdf import PdfWriter
from storyexport.xhtml import HtmlOptions, render_article, render_css

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def load(paths: list[Path], site: Site) -> list[tuple[Path, Article]]:
    out = []
    for p in paths:
        article = read_source(p, p.parent, site, Diagnostics())
        if article is not None:
            out.append((p, article))
    return out


def per_article_ms(fn: Callable[[Article], object], articles: list[Article], rounds: int) -> float:
    """Median over rounds of the mean ms per article."""
    means = []
    for _ in range(rounds):
        t = time.perf_counter()
        for a in articles:
            fn(a)
        means.append((time.perf_counter() - t) * 1000 / len(articles))
    return statistics.median(means)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=8, help="synthetic articles besides the samples (default 8)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds for the in-process timings (default 3)")
    ap.add_argument("--theme", default="default")
    args = ap.parse_args()
    if not shutil.which("pandoc"):
        raise SystemExit("pandoc is not installed")

    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    cfg = ROOT / "storyexport.toml"
    site = load_config(cfg if cfg.is_file() else None)
    theme = load_theme(args.theme)
    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as tmp:
        work = Path(tmp)
        files = sorted((ROOT / "source").glob("*.md")) + sorted(make(args.n, work / "corpus").glob("*.md"))
        loaded = load(files, site)
        articles = [a for _p, a in loaded]

        # storyexport, warm
        writer = PdfWriter(theme, site)
        ctx = RenderContext(theme, site, Diagnostics())
        for a in articles:  # warm-up: WeasyPrint import, CSS, fonts, CJK coverage
            call_with_room(writer.render, a, ctx)
        ours = per_article_ms(lambda a: call_with_room(writer.render, a, ctx), articles, args.rounds)

        # bare WeasyPrint on the same HTML and CSS text
        def image_url(asset: Asset) -> str:
            return Path(asset.path).absolute().as_uri()

        css_text = render_css(theme, "print", lambda p: Path(p).absolute().as_uri())
        html = {id(a): render_article(a, theme, site, HtmlOptions(image_url=image_url, footnotes="float"))
                for a in articles}

        def bare(a: Article) -> bytes:
            fonts = FontConfiguration()
            css = weasyprint.CSS(string=css_text, font_config=fonts)
            return weasyprint.HTML(string=html[id(a)]).write_pdf(stylesheets=[css], font_config=fonts, pdf_tags=True)

        for a in articles[:2]:
            bare(a)
        bare_ms = per_article_ms(bare, articles, args.rounds)

        # pandoc, one process per article, as a script would run it
        css_file = work / "print.css"
        css_file.write_text(css_text, encoding="utf-8")
        env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
        t = time.perf_counter()
        for p, _a in loaded:
            out = work / f"{p.stem}.pdf"
            r = subprocess.run(["pandoc", str(p), "-s", "--pdf-engine=weasyprint", f"--css={css_file}",
                                "--resource-path", str(p.parent), "-o", str(out)],
                               cwd=p.parent, env=env, capture_output=True, text=True)
            if r.returncode != 0 or not out.is_file():
                raise SystemExit(f"pandoc failed on {p.name}: {r.stderr[-1500:]}")
        pandoc_ms = (time.perf_counter() - t) * 1000 / len(loaded)

    print(f"PDF benchmark: {len(articles)} articles ({len(articles) - args.n} samples + {args.n} synthetic), "
          f"theme {theme.name}, WeasyPrint {weasyprint.__version__}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs")
    print(f"  storyexport PdfWriter (warm)     {ours:8.1f} ms/article")
    print(f"  bare WeasyPrint, same HTML + CSS {bare_ms:8.1f} ms/article")
    print(f"  pandoc --pdf-engine=weasyprint   {pandoc_ms:8.1f} ms/article")
    print(f"  storyexport / bare WeasyPrint = {ours / bare_ms:.2f}  (target <= 1.10)")
    print(f"  pandoc / storyexport          = {pandoc_ms / ours:.1f}x  in one process (target >= 10x, measured on "
          "the export with its process pool: bench/run.py (a))")


if __name__ == "__main__":
    main()
