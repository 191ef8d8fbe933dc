"""Loading native libraries (Pango, fontconfig, HarfBuzz) without running
the compiler toolchain.

``ctypes.util.find_library`` answers a bare name such as ``"fontconfig"``
on Linux by running ``ldconfig -p``, then ``gcc``, then ``ld``: several
processes per name, and more for a name that is not there. WeasyPrint's
import tries up to six names per library for five platforms through cffi,
which falls back on ``find_library`` for each name the loader refuses: about
200 program starts and 0.15 s of CPU in every process that imports it, which
a build pays once per worker. Every one of those lists also holds the Linux
soname (``libpango-1.0.so.0``), which the dynamic loader finds by itself, so
the search by toolchain is only needed on a system where sonames fail.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import importlib
import sys
from collections.abc import Iterator
from types import ModuleType


def library_name(soname: str, name: str) -> str | None:
    """A name the loader accepts for a library: its soname if the loader
    finds it directly, else what ``find_library(name)`` finds, else None."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return ctypes.util.find_library(name)
    return soname


@contextlib.contextmanager
def loader_only() -> Iterator[None]:
    """While inside, ``find_library`` finds nothing, so libraries load only
    by names the dynamic loader knows (sonames, paths)."""
    saved = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        yield
    finally:
        ctypes.util.find_library = saved


def import_loader_only(module: str) -> ModuleType:
    """Import ``module`` with its libraries loaded by soname (see
    :func:`loader_only`). Where that is not enough (a platform whose loader
    does not know the sonames) the import is tried again with the usual
    search."""
    if module in sys.modules:
        return sys.modules[module]
    try:
        with loader_only(), contextlib.redirect_stdout(None):  # WeasyPrint prints a banner when it fails
            return importlib.import_module(module)
    except OSError:
        return importlib.import_module(module)


def import_weasyprint() -> ModuleType:
    """``import weasyprint`` without the toolchain search."""
    return import_loader_only("weasyprint")
