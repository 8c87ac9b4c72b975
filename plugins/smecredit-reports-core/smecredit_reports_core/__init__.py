"""Built-in report types of smecredit (R1, R6, R10), as a plugin."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
