"""Record: make the export's outputs durable, then write the manifest that
vouches for them.

Outputs were written without a per-file fsync (at N=3,000 those took 45%
of an HTML and feeds export): one ``syncfs`` makes them all durable now,
before the manifest that records them. A power cut earlier leaves the old
manifest, which does not vouch for them; and an output whose size is not
the recorded one is rebuilt (see plan.py), so a truncated file heals.
"""

from __future__ import annotations

from ..storage import LocalStorage
from . import manifest
from .context import Export
from .outputs import Outputs
from .render import cannot_write
from .state import remove_legacy


def record(export: Export, out: Outputs, m: manifest.Manifest, synced: bool) -> None:
    """Sync what was written (``synced``: anything was) and save ``m``."""
    storage, state = export.storage, export.state_store
    if synced:
        storage.sync()
        if not (isinstance(storage, LocalStorage) and isinstance(state, LocalStorage)
                and storage.device() == state.device()):
            state.sync()  # the digests, elsewhere
    try:
        manifest.save(state, m)
    except OSError as e:
        where = state.display(manifest.NAME)
        out.error(cannot_write(where, where, e))
    remove_legacy(storage)
