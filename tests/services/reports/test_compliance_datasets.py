"""The compliance_results and decision_alerts datasets read through the report context,
on SQLite and PostgreSQL, agreeing with the stored runs and alerts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from compliance_support import NOW, add_loan, seed_firm, seed_product

from smecredit import models
from smecredit.security.operations import SYSTEM
from smecredit.security.policy import PolicyStore, parse_policy_text, set_policy_store
from smecredit.security.principal import Principal
from smecredit.services.compliance.catalogue import CATALOGUE as CHECKS
from smecredit.services.compliance.runs import run_checks
from smecredit.services.reports.catalogue import CATALOGUE
from smecredit.services.reports.context import EngineContext, ReportColumnForbidden

pytestmark = pytest.mark.anyio

POLICY = """
p, compliance_auditor, *, *, read, allow
p, compliance_auditor, *, rows, all_branches, allow
p, partner, *, Loan.*, read, allow
p, partner, *, Compliance*, read, deny
"""


class Plugins:
    masking_strategies: dict[str, Any] = {}  # noqa: RUF012


@pytest.fixture
def policy() -> Iterator[None]:
    set_policy_store(PolicyStore(rules=parse_policy_text(POLICY)))
    yield
    set_policy_store(None)


def _context(role: str) -> EngineContext:
    who = Principal(user_id=1, username=role, roles=(role,), branch_code="HQ")
    return EngineContext(who, Plugins(), "en", dt.date(2026, 6, 30), "compliance_report")


async def _rows(ctx: EngineContext, dataset: str) -> list[dict[str, Any]]:
    columns = [c.name for c in CATALOGUE[dataset].columns]
    return [row async for row in ctx.rows(dataset, columns, order_by=[columns[0]])]


async def test_compliance_results_rows_match_the_run(db: Any, policy: None) -> None:
    await seed_product()
    bad = await add_loan(await seed_firm(1), rate="0.01")
    run = await run_checks(SYSTEM, db, now=NOW)
    rows = await _rows(_context("compliance_auditor"), "compliance_results")
    assert len(rows) == len(CHECKS)
    by_code = {r["check_code"]: r for r in rows}
    pricing = by_code["pricing_within_product"]
    assert pricing["evidence"] == f"Loan:{bad.id}"
    assert pricing["title_en"] == "Loan rates within their product's band"
    assert pricing["title_zh"] == "贷款利率在产品定价区间内"
    assert pricing["status"] == "fail" and float(pricing["score"]) == 0.0
    assert {r["run_id"] for r in rows} == {run.id}
    assert float(rows[0]["overall_score"]) == pytest.approx(run.overall_score)
    assert by_code["backup_age"]["score"] is None
    assert by_code["backup_age"]["evidence"] in (None, "")
    summary = await _context("compliance_auditor").aggregate(
        "compliance_results", group_by=("status",), measures={"n": ("count", "*")}
    )
    stored = await models.ComplianceResult.filter(status="fail").count()
    assert {r["status"]: r["n"] for r in summary}["fail"] == stored


async def test_decision_alerts_rows(db: Any, policy: None) -> None:
    alert = await models.DecisionAlert.create(
        kind="override_rate", subject="wang", value=0.5, bound=0.2, window_days=365, raised_at=NOW
    )
    rows = await _rows(_context("compliance_auditor"), "decision_alerts")
    assert [(r["alert_id"], r["kind"], r["subject"], r["status"]) for r in rows] == [
        (alert.id, "override_rate", "wang", "open")
    ]
    assert float(rows[0]["value"]) == 0.5 and float(rows[0]["bound"]) == 0.2


async def test_a_partner_reads_no_compliance_result(db: Any, policy: None) -> None:
    await run_checks(SYSTEM, db, now=NOW)
    ctx = _context("partner")
    with pytest.raises(ReportColumnForbidden):
        await ctx.aggregate(
            "compliance_results", group_by=("status",), measures={"n": ("count", "*")}
        )
