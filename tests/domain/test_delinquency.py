from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smecredit.domain.delinquency import (
    RecordedInstalment,
    accrue_penalty,
    daily_penalty,
    days_past_due,
    oldest_unpaid_due_date,
    recorded_days_past_due,
    recorded_dues,
)
from smecredit.domain.errors import DomainError
from smecredit.domain.repayments import InstalmentDue
from smecredit.domain.schedules import add_months, to_fen

START = date(2025, 1, 10)
fen = st.integers(0, 1_000_000).map(lambda n: Decimal(n) / 100)


@st.composite
def dues_lists(draw):
    n = draw(st.integers(0, 8))
    return [
        InstalmentDue(k, add_months(START, k - 1), draw(fen), draw(fen), draw(fen))
        for k in range(1, n + 1)
    ]


def test_dpd_counts_from_the_day_after_the_due_date():
    dues = [InstalmentDue(1, date(2025, 3, 10), Decimal("10.00"), Decimal("1.00"))]
    assert days_past_due(dues, date(2025, 3, 9)) == 0
    assert days_past_due(dues, date(2025, 3, 10)) == 0
    assert days_past_due(dues, date(2025, 3, 11)) == 1
    assert days_past_due(dues, date(2025, 6, 8)) == 90


def test_dpd_uses_the_oldest_unpaid_instalment_and_ignores_penalty_only():
    dues = [
        InstalmentDue(1, date(2025, 1, 10), Decimal("0"), Decimal("0"), Decimal("3.00")),
        InstalmentDue(2, date(2025, 2, 10), Decimal("0"), Decimal("0.01")),
        InstalmentDue(3, date(2025, 3, 10), Decimal("5.00"), Decimal("0")),
    ]
    assert oldest_unpaid_due_date(dues, date(2025, 4, 1)) == date(2025, 2, 10)
    assert days_past_due(dues, date(2025, 4, 1)) == (date(2025, 4, 1) - date(2025, 2, 10)).days


@settings(max_examples=150, deadline=None)
@given(dues_lists(), st.integers(0, 400))
def test_dpd_is_monotone_in_time_while_nothing_is_paid(dues, days):
    as_of = START + timedelta(days=days)
    later = as_of + timedelta(days=1)
    dpd_now, dpd_later = days_past_due(dues, as_of), days_past_due(dues, later)
    assert dpd_now >= 0
    assert dpd_later in (dpd_now, dpd_now + 1)
    unpaid = [d.due_date for d in dues if d.principal + d.interest > 0 and d.due_date < as_of]
    assert dpd_now == ((as_of - min(unpaid)).days if unpaid else 0)


def test_daily_penalty_is_amount_times_rate_over_360():
    assert daily_penalty(Decimal("3600.00"), Decimal("0.18")) == Decimal("1.8")
    with pytest.raises(DomainError):
        daily_penalty(Decimal("-1"), Decimal("0.1"))


@settings(max_examples=100, deadline=None)
@given(dues_lists(), st.integers(0, 5000).map(lambda b: Decimal(b) / 10_000), st.data())
def test_accrual_matches_a_day_by_day_sum(dues, rate, data):
    start = START + timedelta(days=data.draw(st.integers(-30, 300)))
    end = start + timedelta(days=data.draw(st.integers(0, 120)))
    grace = data.draw(st.integers(0, 10))
    result = accrue_penalty(dues, rate, start, end, grace_days=grace)
    for due in dues:
        exact = Decimal(0)
        day = start
        while day < end:
            if (day - due.due_date).days > grace:
                exact += daily_penalty(due.principal + due.interest, rate)
            day += timedelta(days=1)
        assert result.per_instalment.get(due.number, Decimal("0.00")) == to_fen(exact)
    assert result.total == sum(result.per_instalment.values(), Decimal("0.00"))


@settings(max_examples=100, deadline=None)
@given(dues_lists(), st.integers(1, 5000).map(lambda b: Decimal(b) / 10_000), st.data())
def test_splitting_a_range_changes_the_total_by_rounding_only(dues, rate, data):
    start = START + timedelta(days=data.draw(st.integers(0, 200)))
    middle = start + timedelta(days=data.draw(st.integers(0, 60)))
    end = middle + timedelta(days=data.draw(st.integers(0, 60)))
    whole = accrue_penalty(dues, rate, start, end).total
    parts = (
        accrue_penalty(dues, rate, start, middle).total
        + accrue_penalty(dues, rate, middle, end).total
    )
    assert abs(whole - parts) <= Decimal("0.01") * len(dues)


def test_grace_days_accrue_nothing():
    dues = [InstalmentDue(1, date(2025, 3, 10), Decimal("3600.00"), Decimal("0"))]
    rate = Decimal("0.18")
    assert accrue_penalty(dues, rate, date(2025, 3, 1), date(2025, 3, 14), grace_days=3).total == 0
    # Day 4 after the due date is the first charged one.
    assert accrue_penalty(
        dues, rate, date(2025, 3, 1), date(2025, 3, 15), grace_days=3
    ).total == Decimal("1.80")


def test_invalid_range():
    with pytest.raises(DomainError) as info:
        accrue_penalty([], Decimal("0.1"), date(2025, 2, 1), date(2025, 1, 1))
    assert info.value.code == "INVALID_RANGE"


def _record(due: date, amount: str, paid: str = "0", on: date | None = None) -> RecordedInstalment:
    return RecordedInstalment(due, Decimal(amount), Decimal(paid), on)


def test_recorded_history_counts_from_the_oldest_instalment_still_owed():
    records = [
        _record(date(2025, 1, 10), "100", "100", date(2025, 1, 10)),
        _record(date(2025, 2, 10), "100", "40"),  # partly paid: still owed
        _record(date(2025, 3, 10), "100"),
    ]
    assert recorded_days_past_due(records, date(2025, 2, 10)) == 0
    assert recorded_days_past_due(records, date(2025, 2, 11)) == 1
    assert (
        recorded_days_past_due(records, date(2025, 4, 1))
        == (date(2025, 4, 1) - date(2025, 2, 10)).days
    )


def test_a_payment_after_the_date_was_not_made_yet_on_that_date():
    late = [_record(date(2025, 1, 10), "100", "100", date(2025, 3, 1))]
    assert recorded_days_past_due(late, date(2025, 2, 1)) == 22
    assert recorded_days_past_due(late, date(2025, 3, 1)) == 0


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 400), fen, fen, st.one_of(st.none(), st.integers(0, 500))),
        max_size=8,
    ),
    st.integers(0, 500),
)
def test_recorded_dpd_is_the_schedule_rule_on_what_was_owed(rows, day):
    """One DPD rule: a history gives the DPD of the same dues held as instalments."""
    as_of = START + timedelta(days=day)
    records = [
        RecordedInstalment(
            START + timedelta(days=d),
            due,
            min(paid, due),
            None if on is None else START + timedelta(days=on),
        )
        for d, due, paid, on in rows
    ]
    dues = recorded_dues(records, as_of)
    assert recorded_days_past_due(records, as_of) == days_past_due(dues, as_of)
    for record, owed in zip(records, dues, strict=True):
        assert 0 <= owed.principal <= record.amount_due
        if record.paid_date is not None and record.paid_date > as_of:
            assert owed.principal == record.amount_due
