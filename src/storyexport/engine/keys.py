"""Cache keys: what an output depends on besides its source.

An output is made again when its key changes: storyexport's own code, the
writer (its module, its ``version``), the theme's fingerprint, the site
settings and the shims in use (``STORYEXPORT_SHIMS``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import sys
from collections.abc import Mapping
from pathlib import Path

from .. import __version__, compat
from ..config import Site
from ..theme import Theme
from ..writers import Writer


@functools.cache
def code_fingerprint() -> str:
    """Hash of storyexport's own source, so an upgrade (or a local edit)
    re-renders what it may change."""
    h = hashlib.sha256()
    for p in sorted(Path(__file__).parent.parent.rglob("*.py")):
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def site_settings(site: Site) -> str:
    """The site settings an output may depend on (``[[editions]]`` keys its
    editions only; where the state is kept, or which warnings are shown,
    changes no output)."""
    return json.dumps({k: str(v) for k, v in vars(site).items()
                       if k not in ("config_path", "state", "editions", "suppress_warnings")}, sort_keys=True)


def writer_key(name: str, writer: Writer, theme: Theme, site: Site, formats: tuple[str, ...],
               family: str = "") -> str:
    """The environment key of a writer's outputs. A digest is keyed by its
    family instead of the writer's name, as every writer of the family
    shares it."""
    code = sys.modules[type(writer).__module__].__file__ or ""
    linked = ",".join(formats) if writer.links_formats else ""  # what it links to
    h = hashlib.sha256(f"{__version__}|{code_fingerprint()}|{family or name}|{writer.version}|"
                       f"{theme.fingerprint}|{site_settings(site)}|{compat.state()}|{linked}".encode())
    h.update(Path(code).read_bytes() if code else b"")
    return h.hexdigest()[:16]


class Keys:
    """The keys of one export's writers and digest families, computed once."""

    def __init__(self, writers: Mapping[str, Writer], families: Mapping[str, str], theme: Theme, site: Site,
                 formats: tuple[str, ...]) -> None:
        self.writers = {n: writer_key(n, w, theme, site, formats) for n, w in writers.items()}
        self.digests = {f: writer_key(n, writers[n], theme, site, formats, family=f) for f, n in families.items()}
