"""The decision feedback scan raises alerts on seeded decisions, one open per kind and
subject, and the risk manager's answer is recorded (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from compliance_support import NOW, add_application, add_loan, decide, seed_firm, seed_overrides
from helpers import principal

from smecredit import models
from smecredit.domain.errors import InvalidTransition
from smecredit.errors import InvalidInput, NotFound, PermissionDenied
from smecredit.services.decision_feedback import respond_to_alert, scan_decisions
from smecredit.settings import Settings

pytestmark = pytest.mark.anyio

RISK = principal("risk-manager", "risk_analyst")
BOUNDS = "min_sample=4,override_rate_max=0.2"


async def test_the_scan_raises_an_alert_linking_the_decisions(db: Settings) -> None:
    settings = replace(db, decision_feedback_bounds=BOUNDS)
    ids = await seed_overrides("wang", 5, overridden=3)
    await seed_overrides("li", 5, overridden=0)
    summary = await scan_decisions(RISK, settings, now=NOW + dt.timedelta(days=1))
    assert (summary.decisions, summary.raised, summary.refreshed) == (10, 1, 0)
    alert = await models.DecisionAlert.get(id=summary.alert_ids[0])
    assert (alert.kind, alert.subject, alert.status) == ("override_rate", "wang", "open")
    assert (alert.value, alert.bound, alert.sample) == (0.6, 0.2, 5)
    assert alert.application_ids == ids[:3]
    assert await models.AuditLog.filter(
        action="decision_alert.raise", resource=f"DecisionAlert:{alert.id}"
    ).exists()


async def test_a_second_scan_refreshes_the_open_alert_instead_of_raising_another(
    db: Settings,
) -> None:
    settings = replace(db, decision_feedback_bounds=BOUNDS)
    await seed_overrides("wang", 4, overridden=2)
    first = await scan_decisions(RISK, settings, now=NOW)
    await seed_overrides("wang", 2, overridden=2)
    again = await scan_decisions(RISK, settings, now=NOW)
    assert (again.raised, again.refreshed) == (0, 1)
    assert await models.DecisionAlert.all().count() == 1
    alert = await models.DecisionAlert.get(id=first.alert_ids[0])
    assert alert.sample == 6 and len(alert.application_ids) == 4
    # once closed, the next finding raises a new alert
    await respond_to_alert(RISK, alert.id, status="closed", response="override rules tightened")
    third = await scan_decisions(RISK, settings, now=NOW)
    assert third.raised == 1 and third.alert_ids != first.alert_ids


async def test_early_defaults_and_appeals_from_the_book(db: Settings) -> None:
    settings = replace(db, decision_feedback_bounds="min_sample=2,early_default_rate_max=0.3")
    firm = await seed_firm(1)
    defaulted: list[int] = []
    for n in range(3):
        loan = await add_loan(firm, disbursed_on=dt.date(2025, 10, 1))
        app = await add_application(firm, loan=loan, state="active")
        await decide(app, "appeal", "officer", to_state="appealed")
        await decide(app, "approve", "zhao")
        if n < 2:
            await models.ClassificationHistory.create(
                loan=loan,
                as_of=dt.date(2026, 1, 5),
                dpd=95,
                loan_class="substandard",
                stage=3,
                actor="system",
            )
            defaulted.append(app.id)
    summary = await scan_decisions(RISK, settings, now=NOW)
    alerts = {a.kind: a for a in await models.DecisionAlert.filter(id__in=summary.alert_ids)}
    assert alerts["early_default"].subject == "zhao"
    assert alerts["early_default"].application_ids == defaulted
    assert alerts["appeal_upheld"].subject == "book"
    assert alerts["appeal_upheld"].value == 1.0


async def test_decisions_outside_the_window_are_not_read(db: Settings) -> None:
    settings = replace(db, decision_feedback_bounds=BOUNDS + ",window_days=30")
    await seed_overrides("wang", 5, overridden=5)
    summary = await scan_decisions(RISK, settings, now=NOW + dt.timedelta(days=31))
    assert (summary.decisions, summary.raised) == (0, 0)


async def test_answering_an_alert_records_the_response(db: Settings) -> None:
    settings = replace(db, decision_feedback_bounds=BOUNDS)
    await seed_overrides("wang", 4, overridden=4)
    alert_id = (await scan_decisions(RISK, settings, now=NOW)).alert_ids[0]
    with pytest.raises(InvalidInput, match="response"):
        await respond_to_alert(RISK, alert_id, status="acknowledged", response="  ")
    with pytest.raises(InvalidInput, match="status"):
        await respond_to_alert(RISK, alert_id, status="open", response="x")
    with pytest.raises(NotFound):
        await respond_to_alert(RISK, alert_id + 99, status="closed", response="x")
    with pytest.raises(PermissionDenied):
        await respond_to_alert(
            principal("auditor", "compliance_auditor"), alert_id, status="closed", response="x"
        )
    acked = await respond_to_alert(
        RISK,
        alert_id,
        status="acknowledged",
        response="grade overrides now need a second analyst",
        reference="credit-policy v7",
    )
    assert (acked.status, acked.responded_by, acked.response_ref) == (
        "acknowledged",
        "risk-manager",
        "credit-policy v7",
    )
    assert acked.open_key == "override_rate:wang"
    closed = await respond_to_alert(RISK, alert_id, status="closed", response="rate back in band")
    assert closed.status == "closed" and closed.open_key is None
    with pytest.raises(InvalidTransition):
        await respond_to_alert(RISK, alert_id, status="closed", response="again")
    actions = await models.AuditLog.filter(resource=f"DecisionAlert:{alert_id}").values_list(
        "action", flat=True
    )
    assert list(actions) == [
        "decision_alert.raise",
        "decision_alert.acknowledge",
        "decision_alert.close",
    ]


async def test_only_the_risk_side_scans(db: Settings) -> None:
    with pytest.raises(PermissionDenied):
        await scan_decisions(principal("officer", "loan_officer"), db)
