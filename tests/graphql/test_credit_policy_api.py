"""The credit policy over HTTP, what applications return with it, and the PD back-test."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import httpx
import pytest
from backtest_seed import AS_OF, seed_backtest
from helpers import gql
from lending_support import seed_firm, seed_product
from strawberry.relay import to_base64

from smecredit import models
from smecredit.domain.credit_policy import DEFAULT_CREDIT_POLICY
from smecredit.services.scoring import scoring

pytestmark = pytest.mark.anyio

POLICY_FIELDS = """
  version author note revenueCapShare rateCeiling legalRateCeiling
  pricing { lgd fundingRate margin }
  grades { grade limitFactor rateMin rateMax }
"""
READ = "query($v: Int) { creditPolicy(version: $v) { " + POLICY_FIELDS + " } }"
HISTORY = """
query($first: Int, $after: String) {
  creditPolicyHistory(first: $first, after: $after) {
    totalCount edges { node { id version note } } pageInfo { hasNextPage endCursor }
  }
}"""
SET = (
    "mutation($p: CreditPolicyInput!, $note: String!) "
    "{ setCreditPolicy(policy: $p, note: $note) { __typename ... on CreditPolicy { "
    + POLICY_FIELDS
    + " } ... on BusinessError { code message } ... on InvalidCreditPolicy { problems } } }"
)
APPLICATION_SCORE = """
  requestedAmount suggestedLimit priceBandLow priceBandHigh riskBasedRate policyVersion
  policy { version }
  score { grade probabilityOfDefault modelName }
"""
SCORE_APPLICATION = (
    "mutation($firm: ID!, $amount: Decimal!) "
    "{ scoreApplication(firmId: $firm, amount: $amount) { __typename ... on ApplicationScore { "
    + APPLICATION_SCORE
    + " } ... on BusinessError { code message } } }"
)
BACKTEST = """
query($id: ID!, $asOf: Date!, $h: Int!) {
  modelBacktest(modelVersionId: $id, asOf: $asOf, horizonMonths: $h) {
    asOf horizonMonths windowEnd complete count defaults expectedDefaults
    grades { grade count defaults predictedPd observedRate pValue pValueUnderestimated }
  }
}"""


def _codes(body: dict[str, Any]) -> set[str]:
    """Codes of the top-level errors, and of a mutation's typed error (result unions)."""
    codes = {e.get("extensions", {}).get("code") for e in body.get("errors") or []}
    for answer in (body.get("data") or {}).values():
        if isinstance(answer, dict) and "code" in answer and "__typename" in answer:
            codes.add(answer["code"])
    return codes


def _policy_input(**change: Any) -> dict[str, Any]:
    data = DEFAULT_CREDIT_POLICY.to_json()
    grades = [
        {
            "grade": g["grade"],
            "limitFactor": g["limit_factor"],
            "rateMin": g["rate_min"],
            "rateMax": g["rate_max"],
        }
        for g in data["grades"]
    ]
    pricing = data["pricing"]
    return {
        "grades": grades,
        "revenueCapShare": data["revenue_cap_share"],
        "rateCeiling": data["rate_ceiling"],
        "pricing": {
            "lgd": pricing["lgd"],
            "fundingRate": pricing["funding_rate"],
            "margin": pricing["margin"],
        },
        **change,
    }


class FixedPd:
    """A scoring model whose artefact is the PD it predicts for every firm."""

    name = "fixed"
    description = "fixed PD (tests)"
    version = "1"

    def predict_proba(self, artefact: bytes, X: Sequence[Mapping[str, Any]]) -> list[float]:
        return [float(artefact.decode())] * len(X)

    def explain(self, artefact: bytes, X: Sequence[Mapping[str, Any]], top_n: int) -> list[Any]:
        return [[] for _ in X]


async def _fixed_champion(app: Any, pd: float) -> None:
    app.state.plugins.scoring_models["fixed"] = FixedPd()
    scoring.clear_version_cache()
    await models.ModelVersion.create(
        name="fixed",
        version="v1",
        status="champion",
        artefact=str(pd).encode(),
        calibration={"a": 1.0, "b": 0.0},
        training_fingerprint="0" * 64,
        created_by="test",
    )


