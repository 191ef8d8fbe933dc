"""The ``ink`` theme for storyexport: the default look, in dark blue on A5."""
