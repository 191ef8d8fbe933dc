"""The one way untrusted paths are read (manifest hashes, feed media, PDF
resources): regular files only, no final link, never blocking."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from storyexport.safeio import read_regular_file


def test_reads_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"\x89PNG")
    assert read_regular_file(tmp_path / "a.png") == b"\x89PNG"
    assert read_regular_file(str(tmp_path / "a.png")) == b"\x89PNG"


def test_refuses_a_final_link(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("secret")
    (tmp_path / "link.png").symlink_to(tmp_path / "secret")
    with pytest.raises(OSError) as e:
        read_regular_file(tmp_path / "link.png")
    assert e.value.errno == errno.ELOOP


def test_refuses_what_is_not_a_regular_file_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")  # opening it for reading would wait for a writer
    for path in (tmp_path / "fifo", Path("/dev/zero"), tmp_path):
        with pytest.raises(OSError) as e:
            read_regular_file(path)
        assert e.value.strerror in ("not a regular file", os.strerror(errno.EISDIR)), path
