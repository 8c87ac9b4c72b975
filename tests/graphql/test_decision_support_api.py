"""The decision-support view and the policy rules over real HTTP: who may read, who may set."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from decision_seed import REP_NAME, seed_application
from helpers import gql
from strawberry.relay import to_base64

from smecredit import models
from smecredit.settings import Settings

pytestmark = pytest.mark.anyio
Client = Callable[..., Awaitable[httpx.AsyncClient]]

VIEW = """
query($id: ID!) { node(id: $id) { ... on LoanApplication { decisionSupport {
  grade probabilityOfDefault reasons policyRulesVersion hardFailures
  policyChecks { code kind kindLabel outcome outcomeLabel title message evidence source }
  exposure { directBefore directAfter groupBefore groupAfter bankCapital groupShareAfter
    relatedParties { firmName link outstanding sharedPerson { name } } }
  capacity { monthlyInstalment avgMonthlyCashFlow dscr salesCover }
  suggestion { suggestedLimit rateLow rateHigh policyVersion grade limitFactor rule }
  peers { ratio value industryPercentile industryPeers }
  taxedSalesSeries { period value } cashFlowSeries { period value }
} } } }"""
RULES = """query { policyRules { version rules { code kind enabled params defaultParams source
  title } } }"""
VERSIONS = (
    "query { policyRuleVersions(first: 10) { edges { node { id version ruleCode kind "
    "params author note } } } }"
)
SET = """mutation($input: SetPolicyRuleInput!) { setPolicyRule(input: $input) {
  __typename ... on CreditRuleSet { version rules { code kind enabled params } }
  ... on BusinessError { code message } } }"""
GRANT = """mutation($input: GrantPolicyExceptionInput!) { grantPolicyException(input: $input) {
  __typename ... on DecisionOverride { kind decidedValue reason actor }
  ... on BusinessError { code message } } }"""


@pytest.fixture
def app(db: Settings) -> Any:
    from smecredit.app import create_app

    return create_app(dataclasses.replace(db, bank_capital=Decimal("1000000")), manage_db=False)


def _codes(body: dict[str, Any]) -> set[str]:
    """Codes of the top-level errors, and of a mutation's typed error (result unions)."""
    codes = {e.get("extensions", {}).get("code") for e in body.get("errors") or []}
    for answer in (body.get("data") or {}).values():
        if isinstance(answer, dict) and "code" in answer:
            codes.add(answer["code"])
    return codes


def _gid(app_row: models.LoanApplication) -> str:
    return to_base64("LoanApplication", app_row.id)


async def test_an_approver_reads_the_view_and_a_partner_may_not(
    client_for: Client, db: object
) -> None:
    row = await seed_application()
    approver = await client_for("approver", branch="B01", username="appr9")
    body = await gql(approver, VIEW, {"id": _gid(row)})
    assert "errors" not in body, body["errors"]
    view = body["data"]["node"]["decisionSupport"]
    assert view["grade"] == "C" and view["policyRulesVersion"] == 0
    checks = {c["code"]: c for c in view["policyChecks"]}
    assert checks["FIRM_TOO_YOUNG"]["outcome"] == "FAIL"
    assert checks["FIRM_TOO_YOUNG"]["kind"] == "HARD"
    assert checks["FIRM_TOO_YOUNG"]["outcomeLabel"] == "Fail"  # the tests' language: en
    assert checks["FIRM_TOO_YOUNG"]["evidence"] == {"firm_age_months": 7, "min_months": 24}
    assert checks["GROUP_CONCENTRATION"]["outcome"] == "FAIL"  # capital 1m: 42%
    assert view["hardFailures"] == 5
    exposure = view["exposure"]
    assert Decimal(exposure["groupAfter"]) == Decimal("420000")
    assert abs(exposure["groupShareAfter"] - 0.42) < 1e-9
    (related,) = exposure["relatedParties"]
    # the shared representative is personal data: masked for an approver
    assert related["sharedPerson"]["name"] not in (None, REP_NAME)
    assert Decimal(view["suggestion"]["suggestedLimit"]) == Decimal("225000")
    assert "limit factor 0.75" in view["suggestion"]["rule"]
    assert len(view["taxedSalesSeries"]) == 24
    assert {p["ratio"] for p in view["peers"]} == {
        "debt_ratio",
        "current_ratio",
        "net_margin",
        "cash_flow_margin",
    }

    partner = await client_for("partner", branch="B01", username="partner9")
    denied = await gql(partner, VIEW, {"id": _gid(row)})
    assert denied["data"]["node"] == {"decisionSupport": None}
    (error,) = denied["errors"]
    assert error["extensions"] == {
        "code": "FORBIDDEN",
        "field": "LoanApplication.decisionSupport",
    }