async def test_read_change_and_audit_the_policy(
    db: object, client_for: Callable[..., Awaitable[httpx.AsyncClient]]
) -> None:
    analyst = await client_for("risk_analyst")
    officer = await client_for("loan_officer", "B01")

    body = await gql(officer, READ, {"v": None})
    assert "errors" not in body, body
    built_in = body["data"]["creditPolicy"]
    assert built_in["version"] == 0 and built_in["author"] == "system"
    assert [g["grade"] for g in built_in["grades"]] == list("ABCDEFG")
    assert built_in["grades"][3] == {
        "grade": "D",
        "limitFactor": "0.60",
        "rateMin": "0.0700",
        "rateMax": "0.0900",
    }
    assert (built_in["rateCeiling"], built_in["legalRateCeiling"]) == ("0.15", "0.36")
    assert built_in["pricing"] == {"lgd": "0.45", "fundingRate": "0.020", "margin": "0.015"}

    wider = _policy_input(rateCeiling="0.24", pricing=None)
    wider["grades"][6] = {"grade": "G", "limitFactor": "0", "rateMin": "0.15", "rateMax": "0.24"}
    body = await gql(analyst, SET, {"p": wider, "note": "price grade G up to 24%"})
    assert "errors" not in body, body
    stored = body["data"]["setCreditPolicy"]
    assert stored["version"] == 1 and stored["note"] == "price grade G up to 24%"
    assert stored["pricing"] is None and stored["grades"][6]["rateMax"] == "0.24"
    assert stored["author"] == analyst.username  # type: ignore[attr-defined]

    body = await gql(officer, READ, {"v": None})
    assert body["data"]["creditPolicy"]["version"] == 1
    body = await gql(officer, READ, {"v": 0})
    assert body["data"]["creditPolicy"] == built_in
    body = await gql(officer, READ, {"v": 7})
    assert body["data"]["creditPolicy"] is None
    body = await gql(analyst, HISTORY)
    history = body["data"]["creditPolicyHistory"]
    assert [e["node"]["version"] for e in history["edges"]] == [1, 0]
    assert history["totalCount"] == 2 and not history["pageInfo"]["hasNextPage"]
    page = (await gql(analyst, HISTORY, {"first": 1}))["data"]["creditPolicyHistory"]
    assert [e["node"]["version"] for e in page["edges"]] == [1]
    assert page["pageInfo"]["hasNextPage"]
    after = {"first": 1, "after": page["pageInfo"]["endCursor"]}
    rest = (await gql(analyst, HISTORY, after))["data"]["creditPolicyHistory"]
    assert [e["node"]["version"] for e in rest["edges"]] == [0]
    assert not rest["pageInfo"]["hasNextPage"]
    after = {"first": 1, "after": rest["pageInfo"]["endCursor"]}
    empty = (await gql(analyst, HISTORY, after))["data"]["creditPolicyHistory"]
    assert empty["edges"] == [] and not empty["pageInfo"]["hasNextPage"]
    node = await gql(
        officer,
        "query($id: ID!) { node(id: $id) { ... on CreditPolicy { version note } } }",
        {"id": history["edges"][0]["node"]["id"]},
    )
    assert node["data"]["node"] == {"version": 1, "note": "price grade G up to 24%"}
    viewer = await client_for("viewer", "B01")
    node = await gql(
        viewer,
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": history["edges"][0]["node"]["id"]},
    )
    assert node["data"]["node"] is None  # who may not read the policy: as if missing

    actions = set(await models.AuditLog.all().values_list("action", flat=True))
    assert {"credit_policy.change", "mutation.setCreditPolicy"} <= actions

    body = await gql(officer, SET, {"p": _policy_input(), "note": "mine"})
    assert _codes(body) == {"FORBIDDEN"}
    for role in ("partner", "viewer"):
        body = await gql(await client_for(role, "B01"), READ, {"v": None})
        assert _codes(body) == {"FORBIDDEN"}, role
    assert await models.CreditPolicyVersion.all().count() == 1


async def test_invalid_policies_are_refused_with_every_problem(
    db: object, client_for: Callable[..., Awaitable[httpx.AsyncClient]]
) -> None:
    analyst = await client_for("risk_analyst")
    bad = _policy_input(revenueCapShare="1.5")
    bad["grades"] = bad["grades"][:-1]  # no G
    bad["grades"][1] = {"grade": "B", "limitFactor": "1.2", "rateMin": "0.06", "rateMax": "0.05"}
    bad["grades"][2] = {"grade": "C", "limitFactor": "0.7", "rateMin": "0.05", "rateMax": "0.4"}
    body = await gql(analyst, SET, {"p": bad, "note": "all wrong"})
    assert _codes(body) == {"INVALID_CREDIT_POLICY"}
    refusal = body["data"]["setCreditPolicy"]
    assert refusal["__typename"] == "InvalidCreditPolicy"
    problems = refusal["problems"]
    assert len(problems) == 5, problems
    text = " | ".join(problems)
    for expected in (
        "revenue cap share must lie in [0, 1], got 1.5",
        "grade(s) G of the master scale have no terms",
        "grade B: limit factor must lie in [0, 1], got 1.2",
        "grade B: rate_min 0.06 is above rate_max 0.05",
        "grade C: rate_max must lie in [0, 0.15], got 0.4",
    ):
        assert expected in text

    twice = _policy_input()
    twice["grades"].append(twice["grades"][0])
    body = await gql(analyst, SET, {"p": twice, "note": "twice"})
    assert _codes(body) == {"INVALID_CREDIT_POLICY"} and "appears twice" in str(body["data"])
    body = await gql(analyst, SET, {"p": _policy_input(rateCeiling="0.5"), "note": "usury"})
    assert "at most 0.36" in str(body)
    body = await gql(analyst, SET, {"p": _policy_input(), "note": " "})
    assert _codes(body) == {"REASON_REQUIRED"}
    assert await models.CreditPolicyVersion.all().count() == 0


