"""Repayment schedules exact to the fen.

Conventions:

* Money is :class:`~decimal.Decimal` quantized to 0.01 with ``ROUND_HALF_UP`` (:func:`to_fen`).
* Day count 30/360: every month is 1/12 of a year, so a month's interest is
  ``opening balance x annual rate / 12``, rounded to the fen per instalment. It does not
  depend on the number of calendar days in the month, which keeps schedules reproducible.
* Due dates fall on the same day of month as ``first_due``, clamped to the month's last day
  (first due 31 Jan -> 29 Feb -> 31 Mar -> 30 Apr ...).
* Grace months (``grace_months``) are part of ``term_months``: the first ``grace_months``
  instalments pay interest only; the method amortises the principal over the rest.

Methods:

* ``equal_instalment`` (等额本息, annuity): fixed total ``P r / (1 - (1 + r)^-n)`` rounded
  to the fen; the last instalment pays the remaining balance, absorbing the rounding residue.
* ``equal_principal`` (等额本金): principal ``P / n`` rounded to the fen, the last instalment
  takes the remainder; interest falls with the balance.
* ``interest_only`` (先息后本): interest every month, all principal with the last instalment.

Invariants (tested): principal parts sum to the principal exactly; no amount is negative;
each closing balance is the next opening balance; the last closing balance is 0.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

from smecredit.domain.errors import DomainError

__all__ = [
    "FEN",
    "Instalment",
    "RepaymentMethod",
    "RescheduleTerms",
    "ScheduleError",
    "add_months",
    "build_schedule",
    "reschedule",
    "to_fen",
]

FEN = Decimal("0.01")
_ZERO = Decimal("0.00")
_MONTHS_PER_YEAR = Decimal(12)


class RepaymentMethod(StrEnum):
    """How principal is repaid."""

    EQUAL_INSTALMENT = "equal_instalment"
    EQUAL_PRINCIPAL = "equal_principal"
    INTEREST_ONLY = "interest_only"


class ScheduleError(DomainError):
    """Schedule inputs are invalid (codes ``INVALID_PRINCIPAL``, ``INVALID_RATE``, ...)."""

    code = "INVALID_SCHEDULE"


@dataclass(frozen=True, slots=True)
class Instalment:
    """One line of a repayment schedule.

    Attributes:
        number: 1-based instalment number.
        due_date: when it falls due.
        opening_balance: principal outstanding before this instalment.
        principal: principal repaid.
        interest: interest for the period.
        total: ``principal + interest``.
        closing_balance: principal outstanding after this instalment.
    """

    number: int
    due_date: date
    opening_balance: Decimal
    principal: Decimal
    interest: Decimal
    total: Decimal
    closing_balance: Decimal


def to_fen(amount: Decimal) -> Decimal:
    """Round to 0.01 with ``ROUND_HALF_UP``."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def add_months(start: date, months: int, *, day: int | None = None) -> date:
    """Return ``start`` moved by ``months``, on ``day`` (default ``start.day``) clamped."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day or start.day, last))


def _annuity_payment(principal: Decimal, monthly_rate: Decimal, n: int) -> Decimal:
    if monthly_rate == 0:
        return to_fen(principal / n)
    with localcontext() as ctx:
        ctx.prec = 40  # (1 + r)^-60 needs more than the default 28 digits to round right
        factor = (1 + monthly_rate) ** -n
        return to_fen(principal * monthly_rate / (1 - factor))


def _validate(principal: Decimal, annual_rate: Decimal, term_months: int, grace: int) -> None:
    if principal <= 0 or principal != to_fen(principal):
        raise ScheduleError(
            f"principal must be a positive amount in fen, got {principal}",
            code="INVALID_PRINCIPAL",
        )
    if annual_rate < 0 or annual_rate >= 1:
        raise ScheduleError(
            f"annual rate must be a fraction in [0, 1), got {annual_rate}", code="INVALID_RATE"
        )
    if term_months < 1:
        raise ScheduleError(
            f"term must be at least 1 month, got {term_months}", code="INVALID_TERM"
        )
    if grace < 0 or grace >= term_months:
        raise ScheduleError(
            f"grace months must be in [0, {term_months - 1}] for a {term_months}-month term, "
            f"got {grace}",
            code="INVALID_GRACE",
        )


def build_schedule(
    principal: Decimal,
    annual_rate: Decimal,
    term_months: int,
    method: RepaymentMethod,
    first_due: date,
    *,
    grace_months: int = 0,
) -> list[Instalment]:
    """Build a monthly repayment schedule.

    Args:
        principal: amount lent, in fen precision.
        annual_rate: nominal annual rate as a fraction (``Decimal("0.0435")``).
        term_months: number of monthly instalments, grace months included.
        method: how principal is repaid.
        first_due: due date of instalment 1; later ones fall on the same day of month.
        grace_months: leading interest-only instalments.

    Returns:
        The instalments in order.

    Raises:
        ScheduleError: for a non-positive principal, a rate outside [0, 1), a term below 1
            or a grace period not shorter than the term.
    """
    method = RepaymentMethod(method)
    _validate(principal, annual_rate, term_months, grace_months)
    monthly_rate = annual_rate / _MONTHS_PER_YEAR
    amortising = term_months - grace_months
    payment = _annuity_payment(principal, monthly_rate, amortising)
    level_principal = to_fen(principal / amortising)

    schedule: list[Instalment] = []
    balance = principal
    for number in range(1, term_months + 1):
        # Multiply before dividing: a pre-divided monthly rate is inexact and would round
        # 750.00 x 12.28% / 12 = 7.675 down to 7.67.
        interest = to_fen(balance * annual_rate / _MONTHS_PER_YEAR)
        last = number == term_months
        if last:
            part = balance
        elif number <= grace_months or method is RepaymentMethod.INTEREST_ONLY:
            part = _ZERO
        elif method is RepaymentMethod.EQUAL_INSTALMENT:
            part = max(_ZERO, min(payment - interest, balance))
        else:
            part = min(level_principal, balance)
        closing = balance - part
        schedule.append(
            Instalment(
                number=number,
                due_date=add_months(first_due, number - 1),
                opening_balance=balance,
                principal=part,
                interest=interest,
                total=part + interest,
                closing_balance=closing,
            )
        )
        balance = closing
    return schedule


@dataclass(frozen=True, slots=True)
class RescheduleTerms:
    """New terms for the remaining balance.

    Attributes:
        annual_rate: new nominal annual rate.
        term_months: number of new instalments.
        method: new repayment method.
        first_due: first new due date; default: the first old due date after ``as_of``
            (or the month after the last old one), on the first instalment's day of month.
        grace_months: leading interest-only instalments.
    """

    annual_rate: Decimal
    term_months: int
    method: RepaymentMethod
    first_due: date | None = None
    grace_months: int = 0


def reschedule(
    existing: Sequence[Instalment],
    outstanding: Decimal,
    as_of: date,
    new_terms: RescheduleTerms,
) -> list[Instalment]:
    """Build a new schedule for the remaining balance; the caller keeps the old one.

    Args:
        existing: the schedule being replaced (used for the default payment day).
        outstanding: principal still owed as of ``as_of``.
        as_of: the date of the rescheduling.
        new_terms: rate, term and method of the new schedule.

    Returns:
        The new schedule, numbered from 1, whose principal sums to ``outstanding``.

    Raises:
        ScheduleError: ``INVALID_DUE_DATE`` when the first due date is not after ``as_of``,
            or any error of :func:`build_schedule`.
    """
    first_due = new_terms.first_due
    if first_due is None:
        later = sorted(i.due_date for i in existing if i.due_date > as_of)
        if later:
            first_due = later[0]
        elif existing:
            # Keep the contractual payment day (that of the first instalment); the last
            # due date may have been clamped to a short month's end.
            payment_day = min(existing, key=lambda i: i.number).due_date.day
            last = max(i.due_date for i in existing)
            first_due = add_months(last, 1, day=payment_day)
            while first_due <= as_of:
                first_due = add_months(first_due, 1, day=payment_day)
        else:
            first_due = add_months(as_of, 1)
    if first_due <= as_of:
        raise ScheduleError(
            f"the first new due date {first_due} must be after {as_of}", code="INVALID_DUE_DATE"
        )
    return build_schedule(
        outstanding,
        new_terms.annual_rate,
        new_terms.term_months,
        new_terms.method,
        first_due,
        grace_months=new_terms.grace_months,
    )
