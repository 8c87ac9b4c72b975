"""The pure figures of the decision-support view: instalment, capacity, age, peers.

* **Monthly instalment**: the average monthly debt service (principal and interest) of the
  schedule the application asks for, from :func:`smecredit.domain.schedules.build_schedule`
  (the schedule a loan gets): the level instalment for equal instalments, and for
  interest-only loans the balloon spread over the term, as the cash must be earned.
* **DSCR** (debt service coverage ratio): average monthly operating cash flow over the
  monthly instalment; taxed sales give a second view (sales cover of the instalment).
* **Taxed sales growth**: the sum of the last 12 filed months over the 12 before, minus 1
  (needs at least 6 months in each year).
* **Peer percentile**: the share of peers whose ratio is at or below the firm's (0-100,
  ties counted half), the usual "percentile rank".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from smecredit.domain.schedules import RepaymentMethod, ScheduleError, build_schedule

__all__ = [
    "KeyRatios",
    "dscr",
    "firm_age_months",
    "key_ratios",
    "month_back",
    "monthly_instalment",
    "percentile_rank",
    "taxed_sales_growth",
    "to_cent",
]

_CENT = Decimal("0.01")


def monthly_instalment(
    amount: Decimal, annual_rate: Decimal, term_months: int, method: str, as_of: dt.date
) -> Decimal:
    """The average monthly debt service of the loan asked for (0 when no schedule can be made)."""
    try:
        schedule = build_schedule(
            amount, annual_rate, term_months, RepaymentMethod(method), as_of + dt.timedelta(30)
        )
    except (ScheduleError, ValueError):
        return Decimal("0")
    if not schedule:
        return Decimal("0")
    return to_cent(sum((i.total for i in schedule), Decimal("0")) / len(schedule))


def dscr(monthly_cash: Decimal | None, instalment: Decimal) -> float | None:
    """``monthly_cash / instalment``; None without cash or instalment."""
    if monthly_cash is None or instalment <= 0:
        return None
    return float(monthly_cash / instalment)


def firm_age_months(established_on: dt.date | None, as_of: dt.date) -> int | None:
    """Whole months from establishment to ``as_of`` (None when unknown, 0 when in future)."""
    if established_on is None:
        return None
    months = (as_of.year - established_on.year) * 12 + as_of.month - established_on.month
    if as_of.day < established_on.day:
        months -= 1
    return max(months, 0)


def month_back(as_of: dt.date, months: int) -> str:
    """The ``YYYY-MM`` month ``months`` before the month of ``as_of``."""
    index = as_of.year * 12 + as_of.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def taxed_sales_growth(sales: Mapping[str, Decimal], as_of: dt.date) -> float | None:
    """Last 12 complete months of taxable sales over the 12 before, minus 1.

    Args:
        sales: ``YYYY-MM`` -> taxable sales of that month.
        as_of: the business date; its own month is not complete and is left out.
    """
    recent = [sales[m] for m in (month_back(as_of, k) for k in range(1, 13)) if m in sales]
    older = [sales[m] for m in (month_back(as_of, k) for k in range(13, 25)) if m in sales]
    if len(recent) < 6 or len(older) < 6:
        return None
    # per-month averages, so a missing filing does not read as a fall
    old = sum(older, Decimal("0")) / len(older)
    if old <= 0:
        return None
    return float((sum(recent, Decimal("0")) / len(recent)) / old) - 1.0


def percentile_rank(value: float, population: Sequence[float]) -> float | None:
    """Percentile rank of ``value`` among ``population`` (0-100), None for no population."""
    if not population:
        return None
    below = sum(1 for p in population if p < value)
    equal = sum(1 for p in population if p == value)
    return 100.0 * (below + 0.5 * equal) / len(population)


@dataclass(frozen=True, slots=True)
class KeyRatios:
    """The ratios peers are compared on (None when the statement lacks a figure).

    Attributes:
        debt_ratio: total liabilities / total assets (lower is better).
        current_ratio: current assets / current liabilities (higher is better).
        net_margin: net profit / revenue (higher is better).
        cash_flow_margin: operating cash flow / revenue (higher is better).
    """

    debt_ratio: float | None
    current_ratio: float | None
    net_margin: float | None
    cash_flow_margin: float | None

    def as_dict(self) -> dict[str, float | None]:
        """Ratio name -> value."""
        return {
            "debt_ratio": self.debt_ratio,
            "current_ratio": self.current_ratio,
            "net_margin": self.net_margin,
            "cash_flow_margin": self.cash_flow_margin,
        }


def _ratio(num: Decimal | None, den: Decimal | None) -> float | None:
    if num is None or den is None or den == 0:
        return None
    return float(num / den)


def key_ratios(
    *,
    revenue: Decimal | None,
    net_profit: Decimal | None,
    total_assets: Decimal | None,
    total_liabilities: Decimal | None,
    current_assets: Decimal | None,
    current_liabilities: Decimal | None,
    operating_cash_flow: Decimal | None,
) -> KeyRatios:
    """The key ratios of one financial statement."""
    return KeyRatios(
        debt_ratio=_ratio(total_liabilities, total_assets),
        current_ratio=_ratio(current_assets, current_liabilities),
        net_margin=_ratio(net_profit, revenue),
        cash_flow_margin=_ratio(operating_cash_flow, revenue),
    )


def to_cent(value: Decimal) -> Decimal:
    """``value`` rounded to the fen."""
    return value.quantize(_CENT, ROUND_HALF_UP)
