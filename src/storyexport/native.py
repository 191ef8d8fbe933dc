"""Finding native libraries: for our own calls through cffi and ctypes
(fontconfig, HarfBuzz's subsetter) without running the compiler toolchain,
and as the files the dynamic loader would load (for the cache key, see
``Writer.native_libraries``) without loading them.

``ctypes.util.find_library`` answers a bare name such as ``"fontconfig"``
on Linux by running ``ldconfig -p``, then ``gcc``, then ``ld``. The soname
(``libfontconfig.so.1``) is tried first: the dynamic loader finds it by
itself, so the search by toolchain runs only on a system where sonames fail.
(WeasyPrint's own import still searches that way, about 0.2 s of CPU per
process: replacing ``find_library`` while it imports saved 2.6% of a full
export, too little for patching the standard library; bench/RESULTS.md.)
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import shutil
import subprocess
import sys

LDCONFIG_DIRS = "/sbin:/usr/sbin"
"""Where ``ldconfig`` lives when it is not on ``PATH`` (a user's shell)."""


def library_name(soname: str, name: str) -> str | None:
    """A name the loader accepts for a library: its soname if the loader
    finds it directly, else what ``find_library(name)`` finds, else None."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return ctypes.util.find_library(name)
    return soname


def _elf_kind(path: str) -> bytes | None:
    """An ELF file's class, byte order and machine (what the loader checks
    before it takes a library), None if the file is not ELF."""
    try:
        with open(path, "rb") as f:
            head = f.read(20)
    except OSError:
        return None
    return head[4:6] + head[18:20] if len(head) == 20 and head[:4] == b"\x7fELF" else None


@functools.cache
def _own_kind() -> bytes | None:
    return _elf_kind(os.path.realpath(sys.executable))


def _loadable(path: str) -> bool:
    """Whether the loader could take ``path`` for this process: an ELF file
    of the interpreter's class and machine (a 32-bit copy in the same cache
    is skipped, as the loader skips it)."""
    kind = _elf_kind(path)
    return kind is not None and kind == (_own_kind() or kind)


@functools.cache
def loader_cache() -> dict[str, tuple[str, ...]]:
    """soname -> the files the loader's cache lists for it (``ldconfig -p``,
    about 2 ms), read once per process; empty where there is no
    ``ldconfig`` (not glibc Linux)."""
    exe = shutil.which("ldconfig", path=os.pathsep.join(filter(None, (os.environ.get("PATH"), LDCONFIG_DIRS))))
    out = ""
    if exe:
        with contextlib.suppress(OSError, subprocess.SubprocessError, UnicodeDecodeError):
            out = subprocess.run([exe, "-p"], capture_output=True, text=True, timeout=30, check=True,
                                 env={**os.environ, "LC_ALL": "C"}).stdout
    found: dict[str, list[str]] = {}
    for line in out.splitlines()[1:]:  # the first line counts the entries
        name, arrow, path = line.strip().partition(" => ")
        if arrow:
            found.setdefault(name.split(" (", 1)[0], []).append(path)
    return {name: tuple(paths) for name, paths in found.items()}


def library_file(soname: str) -> str | None:
    """The file the dynamic loader would load for ``soname`` in a process
    started now, without loading it: the first of ``LD_LIBRARY_PATH``'s
    folders that holds a loadable one, else the loader's cache
    (``/etc/ld.so.cache``, as ``ldconfig -p`` lists it). None where neither
    has it (the library is not installed, or the system has no ``ldconfig``).
    A library found only through a program's own run path (Pillow's bundled
    ones) is not seen here: its distribution's version stands for it."""
    for folder in filter(None, os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep)):
        path = os.path.join(folder, soname)
        if os.path.isfile(path) and _loadable(path):
            return path
    return next((p for p in loader_cache().get(soname, ()) if _loadable(p)), None)
