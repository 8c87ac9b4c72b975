"""npl_trend_vintage: NPL ratio by month end and vintage curves by disbursement quarter."""

from __future__ import annotations

import datetime as dt
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
from smecredit_reports_core.effectiveness import first_defaults
from smecredit_reports_core.figures import ZERO, as_decimal, month_ends, ratio
from smecredit_reports_core.layout import (
    AS_OF,
    BRANCH,
    NON_PERFORMING,
    PRODUCT,
    BaseReport,
    col,
    drain,
    fig,
    scoped,
)
from smecredit_reports_core.migration import StateTracker
from smecredit_reports_core.vintage import vintage_curves

__all__ = ["NplTrendVintage"]

#: Months on book shown as columns of the vintage table (the chart shows every month).
_TABLE_STEP = 3


class NplTrendVintage(BaseReport):
    """NPL ratio at each month end over N months, and vintage curves per quarter."""

    name = "npl_trend_vintage"
    title_zh = "不良率趋势与账龄（Vintage）分析"
    title_en = "NPL trend and vintage curves"
    description_zh = "近N个月末不良贷款率，及按发放季度的累计90天以上逾期率曲线。"
    description_en = (
        "NPL ratio at each month end over N months, and the cumulative share of loans ever "
        "90+ days past due by months on book, per disbursement quarter."
    )
    category = "risk"
    params: tuple[ReportParam, ...] = (
        AS_OF,
        ReportParam("months", "int", "月数", "Months", default=12, minimum=1, maximum=60),
        ReportParam(
            "max_months_on_book",
            "int",
            "最长账龄（月）",
            "Months on book shown",
            default=24,
            minimum=3,
            maximum=120,
        ),
        BRANCH,
        PRODUCT,
    )

    async def build(self, context: ReportContext, params: Mapping[str, Any]) -> ReportDocument:
        """The history streamed once: month-end classes and first 90+ DPD dates."""
        as_of: dt.date = params.get("as_of") or context.today
        ends = month_ends(as_of, int(params.get("months") or 12))
        max_mob = int(params.get("max_months_on_book") or 24)
        closed: dict[Any, dt.date | None] = {}
        loans = context.rows("loans", ("loan_id", "closed_on"), where=scoped(params))
        async for row in drain(context, loans):
            closed[row["loan_id"]] = row["closed_on"]
        tracker: StateTracker[Any, tuple[str, Decimal]] = StateTracker(ends)
        disbursed: dict[Any, dt.date] = {}
        dpd_rows: list[tuple[int, dt.date, int | None]] = []
        history = context.rows(
            "classification_history",
            ("loan_id", "as_of", "dpd", "loan_class", "principal", "disbursed_on"),
            where=scoped(params, as_of=("<=", as_of)),
        )
        async for row in drain(context, history):
            loan = row["loan_id"]
            tracker.add(loan, row["as_of"], (str(row["loan_class"]), as_decimal(row["principal"])))
            if row["disbursed_on"] is not None:
                disbursed[loan] = row["disbursed_on"]
            if (row["dpd"] or 0) >= 90:
                dpd_rows.append((loan, row["as_of"], row["dpd"]))
        trend = []
        for end, states in tracker.states().items():
            # A loan closed by the month end has left the book, whatever its last class.
            book = [s for loan, s in states.items() if (closed.get(loan) or dt.date.max) > end]
            total = sum((p for _, p in book), ZERO)
            npl = sum((p for c, p in book if c in NON_PERFORMING), ZERO)
            trend.append((end, len(book), total, npl, ratio(npl, total)))
        defaults = first_defaults(dpd_rows)
        curves = vintage_curves(
            ((day, defaults.get(loan)) for loan, day in disbursed.items()), as_of, max_mob
        )
        cohort_size: dict[str, int] = {}
        for day in disbursed.values():
            if day <= as_of:
                key = f"{day.year}Q{(day.month - 1) // 3 + 1}"
                cohort_size[key] = cohort_size.get(key, 0) + 1
        shown = list(range(0, max_mob + 1, _TABLE_STEP))
        latest = trend[-1] if trend else (as_of, 0, ZERO, ZERO, ZERO)
        return ReportDocument(
            sections=(
                KeyFigures(
                    "latest",
                    "最近月末",
                    "Latest month end",
                    (
                        fig("npl_ratio", "不良贷款率", "NPL ratio", latest[4], "percent"),
                        fig("npl_principal", "不良贷款本金", "NPL principal", latest[3], "money"),
                        fig("principal", "贷款本金", "Principal", latest[2], "money"),
                    ),
                ),
                Table(
                    "npl_trend",
                    "不良率月度趋势",
                    "NPL ratio by month end",
                    (
                        col("month_end", "月末", "Month end", "date"),
                        col("loans", "笔数", "Loans", "int"),
                        col("principal", "本金", "Principal", "money"),
                        col("npl_principal", "不良本金", "NPL principal", "money"),
                        col("npl_ratio", "不良率", "NPL ratio", "percent"),
                    ),
                    trend,
                ),
                Chart(
                    "npl_trend_chart",
                    "不良率趋势",
                    "NPL ratio trend",
                    "line",
                    tuple(end.isoformat() for end, *_ in trend),
                    (Series("不良率", "NPL ratio", tuple(float(t[4]) for t in trend)),),
                    "percent",
                ),
                Table(
                    "vintage",
                    "Vintage：累计90天以上逾期率",
                    "Vintage: cumulative 90+ DPD rate",
                    (
                        col("quarter", "发放季度", "Disbursed in"),
                        col("loans", "笔数", "Loans", "int"),
                        *(col(f"mob_{m}", f"第{m}月", f"Month {m}", "percent") for m in shown),
                    ),
                    [
                        (q, cohort_size.get(q, 0), *(curve[m] for m in shown))
                        for q, curve in curves.items()
                    ],
                ),
                Chart(
                    "vintage_chart",
                    "Vintage曲线",
                    "Vintage curves",
                    "line",
                    tuple(str(m) for m in range(max_mob + 1)),
                    tuple(Series(q, q, curve) for q, curve in curves.items()),
                    "percent",
                ),
            ),
            notes_zh=(
                "不良率 = 次级+可疑+损失类贷款余额 / 全部贷款余额，按月末计；月末分类为分类历史中"
                "该日或之前最近的一条记录，月末前已结清的贷款不计。",
                "分类历史不含余额，故此处余额以贷款本金（principal）代替。",
                "Vintage：每个发放季度的贷款中，在第n个账龄月（含）之前曾逾期90天以上的累计占比；"
                "尚未到达的账龄月为空。",
            ),
            notes_en=(
                "NPL ratio = substandard + doubtful + loss balance / total balance at each month "
                "end; a loan's class at a month end is its latest classification history row "
                "on or before it; loans closed by then are left out.",
                "The classification history holds no balance: the principal stands in for it.",
                "Vintage: the cumulative share of a disbursement quarter's loans that were ever "
                "90+ days past due by each month on book; months the quarter has not reached "
                "are empty.",
            ),
            as_of=as_of,
        )
