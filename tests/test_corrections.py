"""Corrections reach feed readers: a story changed after publication with no
``updated`` takes its last commit's date where the sources are in git;
elsewhere the export warns that readers will not see the change."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import have, run_cli

STORY = "---\ntitle: A\ndate: 2024-01-02T08:00:00+00:00\n{extra}---\n{body}\n"
SITE = '[site]\ntitle = "T"\nbase_url = "https://news.example.org/"\n'
WARNING = "feed readers will not show the correction"


def project(tmp_path: Path) -> Path:
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "a.md").write_text(STORY.format(extra="", body="First text."))
    (tmp_path / "storyexport.toml").write_text(SITE)
    (tmp_path / ".gitignore").write_text("dist/\n.storyexport/\n")
    return tmp_path


def git(root: Path, *args: str, when: str = "2024-01-02T09:00:00+00:00") -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Desk", "GIT_AUTHOR_EMAIL": "desk@example.org",
           "GIT_COMMITTER_NAME": "Desk", "GIT_COMMITTER_EMAIL": "desk@example.org",
           "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def item(root: Path) -> dict[str, str]:
    (entry,) = json.loads((root / "dist" / "feed.json").read_text())["items"]
    return entry  # type: ignore[no-any-return]


FORMATS = ("--format", "html,jsonfeed,atom", "--jobs", "1")


@pytest.mark.skipif(not have("git"), reason="git is not installed")
def test_a_committed_correction_dates_the_update(tmp_path: Path) -> None:
    root = project(tmp_path)
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "story")
    assert run_cli(*FORMATS, cwd=root).returncode == 0
    assert item(root)["date_modified"] == "2024-01-02T08:00:00+00:00"  # added, not corrected
    (root / "source" / "a.md").write_text(STORY.format(extra="", body="Corrected text."))
    git(root, "commit", "-q", "-am", "correction", when="2024-03-04T10:00:00+00:00")
    r = run_cli(*FORMATS, cwd=root)
    assert r.returncode == 0 and WARNING not in r.stderr, r.stderr
    assert item(root)["date_modified"] == "2024-03-04T10:00:00+00:00"
    assert "Updated" in (root / "dist" / "a.html").read_text()
    again = tmp_path / "again"  # the same checkout gives the same date
    subprocess.run(["git", "clone", "-q", str(root), str(again)], check=True)
    assert run_cli(*FORMATS, cwd=again).returncode == 0
    assert (again / "dist" / "feed.json").read_bytes() == (root / "dist" / "feed.json").read_bytes()


def test_a_correction_outside_git_is_a_warning(tmp_path: Path) -> None:
    root = project(tmp_path)
    r = run_cli(*FORMATS, cwd=root)
    assert r.returncode == 0 and WARNING not in r.stderr
    (root / "source" / "a.md").write_text(STORY.format(extra="", body="Corrected text."))
    r = run_cli(*FORMATS, cwd=root)
    assert r.returncode == 0
    assert [line for line in r.stderr.splitlines() if WARNING in line] == [
        "source/a.md: warning: changed since the last export, but has no updated date and no later commit: "
        "feed readers will not show the correction (add updated:) [build.updated]"]
    (root / "source" / "a.md").write_text(STORY.format(extra="updated: 2024-02-01\n", body="Corrected again."))
    r = run_cli(*FORMATS, cwd=root)
    assert r.returncode == 0 and WARNING not in r.stderr
    assert item(root)["date_modified"] == "2024-02-01T00:00:00+00:00"
