"""Dates from git history, for stories whose front matter has none.

Hugo's ``enableGitInfo`` takes a page's last-modified date from its last
commit; a commit date is part of the repository, not the clock, so the same
checkout always gives the same date. git is run with the repository's hooks,
pager and file-system monitor switched off (a source tree is untrusted), on
the one file, and its answer is parsed strictly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime
from functools import cache
from pathlib import Path

_SAFE_GIT = ("-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "core.pager=cat",
             "--no-pager", "--no-optional-locks")


@cache
def _git() -> str | None:
    return shutil.which("git")


def _repository(folder: Path) -> Path | None:
    for d in (folder, *folder.parents):
        if (d / ".git").exists():
            return d
    return None


def run_git(repo: Path, *args: str, timeout: float = 30) -> str | None:
    """git's output for ``args`` in ``repo`` (hooks, pager, file-system
    monitor, system config and the caller's GIT_ variables left out), or None
    if git is missing or fails."""
    git = _git()
    if git is None:
        return None
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    try:
        done = subprocess.run([git, *_SAFE_GIT, "-C", str(repo), *args], capture_output=True, timeout=timeout,
                              env=env, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.decode("utf-8", "surrogateescape") if done.returncode == 0 else None


def last_commit_date(path: Path, root: Path) -> datetime | None:
    """The committer date of the last commit that touched ``path``, or None
    (not in a repository, not committed, or no git)."""
    git = _git()
    real = path.resolve()
    if git is None or not real.is_relative_to(root.resolve()):
        return None
    repo = _repository(real.parent)
    if repo is None:
        return None
    stamp = (run_git(repo, "log", "-1", "--format=%cI", "--", str(real.relative_to(repo))) or "").strip()
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp)
    except ValueError:
        return None
