"""The cache key holds what a writer draws with and the libraries it runs
on: installing or replacing a font the theme names, another version of a
Python library or another build of a native library a writer declares,
makes that writer's outputs again at the next export, and only those. Each
is changed for real (a fontconfig folder the font is installed into, a
distribution's metadata the way pip leaves it, a library file the dynamic
loader takes through ``LD_LIBRARY_PATH``), never by patching storyexport.
Files count by content: one touched, or found in another folder, is the same."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli

FORMATS = "html,pdf,epub,docx,rss"
SITE = '[site]\ntitle = "T"\nbase_url = "https://news.example.org/"\n'


def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "source").mkdir(parents=True)
    (root / "storyexport.toml").write_text(SITE)
    for slug, title in (("a", "Harbour"), ("b", "港の記録")):
        (root / "source" / f"{slug}.md").write_text(f"---\ntitle: {title}\ndate: 2024-01-02\n---\n{title} body.\n")
    return root


def written(root: Path, env: dict[str, str]) -> set[str]:
    r = run_cli("--format", FORMATS, "--jobs", "1", "-v", cwd=root, env=env)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    return {line.removeprefix("wrote dist/") for line in r.stdout.splitlines() if line.startswith("wrote ")}


def test_another_library_version_makes_that_writers_outputs_again(tmp_path: Path) -> None:
    """tinycss2 is the PDF writer's (WeasyPrint parses CSS with it): a new
    version re-renders the PDFs, and nothing else."""
    root = project(tmp_path)
    meta = tmp_path / "site-packages"
    meta.mkdir()
    env = {"PYTHONPATH": os.pathsep.join(filter(None, (str(meta), os.environ.get("PYTHONPATH"))))}
    assert "a.pdf" in written(root, env)
    assert written(root, env) == set()  # a no-op
    info = meta / "tinycss2-99.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tinycss2\nVersion: 99.0\n")
    seen = subprocess.run([sys.executable, "-c", "import importlib.metadata as m; print(m.version('tinycss2'))"],
                          env={**os.environ, **env}, capture_output=True, text=True, check=True).stdout.strip()
    assert seen == "99.0"  # what an upgrade leaves behind, as the interpreter reports it
    assert written(root, env) == {"a.pdf", "b.pdf"}
    assert written(root, env) == set()
    info.rename(meta / "tinycss2-99.0.dist-info.removed")  # and back: the versions are compared, not remembered
    assert written(root, env) == {"a.pdf", "b.pdf"}


def _fc_file(family: str) -> Path:
    out = subprocess.run(["fc-list", "--format", "%{file}\n", family], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out, f"{family} is not installed (scripts/install-system-deps.sh installs fonts-noto-cjk)"
    return Path(sorted(out)[0])


def font_folder(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """An empty folder that is fontconfig's only one under the returned
    environment: the machine's fonts as the test makes them."""
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
                    f"<dir>{fonts}</dir><cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>\n")
    return fonts, {"FONTCONFIG_FILE": str(conf)}


def test_installing_a_font_the_theme_names_makes_pdf_and_epub_again(tmp_path: Path) -> None:
    """The default theme names Noto Serif CJK for Japanese and Chinese. On
    a machine without it, PDFs show empty boxes for those characters;
    installing it must re-render the PDFs and EPUBs (its cover draws with
    it), and not the HTML or DOCX (which names fonts, embeds none of the
    machine's)."""
    cjk = _fc_file("Noto Serif CJK JP")
    root = project(tmp_path)
    fonts, env = font_folder(tmp_path)
    assert {"a.pdf", "b.pdf", "a.epub", "b.html"} <= written(root, env)
    assert written(root, env) == set()
    before = (root / "dist" / "b.pdf").stat().st_size
    (fonts / cjk.name).symlink_to(cjk)
    # and the feed, whose enclosures give the new files' sizes
    assert written(root, env) == {"a.pdf", "b.pdf", "a.epub", "b.epub", "feed.xml"}
    assert (root / "dist" / "b.pdf").stat().st_size > before  # 港の記録 drawn, no longer empty boxes
    assert written(root, env) == set()


