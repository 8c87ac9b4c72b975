"""smecredit data source for partner CSV and xlsx files (batch file import)."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
