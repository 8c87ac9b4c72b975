"""The built-in report types (smecredit-reports-core) through the core's report context
on a seeded database, a sample of their cells reconciled with plain SQL (SQLite and
PostgreSQL), and a masked borrower name that stays masked."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import openpyxl
import pytest
from portfolio_seed import seed_portfolio
from smecredit_reports_core import plugin as reports_core
from smecredit_reports_core.plugin import REPORT_TYPES
from smecredit_reports_core.types.expected_credit_loss import ExpectedCreditLoss
from smecredit_reports_core.types.five_category import FiveCategory
from smecredit_reports_core.types.npl_trend_vintage import NplTrendVintage
from smecredit_reports_core.types.portfolio_at_risk import PortfolioAtRisk
from smecredit_reports_core.types.portfolio_overview import PortfolioOverview
from tortoise import connections

from smecredit import models
from smecredit.plugins import load_plugins
from smecredit.sdk import KeyFigures, ReportDocument, ReportType, Table
from smecredit.security.policy import PolicyStore, parse_policy_text, set_policy_store
from smecredit.security.principal import Principal
from smecredit.services.jobs.supervisor import JobSupervisor
from smecredit.services.reports.context import EngineContext
from smecredit.services.reports.runs import run_report
from smecredit.testing import check_report_type

pytestmark = pytest.mark.anyio

TODAY = dt.date(2026, 6, 30)
NPL = ("substandard", "doubtful", "loss")
#: A balance above zero. SQLite keeps decimals as text, and text compares above any number
#: there: the cast makes the comparison numeric on both engines.
OUTSTANDING = "CAST(outstanding_principal AS NUMERIC) > 0"
POLICY = """
p, risk_analyst, *, *, read, allow
p, risk_analyst, *, rows, all_branches, allow
p, credit_committee, *, *, read, allow
p, credit_committee, *, rows, all_branches, allow
p, credit_committee, *, Firm.name, mask, allow, stars
"""


class Stars:
    name = "stars"

    def mask(self, value: str | None, **options: Any) -> str | None:
        return None if value is None else value[0] + "*" * (len(value) - 1)


class Plugins:
    masking_strategies = {"stars": Stars()}  # noqa: RUF012


@pytest.fixture
def policy() -> Iterator[None]:
    set_policy_store(PolicyStore(rules=parse_policy_text(POLICY)))
    yield
    set_policy_store(None)


def context(role: str = "risk_analyst") -> EngineContext:
    who = Principal(user_id=1, username=f"a-{role}", roles=(role,), branch_code="HQ")
    return EngineContext(who, Plugins(), "en", TODAY, "test_core_types")


async def sql(query: str) -> list[dict[str, Any]]:
    return list(await connections.get("default").execute_query_dict(query))


def cents(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def table(document: ReportDocument, key: str) -> list[Any]:
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


async def seed() -> None:
    """The GraphQL tests' portfolio, with disbursement dates and six monthly history rows."""
    portfolio = await seed_portfolio(firms=20, loans=60, warnings=30)
    for n, loan in enumerate(portfolio.loans):
        loan.disbursed_on = dt.date(2025, 1 + n % 12, 15)
        loan.ifrs9_stage = 3 if loan.days_past_due > 90 else 2 if loan.days_past_due > 30 else 1
        await loan.save(update_fields=["disbursed_on", "ifrs9_stage"])
        for month in range(6):
            dpd = max(loan.days_past_due - (5 - month) * 30, 0)
            await models.ClassificationHistory.create(
                loan=loan,
                as_of=dt.date(2026, 1 + month, 28),
                dpd=dpd,
                loan_class=loan.classification if month == 5 else "normal",
                stage=loan.ifrs9_stage,
                overridden=False,
                actor="system",
            )


async def book() -> list[dict[str, Any]]:
    """The outstanding loans, by plain SQL."""
    return await sql(
        "SELECT id, product, classification, days_past_due, ifrs9_stage, branch_code, "
        "firm_id, outstanding_principal AS balance FROM loan WHERE " + OUTSTANDING
    )


@pytest.mark.parametrize("report", REPORT_TYPES, ids=[r.name for r in REPORT_TYPES])
async def test_every_type_builds_through_the_engine(
    db: Any, policy: None, report: ReportType
) -> None:
    await seed()
    document = await check_report_type(report, context())
    assert document.sections


