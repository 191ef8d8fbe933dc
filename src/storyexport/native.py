"""Finding native libraries (fontconfig, HarfBuzz's subsetter) for our own
calls through cffi and ctypes, without running the compiler toolchain.

``ctypes.util.find_library`` answers a bare name such as ``"fontconfig"``
on Linux by running ``ldconfig -p``, then ``gcc``, then ``ld``. The soname
(``libfontconfig.so.1``) is tried first: the dynamic loader finds it by
itself, so the search by toolchain runs only on a system where sonames fail.
(WeasyPrint's own import still searches that way, about 0.2 s of CPU per
process: replacing ``find_library`` while it imports saved 2.6% of a full
export, too little for patching the standard library; bench/RESULTS.md.)
"""

from __future__ import annotations

import ctypes
import ctypes.util


def library_name(soname: str, name: str) -> str | None:
    """A name the loader accepts for a library: its soname if the loader
    finds it directly, else what ``find_library(name)`` finds, else None."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return ctypes.util.find_library(name)
    return soname
