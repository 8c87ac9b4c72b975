"""Portfolio figures from plain rows: the dashboard's book, its quality and its trend.

Everything here is pure: the service (:mod:`smecredit.services.portfolio`) reads the rows
the caller may see and hands them over as :class:`LoanRow`, :class:`ClassRow` and
:class:`WarningRow`; this module adds them up.

* **Book**: loans on the book (status ``disbursed``, ``active`` or ``overdue``: not closed,
  written off or reversed). Balance = sum of outstanding principal; count = number of loans.
* **NPL ratio** = (substandard + doubtful + loss balance) / total balance, a
  :class:`~decimal.Decimal` rounded to 6 places (0 for an empty book).
* **Five-category distribution**: count and balance per class, best first, every class
  present (zeros included).
* **DPD buckets**: ``current`` (0 days), ``1-30``, ``31-60``, ``61-90``, ``90+``.
* **Warnings by level**: warnings still open (``open``, ``acknowledged``, ``in_progress``)
  per severity (red, orange, yellow, blue).
* **Trend** (:func:`trend`): one point per month end, computed from the classification
  history (the close of business writes a row whenever a loan's class or stage changes, and
  disbursement writes the first). See :func:`book_at` for exactly how.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from smecredit.domain.classification import LoanClass

__all__ = [
    "DPD_BUCKETS",
    "ON_BOOK_STATUSES",
    "OPEN_WARNING_STATUSES",
    "SEVERITIES",
    "BookFigures",
    "ClassRow",
    "ClassSlice",
    "CountSlice",
    "LoanRow",
    "TrendPoint",
    "WarningRow",
    "book_at",
    "book_figures",
    "dpd_bucket",
    "month_ends",
    "npl_ratio",
    "trend",
    "warnings_by_level",
]

#: Loan statuses that are on the book.
ON_BOOK_STATUSES: tuple[str, ...] = ("disbursed", "active", "overdue")
#: Warning statuses that still need work.
OPEN_WARNING_STATUSES: tuple[str, ...] = ("open", "acknowledged", "in_progress")
#: Warning severities, most severe first.
SEVERITIES: tuple[str, ...] = ("red", "orange", "yellow", "blue")
#: Days-past-due buckets: (code, lowest day, highest day or None for open-ended).
DPD_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("current", 0, 0),
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)
_ZERO = Decimal("0.00")
_RATIO = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class LoanRow:
    """One loan as the figures need it.

    Attributes:
        id: the loan's id (joins the classification history).
        balance: outstanding principal today.
        loan_class: five-category class today (a :class:`LoanClass` value).
        dpd: days past due today.
        status: the loan's status.
        disbursed_on: when it was disbursed (None: not known, counted from the start).
        closed_on: when it left the book (None: still on it, or not known).
    """

    id: int
    balance: Decimal
    loan_class: str
    dpd: int
    status: str
    disbursed_on: dt.date | None = None
    closed_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class ClassRow:
    """One classification-history row: the loan's class and days past due from ``as_of``."""

    loan_id: int
    as_of: dt.date
    loan_class: str
    dpd: int


@dataclass(frozen=True, slots=True)
class WarningRow:
    """One warning: its severity, status and when it opened and was resolved."""

    severity: str
    status: str
    opened_on: dt.date | None = None
    resolved_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class ClassSlice:
    """One class of the five-category distribution."""

    loan_class: str
    count: int
    balance: Decimal


@dataclass(frozen=True, slots=True)
class CountSlice:
    """A count and balance under a code (a DPD bucket), or a count alone (a severity)."""

    code: str
    count: int
    balance: Decimal = _ZERO


@dataclass(frozen=True, slots=True)
class BookFigures:
    """The figures of one book: balance, count, NPL ratio, classes and DPD buckets."""

    balance: Decimal
    count: int
    npl_balance: Decimal
    npl_ratio: Decimal
    classes: tuple[ClassSlice, ...]
    dpd_buckets: tuple[CountSlice, ...]


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """The book at one month end: its balance, count and NPL ratio."""

    month_end: dt.date
    balance: Decimal
    count: int
    npl_ratio: Decimal


def npl_ratio(npl_balance: Decimal, balance: Decimal) -> Decimal:
    """Non-performing balance over total balance, 6 places (0 when the book is empty)."""
    if balance <= 0:
        return Decimal("0.000000")
    return (npl_balance / balance).quantize(_RATIO, rounding=ROUND_HALF_EVEN)


def dpd_bucket(dpd: int) -> str:
    """The bucket code of ``dpd`` days past due (negative days count as current)."""
    for code, _low, high in DPD_BUCKETS:
        if high is None or dpd <= high:
            return code
    raise AssertionError("the last bucket is open-ended")  # pragma: no cover


def _class_of(value: str) -> LoanClass:
    try:
        return LoanClass(value)
    except ValueError:
        return LoanClass.NORMAL


