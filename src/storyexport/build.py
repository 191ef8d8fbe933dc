"""The build engine's entry points, as callers import them (the CLI, the
tests, plugins): the engine itself is the phases in :mod:`storyexport.engine`."""

from __future__ import annotations

from .engine import (
    BuildResult,
    DigestStore,
    Export,
    LazyArticles,
    code_fingerprint,
    find_sources,
    media_types,
    run,
    state_folder,
)

__all__ = ["BuildResult", "DigestStore", "Export", "LazyArticles", "code_fingerprint", "find_sources",
           "media_types", "run", "state_folder"]
