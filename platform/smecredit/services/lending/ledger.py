"""Ledger verification: the invariants the lifecycle services must keep.

For every loan booked through an application (it has a schedule):

* ``OUTSTANDING``: outstanding principal = disbursed - principal repaid (net of reversals);
  a loan whose disbursement was undone counts as not disbursed;
* ``ALLOCATION``: each repayment's allocation lines plus its credit part = its amount;
* ``CREDIT_BALANCE``: the loan's credit balance = the sum of the repayments' credit parts;
* ``INSTALMENT_PAID``: each active instalment's paid amounts = the allocation lines on it,
  and never more than what it owes nor below zero;
* ``REVERSAL``: a reversed repayment has exactly one reversal, and vice versa.

For every application:

* ``TRANSITIONS``: the journal is a chain from ``draft`` (each step starts where the
  previous ended) that ends in the application's state;
* ``AUDIT``: every journalled transition has its audit row;
* ``LOAN_STATUS``: a booked loan's status follows its application's state.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from smecredit import models
from smecredit.domain.repayments import Component
from smecredit.models import (
    ApplicationTransition,
    Loan,
    LoanApplication,
    Repayment,
    RepaymentSchedule,
    ScheduledInstalment,
)
from smecredit.services.lending.repayments import lines_of
from smecredit.services.lending.support import dec

__all__ = ["Violation", "verify_ledger"]

_ZERO = Decimal("0.00")
_DISBURSED_STATES = {"active", "closed", "written_off"}
_LOAN_STATES = {"disbursed", "active", "closed", "written_off"}
_BATCH = 500


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken invariant.

    Attributes:
        code: which invariant (``OUTSTANDING``, ``ALLOCATION`` ...).
        resource: what is wrong, e.g. ``Loan:12``.
        message: the numbers that disagree.
    """

    code: str
    resource: str
    message: str


async def _verify_loan(loan: Loan) -> list[Violation]:
    out: list[Violation] = []
    res = f"Loan:{loan.id}"
    repayments = await Repayment.filter(loan_id=loan.id).order_by("id")
    principal_repaid = _ZERO
    credit = _ZERO
    paid: dict[tuple[int | None, int, Component], Decimal] = defaultdict(lambda: _ZERO)
    reversals = {r.reversal_of_id: r for r in repayments if r.reversal_of_id is not None}  # type: ignore[attr-defined]
    for rep in repayments:
        lines = lines_of(rep)
        allocated = sum((x.amount for x in lines), _ZERO)
        if allocated + dec(rep.credit_added) != dec(rep.amount):
            out.append(
                Violation(
                    "ALLOCATION",
                    f"Repayment:{rep.id}",
                    f"lines {allocated} + credit {rep.credit_added} != amount {rep.amount}",
                )
            )
        credit += dec(rep.credit_added)
        for x in lines:
            paid[(rep.schedule_id, x.instalment_number, x.component)] += x.amount
            if x.component is Component.PRINCIPAL:
                principal_repaid += x.amount
        is_reversal = rep.reversal_of_id is not None  # type: ignore[attr-defined]
        if not is_reversal and (rep.reversed_at is not None) != (rep.id in reversals):
            out.append(
                Violation("REVERSAL", f"Repayment:{rep.id}", "reversed flag and reversal disagree")
            )
    disbursed = dec(loan.principal) if loan.status in _DISBURSED_STATES else _ZERO
    if dec(loan.outstanding_principal) != disbursed - principal_repaid:
        out.append(
            Violation(
                "OUTSTANDING",
                res,
                f"outstanding {loan.outstanding_principal} != disbursed {disbursed} - "
                f"principal repaid {principal_repaid}",
            )
        )
    if dec(loan.credit_balance) != credit:
        out.append(
            Violation(
                "CREDIT_BALANCE", res, f"credit balance {loan.credit_balance} != credits {credit}"
            )
        )
    for row in await ScheduledInstalment.filter(loan_id=loan.id, active=True):
        sid = row.schedule_id  # type: ignore[attr-defined]
        for component, paid_field, due_field in (
            (Component.PRINCIPAL, "paid_principal", "principal"),
            (Component.INTEREST, "paid_interest", "interest"),
            (Component.PENALTY, "paid_penalty", "penalty_accrued"),
        ):
            have = dec(getattr(row, paid_field))
            expected = paid[(sid, row.number, component)]
            if have != expected or have < 0 or have > dec(getattr(row, due_field)):
                out.append(
                    Violation(
                        "INSTALMENT_PAID",
                        f"ScheduledInstalment:{row.id}",
                        f"{paid_field} {have}: allocations {expected}, owed "
                        f"{getattr(row, due_field)}",
                    )
                )
    return out


#: Audited actions on an application that are not lifecycle transitions.
_NOT_TRANSITIONS = ("application.create", "application.grade", "application.override_grade")


async def _verify_application(application: LoanApplication) -> list[Violation]:
    out: list[Violation] = []
    res = f"LoanApplication:{application.id}"
    state = "draft"
    for t in await ApplicationTransition.filter(application_id=application.id).order_by("id"):
        if t.from_state != state:
            out.append(
                Violation(
                    "TRANSITIONS", res, f"transition {t.id} starts at {t.from_state}, not {state}"
                )
            )
        state = t.to_state
    if state != application.state:
        out.append(
            Violation(
                "TRANSITIONS", res, f"journal ends at {state}, application is {application.state}"
            )
        )
    audit_log = getattr(models, "AuditLog", None)
    if audit_log is not None:
        audited = (
            await audit_log.filter(resource=res, action__startswith="application.")
            .exclude(action__in=_NOT_TRANSITIONS)
            .count()
        )
        journal = await ApplicationTransition.filter(application_id=application.id).count()
        if audited != journal:
            out.append(Violation("AUDIT", res, f"{journal} transitions but {audited} audit rows"))
    loan_id = application.loan_id  # type: ignore[attr-defined]
    if loan_id is not None and application.state in _LOAN_STATES:
        loan = await Loan.get(id=loan_id)
        if loan.status != application.state:
            out.append(
                Violation(
                    "LOAN_STATUS",
                    f"Loan:{loan_id}",
                    f"loan status {loan.status} != application state {application.state}",
                )
            )
    return out


async def verify_ledger() -> list[Violation]:
    """Check every invariant (module docstring); an empty list means the ledger is sound."""
    out: list[Violation] = []
    loan_ids = await RepaymentSchedule.all().distinct().values_list("loan_id", flat=True)
    ids = sorted(set(loan_ids))
    for start in range(0, len(ids), _BATCH):
        for loan in await Loan.filter(id__in=ids[start : start + _BATCH]).order_by("id"):
            out.extend(await _verify_loan(loan))
    last = 0
    while True:
        batch = await LoanApplication.filter(id__gt=last).order_by("id").limit(_BATCH)
        if not batch:
            break
        for application in batch:
            out.extend(await _verify_application(application))
        last = batch[-1].id
    return out
