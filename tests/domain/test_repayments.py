from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smecredit.domain.repayments import (
    AllocationError,
    AllocationLine,
    Component,
    InstalmentDue,
    allocate,
    apply_lines,
    reverse,
)
from smecredit.domain.schedules import add_months

fen = st.integers(0, 5_000_000).map(lambda n: Decimal(n) / 100)
START = date(2025, 1, 10)


@st.composite
def dues_lists(draw):
    n = draw(st.integers(1, 12))
    numbers = draw(st.permutations(range(1, n + 1)))  # input order must not matter
    dues = [
        InstalmentDue(
            number=k,
            due_date=add_months(START, k - 1),
            principal=draw(fen),
            interest=draw(fen),
            penalty=draw(fen),
        )
        for k in numbers
    ]
    return dues


payments = st.integers(1, 30_000_000).map(lambda n: Decimal(n) / 100)
as_of_dates = st.integers(-40, 420).map(lambda d: START + timedelta(days=d))


def slot_order(dues, as_of):
    """The documented order: current instalments vertically, then future principal only."""
    ordered = sorted((d for d in dues if d.total > 0), key=lambda d: (d.due_date, d.number))
    current = sum(1 for d in ordered if d.due_date <= as_of)
    current = min(current + 1, len(ordered))
    slots = [(d, c) for d in ordered[:current] for c in Component]
    slots += [(d, Component.PRINCIPAL) for d in ordered[current:]]
    return [(d.number, c, d.owed(c)) for d, c in slots if d.owed(c) > 0]


@settings(max_examples=200, deadline=None)
@given(payments, dues_lists(), as_of_dates)
def test_allocation_conserves_money_exactly(payment, dues, as_of):
    result = allocate(payment, dues, as_of=as_of)
    assert result.allocated + result.credit_balance == payment
    assert result.credit_balance >= 0
    assert all(line.amount > 0 for line in result.lines)


@settings(max_examples=200, deadline=None)
@given(payments, dues_lists(), as_of_dates)
def test_allocation_follows_the_documented_order(payment, dues, as_of):
    result = allocate(payment, dues, as_of=as_of)
    slots = slot_order(dues, as_of)
    # Lines are a prefix of the slot order; every line but the last settles its slot fully.
    assert len(result.lines) <= len(slots)
    for i, line in enumerate(result.lines):
        number, component, owed = slots[i]
        assert (line.instalment_number, line.component) == (number, component)
        if i < len(result.lines) - 1:
            assert line.amount == owed
        else:
            assert line.amount <= owed
    if result.credit_balance > 0:
        assert len(result.lines) == len(slots)
        assert all(
            line.amount == owed for line, (_, _, owed) in zip(result.lines, slots, strict=True)
        )


@settings(max_examples=200, deadline=None)
@given(payments, dues_lists(), as_of_dates)
def test_reversal_restores_the_dues(payment, dues, as_of):
    result = allocate(payment, dues, as_of=as_of)
    after = apply_lines(dues, result.lines)
    assert all(d.total >= 0 for d in after)
    assert sum(d.total for d in dues) - sum(d.total for d in after) == result.allocated
    undo = reverse(result)
    assert all(line.amount < 0 for line in undo)
    assert apply_lines(after, undo) == dues


def test_partial_payment_of_an_overdue_instalment():
    dues = [
        InstalmentDue(1, date(2025, 1, 10), Decimal("800.00"), Decimal("100.00"), Decimal("5.00")),
        InstalmentDue(2, date(2025, 2, 10), Decimal("810.00"), Decimal("90.00")),
    ]
    result = allocate(Decimal("50.00"), dues, as_of=date(2025, 1, 20))
    assert result.lines == (
        AllocationLine(1, Component.PENALTY, Decimal("5.00")),
        AllocationLine(1, Component.INTEREST, Decimal("45.00")),
    )
    assert result.credit_balance == 0


def test_early_payment_takes_future_principal_but_not_future_interest():
    dues = [
        InstalmentDue(k, add_months(date(2025, 1, 10), k - 1), Decimal("1000.00"), Decimal("50.00"))
        for k in (1, 2, 3)
    ]
    # Before the first due date: instalment 1 is paid as usual, then principal of 2 and 3.
    result = allocate(Decimal("3100.00"), dues, as_of=date(2025, 1, 5))
    assert [(line.instalment_number, line.component) for line in result.lines] == [
        (1, Component.INTEREST),
        (1, Component.PRINCIPAL),
        (2, Component.PRINCIPAL),
        (3, Component.PRINCIPAL),
    ]
    assert result.credit_balance == Decimal("50.00")
    after = apply_lines(dues, result.lines)
    assert [d.interest for d in after] == [Decimal("0.00"), Decimal("50.00"), Decimal("50.00")]


def test_overpayment_is_kept_as_credit():
    dues = [InstalmentDue(1, date(2025, 1, 10), Decimal("100.00"), Decimal("1.00"))]
    result = allocate(Decimal("250.00"), dues, as_of=date(2025, 1, 10))
    assert result.credit_balance == Decimal("149.00")


@pytest.mark.parametrize("payment", [Decimal("0"), Decimal("-1.00"), Decimal("1.001")])
def test_invalid_payment(payment):
    with pytest.raises(AllocationError) as info:
        allocate(payment, [], as_of=date(2025, 1, 1))
    assert info.value.code == "INVALID_PAYMENT"


def test_invalid_dues():
    due = InstalmentDue(1, date(2025, 1, 1), Decimal("-1.00"), Decimal("0"))
    with pytest.raises(AllocationError) as info:
        allocate(Decimal("1.00"), [due], as_of=date(2025, 1, 1))
    assert info.value.code == "INVALID_DUES"
    twice = [InstalmentDue(1, date(2025, 1, 1), Decimal(1), Decimal(0))] * 2
    with pytest.raises(AllocationError):
        allocate(Decimal("1.00"), twice, as_of=date(2025, 1, 1))


def test_apply_lines_refuses_to_overpay_a_component():
    dues = [InstalmentDue(1, date(2025, 1, 1), Decimal("1.00"), Decimal("0"))]
    with pytest.raises(AllocationError):
        apply_lines(dues, [AllocationLine(1, Component.PRINCIPAL, Decimal("2.00"))])
    with pytest.raises(AllocationError):
        apply_lines(dues, [AllocationLine(9, Component.PRINCIPAL, Decimal("1.00"))])
