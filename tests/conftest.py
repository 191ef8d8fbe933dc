"""Shared fixtures: every sample is read once and exported once per session
per set of formats; tests then check those outputs many ways."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from storyexport.config import Site
from storyexport.corrections import corrected, corrected_dates
from storyexport.errors import Diagnostics
from storyexport.model import Article
from storyexport.readers import read_source

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "source"
SEED = SOURCE / "russia-sends-aid.txt"
EPOCH = "1700000000"


def run_cli(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None,
            timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run the installed ``storyexport`` command as a user would."""
    import os

    e = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **(env or {})}
    exe = str(Path(sys.executable).with_name("storyexport"))
    return subprocess.run([exe, *args], cwd=cwd, env=e, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def samples() -> dict[str, Article]:
    """Every sample article, by slug, read with the default site settings."""
    out: dict[str, Article] = {}
    commits = corrected_dates(SOURCE)  # as the build reads them: a corrected sample is updated
    for p in sorted(SOURCE.glob("*.*")):
        if p.suffix in (".md", ".txt"):
            a = read_source(p, SOURCE, Site(), Diagnostics())
            assert a is not None
            a = corrected(a, commits.get(p.resolve()))
            out[a.meta.slug] = a
    return out


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """``exported("pdf")`` exports the samples once per session and returns
    the output folder. Formats are comma-separated; ``theme`` picks a theme."""
    cache: dict[tuple[str, str], Path] = {}

    def build(formats: str, theme: str = "default", config: str | None = None) -> Path:
        key = (formats, theme + (config or ""))
        if key not in cache:
            out = tmp_path_factory.mktemp(f"dist-{formats.replace(',', '-')}-{theme}")
            args = ["--format", formats, "--out", str(out), "--theme", theme, "--jobs", "2"]
            if config:
                args += ["--config", config]
            r = run_cli(*args)
            assert r.returncode == 0, r.stderr
            cache[key] = out
        return cache[key]

    return build


def page_path(dist: Path, slug: str) -> Path:
    """A story's web page: ``slug.html``, or the folder its canonical URL
    names on this site (``2024/slug/index.html``)."""
    flat = dist / f"{slug}.html"
    return flat if flat.is_file() else next(dist.rglob(f"{slug}/index.html"))


def have(tool: str) -> bool:
    return shutil.which(tool) is not None
