"""Fixtures for the early-warning tests (helpers live in ``tests/warnings_support.py``)."""

from __future__ import annotations

from warnings_support import _fresh_broadcasters, make_firm, rules

__all__ = ["_fresh_broadcasters", "make_firm", "rules"]
