"""Reading a file the way untrusted paths must be read.

Paths reach the build from sources, a hand-editable manifest and the URLs in
rendered HTML. Each caller first decides whether a path is allowed at all
(inside the source tree, a vetted asset, a theme folder); this module then
reads it without being fooled at the last step: the final component is not
followed if it is a link (``O_NOFOLLOW``: one swapped in after the check is
refused), the file is opened without blocking (``O_NONBLOCK``: a FIFO must not
hang the build) and only a regular file is read (``/dev/zero`` would never end).
"""

from __future__ import annotations

import errno
import os
import stat


def read_regular_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of the regular file at ``path``, or ``OSError``: the open's
    own error (``ELOOP`` for a final link), or "not a regular file"."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", os.fspath(path))
        return f.read()
