"""Fixtures of the browser tests (see ``tests/browser_support.py``); the flows the tests
share (``tests/browser/flows.py``) import as ``flows``."""

import sys
from pathlib import Path

from browser_support import browser, platform, web

sys.path.insert(0, str(Path(__file__).resolve().parent))

__all__ = ["browser", "platform", "web"]
