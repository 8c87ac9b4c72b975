"""A warning links to the evidence that raised it (over HTTP, under the field rules), and the
firm's evidence connections and warnings' evidence cost the same for 10 rows as for 40."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from helpers import count_statements, gql
from lending_support import seed_firm
from strawberry.relay.utils import to_base64

from smecredit import models
from smecredit.services.warnings.evidence import Citation, cited_evidence, evidence_kinds
from smecredit.services.warnings.scan import scan_firms

pytestmark = pytest.mark.anyio

TODAY = dt.datetime.now(dt.UTC).date()
FETCHED = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
D = Decimal


def _month(back: int) -> str:
    total = TODAY.year * 12 + TODAY.month - 1 - back
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


async def _troubled(n: int, branch: str = "B01") -> models.Firm:
    """A firm whose evidence raises LEGAL_ACTION, TAX_SALES_DROP, BUREAU_OVERDUE, LOAN_DPD."""
    firm = await seed_firm(n, branch=branch, evidence=False)
    ev = {"firm": firm, "source": "courts", "fetched_at": FETCHED}
    await models.LegalCase.create(
        **ev, case_no=f"(2026)民初{n}号", kind="lawsuit_defendant", severity="high",
        case_date=TODAY - dt.timedelta(days=10), amount=D("80000"),
        description="原告张三诉被告拖欠货款",
    )  # fmt: skip
    # outside the rule's 90-day window, and a case the firm brought: neither counts
    await models.LegalCase.create(
        **ev, case_no=f"(2025)民初{n}号", kind="lawsuit_defendant", severity="low",
        case_date=TODAY - dt.timedelta(days=200),
    )  # fmt: skip
    await models.LegalCase.create(
        **ev, case_no=f"(2026)民初{n}-2号", kind="lawsuit_plaintiff",
        case_date=TODAY - dt.timedelta(days=5),
    )  # fmt: skip
    tax = {"firm": firm, "source": "tax-bureau", "fetched_at": FETCHED}
    for back in (1, 2, 3):  # sales down 80% on a year earlier
        await models.TaxRecord.create(**tax, month=_month(back), taxable_sales=D("20000"))
    for back in (13, 14, 15):
        await models.TaxRecord.create(**tax, month=_month(back), taxable_sales=D("100000"))
    await models.TaxRecord.create(**tax, month=_month(30), taxable_sales=D("1"))  # not compared
    bureau = {"firm": firm, "source": "pboc", "fetched_at": FETCHED}
    await models.BureauSummary.create(
        **bureau, report_date=TODAY - dt.timedelta(days=100), overdue_count=1
    )
    await models.BureauSummary.create(
        **bureau, report_date=TODAY - dt.timedelta(days=20), overdue_count=3
    )
    loan = await models.Loan.create(
        loan_ref=f"LEGACY-{n}", firm=firm, product="wc", principal=D("100000"),
        annual_rate=D("0.06"), term_months=12, repayment_method="equal_instalment",
        guarantee_type="credit", status="active", days_past_due=95, branch_code=branch,
        outstanding_principal=D("50000"),
    )  # fmt: skip
    history = {"firm": firm, "loan_ref": loan.loan_ref, "source": "legacy", "fetched_at": FETCHED}
    await models.RepaymentHistory.create(
        **history, due_date=TODAY - dt.timedelta(days=95), amount_due=D("9000"), days_past_due=95
    )
    await models.RepaymentHistory.create(
        **history, due_date=TODAY - dt.timedelta(days=125), amount_due=D("9000"),
        paid_date=TODAY - dt.timedelta(days=125), amount_paid=D("9000"),
    )  # fmt: skip
    await models.RegistryEvent.create(
        firm=firm, event_date=TODAY - dt.timedelta(days=30), kind="legal_rep_change",
        description="法定代表人由李四变更为王五", source="saic", fetched_at=FETCHED,
    )  # fmt: skip
    return firm


WARNINGS = """query($id: ID!) { firm(id: $id) { warnings(first: 20) { edges { node {
  ruleCode evidence {
    __typename
    ... on LegalCase { caseNo description source fetchedAt }
    ... on TaxRecord { month taxableSales }
    ... on BureauSummary { reportDate overdueCount }
    ... on RepaymentHistory { loanRef dueDate daysPastDue }
    ... on RegistryEvent { kind description }
  } } } } } }"""


async def _scanned(firm: models.Firm) -> None:
    summary = await scan_firms([firm.id])
    assert summary.opened >= 4


async def test_each_warning_opens_the_evidence_its_rule_read(client_for: Any) -> None:
    firm = await _troubled(80)
    await _scanned(firm)
    officer = await client_for("loan_officer", "B01")
    body = await gql(officer, WARNINGS, {"id": to_base64("Firm", firm.id)})
    assert "errors" not in body, body
    cited = {
        e["node"]["ruleCode"]: e["node"]["evidence"]
        for e in body["data"]["firm"]["warnings"]["edges"]
    }
    # the lawsuit within the 90-day window only (not the old one, not the firm's own suit)
    (case,) = cited["LEGAL_ACTION"]
    assert case["caseNo"] == "(2026)民初80号" and case["source"] == "courts"
    assert case["description"] == "原告张三诉被告拖欠货款" and case["fetchedAt"]
    # the six months compared year on year, newest first
    months = [e["month"] for e in cited["TAX_SALES_DROP"]]
    assert months == [_month(b) for b in (1, 2, 3, 13, 14, 15)]
    # the latest bureau report, not the older one
    assert [(e["__typename"], e["overdueCount"]) for e in cited["BUREAU_OVERDUE"]] == [
        ("BureauSummary", 3)
    ]
    # the loan's late instalment, not the paid one
    assert [(e["loanRef"], e["daysPastDue"]) for e in cited["LOAN_DPD"]] == [("LEGACY-80", 95)]
    assert [e["kind"] for e in cited["LEGAL_REP_CHANGE"]] == ["legal_rep_change"]


async def test_a_viewer_reads_evidence_text_redacted_and_a_partner_none(client_for: Any) -> None:
    firm = await _troubled(81)
    await _scanned(firm)
    viewer = await client_for("viewer", "B01")
    body = await gql(viewer, WARNINGS, {"id": to_base64("Firm", firm.id)})
    assert "errors" not in body, body
    texts = [
        item["description"]
        for e in body["data"]["firm"]["warnings"]["edges"]
        for item in e["node"]["evidence"]
        if "description" in item
    ]
    assert texts and all("张三" not in t and "李四" not in t for t in texts)
    # the same masking on the firm's own evidence connections
    cases = await gql(
        viewer,
        "query($id: ID!) { firm(id: $id) { legalCases { edges { node { caseNo description } } } "
        "financialStatements { totalCount } } }",
        {"id": to_base64("Firm", firm.id)},
    )
    assert "errors" not in cases, cases
    assert all(
        "张三" not in e["node"]["description"] for e in cases["data"]["firm"]["legalCases"]["edges"]
    )
    partner = await client_for("partner", "B01")
    refused = await gql(partner, WARNINGS, {"id": to_base64("Firm", firm.id)})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # a branch that is not the firm's sees neither the firm nor its evidence
    other = await client_for("loan_officer", "B02")
    case = await models.LegalCase.filter(firm_id=firm.id).first()
    node = await gql(
        other,
        "query($id: ID!) { node(id: $id) { ... on LegalCase { caseNo } } }",
        {"id": to_base64("LegalCase", case.id)},  # type: ignore[union-attr]
    )
    assert node["data"]["node"] is None


async def test_financial_statements_are_a_connection_with_source_and_fetch_time(
    client_for: Any,
) -> None:
    firm = await seed_firm(82, branch="B01", evidence=False)
    for year in (2023, 2024, 2025):
        await models.FinancialStatement.create(
            firm=firm, period_end=dt.date(year, 12, 31), period_type="annual",
            total_assets=D("1000"), total_liabilities=D("600"), source="filings",
            fetched_at=FETCHED,
        )  # fmt: skip
    officer = await client_for("loan_officer", "B01")
    body = await gql(
        officer,
        "query($id: ID!) { firm(id: $id) { financialStatements(first: 2) { totalCount "
        "pageInfo { hasNextPage } edges { node { periodEnd source fetchedAt "
        "debtToAssetRatio } } } } }",
        {"id": to_base64("Firm", firm.id)},
    )
    assert "errors" not in body, body
    page = body["data"]["firm"]["financialStatements"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"]
    assert [e["node"]["periodEnd"] for e in page["edges"]] == ["2025-12-31", "2024-12-31"]
    assert page["edges"][0]["node"]["source"] == "filings"
    assert page["edges"][0]["node"]["debtToAssetRatio"] == pytest.approx(0.6)


FIRM_EVIDENCE_PAGE = """query($first: Int!) { firms(first: $first) { edges { node {
    taxRecords(first: 2) { totalCount edges { node { month } } }
    legalCases(first: 2) { edges { node { caseNo } } }
    financialStatements(first: 1) { edges { node { periodEnd } } }
    bureauSummaries(first: 1) { edges { node { reportDate } } }
    registryEvents(first: 1) { edges { node { kind } } }
    repaymentHistory(first: 1) { edges { node { loanRef } } }
  } } } }"""
WARNING_EVIDENCE_PAGE = """query($first: Int!) { warnings(first: $first) { edges { node {
  ruleCode evidence { __typename ... on LegalCase { caseNo } ... on TaxRecord { month } } } } } }"""
_EVIDENCE_TABLES = (
    "tax_record", "legal_case", "financial_statement", "bureau_summary", "registry_event",
    "repayment_history",
)  # fmt: skip


async def _statements(client: Any, query: str, first: int, field: str) -> list[str]:
    await gql(client, query, {"first": first})  # warm-up
    with count_statements() as counter:
        body = await gql(client, query, {"first": first})
    assert "errors" not in body, body
    assert len(body["data"][field]["edges"]) == first
    return counter.statements


async def test_evidence_costs_constant_statements(client: Any) -> None:
    firms = [await _troubled(100 + i, branch="HQ") for i in range(12)]
    await scan_firms([f.id for f in firms])
    small = await _statements(client, FIRM_EVIDENCE_PAGE, 4, "firms")
    large = await _statements(client, FIRM_EVIDENCE_PAGE, 12, "firms")
    assert len(small) == len(large), (small, large)
    # Every warning of the book (6 per firm) with its evidence: one query per evidence
    # table (two kinds read the registry), one for the loans, whatever the page size.
    pages = await _statements(client, WARNING_EVIDENCE_PAGE, 60, "warnings")
    evidence = [s for s in pages if any(f'FROM "{t}"' in s for t in _EVIDENCE_TABLES)]
    assert len(evidence) <= len(_EVIDENCE_TABLES), evidence
    loans = [s for s in pages if 'FROM "loan"' in s]
    assert len(loans) <= 1, loans


async def test_rules_without_evidence_tables_cite_nothing(db: Any) -> None:
    class Grade:
        inputs = ("grade_latest", "grade_oldest")
        window_days = 180

    assert evidence_kinds(Grade()) == []
    assert evidence_kinds(None) == []
    firm = await seed_firm(90, evidence=False)
    found = await cited_evidence(
        [Citation(1, firm.id, "SCORE_DOWNGRADE", TODAY), Citation(2, firm.id, "GONE", TODAY)],
        {"SCORE_DOWNGRADE": Grade()},
    )
    assert found == [[], []]
