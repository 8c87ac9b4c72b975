"""Compliance runs and decision alerts over real HTTP: run, follow, read, answer, refuse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from compliance_support import add_loan, seed_firm, seed_overrides, seed_product
from conftest import authenticated_client
from helpers import gql
from jobs_support import settle
from strawberry.relay import GlobalID

from smecredit import models
from smecredit.settings import Settings

pytestmark = pytest.mark.anyio

RUN = (
    "mutation { runComplianceChecks { __typename ... on ComplianceRun { id status startedBy }"
    " ... on BusinessError { code message } } }"
)
READ = (
    "query($id: ID!) { complianceRun(id: $id) { status statusLabel overallScore finishedAt"
    " results { checkCode titleZh titleEn status statusLabel weight score message evidence"
    " offending } } }"
)
RUNS = "{ complianceRuns(first: 5) { totalCount edges { node { id status overallScore } } } }"
CHECKS = "{ complianceChecks { code titleZh titleEn weight method group } }"
SCAN = (
    "mutation { runDecisionFeedback { __typename ... on DecisionFeedbackPayload { decisions"
    " raised refreshed alerts { id kind subject value } } ... on BusinessError { code } } }"
)
ALERTS = (
    "query($f: DecisionAlertFilter) { decisionAlerts(first: 10, filter: $f) { edges { node {"
    " id kind kindLabel subject value bound sample status statusLabel } } } }"
)
ALERT = (
    "query($id: ID!) { decisionAlert(id: $id) { kind subject status response responseRef"
    " respondedBy decisions { applicationId status riskGrade branchCode } } }"
)
RESPOND = (
    "mutation($input: RespondToDecisionAlertInput!) { respondToDecisionAlert(input: $input) {"
    " __typename ... on DecisionAlert { id status response responseRef respondedBy }"
    " ... on BusinessError { code message } } }"
)


def _code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


async def test_a_compliance_run_over_http(db: Any, client_for: Any) -> None:
    await seed_product()
    firm = await seed_firm(1)
    bad = await add_loan(firm, rate="0.30")
    auditor = await client_for("compliance_auditor")
    started = await gql(auditor, RUN)
    run = started["data"]["runComplianceChecks"]
    assert run["__typename"] == "ComplianceRun", started
    await settle(auditor)
    body = await gql(auditor, READ, {"id": run["id"]})
    done = body["data"]["complianceRun"]
    assert done["status"] == "SUCCEEDED" and done["finishedAt"]
    assert 0 <= done["overallScore"] <= 100
    results = {r["checkCode"]: r for r in done["results"]}
    pricing = results["pricing_within_product"]
    assert (pricing["status"], pricing["statusLabel"]) == ("FAIL", "Fail")
    assert pricing["evidence"] == [f"Loan:{bad.id}"] and pricing["offending"] == 1
    assert pricing["titleZh"] == "贷款利率在产品定价区间内"
    assert results["backup_age"]["status"] == "NOT_APPLICABLE"
    assert results["backup_age"]["score"] is None
    job = await models.Job.get(kind="compliance_check")
    assert (job.state, job.started_by) == ("succeeded", auditor.username)
    history = (await gql(auditor, RUNS))["data"]["complianceRuns"]
    assert history["totalCount"] == 1 and history["edges"][0]["node"]["id"] == run["id"]
    node = await gql(auditor, "query($id: ID!) { node(id: $id) { id } }", {"id": run["id"]})
    assert node["data"]["node"] == {"id": run["id"]}


async def test_the_catalogue_names_every_check_in_both_languages(db: Any, client_for: Any) -> None:
    analyst = await client_for("risk_analyst")
    checks = (await gql(analyst, CHECKS))["data"]["complianceChecks"]
    assert len(checks) == 11
    assert all(c["titleZh"] and c["titleEn"] and c["weight"] > 0 and c["method"] for c in checks)


async def test_roles_outside_compliance_are_refused(db: Any, client_for: Any) -> None:
    officer = await client_for("loan_officer", "B01")
    refused = await gql(officer, RUN)
    assert refused["data"]["runComplianceChecks"]["code"] == "FORBIDDEN"
    assert _code(await gql(officer, RUNS)) == "FORBIDDEN"
    assert _code(await gql(officer, CHECKS)) == "FORBIDDEN"
    assert not await models.ComplianceRun.exists()
    auditor = await client_for("compliance_auditor")
    assert "errors" not in await gql(auditor, RUNS)
    # a run id read by a caller who may not view runs answers as a missing object
    run = (await gql(auditor, RUN))["data"]["runComplianceChecks"]
    await settle(auditor)
    node = await gql(officer, "query($id: ID!) { node(id: $id) { id } }", {"id": run["id"]})
    assert node["data"]["node"] is None


@pytest.fixture
async def feedback_client_for(db: Settings) -> AsyncIterator[Any]:
    """``client_for`` on an app whose bounds judge three decisions, over a long window."""
    from smecredit.app import create_app

    bounds = "min_sample=3,window_days=36500"
    app = create_app(replace(db, decision_feedback_bounds=bounds), manage_db=False)
    made: list[Any] = []

    async def make(role: str, branch: str = "HQ") -> Any:
        made.append(await authenticated_client(app, role, branch))
        return made[-1]

    async with app.router.lifespan_context(app):
        yield make
        for c in made:
            await c.aclose()


async def test_decision_alerts_reach_the_risk_manager_and_record_the_answer(
    feedback_client_for: Any,
) -> None:
    client_for = feedback_client_for
    await seed_overrides("wang", 3, overridden=3)
    risk = await client_for("risk_analyst")
    scan = (await gql(risk, SCAN))["data"]["runDecisionFeedback"]
    if scan["__typename"] != "DecisionFeedbackPayload":
        pytest.fail(f"scan refused: {scan}")
    assert (scan["raised"], scan["decisions"]) == (1, 3)
    alert_id = scan["alerts"][0]["id"]
    listed = (await gql(risk, ALERTS, {"f": {"status": "OPEN"}}))["data"]["decisionAlerts"]
    node = listed["edges"][0]["node"]
    assert (node["kind"], node["subject"], node["value"], node["status"]) == (
        "OVERRIDE_RATE",
        "wang",
        1.0,
        "OPEN",
    )
    assert node["kindLabel"] == "Approver override rate too high"
    committee = await client_for("credit_committee")
    detail = (await gql(committee, ALERT, {"id": alert_id}))["data"]["decisionAlert"]
    assert len(detail["decisions"]) == 3
    assert all(d["applicationId"] and d["status"] == "APPROVED" for d in detail["decisions"])

    answer = {"alertId": alert_id, "status": "ACKNOWLEDGED", "response": "  "}
    empty = (await gql(risk, RESPOND, {"input": answer}))["data"]["respondToDecisionAlert"]
    assert empty["code"] == "INVALID_INPUT" and "response" in empty["message"]
    answer.update(response="grade overrides need a second analyst", reference="policy v7")
    done = (await gql(risk, RESPOND, {"input": answer}))["data"]["respondToDecisionAlert"]
    assert (done["status"], done["responseRef"], done["respondedBy"]) == (
        "ACKNOWLEDGED",
        "policy v7",
        risk.username,
    )
    auditor = await client_for("compliance_auditor")
    read = (await gql(auditor, ALERT, {"id": alert_id}))["data"]["decisionAlert"]
    assert read["response"] == "grade overrides need a second analyst"
    refused = (await gql(auditor, RESPOND, {"input": answer}))["data"]["respondToDecisionAlert"]
    assert refused["code"] == "FORBIDDEN"
    officer = await client_for("loan_officer", "B01")
    assert _code(await gql(officer, ALERTS)) == "FORBIDDEN"
    assert (await gql(officer, SCAN))["data"]["runDecisionFeedback"]["code"] == "FORBIDDEN"
    unknown = str(GlobalID("DecisionAlert", "999999"))
    missing = await gql(risk, RESPOND, {"input": {**answer, "alertId": unknown}})
    assert missing["data"]["respondToDecisionAlert"]["code"] == "ALERT_NOT_FOUND"
