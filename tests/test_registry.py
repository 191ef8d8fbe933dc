"""Writers and themes are found through the ``storyexport.writers`` and
``storyexport.themes`` entry-point groups, so a package installed beside
storyexport adds a format or a theme with no change to it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pypdf

from conftest import ROOT, SOURCE, run_cli
from storyexport.model import plain_text, words
from storyexport.writers import available, load


def test_builtin_writers_are_entry_points() -> None:
    names = set(available())
    assert {"html", "pdf", "docx", "epub", "rss", "atom", "jsonfeed"} <= names
    cls = load("html")
    assert (cls.name, cls.extension, cls.media_type, cls.scope) == ("html", "html", "text/html", "article")


def test_formats_command_lists_writers() -> None:
    r = run_cli("formats")
    assert r.returncode == 0
    listed = {line.split()[0] for line in r.stdout.splitlines()}
    assert listed == set(available())


def test_unknown_format_lists_known_ones() -> None:
    r = run_cli("--format", "nope", "--out", "/tmp/storyexport-never")
    assert r.returncode == 2
    assert "unknown format 'nope'" in r.stderr and "html" in r.stderr
    assert "Traceback" not in r.stderr


def install_plugin(package: Path, tmp_path: Path) -> dict[str, str]:
    """Install a package from tests/plugins into a private folder (not
    editable: its files are copied, as from an index); the environment that
    makes it visible to the CLI."""
    target = tmp_path / "site-packages"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(package)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    return {"PYTHONPATH": str(target) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_third_party_writer_package(tmp_path: Path, samples: dict) -> None:  # type: ignore[type-arg]
    """Install tests/plugins into a private folder and export with it."""
    env = install_plugin(ROOT / "tests" / "plugins", tmp_path)
    assert "wordcount" in run_cli("formats", env=env).stdout
    out = tmp_path / "dist"
    r = run_cli("--format", "wordcount", "--out", str(out), str(SOURCE), env=env)
    assert r.returncode == 0, r.stderr
    for slug, article in samples.items():
        got = (out / f"{slug}.count.txt").read_text().split("\t")
        assert got == [slug, f"{len(words(plain_text(article)))}\n"]


def test_third_party_theme_package(tmp_path: Path, samples: dict) -> None:  # type: ignore[type-arg]
    """Install tests/plugins/theme (the ``ink`` theme: default's look in dark
    blue on A5, its theme.toml package data) and export with it by name."""
    assert "known: default, sans" in run_cli("--theme", "ink", "--out", str(tmp_path / "no")).stderr
    env = install_plugin(ROOT / "tests" / "plugins" / "theme", tmp_path)
    out = tmp_path / "dist"
    r = run_cli("--theme", "ink", "--format", "html,pdf", "--out", str(out), str(SOURCE), env=env)
    assert r.returncode == 0, r.stderr
    css = (out / "_theme" / "screen.css").read_text()
    assert "#0b2f6b" in css and "Noto Serif" in css  # its own accent, default's inherited fonts
    for slug, article in samples.items():
        pdf = pypdf.PdfReader(out / f"{slug}.pdf")
        box = pdf.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (420, 595)  # 148 x 210 mm
        assert pdf.metadata is not None and pdf.metadata.title == article.meta.title
        assert article.meta.title in (out / f"{slug}.html").read_text()
