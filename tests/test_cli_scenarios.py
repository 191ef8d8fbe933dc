"""A newsroom's week with the CLI: sources renamed and re-slugged, themes and
settings switched, the bookkeeping in dist/ damaged by hand. Each test runs
the real command in a temporary project and reads dist/ back on its own."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import run_cli

FEEDS = "html,rss,atom,jsonfeed"
SITE = '[site]\ntitle = "T"\nbase_url = "https://news.example.org/"\n'
CHART = Path(__file__).resolve().parent.parent / "source" / "images" / "chart.png"
MANIFEST = ".storyexport/dist/manifest.json"


def story(title: str, date: str = "2024-01-02", extra: str = "", body: str = "") -> str:
    return f"---\ntitle: {title}\ndate: {date}\n{extra}---\n{body or title + ' body.'}\n"


def make(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    (tmp_path / "storyexport.toml").write_text(SITE)
    for name, text in files.items():
        p = tmp_path / "source" / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return tmp_path


def export(root: Path, *args: str, formats: str = FEEDS) -> subprocess.CompletedProcess[str]:
    r = run_cli("--format", formats, "--jobs", "1", "-v", *args, cwd=root)
    assert "Traceback" not in r.stderr, r.stderr
    return r


def feed_urls(root: Path) -> list[str]:
    return sorted(i["url"] for i in json.loads((root / "dist" / "feed.json").read_text())["items"])


def manifest(root: Path) -> dict[str, Any]:
    return json.loads((root / MANIFEST).read_text())


def files(root: Path) -> set[str]:
    return {p.relative_to(root / "dist").as_posix() for p in (root / "dist").rglob("*") if p.is_file()}


# ------------------------------------------------------ a damaged manifest


DAMAGE: dict[str, Callable[[dict[str, Any]], Any]] = {
    "a list": lambda m: [1, 2],
    "another format": lambda m: {**m, "format": 2},
    "no format": lambda m: {k: v for k, v in m.items() if k != "format"},
    "sources a list": lambda m: {**m, "sources": []},
    "entry a string": lambda m: {**m, "sources": {**m["sources"], "a.md": "x"}},
    "outputs a list": lambda m: m["sources"]["a.md"].update(outputs=[1]) or m,
    "assets a list": lambda m: m["sources"]["a.md"].update(assets=[1]) or m,
    "asset outside the tree": lambda m: m["sources"]["a.md"].update(assets={"/etc/hostname": "0"}) or m,
    "asset hash a number": lambda m: m["sources"]["a.md"].update(assets={"images/x.png": 1}) or m,
    "collections a list": lambda m: {**m, "collections": [1]},
    "output path out of dist": lambda m: m["sources"]["a.md"]["outputs"]["html"].update(path="../victim.txt") or m,
    "deleted source's output out of dist":
        lambda m: m["sources"].update({"gone.md": {**m["sources"]["b.md"], "outputs": {"html": {
            "path": "../victim.txt", "key": "k", "length": 1, "media_type": "text/html"}}}}) or m,
    "feed file out of dist": lambda m: m["collections"]["rss"].update(files=["../victim.txt"]) or m,
    "digest out of dist": lambda m: m["sources"]["b.md"]["digests"]["storyexport.feeds"].update(
        file="../victim.txt") or m,
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_manifest_means_a_safe_rebuild(tmp_path: Path, damage: str) -> None:
    """The manifest is data on disk: whatever its shape, the export ends
    with the right outputs, and a path in it never makes the build read,
    keep or delete a file outside dist/."""
    root = make(tmp_path, {"a.md": story("A"), "b.md": story("B", "2024-01-03")})
    victim = tmp_path / "victim.txt"
    victim.write_text('{"title": "CANARY", "url": "https://evil.example/"}')
    assert export(root).returncode == 0
    good = {n: (root / "dist" / n).read_bytes() for n in ("a.html", "b.html", "feed.json", "feed.xml")}
    (root / MANIFEST).write_text(json.dumps(DAMAGE[damage](manifest(root))))
    (root / "dist" / "a.html").unlink()  # must come back, whatever the manifest says
    (root / "dist" / "feed.xml").unlink()
    r = export(root)
    assert r.returncode == 0, r.stderr
    assert victim.read_text().startswith('{"title": "CANARY"')
    assert {n: (root / "dist" / n).read_bytes() for n in good} == good
    assert b"CANARY" not in b"".join((root / "dist" / n).read_bytes() for n in files(root))
    m = manifest(root)
    assert sorted(m["sources"]) == ["a.md", "b.md"]
    assert all(o["path"] == "a.html" for o in m["sources"]["a.md"]["outputs"].values())
    assert export(root).stdout.count("wrote ") == 0  # and the repaired manifest is trusted again


def test_manifest_asset_that_is_a_link_to_a_device_is_not_read(tmp_path: Path) -> None:
    """An asset path in the manifest inside the tree, but a link to
    /dev/zero: hashing it must not read forever; the source is rebuilt."""
    root = make(tmp_path, {"a.md": story("A"), "b.md": story("B", "2024-01-03")})
    assert export(root).returncode == 0
    (root / "source" / "images").mkdir()
    link = root / "source" / "images" / "zero.png"
    link.symlink_to("/dev/zero")
    m = manifest(root)
    m["sources"]["a.md"]["assets"] = {"images/zero.png": "0"}
    (root / MANIFEST).write_text(json.dumps(m))
    r = run_cli("--format", FEEDS, "--jobs", "1", "-v", cwd=root, timeout=120)  # a hang fails, not waits
    assert r.returncode == 0, r.stderr
    assert "wrote dist/a.html" in r.stdout  # its key could not be computed: read again


# ------------------------------------------------- warnings and --strict


def test_strict_fails_on_warnings_of_an_unchanged_article(tmp_path: Path) -> None:
    """A second export skips the unchanged article but still shows its
    warnings, and ``--strict`` fails on them as it would on a fresh build."""
    root = make(tmp_path, {"a.md": story("A", body="A body.\n\n![gone](images/gone.png)"), "b.md": story("B")})
    first = export(root, formats="html")
    assert first.returncode == 0 and "image 'images/gone.png' not found" in first.stderr
    again = export(root, formats="html")
    assert "unchanged a.md" in again.stdout
    assert "source/a.md:7: warning: image 'images/gone.png' not found" in again.stderr
    strict = export(root, "--strict", formats="html")
    assert strict.returncode == 1
    assert "source/a.md:7: image 'images/gone.png' not found" in strict.stderr
    assert not (root / "dist" / "a.html").exists() and (root / "dist" / "b.html").exists()


def test_suppressed_warning_categories(tmp_path: Path) -> None:
    """Each warning ends in its category, as Sphinx prints them; a category
    (or its whole type) in ``suppress_warnings`` is not shown or counted, not
    even by ``--strict``; lifting it shows the cached warning again with no
    re-render; an unknown category is a located configuration error."""
    root = make(tmp_path, {"a.md": story("A", extra="colour: red\n", body="A body.\n\n![gone](images/gone.png)")})
    first = export(root, formats="html")
    assert "source/a.md:4: warning: unknown front-matter key 'colour' (kept, not used) [metadata.key]" in first.stderr
    assert "warning: image 'images/gone.png' not found (alt text kept) [source.image]" in first.stderr
    (root / "storyexport.toml").write_text(SITE + '[build]\nsuppress_warnings = ["metadata", "source.image"]\n')
    quiet = export(root, "--strict", formats="html")
    assert quiet.returncode == 0, quiet.stderr
    assert "warning" not in quiet.stderr.replace("0 warning(s)", "") and "unchanged a.md" in quiet.stdout
    (root / "storyexport.toml").write_text(SITE + '[build]\nsuppress_warnings = ["source.link"]\n')
    shown = export(root, formats="html")
    assert "unchanged a.md" in shown.stdout and "[metadata.key]" in shown.stderr and "[source.image]" in shown.stderr
    (root / "storyexport.toml").write_text(SITE + '[build]\nsuppress_warnings = ["metadata.colour"]\n')
    bad = export(root, formats="html")
    assert bad.returncode == 1
    last = bad.stderr.strip().splitlines()[-1]
    assert last.startswith("storyexport.toml: [build] suppress_warnings: unknown category 'metadata.colour'")


def test_every_warning_category_is_declared_and_used() -> None:
    """The categories passed to ``warn`` in the code are the ones
    ``errors.CATEGORIES`` documents, and each documented one is used."""
    import ast

    from storyexport.errors import CATEGORIES

    used: set[str] = set()
    for path in (Path(__file__).resolve().parent.parent / "src" / "storyexport").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "warn"
                    and node.args and isinstance(node.args[-1], ast.Constant) and isinstance(node.args[-1].value, str)
                    and re.fullmatch(r"[a-z_]+(\.[a-z_]+)?", node.args[-1].value)):
                used.add(node.args[-1].value)
    assert used - set(CATEGORIES) == set(), "categories used but not declared"
    assert set(CATEGORIES) - used == set(), "categories declared but never used"


# -------------------------------------------------------- the output folder


def test_unusable_output_folder_is_one_line_error(tmp_path: Path) -> None:
    root = make(tmp_path, {"a.md": story("A")})
    (root / "dist").write_text("a file, not a folder")
    r = export(root, formats="html")
    assert r.returncode == 1
    assert r.stderr.strip() == "storyexport: output folder dist is not a folder"
    assert (root / "dist").read_text() == "a file, not a folder"


@pytest.mark.parametrize("out", ["source", "source/out", "source/_build"])
def test_output_folder_inside_the_sources_is_refused(tmp_path: Path, out: str) -> None:
    root = make(tmp_path, {"a.md": story("A")})
    r = export(root, "--out", out, formats="html")
    assert r.returncode == 2
    assert r.stderr.strip() == f"storyexport: output folder {out} is inside the source folder source"
    assert sorted(p.name for p in (root / "source").rglob("*")) == ["a.md"]


def test_force_still_removes_outputs_of_a_changed_slug(tmp_path: Path) -> None:
    root = make(tmp_path, {"a.md": story("A")})
    assert export(root).returncode == 0
    (root / "source" / "a.md").write_text(story("A", extra="slug: renamed\n"))
    r = export(root, "--force")
    assert r.returncode == 0, r.stderr
    assert "removed dist/a.html" in r.stdout
    assert {p.name for p in (root / "dist").glob("*.html")} == {"renamed.html"}
    assert feed_urls(root) == ["https://news.example.org/renamed.html"]


# ------------------------------------------------ what dist/ holds afterwards


def test_theme_switch_leaves_no_other_themes_files(tmp_path: Path) -> None:
    root = make(tmp_path, {"a.md": story("A")})
    assert export(root, formats="html").returncode == 0
    default = files(root)
    assert export(root, "--theme", "sans", formats="html").returncode == 0
    assert any("JetBrainsMono" in f for f in files(root))
    back = export(root, "--theme", "default", formats="html")
    assert back.returncode == 0, back.stderr
    assert "removed dist/_theme/JetBrainsMono-Regular.ttf" in back.stdout
    assert files(root) == default
    css = (root / "dist" / "_theme" / "screen.css").read_text()
    assert all((root / "dist" / "_theme" / f).is_file() for f in _font_urls(css))
    assert export(root, formats="html").stdout.count("wrote ") == 0


def _font_urls(css: str) -> list[str]:
    return re.findall(r"url\(['\"]?([^'\")]+\.ttf)", css)


def test_duplicate_slug_overwrites_nothing_and_reports_no_phantom_writes(tmp_path: Path) -> None:
    """A new story that takes an existing slug must not overwrite the
    other's page; both fail, -v lists no file that is not there, and the
    feeds follow when the clash is resolved."""
    root = make(tmp_path, {"a.md": story("A"), "b.md": story("B", "2024-01-03")})
    assert export(root).returncode == 0
    (root / "source" / "c.md").write_text(story("C", "2024-01-04", "slug: a\n"))
    for _ in range(2):  # the clash appearing, then the same export again
        r = export(root)
        assert r.returncode == 1
        assert "source/c.md: slug 'a' is also used by a.md; not exported" in r.stderr
        written = [line.split(" ", 1)[1] for line in r.stdout.splitlines() if line.startswith("wrote ")]
        assert all((root / w).is_file() for w in written), written
        assert not (root / "dist" / "a.html").exists()
        assert feed_urls(root) == ["https://news.example.org/b.html"]
    (root / "source" / "c.md").write_text(story("C", "2024-01-04", "slug: c\n"))
    r = export(root)
    assert r.returncode == 0, r.stderr
    assert "C body." in (root / "dist" / "c.html").read_text()
    assert "A body." in (root / "dist" / "a.html").read_text()
    assert feed_urls(root) == [f"https://news.example.org/{s}.html" for s in "abc"]


def test_archives_that_go_away_leave_no_empty_folder(tmp_path: Path) -> None:
    root = make(tmp_path, {"a.md": story("A"), "b.md": story("B", "2024-01-03")})
    (root / "storyexport.toml").write_text(SITE + "feed_limit = 1\n")
    assert export(root).returncode == 0
    assert (root / "dist" / "archive").is_dir()
    (root / "storyexport.toml").write_text(SITE + "feed_limit = 5\n")
    r = export(root)
    assert r.returncode == 0, r.stderr
    assert "removed dist/archive/rss-1.xml" in r.stdout
    assert not (root / "dist" / "archive").exists()
    assert len(json.loads((root / "dist" / "feed.json").read_text())["items"]) == 2


def _edited(data: bytes, **changes: Any) -> bytes:
    d = json.loads(data)
    d.update(changes)
    return json.dumps({k: v for k, v in d.items() if v is not None}).encode()


DIGEST_DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "truncated": lambda data: data[: len(data) // 2],
    "emptied": lambda data: b"",
    "not an object": lambda data: b"[1]",
    # parses as an object, but is not what the feeds wrote
    "another version": lambda data: _edited(data, v=99),
    "a field missing": lambda data: _edited(data, link=None),
    "a title that is a number": lambda data: _edited(data, title=5),
    "authors of the wrong shape": lambda data: _edited(data, authors=[["only a name"]]),
    "media a string": lambda data: _edited(data, media="images/x.png"),
}


@pytest.mark.parametrize("damage", list(DIGEST_DAMAGE))
def test_damaged_digest_is_reported_then_rebuilt(tmp_path: Path, damage: str) -> None:
    """A damaged digest is a located error, never a traceback, and the next
    export computes it again: the feeds end up as a clean build makes them."""
    root = make(tmp_path, {"a.md": story("A"), "b.md": story("B", "2024-01-03")})
    assert export(root).returncode == 0
    clean = (root / "dist" / "feed.json").read_bytes()
    digest = root / ".storyexport" / "dist" / manifest(root)["sources"]["a.md"]["digests"]["storyexport.feeds"]["file"]
    data = digest.read_bytes()
    digest.write_bytes(DIGEST_DAMAGE[damage](data))
    (root / "dist" / "feed.json").unlink()
    r = export(root)
    assert r.returncode == 1
    error = next(line for line in r.stderr.splitlines() if line.startswith(f"{digest.relative_to(root)}: jsonfeed: "))
    assert "damaged cache file" in error and not digest.exists()
    r = export(root)
    assert r.returncode == 0, r.stderr
    assert (root / "dist" / "feed.json").read_bytes() == clean


def test_stale_output_that_cannot_be_removed_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Removing a stale output can fail (read-only folder): a one-line
    error and exit 1, not a traceback; the file stays listed for next time."""
    from storyexport.cli import main

    root = make(tmp_path, {"a.md": story("A"), "b.md": story("B")})
    assert export(root, formats="html").returncode == 0
    (root / "source" / "a.md").unlink()
    real = Path.unlink

    def refuse(self: Path, missing_ok: bool = False) -> None:
        if self.name == "a.html":
            raise PermissionError(13, "Permission denied")
        real(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", refuse)
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert main(["--format", "html", "--jobs", "1"]) == 1
    assert "dist/a.html: cannot remove stale dist/a.html: Permission denied" in capsys.readouterr().err
    monkeypatch.setattr(Path, "unlink", real)
    r = export(root, formats="html")
    assert r.returncode == 0 and "removed dist/a.html" in r.stdout, r.stdout + r.stderr
