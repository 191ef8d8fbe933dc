"""Native libraries are found by soname before any search by toolchain."""

from __future__ import annotations


def test_library_name_prefers_the_soname() -> None:
    from storyexport.native import library_name

    assert library_name("libc.so.6", "c") == "libc.so.6"
    assert library_name("libnot-a-library.so.9", "not-a-library-either") is None
