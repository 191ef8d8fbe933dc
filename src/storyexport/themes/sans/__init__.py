"""The ``sans`` theme: sans-serif magazine look on US Letter, inheriting ``default``."""
