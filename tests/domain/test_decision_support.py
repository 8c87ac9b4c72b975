"""The pure figures of the decision-support view."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from smecredit.domain.decision_support import (
    dscr,
    firm_age_months,
    key_ratios,
    month_back,
    monthly_instalment,
    percentile_rank,
    taxed_sales_growth,
)

D = Decimal
DAY = dt.date(2026, 6, 15)


def test_monthly_instalment_is_the_level_payment_and_the_average_otherwise() -> None:
    # 120,000 over 12 months at 0%: 10,000 a month whatever the method
    assert monthly_instalment(D("120000"), D("0"), 12, "equal_instalment", DAY) == D("10000.00")
    # interest only: the balloon spread over the term plus the interest
    bullet = monthly_instalment(D("120000"), D("0.12"), 12, "interest_only", DAY)
    assert bullet == D("11200.00")
    level = monthly_instalment(D("100000"), D("0.06"), 12, "equal_instalment", DAY)
    assert D("8606") < level < D("8607")
    assert monthly_instalment(D("0"), D("0.06"), 12, "equal_instalment", DAY) == 0
    assert monthly_instalment(D("100"), D("0.06"), 12, "no_such_method", DAY) == 0


def test_dscr() -> None:
    assert dscr(D("20000"), D("10000")) == 2.0
    assert dscr(None, D("10000")) is None
    assert dscr(D("1"), D("0")) is None


def test_firm_age_counts_whole_months() -> None:
    assert firm_age_months(dt.date(2024, 6, 15), DAY) == 24
    assert firm_age_months(dt.date(2024, 6, 16), DAY) == 23
    assert firm_age_months(dt.date(2027, 1, 1), DAY) == 0
    assert firm_age_months(None, DAY) is None


def test_taxed_sales_growth_compares_per_month_averages_of_two_years() -> None:
    sales = {month_back(DAY, k): D("100") for k in range(13, 25)}
    sales.update({month_back(DAY, k): D("80") for k in range(1, 13)})
    assert month_back(DAY, 1) == "2026-05" and month_back(DAY, 6) == "2025-12"
    growth = taxed_sales_growth(sales, DAY)
    assert growth is not None and abs(growth + 0.2) < 1e-9
    # a missing month does not read as a fall
    del sales[month_back(DAY, 3)]
    growth = taxed_sales_growth(sales, DAY)
    assert growth is not None and abs(growth + 0.2) < 1e-9
    assert taxed_sales_growth({month_back(DAY, 1): D("1")}, DAY) is None
    # the current (incomplete) month is left out
    sales[f"{DAY:%Y-%m}"] = D("0")
    assert taxed_sales_growth(sales, DAY) == growth


@given(
    value=st.floats(-1e6, 1e6),
    population=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=50),
)
def test_percentile_rank_lies_in_0_100_and_grows_with_the_value(
    value: float, population: list[float]
) -> None:
    rank = percentile_rank(value, population)
    assert rank is not None and 0.0 <= rank <= 100.0
    higher = percentile_rank(value + 1.0, population)
    assert higher is not None and higher >= rank


def test_percentile_rank_counts_ties_half() -> None:
    assert percentile_rank(2.0, [1.0, 2.0, 3.0]) == 50.0
    assert percentile_rank(5.0, []) is None


def test_key_ratios_skip_missing_figures() -> None:
    ratios = key_ratios(
        revenue=D("1000"),
        net_profit=D("100"),
        total_assets=D("2000"),
        total_liabilities=D("1000"),
        current_assets=None,
        current_liabilities=D("0"),
        operating_cash_flow=D("50"),
    )
    assert ratios.as_dict() == {
        "debt_ratio": 0.5,
        "current_ratio": None,
        "net_margin": 0.1,
        "cash_flow_margin": 0.05,
    }
