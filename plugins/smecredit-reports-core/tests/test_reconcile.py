"""Cells of each report recomputed in plain Python over the synthetic book's rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from smecredit_reports_core.plugin import REPORT_TYPES
from smecredit_reports_core.types.compliance_checks import ComplianceChecks
from smecredit_reports_core.types.data_quality import DataQuality
from smecredit_reports_core.types.decision_analysis import DecisionAnalysis
from smecredit_reports_core.types.expected_credit_loss import ExpectedCreditLoss
from smecredit_reports_core.types.five_category import FiveCategory
from smecredit_reports_core.types.inclusive_smb_lending import InclusiveSmbLending
from smecredit_reports_core.types.model_performance import ModelPerformance
from smecredit_reports_core.types.npl_trend_vintage import NplTrendVintage
from smecredit_reports_core.types.portfolio_at_risk import PortfolioAtRisk
from smecredit_reports_core.types.portfolio_overview import PortfolioOverview
from smecredit_reports_core.types.warning_effectiveness import WarningEffectiveness

from smecredit.sdk import (
    WITHHELD,
    KeyFigures,
    ReportCancelled,
    ReportDocument,
    ReportType,
    Table,
)
from smecredit.testing import InMemoryReportContext, check_report_type

pytestmark = pytest.mark.anyio
Book = dict[str, list[dict[str, Any]]]
NPL = ("substandard", "doubtful", "loss")


def table(document: ReportDocument, key: str) -> list[Sequence[Any]]:
    section = next(s for s in document.sections if s.key == key)
    assert isinstance(section, Table)
    return list(section.rows)  # type: ignore[arg-type]


def figure(document: ReportDocument, key: str) -> Any:
    for section in document.sections:
        if isinstance(section, KeyFigures):
            for f in section.figures:
                if f.key == key:
                    return f.value
    raise KeyError(key)


def book_loans(book: Book, today: dt.date) -> list[dict[str, Any]]:
    return [x for x in book["loans"] if x["balance"] > 0 and x["disbursed_on"] <= today]


async def test_portfolio_overview(book: Book, context: InMemoryReportContext) -> None:
    document = await check_report_type(PortfolioOverview(), context)
    loans = book_loans(book, context.today)
    total = sum(x["balance"] for x in loans)
    assert figure(document, "balance") == total
    for product, n, balance, share in table(document, "by_product"):
        mine = [x for x in loans if x["product"] == product]
        assert (n, balance) == (len(mine), sum(x["balance"] for x in mine))
        assert share == balance / total
    top = table(document, "top_borrowers")
    by_firm: dict[int, Decimal] = {}
    for x in loans:
        by_firm[x["firm_id"]] = by_firm.get(x["firm_id"], Decimal(0)) + x["balance"]
    biggest = max(by_firm, key=lambda f: by_firm[f])
    assert top[0][1:3] == (biggest, f"企业{biggest}") and top[0][4] == by_firm[biggest]
    assert len(top) == min(10, len(by_firm))


async def test_five_category(book: Book, context: InMemoryReportContext) -> None:
    to_date = context.today
    from_date = dt.date(2026, 5, 30)
    document = await FiveCategory().build(context, {"to_date": to_date})
    loans = book_loans(book, to_date)
    for code, _, _, n, balance, *_ in table(document, "distribution"):
        mine = [x for x in loans if x["classification"] == code]
        assert (n, balance) == (len(mine), sum((x["balance"] for x in mine), Decimal(0)))
    npl = sum(x["balance"] for x in loans if x["classification"] in NPL)
    assert figure(document, "npl_ratio") == npl / sum(x["balance"] for x in loans)
    # The matrix row "normal": loans whose latest row by from_date says normal.
    latest: dict[int, tuple[dt.date, str]] = {}
    for row in book["classification_history"]:
        if row["as_of"] <= from_date and (
            row["loan_id"] not in latest or latest[row["loan_id"]][0] < row["as_of"]
        ):
            latest[row["loan_id"]] = (row["as_of"], row["loan_class"])
    matrix = {row[0]: row for row in table(document, "migration")}
    assert matrix["normal"][-1] == sum(1 for _, c in latest.values() if c == "normal")


async def test_portfolio_at_risk(book: Book, context: InMemoryReportContext) -> None:
    document = await check_report_type(PortfolioAtRisk(), context)
    loans = book_loans(book, context.today)
    total = sum(x["balance"] for x in loans)
    for n in (30, 60, 90):
        over = sum(x["balance"] for x in loans if x["days_past_due"] > n)
        assert figure(document, f"par_{n}") == (over / total if over else 0)
    branch = {r[0]: r for r in table(document, "aging_by_branch_code")}
    b02 = [x for x in loans if x["branch_code"] == "B02"]
    assert branch["B02"][1] == sum(x["balance"] for x in b02 if x["days_past_due"] == 0)
    assert branch["B02"][7] == sum(x["balance"] for x in b02)


async def test_npl_trend(book: Book, context: InMemoryReportContext) -> None:
    document = await check_report_type(NplTrendVintage(), context)
    trend = table(document, "npl_trend")
    assert len(trend) == 12 and trend[-1][0] == context.today
    end = trend[-2][0]
    closed = {x["loan_id"]: x["closed_on"] for x in book["loans"]}
    rows: dict[int, dict[str, Any]] = {}
    for row in book["classification_history"]:
        if row["as_of"] <= end and (
            row["loan_id"] not in rows or rows[row["loan_id"]]["as_of"] < row["as_of"]
        ):
            rows[row["loan_id"]] = row
    open_rows = [r for k, r in rows.items() if closed[k] is None or closed[k] > end]
    assert trend[-2][1] == len(open_rows)
    assert trend[-2][3] == sum(r["principal"] for r in open_rows if r["loan_class"] in NPL)


async def test_expected_credit_loss_and_the_lgd_option(book: Book) -> None:
    context = InMemoryReportContext(book, today=dt.date(2026, 6, 30), options={"lgd": "0.6"})
    document = await check_report_type(ExpectedCreditLoss(), context)
    assert figure(document, "lgd") == Decimal("0.6")
    stage3 = [x for x in book_loans(book, context.today) if x["ifrs9_stage"] == 3]
    row = next(r for r in table(document, "by_stage") if r[0] == 3)
    assert row[3] == sum(x["balance"] for x in stage3)
    assert row[6] == sum(
        (x["balance"] * Decimal("0.6")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        for x in stage3
    )
    run = await ExpectedCreditLoss().build(context, {"lgd": Decimal("0.2")})
    assert figure(run, "lgd") == Decimal("0.2")
    bad = InMemoryReportContext(book, options={"lgd": "lots"})
    with pytest.raises(ValueError, match="SMECREDIT_PLUGIN_REPORTS_CORE_LGD"):
        await ExpectedCreditLoss().build(bad, {})


async def test_inclusive_smb_lending(book: Book, context: InMemoryReportContext) -> None:
    document = await check_report_type(InclusiveSmbLending(), context)
    loans = [x for x in book_loans(book, context.today) if x["closed_on"] is None]
    lines: dict[int, Decimal] = {}
    for x in loans:
        lines[x["firm_id"]] = lines.get(x["firm_id"], Decimal(0)) + x["credit_line"]
    seg = [x for x in loans if lines[x["firm_id"]] <= 10_000_000]
    assert 0 < len(seg) < len(loans)  # the book has firms on both sides of the line
    balance = sum(x["balance"] for x in seg)
    assert figure(document, "balance") == balance
    assert figure(document, "borrowers") == len({x["firm_id"] for x in seg})
    rate = sum(x["annual_rate"] * x["balance"] for x in seg) / balance
    assert figure(document, "average_rate") == rate


async def test_warning_effectiveness(book: Book, context: InMemoryReportContext) -> None:
    document = await check_report_type(WarningEffectiveness(), context)
    rules = {r[0]: r for r in table(document, "by_rule_code")}
    for rule, row in rules.items():
        assert row[1] == sum(1 for w in book["warnings"] if w["rule_code"] == rule)
    assert figure(document, "signals") == len(book["warnings"])


async def test_data_quality(book: Book, context: InMemoryReportContext) -> None:
    document = await check_report_type(DataQuality(), context)
    rows = {r[0]: r for r in table(document, "by_source")}
    tax = [r for r in book["source_runs"] if r["source"] == "tax"]
    assert rows["tax"][7] == Decimal(sum(r["accepted"] for r in tax)) / sum(
        r["records"] for r in tax
    )
    assert rows["tax"][9] == (context.today - dt.date(2026, 6, 21)).days


async def test_decision_analysis(book: Book, context: InMemoryReportContext) -> None:
    document = await check_report_type(DecisionAnalysis(), context)
    grades = {r[0]: r for r in table(document, "approval_by_grade")}
    apps = [a for a in book["applications"] if a["risk_grade"] == "A"]
    rejected = sum(1 for a in apps if a["state"] == "rejected")
    assert grades["A"][1:5] == (len(apps), len(apps), len(apps) - rejected, rejected)
    approvers = {r[0]: r for r in table(document, "overrides_by_approver")}
    made = sum(1 for a in book["approvals"] if a["approver"] == "zhao")
    overridden = sum(1 for o in book["decision_overrides"] if o["actor"] == "zhao")
    assert approvers["zhao"][1:3] == (made, overridden)


async def test_compliance_checks(context: InMemoryReportContext) -> None:
    document = await check_report_type(ComplianceChecks(), context)
    assert figure(document, "overall_score") == Decimal("0.90")
    assert [r[2] for r in table(document, "checks")] == ["pass", "pass"]
    assert [r[2] for r in table(document, "history")] == [Decimal("0.80"), Decimal("0.90")]


async def test_withheld_names_stay_withheld(book: Book) -> None:
    context = InMemoryReportContext(book, withheld={"loans.firm_name"})
    document = await check_report_type(PortfolioOverview(), context)
    assert {row[2] for row in table(document, "top_borrowers")} == {WITHHELD}


@pytest.mark.parametrize("report", REPORT_TYPES, ids=[r.name for r in REPORT_TYPES])
async def test_a_cancelled_run_propagates(report: ReportType, book: Book) -> None:
    context = InMemoryReportContext(book, cancel_after=1)
    with pytest.raises(ReportCancelled):
        await check_report_type(report, context)


async def test_optional_parts_of_the_platform_may_be_missing(book: Book) -> None:
    # A platform without per-feature monitoring has model-level rows only.
    book["model_monitoring"] = [
        {k: v for k, v in row.items() if k not in ("feature", "csi")}
        for row in book["model_monitoring"]
        if row["feature"] is None
    ]
    context = InMemoryReportContext(
        book, omit={"compliance_results", "model_monitoring.feature", "model_monitoring.csi"}
    )
    document = await check_report_type(ComplianceChecks(), context)
    assert table(document, "checks") == [] and figure(document, "overall_score") is None
    assert "compliance_results" not in {dataset for _, dataset in context.queries}
    models = await check_report_type(ModelPerformance(), context)
    psi = table(models, "psi")
    assert table(models, "csi") == [] and len(psi) == 12 and all(r[2] for r in psi)


async def test_the_book_on_a_date_and_loans_without_a_disbursement_date(book: Book) -> None:
    book["loans"][0]["disbursed_on"] = None
    context = InMemoryReportContext(book, today=dt.date(2026, 6, 30))
    total = sum(x["balance"] for x in book["loans"])
    today = await PortfolioOverview().build(context, {"as_of": context.today})
    assert figure(today, "balance") == total
    past_day = dt.date(2025, 1, 1)
    past = await PortfolioOverview().build(context, {"as_of": past_day})
    earlier = [x for x in book["loans"] if x["disbursed_on"] and x["disbursed_on"] <= past_day]
    assert figure(past, "balance") == sum(x["balance"] for x in earlier) < total


async def test_one_aggregate_gives_the_distribution_and_par(
    book: Book, context: InMemoryReportContext
) -> None:
    from smecredit_reports_core.book import five_category_and_par
    from smecredit_reports_core.layout import outstanding

    figures = await five_category_and_par(context, outstanding({}, context.today, context.today))
    assert context.queries == [("aggregate", "loans")]
    five = await FiveCategory().build(context, {})
    par = await PortfolioAtRisk().build(context, {})
    for code, _, _, n, balance, *_ in table(five, "distribution"):
        assert figures.distribution.get(code, (0, 0)) == (n, balance) or n == 0
    assert all(figures.par[n] == figure(par, f"par_{n}") for n in (30, 60, 90))
