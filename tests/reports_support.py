"""A small report plugin for the engine's tests, so they do not depend on the bundled one.

``LoanList`` streams the loans dataset into a table; with ``gate`` set it stops after the
first batch until the gate opens (a test cancels it there). ``Broken`` fails in build.
``seed_loans`` writes the loans they read.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from smecredit import models
from smecredit.hookspecs import SDK_VERSION
from smecredit.sdk import hookimpl
from smecredit.sdk.reports import ReportColumn, ReportDocument, ReportParam, Table

__all__ = ["Broken", "LoanList", "ReportPlugin", "seed_loans"]


class LoanList:
    name, title_zh, title_en = "loan_list", "贷款清单", "Loan list"
    formats = ("csv", "xlsx")
    roles = ("risk_analyst", "compliance_auditor")
    params = (
        ReportParam("as_of", "date", "统计日", "As of", default="today"),
        ReportParam("branch", "branch", "机构", "Branch"),
    )
    category = "portfolio"

    def __init__(self) -> None:
        self.gate: asyncio.Event | None = None
        self.started = asyncio.Event()

    async def build(self, context: Any, params: Any) -> ReportDocument:
        where = {"branch_code": params["branch"]} if "branch" in params else None

        async def rows() -> Any:
            n = 0
            async for row in context.rows(
                "loans", ["loan_ref", "firm_name", "balance"], where=where
            ):
                n += 1
                yield [row["loan_ref"], row["firm_name"], row["balance"]]
                if n == 1:
                    self.started.set()
                    if self.gate is not None:
                        await self.gate.wait()
                await context.checkpoint()
            context.progress(n, n)

        columns = (
            ReportColumn("loan_ref", "合同号", "Loan"),
            ReportColumn("firm_name", "企业", "Firm"),
            ReportColumn("balance", "余额", "Balance", "money"),
        )
        table = Table("loans", "贷款", "Loans", columns, rows())
        return ReportDocument(sections=(table,), as_of=params["as_of"])


class Broken(LoanList):
    name = "broken"

    async def build(self, context: Any, params: Any) -> ReportDocument:
        raise RuntimeError("the report could not be built")


class ReportPlugin:
    SMECREDIT_SDK = SDK_VERSION

    def __init__(self, *reports: Any) -> None:
        self.reports = list(reports)

    @hookimpl
    def register_report_types(self) -> list[Any]:
        return self.reports


async def seed_loans(count: int = 5, *, name: str = "Firm Ltd") -> None:
    """One firm of branch B01 with ``count`` loans ``L0000``... of balance 10.50 * (i + 1)."""
    firm = await models.Firm.create(
        uscc="91110000000000001X",
        name=name,
        industry_code="C13",
        region_code="110101",
        branch_code="B01",
    )
    for i in range(count):
        await models.Loan.create(
            loan_ref=f"L{i:04d}",
            firm_id=firm.id,
            product="operating",
            principal=Decimal("1000.00"),
            outstanding_principal=Decimal("10.50") * (i + 1),
            annual_rate=Decimal("0.050000"),
            term_months=12,
            repayment_method="equal_instalment",
            guarantee_type="credit",
            status="active",
            branch_code="B01",
        )
