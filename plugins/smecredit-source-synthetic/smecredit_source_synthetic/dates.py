"""Calendar helpers for month-based schedules."""

from __future__ import annotations

import calendar
import datetime as dt

__all__ = ["add_months", "month_end", "month_key", "months_between"]


def add_months(day: dt.date, months: int) -> dt.date:
    """Shift ``day`` by whole months, clamping to the last day of the target month."""
    index = day.year * 12 + day.month - 1 + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


def month_end(year: int, month: int) -> dt.date:
    """Last day of the given month."""
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def month_key(day: dt.date) -> int:
    """Months since year 0, so that month differences are plain subtraction."""
    return day.year * 12 + day.month - 1


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole calendar months from ``start``'s month to ``end``'s month."""
    return month_key(end) - month_key(start)
