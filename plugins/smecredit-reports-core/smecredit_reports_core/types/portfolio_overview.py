"""portfolio_overview: balance and count by dimension, top-10 borrower concentration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from smecredit.sdk import (
    Chart,
    KeyFigures,
    ReportContext,
    ReportDocument,
    ReportParam,
    Series,
    Table,
)
from smecredit_reports_core.figures import ZERO, as_decimal, ratio
from smecredit_reports_core.layout import (
    AS_OF,
    BRANCH,
    PRODUCT,
    BaseReport,
    col,
    fig,
    outstanding,
)

__all__ = ["DIMENSIONS", "PortfolioOverview"]

#: (dataset column, zh, en) of each breakdown.
DIMENSIONS: tuple[tuple[str, str, str], ...] = (
    ("product", "产品", "Product"),
    ("industry_code", "行业", "Industry"),
    ("region_code", "地区", "Region"),
    ("branch_code", "机构", "Branch"),
    ("risk_grade", "风险等级", "Risk grade"),
)
_MEASURES: Mapping[str, tuple[Any, str]] = {
    "loans": ("count", "*"),
    "balance": ("sum", "balance"),
}
TOP = 10


class PortfolioOverview(BaseReport):
    """Balance and number of loans by product, industry, region, branch and grade."""

    name = "portfolio_overview"
    title_zh = "贷款组合概览"
    title_en = "Portfolio overview"
    description_zh = "按产品、行业、地区、机构、风险等级的贷款余额与笔数，前十大借款人集中度。"
    description_en = (
        "Balance and number of loans by product, industry, region, branch and grade; "
        "top-10 borrower concentration."
    )
    params: tuple[ReportParam, ...] = (AS_OF, BRANCH, PRODUCT)

    async def build(self, context: ReportContext, params: Mapping[str, Any]) -> ReportDocument:
        """Aggregates in the database; names of the top borrowers through rows()."""
        as_of = params.get("as_of") or context.today
        where = outstanding(params, as_of, context.today)
        measures = {**_MEASURES, "borrowers": ("count_distinct", "firm_id")}
        (whole,) = await context.aggregate("loans", measures=measures, where=where)
        total = as_decimal(whole["balance"])
        sections: list[Any] = [
            KeyFigures(
                "totals",
                "总量",
                "Totals",
                (
                    fig("balance", "贷款余额", "Balance", total, "money"),
                    fig("loans", "贷款笔数", "Loans", whole["loans"], "int"),
                    fig("borrowers", "借款人数", "Borrowers", whole["borrowers"], "int"),
                ),
            )
        ]
        for column, zh, en in DIMENSIONS:
            await context.checkpoint()
            groups = await context.aggregate(
                "loans", group_by=(column,), measures=_MEASURES, where=where
            )
            groups.sort(key=lambda g: (-as_decimal(g["balance"]), str(g[column])))
            rows = [
                (g[column], g["loans"], as_decimal(g["balance"]), ratio(g["balance"], total))
                for g in groups
            ]
            sections.append(
                Table(
                    f"by_{column}",
                    f"按{zh}",
                    f"By {en.lower()}",
                    (
                        col(column, zh, en),
                        col("loans", "笔数", "Loans", "int"),
                        col("balance", "余额", "Balance", "money"),
                        col("share", "占比", "Share", "percent"),
                    ),
                    rows,
                )
            )
            if column == "product":
                sections.append(
                    Chart(
                        "by_product_chart",
                        "按产品余额",
                        "Balance by product",
                        "pie",
                        tuple(str(r[0]) for r in rows),
                        (Series("余额", "Balance", tuple(float(r[2]) for r in rows)),),
                        "money",
                    )
                )
        sections.append(await self._top_borrowers(context, where, total))
        return ReportDocument(
            sections=tuple(sections),
            notes_zh=(
                "余额为当前余额；纳入统计日前发放且余额大于零的贷款。",
                "集中度 = 借款人余额 / 全部贷款余额；"
                "借款人名称按数据集给出的形式显示（可能已脱敏）。",
            ),
            notes_en=(
                "Balances are current balances of loans disbursed by the as-of date with a "
                "balance above zero.",
                "Concentration = the borrower's balance / the whole balance; names are shown "
                "as the dataset gives them (masked where the policy masks them).",
            ),
            as_of=as_of,
        )

    async def _top_borrowers(
        self, context: ReportContext, where: dict[str, Any], total: Any
    ) -> Table:
        # Grouped by firm id, never by name: a masked name would merge different firms.
        by_firm = await context.aggregate(
            "loans", group_by=("firm_id",), measures=_MEASURES, where=where
        )
        by_firm.sort(key=lambda g: (-as_decimal(g["balance"]), g["firm_id"] or 0))
        top = by_firm[:TOP]
        names: dict[Any, Any] = {}
        ids = [g["firm_id"] for g in top if g["firm_id"] is not None]
        if ids:
            async for row in context.rows(
                "loans", ("firm_id", "firm_name"), where={"firm_id": ids}
            ):
                names.setdefault(row["firm_id"], row["firm_name"])
        rows = []
        running = ZERO
        for rank, g in enumerate(top, 1):
            balance = as_decimal(g["balance"])
            running += balance
            rows.append(
                (
                    rank,
                    g["firm_id"],
                    names.get(g["firm_id"]),
                    g["loans"],
                    balance,
                    ratio(balance, total),
                    ratio(running, total),
                )
            )
        return Table(
            "top_borrowers",
            "前十大借款人集中度",
            "Top-10 borrower concentration",
            (
                col("rank", "排名", "Rank", "int"),
                col("firm_id", "企业编号", "Firm id", "int"),
                col("firm_name", "企业名称", "Firm", "text"),
                col("loans", "笔数", "Loans", "int"),
                col("balance", "余额", "Balance", "money"),
                col("share", "占比", "Share", "percent"),
                col("cumulative_share", "累计占比", "Cumulative share", "percent"),
            ),
            rows,
        )
