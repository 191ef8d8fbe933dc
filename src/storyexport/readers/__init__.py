"""Readers turn one source file into an :class:`~storyexport.model.Article`.

They are found through the ``storyexport.readers`` entry-point group, as
writers are, and chosen by file extension: each entry point names an object
(usually a module) with ``EXTENSIONS`` and a ``read(path, data, ctx)``
function returning the article and whether it is a draft. The built-in
Markdown and plain-text readers are declared the same way; a built-in keeps
its extensions if a plugin claims them too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path

from ..config import Site
from ..errors import Diagnostics, SourceError, UsageError
from ..model import Article
from .source import SourceContext

GROUP = "storyexport.readers"
BUILTIN = ("markdown", "plaintext")
Reader = Callable[[Path, bytes, SourceContext], tuple[Article, bool]]


@cache
def readers() -> dict[str, Reader]:
    """Installed readers by file extension (lower case, with the dot)."""
    eps = sorted(entry_points(group=GROUP), key=lambda e: (e.name not in BUILTIN, e.name))
    table: dict[str, Reader] = {}
    for ep in eps:
        try:
            obj = ep.load()
        except Exception as e:  # a broken plugin must not take the CLI down with a traceback
            raise UsageError(f"reader {ep.name!r} could not be loaded: {type(e).__name__}: {e}") from None
        exts, read = getattr(obj, "EXTENSIONS", None), getattr(obj, "read", None)
        if not isinstance(exts, tuple | list) or not all(isinstance(x, str) for x in exts) or not callable(read):
            raise UsageError(f"reader {ep.name!r} needs EXTENSIONS (a tuple of suffixes) and a read() function")
        for ext in exts:
            table.setdefault(ext.lower(), read)
    return table


def is_source(path: Path) -> bool:
    return path.suffix.lower() in readers() and not path.name.startswith((".", "_"))


def read_source(path: Path, root: Path, site: Site, diagnostics: Diagnostics) -> Article | None:
    """Read and validate one source file. Returns None for drafts; raises
    :class:`SourceError` with a location for anything the user must fix."""
    ctx = SourceContext(path, root, site, diagnostics)
    reader = readers().get(path.suffix.lower())
    if reader is None:
        raise SourceError(f"no reader for {path.suffix or 'files without an extension'} "
                          f"(known: {', '.join(sorted(readers()))})", str(path))
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
        diagnostics.warn(str(path), None, "draft: true; not exported", "source.draft")
        return None
    return replace(article, source_hash=hashlib.sha256(data).hexdigest())
