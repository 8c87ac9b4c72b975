"""Vintage curves: the cumulative share of a cohort's loans ever 90+ DPD by months on book."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from smecredit_reports_core.figures import months_between

__all__ = ["quarter_of", "vintage_curves"]


def quarter_of(day: dt.date) -> str:
    """``"2025Q3"`` for a day in July to September 2025."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def vintage_curves(
    loans: Iterable[tuple[dt.date, dt.date | None]], as_of: dt.date, max_months: int
) -> Mapping[str, tuple[float | None, ...]]:
    """One curve per disbursement quarter, points for months on book 0..``max_months``.

    Args:
        loans: ``(disbursed_on, first day 90+ DPD or None)`` per loan.
        as_of: the observation date: a quarter's curve stops (None) after the months on
            book its oldest loan can have reached by then.
        max_months: the last month on book shown.

    Returns:
        quarter -> cumulative share (0..1) of its loans that were 90+ DPD by each month
        on book, oldest quarter first.
    """
    cohorts: dict[str, list[tuple[dt.date, int | None]]] = {}
    for disbursed, defaulted in loans:
        if disbursed > as_of:
            continue
        month = None if defaulted is None else months_between(disbursed, defaulted)
        cohorts.setdefault(quarter_of(disbursed), []).append((disbursed, month))
    curves: dict[str, tuple[float | None, ...]] = {}
    for quarter in sorted(cohorts):
        members = cohorts[quarter]
        seen = months_between(min(d for d, _ in members), as_of)
        curves[quarter] = tuple(
            sum(1 for _, m in members if m is not None and m <= mob) / len(members)
            if mob <= seen
            else None
            for mob in range(max_months + 1)
        )
    return curves
