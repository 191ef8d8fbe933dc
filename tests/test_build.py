"""The build engine and CLI as a user meets them: located errors, exit codes,
other articles still exported, incremental rebuilds, safe and atomic writes."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SEED, run_cli

GOOD = "---\ntitle: Good\ndate: 2024-01-02\n---\nGood body.\n"


def project(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    src = tmp_path / "source"
    src.mkdir()
    for name, text in files.items():
        p = src / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return tmp_path


def export(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("--format", "html", "--jobs", "1", *args, cwd=root)


def outputs(root: Path) -> set[str]:
    return {p.name for p in (root / "dist").glob("*.html")}


def test_bad_article_is_one_located_error_and_others_export(tmp_path: Path) -> None:
    root = project(tmp_path, {"good.md": GOOD, "x.md": "---\ntitle: X\ndate: yesterday\n---\nBody\n"})
    r = export(root)
    assert r.returncode == 1
    errors = [line for line in r.stderr.splitlines() if "x.md" in line]
    assert errors == ["source/x.md:3: date: not a date: 'yesterday'"]
    assert "Traceback" not in r.stderr
    assert outputs(root) == {"good.html"}
    assert not list((root / "dist").rglob("*.tmp"))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_duplicate_slugs_are_errors_for_both(tmp_path: Path, jobs: str) -> None:
    root = project(tmp_path, {"a.md": GOOD.replace("title: Good", "title: A\nslug: same"),
                              "b.md": GOOD.replace("title: Good", "title: B\nslug: same"), "c.md": GOOD})
    r = export(root, "--jobs", jobs)
    assert r.returncode == 1
    assert "source/a.md: slug 'same' is also used by b.md" in r.stderr
    assert "source/b.md: slug 'same' is also used by a.md" in r.stderr
    assert outputs(root) == {"c.html"}
    # what the refused articles rendered (staged by the worker) is gone too
    assert not [p for p in (root / "dist").rglob("*") if p.name.startswith(".same.")]
    assert not list((root / "dist").rglob("*.tmp"))


def test_slug_cannot_escape_the_output_folder(tmp_path: Path) -> None:
    root = project(tmp_path, {"a.md": GOOD.replace("title: Good", "title: A\nslug: ../../../etc/evil")})
    r = export(root)
    assert r.returncode == 0, r.stderr
    assert outputs(root) == {"etc-evil.html"}
    assert "not file-name safe" in r.stderr


def test_symlink_outside_source_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text(GOOD.replace("Good body", "TOP SECRET"))
    root = project(tmp_path, {"ok.md": GOOD.replace("title: Good", "title: Ok")})
    (root / "source" / "link.md").symlink_to(secret)
    r = export(root)
    assert r.returncode == 1
    assert "source/link.md: source is a link to a file outside the source tree" in r.stderr
    assert "TOP SECRET" not in "".join(p.read_text() for p in (root / "dist").glob("*.html"))


def test_incremental_rebuilds(tmp_path: Path) -> None:
    root = project(tmp_path, {"a.md": GOOD.replace("Good", "A"), "b.md": GOOD.replace("Good", "B")})
    first = export(root, "-v")
    assert first.returncode == 0
    assert "wrote dist/a.html" in first.stdout and "wrote dist/b.html" in first.stdout
    second = export(root, "-v")
    assert "wrote dist/a.html" not in second.stdout and "unchanged a.md" in second.stdout
    (root / "source" / "a.md").write_text(GOOD.replace("Good", "A2"))
    third = export(root, "-v")
    assert "wrote dist/a.html" in third.stdout and "unchanged b.md" in third.stdout
    assert "A2 body." in (root / "dist" / "a.html").read_text()
    (root / "source" / "b.md").unlink()
    fourth = export(root, "-v")
    assert "removed dist/b.html" in fourth.stdout and outputs(root) == {"a.html"}
    forced = export(root, "-v", "--force")
    assert "wrote dist/a.html" in forced.stdout


def test_strict_turns_warnings_into_errors(tmp_path: Path) -> None:
    root = project(tmp_path, {"a.md": GOOD.replace("title: Good", "title: Good\nmood: sunny")})
    assert export(root).returncode == 0
    r = export(root, "--strict", "--force")
    assert r.returncode == 1 and "unknown front-matter key 'mood'" in r.stderr


def test_usage_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    for args in (["--no-such-flag"], ["missing-dir/"], ["--theme", "nope"]):
        r = run_cli(*args, cwd=tmp_path)
        assert r.returncode in (1, 2) and "Traceback" not in r.stderr, (args, r.stderr)
    assert run_cli("--no-such-flag", cwd=tmp_path).returncode == 2
    assert run_cli("missing-dir/", cwd=tmp_path).returncode == 2


def test_second_export_waits_for_the_lock(tmp_path: Path) -> None:
    root = project(tmp_path, {"a.md": GOOD})
    (root / ".storyexport" / "dist").mkdir(parents=True)
    with open(root / ".storyexport" / "dist" / "lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        exe = str(Path(sys.executable).with_name("storyexport"))
        proc = subprocess.Popen([exe, "--format", "html"], cwd=root, stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None
        first = proc.stderr.readline()  # it says so once it reaches the lock (however slow its start)
        assert "waiting for another export" in first
        time.sleep(1)
        assert proc.poll() is None  # still waiting
        assert not (root / "dist" / "a.html").exists()
        fcntl.flock(lock, fcntl.LOCK_UN)
        proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert (root / "dist" / "a.html").exists()


@pytest.mark.parametrize("argv", [["--help"], ["formats"], ["--format", "html", "--out", "{out}"]])
def test_startup_does_not_import_weasyprint(tmp_path: Path, argv: list[str]) -> None:
    argv = [a.replace("{out}", str(tmp_path / "d")) for a in argv]
    code = ("import sys\nfrom storyexport.cli import main\n"
            f"rc = main({argv!r} + ['{SEED}'])\n" if "--out" in " ".join(argv) else
            f"import sys\nfrom storyexport.cli import main\nrc = main({argv!r})\n")
    code += "print('weasyprint' in sys.modules, 'docx' in sys.modules)\n"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"})
    assert r.stdout.strip().splitlines()[-1] == "False False", r.stdout + r.stderr


# ------------------------------------------------------- feed digests (cache)

FEEDS = "html,rss,atom,jsonfeed"
SITE_TOML = '[site]\ntitle = "T"\nbase_url = "https://news.example.org/"\n'
CHART = Path(__file__).resolve().parent.parent / "source" / "images" / "chart.png"


def feed_project(tmp_path: Path) -> Path:
    root = project(tmp_path, {"a.md": GOOD.replace("Good", "A"), "b.md": GOOD.replace("Good", "B") +
                              "\n![A chart](images/chart.png)\n", "images/chart.png": CHART.read_bytes()})
    (root / "storyexport.toml").write_text(SITE_TOML)
    return root


def digests(root: Path) -> dict[str, os.stat_result]:
    return {p.name: p.stat() for p in (root / ".storyexport" / "dist" / "cache").rglob("*.json")}


def test_one_changed_article_is_the_only_one_digested_again(tmp_path: Path) -> None:
    root = feed_project(tmp_path)
    assert run_cli("--format", FEEDS, "--jobs", "1", cwd=root).returncode == 0
    before = digests(root)
    assert len(before) == 2  # one per article, shared by the three feed formats
    (root / "source" / "a.md").write_text(GOOD.replace("Good", "A2"))
    r = run_cli("--format", FEEDS, "--jobs", "1", cwd=root)
    assert r.returncode == 0, r.stderr
    after = digests(root)
    changed = {n for n in after if after[n].st_ino != before[n].st_ino}
    assert len(changed) == 1  # a.md's; b.md's file was not rewritten
    assert "A2 body." in json_items(root)["https://news.example.org/a.html"]
    assert "B body." in json_items(root)["https://news.example.org/b.html"]


def json_items(root: Path) -> dict[str, str]:
    feed = json.loads((root / "dist" / "feed.json").read_text())
    return {i["url"]: i["content_html"] for i in feed["items"]}


def test_lost_digest_cache_is_rebuilt_to_the_same_feeds(tmp_path: Path) -> None:
    root = feed_project(tmp_path)
    assert run_cli("--format", FEEDS, "--jobs", "1", cwd=root).returncode == 0
    feeds = {n: (root / "dist" / n).read_bytes() for n in ("feed.xml", "atom.xml", "feed.json")}
    shutil.rmtree(root / ".storyexport" / "dist" / "cache")
    (root / "dist" / "feed.xml").unlink()
    r = run_cli("--format", FEEDS, "--jobs", "1", "-v", cwd=root)
    assert r.returncode == 0, r.stderr
    assert len(digests(root)) == 2
    assert {n: (root / "dist" / n).read_bytes() for n in feeds} == feeds


def test_deleted_source_takes_its_digest_along(tmp_path: Path) -> None:
    root = feed_project(tmp_path)
    assert run_cli("--format", FEEDS, "--jobs", "1", cwd=root).returncode == 0
    (root / "source" / "a.md").unlink()
    assert run_cli("--format", FEEDS, "--jobs", "1", cwd=root).returncode == 0
    assert len(digests(root)) == 1
    assert list(json_items(root)) == ["https://news.example.org/b.html"]


def test_tampered_digest_cannot_read_outside_the_source_tree(tmp_path: Path) -> None:
    """The digest cache is data on disk: a file it names outside the source
    tree is refused, not published."""
    root = feed_project(tmp_path)
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"CANARY-OUTSIDE-THE-TREE")
    assert run_cli("--format", FEEDS, "--jobs", "1", cwd=root).returncode == 0
    for p in (root / ".storyexport" / "dist" / "cache").rglob("*.json"):
        d = json.loads(p.read_text())
        if d["media"]:
            d["media"] = {rel: str(secret) for rel in d["media"]}
            p.write_text(json.dumps(d))
    (root / "source" / "a.md").write_text(GOOD.replace("Good", "A3"))  # the feeds must be rendered again
    r = run_cli("--format", FEEDS, "--jobs", "1", cwd=root)
    assert r.returncode == 1
    assert "could not be read: not a file inside the source tree" in r.stderr
    assert "Traceback" not in r.stderr
    for p in (root / "dist").rglob("*"):
        assert not p.is_file() or b"CANARY-OUTSIDE" not in p.read_bytes(), p


def test_file_names_that_are_not_utf8_export_in_every_format(tmp_path: Path) -> None:
    """Latin-1 file names (lone surrogates once decoded) for a source, one
    with no character a slug can use, and an image: hashes, digests, slugs
    and font paths must all take them, in every format."""
    root = feed_project(tmp_path)
    src = root / "source"
    (src / os.fsdecode(b"caf\xe9.md")).write_text(GOOD.replace("Good", "Cafe"))
    accents = GOOD.replace("Good", "Accents") + "\n![Chart](images/gr%E4fik.png)\n"  # %E4: the byte in the name
    (src / os.fsdecode(b"\xe9\xe9.md")).write_text(accents)
    (src / "images" / os.fsdecode(b"gr\xe4fik.png")).write_bytes(CHART.read_bytes())
    # a "%" in a file name: the PDF fetcher must decode its URL once, not twice
    (src / "pct.md").write_text(GOOD.replace("Good", "Percent") + "\n![Chart](images/a%2541.png)\n")
    (src / "images" / "a%41.png").write_bytes(CHART.read_bytes())
    r = run_cli("--format", "pdf,docx,epub," + FEEDS, "--jobs", "1", cwd=root)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert "not loaded" not in r.stderr and "not found" not in r.stderr, r.stderr
    items = json_items(root)
    assert any("Cafe body." in html for html in items.values())
    assert any("Accents body." in html and "<img" in html for html in items.values())
    assert len(list((root / "dist").glob("*.pdf"))) == 5


def test_missing_image_added_later_exports_the_article_again(tmp_path: Path) -> None:
    """A missing image is watched: adding the file (or fixing a broken one)
    makes the next export read the article again, without --force."""
    root = project(tmp_path, {"a.md": GOOD + "\n![Chart](images/chart.png)\n", "b.md": GOOD.replace("Good", "B")})
    first = export(root, "-v")
    assert first.returncode == 0 and "not found" in first.stderr
    assert "<img" not in (root / "dist" / "a.html").read_text()
    (root / "source" / "images").mkdir()
    (root / "source" / "images" / "chart.png").write_bytes(b"not a PNG")  # unusable: still watched
    second = export(root, "-v")
    assert "wrote dist/a.html" in second.stdout and "unchanged b.md" in second.stdout
    (root / "source" / "images" / "chart.png").write_bytes(CHART.read_bytes())
    third = export(root, "-v")
    assert "wrote dist/a.html" in third.stdout and "unchanged b.md" in third.stdout
    assert "<img" in (root / "dist" / "a.html").read_text()
    assert "wrote dist/a.html" not in export(root, "-v").stdout  # and then it is settled


def test_feed_media_is_written_once_per_export(tmp_path: Path) -> None:
    """RSS, Atom and JSON Feed publish the same images: one write, one line."""
    root = feed_project(tmp_path)
    r = run_cli("--format", FEEDS, "--jobs", "1", "-v", cwd=root)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("wrote dist/media/images/chart.png") == 1
    assert (root / "dist" / "media" / "images" / "chart.png").read_bytes() == CHART.read_bytes()


def test_truncated_or_emptied_outputs_are_rebuilt(tmp_path: Path) -> None:
    """What a power cut can leave behind (outputs are made durable once per
    export, not file by file): a file of the wrong size is not trusted."""
    root = feed_project(tmp_path)
    assert run_cli("--format", FEEDS, "--jobs", "1", cwd=root).returncode == 0
    good = {n: (root / "dist" / n).read_bytes() for n in ("a.html", "feed.xml")}
    with open(root / "dist" / "a.html", "r+b") as f:
        f.truncate(10)
    (root / "dist" / "feed.xml").write_bytes(b"")
    r = run_cli("--format", FEEDS, "--jobs", "1", "-v", cwd=root)
    assert r.returncode == 0, r.stderr
    assert "wrote dist/a.html" in r.stdout and "unchanged b.md" in r.stdout
    assert {n: (root / "dist" / n).read_bytes() for n in good} == good


def test_one_change_rewrites_only_the_feed_documents_that_hold_it(tmp_path: Path) -> None:
    """Fifteen stories, five per archive page: editing the newest rewrites
    the current documents, not the archive pages of older stories; and the
    result is byte for byte what a clean build of the same sources gives."""
    root = project(tmp_path, {f"s{n:02}.md": GOOD.replace("Good", f"Story {n}").replace(
        "2024-01-02", f"2024-01-{n + 1:02}") for n in range(15)})
    (root / "storyexport.toml").write_text(SITE_TOML + "feed_limit = 5\n")
    assert run_cli("--format", FEEDS, "--jobs", "1", cwd=root).returncode == 0
    archive = sorted((root / "dist" / "archive").glob("*"))
    assert len(archive) == 6  # two pages of the oldest stories, in each of the three formats
    before = {p: p.stat().st_ino for p in archive}
    (root / "source" / "s14.md").write_text(GOOD.replace("Good", "Story 14, corrected").replace(
        "2024-01-02", "2024-01-15"))
    r = run_cli("--format", FEEDS, "--jobs", "1", "-v", cwd=root)
    assert r.returncode == 0, r.stderr
    assert "wrote dist/feed.xml" in r.stdout and "wrote dist/archive/" not in r.stdout
    assert {p: p.stat().st_ino for p in archive} == before
    clean = tmp_path / "clean"
    shutil.copytree(root / "source", clean / "source")
    shutil.copy(root / "storyexport.toml", clean)
    assert run_cli("--format", FEEDS, "--jobs", "1", cwd=clean).returncode == 0

    def published(d: Path) -> dict[str, bytes]:
        return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*"))
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(d).parts)}

    assert published(root / "dist") == published(clean / "dist")
    assert "Story 14, corrected" in (root / "dist" / "feed.xml").read_text()


def test_the_build_engine_is_phases_of_short_classes() -> None:
    """Issue 17: the engine is phases in modules of their own, and none of
    its classes is longer than 300 lines."""
    import ast

    import storyexport.engine as engine

    folder = Path(engine.__file__).parent
    assert {"plan", "render", "place", "collections", "record", "manifest"} <= {p.stem for p in folder.glob("*.py")}
    for path in [*folder.glob("*.py"), folder.parent / "process.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                assert node.end_lineno is not None and node.end_lineno - node.lineno < 300, (path, node.name)


def test_manifest_round_trips_and_drops_other_formats(tmp_path: Path) -> None:
    """What the build saves it loads back as it was; another format, or a
    part of the wrong shape, is dropped rather than trusted."""
    from storyexport.engine import manifest as mf

    m = mf.Manifest(
        {"a.md": mf.SourceRecord({"html": mf.OutputRecord("a.html", "k", 3, "text/html")},
                                 {"f": mf.DigestRecord(mf.digest_file("f", "a.md"), "d")}, hash="h", slug="a",
                                 published="2024-01-02T00:00:00+00:00", assets={"images/x.png": ""},
                                 warnings=[("a.md", 3, "w", "markdown.x")], page="a.html"),
         "b.md": mf.SourceRecord({"html": mf.OutputRecord("b.html", "k", 3, "text/html")}, error=True)},
        {"rss": mf.CollectionRecord("k", ["feed.xml"], {"feed.xml": "x"})}, {"html": ["_theme/a.css"]}, ["old.html"])
    data = json.loads(mf.dumps(m))
    assert mf.parse(data) == m
    assert mf.parse({**data, "format": mf.FORMAT + 1}) == mf.Manifest()
    data["sources"]["a.md"]["digests"]["f"]["file"] = "../elsewhere.json"  # only where the build puts it
    data["sources"]["a.md"]["outputs"]["html"]["path"] = "/etc/passwd"
    data["sources"]["a.md"]["assets"] = {"../outside.png": ""}
    a = mf.parse(data).sources["a.md"]
    assert a.error and not a.outputs and not a.digests
    from storyexport.storage import LocalStorage

    store = LocalStorage(tmp_path)
    mf.save(store, m)
    assert mf.load(store) == m
    for damaged in (b"[" * 100_000, b"\xff\xfe", b'{"format": 1, "sources": {"a.md": {"slug": 5}}'):
        (tmp_path / mf.NAME).write_bytes(damaged)  # nested past what json reads, not UTF-8, cut short
        assert mf.load(store) == mf.Manifest()
