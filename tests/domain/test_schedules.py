from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smecredit.domain.schedules import (
    RepaymentMethod,
    RescheduleTerms,
    ScheduleError,
    add_months,
    build_schedule,
    reschedule,
    to_fen,
)

principals = st.integers(100_000, 1_000_000_000).map(lambda fen: Decimal(fen) / 100)
rates = st.integers(0, 2400).map(lambda bp: Decimal(bp) / 10_000)
terms = st.integers(1, 60)
methods = st.sampled_from(list(RepaymentMethod))
first_dues = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


def check_invariants(schedule, principal, annual_rate, term):
    assert len(schedule) == term
    assert sum(i.principal for i in schedule) == principal
    assert schedule[0].opening_balance == principal
    assert schedule[-1].closing_balance == 0
    for inst in schedule:
        for value in (inst.principal, inst.interest, inst.total, inst.closing_balance):
            assert value >= 0
            assert value == to_fen(value)
        assert inst.total == inst.principal + inst.interest
        assert inst.closing_balance == inst.opening_balance - inst.principal
        assert inst.interest == to_fen(inst.opening_balance * annual_rate / 12)
    for a, b in pairwise(schedule):
        assert a.closing_balance == b.opening_balance
        assert a.due_date < b.due_date
    assert [i.number for i in schedule] == list(range(1, term + 1))


@settings(max_examples=200, deadline=None)
@given(principals, rates, terms, methods, first_dues)
def test_schedule_invariants(principal, rate, term, method, first_due):
    schedule = build_schedule(principal, rate, term, method, first_due)
    check_invariants(schedule, principal, rate, term)


@settings(max_examples=100, deadline=None)
@given(principals, rates, st.integers(2, 60), methods, first_dues, st.data())
def test_schedule_invariants_with_grace(principal, rate, term, method, first_due, data):
    grace = data.draw(st.integers(0, term - 1))
    schedule = build_schedule(principal, rate, term, method, first_due, grace_months=grace)
    check_invariants(schedule, principal, rate, term)
    assert all(i.principal == 0 for i in schedule[:grace])


@settings(max_examples=150, deadline=None)
@given(principals, rates, st.integers(2, 60), first_dues)
def test_equal_instalment_has_a_fixed_total_except_the_last(principal, rate, term, first_due):
    schedule = build_schedule(principal, rate, term, RepaymentMethod.EQUAL_INSTALMENT, first_due)
    totals = {i.total for i in schedule[:-1]}
    assert len(totals) == 1
    (payment,) = totals
    # The last instalment absorbs only the rounding residue: at most half a fen per period.
    assert abs(schedule[-1].total - payment) <= Decimal("0.01") * term


@settings(max_examples=150, deadline=None)
@given(principals, rates, st.integers(2, 60), first_dues)
def test_equal_principal_repays_level_principal(principal, rate, term, first_due):
    schedule = build_schedule(principal, rate, term, RepaymentMethod.EQUAL_PRINCIPAL, first_due)
    assert {i.principal for i in schedule[:-1]} == {to_fen(principal / term)}
    interests = [i.interest for i in schedule]
    assert interests == sorted(interests, reverse=True)


@settings(max_examples=100, deadline=None)
@given(principals, rates, terms, first_dues)
def test_interest_only_repays_principal_at_the_end(principal, rate, term, first_due):
    schedule = build_schedule(principal, rate, term, RepaymentMethod.INTEREST_ONLY, first_due)
    assert all(i.principal == 0 for i in schedule[:-1])
    assert schedule[-1].principal == principal
    assert {i.interest for i in schedule} == {to_fen(principal * rate / 12)}


def test_textbook_annuity():
    # 10,000 at 12 % a year over 12 months: the annuity formula gives 888.4879 -> 888.49.
    schedule = build_schedule(
        Decimal("10000.00"),
        Decimal("0.12"),
        12,
        RepaymentMethod.EQUAL_INSTALMENT,
        date(2025, 1, 15),
    )
    assert schedule[0].total == Decimal("888.49")
    assert schedule[0].interest == Decimal("100.00")
    assert schedule[0].principal == Decimal("788.49")


