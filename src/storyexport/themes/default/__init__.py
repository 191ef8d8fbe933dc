"""The ``default`` theme: serif newspaper look on A4 (the files beside this one)."""