def book_figures(loans: Iterable[LoanRow]) -> BookFigures:
    """Balance, count, NPL ratio, classes and DPD buckets of the loans on the book.

    Loans off the book (status not in :data:`ON_BOOK_STATUSES`) are left out; an unknown
    class counts as normal.
    """
    class_count = dict.fromkeys(LoanClass, 0)
    class_balance = dict.fromkeys(LoanClass, _ZERO)
    codes = [code for code, _, _ in DPD_BUCKETS]
    bucket_count = dict.fromkeys(codes, 0)
    bucket_balance = dict.fromkeys(codes, _ZERO)
    balance = _ZERO
    count = 0
    npl = _ZERO
    for loan in loans:
        if loan.status not in ON_BOOK_STATUSES:
            continue
        cls = _class_of(loan.loan_class)
        count += 1
        balance += loan.balance
        if cls.is_non_performing:
            npl += loan.balance
        class_count[cls] += 1
        class_balance[cls] += loan.balance
        code = dpd_bucket(loan.dpd)
        bucket_count[code] += 1
        bucket_balance[code] += loan.balance
    return BookFigures(
        balance=balance,
        count=count,
        npl_balance=npl,
        npl_ratio=npl_ratio(npl, balance),
        classes=tuple(ClassSlice(c.value, class_count[c], class_balance[c]) for c in LoanClass),
        dpd_buckets=tuple(CountSlice(c, bucket_count[c], bucket_balance[c]) for c in codes),
    )


def warnings_by_level(
    warnings: Iterable[WarningRow], as_of: dt.date | None = None
) -> tuple[CountSlice, ...]:
    """Open warnings per severity, most severe first (every severity present).

    Without ``as_of``: warnings whose status is open (:data:`OPEN_WARNING_STATUSES`). With
    ``as_of``: warnings opened on or before it and not resolved by then (resolved after it,
    or not at all).
    """
    counts = dict.fromkeys(SEVERITIES, 0)
    for w in warnings:
        if w.severity not in counts:
            continue
        if as_of is None:
            if w.status not in OPEN_WARNING_STATUSES:
                continue
        else:
            if w.opened_on is not None and w.opened_on > as_of:
                continue
            if w.resolved_on is not None and w.resolved_on <= as_of:
                continue
            if w.resolved_on is None and w.status not in OPEN_WARNING_STATUSES:
                continue
        counts[w.severity] += 1
    return tuple(CountSlice(s, n) for s, n in counts.items())


def book_at(loans: Sequence[LoanRow], history: Iterable[ClassRow], day: dt.date) -> list[LoanRow]:
    """The book as it stood at the end of ``day``, rebuilt from the classification history.

    * A loan is on the book at ``day`` when it was disbursed on or before it (or its
      disbursement date is unknown) and had not closed by then (``closed_on`` after ``day``
      or unknown); a loan that is off the book today with no ``closed_on`` is left out.
    * Its class and days past due are those of its latest classification-history row on or
      before ``day``; with no such row, today's (the history starts at disbursement, so this
      only happens for books imported without history).
    * Its balance is today's outstanding principal: the platform keeps no balance
      snapshots, so the trend's balance shows loans entering and leaving the book, not
      amortisation within a loan.
    """
    latest: dict[int, ClassRow] = {}
    for row in history:
        if row.as_of > day:
            continue
        seen = latest.get(row.loan_id)
        if seen is None or row.as_of >= seen.as_of:
            latest[row.loan_id] = row
    out: list[LoanRow] = []
    for loan in loans:
        if loan.disbursed_on is not None and loan.disbursed_on > day:
            continue
        if loan.closed_on is not None:
            if loan.closed_on <= day:
                continue
        elif loan.status not in ON_BOOK_STATUSES:
            continue
        then = latest.get(loan.id)
        out.append(
            LoanRow(
                id=loan.id,
                balance=loan.balance,
                loan_class=then.loan_class if then else loan.loan_class,
                dpd=then.dpd if then else loan.dpd,
                status="active",
                disbursed_on=loan.disbursed_on,
                closed_on=loan.closed_on,
            )
        )
    return out


def month_ends(end: dt.date, months: int) -> list[dt.date]:
    """The last ``months`` month ends on or before ``end``, oldest first.

    ``end`` itself counts as the newest point when it is a month end; otherwise the newest
    point is the end of the previous month.
    """
    if months <= 0:
        return []
    nxt = end + dt.timedelta(days=1)
    last = end if nxt.month != end.month else end.replace(day=1) - dt.timedelta(days=1)
    out = [last]
    while len(out) < months:
        out.append(out[-1].replace(day=1) - dt.timedelta(days=1))
    return out[::-1]


def trend(
    loans: Sequence[LoanRow], history: Sequence[ClassRow], end: dt.date, months: int = 12
) -> list[TrendPoint]:
    """Month-end balance, count and NPL ratio for the last ``months`` month ends.

    Each point is :func:`book_figures` of :func:`book_at` that month end: computed from the
    classification history (class and days past due at the month end), the loans'
    disbursement and closing dates (which loans were on the book) and today's outstanding
    principal (the balance; no balance snapshots exist).
    """
    points = []
    for day in month_ends(end, months):
        figures = book_figures(book_at(loans, history, day))
        points.append(TrendPoint(day, figures.balance, figures.count, figures.npl_ratio))
    return points