async def test_every_type_builds_on_an_empty_database(db: Any, policy: None) -> None:
    for report in REPORT_TYPES:
        await check_report_type(report, context())


async def test_overview_five_category_and_par_reconcile_with_sql(db: Any, policy: None) -> None:
    await seed()
    loans = await book()
    total = sum((cents(x["balance"]) for x in loans), Decimal(0))
    overview = await check_report_type(PortfolioOverview(), context())
    assert cents(figure(overview, "balance")) == total
    assert figure(overview, "loans") == len(loans)
    (by_sql,) = await sql("SELECT COUNT(DISTINCT firm_id) AS n FROM loan WHERE " + OUTSTANDING)
    assert figure(overview, "borrowers") == by_sql["n"]
    for product, n, balance, _ in table(overview, "by_product"):
        mine = [x for x in loans if x["product"] == product]
        assert (n, cents(balance)) == (len(mine), sum(cents(x["balance"]) for x in mine))
    top = table(overview, "top_borrowers")[0]
    (largest,) = await sql(
        "SELECT firm_id, SUM(outstanding_principal) AS s FROM loan "
        f"WHERE {OUTSTANDING} GROUP BY firm_id ORDER BY s DESC, firm_id LIMIT 1"
    )
    (name,) = await sql(f"SELECT name FROM firm WHERE id = {int(largest['firm_id'])}")
    assert (top[1], top[2], cents(top[4])) == (
        largest["firm_id"],
        name["name"],
        cents(largest["s"]),
    )

    five = await check_report_type(FiveCategory(), context())
    for code, _, _, n, balance, *_ in table(five, "distribution"):
        mine = [x for x in loans if x["classification"] == code]
        assert (n, cents(balance)) == (len(mine), sum(cents(x["balance"]) for x in mine))
    npl = sum(cents(x["balance"]) for x in loans if x["classification"] in NPL)
    assert cents(figure(five, "npl_balance")) == npl

    par = await check_report_type(PortfolioAtRisk(), context())
    for n in (30, 60, 90):
        over = sum((cents(x["balance"]) for x in loans if x["days_past_due"] > n), Decimal(0))
        assert abs(Decimal(figure(par, f"par_{n}")) - over / total) < Decimal("1e-9")
    branches = {r[0]: r for r in table(par, "aging_by_branch_code")}
    for branch, row in branches.items():
        mine = [x for x in loans if x["branch_code"] == branch]
        assert cents(row[7]) == sum(cents(x["balance"]) for x in mine)


async def test_migration_npl_trend_and_ecl_reconcile_with_sql(db: Any, policy: None) -> None:
    await seed()
    five = await FiveCategory().build(
        context(), {"from_date": dt.date(2026, 3, 31), "to_date": TODAY}
    )
    (history,) = await sql(
        "SELECT COUNT(DISTINCT loan_id) AS n FROM classification_history "
        "WHERE as_of <= '2026-03-31'"
    )
    assert sum(row[-1] for row in table(five, "migration")) == history["n"]
    matrix = {row[0]: row for row in table(five, "migration")}
    (stayed,) = await sql(
        "SELECT COUNT(*) AS n FROM classification_history WHERE as_of = '2026-06-28' "
        "AND loan_class = 'normal'"
    )
    assert matrix["normal"][1] == stayed["n"]  # normal on 31 March, normal on 28 June

    trend = await check_report_type(NplTrendVintage(), context())
    last = table(trend, "npl_trend")[-1]
    rows = await sql(
        "SELECT h.loan_class, l.principal FROM classification_history h "
        "JOIN loan l ON l.id = h.loan_id WHERE h.as_of = '2026-06-28'"
    )
    assert last[1] == len(rows)
    assert cents(last[3]) == sum(cents(r["principal"]) for r in rows if r["loan_class"] in NPL)

    ecl = await ExpectedCreditLoss().build(context(), {"lgd": Decimal("0.5")})
    stage3 = next(r for r in table(ecl, "by_stage") if r[0] == 3)
    (ead,) = await sql(f"SELECT COUNT(*) AS n FROM loan WHERE {OUTSTANDING} AND ifrs9_stage = 3")
    loans = [x for x in await book() if x["ifrs9_stage"] == 3]
    assert stage3[2] == ead["n"]
    assert cents(stage3[3]) == sum(cents(x["balance"]) for x in loans)
    half = [
        (cents(x["balance"]) / 2).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) for x in loans
    ]
    assert cents(stage3[6]) == sum(half)  # ECL = PD 1 x LGD 0.5 x EAD, per loan to the cent


