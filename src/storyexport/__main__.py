"""``python -m storyexport``: the same command line as ``storyexport``."""

import sys

from .cli import main

sys.exit(main())
