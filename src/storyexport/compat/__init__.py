"""Shims: the few places where storyexport reaches into another library's
internals, kept apart so that a renamed internal cannot break an export.

Each shim lives in the compat module of the library it reaches into
(:mod:`.weasyprint`, :mod:`.docx`, :mod:`.ebooklib`; :mod:`.cpython` for
the interpreter), beside the plain
public-API path that does the same job, and is used only while
:meth:`Shim.active`: every library it touches is installed at a version it
was tested on, and it has not been switched off. ``STORYEXPORT_SHIMS=off``
switches every shim off (``tests/test_compat.py`` holds the outputs valid
and equal in text either way); ``STORYEXPORT_SHIMS=-name,-name`` switches off
the named ones, which is how ``bench/run.py`` measures what each saves.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version

ENV = "STORYEXPORT_SHIMS"
OFF = ("off", "0", "no", "none", "false")


@cache
def installed(distribution: str) -> str | None:
    """The installed version of a distribution, or None; for ``"python"``,
    the interpreter and its minor version (``cpython-3.11``)."""
    if distribution == "python":
        return f"{sys.implementation.name}-{sys.version_info[0]}.{sys.version_info[1]}"
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def _switched_off(name: str) -> bool:
    value = os.environ.get(ENV, "").strip()
    if value.lower() in OFF:
        return True
    return name in {part.strip()[1:] for part in value.split(",") if part.strip().startswith("-")}


@dataclass(frozen=True)
class Shim:
    """One use of another library's internals, and the versions of each
    library it touches that it was tested on."""

    name: str
    tested: Mapping[str, tuple[str, ...]]
    why: str

    def active(self) -> bool:
        return not _switched_off(self.name) and all(installed(d) in vs for d, vs in self.tested.items())


SHIMS: dict[str, Shim] = {}


def shim(name: str, tested: Mapping[str, tuple[str, ...]], why: str) -> Shim:
    """Declare a shim (in its library's compat module)."""
    SHIMS[name] = made = Shim(name, dict(tested), why)
    return made


def all_shims() -> dict[str, Shim]:
    """Every shim, by name (the compat modules imported, not their libraries)."""
    from . import cpython, docx, ebooklib, weasyprint  # noqa: F401  (each declares its shims)

    return dict(SHIMS)


def state() -> str:
    """The switch as set, for the build's cache key: outputs made with and
    without shims may differ in bytes (not in what they say). Whether a
    shim applies otherwise depends on library versions, which the key holds
    too (``Writer.libraries``, see ``build/keys.py``)."""
    return ",".join(sorted(p.strip().lower() for p in os.environ.get(ENV, "").split(",") if p.strip()))
