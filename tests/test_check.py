"""``storyexport check`` on exported samples: real validators, a table, exit codes."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import run_cli
from storyexport.writers import available


def test_check_passes_on_every_exported_sample(exported) -> None:  # type: ignore[no-untyped-def]
    out = exported(",".join(available()))
    r = run_cli("check", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    for kind, name in (("pdf", "russia-sends-aid.pdf"), ("docx", "russia-sends-aid.docx"),
                       ("epub", "russia-sends-aid.epub"), ("feed", "atom.xml"), ("html", "russia-sends-aid.html")):
        row = next(line for line in lines if line.startswith(name + " "))
        assert row.split()[1:3] == [kind, "ok"], row
    assert "EPUBCheck: 0 errors, 0 warnings" in r.stdout


def test_check_takes_a_relative_folder(exported) -> None:  # type: ignore[no-untyped-def]
    out = exported(",".join(available()))
    r = run_cli("check", out.name, cwd=out.parent)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "russia-sends-aid.epub " in r.stdout


def test_check_fails_on_broken_files(exported, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = exported(",".join(available()))
    bad = tmp_path / "bad"
    bad.mkdir()
    shutil.copy(out / "russia-sends-aid.epub", bad / "good.epub")
    (bad / "broken.pdf").write_bytes(b"%PDF-1.7\nnot really\n")
    (bad / "broken.docx").write_bytes(b"PK\x03\x04junk")
    (bad / "feed.xml").write_text("<rss><channel><title>x</title></chan")
    r = run_cli("check", str(bad))
    assert r.returncode == 1
    status = {line.split()[0]: line.split()[2] for line in r.stdout.splitlines() if line[:1].strip()
              and len(line.split()) > 2}
    assert status["good.epub"] == "ok"
    assert status["broken.pdf"] == status["broken.docx"] == status["feed.xml"] == "FAIL"
