"""The portfolio a caller sees: its book, its quality, its warnings and its trend.

Scoping follows the loans list: the rows come through
:func:`~smecredit.security.row_scope.scoped_rows`, so a branch-bound caller (a loan
officer, an approver, a viewer) sees its own branch's book and head office and roles
granted ``rows, all_branches`` (risk, credit committee, compliance) see every branch's.
The figures themselves are :mod:`smecredit.domain.portfolio`'s; this module only reads
rows (three queries: loans, their classification history, warnings).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from smecredit import models
from smecredit.domain import portfolio as figures
from smecredit.security.row_scope import scoped_rows

__all__ = ["DEFAULT_TREND_MONTHS", "PortfolioView", "portfolio"]

#: How many month ends the trend shows unless asked otherwise.
DEFAULT_TREND_MONTHS = 12


@dataclass(frozen=True, slots=True)
class PortfolioView:
    """The portfolio of one caller on one day.

    Attributes:
        as_of: the day the figures describe.
        live: True when the figures are the book as it stands (no ``as_of`` asked), False
            when rebuilt from the classification history for a past day.
        book: balance, count, NPL ratio, classes, DPD buckets.
        warnings: open warnings per severity.
        trend: month-end points, oldest first.
    """

    as_of: dt.date
    live: bool
    book: figures.BookFigures
    warnings: tuple[figures.CountSlice, ...]
    trend: list[figures.TrendPoint]


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


async def portfolio(
    principal: Any,
    *,
    as_of: dt.date | None,
    today: dt.date,
    months: int = DEFAULT_TREND_MONTHS,
) -> PortfolioView:
    """The portfolio ``principal`` may see.

    Args:
        principal: the caller (None: anonymous, sees an empty book).
        as_of: the day to describe; None (or a day on or after ``today``): the book as it
            stands now (the loans' own class and days past due, as the last close of
            business left them). A past day: the book rebuilt from the classification
            history (:func:`smecredit.domain.portfolio.book_at`), and the warnings open then.
        today: the business date.
        months: how many month ends the trend shows (ending at ``as_of`` or ``today``).
    """
    live = as_of is None or as_of >= today
    day = today if live or as_of is None else as_of
    loan_qs = scoped_rows(principal, models.Loan)
    raw = await loan_qs.values_list(
        "id",
        "outstanding_principal",
        "classification",
        "days_past_due",
        "status",
        "disbursed_on",
        "closed_on",
    )
    loans = [
        figures.LoanRow(
            id=r[0],
            balance=Decimal(r[1]),
            loan_class=r[2],
            dpd=r[3],
            status=r[4],
            disbursed_on=r[5],
            closed_on=r[6],
        )
        for r in raw
    ]
    history_qs = scoped_rows(principal, models.ClassificationHistory).filter(as_of__lte=day)
    history = [
        figures.ClassRow(loan_id=r[0], as_of=r[1], loan_class=r[2], dpd=r[3])
        for r in await history_qs.values_list("loan_id", "as_of", "loan_class", "dpd")
    ]
    warning_qs = scoped_rows(principal, models.Warning)
    if live:
        warning_qs = warning_qs.filter(status__in=figures.OPEN_WARNING_STATUSES)
    else:
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        warning_qs = warning_qs.filter(opened_at__lt=end)
    warnings = [
        figures.WarningRow(severity=r[0], status=r[1], opened_on=_day(r[2]), resolved_on=_day(r[3]))
        for r in await warning_qs.values_list("severity", "status", "opened_at", "resolved_at")
    ]
    book = figures.book_figures(loans if live else figures.book_at(loans, history, day))
    return PortfolioView(
        as_of=day,
        live=live,
        book=book,
        warnings=figures.warnings_by_level(warnings, None if live else day),
        trend=figures.trend(loans, history, day, months),
    )