def test_zero_rate_splits_principal():
    schedule = build_schedule(
        Decimal("1000.00"), Decimal("0"), 3, RepaymentMethod.EQUAL_INSTALMENT, date(2025, 1, 15)
    )
    assert [i.principal for i in schedule] == [
        Decimal("333.33"),
        Decimal("333.33"),
        Decimal("333.34"),
    ]
    assert all(i.interest == 0 for i in schedule)


def test_due_dates_keep_the_day_and_clamp_to_month_end():
    schedule = build_schedule(
        Decimal("5000.00"), Decimal("0.06"), 5, RepaymentMethod.EQUAL_PRINCIPAL, date(2024, 1, 31)
    )
    assert [i.due_date for i in schedule] == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
    ]


@given(st.dates(), st.integers(-240, 240))
def test_add_months_lands_in_the_right_month(start, months):
    try:
        moved = add_months(start, months)
    except ValueError:  # beyond date.min / date.max
        return
    assert (moved.year * 12 + moved.month) - (start.year * 12 + start.month) == months
    assert moved.day == start.day or moved.day < start.day == min(start.day, 31)


@pytest.mark.parametrize(
    ("principal", "rate", "term", "grace", "code"),
    [
        (Decimal("0"), Decimal("0.1"), 12, 0, "INVALID_PRINCIPAL"),
        (Decimal("100.001"), Decimal("0.1"), 12, 0, "INVALID_PRINCIPAL"),
        (Decimal("100"), Decimal("-0.01"), 12, 0, "INVALID_RATE"),
        (Decimal("100"), Decimal("1"), 12, 0, "INVALID_RATE"),
        (Decimal("100"), Decimal("0.1"), 0, 0, "INVALID_TERM"),
        (Decimal("100"), Decimal("0.1"), 12, 12, "INVALID_GRACE"),
        (Decimal("100"), Decimal("0.1"), 12, -1, "INVALID_GRACE"),
    ],
)
def test_invalid_inputs_raise_coded_errors(principal, rate, term, grace, code):
    with pytest.raises(ScheduleError) as info:
        build_schedule(
            principal,
            rate,
            term,
            RepaymentMethod.EQUAL_INSTALMENT,
            date(2025, 1, 1),
            grace_months=grace,
        )
    assert info.value.code == code


@settings(max_examples=100, deadline=None)
@given(principals, rates, st.integers(2, 36), methods, st.data())
def test_reschedule_covers_the_outstanding_balance(principal, rate, term, method, data):
    old = build_schedule(principal, rate, term, RepaymentMethod.EQUAL_INSTALMENT, date(2025, 3, 20))
    paid = data.draw(st.integers(0, term - 1))
    as_of = old[paid].due_date.replace(day=1)  # before the next unpaid due date
    outstanding = old[paid].opening_balance
    new_term = data.draw(st.integers(1, 60))
    new = reschedule(old, outstanding, as_of, RescheduleTerms(rate, new_term, method))
    check_invariants(new, outstanding, rate, new_term)
    assert new[0].due_date == old[paid].due_date  # the borrower keeps the payment day


def test_reschedule_after_the_last_due_date_moves_to_the_next_month():
    old = build_schedule(
        Decimal("1200.00"), Decimal("0.1"), 2, RepaymentMethod.EQUAL_PRINCIPAL, date(2025, 1, 31)
    )
    new = reschedule(
        old,
        Decimal("600.00"),
        date(2025, 4, 2),
        RescheduleTerms(Decimal("0.1"), 3, RepaymentMethod.EQUAL_PRINCIPAL),
    )
    assert new[0].due_date == date(2025, 4, 30)
    assert sum(i.principal for i in new) == Decimal("600.00")


def test_reschedule_refuses_a_first_due_date_in_the_past():
    with pytest.raises(ScheduleError) as info:
        reschedule(
            [],
            Decimal("100.00"),
            date(2025, 5, 1),
            RescheduleTerms(Decimal("0.1"), 3, RepaymentMethod.EQUAL_PRINCIPAL, date(2025, 5, 1)),
        )
    assert info.value.code == "INVALID_DUE_DATE"
