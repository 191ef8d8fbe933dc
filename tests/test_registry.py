"""Writers and themes are found through the ``storyexport.writers`` and
``storyexport.themes`` entry-point groups, so a package installed beside
storyexport adds a format or a theme with no change to it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pypdf

from conftest import ROOT, SOURCE, page_path, run_cli
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
        assert article.meta.title in page_path(out, slug).read_text()


def test_third_party_reader_package(tmp_path: Path) -> None:
    """Install tests/plugins/reader (a reader for ``.htm`` stories) privately
    and export a story only it can read, beside a built-in Markdown one."""
    env = install_plugin(ROOT / "tests" / "plugins" / "reader", tmp_path)
    src = tmp_path / "source"
    src.mkdir()
    (src / "wire.htm").write_text('<html><head><title>Wire story</title><meta name="date" content="2024-02-03">'
                                  "</head><body><p>Agency <em>copy</em> here.</p></body></html>", encoding="utf-8")
    (src / "local.md").write_text("---\ntitle: Local\ndate: 2024-02-04\n---\nOwn words.\n", encoding="utf-8")
    out = tmp_path / "dist"
    r = run_cli("--format", "html", "--out", str(out), str(src), env=env)
    assert r.returncode == 0, r.stderr
    assert "2 article(s)" in r.stderr
    page = (out / "wire.html").read_text(encoding="utf-8")
    assert "Wire story" in page and "<em>copy</em>" in page
    assert "Own words." in (out / "local.html").read_text(encoding="utf-8")
    # without the plugin the .htm file is not a source at all
    plain = run_cli("--format", "html", "--out", str(tmp_path / "plain"), str(src))
    assert plain.returncode == 0 and "1 article(s)" in plain.stderr
