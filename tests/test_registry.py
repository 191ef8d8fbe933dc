"""Writers are found through the ``storyexport.writers`` entry-point group,
so a package installed beside storyexport adds a format with no change to it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def test_third_party_writer_package(tmp_path: Path, samples: dict) -> None:  # type: ignore[type-arg]
    """Install tests/plugins into a private folder and export with it."""
    target = tmp_path / "site-packages"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(ROOT / "tests" / "plugins")],
        check=True, capture_output=True, text=True, timeout=300,
    )
    env = {"PYTHONPATH": str(target) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    assert "wordcount" in run_cli("formats", env=env).stdout
    out = tmp_path / "dist"
    r = run_cli("--format", "wordcount", "--out", str(out), str(SOURCE), env=env)
    assert r.returncode == 0, r.stderr
    for slug, article in samples.items():
        got = (out / f"{slug}.count.txt").read_text().split("\t")
        assert got == [slug, f"{len(words(plain_text(article)))}\n"]
