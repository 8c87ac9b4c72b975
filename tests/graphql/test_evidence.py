"""The evidence about a firm in GraphQL: each kind paged, as nodes, and as one timeline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from helpers import gql
from lending_support import seed_firm
from strawberry.relay.utils import to_base64

from smecredit import models

pytestmark = pytest.mark.anyio

FETCHED = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)

EVIDENCE = """query($id: ID!) { firm(id: $id) {
  taxRecords(first: 2) { totalCount edges { node { month arrears source fetchedAt } }
                         pageInfo { hasNextPage endCursor } }
  legalCases { edges { node { id caseNo kind kindLabel amount severity severityLabel source } } }
  registryEvents { edges { node { eventDate kind kindLabel description } } }
  bureauSummaries { edges { node { reportDate overdueCount inquiries6m } } }
  repaymentHistory { edges { node { loanRef daysPastDue } } }
  financials { id periodEnd debtToAssetRatio }
  timeline(first: 10) { totalCount edges { node { on kind kindLabel summary source evidenceId } } }
} }"""


async def _evidence(firm: models.Firm) -> None:
    for month, arrears in (("2026-01", "0"), ("2026-02", "1200.50"), ("2025-12", "0")):
        await models.TaxRecord.create(
            firm=firm, month=month, taxable_sales=Decimal("90000"), tax_paid=Decimal("1000"),
            arrears=Decimal(arrears), source="tax-bureau", fetched_at=FETCHED,
        )  # fmt: skip
    await models.LegalCase.create(
        firm=firm, case_no="(2026)沪0105民初123号", kind="civil", case_date=dt.date(2026, 2, 10),
        amount=Decimal("50000"), severity="high", source="courts", fetched_at=FETCHED,
    )  # fmt: skip
    await models.RegistryEvent.create(
        firm=firm, event_date=dt.date(2026, 1, 20), kind="abnormal_operation",
        description="listed: unreachable at registered address", source="saic", fetched_at=FETCHED,
    )  # fmt: skip
    await models.BureauSummary.create(
        firm=firm, report_date=dt.date(2026, 2, 1), overdue_count=2, inquiries_6m=7,
        source="pboc", fetched_at=FETCHED,
    )  # fmt: skip
    await models.RepaymentHistory.create(
        firm=firm, loan_ref="OLD-1", due_date=dt.date(2025, 11, 30), amount_due=Decimal("1000"),
        days_past_due=35, source="legacy", fetched_at=FETCHED,
    )  # fmt: skip


async def test_an_officer_reads_every_kind_of_evidence_and_the_timeline(client_for: Any) -> None:
    firm = await seed_firm(70, branch="B01")
    await _evidence(firm)
    officer = await client_for("loan_officer", "B01")
    body = await gql(officer, EVIDENCE, {"id": to_base64("Firm", firm.id)})
    assert "errors" not in body, body
    data = body["data"]["firm"]
    tax = data["taxRecords"]
    assert tax["totalCount"] == 3 and tax["pageInfo"]["hasNextPage"]
    assert [e["node"]["month"] for e in tax["edges"]] == ["2026-02", "2026-01"]
    assert tax["edges"][0]["node"]["source"] == "tax-bureau"
    case = data["legalCases"]["edges"][0]["node"]
    assert (case["caseNo"], case["severity"]) == ("(2026)沪0105民初123号", "high")
    assert data["registryEvents"]["edges"][0]["node"]["kind"] == "abnormal_operation"
    assert data["bureauSummaries"]["edges"][0]["node"]["inquiries6m"] == 7
    assert data["repaymentHistory"]["edges"][0]["node"]["daysPastDue"] == 35
    assert data["timeline"]["totalCount"] == 6
    timeline = [e["node"] for e in data["timeline"]["edges"]]
    kinds = [e["kind"] for e in timeline]
    # newest first; only news: the arrears month, not the clean ones
    assert kinds == [
        "TAX_ARREARS",
        "LEGAL_CASE",
        "BUREAU_REPORT",
        "REGISTRY_EVENT",
        "FINANCIAL_STATEMENT",
        "LATE_REPAYMENT",
    ]
    assert [e["on"] for e in timeline] == sorted((e["on"] for e in timeline), reverse=True)
    # labels in the caller's language; a value the catalogue does not know reads as given
    assert (case["kindLabel"], case["severityLabel"]) == ("civil", "High")
    summaries = {e["kind"]: e["summary"] for e in timeline}
    assert summaries["TAX_ARREARS"] == "arrears 1200.50"
    assert summaries["LATE_REPAYMENT"] == "OLD-1: 35 days late"
    assert timeline[0]["kindLabel"] == "Tax arrears"
    zh = await gql(
        officer, EVIDENCE, {"id": to_base64("Firm", firm.id)}, **{"Accept-Language": "zh-CN"}
    )
    zh_timeline = [e["node"] for e in zh["data"]["firm"]["timeline"]["edges"]]
    zh_summaries = {e["kind"]: e["summary"] for e in zh_timeline}
    assert zh_summaries["TAX_ARREARS"] == "欠税 1200.50"
    assert zh_summaries["BUREAU_REPORT"] == "2 个逾期账户"
    assert zh_timeline[0]["kindLabel"] == "欠税"
    assert zh["data"]["firm"]["legalCases"]["edges"][0]["node"]["severityLabel"] == "高"
    # every event opens its evidence through node(id:)
    opened = await gql(
        officer,
        "query($id: ID!) { node(id: $id) { __typename ... on LegalCase { caseNo } } }",
        {"id": timeline[1]["evidenceId"]},
    )
    assert opened["data"]["node"] == {"__typename": "LegalCase", "caseNo": case["caseNo"]}
    # paged like every list: two at a time, the same events in the same order
    walked: list[dict[str, Any]] = []
    after = None
    page_query = """query($id: ID!, $after: String) { firm(id: $id) {
      timeline(first: 2, after: $after) {
        edges { node { on kind evidenceId } } pageInfo { hasNextPage endCursor } } } }"""
    while True:
        page = await gql(officer, page_query, {"id": to_base64("Firm", firm.id), "after": after})
        assert "errors" not in page, page
        connection = page["data"]["firm"]["timeline"]
        walked += [e["node"] for e in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert walked == [{k: e[k] for k in ("on", "kind", "evidenceId")} for e in timeline]
    damaged = await gql(officer, page_query, {"id": to_base64("Firm", firm.id), "after": "x"})
    assert damaged["errors"][0]["extensions"]["code"] == "BAD_CURSOR"


async def test_evidence_stays_in_its_branch_and_under_field_rules(client_for: Any) -> None:
    firm = await seed_firm(71, branch="B01")
    await _evidence(firm)
    case = await models.LegalCase.get(firm_id=firm.id)
    query = "query($id: ID!) { node(id: $id) { ... on LegalCase { caseNo } } }"
    other = await client_for("loan_officer", "B02")
    assert (await gql(other, query, {"id": to_base64("LegalCase", case.id)}))["data"][
        "node"
    ] is None
    partner = await client_for("partner", "B01")
    body = await gql(
        partner,
        "query($id: ID!) { firm(id: $id) { taxRecords { totalCount } } }",
        {"id": to_base64("Firm", firm.id)},
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
