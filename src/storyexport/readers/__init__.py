"""Readers turn one source file into an :class:`~storyexport.model.Article`.

They are chosen by file extension; each module declares ``EXTENSIONS`` and a
``read(path, data, ctx)`` function returning the article and whether it is a
draft.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ..config import Site
from ..errors import Diagnostics, SourceError
from ..model import Article
from . import markdown, plaintext
from .source import SourceContext

Reader = Callable[[Path, bytes, SourceContext], tuple[Article, bool]]

READERS: dict[str, Reader] = {
    **dict.fromkeys(markdown.EXTENSIONS, markdown.read),
    **dict.fromkeys(plaintext.EXTENSIONS, plaintext.read),
}


def is_source(path: Path) -> bool:
    return path.suffix.lower() in READERS and not path.name.startswith((".", "_"))


def read_source(path: Path, root: Path, site: Site, diagnostics: Diagnostics) -> Article | None:
    """Read and validate one source file. Returns None for drafts; raises
    :class:`SourceError` with a location for anything the user must fix."""
    ctx = SourceContext(path, root, site, diagnostics)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise SourceError(f"no reader for {path.suffix or 'files without an extension'} "
                          f"(known: {', '.join(sorted(READERS))})", str(path))
    real = path.resolve()
    if not real.is_relative_to(root.resolve()):
        raise SourceError("source is a link to a file outside the source tree; not read", str(path))
    if not real.is_file():
        raise SourceError("not a regular file", str(path))
    size = real.stat().st_size
    if size > site.limits.max_file_bytes:
        raise SourceError(f"file is {size} bytes, over the limit of {site.limits.max_file_bytes} "
                          "(max_file_bytes)", str(path))
    data = real.read_bytes()
    article, draft = reader(path, data, ctx)
    if draft:
        diagnostics.warn(str(path), None, "draft: true; not exported")
        return None
    return replace(article, source_hash=hashlib.sha256(data).hexdigest())
