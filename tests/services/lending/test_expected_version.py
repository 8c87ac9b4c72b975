"""Optimistic locking in the lending services: a stale ``expected_version`` changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from lending_support import ADMIN, NOW, book_loan, principal, seed_firm, seed_product

from smecredit import models
from smecredit.domain.classification import LoanClass
from smecredit.domain.schedules import RepaymentMethod, RescheduleTerms
from smecredit.errors import Conflict
from smecredit.services.lending import (
    applications,
    decisions,
    disbursement,
    four_eyes_requests,
    products,
    repayments,
)

pytestmark = pytest.mark.anyio

OFFICER = principal("loan_officer", name="officer")
ANALYST = principal("risk_analyst", name="analyst")
APPROVER = principal("approver", name="appr1")
COMMITTEE = principal("credit_committee", name="committee")
COMMITTEE2 = principal("credit_committee", name="committee2")
OPS1 = principal("loan_officer", name="ops1")
OPS2 = principal("loan_officer", name="ops2")


async def snapshot(application_id: int) -> tuple[Any, ...]:
    app = await models.LoanApplication.get(id=application_id)
    loans = await models.Loan.all().order_by("id").values_list("id", "version", "status")
    return (
        app.state,
        app.version,
        await models.ApplicationTransition.filter(application_id=application_id).count(),
        await models.Approval.filter(application_id=application_id).count(),
        await models.AuditLog.all().count(),
        tuple(loans),
    )


async def refused(application_id: int, call: Callable[[], Awaitable[Any]]) -> Conflict:
    before = await snapshot(application_id)
    with pytest.raises(Conflict) as caught:
        await call()
    assert caught.value.code == "CONFLICT"
    assert await snapshot(application_id) == before
    return caught.value


async def test_application_steps_check_the_application_version(db: object) -> None:
    await seed_product()
    firm = await seed_firm()
    app = await applications.create_application(
        OFFICER,
        firm_id=firm.id,
        product_code="SME-WC",
        amount=Decimal("120000.00"),
        term_months=12,
        annual_rate=Decimal("0.12"),
        repayment_method="equal_principal",
    )
    a = app.id
    error = await refused(a, lambda: applications.submit(a, OFFICER, at=NOW, expected_version=2))
    assert "version 1, not 2" in str(error)
    submitted = await applications.submit(a, OFFICER, at=NOW, expected_version=1)
    assert submitted.version == 3  # the submission, then its (here: missing) model grade
    await refused(
        a, lambda: decisions.override_grade(a, ANALYST, "B", "by hand", expected_version=2)
    )
    await decisions.override_grade(a, ANALYST, "B", "by hand", at=NOW, expected_version=3)
    await refused(a, lambda: applications.start_review(a, ANALYST, at=NOW, expected_version=3))
    await applications.start_review(a, ANALYST, at=NOW, expected_version=4)
    for stale in (
        lambda: applications.approve(a, APPROVER, at=NOW, expected_version=4),
        lambda: applications.reject(a, APPROVER, "no", at=NOW, expected_version=4),
        lambda: applications.return_for_changes(a, APPROVER, "fix", at=NOW, expected_version=4),
    ):
        await refused(a, stale)
    await applications.approve(
        a, APPROVER, at=NOW, expected_version=5, override_reason="not scored in this test"
    )
    await refused(a, lambda: applications.cancel(a, OFFICER, "x", at=NOW, expected_version=5))
    await refused(a, lambda: disbursement.disburse(a, OPS1, at=NOW, expected_version=5))
    await disbursement.disburse(a, OPS1, at=NOW, expected_version=6)
    await refused(a, lambda: disbursement.confirm_disbursement(a, OPS2, at=NOW, expected_version=6))
    done = await disbursement.confirm_disbursement(a, OPS2, at=NOW, expected_version=7)
    assert (done.state, done.version) == ("active", 8)


async def test_loan_steps_check_the_loan_version(db: object) -> None:
    app = await book_loan(await seed_firm())
    loan = await models.Loan.get(id=app.loan_id)  # type: ignore[attr-defined]
    stale = loan.version - 1
    terms = RescheduleTerms(Decimal("0.10"), 6, RepaymentMethod("equal_principal"), None)
    for call in (
        lambda: disbursement.close_loan(loan.id, OFFICER, expected_version=stale),
        lambda: disbursement.write_off(loan.id, COMMITTEE, "gone", expected_version=stale),
        lambda: disbursement.reschedule_loan(
            loan.id, APPROVER, terms, "hardship", expected_version=stale
        ),
        lambda: repayments.override_classification(
            loan.id, COMMITTEE, LoanClass.SUBSTANDARD, "watch", expected_version=stale
        ),
    ):
        error = await refused(app.id, call)
        assert f"loan {loan.id} is at version {loan.version}" in str(error)
    request = await four_eyes_requests.request_write_off(
        loan.id, COMMITTEE, "gone", expected_version=loan.version
    )
    await four_eyes_requests.approve_request(request.id, COMMITTEE2)
    await refused(
        app.id,
        lambda: disbursement.undo_write_off(
            loan.id, COMMITTEE, "paid", expected_version=loan.version
        ),
    )
    back = await disbursement.undo_write_off(
        loan.id, COMMITTEE, "paid", expected_version=loan.version + 1
    )
    assert back.state == "active"


async def test_product_update_checks_the_product_version(db: object) -> None:
    product = await seed_product()
    with pytest.raises(Conflict):
        await products.update_product(
            ADMIN, product.code, name="New", expected_version=product.version + 1
        )
    assert (await models.Product.get(id=product.id)).name == product.name
    updated = await products.update_product(
        ADMIN, product.code, name="New", expected_version=product.version
    )
    assert (updated.name, updated.version) == ("New", product.version + 1)
