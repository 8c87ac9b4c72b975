"""Back-test metrics against a hand-computed case, and the weight proposal workflow."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from helpers import principal
from warnings_support import FETCHED, MakeFirm

from smecredit import models
from smecredit.errors import Conflict
from smecredit.services.warnings.backtest import (
    accept_proposal,
    fail_abandoned_proposals,
    propose_weights,
    reject_proposal,
    run_backtest,
    start_proposal,
)
from smecredit.services.warnings.config import active_config

pytestmark = pytest.mark.anyio
END = dt.date(2026, 6, 30)


def _at(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(9), dt.UTC)


async def _warning(firm: models.Firm, rule: str, events: list[tuple[str, str, str]]) -> None:
    w = await models.Warning.create(firm=firm, rule_code=rule, severity=events[-1][1], message="m")
    await models.Warning.filter(id=w.id).update(opened_at=_at(events[0][2]))
    for kind, severity, day in events:
        await models.WarningEvent.create(warning=w, kind=kind, severity=severity, at=_at(day))


async def test_backtest_metrics_match_the_hand_computed_case(db: Any, make_firm: MakeFirm) -> None:
    f1 = await make_firm(dpd=150)  # defaults on END - 60 days = 2026-05-01
    f2, f3, f4 = await make_firm(), await make_firm(), await make_firm()
    await models.RepaymentHistory.create(
        firm=f3,
        loan_ref="X1",
        due_date=dt.date(2026, 2, 1),
        amount_due=Decimal(1),
        days_past_due=100,
        source="t",
        fetched_at=FETCHED,
    )  # f3 defaults on 2026-05-02, never warned
    await _warning(
        f1, "LOAN_DPD", [("opened", "yellow", "2026-01-10"), ("escalated", "red", "2026-02-01")]
    )
    await _warning(f2, "LEGAL_ACTION", [("opened", "red", "2026-03-01")])  # immature false alarm
    await _warning(f4, "LEGAL_ACTION", [("opened", "blue", "2025-06-01")])  # mature false alarm
    for firm, day, value in [(f1, dt.date(2026, 1, 5), 65.0), (f4, dt.date(2025, 12, 1), 45.0)]:
        await models.IndexSnapshot.create(
            firm_id=firm.id, scan_run_id=0, as_of=day, index_value=value
        )

    report = await run_backtest(horizon_days=180, observation_end=END)

    blue = report.by_severity["blue+"]
    assert (blue.warned, blue.hits, blue.false_alarms, blue.immature) == (3, 1, 2, 1)
    assert (blue.precision, blue.recall, blue.false_alarm_rate) == (0.5, 0.5, 1.0)
    yellow = report.by_severity["yellow+"]
    assert (yellow.precision, yellow.recall, yellow.false_alarm_rate) == (1.0, 0.5, 0.5)
    assert yellow.median_lead_days == 111  # 2026-01-10 -> 2026-05-01
    assert report.by_severity["red+"].median_lead_days == 89  # escalated 2026-02-01
    high = report.by_index["index>=60"]
    assert (high.precision, high.recall, high.false_alarm_rate, high.median_lead_days) == (
        1.0,
        0.5,
        0.0,
        116,
    )
    assert report.by_index["index>=40"].precision == 0.5
    assert report.by_rule["LOAN_DPD"].precision == 1.0
    legal = report.by_rule["LEGAL_ACTION"]
    assert (legal.hits, legal.precision, legal.recall) == (0, 0.0, 0.0)


async def test_weight_proposal_is_accepted_or_rejected_once(
    db: Any, make_firm: MakeFirm, rules: dict[str, Any]
) -> None:
    rules = {k: rules[k] for k in ("LOAN_DPD", "BUREAU_OVERDUE", "LEGAL_ACTION")}
    snapshot_day = dt.date(2026, 1, 1)
    noise = [10.0, 50.0, 30.0, 70.0, 20.0, 60.0, 40.0, 80.0]
    for k in range(16):
        defaulted = k % 2 == 0
        firm = await make_firm(dpd=200 if defaulted else 0)  # default 2026-02-19 when dpd 200
        scores = {"LOAN_DPD": 80.0 + k if defaulted else 10.0 + k, "BUREAU_OVERDUE": noise[k % 8]}
        await models.IndexSnapshot.create(
            firm_id=firm.id,
            scan_run_id=0,
            as_of=snapshot_day,
            index_value=50,
            scores=json.dumps(scores),
        )
    proposal = await propose_weights(
        365, actor=principal("analyst", "risk_analyst"), observation_end=END, rules=rules
    )
    assert proposal.status == "proposed" and proposal.sample_size == 16
    assert proposal.proposed["LOAN_DPD"] > 0.5 > proposal.proposed["LEGAL_ACTION"]
    assert sum(proposal.proposed.values()) == pytest.approx(1.0)
    before = await active_config(rules)
    assert before.weight_version is None

    accepted = await accept_proposal(
        proposal.id, actor=principal("risk_head", "risk_analyst"), note="ok", rules=rules
    )
    assert (accepted.status, accepted.accepted_version, accepted.decided_by) == (
        "accepted",
        1,
        "risk_head",
    )
    after = await active_config(rules)
    assert after.weight_version == 1
    assert after.weights["LOAN_DPD"] == pytest.approx(proposal.proposed["LOAN_DPD"])
    with pytest.raises(Conflict):
        await reject_proposal(proposal.id, actor=principal("someone", "risk_analyst"))

    second = await propose_weights(
        365, actor=principal("analyst", "risk_analyst"), observation_end=END, rules=rules
    )
    rejected = await reject_proposal(
        second.id, actor=principal("risk_head", "risk_analyst"), note="not yet"
    )
    assert rejected.status == "rejected"
    assert (await active_config(rules)).weight_version == 1
    actions = {a.action for a in await models.AuditLog.all()}
    assert {
        "warning_weights.propose",
        "warning_weights.accept",
        "warning_weights.reject",
    } <= actions


async def test_a_proposal_left_computing_by_a_dead_process_is_failed(db: Any) -> None:
    now = dt.datetime.now(dt.UTC)
    old = await models.WeightProposalRecord.create(
        status="computing", proposed={}, current={}, horizon_days=365, author="ana"
    )
    await models.WeightProposalRecord.filter(id=old.id).update(
        created_at=now - dt.timedelta(hours=3)
    )
    recent = await models.WeightProposalRecord.create(
        status="computing", proposed={}, current={}, horizon_days=365, author="bob"
    )
    assert await fail_abandoned_proposals(dt.timedelta(hours=2), now=now) == 1
    old_row = await models.WeightProposalRecord.get(id=old.id)
    assert old_row.status == "failed" and old_row.decided_by == "system"
    assert "abandoned: still computing after 2h" in (old_row.decision_note or "")
    assert (await models.WeightProposalRecord.get(id=recent.id)).status == "computing"
    audited = await models.AuditLog.filter(action="warning_weights.propose_failed").count()
    assert audited == 1

    # A new proposal clears what is stuck first (with the default limit of two hours).
    await models.WeightProposalRecord.filter(id=recent.id).update(
        created_at=now - dt.timedelta(hours=5)
    )
    fresh = await start_proposal(365, actor=principal("ana", "risk_analyst"))
    assert (await models.WeightProposalRecord.get(id=recent.id)).status == "failed"
    assert (await models.WeightProposalRecord.get(id=fresh.id)).status == "computing"
