"""Cache keys: what an output depends on besides its source.

An output is made again when its key changes: storyexport's own code, the
writer (its module, its ``version``), the theme's fingerprint (its tokens
and the bytes of every file, its fonts too), the site settings, the shims
in use (``STORYEXPORT_SHIMS``), the interpreter and its zlib, the installed
versions of the Python distributions the writer declares
(``Writer.libraries``) and of those every article is read with
(:data:`READERS`), the native libraries it declares
(``Writer.native_libraries``: each the content of the file the dynamic
loader would load, see :func:`.native.library_file`, or ``absent``), and
the content of the machine's font files it draws with (``Writer.fonts``:
the CJK faces a theme names). Files are identified by their content
(:mod:`.filehashes`), not their names: a font or library replaced in place
is another one, one touched or found in another folder is the same. So
upgrading WeasyPrint or Debian's Pango re-renders the PDFs, and installing
or updating Noto CJK re-renders the PDFs that draw with it, not the feeds.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import re
import sys
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from .. import __version__, compat
from ..config import Site
from ..native import library_file, loader_cache
from ..theme import Theme
from ..writers import Writer
from ..writers.fonts import families_faces
from .filehashes import FileHashes


@functools.cache
def code_fingerprint() -> str:
    """Hash of storyexport's own source, so an upgrade (or a local edit)
    re-renders what it may change."""
    h = hashlib.sha256()
    for p in sorted(Path(__file__).parent.parent.rglob("*.py")):
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


READERS = ("markdown-it-py", "mdit-py-plugins", "linkify-it-py", "python-liquid", "PyYAML", "python-dateutil",
           "Pillow")
"""Libraries every article passes through before a writer sees it."""


def runtime() -> str:
    """The interpreter, and the zlib that deflates ZIP members and streams."""
    return f"{sys.implementation.name}-{'.'.join(map(str, sys.version_info[:3]))}|zlib-{zlib.ZLIB_RUNTIME_VERSION}"


@functools.cache
def library_version(name: str) -> str:
    """The installed version of a distribution, ``absent`` if none: the
    ``Version`` field of its metadata, read without parsing the whole
    header (``importlib.metadata.version`` parses it as an email, 2 ms a
    library, a tenth of a no-op export for all of them)."""
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return "absent"
    found = re.search(r"^Version:[ \t]*(\S+)", dist.read_text("METADATA") or dist.read_text("PKG-INFO") or "",
                      re.MULTILINE)
    return found.group(1) if found else "unknown"


def library_versions(names: Iterable[str]) -> str:
    """``name=version`` of each distribution."""
    return ",".join(f"{n}={library_version(n)}" for n in sorted(set(names), key=str.lower))


def native_versions(sonames: Iterable[str], hashes: FileHashes) -> str:
    """``soname=hash`` of each native library: the content of the file the
    loader would load for it, ``absent`` where it finds none (so installing
    one, such as HarfBuzz's subsetter, which the EPUB's fonts are otherwise
    cut with fontTools without, makes the outputs again too)."""
    return ",".join(f"{s}={hashes.hash(path) if (path := library_file(s)) else 'absent'}"
                    for s in sorted(set(sonames)))


def fonts_signature(faces: Iterable[tuple[str, int] | str], hashes: FileHashes) -> str:
    """The faces as their files' content and index, wherever they are. A
    plugin written for the earlier ``fonts()`` gives ``"path#index:size"``
    strings: those are keyed as they are, as they were then."""
    return ";".join(sorted({face if isinstance(face, str) else f"{hashes.hash(face[0])}#{face[1]}"
                            for face in faces}))


def site_settings(site: Site) -> str:
    """The site settings an output may depend on (``[[editions]]`` keys its
    editions only; where the state is kept, or which warnings are shown,
    changes no output)."""
    return json.dumps({k: str(v) for k, v in vars(site).items()
                       if k not in ("config_path", "state", "editions", "suppress_warnings")}, sort_keys=True)


def writer_key(name: str, writer: Writer, theme: Theme, site: Site, formats: tuple[str, ...],
               hashes: FileHashes, family: str = "") -> str:
    """The environment key of a writer's outputs. A digest is keyed by its
    family instead of the writer's name, as every writer of the family
    shares it."""
    code = sys.modules[type(writer).__module__].__file__ or ""
    linked = ",".join(formats) if writer.links_formats else ""  # what it links to
    h = hashlib.sha256(f"{__version__}|{code_fingerprint()}|{family or name}|{writer.version}|"
                       f"{theme.fingerprint}|{site_settings(site)}|{compat.state()}|{linked}|{runtime()}|"
                       f"{library_versions((*READERS, *writer.libraries))}|"
                       f"{native_versions(writer.native_libraries, hashes)}|{fonts_signature(writer.fonts(), hashes)}"
                       .encode("utf-8", "surrogateescape"))
    h.update(Path(code).read_bytes() if code else b"")
    return h.hexdigest()[:16]


class Keys:
    """The keys of one export's writers and digest families, computed once.
    ``hashes`` remembers the hashes of the files they name (see
    :mod:`.filehashes`; the build saves it once it holds the state folder)."""

    def __init__(self, writers: Mapping[str, Writer], families: Mapping[str, str], theme: Theme, site: Site,
                 formats: tuple[str, ...], hashes: FileHashes | None = None) -> None:
        # the machine's fonts and libraries as they are now, listed once for every writer
        families_faces.cache_clear()
        loader_cache.cache_clear()
        self.hashes = hashes or FileHashes()
        self.writers = {n: writer_key(n, w, theme, site, formats, self.hashes) for n, w in writers.items()}
        self.digests = {f: writer_key(n, writers[n], theme, site, formats, self.hashes, family=f)
                        for f, n in families.items()}
