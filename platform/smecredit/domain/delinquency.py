"""Days past due and penalty interest (罚息).

Conventions:

* Days past due (DPD) count from the oldest instalment whose principal or interest is still
  owed and whose due date has passed: due on 10 March and unpaid, DPD is 0 on 10 March and
  1 on 11 March. Unpaid penalty alone does not make a loan past due.
* Penalty interest accrues on overdue principal plus overdue interest (not on penalty: no
  compounding of penalty) at the annual penalty rate with an actual/360 day count, i.e.
  ``amount x rate / 360`` per calendar day.
* A grace period of ``g`` days means the first ``g`` overdue days accrue nothing; the
  penalty starts on overdue day ``g + 1`` (no retroactive charge). DPD ignores the grace
  period: the regulator's DPD is counted from the contractual due date.
* A loan imported with its repayment history and no schedule (:class:`RecordedInstalment`)
  follows the same rule: :func:`recorded_dues` turns its record into what was still owed
  on a date, and :func:`days_past_due` counts from the oldest of those.
* Idempotent by design: :func:`accrue_penalty` computes the penalty of a whole date range
  from the dues in closed form and rounds once per instalment. Callers recompute a range
  rather than adding daily increments, so running it twice never doubles a charge. The
  dues must be constant over the range: split the range at each repayment date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from types import MappingProxyType

from smecredit.domain.errors import DomainError
from smecredit.domain.repayments import InstalmentDue
from smecredit.domain.schedules import to_fen

__all__ = [
    "DAYS_PER_YEAR",
    "PenaltyAccrual",
    "RecordedInstalment",
    "accrue_penalty",
    "daily_penalty",
    "days_past_due",
    "oldest_unpaid_due_date",
    "recorded_days_past_due",
    "recorded_dues",
]

#: The day-count denominator of penalty interest (actual/360).
DAYS_PER_YEAR = Decimal(360)


def oldest_unpaid_due_date(dues: Sequence[InstalmentDue], as_of: date) -> date | None:
    """The earliest due date before ``as_of`` with principal or interest still owed."""
    overdue = [d.due_date for d in dues if d.due_date < as_of and d.principal + d.interest > 0]
    return min(overdue, default=None)


def days_past_due(dues: Sequence[InstalmentDue], as_of: date) -> int:
    """Days since the oldest unpaid due date, 0 when nothing is overdue."""
    oldest = oldest_unpaid_due_date(dues, as_of)
    return 0 if oldest is None else (as_of - oldest).days


@dataclass(frozen=True, slots=True)
class RecordedInstalment:
    """One instalment of a repayment history (a loan imported without a schedule).

    Attributes:
        due_date: when it fell due.
        amount_due: what was due (principal and interest together).
        amount_paid: what was paid of it.
        paid_date: when it was paid in full (None: not, or not yet, paid in full).
    """

    due_date: date
    amount_due: Decimal
    amount_paid: Decimal
    paid_date: date | None = None


_NOTHING = Decimal(0)


def recorded_dues(records: Sequence[RecordedInstalment], as_of: date) -> list[InstalmentDue]:
    """What a repayment history says was still owed on ``as_of``, instalment by instalment.

    A payment dated after ``as_of`` had not been made on ``as_of`` (the whole amount was
    owed then); a partial payment without a date counts as made.
    """
    dues = []
    for number, r in enumerate(records, start=1):
        paid = r.amount_paid if r.paid_date is None or r.paid_date <= as_of else _NOTHING
        dues.append(InstalmentDue(number, r.due_date, max(r.amount_due - paid, _NOTHING), _NOTHING))
    return dues


def recorded_days_past_due(records: Sequence[RecordedInstalment], as_of: date) -> int:
    """:func:`days_past_due` of a loan known by its repayment history only."""
    return days_past_due(recorded_dues(records, as_of), as_of)


def daily_penalty(overdue_principal_and_interest: Decimal, penalty_rate_annual: Decimal) -> Decimal:
    """One day's penalty, ``amount x rate / 360``, unrounded.

    Round totals, not days (:func:`~smecredit.domain.schedules.to_fen`): rounding each day
    would lose or add up to half a fen per day.
    """
    if overdue_principal_and_interest < 0 or penalty_rate_annual < 0:
        raise DomainError(
            "overdue amount and penalty rate cannot be negative", code="INVALID_PENALTY_INPUT"
        )
    return overdue_principal_and_interest * penalty_rate_annual / DAYS_PER_YEAR


@dataclass(frozen=True, slots=True)
class PenaltyAccrual:
    """Penalty accrued over ``[start, end)``.

    Attributes:
        start: first day of the range (inclusive).
        end: day after the last day of the range (exclusive).
        per_instalment: instalment number -> penalty, in fen (only non-zero entries).
        total: sum of ``per_instalment``.
    """

    start: date
    end: date
    per_instalment: Mapping[int, Decimal]
    total: Decimal


def accrue_penalty(
    dues: Sequence[InstalmentDue],
    penalty_rate_annual: Decimal,
    start: date,
    end: date,
    *,
    grace_days: int = 0,
) -> PenaltyAccrual:
    """Penalty on each overdue instalment for the days in ``[start, end)``.

    Args:
        dues: what is owed, constant over the range.
        penalty_rate_annual: annual penalty rate as a fraction.
        start: first day accrued (inclusive).
        end: day after the last day accrued (exclusive).
        grace_days: overdue days that accrue nothing.

    Returns:
        Per-instalment and total penalty, each rounded to the fen once.
    """
    if end < start:
        raise DomainError(f"range end {end} is before its start {start}", code="INVALID_RANGE")
    if grace_days < 0:
        raise DomainError(f"grace days cannot be negative, got {grace_days}", code="INVALID_RANGE")
    per_instalment: dict[int, Decimal] = {}
    for due in dues:
        first_charged = due.due_date + timedelta(days=grace_days + 1)
        days = (end - max(start, first_charged)).days
        base = due.principal + due.interest
        if days <= 0 or base <= 0:
            continue
        amount = to_fen(daily_penalty(base, penalty_rate_annual) * days)
        if amount > 0:
            per_instalment[due.number] = amount
    total = sum(per_instalment.values(), Decimal("0.00"))
    return PenaltyAccrual(start, end, MappingProxyType(per_instalment), total)