def _cjk_font(chars: str, size: int = 0) -> bytes:
    """A "Noto Serif CJK JP" face holding only ``chars`` (cut from the
    machine's by HarfBuzz or fontTools, names kept), padded with zeros to
    ``size`` bytes (readers go by the table directory, not the file's end)."""
    from storyexport.writers.fonts import subset_font

    data = subset_font(str(_fc_file("Noto Serif CJK JP")), chars)  # face 0 of the collection: JP
    assert len(data) <= size or not size
    return data + bytes(max(0, size - len(data)))


def test_a_font_replaced_in_place_makes_what_draws_with_it_again(tmp_path: Path) -> None:
    """A face is its content: another version of the font written over the
    file (same path, same size, even the same modification time) re-renders
    the PDFs and EPUBs, and not the HTML or DOCX; touching the file, which
    leaves its content as it was, re-renders nothing."""
    whole, partial = _cjk_font("港の記録"), _cjk_font("の記")  # the second lacks 港 and 録
    size = max(len(whole), len(partial))
    root = project(tmp_path)
    fonts, env = font_folder(tmp_path)
    font = fonts / "cjk.otf"
    font.write_bytes(_cjk_font("港の記録", size))
    listed = subprocess.run(["fc-list", "--format", "%{family[0]}|%{file}\n"], env={**os.environ, **env},
                            capture_output=True, text=True, check=True).stdout.splitlines()
    assert listed == [f"Noto Serif CJK JP|{font}"]  # what the theme names, from the test's folder only
    assert {"a.pdf", "b.pdf", "a.epub", "b.html", "b.docx"} <= written(root, env)
    assert written(root, env) == set()
    before = (root / "dist" / "b.pdf").read_bytes()
    stat = font.stat()
    os.utime(font, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # touched: the same font
    assert written(root, env) == set()
    stat = font.stat()
    with font.open("r+b") as f:  # another version over the same file, same size and time
        f.write(_cjk_font("の記", size))
    os.utime(font, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (font.stat().st_size, font.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    assert written(root, env) == {"a.pdf", "b.pdf", "a.epub", "b.epub", "feed.xml"}
    assert (root / "dist" / "b.pdf").read_bytes() != before  # 港 and 録 now drawn as empty boxes
    assert written(root, env) == set()


def _loaded_from(soname: str, env: dict[str, str]) -> str:
    """The file the dynamic loader loads for ``soname`` under ``env``, as a
    process that loads it sees in its memory map."""
    code = ("import ctypes, sys\nctypes.CDLL(sys.argv[1])\n"
            "print(next(line.split()[-1] for line in open('/proc/self/maps')"
            " if '/' + sys.argv[1] in line))\n")
    return subprocess.run([sys.executable, "-c", code, soname], env={**os.environ, **env}, capture_output=True,
                          text=True, check=True).stdout.strip()


def test_another_build_of_a_native_library_makes_the_pdfs_again(tmp_path: Path) -> None:
    """Pango lays out the PDFs' text: another build of it (here a copy
    with other bytes that the loader takes first, through
    ``LD_LIBRARY_PATH``, as it takes an upgraded Debian package's file)
    re-renders the PDFs and nothing else; the same library found in
    another folder re-renders nothing."""
    pango = "libpango-1.0.so.0"
    libs = tmp_path / "lib"
    libs.mkdir()
    env = {"LD_LIBRARY_PATH": str(libs)}
    system = _loaded_from(pango, env)
    root = project(tmp_path)
    assert {"a.pdf", "b.html", "a.epub", "a.docx"} <= written(root, env)
    assert written(root, env) == set()
    copy = libs / pango
    copy.write_bytes(Path(system).read_bytes())
    assert _loaded_from(pango, env) == str(copy)
    assert written(root, env) == set()  # the same bytes: the same library
    with copy.open("ab") as f:
        f.write(b"another build")
    assert _loaded_from(pango, env) == str(copy)  # the loader still takes it
    assert written(root, env) == {"a.pdf", "b.pdf"}
    assert written(root, env) == set()
    copy.unlink()
    assert written(root, env) == {"a.pdf", "b.pdf"}


def test_an_absent_native_library_is_keyed_as_absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A library the loader cannot find is keyed as absent: installing it
    (a copy of the machine's zlib under a name no system has, put where
    ``LD_LIBRARY_PATH`` points) changes the key of the writer declaring it
    and not the others'."""
    from storyexport.config import Site
    from storyexport.engine.filehashes import FileHashes
    from storyexport.engine.keys import writer_key
    from storyexport.native import library_file
    from storyexport.theme import load_theme
    from storyexport.writers.html import HtmlWriter

    class Drawn(HtmlWriter):
        native_libraries = ("libstoryexport-test.so.1",)

    theme, site = load_theme(), Site()
    libs = tmp_path / "lib"
    libs.mkdir()
    monkeypatch.setenv("LD_LIBRARY_PATH", str(libs))

    def keys() -> tuple[str, str]:
        hashes = FileHashes()
        return (writer_key("x", Drawn(theme, site), theme, site, (), hashes),
                writer_key("html", HtmlWriter(theme, site), theme, site, (), hashes))

    assert library_file("libstoryexport-test.so.1") is None
    drawn, html = keys()
    zlib = _loaded_from("libz.so.1", {})
    (libs / "libstoryexport-test.so.1").write_bytes(Path(zlib).read_bytes())
    assert library_file("libstoryexport-test.so.1") == str(libs / "libstoryexport-test.so.1")
    after = keys()
    assert after[0] != drawn and after[1] == html


def test_file_hashes_are_remembered_by_stat_identity(tmp_path: Path) -> None:
    """The memo spares reading an unchanged file again, and any write to
    the file (even one that keeps its size and modification time) makes it
    read again; a no-op leaves the memo file as it was."""
    from storyexport.engine.filehashes import FileHashes

    memo, f = tmp_path / "state" / "file-hashes.json", tmp_path / "font.otf"
    memo.parent.mkdir()
    f.write_bytes(b"first")
    hashes = FileHashes(memo, settled_ns=0)
    first = hashes.hash(str(f))
    assert hashes.hash(str(tmp_path / "none")) == "absent"
    hashes.save()
    recorded = memo.read_text()
    assert first in recorded
    memo.write_text(recorded.replace(first, "remembered"))  # the memo, not the file, answers now
    again = FileHashes(memo, settled_ns=0)
    assert again.hash(str(f)) == "remembered"
    before = memo.stat()
    again.save()
    after = memo.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # nothing new: not rewritten
    assert "remembered" in memo.read_text()
    stat = f.stat()
    f.write_bytes(b"other")
    os.utime(f, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert FileHashes(memo, settled_ns=0).hash(str(f)) not in (first, "remembered")
    fresh = FileHashes(memo)  # just written: hashed, not remembered
    fresh.hash(str(f))
    fresh.save()
    assert str(f) not in memo.read_text()


def test_file_hash_memo_keeps_files_another_export_did_not_use(tmp_path: Path) -> None:
    """An export of other formats (an HTML-only run between two PDF runs)
    must not make the memo forget the PDF's fonts; a file gone is dropped."""
    from storyexport.engine.filehashes import FileHashes

    memo, a, b, gone = (tmp_path / "memo.json", tmp_path / "a.ttf", tmp_path / "b.ttf", tmp_path / "c.ttf")
    for f in (a, b, gone):
        f.write_bytes(f.name.encode())
    first = FileHashes(memo, settled_ns=0)
    for f in (a, b, gone):
        first.hash(str(f))
    first.save()
    gone.unlink()
    second = FileHashes(memo, settled_ns=0)
    second.hash(str(a))
    second.save()
    assert sorted(Path(p).name for p in json.loads(memo.read_text())) == ["a.ttf", "b.ttf"]


def test_file_hash_of_a_fifo_does_not_block(tmp_path: Path) -> None:
    """A FIFO where a font or library is expected is reported, not waited on."""
    from storyexport.engine.filehashes import FileHashes

    fifo = tmp_path / "font.ttf"
    os.mkfifo(fifo)
    assert FileHashes(None).hash(str(fifo)) == "unreadable"
