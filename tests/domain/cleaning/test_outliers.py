"""Outlier flags and missing-value rates."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smecredit.domain.cleaning import flag_outliers, missing_rates, robust_z_scores


def _statement(
    uscc: str,
    period_end: str,
    revenue: str,
    assets: str = "1000000.00",
    liabilities: str = "500000.00",
) -> dict[str, Any]:
    return {
        "firm_uscc": uscc,
        "period_end": period_end,
        "period_type": "annual",
        "revenue": revenue,
        "total_assets": assets,
        "total_liabilities": liabilities,
    }


def test_z_score_flags_the_unit_mistake_only() -> None:
    revenues = [
        "1200000.00",
        "950000.00",
        "1500000.00",
        "800000.00",
        "1100000.00",
        "1300000.00",
        "120.00",
    ]
    records = [_statement(f"F{i}", "2023-12-31", r) for i, r in enumerate(revenues)]
    flagged = [(i.index, i.field) for i in flag_outliers("financial_statement", records)]
    assert flagged == [(6, "revenue")]


def test_large_but_plausible_values_are_not_flagged() -> None:
    capitals = ["100000.00", "500000.00", "1000000.00", "3000000.00", "10000000.00", "2000000.00"]
    records = [{"registered_capital": c} for c in capitals]
    assert flag_outliers("firm", records) == []


def test_small_groups_are_not_scored() -> None:
    records = [{"registered_capital": c} for c in ["100.00", "100.00", "90000000000.00"]]
    assert flag_outliers("firm", records) == []


def test_peer_groups_are_scored_separately() -> None:
    shops = [
        {"industry_code": "F52", "registered_capital": f"{v}.00"}
        for v in (50000, 60000, 55000, 52000, 58000)
    ]
    plants = [
        {"industry_code": "C13", "registered_capital": f"{v}.00"}
        for v in (5e7, 6e7, 5.5e7, 5.2e7, 5.8e7)
    ]
    records = shops + plants
    assert flag_outliers("firm", records, peer_key=lambda r: r["industry_code"]) == []
    strange = [*records, {"industry_code": "F52", "registered_capital": "90000000.00"}]
    flagged = flag_outliers("firm", strange, peer_key=lambda r: r["industry_code"])
    assert [(i.index, i.code) for i in flagged] == [(10, "OUTLIER")]


def test_negative_total_assets() -> None:
    issues = flag_outliers(
        "financial_statement", [_statement("F", "2023-12-31", "1.00", assets="-5.00")]
    )
    assert [(i.field, i.severity) for i in issues] == [("total_assets", "error")]


@pytest.mark.parametrize(
    ("liabilities", "flagged"), [("100000000.00", False), ("100000000.01", True)]
)
def test_liabilities_above_a_hundred_times_assets(liabilities: str, flagged: bool) -> None:
    issues = flag_outliers(
        "financial_statement", [_statement("F", "2023-12-31", "1.00", "1000000.00", liabilities)]
    )
    assert [i.field for i in issues] == (["total_liabilities"] if flagged else [])


def test_revenue_jump_against_previous_period() -> None:
    records = [
        _statement("A", "2023-12-31", "200000000.00"),  # out of order on purpose
        _statement("A", "2021-12-31", "1000000.00"),
        _statement("A", "2022-12-31", "1500000.00"),
        _statement("B", "2022-12-31", "1000000.00"),
        _statement("B", "2023-12-31", "9000.00"),
    ]
    issues = flag_outliers("financial_statement", records, min_group=100)
    assert sorted((i.index, i.field) for i in issues) == [(0, "revenue"), (4, "revenue")]
    assert "rose" in issues[0].message and "fell" in issues[1].message


def test_employee_ceiling() -> None:
    records = [{"employees": 100_000}, {"employees": 100_001}]
    assert [(i.index, i.field) for i in flag_outliers("firm", records)] == [(1, "employees")]


def test_flagging_never_changes_records() -> None:
    records = [{"employees": 10**6, "registered_capital": "abc"}]
    before = [dict(r) for r in records]
    flag_outliers("firm", records)
    assert records == before


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(-(10**6), 10**6), min_size=5, max_size=40),
    st.integers(-1000, 1000),
    st.integers(1, 100),
)
def test_robust_z_is_shift_and_scale_invariant(values: list[int], shift: int, scale: int) -> None:
    # integers keep the arithmetic exact, so only the statistic itself is under test
    base = robust_z_scores([float(v) for v in values])
    moved = robust_z_scores([float(v * scale + shift) for v in values])
    for a, b in zip(base, moved, strict=True):
        assert (a is None) == (b is None)
        if a is not None and b is not None:
            assert a == pytest.approx(b, rel=1e-6, abs=1e-6)


def test_missing_rates() -> None:
    records: list[dict[str, Any]] = [
        {"name": "甲", "phone": "", "representative": {"phone": "13800138000"}},
        {"name": "NULL", "phone": None},
        {"name": "乙", "phone": "-", "representative": {"phone": None}},
        {"phone": "13800138000"},
    ]
    rates = missing_rates(iter(records), ["name", "phone", "representative.phone"])
    assert rates == {"name": 0.5, "phone": 0.75, "representative.phone": 0.75}
    assert missing_rates([], ["name"]) == {"name": 0.0}
