"""The output folder can be published as it is: the build's bookkeeping
lives in a state folder outside it, and no output names a folder of the
build machine."""

from __future__ import annotations

import contextlib
import io
import json
import re
import zipfile
import zlib
from pathlib import Path

from conftest import ROOT, run_cli
from storyexport.writers import available

ALL = ",".join(available())
STORY = "---\ntitle: A\ndate: 2024-01-02\n---\nBody of A.\n\n![Chart](images/chart.png)\n"
SITE = '[site]\ntitle = "T"\nbase_url = "https://news.example.org/"\n'


def texts(path: Path) -> list[bytes]:
    """What a file holds, opened up: zip members and inflated PDF streams too,
    so a path cannot hide in a compressed part."""
    data = path.read_bytes()
    out = [data]
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            out += [z.read(n) for n in z.namelist()]
    if data.startswith(b"%PDF"):
        for m in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
            with contextlib.suppress(zlib.error):
                out.append(zlib.decompress(m.group(1)))
    return out


def test_no_bookkeeping_and_no_machine_path_in_the_outputs(exported) -> None:  # type: ignore[no-untyped-def]
    out: Path = exported(ALL)
    names = [p.relative_to(out).as_posix() for p in out.rglob("*")]
    assert not [n for n in names if re.search(r"(^|/)\.", n)]  # nothing hidden: no manifest, cache, lock, temp
    state = out.parent / ".storyexport" / out.name
    assert (state / "manifest.json").is_file() and (state / "lock").is_file()
    assert list((state / "cache").rglob("*.json"))
    machine = [str(ROOT).encode(), str(out.parent).encode(), str(Path.home()).rstrip("/").encode() + b"/"]
    leaks = [(p.name, m) for p in out.rglob("*") if p.is_file() for t in texts(p) for m in machine if m in t]
    assert leaks == []
    manifest = (state / "manifest.json").read_bytes()
    assert str(ROOT).encode() not in manifest
    assets = {a for e in json.loads(manifest)["sources"].values() for a in e.get("assets", {})}
    assert "images/chart.png" in assets  # named relative to the source root


def test_old_bookkeeping_in_the_output_folder_is_read_then_removed(tmp_path: Path) -> None:
    (tmp_path / "storyexport.toml").write_text(SITE)
    (tmp_path / "source" / "images").mkdir(parents=True)
    (tmp_path / "source" / "images" / "chart.png").write_bytes((ROOT / "source/images/chart.png").read_bytes())
    (tmp_path / "source" / "a.md").write_text(STORY)
    dist = tmp_path / "dist"
    (dist / ".storyexport-cache" / "storyexport.feeds").mkdir(parents=True)
    (dist / ".storyexport-cache" / "storyexport.feeds" / "x.json").write_text("{}")
    (dist / ".storyexport.lock").write_bytes(b"")
    (dist / "gone.html").write_text("an output of a source deleted before the upgrade")
    old = {"format": 1, "collections": {}, "shared": {}, "stale": [], "sources": {"gone.md": {
        "hash": "0", "slug": "gone", "published": "2024-01-01T00:00:00+00:00", "warnings": [],
        "assets": {str(tmp_path / "source" / "images" / "chart.png"): "0"},
        "outputs": {"html": {"path": "gone.html", "key": "k", "length": 49, "media_type": "text/html"}}}}}
    (dist / ".storyexport-manifest.json").write_text(json.dumps(old))
    r = run_cli("--format", "html,rss", "--jobs", "1", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert sorted(p.relative_to(dist).as_posix() for p in dist.rglob("*") if p.name.startswith(".")) == []
    assert not (dist / "gone.html").exists()  # the old manifest still cleaned up after the deleted source
    assert (dist / "a.html").is_file() and (dist / "feed.xml").is_file()
    assert (tmp_path / ".storyexport" / "dist" / "manifest.json").is_file()
    r = run_cli("--format", "html,rss", "--jobs", "1", "-v", cwd=tmp_path)
    assert "wrote" not in r.stdout  # the new manifest is trusted


def test_state_folder_is_configurable_and_never_inside_the_output(tmp_path: Path) -> None:
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "a.md").write_text(STORY.replace("\n\n![Chart](images/chart.png)", ""))
    (tmp_path / "storyexport.toml").write_text(SITE + '[build]\nstate = "var/sx"\n')
    r = run_cli("--format", "html", "--jobs", "1", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "var" / "sx" / "dist" / "manifest.json").is_file()
    assert not (tmp_path / ".storyexport").exists()
    (tmp_path / "storyexport.toml").write_text(SITE + '[build]\nstate = "dist/.state"\n')
    r = run_cli("--format", "html", "--jobs", "1", cwd=tmp_path)
    assert r.returncode == 1
    assert r.stderr.strip().endswith("must not be inside the output folder dist")
    assert "Traceback" not in r.stderr and not (tmp_path / "dist" / ".state").exists()
