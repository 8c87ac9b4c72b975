"""Worksheet names: Excel's rules (at most 31 characters, none of ``[]:*?/\\``, no
leading or trailing apostrophe, unique regardless of case)."""

from __future__ import annotations

import re
from typing import Final

__all__ = ["MAX_SHEET_NAME", "SheetNames"]

MAX_SHEET_NAME: Final = 31
_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


class SheetNames:
    """Hands out sanitised, unique sheet names within one workbook."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def name(self, wanted: str, fallback: str = "Sheet") -> str:
        """A sheet name like ``wanted``: sanitised, at most 31 characters, not yet taken."""
        base = _FORBIDDEN.sub(" ", wanted).strip().strip("'").strip() or fallback
        # "History" is reserved by Excel
        if base.lower() == "history":
            base = f"{base} 1"
        base = base[:MAX_SHEET_NAME]
        candidate, number = base, 1
        while candidate.lower() in self._taken:
            number += 1
            suffix = f" ({number})"
            candidate = base[: MAX_SHEET_NAME - len(suffix)].rstrip() + suffix
        self._taken.add(candidate.lower())
        return candidate
