"""Spreadsheet formula injection: recognise text a spreadsheet would run, neutralise it.

A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` - also after leading blanks, tabs
or carriage returns, which spreadsheets skip - is taken for a formula by Excel, LibreOffice
and Google Sheets when a CSV or xlsx file is opened: ``=HYPERLINK(...)`` or ``=cmd|...``
turn a data file into an attack on whoever opens it (OWASP "CSV injection"). A leading tab
or carriage return is refused on its own too: some spreadsheets treat it as a formula lead.

* :func:`is_formula_like` - the check, used at import to flag such values
  (data-quality code ``FORMULA_TEXT``);
* :func:`neutralise_cell` / :func:`neutralise_row` - what every export the platform
  produces (CSV, xlsx, reports) does to each cell: such text gets a leading apostrophe,
  which spreadsheets show as text and never evaluate. Numbers, dates and other non-text
  values pass unchanged, so negative amounts stay numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

__all__ = [
    "FORMULA_LEADS",
    "MAYBE_FORMULA_FIRST",
    "is_formula_like",
    "neutralise_cell",
    "neutralise_row",
]

#: Characters that make a spreadsheet evaluate a cell.
FORMULA_LEADS = frozenset("=+-@")
# Skipped before the first character by spreadsheets (ideographic space included: CJK
# input methods type it); a tab or carriage return first is suspicious in itself.
_SKIPPED = " \t\r\n\u3000\u00a0"
_SUSPICIOUS_FIRST = frozenset("\t\r")
#: A text can only be formula-like if it starts with one of these (a cheap first test).
MAYBE_FORMULA_FIRST = FORMULA_LEADS | frozenset(_SKIPPED)

K = TypeVar("K")


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet would take ``text`` for a formula (see the module docstring)."""
    if not text:
        return False
    if text[0] in _SUSPICIOUS_FIRST:
        return True
    stripped = text.lstrip(_SKIPPED)
    return bool(stripped) and stripped[0] in FORMULA_LEADS


def neutralise_cell(value: Any) -> Any:
    """``value`` as safe to write into a spreadsheet cell.

    Text a spreadsheet would run gets a leading apostrophe (shown as text, never
    evaluated); anything else is returned unchanged.
    """
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def neutralise_row(row: Mapping[K, Any] | Iterable[Any]) -> dict[K, Any] | list[Any]:
    """:func:`neutralise_cell` applied to every value of a row (a mapping or a sequence)."""
    if isinstance(row, Mapping):
        return {key: neutralise_cell(value) for key, value in row.items()}
    return [neutralise_cell(value) for value in row]
