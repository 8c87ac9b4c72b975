"""The credit policy on the database: versions, audit, checks, and what application scoring
records with it (on demand and on submission of a credit application)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import pytest
from lending_support import NOW, principal, seed_firm, seed_product

from smecredit import models
from smecredit.domain.credit_policy import DEFAULT_CREDIT_POLICY, GradeTerms, RiskPricing
from smecredit.domain.scorecard_scaling import DEFAULT_MASTER_SCALE
from smecredit.errors import Conflict, InvalidInput, PermissionDenied
from smecredit.services.lending import applications
from smecredit.services.scoring import credit_policy, scoring

pytestmark = pytest.mark.anyio

ANALYST = principal("risk_analyst", name="ana", branch="HQ")
OFFICER = principal("loan_officer", name="officer")
D = Decimal


class FixedPd:
    """A scoring model whose artefact is the PD it predicts for every firm."""

    name = "fixed"
    description = "fixed PD (tests)"
    version = "1"

    def predict_proba(self, artefact: bytes, X: Sequence[Mapping[str, Any]]) -> list[float]:
        return [float(artefact.decode())] * len(X)

    def explain(self, artefact: bytes, X: Sequence[Mapping[str, Any]], top_n: int) -> list[Any]:
        return [[] for _ in X]


AVAILABLE: dict[str, Any] = {"fixed": FixedPd()}


async def _champion(pd: float, scale: list[list[Any]] | None = None) -> models.ModelVersion:
    scoring.clear_version_cache()
    await models.ModelVersion.filter(status="champion").update(status="retired")
    return await models.ModelVersion.create(
        name="fixed",
        version=f"v{await models.ModelVersion.all().count() + 1}",
        use="application",
        status="champion",
        artefact=str(pd).encode(),
        calibration={"a": 1.0, "b": 0.0},
        master_scale=scale or [],
        training_fingerprint="0" * 64,
        created_by="test",
    )


def _policy(**change: Any) -> Any:
    return dataclasses.replace(DEFAULT_CREDIT_POLICY, **change)


async def test_versions_are_stored_audited_and_read_back(db: object) -> None:
    built_in = await credit_policy.current_policy()
    assert built_in.version == 0 and built_in.policy == DEFAULT_CREDIT_POLICY
    assert built_in.created_at is None

    tighter = _policy(revenue_cap_share=D("0.25"))
    first = await credit_policy.set_policy(tighter, actor=ANALYST, note="tighter caps")
    assert (first.version, first.author, first.note) == (1, "ana", "tighter caps")
    second = await credit_policy.set_policy(
        _policy(pricing=None), actor=ANALYST, note="  grade bands only  "
    )
    assert second.version == 2 and second.note == "grade bands only"

    current = await credit_policy.current_policy()
    assert current.version == 2 and current.policy.pricing is None
    assert (await credit_policy.policy_version(1)).policy == tighter  # type: ignore[union-attr]
    assert (await credit_policy.policy_version(0)).policy == DEFAULT_CREDIT_POLICY  # type: ignore[union-attr]
    assert await credit_policy.policy_version(9) is None
    assert [a.version for a in await credit_policy.policy_history()] == [2, 1, 0]

    audited = await models.AuditLog.filter(action="credit_policy.change").order_by("seq")
    assert [(a.actor, a.resource) for a in audited] == [
        ("ana", "CreditPolicy:1"),
        ("ana", "CreditPolicy:2"),
    ]


async def test_changes_are_refused_with_clear_reasons(db: object) -> None:
    with pytest.raises(PermissionDenied) as denied:
        await credit_policy.set_policy(DEFAULT_CREDIT_POLICY, actor=OFFICER, note="x")
    assert denied.value.code == "FORBIDDEN"
    with pytest.raises(InvalidInput) as blank:
        await credit_policy.set_policy(DEFAULT_CREDIT_POLICY, actor=ANALYST, note="  ")
    assert blank.value.code == "REASON_REQUIRED"

    grades = dict(DEFAULT_CREDIT_POLICY.grades)
    del grades["G"]
    grades["B"] = GradeTerms(D("0.9"), D("0.06"), D("0.05"))
    bad = _policy(grades=grades, rate_ceiling=D("0.40"))
    with pytest.raises(InvalidInput) as invalid:
        await credit_policy.set_policy(bad, actor=ANALYST, note="oops")
    problems = invalid.value.details["problems"]
    assert invalid.value.code == "INVALID_CREDIT_POLICY" and len(problems) == 3
    assert any("rate ceiling" in p for p in problems)
    assert any("grade(s) G" in p for p in problems)
    assert any("grade B: rate_min 0.06 is above rate_max 0.05" in p for p in problems)
    assert await models.CreditPolicyVersion.all().count() == 0
    assert not await models.AuditLog.filter(action="credit_policy.change").exists()


async def test_a_concurrent_change_is_a_conflict(db: object) -> None:
    await models.CreditPolicyVersion.create(
        version=1, terms=DEFAULT_CREDIT_POLICY.to_json(), author="x"
    )
    original = models.CreditPolicyVersion.create

    async def racing(**kw: Any) -> Any:
        # someone else stores the same version number between our read and our insert
        await original(
            version=kw["version"], terms=kw["terms"], author="other", using_db=kw["using_db"]
        )
        return await original(**kw)

    models.CreditPolicyVersion.create = racing  # type: ignore[method-assign]
    try:
        with pytest.raises(Conflict):
            await credit_policy.set_policy(DEFAULT_CREDIT_POLICY, actor=ANALYST, note="race")
    finally:
        models.CreditPolicyVersion.create = original  # type: ignore[method-assign]


async def test_required_grades_follow_the_scales_in_use(db: object) -> None:
    assert await credit_policy.scale_grades() == (list(DEFAULT_MASTER_SCALE.grades), [])
    await _champion(0.02, [["LOW", 0.05], ["HIGH", None]])
    await models.ModelVersion.create(
        name="other",
        version="v1",
        status="candidate",
        master_scale=[["X", 0.1], ["Y", None]],
        training_fingerprint="1" * 64,
        created_by="test",
    )
    assert await credit_policy.scale_grades() == (["LOW", "HIGH"], ["X", "Y"])
    with pytest.raises(InvalidInput) as invalid:
        await credit_policy.set_policy(DEFAULT_CREDIT_POLICY, actor=ANALYST, note="old scale")
    assert any("grade(s) LOW, HIGH" in p for p in invalid.value.details["problems"])
    two = _policy(
        grades={
            "LOW": GradeTerms(D("1"), D("0.04"), D("0.06")),
            "HIGH": GradeTerms(D("0.2"), D("0.08"), D("0.12")),
            "X": GradeTerms(D("0.5"), D("0.05"), D("0.07")),
        }
    )
    assert (await credit_policy.set_policy(two, actor=ANALYST, note="new scale")).version == 1


async def test_application_score_records_limit_band_and_policy_version(db: object) -> None:
    firm = await seed_firm(1)
    await models.FinancialStatement.filter(firm_id=firm.id).update(revenue=D("1000000.00"))
    await _champion(0.03)  # grade D of the default scale: factor 0.60, band 7%-9%

    result = await scoring.score_application(
        firm.id, D("500000.00"), as_of=NOW.date(), available=AVAILABLE
    )
    assert result.score.grade == "D" and result.policy_version == 0
    assert result.suggested_limit == D("180000.00")  # min(500k, 30% of 1m) x 0.60
    # risk rate 2% + 1.5% + 3% x 45% = 4.85%: below the grade's floor, which stands
    assert result.price_band == (D("0.070000"), D("0.090000"))
    assert result.risk_rate == D("0.048500")
    record = await models.ApplicationScoreRecord.get(id=result.record_id)
    assert record.score_id == result.score_id and record.application_id is None  # type: ignore[attr-defined]
    assert (record.suggested_limit, record.rate_low, record.rate_high) == (
        D("180000.00"),
        D("0.070000"),
        D("0.090000"),
    )
    assert record.requested_amount == D("500000.00") and record.policy_version == 0
    score = await models.Score.get(id=result.score_id)
    assert score.grade == "D" and score.probability_of_default == pytest.approx(0.03)

    grades = dict(DEFAULT_CREDIT_POLICY.grades)
    grades["D"] = GradeTerms(D("0.50"), D("0.07"), D("0.09"))
    dearer = _policy(
        grades=grades, pricing=RiskPricing(D("0.45"), funding_rate=D("0.06"), margin=D("0.015"))
    )
    await credit_policy.set_policy(dearer, actor=ANALYST, note="funding got dearer")
    again = await scoring.score_application(
        firm.id, D("500000.00"), as_of=NOW.date(), available=AVAILABLE
    )
    assert again.policy_version == 1 and again.suggested_limit == D("150000.00")
    # 6% + 1.5% + 1.35% = 8.85%: the firm's cost of risk is now the floor
    assert again.price_band == (D("0.088500"), D("0.090000"))
    stored = await models.ApplicationScoreRecord.get(id=again.record_id)
    assert stored.policy_version == 1 and stored.rate_low == D("0.088500")


async def test_a_grade_the_policy_lacks_writes_nothing(db: object) -> None:
    firm = await seed_firm(2)
    await _champion(0.02, [["LOW", 0.05], ["HIGH", None]])
    with pytest.raises(InvalidInput) as error:
        await scoring.score_application(firm.id, D("1000"), available=AVAILABLE)
    assert error.value.code == "GRADE_NOT_COVERED"
    assert "version 0" in error.value.message and "'LOW'" in error.value.message
    assert await models.Score.all().count() == 0
    assert await models.ApplicationScoreRecord.all().count() == 0


async def _draft(n: int, amount: str = "200000.00") -> models.LoanApplication:
    await seed_product()
    firm = await seed_firm(n)
    return await applications.create_application(
        OFFICER,
        firm_id=firm.id,
        product_code="SME-WC",
        amount=D(amount),
        term_months=12,
        annual_rate=D("0.08"),
        repayment_method="equal_instalment",
    )


async def test_submission_scores_the_application(db: object) -> None:
    unscored = await _draft(3)
    await applications.submit(unscored.id, OFFICER, at=NOW, scoring_models=AVAILABLE)
    assert (await models.LoanApplication.get(id=unscored.id)).state == "submitted"
    assert not await models.ApplicationScoreRecord.filter(application_id=unscored.id).exists()

    await _champion(0.006)  # grade B: factor 0.90
    app = await _draft(4)
    await applications.submit(app.id, OFFICER, at=NOW, scoring_models=AVAILABLE)
    record = await models.ApplicationScoreRecord.get(application_id=app.id).select_related("score")
    assert record.score.grade == "B" and record.score.firm_id == app.firm_id  # type: ignore[attr-defined]
    assert record.requested_amount == D("200000.00")
    assert record.suggested_limit == D("180000.00")  # no revenue known: amount x 0.90
    assert record.policy_version == 0

    # a champion whose grade the policy lacks: submitted anyway, unscored
    await _champion(0.02, [["LOW", 0.05], ["HIGH", None]])
    other = await _draft(5)
    await applications.submit(other.id, OFFICER, at=NOW, scoring_models=AVAILABLE)
    assert (await models.LoanApplication.get(id=other.id)).state == "submitted"
    assert not await models.ApplicationScoreRecord.filter(application_id=other.id).exists()