async def test_applications_return_their_score_limit_and_band(
    db: object, app: Any, client_for: Callable[..., Awaitable[httpx.AsyncClient]]
) -> None:
    await seed_product()
    firm = await seed_firm(1, branch="B01")
    await models.FinancialStatement.filter(firm_id=firm.id).update(revenue=Decimal("800000"))
    officer = await client_for("loan_officer", "B01")
    firm_gid = to_base64("Firm", firm.id)
    await _fixed_champion(app, 0.06)  # grade E: factor 0.40, band 9%-11%

    body = await gql(officer, SCORE_APPLICATION, {"firm": firm_gid, "amount": "300000"})
    assert "errors" not in body, body
    scored = body["data"]["scoreApplication"]
    assert scored["score"]["grade"] == "E" and scored["score"]["modelName"] == "fixed"
    assert scored["suggestedLimit"] == "96000.00"  # min(300k, 30% of 800k) x 0.40
    assert (scored["priceBandLow"], scored["priceBandHigh"]) == ("0.090000", "0.110000")
    assert scored["riskBasedRate"] == "0.062000"  # 2% + 1.5% + 6% x 45%
    assert scored["policyVersion"] == 0 and scored["policy"] == {"version": 0}

    create = await gql(
        officer,
        "mutation($input: CreateApplicationInput!) { r: createApplication(input: $input) "
        "{ ... on LoanApplication { id score { policyVersion } } } }",
        {
            "input": {
                "firmId": firm_gid,
                "productCode": "SME-WC",
                "amount": "200000.00",
                "termMonths": 12,
                "annualRate": "0.10",
                "repaymentMethod": "EQUAL_PRINCIPAL",
            }
        },
    )
    application = create["data"]["r"]
    assert application["score"] is None  # drafts are not scored
    body = await gql(
        officer,
        "mutation($id: ID!) { r: submitApplication(id: $id) { ... on LoanApplication { status "
        "score { " + APPLICATION_SCORE + " } } } }",
        {"id": application["id"]},
    )
    assert "errors" not in body, body
    submitted = body["data"]["r"]
    assert submitted["status"] == "SUBMITTED"
    assert submitted["score"]["requestedAmount"] == "200000.00"
    assert submitted["score"]["suggestedLimit"] == "80000.00"  # min(200k, 240k) x 0.40
    assert submitted["score"]["score"]["grade"] == "E"
    stored = await models.ApplicationScoreRecord.filter(application_id__isnull=False).count()
    assert stored == 1

    # a partner (a maker too) never sees an application's score
    partner = await client_for("partner", "B01")
    query = (
        "query($id: ID!) { node(id: $id) { __typename ... on LoanApplication { score { %s } } } }"
    )
    body = await gql(partner, query.replace("%s", "policyVersion"), {"id": application["id"]})
    assert body["data"]["node"] == {"__typename": "LoanApplication", "score": None}
    assert [e["extensions"]["field"] for e in body["errors"]] == ["LoanApplication.score"]


async def test_pd_backtest_query(
    db: object,
    client: httpx.AsyncClient,
    client_for: Callable[..., Awaitable[httpx.AsyncClient]],
) -> None:
    version = await seed_backtest()
    vid = to_base64("ModelVersion", version.id)
    body = await gql(client, BACKTEST, {"id": vid, "asOf": AS_OF.isoformat(), "h": 12})
    assert "errors" not in body, body
    report = body["data"]["modelBacktest"]
    assert (report["count"], report["defaults"], report["windowEnd"]) == (20, 5, "2026-01-31")
    assert report["complete"] is True
    assert report["expectedDefaults"] == pytest.approx(2.1)
    assert [(g["grade"], g["count"], g["defaults"]) for g in report["grades"]] == [
        ("LOW", 10, 1),
        ("HIGH", 10, 4),
    ]
    assert report["grades"][1]["observedRate"] == pytest.approx(0.4)

    body = await gql(client, BACKTEST, {"id": vid, "asOf": AS_OF.isoformat(), "h": 0})
    assert _codes(body) == {"INVALID_INPUT"}
    missing = to_base64("ModelVersion", version.id + 100)
    body = await gql(client, BACKTEST, {"id": missing, "asOf": AS_OF.isoformat(), "h": 12})
    assert _codes(body) == {"NOT_FOUND"}
    for role in ("viewer", "partner"):
        body = await gql(
            await client_for(role), BACKTEST, {"id": vid, "asOf": AS_OF.isoformat(), "h": 12}
        )
        assert _codes(body) == {"FORBIDDEN"}, role