async def test_a_viewer_sees_the_checks_but_not_pd_and_reasons(
    client_for: Client, db: object
) -> None:
    row = await seed_application()
    viewer = await client_for("viewer", branch="B01", username="viewer9")
    body = await gql(viewer, VIEW, {"id": _gid(row)})
    view = body["data"]["node"]["decisionSupport"]
    assert view["probabilityOfDefault"] is None and view["reasons"] is None
    assert view["policyChecks"]
    denied = {tuple(e["path"][-1:]) for e in body["errors"]}
    assert denied == {("probabilityOfDefault",), ("reasons",)}


async def test_policy_rules_are_set_by_risk_analysts_and_read_by_the_committee(
    client_for: Client, db: object
) -> None:
    committee = await client_for("credit_committee", username="cc9")
    body = await gql(committee, RULES)
    rules = {r["code"]: r for r in body["data"]["policyRules"]["rules"]}
    assert rules["FIRM_TOO_YOUNG"]["params"] == {"min_months": 24}
    assert rules["FIRM_TOO_YOUNG"]["source"] == "core"

    refused = await gql(
        committee, SET, {"input": {"code": "FIRM_TOO_YOUNG", "note": "n", "enabled": False}}
    )
    assert "FORBIDDEN" in _codes(refused)
    assert not await models.PolicyRuleChange.exists()

    officer = await client_for("loan_officer", username="lo9")
    assert (await gql(officer, RULES))["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    analyst = await client_for("risk_analyst", username="ra9")
    done = await gql(
        analyst,
        SET,
        {"input": {"code": "FIRM_TOO_YOUNG", "note": "start-ups", "params": {"min_months": 6}}},
    )
    answer = done["data"]["setPolicyRule"]
    assert answer["__typename"] == "CreditRuleSet" and answer["version"] == 1
    young = next(r for r in answer["rules"] if r["code"] == "FIRM_TOO_YOUNG")
    assert young["params"] == {"min_months": 6}

    bad = await gql(
        analyst, SET, {"input": {"code": "FIRM_TOO_YOUNG", "note": "x", "params": {"m": 1}}}
    )
    assert bad["data"]["setPolicyRule"]["code"] == "INVALID_POLICY_RULE"
    assert "m" in bad["data"]["setPolicyRule"]["message"]
    unknown = await gql(analyst, SET, {"input": {"code": "NOPE", "note": "x"}})
    assert unknown["data"]["setPolicyRule"]["code"] == "UNKNOWN_POLICY_RULE"

    versions = await gql(committee, VERSIONS)
    (edge,) = versions["data"]["policyRuleVersions"]["edges"]
    assert edge["node"]["ruleCode"] == "FIRM_TOO_YOUNG" and edge["node"]["author"] == "ra9"
    assert await models.AuditLog.filter(action="policy_rule.change").count() == 1
    node = "query($id: ID!) { node(id: $id) { ... on CreditRuleVersion { version ruleCode } } }"
    found = await gql(committee, node, {"id": edge["node"]["id"]})
    assert found["data"]["node"] == {"version": 1, "ruleCode": "FIRM_TOO_YOUNG"}
    hidden = await gql(officer, node, {"id": edge["node"]["id"]})
    assert hidden["data"]["node"] is None  # out of reach answers like missing


async def test_an_approver_grants_an_exception_over_http(client_for: Client, db: object) -> None:
    row = await seed_application()
    approver = await client_for("approver", branch="B01", username="appr9")
    granted = await gql(
        approver,
        GRANT,
        {"input": {"applicationId": _gid(row), "ruleCode": "TAX_ARREARS", "reason": "paid"}},
    )
    answer = granted["data"]["grantPolicyException"]
    assert answer["__typename"] == "DecisionOverride", answer
    assert (answer["kind"], answer["decidedValue"]) == ("POLICY_CHECK", "exception")
    body = await gql(approver, VIEW, {"id": _gid(row)})
    checks = {c["code"]: c for c in body["data"]["node"]["decisionSupport"]["policyChecks"]}
    assert checks["TAX_ARREARS"]["outcome"] == "EXCEPTION"
