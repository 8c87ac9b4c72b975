"""GraphQL of the early warnings: background scan, lifecycle steps, back-test, weights."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from helpers import gql
from strawberry.relay import to_base64
from warnings_support import _fresh_broadcasters, make_firm, rules

from smecredit import models
from smecredit.graphql.warnings.mutations import running_scans

__all__ = ["_fresh_broadcasters", "make_firm", "rules"]

pytestmark = pytest.mark.anyio


async def _scan(client: Any) -> dict[str, Any]:
    body = await gql(client, "mutation { runWarningScan { dbId status scope } }")
    assert "errors" not in body, body
    await asyncio.gather(*running_scans)
    run = body["data"]["runWarningScan"]
    assert (run["status"], run["scope"]) == ("running", "portfolio")
    done = await gql(
        client,
        "query($id: Int!) { warningScanRun(id: $id) { status firmsScanned opened } }",
        {"id": run["dbId"]},
    )
    return dict(done["data"]["warningScanRun"])


async def test_scan_then_work_the_warning_through_its_lifecycle(
    app: Any, client_for: Any, make_firm: Any
) -> None:
    await make_firm(dpd=45, branch="B01")
    analyst = await client_for("risk_analyst", "HQ")
    officer = await client_for("loan_officer", "B01")
    viewer = await client_for("loan_officer", "B02")
    assert (await gql(officer, "mutation { runWarningScan { dbId } }"))["errors"][0]["extensions"][
        "code"
    ] == "FORBIDDEN"
    done = await _scan(analyst)
    assert done["status"] == "finished" and done["firmsScanned"] == 1 and done["opened"] >= 1
    warning = await models.Warning.get(rule_code="LOAN_DPD")
    gid = to_base64("Warning", warning.id)

    hidden = await gql(
        viewer,
        'mutation($id: ID!) { assignWarning(id: $id, assignee: "x") { status } }',
        {"id": gid},
    )
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"  # another branch's warning
    steps = [
        (
            'mutation($id: ID!) { assignWarning(id: $id, assignee: "li.wei") { assignee status } }',
            {"assignee": "li.wei", "status": "OPEN"},
        ),
        (
            "mutation($id: ID!) { startWarningProgress(id: $id) { status } }",
            {"status": "IN_PROGRESS"},
        ),
        (
            'mutation($id: ID!) { commentWarning(id: $id, body: "called the owner") { status } }',
            {"status": "IN_PROGRESS"},
        ),
        ('mutation($id: ID!) { dismissWarning(id: $id, reason: "   ") { status } }', None),
    ]
    for query, expected in steps:
        body = await gql(officer, query, {"id": gid})
        if expected is None:
            assert body["errors"][0]["extensions"]["code"] == "REASON_REQUIRED"
        else:
            assert "errors" not in body, body
            assert next(iter(body["data"].values())) == expected
    kinds = [e.kind for e in await models.WarningEvent.filter(warning_id=warning.id).order_by("id")]
    assert kinds == ["opened", "assigned", "in_progress", "commented"]
    assert (await models.WarningComment.get(warning_id=warning.id)).body == "called the owner"
    assert await models.AuditLog.filter(action="warning.assigned").count() == 1


async def test_backtest_query_and_weight_decisions(
    app: Any, client_for: Any, make_firm: Any
) -> None:
    await make_firm(dpd=120, branch="B01")
    await make_firm(dpd=0, branch="B01")
    analyst = await client_for("risk_analyst", "HQ")
    await _scan(analyst)
    body = await gql(
        analyst,
        "{ warningBacktest(horizonDays: 180) { horizonDays rows { rule kind warned precision recall"
        " falseAlarmRate medianLeadDays } } }",
    )
    assert "errors" not in body, body
    rows = {r["rule"]: r for r in body["data"]["warningBacktest"]["rows"]}
    assert {"blue+", "red+", "index>=60", "LOAN_DPD"} <= set(rows)
    # warned today about a firm that defaulted 30 days ago: warned, but no hit
    assert rows["LOAN_DPD"]["warned"] == 1 and rows["LOAN_DPD"]["recall"] == 0.0

    proposal = await models.WeightProposalRecord.create(
        proposed={"LOAN_DPD": 0.7, "BUREAU_OVERDUE": 0.3},
        current={"LOAN_DPD": 0.5},
        horizon_days=180,
        author="analyst",
    )
    accepted = await gql(
        analyst,
        'mutation($id: Int!) { acceptWeightProposal(id: $id, note: "ok") { status acceptedVersion'
        " weights { indicator current proposed } } }",
        {"id": proposal.id},
    )
    assert "errors" not in accepted, accepted
    data = accepted["data"]["acceptWeightProposal"]
    assert data["status"] == "accepted" and data["acceptedVersion"] == 1
    assert data["weights"][1] == {"indicator": "LOAN_DPD", "current": 0.5, "proposed": 0.7}
    again = await gql(
        analyst,
        "mutation($id: Int!) { rejectWeightProposal(id: $id) { status } }",
        {"id": proposal.id},
    )
    assert again["errors"][0]["extensions"]["code"] == "CONFLICT"


TEXTBOOK = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]
AHP = """mutation($m: [[Float!]!]!, $credit: [[Float!]!]!) {
  setWarningWeightsAhp(
    groups: ["credit", "financial", "fundamentals"], groupMatrix: $m,
    groupMatrices: [
      {group: "credit", labels: ["LOAN_DPD", "BUREAU_OVERDUE", "SCORE_DOWNGRADE"], matrix: $credit},
      {group: "financial", labels: ["DEBT_TO_ASSET"], matrix: [[1]]},
      {group: "fundamentals", labels: ["LEGAL_ACTION"], matrix: [[1]]}
    ]) { version method consistencyRatios weights { indicator current } }
}"""


async def test_weights_and_rule_settings_through_the_api(app: Any, client_for: Any) -> None:
    analyst = await client_for("risk_analyst", "HQ")
    cyclic = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    refused = await gql(analyst, AHP, {"m": TEXTBOOK, "credit": cyclic})
    assert refused["errors"][0]["extensions"]["code"] == "INCONSISTENT_JUDGEMENTS"
    assert "group 'credit'" in refused["errors"][0]["message"]
    body = await gql(analyst, AHP, {"m": TEXTBOOK, "credit": TEXTBOOK})
    assert "errors" not in body, body
    stored = body["data"]["setWarningWeightsAhp"]
    assert stored["version"] == 1 and stored["method"] == "ahp"
    assert stored["consistencyRatios"][0] == pytest.approx(0.033, abs=1e-3)
    weights = {w["indicator"]: w["current"] for w in stored["weights"]}
    assert weights["LOAN_DPD"] == pytest.approx(0.637**2, abs=1e-3)

    configured = await gql(
        analyst,
        'mutation { configureWarningRule(code: "LOAN_DPD", '
        "thresholds: {blue: 1, yellow: 15, orange: 45, red: 90}) }",
    )
    assert configured["data"] == {"configureWarningRule": 1}
    bad = await gql(analyst, 'mutation { configureWarningRule(code: "NOPE", enabled: false) }')
    assert bad["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    officer = await client_for("loan_officer", "B01")
    denied = await gql(
        officer, 'mutation { configureWarningRule(code: "LOAN_DPD", enabled: false) }'
    )
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
