"""The themes that ship with storyexport, one package each (its folder holds
``theme.toml``, ``fonts/`` and ``templates/``). They are found through the
``storyexport.themes`` entry-point group declared in ``pyproject.toml``,
exactly as a theme installed from another package is."""
