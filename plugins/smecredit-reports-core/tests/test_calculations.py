"""The pure helpers: buckets and PAR, migration, vintage, AUC/KS, ECL, effectiveness."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from smecredit_reports_core.buckets import AGING_BUCKETS, bucket_for, par_ratios
from smecredit_reports_core.discrimination import auc_ks
from smecredit_reports_core.ecl import ecl, lifetime_pd, stage_pd
from smecredit_reports_core.effectiveness import Default, Signal, effectiveness, first_defaults
from smecredit_reports_core.figures import add_months, median, month_ends, months_between, ratio
from smecredit_reports_core.migration import migration_matrix, states_at
from smecredit_reports_core.vintage import quarter_of, vintage_curves

from smecredit.sdk import auc

CLASSES = ("normal", "special_mention", "substandard", "doubtful", "loss")
days = st.dates(dt.date(2023, 1, 1), dt.date(2026, 12, 31))
money = st.decimals(0, 10**9, places=2, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize(
    ("dpd", "bucket"),
    [(None, "current"), (0, "current"), (1, "dpd_1_30"), (30, "dpd_1_30"), (31, "dpd_31_60"),
     (90, "dpd_61_90"), (91, "dpd_91_180"), (180, "dpd_91_180"), (181, "dpd_180_plus")],
)  # fmt: skip
def test_bucket_boundaries(dpd: int | None, bucket: str) -> None:
    assert bucket_for(dpd).key == bucket


@given(st.integers(0, 10_000))
def test_every_dpd_falls_in_exactly_one_bucket(dpd: int) -> None:
    assert sum(b.holds(dpd) for b in AGING_BUCKETS) == 1


def test_par_on_a_small_book() -> None:
    par = par_ratios([(0, Decimal(60)), (45, Decimal(20)), (95, Decimal(20))])
    assert par == {30: Decimal("0.4"), 60: Decimal("0.2"), 90: Decimal("0.2")}
    assert par_ratios([]) == {30: 0, 60: 0, 90: 0}
    assert par_ratios([(120, None)]) == {30: 0, 60: 0, 90: 0}


@given(st.lists(st.tuples(st.integers(0, 400), money), max_size=40))
def test_par_is_monotonic_and_a_share(pairs: list[tuple[int, Decimal]]) -> None:
    par = par_ratios(pairs)
    assert 1 >= par[30] >= par[60] >= par[90] >= 0


def test_ratio_never_divides_by_zero() -> None:
    assert ratio(5, 0) == 0 and ratio(None, None) == 0 and ratio(1, 4) == Decimal("0.25")


def test_dates() -> None:
    assert add_months(dt.date(2026, 3, 31), -1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2025, 12, 15), 2) == dt.date(2026, 2, 15)
    assert month_ends(dt.date(2026, 3, 15), 3) == (
        dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 15),
    )  # fmt: skip
    assert months_between(dt.date(2026, 1, 31), dt.date(2026, 2, 28)) == 0
    assert months_between(dt.date(2026, 1, 15), dt.date(2026, 3, 15)) == 2
    assert months_between(dt.date(2026, 3, 1), dt.date(2026, 1, 1)) == 0
    assert median([]) is None and median([3, 1, 2]) == 2 and median([1, 2, 3, 4]) == 2.5


def test_states_at_takes_the_latest_row_on_or_before() -> None:
    history = [
        (1, dt.date(2026, 1, 31), "normal"),
        (1, dt.date(2026, 3, 31), "substandard"),
        (1, dt.date(2026, 2, 28), "special_mention"),
        (2, dt.date(2026, 3, 31), "normal"),
    ]
    at = states_at(history, (dt.date(2026, 2, 28), dt.date(2026, 3, 30)))
    assert at[dt.date(2026, 2, 28)] == {1: "special_mention"}
    assert at[dt.date(2026, 3, 30)] == {1: "special_mention"}


@settings(max_examples=60)
@given(
    st.lists(st.tuples(st.integers(1, 15), days, st.sampled_from(CLASSES)), max_size=60),
    days,
    days,
)
def test_migration_rows_sum_to_the_counts_at_the_start(
    history: list[tuple[int, dt.date, str]], first: dt.date, second: dt.date
) -> None:
    start_day, end_day = sorted((first, second))
    at = states_at(history, (start_day, end_day))
    matrix = migration_matrix(at[start_day], at[end_day], CLASSES)
    for state in CLASSES:
        held = sum(1 for s in at[start_day].values() if s == state)
        assert sum(matrix[state].values()) == held
    # A key classified at the start has a row on or before the later end date too.
    assert all(row["none"] == 0 for row in matrix.values())


def test_vintage_curves_on_a_small_cohort() -> None:
    loans = [
        (dt.date(2025, 1, 10), dt.date(2025, 4, 10)),
        (dt.date(2025, 2, 1), None),
        (dt.date(2025, 3, 1), dt.date(2025, 9, 15)),
        (dt.date(2025, 4, 1), None),
    ]
    curves = vintage_curves(loans, dt.date(2025, 10, 10), 12)
    q1 = curves["2025Q1"]
    assert q1[:3] == (0.0, 0.0, 0.0) and q1[3] == pytest.approx(1 / 3)
    assert q1[6] == pytest.approx(2 / 3) and q1[9] is not None and q1[10] is None
    assert curves["2025Q2"][6] == 0.0 and quarter_of(dt.date(2025, 12, 31)) == "2025Q4"


@given(
    st.lists(st.tuples(days, st.one_of(st.none(), st.integers(0, 900))), max_size=40),
    st.integers(0, 36),
)
def test_vintage_curves_are_cumulative_shares(
    loans: list[tuple[dt.date, int | None]], max_months: int
) -> None:
    rows = [(d, None if lag is None else d + dt.timedelta(days=lag)) for d, lag in loans]
    for curve in vintage_curves(rows, dt.date(2026, 12, 31), max_months).values():
        points = [p for p in curve if p is not None]
        assert all(0 <= p <= 1 for p in points)
        assert points == sorted(points)
        # Once a quarter runs out of observed months, it stays out.
        assert all(p is None for p in curve[len(points) :])


def test_auc_ks_of_a_perfect_and_a_useless_score() -> None:
    assert auc_ks([(0.9, True), (0.8, True), (0.1, False)]) == (1.0, 1.0)
    assert auc_ks([(0.5, True), (0.5, False)]) == (0.5, 0.0)
    assert auc_ks([(0.5, True)]) == (None, None)


@given(st.lists(st.tuples(st.integers(0, 20).map(float), st.booleans()), min_size=2, max_size=60))
def test_auc_matches_the_platform_metric(pairs: list[tuple[float, bool]]) -> None:
    value, ks = auc_ks(pairs)
    labels = [int(bad) for _, bad in pairs]
    if 0 < sum(labels) < len(labels):
        assert value == pytest.approx(auc(labels, [score for score, _ in pairs]))
        assert ks is not None and 0 <= ks <= 1
    else:
        assert (value, ks) == (None, None)


def test_ecl_by_stage() -> None:
    pd = Decimal("0.02")
    assert stage_pd(1, pd, 60) == pd
    assert stage_pd(3, pd, 60) == 1
    assert stage_pd(2, pd, 36) == pytest.approx(Decimal(1) - Decimal("0.98") ** 3)
    assert stage_pd(2, pd, 3) == pd  # at least a year
    assert ecl(Decimal("0.5"), Decimal("0.45"), Decimal(1000)) == Decimal("225.00")


@given(st.decimals(0, 1, places=4), st.integers(0, 360))
def test_lifetime_pd_lies_between_the_12_month_pd_and_one(pd: Decimal, months: int) -> None:
    assert pd <= lifetime_pd(pd, months) <= 1


def test_effectiveness_precision_recall_and_lead_time() -> None:
    day = dt.date(2026, 1, 1)
    signals = [
        Signal(1, day, "DPD_30", "red", "B1"),
        Signal(2, day, "DPD_30", "red", "B1"),
        Signal(3, day, "TAX", "yellow", "B2"),
    ]
    defaults = [
        Default(1, day + dt.timedelta(days=30), "B1"),
        Default(3, day + dt.timedelta(days=400), "B2"),
        Default(4, day, "B2"),
    ]
    result = effectiveness(signals, defaults, lambda s: s.rule_code, 180)
    assert result["DPD_30"].precision == 0.5 and result["DPD_30"].mean_lead_days == 30
    assert result["DPD_30"].recall == pytest.approx(1 / 3)
    assert result["TAX"].hits == 0 and result["TAX"].false_alarm_rate == 1
    own = effectiveness(
        signals, defaults, lambda s: s.branch_code, 180, lambda d, k: d.branch_code == k
    )
    assert own["B2"].defaults == 2 and own["B2"].caught == 0


def test_first_defaults() -> None:
    rows = [
        (1, dt.date(2026, 3, 1), 95),
        (1, dt.date(2026, 2, 1), 90),
        (2, dt.date(2026, 1, 1), 89),
    ]
    assert first_defaults(rows) == {1: dt.date(2026, 2, 1)}
