"""Fixtures of the browser tests (see ``tests/browser_support.py``; the flows the tests
share are ``tests/browser_flows.py``)."""

from browser_support import browser, platform, web

__all__ = ["browser", "platform", "web"]
