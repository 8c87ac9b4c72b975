"""GraphQL of the warnings: background scan, lifecycle steps, back-test, weights."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import gql
from jobs_support import settle
from results_support import answer, on_typed, refusal
from strawberry.relay import to_base64
from warnings_support import ZH, _fresh_broadcasters, make_firm, rules

from smecredit import models

__all__ = ["_fresh_broadcasters", "make_firm", "rules"]

pytestmark = pytest.mark.anyio

SCAN = "mutation { runWarningScan " + on_typed("WarningScanRun", "id status scope") + " }"


async def _scan(client: Any) -> dict[str, Any]:
    run = answer(await gql(client, SCAN), "runWarningScan")
    await settle(client)
    assert (run["status"], run["scope"]) == ("RUNNING", "PORTFOLIO")
    done = await gql(
        client,
        "query($id: ID!) { warningScanRun(id: $id) { id status statusLabel firmsScanned opened } }",
        {"id": run["id"]},
    )
    assert "errors" not in done, done
    assert done["data"]["warningScanRun"]["id"] == run["id"]
    return dict(done["data"]["warningScanRun"])


async def test_scan_then_work_the_warning_through_its_lifecycle(
    app: Any, client_for: Any, make_firm: Any
) -> None:
    await make_firm(dpd=45, branch="B01")
    analyst = await client_for("risk_analyst", "HQ")
    officer = await client_for("loan_officer", "B01")
    viewer = await client_for("loan_officer", "B02")
    denied = refusal(await gql(officer, SCAN), "runWarningScan")
    assert (denied["__typename"], denied["code"]) == ("Forbidden", "FORBIDDEN")
    done = await _scan(analyst)
    assert done["status"] == "FINISHED" and done["firmsScanned"] == 1 and done["opened"] >= 1
    assert done["statusLabel"] == "Finished"
    warning = await models.Warning.get(rule_code="LOAN_DPD")
    gid = to_base64("Warning", warning.id)

    hidden = await gql(
        viewer,
        'mutation($id: ID!) { assignWarning(id: $id, assignee: "x") '
        + on_typed("Warning", "status")
        + " }",
        {"id": gid},
    )
    missing = refusal(hidden, "assignWarning")  # another branch's warning
    assert (missing["__typename"], missing["code"]) == ("NotFoundError", "NOT_FOUND")
    steps = [
        (
            'mutation($id: ID!) { assignWarning(id: $id, assignee: "li.wei") '
            + on_typed("Warning", "assignee status")
            + " }",
            {"__typename": "Warning", "assignee": "li.wei", "status": "OPEN"},
        ),
        (
            "mutation($id: ID!) { startWarningProgress(id: $id) "
            + on_typed("Warning", "status statusLabel")
            + " }",
            {"__typename": "Warning", "status": "IN_PROGRESS", "statusLabel": "In progress"},
        ),
        (
            'mutation($id: ID!) { commentWarning(id: $id, body: "called the owner") '
            + on_typed("Warning", "status")
            + " }",
            {"__typename": "Warning", "status": "IN_PROGRESS"},
        ),
        (
            'mutation($id: ID!) { dismissWarning(id: $id, reason: "   ") '
            + on_typed("Warning", "status")
            + " }",
            None,
        ),
    ]
    for query, expected in steps:
        body = await gql(officer, query, {"id": gid})
        assert "errors" not in body, body
        data = next(iter(body["data"].values()))
        if expected is None:
            assert (data["__typename"], data["code"]) == ("ReasonRequired", "REASON_REQUIRED")
        else:
            assert data == expected
    kinds = [e.kind for e in await models.WarningEvent.filter(warning_id=warning.id).order_by("id")]
    assert kinds == ["opened", "assigned", "in_progress", "commented"]
    assert (await models.WarningComment.get(warning_id=warning.id)).body == "called the owner"
    assert await models.AuditLog.filter(action="warning.assigned").count() == 1


async def test_labels_messages_and_rule_names_follow_the_callers_language(
    app: Any, client_for: Any, make_firm: Any
) -> None:
    await make_firm(dpd=45, branch="B01")
    analyst = await client_for("risk_analyst", "HQ")
    await _scan(analyst)
    warning = await models.Warning.get(rule_code="LOAN_DPD")
    query = (
        "query($id: ID!) { warning(id: $id) { severity severityLabel status statusLabel "
        "ruleName message history { edges { node { kind kindLabel } } } } }"
    )
    variables = {"id": to_base64("Warning", warning.id)}
    en = (await gql(analyst, query, variables))["data"]["warning"]
    zh_body = await gql(analyst, query, variables, **ZH)
    assert "errors" not in zh_body, zh_body
    zh = zh_body["data"]["warning"]
    assert (en["statusLabel"], zh["statusLabel"]) == ("Open", "待处理")
    assert en["severityLabel"] == en["severity"].capitalize()
    assert zh["severityLabel"].endswith("色")
    assert en["ruleName"] != zh["ruleName"] and "逾期" in zh["ruleName"]
    assert "45 days past due" in en["message"]
    assert "逾期45天" in zh["message"] and zh["severityLabel"] in zh["message"]
    assert [e["node"]["kindLabel"] for e in zh["history"]["edges"]] == ["新发"]
    rules = await gql(analyst, "{ warningRules { code name label } }", **ZH)
    dpd = next(r for r in rules["data"]["warningRules"] if r["code"] == "LOAN_DPD")
    assert dpd["label"] == zh["ruleName"] and dpd["name"] == en["ruleName"]


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
    pid = to_base64("WeightProposal", proposal.id)
    accepted = await gql(
        analyst,
        'mutation($id: ID!) { acceptWeightProposal(id: $id, note: "ok") '
        + on_typed(
            "WeightProposal", "id status acceptedVersion weights { indicator current proposed }"
        )
        + " }",
        {"id": pid},
    )
    data = answer(accepted, "acceptWeightProposal")
    assert data["id"] == pid and data["status"] == "ACCEPTED" and data["acceptedVersion"] == 1
    assert data["weights"][1] == {"indicator": "LOAN_DPD", "current": 0.5, "proposed": 0.7}
    again = await gql(
        analyst,
        "mutation($id: ID!) { rejectWeightProposal(id: $id) "
        + on_typed("WeightProposal", "status")
        + " }",
        {"id": pid},
    )
    conflict = refusal(again, "rejectWeightProposal")
    assert (conflict["__typename"], conflict["code"]) == ("Conflict", "CONFLICT")


TEXTBOOK = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]
AHP = (
    """mutation($m: [[Float!]!]!, $credit: [[Float!]!]!) {
  setWarningWeightsAhp(
    groups: ["credit", "financial", "fundamentals"], groupMatrix: $m,
    groupMatrices: [
      {group: "credit", labels: ["LOAN_DPD", "BUREAU_OVERDUE", "SCORE_DOWNGRADE"], matrix: $credit},
      {group: "financial", labels: ["DEBT_TO_ASSET"], matrix: [[1]]},
      {group: "fundamentals", labels: ["LEGAL_ACTION"], matrix: [[1]]}
    ]) """
    + on_typed(
        "WarningWeightSet",
        "id version method methodLabel consistencyRatios weights { indicator current }",
    )
    + " }"
)
CONFIGURE = (
    'mutation { configureWarningRule(code: "LOAN_DPD", '
    "thresholds: {blue: 1, yellow: 15, orange: 45, red: 90}) "
    + on_typed("WarningRule", "code setting { version enabled thresholds { blue red } }")
    + " }"
)


async def test_weights_and_rule_settings_through_the_api(app: Any, client_for: Any) -> None:
    analyst = await client_for("risk_analyst", "HQ")
    cyclic = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    refused = refusal(
        await gql(analyst, AHP, {"m": TEXTBOOK, "credit": cyclic}), "setWarningWeightsAhp"
    )
    assert refused["code"] == "INCONSISTENT_JUDGEMENTS"
    assert "group 'credit'" in refused["detail"] and "CR = " in refused["detail"]
    zh = refusal(
        await gql(
            analyst,
            AHP,
            {"m": TEXTBOOK, "credit": cyclic},
            **ZH,
        ),
        "setWarningWeightsAhp",
    )
    assert zh["message"].startswith("credit 的两两比较判断不一致") and "CR = " in zh["message"]
    body = await gql(analyst, AHP, {"m": TEXTBOOK, "credit": TEXTBOOK})
    stored = answer(body, "setWarningWeightsAhp")
    assert stored["version"] == 1 and stored["method"] == "AHP"
    assert stored["methodLabel"] == "Analytic hierarchy process"
    assert stored["consistencyRatios"][0] == pytest.approx(0.033, abs=1e-3)
    weights = {w["indicator"]: w["current"] for w in stored["weights"]}
    assert weights["LOAN_DPD"] == pytest.approx(0.637**2, abs=1e-3)
    node = await gql(
        analyst,
        "query($id: ID!) { node(id: $id) { ... on WarningWeightSet { version } } }",
        {"id": stored["id"]},
    )
    assert node["data"]["node"] == {"version": 1}

    configured = answer(await gql(analyst, CONFIGURE), "configureWarningRule")
    assert configured["code"] == "LOAN_DPD"
    assert configured["setting"] == {
        "version": 1,
        "enabled": True,
        "thresholds": {"blue": 1.0, "red": 90.0},
    }
    bad = await gql(
        analyst,
        'mutation { configureWarningRule(code: "NOPE", enabled: false) '
        + on_typed("WarningRule", "code")
        + " }",
    )
    assert refusal(bad, "configureWarningRule")["code"] == "NOT_FOUND"
    officer = await client_for("loan_officer", "B01")
    denied = await gql(officer, CONFIGURE)
    assert refusal(denied, "configureWarningRule")["code"] == "FORBIDDEN"


async def test_the_list_filters_by_the_firms_branch(
    app: Any, client_for: Any, make_firm: Any
) -> None:
    await make_firm(dpd=45, branch="B01")
    await make_firm(dpd=45, branch="B02")
    analyst = await client_for("risk_analyst", "HQ")
    await _scan(analyst)
    query = (
        'query($b: String) { warnings(filter: {branchCode: $b, ruleCode: "LOAN_DPD"}) '
        "{ totalCount edges { node { firm { branchCode } } } } }"
    )
    every = await gql(analyst, query, {"b": None})
    assert every["data"]["warnings"]["totalCount"] == 2, every
    one = await gql(analyst, query, {"b": "B02"})
    assert "errors" not in one, one
    nodes = one["data"]["warnings"]["edges"]
    assert [n["node"]["firm"]["branchCode"] for n in nodes] == ["B02"]
