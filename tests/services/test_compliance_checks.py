"""Each compliance check passes on a compliant book and fails on a seeded breach, and a run
stores its results and overall score (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from compliance_support import NOW, add_application, add_loan, decide, seed_firm, seed_product

from smecredit import models
from smecredit.domain.compliance import CheckStatus as S
from smecredit.security.operations import SYSTEM
from smecredit.services import audit
from smecredit.services.compliance import data, lending, monitoring, platform_ops
from smecredit.services.compliance.base import CheckContext
from smecredit.services.compliance.catalogue import CATALOGUE
from smecredit.services.compliance.runs import run_checks
from smecredit.settings import DEFAULT_MFA_REQUIRED_ROLES, Settings

pytestmark = pytest.mark.anyio


def _ctx(settings: Settings, now: dt.datetime = NOW, **changes: Any) -> CheckContext:
    return CheckContext(settings=replace(settings, **changes), now=now)


async def test_pricing_passes_within_the_band_and_fails_outside(db: Settings) -> None:
    assert (await lending.pricing(_ctx(db))).status is S.NOT_APPLICABLE
    await seed_product()
    firm = await seed_firm(1)
    await add_loan(firm, rate="0.12")
    assert (await lending.pricing(_ctx(db))).status is S.PASS
    cheap = await add_loan(firm, rate="0.01")  # the band is 3%..24%
    outcome = await lending.pricing(_ctx(db))
    assert outcome.status is S.FAIL
    assert outcome.evidence == (f"Loan:{cheap.id}",)


async def test_pricing_warns_of_a_loan_of_an_unknown_product(db: Settings) -> None:
    await seed_product()
    loan = await add_loan(await seed_firm(1), product="LEGACY")
    outcome = await lending.pricing(_ctx(db))
    assert (outcome.status, outcome.evidence) == (S.WARNING, (f"Loan:{loan.id}",))


async def test_concentration_against_the_capital(db: Settings) -> None:
    small, big = await seed_firm(1), await seed_firm(2)
    await add_loan(small, outstanding="50000.00")
    await add_loan(big, outstanding="600000.00")
    await add_loan(big, outstanding="500000.00", status="closed")  # repaid: not owed
    assert (await lending.concentration(_ctx(db))).status is S.NOT_APPLICABLE
    ok = await lending.concentration(_ctx(db, bank_capital=Decimal("10000000")))
    assert ok.status is S.PASS  # 6% of capital
    near = await lending.concentration(_ctx(db, bank_capital=Decimal("6500000")))
    assert near.status is S.WARNING  # 9.2%
    over = await lending.concentration(_ctx(db, bank_capital=Decimal("5000000")))
    assert (over.status, over.evidence) == (S.FAIL, (f"Firm:{big.id}",))  # 12%


async def test_maker_checker_passes_on_separated_duties_and_fails_on_self_approval(
    db: Settings,
) -> None:
    assert (await lending.maker_checker(_ctx(db))).status is S.NOT_APPLICABLE
    firm = await seed_firm(1)
    good = await add_application(firm, maker="officer")
    await decide(good, "approve", "approver1")
    await decide(good, "disburse", "officer", to_state="disbursed")
    await decide(good, "confirm_disbursement", "officer2")
    assert (await lending.maker_checker(_ctx(db))).status is S.PASS

    self_approved = await add_application(firm, maker="officer")
    await decide(self_approved, "approve", "officer")
    self_confirmed = await add_application(firm, maker="officer")
    await decide(self_confirmed, "disburse", "teller", to_state="disbursed")
    await decide(self_confirmed, "confirm_disbursement", "teller")
    loan = await add_loan(firm)
    request = await models.FourEyesRequest.create(
        operation="loan.write_off",
        loan=loan,
        branch_code=firm.branch_code,
        reason="uncollectable",
        requested_by="analyst",
        requested_at=NOW,
        status="approved",
        decided_by="analyst",
    )
    outcome = await lending.maker_checker(_ctx(db))
    assert outcome.status is S.FAIL
    assert set(outcome.evidence) == {
        f"LoanApplication:{self_approved.id}",
        f"LoanApplication:{self_confirmed.id}",
        f"FourEyesRequest:{request.id}",
    }


async def test_every_bureau_pull_needs_a_consent_in_force(db: Settings) -> None:
    assert (await data.bureau_consent(_ctx(db))).status is S.NOT_APPLICABLE
    await seed_firm(1)  # a bureau report fetched under a consent granted 5 days before
    assert (await data.bureau_consent(_ctx(db))).status is S.PASS
    without = await seed_firm(2, consent=False)
    revoked = await seed_firm(3, consent=False)
    await models.Consent.create(
        firm=revoked,
        scope="bureau",
        granted_at=NOW - dt.timedelta(days=30),
        revoked_at=NOW - dt.timedelta(days=1),
        granted_by="test",
    )
    outcome = await data.bureau_consent(_ctx(db))
    pulls = await models.BureauSummary.filter(firm_id__in=[without.id, revoked.id]).order_by("id")
    assert outcome.status is S.FAIL
    assert outcome.evidence == tuple(f"BureauSummary:{p.id}" for p in pulls)


async def test_stale_sources_by_their_schedule(db: Settings) -> None:
    assert (await data.stale_sources(_ctx(db))).status is S.NOT_APPLICABLE
    schedule = (
        ("synthetic", None, dt.time(6, tzinfo=dt.UTC)),
        ("bureau", dt.timedelta(hours=6), None),
    )
    await models.SourceState.create(
        source="synthetic", last_success_at=NOW - dt.timedelta(hours=10)
    )
    await models.SourceState.create(source="bureau", last_success_at=NOW - dt.timedelta(hours=2))
    assert (await data.stale_sources(_ctx(db, sync_schedule=schedule))).status is S.PASS
    late = await data.stale_sources(_ctx(db, NOW + dt.timedelta(hours=6), sync_schedule=schedule))
    assert (late.status, late.evidence) == (S.FAIL, ("DataSource:bureau",))


async def test_cob_every_business_day_since_the_first_loan(db: Settings) -> None:
    assert (await platform_ops.cob_every_day(_ctx(db))).status is S.NOT_APPLICABLE
    await add_loan(await seed_firm(1), disbursed_on=dt.date(2026, 1, 5))  # a Monday
    days = platform_ops.business_days(dt.date(2026, 1, 5), dt.date(2026, 1, 14))
    for day in days:
        await models.CobRun.create(business_date=day, status="succeeded")
    assert (await platform_ops.cob_every_day(_ctx(db))).status is S.PASS  # NOW: the 15th
    await models.CobRun.filter(business_date=dt.date(2026, 1, 8)).update(status="failed")
    outcome = await platform_ops.cob_every_day(_ctx(db))
    assert (outcome.status, outcome.evidence) == (S.FAIL, ("BusinessDate:2026-01-08",))
    assert dt.date(2026, 1, 10) not in days  # a Saturday owes no close


async def test_the_audit_chain_intact_and_broken(db: Settings) -> None:
    for n in range(3):
        await audit.record("tester", "test.action", f"Thing:{n}", after={"n": n})
    assert (await platform_ops.audit_chain(_ctx(db))).status is S.PASS
    await models.AuditLog.filter(seq=2).update(resource="Thing:99")
    outcome = await platform_ops.audit_chain(_ctx(db))
    assert (outcome.status, outcome.evidence) == (S.FAIL, ("AuditEntry:2",))


async def test_key_age_warns_of_an_old_key(db: Settings) -> None:
    from smecredit.security.keys import get_keyring

    active = get_keyring().active_key_id
    await models.KeyFingerprint.filter(purpose="encryption", key_id=active).delete()
    assert (await platform_ops.key_age(_ctx(db))).status is S.NOT_APPLICABLE
    await models.KeyFingerprint.create(purpose="encryption", key_id=active, fingerprint="f" * 64)
    now = dt.datetime.now(dt.UTC)
    assert (await platform_ops.key_age(_ctx(db, now))).status is S.PASS
    old = await platform_ops.key_age(_ctx(db, now + dt.timedelta(days=400)))
    assert (old.status, old.evidence) == (S.WARNING, (f"Key:{active}",))


async def test_the_second_factor_policy(db: Settings) -> None:
    strict = {"argon2_profile": "production", "mfa_required_roles": DEFAULT_MFA_REQUIRED_ROLES}
    enrolled = await models.User.create(
        username="appr", password_hash="x", roles=["approver"], branch_code="HQ", totp_enrolled=True
    )
    await models.User.create(
        username="off", password_hash="x", roles=["loan_officer"], branch_code="HQ"
    )
    assert (await platform_ops.mfa_policy(_ctx(db, **strict))).status is S.PASS
    # development requires no second factor: a gap of the policy itself
    assert (await platform_ops.mfa_policy(_ctx(db))).status is S.FAIL
    lax = await models.User.create(
        username="risk", password_hash="x", roles=["risk_analyst"], branch_code="HQ"
    )
    outcome = await platform_ops.mfa_policy(_ctx(db, **strict))
    assert (outcome.status, outcome.evidence) == (S.FAIL, (f"User:{lax.id}",))
    assert enrolled.id != lax.id


async def test_backups_are_not_applicable_yet(db: Settings) -> None:
    outcome = await platform_ops.backup_age(_ctx(db))
    assert outcome.status is S.NOT_APPLICABLE and "backups do not exist yet" in outcome.message


async def _champion(scores: list[float]) -> models.ModelVersion:
    baseline = [0.01 + 0.09 * i / 199 for i in range(200)]
    version = await models.ModelVersion.create(
        name="fixed",
        version="1",
        status="champion",
        training_fingerprint="0" * 64,
        created_by="test",
        baseline={"scores": baseline},
    )
    for n, pd in enumerate(scores):
        firm = await seed_firm(100 + n, evidence=False, consent=False)
        await models.Score.create(
            firm=firm,
            model_name="fixed",
            model_version="1",
            probability_of_default=pd,
            points=600,
            grade="C",
            computed_at=NOW,
        )
    return version


async def test_model_psi_in_band_passes(db: Settings) -> None:
    assert (await monitoring.model_psi(_ctx(db))).status is S.NOT_APPLICABLE
    await _champion([0.01 + 0.09 * i / 39 for i in range(40)])
    assert (await monitoring.model_psi(_ctx(db))).status is S.PASS


async def test_model_psi_shifted_fails(db: Settings) -> None:
    version = await _champion([0.5] * 40)
    outcome = await monitoring.model_psi(_ctx(db))
    assert (outcome.status, outcome.evidence) == (S.FAIL, (f"ModelVersion:{version.id}",))


async def test_a_run_stores_every_result_and_the_weighted_score(db: Settings) -> None:
    await seed_product()
    firm = await seed_firm(1)
    await add_loan(firm, rate="0.01")  # a pricing failure
    run = await run_checks(SYSTEM, db, now=NOW)
    results = {r.check_code: r for r in await models.ComplianceResult.filter(run_id=run.id)}
    assert set(results) == {c.code for c, _ in CATALOGUE}
    assert results["pricing_within_product"].status == "fail"
    assert results["backup_age"].status == "not_applicable"
    assert results["backup_age"].score is None
    scored = [r for r in results.values() if r.score is not None]
    expected = sum(r.weight * r.score for r in scored) / sum(r.weight for r in scored)  # type: ignore[operator]
    assert run.status == "succeeded"
    assert run.overall_score == pytest.approx(expected, abs=0.01)
    assert await models.AuditLog.filter(action="compliance.result").exists()


async def test_a_check_that_raises_is_an_error_result_and_the_others_run(
    db: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smecredit.services.compliance import catalogue, runs

    async def broken(ctx: CheckContext) -> Any:
        raise RuntimeError("database on fire")

    first, _ = catalogue.CATALOGUE[0]
    monkeypatch.setattr(runs, "CATALOGUE", ((first, broken), *catalogue.CATALOGUE[1:]))
    run = await run_checks(SYSTEM, db, now=NOW)
    result = await models.ComplianceResult.get(run_id=run.id, check_code=first.code)
    assert result.status == "error" and "database on fire" in result.message
    assert await models.ComplianceResult.filter(run_id=run.id).count() == len(CATALOGUE)


def test_the_compliance_page_shows_the_catalogue() -> None:
    from pathlib import Path

    from smecredit.services.compliance.catalogue import rewrite

    page = Path(__file__).resolve().parents[2] / "docs" / "compliance.md"
    text = page.read_text(encoding="utf-8")
    assert text == rewrite(text), (
        "docs/compliance.md is stale: run "
        "`python -m smecredit.services.compliance.catalogue docs/compliance.md`"
    )
    assert all(f"`{c.code}`" in text for c, _ in CATALOGUE)


async def test_a_run_that_cannot_finish_is_recorded_failed(
    db: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smecredit.services.compliance import runs

    async def unstorable(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    run = await runs.open_run(SYSTEM)
    assert run is not None
    monkeypatch.setattr(runs, "atomic", unstorable)
    with pytest.raises(RuntimeError):
        await runs.execute_run(run, db, now=NOW)
    failed = await models.ComplianceRun.get(id=run.id)
    assert failed.status == "failed" and "disk full" in (failed.error or "")
    assert not await models.ComplianceResult.filter(run_id=run.id).exists()
