"""The score routes the application; overrides keep both values; four eyes on every step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from lending_support import (
    FIXED_MODELS,
    NOW,
    book_loan,
    principal,
    seed_champion,
    seed_firm,
    seed_product,
)

from smecredit import models
from smecredit.domain.authority import GradeMissing
from smecredit.domain.errors import DomainError, ReasonRequired
from smecredit.domain.four_eyes import FourEyesViolation
from smecredit.services.lending import (
    applications,
    decisions,
    disbursement,
    four_eyes_requests,
    repayments,
)
from smecredit.services.lending.decisions import OverrideReasonRequired
from smecredit.services.lending.ledger import verify_ledger
from smecredit.services.scoring import registry

pytestmark = pytest.mark.anyio
D = Decimal
OFFICER = principal("loan_officer", name="officer")
ANALYST = principal("risk_analyst", name="ana")
APPROVER = principal("approver", name="appr1")
APPROVER2 = principal("approver", name="appr2")
OPS1 = principal("loan_officer", name="ops1")
OPS2 = principal("loan_officer", name="ops2")


async def _submitted(
    n: int, amount: str, rate: str, *, reviewed: bool = True
) -> models.LoanApplication:
    await seed_product()
    firm = await seed_firm(n)
    app = await applications.create_application(
        OFFICER,
        firm_id=firm.id,
        product_code="SME-WC",
        amount=D(amount),
        term_months=12,
        annual_rate=D(rate),
        repayment_method="equal_instalment",
    )
    await applications.submit(app.id, OFFICER, at=NOW, scoring_models=FIXED_MODELS)
    if reviewed:
        await applications.start_review(app.id, ANALYST, at=NOW)
    return await models.LoanApplication.get(id=app.id)


async def test_the_champions_grade_routes_the_application(db: object) -> None:
    await seed_champion(0.015)  # grade C: limit factor 0.75, band 5.5%-7%
    app = await _submitted(1, "300000.00", "0.06")
    assert (app.system_grade, app.risk_grade) == ("C", "C")
    assert (app.grade_model_name, app.grade_model_version) == ("fixed", "v1")
    graded = await models.AuditLog.filter(
        action="application.grade", resource=f"LoanApplication:{app.id}"
    ).get()
    assert graded.actor == "system"

    # 300k at grade C is the single-approver band, not the committee
    with pytest.raises(OverrideReasonRequired) as refused:
        await applications.approve(app.id, APPROVER, at=NOW)
    assert refused.value.code == "OVERRIDE_REASON_REQUIRED"
    assert "above the suggested limit 225000.00" in str(refused.value)
    assert not await models.Approval.filter(application_id=app.id).exists()
    assert not await models.DecisionOverride.filter(application_id=app.id).exists()

    done = await applications.approve(
        app.id, APPROVER, at=NOW, override_reason="collateral covers the excess"
    )
    assert done.state == "approved"
    (row,) = await models.DecisionOverride.filter(application_id=app.id)
    assert (row.kind, row.system_value, row.decided_value) == (
        "above_limit",
        "225000.00",
        "300000.00",
    )
    assert (row.actor, row.reason) == ("appr1", "collateral covers the excess")
    assert await verify_ledger() == []


async def test_a_missing_grade_is_a_refusal_to_route_until_an_analyst_grades(db: object) -> None:
    app = await _submitted(2, "300000.00", "0.06")  # no champion: not scored
    assert (app.system_grade, app.risk_grade) == (None, None)
    with pytest.raises(GradeMissing) as missing:
        await applications.approve(app.id, APPROVER, at=NOW, override_reason="x")
    assert missing.value.code == "GRADE_MISSING" and "no risk grade" in str(missing.value)

    with pytest.raises(ReasonRequired):
        await decisions.override_grade(app.id, ANALYST, "D", "  ", at=NOW)
    with pytest.raises(DomainError) as bad:
        await decisions.override_grade(app.id, ANALYST, "Z", "typo", at=NOW)
    assert bad.value.code == "INVALID_RISK_GRADE"
    graded = await decisions.override_grade(app.id, ANALYST, "D", "by hand: model down", at=NOW)
    assert graded.risk_grade == "D" and graded.system_grade is None
    (row,) = await models.DecisionOverride.filter(application_id=app.id)
    assert (row.kind, row.system_value, row.decided_value, row.actor) == ("grade", None, "D", "ana")

    # grade D: two approvers; unscored, so each approval is an override (policy check)
    await applications.approve(app.id, APPROVER, at=NOW, override_reason="known client")
    assert (await models.LoanApplication.get(id=app.id)).state == "under_review"
    await applications.approve(app.id, APPROVER2, at=NOW, override_reason="known client")
    assert (await models.LoanApplication.get(id=app.id)).state == "approved"
    kinds = await models.DecisionOverride.filter(application_id=app.id).values_list("kind", "actor")
    assert sorted(kinds) == [("grade", "ana"), ("policy_check", "appr1"), ("policy_check", "appr2")]


async def test_an_analysts_grade_is_audited_and_restarts_the_approvals(db: object) -> None:
    await seed_champion(0.03)  # grade D: dual band
    app = await _submitted(3, "100000.00", "0.08")
    # no revenue known: the limit is the amount x 0.60
    await applications.approve(app.id, APPROVER, at=NOW, override_reason="strong collateral")
    assert await models.Approval.filter(application_id=app.id).count() == 1

    changed = await decisions.override_grade(app.id, ANALYST, "B", "state guarantee", at=NOW)
    assert (changed.system_grade, changed.risk_grade) == ("D", "B")
    assert changed.approval_round == 2  # approvals under the old routing do not stand
    row = await models.DecisionOverride.filter(application_id=app.id, kind="grade").get()
    assert (row.kind, row.system_value, row.decided_value, row.reason) == (
        "grade",
        "D",
        "B",
        "state guarantee",
    )
    audited = await models.AuditLog.filter(action="application.override_grade").get()
    assert (audited.actor, audited.resource) == ("ana", f"LoanApplication:{app.id}")


async def test_zero_limit_rate_and_failed_policy_checks_are_overrides(db: object) -> None:
    await seed_champion(0.5)  # grade G: limit 0
    g = await _submitted(4, "1000.00", "0.15")  # band 15%-15%: the cost of risk is capped
    with pytest.raises(OverrideReasonRequired) as zero:
        await applications.approve(g.id, APPROVER, at=NOW)
    assert "suggested limit for this grade is 0.00" in str(zero.value)
    await applications.approve(g.id, APPROVER, at=NOW, override_reason="fully secured")
    (row,) = await models.DecisionOverride.filter(application_id=g.id)
    assert (row.kind, row.system_value, row.decided_value) == ("zero_limit", "0.00", "1000.00")

    await seed_champion(0.003)  # grade A: limit factor 1, band 3.635%-4.5%
    a = await _submitted(5, "100000.00", "0.12")
    await applications.approve(a.id, APPROVER, at=NOW, override_reason="pricing committee")
    (rate,) = await models.DecisionOverride.filter(application_id=a.id)
    assert (rate.kind, rate.system_value, rate.decided_value) == (
        "rate_outside",
        "3.635%-4.5%",
        "12%",
    )

    clean = await _submitted(6, "100000.00", "0.04")
    # the firm withdraws its consent after submission: a policy check fails at approval
    await models.Consent.filter(firm_id=clean.firm_id).update(  # type: ignore[attr-defined]
        revoked_at=NOW - dt.timedelta(hours=1)
    )
    with pytest.raises(OverrideReasonRequired) as check:
        await applications.approve(clean.id, APPROVER, at=NOW)
    assert "consent" in str(check.value)
    await applications.approve(clean.id, APPROVER, at=NOW, override_reason="consent renewed")
    (policy,) = await models.DecisionOverride.filter(application_id=clean.id)
    assert policy.kind == "policy_check" and "consent" in (policy.system_value or "")


async def test_four_eyes_on_the_credit_steps(db: object) -> None:
    await seed_champion(0.003)
    # the maker holds every role it could misuse
    maker = principal("loan_officer", "approver", "risk_analyst", name="officer")
    await seed_product()
    firm = await seed_firm(7)
    app = await applications.create_application(
        maker,
        firm_id=firm.id,
        product_code="SME-WC",
        amount=D("100000.00"),
        term_months=12,
        annual_rate=D("0.04"),
        repayment_method="equal_instalment",
    )
    await applications.submit(app.id, maker, at=NOW, scoring_models=FIXED_MODELS)

    with pytest.raises(FourEyesViolation) as grades:
        await decisions.override_grade(app.id, maker, "B", "mine", at=NOW)
    assert "maker-grades" in str(grades.value)
    await decisions.override_grade(app.id, ANALYST, "B", "checked", at=NOW)
    await applications.start_review(app.id, ANALYST, at=NOW)

    cases = [
        ("maker-approves", maker, APPROVER, applications.approve),
        ("maker-disburses", maker, OPS1, disbursement.disburse),
    ]
    for rule, same, other, step in cases:
        with pytest.raises(FourEyesViolation) as refused:
            await step(app.id, same, at=NOW)
        assert refused.value.code == "FOUR_EYES" and rule in str(refused.value)
        await step(app.id, other, at=NOW)
    for rule, same in (("maker-confirms", maker), ("disburser-confirms", OPS1)):
        with pytest.raises(FourEyesViolation) as refused:
            await disbursement.confirm_disbursement(app.id, same, at=NOW)
        assert rule in str(refused.value)
    # the queue offers each person only what four eyes lets them do
    assert await applications.approval_queue(maker) == []
    assert await applications.approval_queue(OPS1) == []
    assert [a.id for a in await applications.approval_queue(OPS2)] == [app.id]
    active = await disbursement.confirm_disbursement(app.id, OPS2, at=NOW)
    assert active.state == "active"
    assert await verify_ledger() == []


async def test_four_eyes_on_model_promotion(db: object) -> None:
    version = await models.ModelVersion.create(
        name="fixed", version="v1", training_fingerprint="0" * 64, created_by="ana"
    )
    with pytest.raises(ReasonRequired):
        await registry.promote(version.id, actor=principal("risk_analyst", name="bo"), reason="")
    with pytest.raises(FourEyesViolation) as own:
        await registry.promote(version.id, actor=ANALYST, reason="my best model")
    assert "trainer-promotes" in str(own.value)
    done = await registry.promote(
        version.id, actor=principal("risk_analyst", name="bo"), reason="validated"
    )
    assert done.status == "champion"


async def test_a_write_off_needs_a_second_approver(db: object) -> None:
    app = await book_loan(await seed_firm(8))
    loan_id: int = app.loan_id  # type: ignore[attr-defined]
    c1 = principal("credit_committee", name="c1")
    c2 = principal("credit_committee", name="c2")
    with pytest.raises(FourEyesViolation) as alone:
        await disbursement.write_off(loan_id, c1, "uncollectable")
    assert "requester-approves-write-off" in str(alone.value) and "requestWriteOff" in str(
        alone.value
    )
    request = await four_eyes_requests.request_write_off(loan_id, c1, "uncollectable")
    assert request.status == "pending" and request.requested_by == "c1"
    with pytest.raises(FourEyesViolation):
        await four_eyes_requests.approve_request(request.id, c1)
    assert (await models.Loan.get(id=loan_id)).status == "active"
    approved = await four_eyes_requests.approve_request(request.id, c2)
    assert (approved.status, approved.decided_by) == ("approved", "c2")
    assert (await models.Loan.get(id=loan_id)).status == "written_off"
    journal = await models.ApplicationTransition.filter(
        application_id=app.id, action="write_off"
    ).get()
    assert journal.actor == "c2" and journal.reason == "uncollectable"
    assert await verify_ledger() == []


async def test_an_upgrading_classification_needs_a_second_approver(db: object) -> None:
    app = await book_loan(await seed_firm(9))
    loan_id: int = app.loan_id  # type: ignore[attr-defined]
    await models.Loan.filter(id=loan_id).update(days_past_due=271, classification="doubtful")
    r1 = principal("risk_analyst", name="r1")
    r2 = principal("risk_analyst", name="r2")
    # 271 days past due imply 可疑 (doubtful): 次级 (substandard) is better
    with pytest.raises(FourEyesViolation) as alone:
        await repayments.override_classification(loan_id, r1, "substandard", "collateral sold")
    assert "requester-approves-upgrade" in str(alone.value)
    assert (await models.Loan.get(id=loan_id)).classification == "doubtful"
    request = await four_eyes_requests.request_classification_override(
        loan_id, r1, "substandard", "collateral sold"
    )
    with pytest.raises(FourEyesViolation):
        await four_eyes_requests.approve_request(request.id, r1)
    await four_eyes_requests.approve_request(request.id, r2)
    loan = await models.Loan.get(id=loan_id)
    assert (loan.classification, loan.classification_overridden) == ("substandard", True)
    last = await models.ClassificationHistory.filter(loan_id=loan_id).order_by("-id").first()
    assert last is not None and last.actor == "r2" and last.reason == "collateral sold"
    # a worse class than DPD imply needs no second person
    await repayments.override_classification(loan_id, r1, "loss", "fraud")
    assert (await models.Loan.get(id=loan_id)).classification == "loss"


async def test_a_request_is_rejected_with_a_reason_and_changes_nothing(db: object) -> None:
    app = await book_loan(await seed_firm(10))
    loan_id: int = app.loan_id  # type: ignore[attr-defined]
    c1 = principal("credit_committee", name="c1")
    c2 = principal("credit_committee", name="c2")
    request = await four_eyes_requests.request_write_off(loan_id, c1, "gone")
    with pytest.raises(Exception, match="pending request"):
        await four_eyes_requests.request_write_off(loan_id, c2, "gone too")
    assert [r.id for r in await four_eyes_requests.pending_requests(c2)] == [request.id]
    with pytest.raises(ReasonRequired):
        await four_eyes_requests.reject_request(request.id, c2, " ")
    rejected = await four_eyes_requests.reject_request(request.id, c2, "still paying")
    assert (rejected.status, rejected.decided_by, rejected.decision_reason) == (
        "rejected",
        "c2",
        "still paying",
    )
    with pytest.raises(DomainError, match="already rejected"):
        await four_eyes_requests.approve_request(request.id, c2)
    assert (await models.Loan.get(id=loan_id)).status == "active"
    assert await four_eyes_requests.pending_requests(c2) == []


async def test_override_rates_report_kinds_and_the_fate_of_overridden_loans(db: object) -> None:
    first = await book_loan(await seed_firm(11))  # unscored: a policy-check override
    await book_loan(await seed_firm(12))
    await seed_champion(0.003)
    await _submitted(13, "100000.00", "0.04", reviewed=False)  # submitted, not decided
    await models.Loan.filter(id=first.loan_id).update(classification="doubtful")  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="read override rates"):
        await decisions.override_rates(OFFICER)
    rates = {r["kind"]: r for r in await decisions.override_rates(ANALYST)}
    assert set(rates) == {"grade", "zero_limit", "above_limit", "rate_outside", "policy_check"}
    policy = rates["policy_check"]
    assert (policy["overridden"], policy["decided"], policy["rate"]) == (2, 2, 1.0)
    assert (policy["loans"], policy["non_performing"]) == (2, 1)
    assert rates["grade"]["overridden"] == 2  # both graded by hand
    assert (rates["above_limit"]["overridden"], rates["above_limit"]["rate"]) == (0, 0.0)
