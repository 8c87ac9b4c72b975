"""Fresh data in GraphQL, over HTTP: data sources and their settings schema (administrators
only), validated settings at startSync, and the refresh job a sync leaves."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import gql
from ingestion_support import ListSource
from smecredit_source_synthetic.generator import generate_portfolio
from strawberry.relay import from_base64

from smecredit.services.ingestion.sync import run_sync

pytestmark = pytest.mark.anyio

SOURCES = "{ dataSources { name incremental needsConsent recordKinds schedule nextSince } }"


async def test_an_administrator_reads_each_source_with_its_settings_schema(client: Any) -> None:
    body = await gql(client, "{ dataSources { name settingsSchema incremental } }")
    assert "errors" not in body, body
    sources = {s["name"]: s for s in body["data"]["dataSources"]}
    schema = sources["synthetic"]["settingsSchema"]
    assert schema["type"] == "object" and "n_firms" in schema["properties"]
    assert sources["synthetic"]["incremental"] is False
    zh = await gql(
        client,
        "{ dataSources { name recordKinds recordKindLabels } }",
        **{"Accept-Language": "zh-CN"},
    )
    synthetic = next(s for s in zh["data"]["dataSources"] if s["name"] == "synthetic")
    labels = dict(zip(synthetic["recordKinds"], synthetic["recordKindLabels"], strict=True))
    assert labels["firm"] == "企业" and labels["tax_record"] == "纳税记录"


@pytest.mark.parametrize("role", ["viewer", "loan_officer", "risk_analyst"])
async def test_other_roles_see_the_sources_but_not_their_settings_schema(
    client_for: Any, role: str
) -> None:
    caller = await client_for(role, "HZ01")
    listed = await gql(caller, SOURCES)
    assert "errors" not in listed, listed
    assert "synthetic" in {s["name"] for s in listed["data"]["dataSources"]}
    denied = await gql(caller, "{ dataSources { name settingsSchema } }")
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "settingsSchema" in denied["errors"][0]["path"]


async def test_a_partner_sees_no_data_source(client_for: Any) -> None:
    partner = await client_for("partner", "HZ01")
    body = await gql(partner, "{ dataSources { name } }")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_start_sync_refuses_bad_settings_naming_the_setting(client: Any) -> None:
    body = await gql(
        client,
        'mutation { startSync(source: "synthetic", settings: {n_firms: "many"}) '
        "{ __typename ... on BusinessError { code message detail } } }",
    )
    error = body["data"]["startSync"]
    assert error["code"] == "INVALID_SETTINGS"
    assert "n_firms" in error["message"] and "integer" in error["detail"]
    runs = await gql(client, "{ syncRuns { totalCount edges { node { id } } } }")
    assert runs["data"]["syncRuns"] == {"totalCount": 0, "edges": []}


async def test_a_sync_run_shows_its_refresh_job(client: Any, client_for: Any) -> None:
    firms = [r for k, r in generate_portfolio(3, seed=70) if k == "firm"]
    result = await run_sync(ListSource([("firm", f) for f in firms]))
    assert result.refresh_status == "succeeded"
    again = await run_sync(ListSource([("firm", f) for f in firms]))  # nothing new
    query = """{ syncRuns(filter: {source: "listed"}) { edges { node { id refreshJob {
        id status statusLabel firms scored scoreSkipped scanRunId finishedAt } } } } }"""
    body = await gql(client, query)
    assert "errors" not in body, body
    newest, oldest = (e["node"] for e in body["data"]["syncRuns"]["edges"])
    assert newest["refreshJob"] is None and again.refresh_job_id is None
    job = oldest["refreshJob"]
    assert (job["status"], job["firms"], job["scored"]) == ("SUCCEEDED", 3, 0)
    assert job["statusLabel"] == "Succeeded"
    assert "champion" in job["scoreSkipped"] and job["scanRunId"] and job["finishedAt"]
    assert from_base64(job["scanRunId"])[0] == "WarningScanRun"
    node = await gql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": job["id"]})
    assert node["data"]["node"] == {"id": job["id"]}
    partner = await client_for("partner", "HZ01")
    refused = await gql(partner, query)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_imputed_value_says_so_over_http(client: Any) -> None:
    firm = next(r for k, r in generate_portfolio(1, seed=71) if k == "firm")
    instalment = {
        "firm_uscc": firm["uscc"], "loan_ref": "EXT-9", "due_date": "2026-01-31",
        "paid_date": None, "amount_due": "1000.00", "amount_paid": None, "days_past_due": 3,
        "source": "listed", "fetched_at": "2026-02-03T00:00:00+08:00",
    }  # fmt: skip
    kinds = ("firm", "repayment_history")
    await run_sync(ListSource([("firm", firm), ("repayment_history", instalment)], kinds=kinds))
    body = await gql(
        client,
        "query($u: String!) { firmByUscc(uscc: $u) { registeredCapital repaymentHistory { "
        "edges { node { loanRef amountPaid imputed source } } } } }",
        {"u": firm["uscc"]},
    )
    assert "errors" not in body, body
    (edge,) = body["data"]["firmByUscc"]["repaymentHistory"]["edges"]
    assert edge["node"]["imputed"] == ["amountPaid:zero"]
    assert edge["node"]["source"] == "listed"
