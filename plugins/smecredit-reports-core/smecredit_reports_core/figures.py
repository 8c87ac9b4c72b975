"""Small arithmetic every report shares: safe ratios, medians, month ends, month counts."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

__all__ = [
    "ZERO",
    "add_months",
    "as_decimal",
    "median",
    "month_ends",
    "months_between",
    "ratio",
]

ZERO = Decimal(0)


def as_decimal(value: Any) -> Decimal:
    """A cell as Decimal: None (an empty sum) is zero; floats go through their text."""
    if value is None:
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


def ratio(numerator: Any, denominator: Any) -> Decimal:
    """``numerator / denominator`` as Decimal, zero when the denominator is zero or empty.

    An empty book has no balance: every share of it is reported as 0, never an error.
    """
    den = as_decimal(denominator)
    num = as_decimal(numerator)
    return ZERO if den == 0 or num == 0 else num / den


def median(values: Iterable[float]) -> float | None:
    """The median, or None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` (negative: back), clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def month_ends(as_of: dt.date, count: int) -> Sequence[dt.date]:
    """The last ``count`` month ends up to ``as_of``, oldest first.

    The month of ``as_of`` counts with ``as_of`` itself when it is not yet over.
    """
    ends: list[dt.date] = []
    day = as_of
    for _ in range(max(count, 0)):
        ends.append(day)
        day = day.replace(day=1) - dt.timedelta(days=1)
    return tuple(reversed(ends))


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from ``start`` to ``end`` (0 within the first month; never negative)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(months, 0)
