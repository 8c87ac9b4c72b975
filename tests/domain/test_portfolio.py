"""Portfolio figures: balance, NPL ratio, classes, DPD buckets, warnings, the trend."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from smecredit.domain.portfolio import (
    DPD_BUCKETS,
    ClassRow,
    LoanRow,
    WarningRow,
    book_at,
    book_figures,
    dpd_bucket,
    month_ends,
    npl_ratio,
    trend,
    warnings_by_level,
)

CLASSES = ("normal", "special_mention", "substandard", "doubtful", "loss")


def loan(
    i: int, balance: str, cls: str = "normal", dpd: int = 0, status: str = "active", **kw: object
) -> LoanRow:
    return LoanRow(id=i, balance=Decimal(balance), loan_class=cls, dpd=dpd, status=status, **kw)  # type: ignore[arg-type]


def test_book_figures_add_up_the_book() -> None:
    rows = [
        loan(1, "100.00"),
        loan(2, "50.00", "substandard", 45),
        loan(3, "30.00", "loss", 200),
        loan(4, "20.00", "special_mention", 10),
        loan(5, "999.00", "loss", 400, status="closed"),
    ]
    f = book_figures(rows)
    assert f.count == 4
    assert f.balance == Decimal("200.00")
    assert f.npl_balance == Decimal("80.00")
    assert f.npl_ratio == Decimal("0.400000")
    assert [(c.loan_class, c.count, c.balance) for c in f.classes] == [
        ("normal", 1, Decimal("100.00")),
        ("special_mention", 1, Decimal("20.00")),
        ("substandard", 1, Decimal("50.00")),
        ("doubtful", 0, Decimal("0.00")),
        ("loss", 1, Decimal("30.00")),
    ]
    assert [(b.code, b.count) for b in f.dpd_buckets] == [
        ("current", 1),
        ("1-30", 1),
        ("31-60", 1),
        ("61-90", 0),
        ("90+", 1),
    ]


def test_empty_book_has_zero_ratio() -> None:
    f = book_figures([])
    assert (f.count, f.balance, f.npl_ratio) == (0, Decimal("0.00"), Decimal("0.000000"))
    assert npl_ratio(Decimal("5"), Decimal("0")) == Decimal("0.000000")


def test_dpd_bucket_edges() -> None:
    assert [dpd_bucket(d) for d in (-3, 0, 1, 30, 31, 60, 61, 90, 91, 5000)] == [
        "current",
        "current",
        "1-30",
        "1-30",
        "31-60",
        "31-60",
        "61-90",
        "61-90",
        "90+",
        "90+",
    ]


money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
loan_rows = st.lists(
    st.builds(
        LoanRow,
        id=st.integers(1, 10**6),
        balance=money,
        loan_class=st.sampled_from(CLASSES),
        dpd=st.integers(0, 1000),
        status=st.sampled_from(("active", "overdue", "disbursed", "closed", "written_off")),
    ),
    max_size=40,
)


@given(loan_rows)
def test_slices_reconcile_with_the_total(rows: list[LoanRow]) -> None:
    f = book_figures(rows)
    assert sum(c.count for c in f.classes) == f.count == sum(b.count for b in f.dpd_buckets)
    assert sum(c.balance for c in f.classes) == f.balance == sum(b.balance for b in f.dpd_buckets)
    assert Decimal(0) <= f.npl_ratio <= Decimal(1)
    npl = sum((c.balance for c in f.classes if c.loan_class in CLASSES[2:]), Decimal(0))
    assert f.npl_balance == npl


@given(st.integers(-10, 5000))
def test_every_dpd_has_one_bucket(dpd: int) -> None:
    code = dpd_bucket(dpd)
    low, high = next((lo, hi) for c, lo, hi in DPD_BUCKETS if c == code)
    assert max(dpd, 0) >= low and (high is None or max(dpd, 0) <= high)


def test_warnings_by_level_counts_open_ones() -> None:
    rows = [
        WarningRow("red", "open"),
        WarningRow("red", "in_progress"),
        WarningRow("yellow", "acknowledged"),
        WarningRow("blue", "resolved"),
        WarningRow("orange", "dismissed"),
        WarningRow("purple", "open"),
    ]
    assert [(s.code, s.count) for s in warnings_by_level(rows)] == [
        ("red", 2),
        ("orange", 0),
        ("yellow", 1),
        ("blue", 0),
    ]


def test_warnings_by_level_at_a_past_date() -> None:
    d = dt.date(2024, 3, 31)
    rows = [
        WarningRow("red", "resolved", dt.date(2024, 1, 1), dt.date(2024, 4, 5)),  # open then
        WarningRow("red", "resolved", dt.date(2024, 1, 1), dt.date(2024, 3, 5)),  # resolved
        WarningRow("red", "open", dt.date(2024, 4, 1)),  # not yet opened
        WarningRow("blue", "open", dt.date(2024, 2, 1)),
    ]
    assert next((s.code, s.count) for s in warnings_by_level(rows, d)) == ("red", 1)
    assert dict((s.code, s.count) for s in warnings_by_level(rows, d))["blue"] == 1


def test_month_ends() -> None:
    assert month_ends(dt.date(2024, 3, 15), 3) == [
        dt.date(2023, 12, 31),
        dt.date(2024, 1, 31),
        dt.date(2024, 2, 29),
    ]
    assert month_ends(dt.date(2024, 3, 31), 2) == [dt.date(2024, 2, 29), dt.date(2024, 3, 31)]
    assert month_ends(dt.date(2024, 3, 31), 0) == []


@given(st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1)), st.integers(1, 30))
def test_month_ends_are_month_ends(end: dt.date, months: int) -> None:
    days = month_ends(end, months)
    assert len(days) == months
    assert days == sorted(days) and days[-1] <= end
    assert all((d + dt.timedelta(days=1)).day == 1 for d in days)


def test_book_at_uses_the_history() -> None:
    loans = [
        loan(1, "100.00", "substandard", 40, disbursed_on=dt.date(2024, 1, 10)),
        loan(2, "50.00", disbursed_on=dt.date(2024, 3, 1)),  # not yet disbursed in Feb
        loan(
            3,
            "0.00",
            status="closed",
            disbursed_on=dt.date(2023, 6, 1),
            closed_on=dt.date(2024, 3, 1),
        ),
        loan(4, "10.00", status="written_off"),  # off the book, no closing date: left out
        loan(5, "20.00", "doubtful", 100),  # no history, no dates: today's class
    ]
    history = [
        ClassRow(1, dt.date(2024, 1, 10), "normal", 0),
        ClassRow(1, dt.date(2024, 2, 20), "special_mention", 5),
        ClassRow(1, dt.date(2024, 3, 20), "substandard", 40),
        ClassRow(3, dt.date(2023, 6, 1), "normal", 0),
    ]
    feb = {r.id: r for r in book_at(loans, history, dt.date(2024, 2, 29))}
    assert sorted(feb) == [1, 3, 5]
    assert (feb[1].loan_class, feb[1].dpd) == ("special_mention", 5)
    assert feb[5].loan_class == "doubtful"
    mar = {r.id: r for r in book_at(loans, history, dt.date(2024, 3, 31))}
    assert sorted(mar) == [1, 2, 5]
    assert mar[1].loan_class == "substandard"


def test_trend_points() -> None:
    loans = [
        loan(1, "100.00", "substandard", 40, disbursed_on=dt.date(2024, 1, 10)),
        loan(2, "100.00", disbursed_on=dt.date(2024, 1, 10)),
    ]
    history = [
        ClassRow(1, dt.date(2024, 1, 10), "normal", 0),
        ClassRow(2, dt.date(2024, 1, 10), "normal", 0),
        ClassRow(1, dt.date(2024, 3, 5), "substandard", 40),
    ]
    points = trend(loans, history, dt.date(2024, 3, 31), months=4)
    assert [p.month_end for p in points] == [
        dt.date(2023, 12, 31),
        dt.date(2024, 1, 31),
        dt.date(2024, 2, 29),
        dt.date(2024, 3, 31),
    ]
    assert [p.count for p in points] == [0, 2, 2, 2]
    assert [p.balance for p in points] == [Decimal("0.00"), *[Decimal("200.00")] * 3]
    assert [p.npl_ratio for p in points] == [Decimal(0), Decimal(0), Decimal(0), Decimal("0.5")]
