"""Helpers of the early-warning tests: constants and a tiny portfolio built through the ORM."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from smecredit_warnings_core.rules import RULES

from smecredit import models
from smecredit.domain.identity import uscc_check_char
from smecredit.services.warnings.broadcast import reset_broadcasters

#: Headers of a request read in Chinese.
ZH = {"Accept-Language": "zh-CN"}


AS_OF = dt.date(2026, 6, 30)
NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)
FETCHED = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def make_uscc(n: int) -> str:
    body = f"91310000{n:09d}"
    return body + uscc_check_char(body)


@pytest.fixture
def rules() -> dict[str, Any]:
    return {r.code: r for r in RULES}


@pytest.fixture(autouse=True)
def _fresh_broadcasters() -> None:
    reset_broadcasters()


MakeFirm = Callable[..., Awaitable[models.Firm]]


@pytest.fixture
def make_firm() -> MakeFirm:
    """Create a firm with optional facts: ``dpd`` (one active loan), tax sales, bureau."""
    counter = {"n": 0}

    async def create(
        *,
        branch: str = "B01",
        dpd: int | None = None,
        classification: str = "normal",
        outstanding: str = "100000.00",
        sales_recent: str | None = None,
        sales_year_ago: str | None = None,
        overdues: int | None = None,
        industry: str = "C1711",
    ) -> models.Firm:
        counter["n"] += 1
        n = counter["n"]
        firm = await models.Firm.create(
            uscc=make_uscc(n),
            name=f"Firm {n}",
            industry_code=industry,
            region_code="310000",
            branch_code=branch,
        )
        if dpd is not None:
            await models.Loan.create(
                loan_ref=f"L{n:06d}",
                firm=firm,
                product="working_capital",
                principal=Decimal(outstanding),
                annual_rate=Decimal("0.05"),
                term_months=12,
                repayment_method="equal_instalment",
                guarantee_type="credit",
                status="active",
                classification=classification,
                days_past_due=dpd,
                outstanding_principal=Decimal(outstanding),
                branch_code=branch,
            )
        if sales_recent is not None:
            for month in ("2026-03", "2026-04", "2026-05"):
                await models.TaxRecord.create(
                    firm=firm,
                    month=month,
                    taxable_sales=Decimal(sales_recent),
                    source="test",
                    fetched_at=FETCHED,
                )
        if sales_year_ago is not None:
            for month in ("2025-03", "2025-04", "2025-05"):
                await models.TaxRecord.create(
                    firm=firm,
                    month=month,
                    taxable_sales=Decimal(sales_year_ago),
                    source="test",
                    fetched_at=FETCHED,
                )
        if overdues is not None:
            await models.BureauSummary.create(
                firm=firm,
                report_date=AS_OF - dt.timedelta(days=10),
                overdue_count=overdues,
                source="test",
                fetched_at=FETCHED,
            )
        return firm

    return create
