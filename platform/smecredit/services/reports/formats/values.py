"""How a value reads in print (PDF cells, chart labels): grouped digits, percents, ISO dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from smecredit.sdk.reports import WITHHELD

__all__ = ["display", "printable"]

# control characters have no glyph: a tab prints as a blank, the others not at all
_CONTROL = {code: None for code in (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F)} | {0x09: " "}


def printable(text: str) -> str:
    """``text`` without the control characters a page cannot print (line breaks kept)."""
    return text.translate(_CONTROL)


def display(value: Any, kind: str, withheld: str) -> str:
    """The printed text of a cell of ``kind`` (``money`` 1,234.50; ``percent`` 4.35%)."""
    if value is None:
        return ""
    if value is WITHHELD:
        return withheld
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, (int, float, Decimal)):
        if kind == "percent":
            return f"{float(value) * 100:,.2f}%"
        if kind == "money":
            return f"{Decimal(str(value)):,.2f}"
        if isinstance(value, int) or kind == "int":
            return f"{int(value):,}"
        text = f"{Decimal(str(value)):,.4f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return printable(str(value))
