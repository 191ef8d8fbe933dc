"""Two clean exports of the same sources, theme and SOURCE_DATE_EPOCH are
byte-identical, for every registered writer."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import SEED, SOURCE, run_cli
from storyexport.writers import available

ALL = ",".join(available())


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_two_clean_builds_are_byte_identical(exported, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = exported(ALL)
    r = run_cli("--format", ALL, "--out", str(tmp_path / "again"), "--jobs", "1")
    assert r.returncode == 0, r.stderr
    a, b = files(first), files(tmp_path / "again")
    assert a.keys() == b.keys()
    extensions = {Path(k).suffix for k in a}
    assert {".pdf", ".docx", ".epub", ".html", ".xml", ".json"} <= extensions
    different = [k for k in a if a[k] != b[k]]
    assert different == []


def test_the_sources_folder_does_not_change_the_bytes(exported, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A checkout elsewhere (another machine's path, a CI workspace) exports
    the same bytes: no output depends on where the sources are (the PDF
    names images by their content, not by their path)."""
    first = exported(ALL)
    moved = tmp_path / "elsewhere" / "deeper" / "source"
    shutil.copytree(SOURCE, moved)
    r = run_cli(str(moved), "--format", ALL, "--out", str(tmp_path / "out"), "--jobs", "2")
    assert r.returncode == 0, r.stderr
    a, b = files(first), files(tmp_path / "out")
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []


def test_dump_prints_the_model_as_json() -> None:
    r = run_cli("dump", str(SEED))
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["t"] == "Article"
    assert data["meta"]["published"] == "2020-04-01T00:00:00+00:00"
    assert len(data["meta"]["summary"]) == 3
    assert [b["t"] for b in data["blocks"]] == ["Para"] * 11
