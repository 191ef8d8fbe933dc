"""Faults: a killed export, a full disk, the machine's fonts hidden, Java missing."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

from lxml import etree

from conftest import EPOCH, SOURCE, run_cli

EXE = str(Path(sys.executable).with_name("storyexport"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from corpus import make  # noqa: E402

SAFE = etree.XMLParser(resolve_entities=False, no_network=True)


def well_formed(path: Path) -> bool:
    try:
        etree.fromstring(path.read_bytes().replace(b"<!DOCTYPE html>", b""), SAFE)
        return True
    except etree.XMLSyntaxError:
        return False


def test_sigkill_midway_leaves_complete_files_and_next_run_finishes(tmp_path: Path) -> None:
    src = make(60, tmp_path / "source")
    out = tmp_path / "dist"
    assert run_cli("--format", "html", "--out", str(out), "--jobs", "1", str(src), cwd=tmp_path).returncode == 0
    for p in src.glob("*.md"):
        p.write_text(p.read_text().replace("## ", "## Second edition ", 1))
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    proc = subprocess.Popen([EXE, "--format", "html,pdf", "--out", str(out), "--jobs", "1", str(src)], cwd=tmp_path,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and len(list(out.glob("*.pdf"))) < 3:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    pages = sorted(out.glob("*.html"))
    assert len(pages) == 60
    editions = {("Second edition" in p.read_text()) for p in pages}
    assert editions == {True, False}  # killed midway: some old, some new
    assert all(well_formed(p) for p in pages)  # ...but never a partial file
    r = run_cli("--format", "html,pdf", "--out", str(out), "--jobs", "2", str(src), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert all("Second edition" in p.read_text() for p in out.glob("*.html"))
    assert len(list(out.glob("*.pdf"))) == 60
    assert not list(out.rglob("*.tmp"))


def test_full_disk_is_reported_and_leaves_no_partial_files(tmp_path: Path) -> None:
    out = tmp_path / "dist"

    def small_disk() -> None:  # every file over 16 KiB fails to write, like a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, 16 * 1024))

    r = subprocess.run([EXE, "--format", "html", "--out", str(out), "--jobs", "1", str(SOURCE)],
                       env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH}, capture_output=True, text=True,
                       preexec_fn=small_disk, timeout=300)
    assert r.returncode == 1
    assert "cannot write" in r.stderr and "File too large" in r.stderr
    assert "Traceback" not in r.stderr
    assert not list(out.rglob("*.tmp"))
    for page in out.rglob("*.html"):
        assert well_formed(page)
    # the big page (it embeds its images; at its canonical address) failed, the small ones were written
    assert not (out / "2024" / "newsroom-style-guide" / "index.html").exists()
    assert (out / "russia-sends-aid.html").exists()


def test_java_missing_check_says_how_to_install(tmp_path: Path) -> None:
    fake = tmp_path / "dist"
    fake.mkdir()
    (fake / "x.epub").write_bytes(b"PK\x03\x04 not really")
    r = run_cli("check", str(fake), env={"PATH": str(Path(sys.executable).parent)})
    assert r.returncode == 1
    assert "EPUB check could not run" in r.stdout and "make system-deps" in r.stdout


def test_machine_fonts_hidden_theme_fonts_still_used(tmp_path: Path) -> None:
    """With fontconfig seeing no fonts at all, the PDF still sets the seed in
    the theme's own faces (shipped with the theme), embedded."""
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    f"<dir>{tmp_path / 'nofonts'}</dir><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>")
    (tmp_path / "nofonts").mkdir()
    out = tmp_path / "dist"
    r = run_cli("--format", "pdf", "--out", str(out), str(SOURCE / "russia-sends-aid.txt"),
                env={"FONTCONFIG_FILE": str(conf)})
    assert r.returncode == 0, r.stderr
    fonts = subprocess.run(["pdffonts", str(out / "russia-sends-aid.pdf")], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    names = {line.split()[0].split("+")[-1] for line in fonts}
    assert names and all(n.replace("-", "").startswith("NotoSerif") for n in names), names
    assert all(" yes yes " in f" {' '.join(line.split()[-5:])} " for line in fonts), fonts
