"""The lending services end to end on a real database (SQLite, and PostgreSQL if set)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from lending_support import NOW, book_loan, grade_by_analyst, principal, seed_firm, seed_product

from smecredit import models
from smecredit.domain.authority import GradeMissing
from smecredit.domain.errors import Forbidden, InvalidTransition, ReasonRequired
from smecredit.errors import Conflict, NotFound, PermissionDenied
from smecredit.security.operations import SYSTEM
from smecredit.services.lending import applications, cob, disbursement, repayments
from smecredit.services.lending.errors import DuplicateIdempotencyKey, IncompleteApplication
from smecredit.services.lending.ledger import verify_ledger

pytestmark = pytest.mark.anyio
OFFICER = principal("loan_officer", name="officer")
ADMIN = principal("admin", name="ops-admin")


async def test_incomplete_application_lists_what_is_missing(db: object) -> None:
    await seed_product()
    firm = await seed_firm(evidence=False, consent=False)
    app = await applications.create_application(
        OFFICER,
        firm_id=firm.id,
        product_code="SME-WC",
        amount=Decimal("50000.00"),
        term_months=12,
        annual_rate=Decimal("0.1"),
        repayment_method="equal_instalment",
    )
    with pytest.raises(IncompleteApplication) as info:
        await applications.submit(app.id, OFFICER, at=NOW)
    missing = " | ".join(info.value.missing)
    assert len(info.value.missing) == 3
    assert "financial statement" in missing and "bureau" in missing and "consent" in missing
    assert (await models.LoanApplication.get(id=app.id)).state == "draft"


async def test_full_lifecycle_keeps_the_ledger(db: object) -> None:
    firm = await seed_firm()
    app = await book_loan(firm)
    loan = await models.Loan.get(id=app.loan_id)
    assert loan.status == "active" and loan.outstanding_principal == Decimal("120000.00")
    instalments = await models.ScheduledInstalment.filter(loan_id=loan.id).order_by("number")
    assert len(instalments) == 12
    assert sum(i.principal for i in instalments) == Decimal("120000.00")

    first_due = instalments[0]
    due = first_due.principal + first_due.interest
    rep = await repayments.post_repayment(
        loan.id, OFFICER, idempotency_key="k1", amount=due, received_on=first_due.due_date
    )
    again = await repayments.post_repayment(
        loan.id, OFFICER, idempotency_key="k1", amount=due, received_on=first_due.due_date
    )
    assert again.id == rep.id
    with pytest.raises(DuplicateIdempotencyKey):
        await repayments.post_repayment(
            loan.id, OFFICER, idempotency_key="k1", amount=due + 1, received_on=first_due.due_date
        )
    assert await models.Repayment.filter(loan_id=loan.id).count() == 1
    loan = await models.Loan.get(id=loan.id)
    assert loan.outstanding_principal == Decimal("120000.00") - first_due.principal

    reversal = await repayments.reverse_repayment(rep.id, ADMIN, "bounced cheque")
    assert reversal.amount == -due and reversal.reversal_of_id == rep.id  # type: ignore[attr-defined]
    loan = await models.Loan.get(id=loan.id)
    assert loan.outstanding_principal == Decimal("120000.00")

    # over-payment of everything: the rest is kept as credit balance
    total = sum(i.principal + i.interest for i in instalments) + Decimal("10.00")
    await repayments.post_repayment(
        loan.id, OFFICER, idempotency_key="all", amount=total, received_on=first_due.due_date
    )
    loan = await models.Loan.get(id=loan.id)
    assert loan.outstanding_principal == 0 and loan.credit_balance > Decimal("10.00") - 1
    await disbursement.close_loan(loan.id, OFFICER, at=NOW.replace(month=3))
    assert (await models.Loan.get(id=loan.id)).status == "closed"
    journal = await models.ApplicationTransition.filter(application_id=app.id).count()
    audited = await models.AuditLog.filter(
        resource=f"LoanApplication:{app.id}", action__startswith="application."
    ).count()
    # + application.create, the (missing) model grade at submission, the analyst's grade
    assert journal == 6 and audited == journal + 3
    assert await verify_ledger() == []


async def test_guards_surface_as_typed_errors(db: object) -> None:
    firm = await seed_firm()
    await seed_product()
    app = await applications.create_application(
        OFFICER,
        firm_id=firm.id,
        product_code="SME-WC",
        amount=Decimal("800000.00"),
        term_months=12,
        annual_rate=Decimal("0.1"),
        repayment_method="equal_instalment",
    )
    with pytest.raises(InvalidTransition):
        await applications.approve(app.id, principal("approver"), at=NOW)
    with pytest.raises(PermissionDenied):  # the operations table: a viewer changes nothing
        await applications.submit(app.id, principal("viewer"), at=NOW)
    with pytest.raises(NotFound):  # another branch's application answers as a missing one
        await applications.submit(app.id, principal("loan_officer", branch="B99"), at=NOW)
    with pytest.raises(Conflict):
        await applications.run_transition(
            app.id, applications.Action.SUBMIT, OFFICER, expected_version=99
        )
    await applications.submit(app.id, OFFICER, at=NOW)
    await applications.start_review(app.id, principal("risk_analyst"), at=NOW)
    with pytest.raises(ReasonRequired):
        await applications.reject(app.id, principal("approver"), "  ", at=NOW)
    # no model scored it: no grade, no routing (never taken for G)
    with pytest.raises(GradeMissing):
        await applications.approve(app.id, principal("approver", name="a1"), at=NOW)
    await grade_by_analyst(app.id)
    # dual band: two distinct approvers needed
    why = "not scored in this test"
    await applications.approve(
        app.id, principal("approver", name="a1"), at=NOW, override_reason=why
    )
    assert (await models.LoanApplication.get(id=app.id)).state == "under_review"
    with pytest.raises(Forbidden):
        await applications.approve(
            app.id, principal("approver", name="a1"), at=NOW, override_reason=why
        )
    await applications.approve(
        app.id, principal("approver", name="a2"), at=NOW, override_reason=why
    )
    assert (await models.LoanApplication.get(id=app.id)).state == "approved"
    assert await verify_ledger() == []


async def test_cob_is_idempotent_and_classifies(db: object) -> None:
    firm = await seed_firm()
    app = await book_loan(firm)
    loan_id = app.loan_id
    first = await models.ScheduledInstalment.filter(loan_id=loan_id, number=1).get()
    day = first.due_date + dt.timedelta(days=100)
    # a second, current loan of the same debtor (first due after the business date)
    await book_loan(firm, amount=Decimal("5000.00"), disbursed_on=day - dt.timedelta(days=3))
    summary = await cob.run_cob(day, SYSTEM)
    loan = await models.Loan.get(id=loan_id)
    assert loan.days_past_due == 100 and loan.classification == "substandard"
    assert loan.ifrs9_stage == 3 and summary.penalties > 0

    async def state() -> tuple[object, ...]:
        loans = await models.Loan.all().order_by("id").values()
        inst = await models.ScheduledInstalment.all().order_by("id").values()
        hist = await models.ClassificationHistory.all().order_by("id").values()
        return (loans, inst, hist)

    before = await state()
    assert (await cob.run_cob(day, SYSTEM)).skipped
    forced = await cob.run_cob(day, SYSTEM, force=True)
    assert forced.changed == 0 and forced.penalties == 0 and forced.history_rows == 0
    assert await state() == before
    # contagion: the debtor's other (current) loan becomes substandard too
    others = await models.Loan.filter(firm_id=firm.id).exclude(id=loan_id)
    assert [(o.days_past_due, o.classification) for o in others] == [(0, "substandard")]
    with pytest.raises(Exception, match="moves forward"):
        await cob.run_cob(day - dt.timedelta(days=5), SYSTEM)
    assert await verify_ledger() == []


async def test_reschedule_and_override_keep_history(db: object) -> None:
    from smecredit.domain.schedules import RepaymentMethod, RescheduleTerms

    app = await book_loan(await seed_firm())
    loan_id = app.loan_id
    first = await models.ScheduledInstalment.filter(loan_id=loan_id, number=1).get()
    await repayments.post_repayment(
        loan_id,
        OFFICER,
        idempotency_key="r1",
        amount=first.principal + first.interest + Decimal("20000.00"),
        received_on=first.due_date,
    )
    terms = RescheduleTerms(Decimal("0.10"), 6, RepaymentMethod.EQUAL_INSTALMENT)
    with pytest.raises(PermissionDenied):
        await disbursement.reschedule_loan(loan_id, OFFICER, terms, "hardship")
    approver = principal("approver", name="appr")
    with pytest.raises(ReasonRequired):
        await disbursement.reschedule_loan(loan_id, approver, terms, " ")
    schedule = await disbursement.reschedule_loan(
        loan_id, approver, terms, "hardship", as_of=first.due_date
    )
    loan = await models.Loan.get(id=loan_id)
    new = await models.ScheduledInstalment.filter(loan_id=loan_id, active=True)
    assert schedule.number == 2 and len(new) == 6
    assert sum(i.principal for i in new) == loan.outstanding_principal
    assert await models.ScheduledInstalment.filter(loan_id=loan_id, active=False).count() == 12

    with pytest.raises(PermissionDenied):
        await repayments.override_classification(loan_id, OFFICER, "doubtful", "fraud")
    analyst = principal("risk_analyst", name="ra")
    with pytest.raises(ReasonRequired):
        await repayments.override_classification(loan_id, analyst, "doubtful", "")
    await repayments.override_classification(loan_id, analyst, "doubtful", "fraud suspected")
    await cob.run_cob(first.due_date + dt.timedelta(days=1), SYSTEM)
    loan = await models.Loan.get(id=loan_id)
    assert (loan.classification, loan.ifrs9_stage) == ("doubtful", 3)  # COB keeps overrides
    last = await models.ClassificationHistory.filter(loan_id=loan_id).order_by("-id").first()
    assert last is not None and last.overridden and last.actor == "ra"
    assert await verify_ledger() == []
