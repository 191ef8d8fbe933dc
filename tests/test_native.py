"""Native libraries load without running the compiler toolchain."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

PROBE = """
import subprocess, sys
started = []
real = subprocess.Popen.__init__
def spy(self, args, *a, **k):
    started.append(args)
    real(self, args, *a, **k)
subprocess.Popen.__init__ = spy
from storyexport.native import import_weasyprint
wp = import_weasyprint()
from weasyprint.text import ffi
from storyexport.writers.fonts import _harfbuzz
print(repr(started), wp.HTML(string="<p>x</p>").write_pdf()[:5], _harfbuzz() is not None)
"""


def test_weasyprint_imports_without_starting_programs() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True)
    started, pdf_head, harfbuzz = out.stdout.rsplit(" ", 2)
    assert started == "[]", f"programs started while importing WeasyPrint: {started}"
    assert pdf_head == "b'%PDF-'"
    assert harfbuzz.strip() == "True"


def test_import_falls_back_to_the_usual_search(tmp_path: Path) -> None:
    """A module whose library is found only by ``find_library`` still
    imports: the loader-only attempt fails, the second one searches."""
    (tmp_path / "needs_search.py").write_text(textwrap.dedent("""
        import ctypes.util
        print("banner that must not show")
        FOUND = ctypes.util.find_library("c")
        if FOUND is None:
            raise OSError("cannot load library 'c'")
    """))
    code = ("import sys; sys.path.insert(0, sys.argv[1])\n"
            "from storyexport.native import import_loader_only\n"
            "m = import_loader_only('needs_search'); print('found', m.FOUND)\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.startswith("banner that must not show\nfound libc.so"), out.stdout


def test_library_name_prefers_the_soname() -> None:
    from storyexport.native import library_name

    assert library_name("libc.so.6", "c") == "libc.so.6"
    assert library_name("libnot-a-library.so.9", "not-a-library-either") is None
