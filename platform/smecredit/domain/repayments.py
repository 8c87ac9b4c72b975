"""Allocation of a repayment across instalments, and its reversal.

Order (per instalment, "vertical"): for the oldest instalment with anything owing, penalty,
then interest, then principal; only then the next instalment. Instalments are ordered by
due date, then number.

Which instalments a payment reaches, as of the payment date:

1. every instalment already due (``due_date <= as_of``) and the next one not yet due: paying
   the current instalment a few days before its due date is an ordinary repayment, so it
   takes penalty, interest and principal like a due one;
2. then, as a prepayment, the **principal only** of later instalments in due-date order.
   Their interest is not collected in advance: it has not accrued yet. After a prepayment
   the caller recomputes the remaining interest (e.g. with
   :func:`smecredit.domain.schedules.reschedule` on the reduced balance);
3. whatever is left is kept as ``credit_balance`` for the borrower, never lost.

Invariant: ``sum(line.amount for line in lines) + credit_balance == payment``, exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from smecredit.domain.errors import DomainError
from smecredit.domain.schedules import FEN

__all__ = [
    "Allocation",
    "AllocationError",
    "AllocationLine",
    "Component",
    "InstalmentDue",
    "allocate",
    "apply_lines",
    "reverse",
]

_ZERO = Decimal("0.00")


class AllocationError(DomainError):
    """Invalid payment or dues (codes ``INVALID_PAYMENT``, ``INVALID_DUES``)."""

    code = "INVALID_ALLOCATION"


class Component(StrEnum):
    """Parts of an instalment, in the order a payment settles them."""

    PENALTY = "penalty"
    INTEREST = "interest"
    PRINCIPAL = "principal"


@dataclass(frozen=True, slots=True)
class InstalmentDue:
    """What is still owed on one instalment.

    Attributes:
        number: instalment number (unique within a loan's dues).
        due_date: when it falls (fell) due.
        principal: principal still owed.
        interest: interest still owed.
        penalty: penalty interest still owed.
    """

    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    penalty: Decimal = _ZERO

    def owed(self, component: Component) -> Decimal:
        """The amount still owed on ``component``."""
        return getattr(self, component.value)  # type: ignore[no-any-return]

    @property
    def total(self) -> Decimal:
        """Everything still owed on this instalment."""
        return self.principal + self.interest + self.penalty


@dataclass(frozen=True, slots=True)
class AllocationLine:
    """Money applied to one component of one instalment (negative in a reversal).

    Attributes:
        instalment_number: which instalment.
        component: penalty, interest or principal.
        amount: how much.
    """

    instalment_number: int
    component: Component
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Allocation:
    """How one payment was applied.

    Attributes:
        payment: the amount received.
        as_of: the payment date.
        lines: money applied, in allocation order.
        credit_balance: over-payment kept for the borrower.
    """

    payment: Decimal
    as_of: date
    lines: tuple[AllocationLine, ...]
    credit_balance: Decimal

    @property
    def allocated(self) -> Decimal:
        """The part of the payment applied to dues."""
        return sum((line.amount for line in self.lines), _ZERO)


def _validate(payment: Decimal, dues: Sequence[InstalmentDue]) -> None:
    if payment <= 0 or payment != payment.quantize(FEN):
        raise AllocationError(
            f"a payment must be a positive amount in fen, got {payment}", code="INVALID_PAYMENT"
        )
    numbers = [d.number for d in dues]
    if len(set(numbers)) != len(numbers):
        raise AllocationError("instalment numbers in the dues repeat", code="INVALID_DUES")
    for due in dues:
        for component in Component:
            value = due.owed(component)
            if value < 0 or value != value.quantize(FEN):
                raise AllocationError(
                    f"instalment {due.number} owes {value} {component}: amounts must be "
                    "non-negative and in fen",
                    code="INVALID_DUES",
                )


def allocate(payment: Decimal, dues: Sequence[InstalmentDue], *, as_of: date) -> Allocation:
    """Apply ``payment`` to ``dues`` (see the module docstring for the order).

    Args:
        payment: amount received, positive, in fen.
        dues: what is still owed per instalment (any order).
        as_of: the payment date.

    Returns:
        The allocation lines and the credit balance.

    Raises:
        AllocationError: for a non-positive payment or malformed dues.
    """
    _validate(payment, dues)
    ordered = sorted((d for d in dues if d.total > 0), key=lambda d: (d.due_date, d.number))
    current_count = sum(1 for d in ordered if d.due_date <= as_of)
    if current_count < len(ordered):
        current_count += 1  # the next instalment, paid on or ahead of its due date
    remaining = payment
    lines: list[AllocationLine] = []

    def take(due: InstalmentDue, component: Component) -> None:
        nonlocal remaining
        amount = min(remaining, due.owed(component))
        if amount > 0:
            lines.append(AllocationLine(due.number, component, amount))
            remaining -= amount

    for due in ordered[:current_count]:
        for component in Component:
            take(due, component)
    for due in ordered[current_count:]:
        take(due, Component.PRINCIPAL)
    return Allocation(payment=payment, as_of=as_of, lines=tuple(lines), credit_balance=remaining)


def reverse(allocation: Allocation) -> list[AllocationLine]:
    """Lines that undo ``allocation`` (same instalments and components, negated).

    Apply them with :func:`apply_lines` to restore the dues; the credit balance of the
    reversed payment is the caller's to take back.
    """
    return [replace(line, amount=-line.amount) for line in reversed(allocation.lines)]


def _with_component(due: InstalmentDue, component: Component, value: Decimal) -> InstalmentDue:
    if component is Component.PENALTY:
        return replace(due, penalty=value)
    if component is Component.INTEREST:
        return replace(due, interest=value)
    return replace(due, principal=value)


def apply_lines(
    dues: Sequence[InstalmentDue], lines: Iterable[AllocationLine]
) -> list[InstalmentDue]:
    """Return ``dues`` reduced by ``lines`` (a negative line increases what is owed).

    Raises:
        AllocationError: when a line names an unknown instalment or would make an amount
            negative.
    """
    by_number = {d.number: d for d in dues}
    for line in lines:
        due = by_number.get(line.instalment_number)
        if due is None:
            raise AllocationError(
                f"allocation line names unknown instalment {line.instalment_number}",
                code="INVALID_DUES",
            )
        left = due.owed(line.component) - line.amount
        if left < 0:
            raise AllocationError(
                f"applying {line.amount} to instalment {due.number} {line.component} "
                f"would leave {left}",
                code="INVALID_DUES",
            )
        by_number[due.number] = _with_component(due, line.component, left)
    return [by_number[d.number] for d in dues]
