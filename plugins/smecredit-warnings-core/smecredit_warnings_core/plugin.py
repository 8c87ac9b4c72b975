"""Plugin entry point: registers the built-in early-warning indicators."""

from __future__ import annotations

from smecredit.sdk import WarningRule, hookimpl
from smecredit_warnings_core import __version__
from smecredit_warnings_core.rules import RULES

__all__ = ["SMECREDIT_SDK", "__version__", "register_warning_rules"]

SMECREDIT_SDK = "1.0"


@hookimpl
def register_warning_rules() -> list[WarningRule]:
    """The built-in indicators, one object per rule code."""
    return list(RULES)
