"""``storyexport import ninjs``: 1.x and 2.x items (a file, a list, a
folder), their metadata and pictures; bad JSON is a located error."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from conftest import run_cli
from storyexport import model as m
from storyexport.config import Site
from storyexport.errors import Diagnostics
from storyexport.readers import read_source

NINJS = Path(__file__).parent / "import_fixtures" / "ninjs"


def read(path: Path) -> m.Article:
    a = read_source(path, path.parent, Site(), Diagnostics())
    assert a is not None
    return a


def test_ninjs_1_and_2(tmp_path: Path) -> None:
    out = tmp_path / "src"
    r = run_cli("import", "ninjs", str(NINJS), "--out", str(out))
    assert r.returncode == 1  # the undated item
    assert re.search(r"v2\.json:1: item 4 'Undated': no date", r.stderr)
    assert "skipped: 1 picture items, 1 withheld items" in r.stderr
    assert "removed <script> and its content" in r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["2022-harbour-strike.md", "bridge-reopens.md"]

    v1 = read(out / "bridge-reopens.md")
    meta = v1.meta
    assert meta.title == "Old bridge reopens after repairs"
    assert meta.published == datetime(2019, 6, 3, 8, 0, tzinfo=UTC)
    assert meta.updated == datetime(2019, 6, 3, 8, 15, tzinfo=UTC)
    assert [a.name for a in meta.authors] == ["Sam Okafor"]
    assert meta.tags == ("Transport", "Heritage") and meta.language == "en-US"
    assert meta.description == "The 1890 bridge is open to walkers again."
    assert meta.rights == "Copyright 2019 The Agency"
    assert meta.canonical_url == "https://agency.example.com/items/2019/bridge-reopens"
    assert m.Emph((m.Text("old bridge"),)) in v1.blocks[0].children  # type: ignore[union-attr]
    text = " ".join(m.plain_text(v1).split())
    assert "The bridge at dawn Walkers cross the reopened bridge (Ana Lima)" in text
    assert "track" not in text
    source = (out / "bridge-reopens.md").read_text()
    assert "https://cdn.example.com/bridge-1024.jpg" in source  # the widest rendition up to 2,048 px

    v2 = read(out / "2022-harbour-strike.md")
    assert v2.meta.title == "Hamnstrejken fortsätter" and v2.meta.language == "sv"
    assert [a.name for a in v2.meta.authors] == ["Erik Lund"] and v2.meta.tags == ("Arbetsmarknad",)
    assert v2.meta.description == "Ingen lösning i sikte." and v2.meta.rights == "© 2022 Wire"
    text = " ".join(m.plain_text(v2).split())
    # the HTML body is preferred to the plain one, the <title> of its document is not text
    assert "Strejken i hamnen fortsätter. Facket kräver högre löner. Hamnen i Göteborg Stilla kranar" in text
    assert "Hamnstrejken Strejken" not in text


def test_a_single_file_and_bad_json(tmp_path: Path) -> None:
    out = tmp_path / "src"
    r = run_cli("import", "ninjs", str(NINJS / "v1.json"), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert [p.name for p in out.iterdir()] == ["bridge-reopens.md"]
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "headline": "x",\n  "body_text": oops\n}')
    r = run_cli("import", "ninjs", str(bad), "--out", str(tmp_path / "other"))
    assert r.returncode == 1 and re.search(r"bad\.json:3: not valid JSON", r.stderr), r.stderr
    assert not (tmp_path / "other").exists()
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    r = run_cli("import", "ninjs", str(deep), "--out", str(tmp_path / "other"))
    assert r.returncode == 1 and "deep.json:1: " in r.stderr and "Traceback" not in r.stderr
