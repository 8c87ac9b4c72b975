"""Fixtures of the browser tests (see ``tests/browser_support.py``)."""

from browser_support import browser, platform, web

__all__ = ["browser", "platform", "web"]
