"""Posting repayments (idempotent by key), their reversal, classification overrides.

A repayment is allocated with :func:`smecredit.domain.repayments.allocate` over the active
schedule; the allocation lines are stored with the repayment and added to the instalments'
paid amounts; an over-payment is kept as the loan's credit balance. A reversal is a new
repayment row with the negated amount and lines (``reversal_of``), never a delete.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from smecredit.domain.classification import (
    LoanClass,
    Override,
    class_for_dpd,
    classify,
    ifrs9_stage,
)
from smecredit.domain.errors import ReasonRequired
from smecredit.domain.loan_states import LoanState
from smecredit.domain.repayments import AllocationLine, Component, InstalmentDue, allocate
from smecredit.errors import NotFound
from smecredit.models import (
    ClassificationHistory,
    FourEyesRequest,
    Loan,
    Repayment,
    ScheduledInstalment,
)
from smecredit.security.operations import authorize, in_scope
from smecredit.security.principal import Principal
from smecredit.services.lending.errors import DuplicateIdempotencyKey, RepaymentNotAllowed
from smecredit.services.lending.second_approval import second_approval
from smecredit.services.lending.support import (
    actor_id,
    audit,
    check_version,
    dec,
    lock,
    now,
    update_versioned,
)
from smecredit.services.transactions import atomic

__all__ = [
    "fingerprint",
    "lines_of",
    "override_classification",
    "post_repayment",
    "reverse_repayment",
]

_ZERO = Decimal("0.00")
_PAID_FIELD = {
    Component.PENALTY: "paid_penalty",
    Component.INTEREST: "paid_interest",
    Component.PRINCIPAL: "paid_principal",
}


def fingerprint(loan_id: int, amount: Decimal, received_on: dt.date) -> str:
    """What makes two postings "the same request": loan, amount in fen, date."""
    text = f"{loan_id}|{amount.quantize(Decimal('0.01'))}|{received_on.isoformat()}"
    return hashlib.sha256(text.encode()).hexdigest()


def lines_of(repayment: Repayment) -> list[AllocationLine]:
    """The allocation lines stored with a repayment."""
    return [
        AllocationLine(int(x["instalment"]), Component(x["component"]), Decimal(x["amount"]))
        for x in repayment.allocation
    ]


def _lines_json(lines: list[AllocationLine]) -> list[dict[str, Any]]:
    return [
        {"instalment": x.instalment_number, "component": x.component.value, "amount": str(x.amount)}
        for x in lines
    ]


def _owed(row: ScheduledInstalment) -> InstalmentDue:
    return InstalmentDue(
        number=row.number,
        due_date=row.due_date,
        principal=dec(row.principal) - dec(row.paid_principal),
        interest=dec(row.interest) - dec(row.paid_interest),
        penalty=dec(row.penalty_accrued) - dec(row.paid_penalty),
    )


async def _apply_to_instalments(
    rows: list[ScheduledInstalment], lines: list[AllocationLine], conn: BaseDBAsyncClient
) -> None:
    by_number = {r.number: r for r in rows}
    deltas: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for line in lines:
        field = _PAID_FIELD[line.component]
        deltas[line.instalment_number][field] = (
            deltas[line.instalment_number].get(field, _ZERO) + line.amount
        )
    for number, changes in deltas.items():
        row = by_number[number]
        values = {f: dec(getattr(row, f)) + d for f, d in changes.items()}
        for name, value in values.items():
            setattr(row, name, value)
        settled = _owed(row).total == 0
        any_paid = any(dec(getattr(row, f)) > 0 for f in _PAID_FIELD.values())
        status = "paid" if settled else ("partial" if any_paid else "pending")
        await ScheduledInstalment.filter(id=row.id).using_db(conn).update(**values, status=status)


async def _existing(key: str, fp: str, conn: BaseDBAsyncClient | None = None) -> Repayment | None:
    query = Repayment.filter(idempotency_key=key)
    found = await (query.using_db(conn) if conn else query).first()
    if found is not None and found.request_fingerprint != fp:
        raise DuplicateIdempotencyKey(
            f"idempotency key {key!r} was already used for a different repayment "
            f"(repayment {found.id}); use a new key for a new payment"
        )
    return found


async def post_repayment(
    loan_id: int,
    principal: Principal,
    *,
    idempotency_key: str,
    amount: Decimal,
    received_on: dt.date | None = None,
) -> Repayment:
    """Post a repayment received; the same key and content returns the first result.

    Raises:
        PermissionDenied: the caller may not post repayments (``repayment.post``).
        NotFound: no such loan within the caller's branches.
        DuplicateIdempotencyKey: the key was used for a different loan, amount or date.
        RepaymentNotAllowed: the loan is not active.
        AllocationError: the amount is not a positive amount in fen.
        Conflict: the loan changed meanwhile (retry).
    """
    authorize(principal, "repayment.post")
    key = idempotency_key.strip()
    if not key:
        raise ReasonRequired("an idempotency key is required", code="IDEMPOTENCY_KEY_REQUIRED")
    received_on = received_on or now().date()
    fp = fingerprint(loan_id, amount, received_on)
    found = await _existing(key, fp)
    if found is not None:
        return found
    try:
        repayment = await _post(loan_id, principal, key, fp, amount, received_on)
    except IntegrityError:
        # a concurrent posting with the same key committed first
        found = await _existing(key, fp)
        if found is None:
            raise
        return found
    return repayment


async def _post(
    loan_id: int,
    principal: Principal,
    key: str,
    fp: str,
    amount: Decimal,
    received_on: dt.date,
) -> Repayment:
    async def work(conn: BaseDBAsyncClient) -> Repayment:
        # lock order: the loan, then its instalments, then its repayments
        loan = await lock(Loan, loan_id, conn)
        if loan is None or not in_scope(principal, loan.branch_code):
            raise NotFound(f"loan {loan_id} not found")
        # under the loan's row lock a concurrent twin has either committed or not started
        found = await _existing(key, fp, conn)
        if found is not None:
            return found
        if loan.status != LoanState.ACTIVE.value:
            raise RepaymentNotAllowed(
                f"loan {loan.loan_ref} is {loan.status}; repayments are posted to active loans"
            )
        rows = (
            await ScheduledInstalment.filter(loan_id=loan.id, active=True)
            .using_db(conn)
            .order_by("due_date", "number")
        )
        allocation = allocate(amount, [_owed(r) for r in rows], as_of=received_on)
        lines = list(allocation.lines)
        await _apply_to_instalments(rows, lines, conn)
        principal_paid = sum((x.amount for x in lines if x.component is Component.PRINCIPAL), _ZERO)
        credit = dec(loan.credit_balance) + allocation.credit_balance
        await update_versioned(
            loan,
            conn,
            outstanding_principal=dec(loan.outstanding_principal) - principal_paid,
            credit_balance=credit,
        )
        repayment = await Repayment.create(
            loan_id=loan.id,
            schedule_id=rows[0].schedule_id if rows else None,  # type: ignore[attr-defined]
            idempotency_key=key,
            amount=amount,
            received_on=received_on,
            request_fingerprint=fp,
            allocation=_lines_json(lines),
            credit_added=allocation.credit_balance,
            credit_balance_after=credit,
            actor=actor_id(principal),
            using_db=conn,
        )
        await audit(
            principal,
            "repayment.post",
            f"Loan:{loan_id}",
            after={"repayment": repayment.id, "amount": str(amount), "key": key},
            connection=conn,
        )
        return repayment

    return await atomic(work, what=f"posting a repayment to loan {loan_id}")


async def reverse_repayment(
    repayment_id: int, principal: Principal, reason: str | None
) -> Repayment:
    """Reverse a posted repayment: a new row with negated lines restores what was owed.

    Raises:
        PermissionDenied: the caller may not reverse repayments (``repayment.reverse``).
        NotFound: no such repayment within the caller's branches.
        ReasonRequired: no reason.
        RepaymentNotAllowed: already reversed, itself a reversal, the loan is not active,
            or the schedule it was allocated to has been replaced.
    """
    authorize(principal, "repayment.reverse")
    if not reason or not reason.strip():
        raise ReasonRequired("a reversal needs a reason")
    original = await Repayment.get_or_none(id=repayment_id).select_related("loan")
    if original is None or not in_scope(principal, original.loan.branch_code):
        raise NotFound(f"repayment {repayment_id} not found")
    at = now()
    loan_id: int = original.loan_id  # type: ignore[attr-defined]

    async def work(conn: BaseDBAsyncClient) -> Repayment:
        loan = await lock(Loan, loan_id, conn)
        assert loan is not None  # the foreign key guarantees it
        original = await Repayment.filter(id=repayment_id).using_db(conn).get()
        if original.reversal_of_id is not None:  # type: ignore[attr-defined]
            raise RepaymentNotAllowed(f"repayment {repayment_id} is itself a reversal")
        if original.reversed_at is not None:
            raise RepaymentNotAllowed(f"repayment {repayment_id} was already reversed")
        if loan.status != LoanState.ACTIVE.value:
            raise RepaymentNotAllowed(
                f"loan {loan.loan_ref} is {loan.status}; only an active loan's repayments "
                "can be reversed"
            )
        rows = (
            await ScheduledInstalment.filter(loan_id=loan.id, active=True)
            .using_db(conn)
            .order_by("due_date", "number")
        )
        lines = lines_of(original)
        schedule_now = rows[0].schedule_id if rows else None  # type: ignore[attr-defined]
        if lines and original.schedule_id != schedule_now:
            raise RepaymentNotAllowed(
                f"repayment {repayment_id} was allocated to a schedule that has since been "
                "replaced; it can no longer be reversed"
            )
        negated = [AllocationLine(x.instalment_number, x.component, -x.amount) for x in lines]
        await _apply_to_instalments(rows, negated, conn)
        principal_back = sum((x.amount for x in lines if x.component is Component.PRINCIPAL), _ZERO)
        credit = dec(loan.credit_balance) - dec(original.credit_added)
        await update_versioned(
            loan,
            conn,
            outstanding_principal=dec(loan.outstanding_principal) + principal_back,
            credit_balance=credit,
        )
        updated = (
            await Repayment.filter(id=original.id, reversed_at__isnull=True)
            .using_db(conn)
            .update(reversed_at=at)
        )
        if updated != 1:
            raise RepaymentNotAllowed(f"repayment {repayment_id} was already reversed")
        reversal = await Repayment.create(
            loan_id=loan.id,
            schedule_id=original.schedule_id,
            idempotency_key=f"reversal:{original.id}",
            amount=-dec(original.amount),
            received_on=at.date(),
            request_fingerprint=original.request_fingerprint,
            allocation=_lines_json(negated),
            credit_added=-dec(original.credit_added),
            credit_balance_after=credit,
            actor=actor_id(principal),
            reversal_of_id=original.id,
            using_db=conn,
        )
        await audit(
            principal,
            "repayment.reverse",
            f"Loan:{loan.id}",
            after={"repayment": repayment_id, "reversal": reversal.id, "reason": reason.strip()},
            connection=conn,
        )
        return reversal

    return await atomic(work, what=f"reversing repayment {repayment_id}")


async def override_classification(
    loan_id: int,
    principal: Principal,
    loan_class: LoanClass | str,
    reason: str | None,
    *,
    as_of: dt.date | None = None,
    expected_version: int | None = None,
    request: FourEyesRequest | None = None,
) -> Loan:
    """Set a loan's class by hand (risk roles, reason required); COB keeps it afterwards.

    A class better than the loan's days past due imply needs a second approver (four
    eyes): it is made only as the approval of a pending ``request`` filed by someone
    else (:mod:`smecredit.services.lending.four_eyes_requests`).

    Args:
        expected_version: the loan's version as the caller read it (None: no check).
        request: the pending request this carries out (its approver is the caller).

    Raises:
        PermissionDenied: the caller may not override (``loan.override_classification``).
        ReasonRequired: from :func:`smecredit.domain.classification.classify`.
        FourEyesViolation: a better class than DPD imply without another's request.
        NotFound: no such loan within the caller's branches.
        Conflict: the loan is not at ``expected_version`` (nothing changes).
    """
    authorize(principal, "loan.override_classification")
    day = as_of or now().date()
    target = LoanClass(loan_class)

    async def work(conn: BaseDBAsyncClient) -> Loan:
        loan = await lock(Loan, loan_id, conn)
        if loan is None or not in_scope(principal, loan.branch_code):
            raise NotFound(f"loan {loan_id} not found")
        check_version(loan, expected_version, f"loan {loan_id}")
        if target.rank < class_for_dpd(loan.days_past_due).rank:
            await second_approval("loan.override_classification", loan.id, principal, request, conn)
        result = classify(
            loan.days_past_due,
            override=Override(
                target, actor_id(principal), frozenset(principal.roles), reason or ""
            ),
        )
        stage = ifrs9_stage(loan.days_past_due, result.loan_class, False)
        before = {"classification": loan.classification, "stage": loan.ifrs9_stage}
        await update_versioned(
            loan,
            conn,
            classification=result.loan_class.value,
            ifrs9_stage=stage,
            classification_overridden=True,
        )
        await ClassificationHistory.create(
            loan_id=loan.id,
            as_of=day,
            dpd=loan.days_past_due,
            loan_class=result.loan_class.value,
            stage=stage,
            overridden=True,
            actor=actor_id(principal),
            reason=result.reason,
            using_db=conn,
        )
        await audit(
            principal,
            "loan.override_classification",
            f"Loan:{loan_id}",
            before=before,
            after={"classification": result.loan_class.value, "reason": result.reason},
            connection=conn,
        )
        return loan

    return await atomic(work, what=f"overriding the classification of loan {loan_id}")
