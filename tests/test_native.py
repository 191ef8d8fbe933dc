"""Native libraries are found by soname before any search by toolchain,
and as the file the loader would take (for the cache key)."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_library_name_prefers_the_soname() -> None:
    from storyexport.native import library_name

    assert library_name("libc.so.6", "c") == "libc.so.6"
    assert library_name("libnot-a-library.so.9", "not-a-library-either") is None


def test_library_file_is_the_file_the_loader_takes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file found for a soname is the one this process's loader
    mapped; a non-ELF file of that name in ``LD_LIBRARY_PATH`` is passed
    over, as the loader passes it over; an unknown soname is None."""
    import os

    from storyexport.native import library_file

    mapped = {os.path.realpath(line.split()[-1]) for line in open("/proc/self/maps")  # noqa: SIM115
              if "/libc.so.6" in line or "/libc-" in line}
    monkeypatch.setenv("LD_LIBRARY_PATH", str(tmp_path))
    (tmp_path / "libc.so.6").write_text("not a library")
    found = library_file("libc.so.6")
    assert found is not None and os.path.realpath(found) in mapped
    assert library_file("libnot-a-library.so.9") is None