async def test_a_masked_borrower_name_stays_masked(db: Any, policy: None) -> None:
    await seed()
    document = await check_report_type(PortfolioOverview(), context("credit_committee"))
    names = {row[2] for row in table(document, "top_borrowers")}
    clear = {r["name"] for r in await sql("SELECT name FROM firm")}
    assert names and not names & clear
    assert all(isinstance(n, str) and n[1:] == "*" * (len(n) - 1) for n in names)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
async def test_every_type_runs_as_a_job_in_each_format(db: Any, tmp_path: Any, fmt: str) -> None:
    """Through run_report: the plugin as loaded, its parameters' defaults, the writers."""
    await seed()
    settings = dataclasses.replace(db, report_dir=tmp_path / "reports")
    plugins = load_plugins(entry_points=False, extra_plugins=[reports_core])
    assert set(plugins.report_types) == {r.name for r in REPORT_TYPES}
    analyst = Principal(user_id=1, username="ana", roles=("risk_analyst",), branch_code="HQ")
    supervisor = JobSupervisor()
    started = [
        await run_report(
            analyst,
            name,
            {},
            fmt,
            "zh",
            supervisor=supervisor,
            plugins=plugins,
            settings=settings,
            today=TODAY,
        )
        for name in sorted(plugins.report_types)
    ]
    await supervisor.idle()
    for run in started:
        done = await models.ReportRun.get(id=run.id)
        job = await models.Job.get(id=done.job_id)
        assert (done.report_name, done.state, job.state) == (
            run.report_name,
            "succeeded",
            "succeeded",
        ), job.error_message
        body = (settings.reports_path / done.path).read_bytes()
        if fmt == "xlsx":
            assert openpyxl.load_workbook(io.BytesIO(body), read_only=True).sheetnames
        elif fmt == "pdf":
            assert body.startswith(b"%PDF")
        else:
            assert body.decode("utf-8-sig").strip()


async def test_every_type_on_the_demo_portfolio(db: Any, policy: None) -> None:
    """The synthetic source's book after close of business, with its quarantine and runs."""
    from types import SimpleNamespace

    from smecredit_source_synthetic.plugin import SyntheticSource

    from smecredit.services.demo import close_today, seed_demo

    await seed_demo(
        60, seed=5, registry=SimpleNamespace(data_sources={"synthetic": SyntheticSource()})
    )
    await close_today()
    ctx = context()
    ctx = EngineContext(ctx.principal, Plugins(), "zh", dt.date.today(), "test_core_types")
    documents = {r.name: await check_report_type(r, ctx) for r in REPORT_TYPES}
    loans = await book()
    overview = documents["portfolio_overview"]
    assert loans and figure(overview, "loans") == len(loans)
    assert cents(figure(overview, "balance")) == sum(cents(x["balance"]) for x in loans)
    (runs,) = await sql("SELECT COUNT(*) AS n FROM sync_run")
    sources = table(documents["data_quality"], "by_source")
    assert sum(r[1] for r in sources) == runs["n"] > 0


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
async def test_a_masked_name_stays_masked_in_every_format(db: Any, policy: None, fmt: str) -> None:
    from pypdf import PdfReader

    from smecredit.services.reports.formats import Cover, write_report

    await seed()
    document = await check_report_type(PortfolioOverview(), context("credit_committee"))
    out = io.BytesIO()
    cover = Cover("贷款组合概览", "portfolio_overview", (), dt.datetime.now(dt.UTC), "cc")

    async def nothing() -> None:
        return None

    await write_report(document, fmt, out, cover=cover, language="en", checkpoint=nothing)
    if fmt == "csv":
        text = out.getvalue().decode("utf-8-sig")
    elif fmt == "xlsx":
        sheets = openpyxl.load_workbook(io.BytesIO(out.getvalue()), read_only=True).worksheets
        text = " ".join(
            str(c) for s in sheets for row in s.iter_rows(values_only=True) for c in row
        )
    else:
        pages = PdfReader(io.BytesIO(out.getvalue())).pages
        text = "".join(p.extract_text().replace("\x00", "") for p in pages)
    masked = {row[2] for row in table(document, "top_borrowers")}
    assert any(name in text for name in masked)
    for firm in await sql("SELECT name FROM firm"):
        assert firm["name"] not in text
