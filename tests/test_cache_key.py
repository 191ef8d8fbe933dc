"""The cache key holds what a writer draws with and the libraries it runs
on: installing a font the theme names, or another version of a library a
writer declares, makes that writer's outputs again at the next export, and
only those. Both are changed for real (a fontconfig folder the font is
installed into, a distribution's metadata the way pip leaves it), never by
patching storyexport."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import run_cli

FORMATS = "html,pdf,epub,docx,rss"
SITE = '[site]\ntitle = "T"\nbase_url = "https://news.example.org/"\n'


def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "source").mkdir(parents=True)
    (root / "storyexport.toml").write_text(SITE)
    for slug, title in (("a", "Harbour"), ("b", "港の記録")):
        (root / "source" / f"{slug}.md").write_text(f"---\ntitle: {title}\ndate: 2024-01-02\n---\n{title} body.\n")
    return root


def written(root: Path, env: dict[str, str]) -> set[str]:
    r = run_cli("--format", FORMATS, "--jobs", "1", "-v", cwd=root, env=env)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    return {line.removeprefix("wrote dist/") for line in r.stdout.splitlines() if line.startswith("wrote ")}


def test_another_library_version_makes_that_writers_outputs_again(tmp_path: Path) -> None:
    """tinycss2 is the PDF writer's (WeasyPrint parses CSS with it): a new
    version re-renders the PDFs, and nothing else."""
    root = project(tmp_path)
    meta = tmp_path / "site-packages"
    meta.mkdir()
    env = {"PYTHONPATH": os.pathsep.join(filter(None, (str(meta), os.environ.get("PYTHONPATH"))))}
    assert "a.pdf" in written(root, env)
    assert written(root, env) == set()  # a no-op
    info = meta / "tinycss2-99.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tinycss2\nVersion: 99.0\n")
    seen = subprocess.run([sys.executable, "-c", "import importlib.metadata as m; print(m.version('tinycss2'))"],
                          env={**os.environ, **env}, capture_output=True, text=True, check=True).stdout.strip()
    assert seen == "99.0"  # what an upgrade leaves behind, as the interpreter reports it
    assert written(root, env) == {"a.pdf", "b.pdf"}
    assert written(root, env) == set()
    info.rename(meta / "tinycss2-99.0.dist-info.removed")  # and back: the versions are compared, not remembered
    assert written(root, env) == {"a.pdf", "b.pdf"}


def _fc_file(family: str) -> Path:
    out = subprocess.run(["fc-list", "--format", "%{file}\n", family], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out, f"{family} is not installed (scripts/install-system-deps.sh installs fonts-noto-cjk)"
    return Path(sorted(out)[0])


def test_installing_a_font_the_theme_names_makes_pdf_and_epub_again(tmp_path: Path) -> None:
    """The default theme names Noto Serif CJK for Japanese and Chinese. On
    a machine without it, PDFs show empty boxes for those characters;
    installing it must re-render the PDFs and EPUBs (its cover draws with
    it), and not the HTML or DOCX (which names fonts, embeds none of the
    machine's)."""
    cjk = _fc_file("Noto Serif CJK JP")
    root = project(tmp_path)
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
                    f"<dir>{fonts}</dir><cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>\n")
    env = {"FONTCONFIG_FILE": str(conf)}
    assert {"a.pdf", "b.pdf", "a.epub", "b.html"} <= written(root, env)
    assert written(root, env) == set()
    before = (root / "dist" / "b.pdf").stat().st_size
    (fonts / cjk.name).symlink_to(cjk)
    # and the feed, whose enclosures give the new files' sizes
    assert written(root, env) == {"a.pdf", "b.pdf", "a.epub", "b.epub", "feed.xml"}
    assert (root / "dist" / "b.pdf").stat().st_size > before  # 港の記録 drawn, no longer empty boxes
    assert written(root, env) == set()
