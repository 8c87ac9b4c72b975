"""portfolio_at_risk: PAR 30/60/90 and aging buckets by branch and product."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
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
from smecredit_reports_core.buckets import AGING_BUCKETS, PAR_THRESHOLDS, bucket_for, par_ratios
from smecredit_reports_core.figures import ZERO, as_decimal, ratio
from smecredit_reports_core.layout import AS_OF, BRANCH, PRODUCT, BaseReport, col, fig, outstanding

__all__ = ["PortfolioAtRisk", "balance_by_dpd"]


async def balance_by_dpd(
    context: ReportContext, where: Mapping[str, Any], group_by: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Loans and balance per DPD value (and ``group_by``), grouped in the database."""
    return await context.aggregate(
        "loans",
        group_by=(*group_by, "days_past_due"),
        measures={"loans": ("count", "*"), "balance": ("sum", "balance")},
        where=where,
    )


def _aging_rows(groups: list[dict[str, Any]], keys: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """Per ``keys`` group: balance per bucket, the total and PAR 30/60/90."""
    by_group: dict[tuple[Any, ...], list[tuple[int | None, Decimal]]] = {}
    for g in groups:
        by_group.setdefault(tuple(g[k] for k in keys), []).append(
            (g["days_past_due"], as_decimal(g["balance"]))
        )
    rows = []
    for group in sorted(by_group, key=lambda k: tuple(str(v) for v in k)):
        pairs = by_group[group]
        buckets = dict.fromkeys((b.key for b in AGING_BUCKETS), ZERO)
        for dpd, balance in pairs:
            buckets[bucket_for(dpd).key] += balance
        total = sum(buckets.values(), ZERO)
        par = par_ratios(pairs)
        rows.append((*group, *buckets.values(), total, *(par[n] for n in PAR_THRESHOLDS)))
    return rows


def _aging_columns(keys: tuple[tuple[str, str, str], ...]) -> tuple[Any, ...]:
    return (
        *(col(k, zh, en) for k, zh, en in keys),
        *(col(b.key, b.title_zh, b.title_en, "money") for b in AGING_BUCKETS),
        col("balance", "余额合计", "Balance", "money"),
        *(col(f"par_{n}", f"PAR{n}", f"PAR {n}", "percent") for n in PAR_THRESHOLDS),
    )


class PortfolioAtRisk(BaseReport):
    """PAR 30/60/90 and aging buckets of the balance, by branch and by product."""

    name = "portfolio_at_risk"
    title_zh = "风险贷款（PAR）与账龄分析"
    title_en = "Portfolio at risk and aging"
    description_zh = "PAR30/60/90 及按机构、产品的逾期账龄分布。"
    description_en = "PAR 30/60/90 and aging buckets (current to 180+ days) by branch and product."
    category = "risk"
    params: tuple[ReportParam, ...] = (AS_OF, BRANCH, PRODUCT)

    async def build(self, context: ReportContext, params: Mapping[str, Any]) -> ReportDocument:
        """Three aggregates (whole book, by branch, by product) grouped by DPD in the database."""
        as_of = params.get("as_of") or context.today
        where = outstanding(params, as_of, context.today)
        whole = await balance_by_dpd(context, where)
        (totals,) = _aging_rows(whole, ()) or [
            (*([ZERO] * (len(AGING_BUCKETS) + 1)), *([ZERO] * 3))
        ]
        total = totals[len(AGING_BUCKETS)]
        par = totals[len(AGING_BUCKETS) + 1 :]
        loans = sum(g["loans"] for g in whole)
        figures = (
            fig("balance", "贷款余额", "Balance", total, "money"),
            fig("loans", "贷款笔数", "Loans", loans, "int"),
            *(
                fig(f"par_{n}", f"PAR{n}", f"PAR {n}", value, "percent")
                for n, value in zip(PAR_THRESHOLDS, par, strict=True)
            ),
        )
        sections: list[Any] = [
            KeyFigures("par", "风险贷款比率", "Portfolio at risk", figures),
            Table(
                "aging",
                "账龄分布（全部）",
                "Aging (whole book)",
                (
                    col("bucket", "账龄", "Bucket"),
                    col("balance", "余额", "Balance", "money"),
                    col("share", "占比", "Share", "percent"),
                ),
                [
                    (
                        b.title_en if context.language == "en" else b.title_zh,
                        value,
                        ratio(value, total),
                    )
                    for b, value in zip(AGING_BUCKETS, totals, strict=False)
                ],
            ),
            Chart(
                "aging_chart",
                "账龄分布",
                "Aging",
                "bar",
                tuple(
                    b.title_en if context.language == "en" else b.title_zh for b in AGING_BUCKETS
                ),
                (Series("余额", "Balance", tuple(float(v) for v in totals[: len(AGING_BUCKETS)])),),
                "money",
            ),
        ]
        for key, zh, en in (("branch_code", "机构", "Branch"), ("product", "产品", "Product")):
            await context.checkpoint()
            groups = await balance_by_dpd(context, where, (key,))
            sections.append(
                Table(
                    f"aging_by_{key}",
                    f"按{zh}账龄与PAR",
                    f"Aging and PAR by {en.lower()}",
                    _aging_columns(((key, zh, en),)),
                    _aging_rows(groups, (key,)),
                )
            )
        return ReportDocument(
            sections=tuple(sections),
            notes_zh=(
                "PARn = 逾期天数大于n天的贷款余额 / 全部贷款余额（统计日前发放、余额大于零）。",
                "账龄区间：未逾期、1-30、31-60、61-90、91-180、180天以上。",
            ),
            notes_en=(
                "PAR n = balance of loans more than n days past due / the whole balance (loans "
                "disbursed by the as-of date with a balance above zero).",
                "Aging buckets: current, 1-30, 31-60, 61-90, 91-180 and over 180 days past due.",
            ),
            as_of=as_of,
        )
