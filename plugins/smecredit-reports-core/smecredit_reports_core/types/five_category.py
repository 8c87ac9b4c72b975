"""five_category: the five-category distribution and the migration matrix between dates."""

from __future__ import annotations

import datetime as dt
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
from smecredit_reports_core.figures import ZERO, add_months, as_decimal, ratio
from smecredit_reports_core.layout import (
    BRANCH,
    CLASSES,
    NON_PERFORMING,
    PRODUCT,
    BaseReport,
    col,
    drain,
    fig,
    outstanding,
    scoped,
)
from smecredit_reports_core.migration import StateTracker, migration_matrix

__all__ = ["FiveCategory", "class_distribution"]


async def class_distribution(
    context: ReportContext, where: Mapping[str, Any]
) -> dict[str, tuple[int, Any]]:
    """Class -> (loans, balance), from one aggregate in the database."""
    groups = await context.aggregate(
        "loans",
        group_by=("classification",),
        measures={"loans": ("count", "*"), "balance": ("sum", "balance")},
        where=where,
    )
    return {str(g["classification"]): (g["loans"], as_decimal(g["balance"])) for g in groups}


class FiveCategory(BaseReport):
    """Distribution by class (count, balance, share) and migration between two dates."""

    name = "five_category"
    title_zh = "五级分类报告"
    title_en = "Five-category classification"
    description_zh = "五级分类分布（笔数、余额、占比）及两个日期之间的迁徙矩阵。"
    description_en = (
        "Distribution by five-category class (count, balance, share) and the migration "
        "matrix between two dates."
    )
    category = "risk"
    params: tuple[ReportParam, ...] = (
        ReportParam("to_date", "date", "截止日", "To date", default="today"),
        ReportParam(
            "from_date", "date", "起始日（默认前一个月同日）", "From date (default: a month before)"
        ),
        BRANCH,
        PRODUCT,
    )

    async def build(self, context: ReportContext, params: Mapping[str, Any]) -> ReportDocument:
        """One aggregate for the distribution; the history streamed once for migration."""
        to_date: dt.date = params.get("to_date") or context.today
        from_date: dt.date = params.get("from_date") or add_months(to_date, -1)
        if from_date > to_date:
            from_date, to_date = to_date, from_date
        distribution = await class_distribution(
            context, outstanding(params, to_date, context.today)
        )
        total = sum((balance for _, balance in distribution.values()), ZERO)
        count = sum(n for n, _ in distribution.values())
        known = [code for code, _, _ in CLASSES]
        others = sorted(set(distribution) - set(known))
        labels = {code: (zh, en) for code, zh, en in CLASSES}
        rows = []
        for code in [*known, *others]:
            n, balance = distribution.get(code, (0, ZERO))
            zh, en = labels.get(code, (code, code))
            rows.append((code, zh, en, n, balance, ratio(balance, total), ratio(n, count)))
        npl = sum((distribution.get(c, (0, ZERO))[1] for c in NON_PERFORMING), ZERO)
        sections: list[Any] = [
            KeyFigures(
                "totals",
                "总量",
                "Totals",
                (
                    fig("balance", "贷款余额", "Balance", total, "money"),
                    fig("loans", "贷款笔数", "Loans", count, "int"),
                    fig("npl_balance", "不良贷款余额", "Non-performing balance", npl, "money"),
                    fig("npl_ratio", "不良贷款率", "NPL ratio", ratio(npl, total), "percent"),
                ),
            ),
            Table(
                "distribution",
                "五级分类分布",
                "Distribution by class",
                (
                    col("class", "分类代码", "Class code"),
                    col("class_zh", "分类", "Class (zh)"),
                    col("class_en", "Class", "Class"),
                    col("loans", "笔数", "Loans", "int"),
                    col("balance", "余额", "Balance", "money"),
                    col("balance_share", "余额占比", "Balance share", "percent"),
                    col("count_share", "笔数占比", "Count share", "percent"),
                ),
                rows,
            ),
            Chart(
                "distribution_chart",
                "五级分类余额",
                "Balance by class",
                "bar",
                tuple(r[2] for r in rows),
                (Series("余额", "Balance", tuple(float(r[4]) for r in rows)),),
                "money",
            ),
        ]
        sections.extend(await self._migration(context, params, from_date, to_date, known))
        return ReportDocument(
            sections=tuple(sections),
            notes_zh=(
                "分布为截止日前发放且当前余额大于零的贷款，按当前分类。",
                "迁徙矩阵：某日的分类 = 分类历史中该日或之前最近的一条记录；"
                "行为起始日分类，列为截止日分类，“无”表示截止日无记录。",
            ),
            notes_en=(
                "The distribution covers loans disbursed by the to date with a balance above "
                "zero, by their current class.",
                "Migration: a loan's class on a date is its latest classification history row "
                "on or before that date; rows are the class at the from date, columns the "
                "class at the to date, 'none' when it has no row by then.",
            ),
            as_of=to_date,
        )

    async def _migration(
        self,
        context: ReportContext,
        params: Mapping[str, Any],
        from_date: dt.date,
        to_date: dt.date,
        known: list[str],
    ) -> list[Any]:
        history = context.rows(
            "classification_history",
            ("loan_id", "as_of", "loan_class"),
            where=scoped(params, as_of=("<=", to_date)),
        )
        tracker: StateTracker[Any, str] = StateTracker((from_date, to_date))
        async for r in drain(context, history):
            tracker.add(r["loan_id"], r["as_of"], str(r["loan_class"]))
        at = tracker.states()
        matrix = migration_matrix(at[from_date], at[to_date], known)
        columns = [
            *known,
            *sorted({c for row in matrix.values() for c in row} - {*known, "none"}),
            "none",
        ]
        labels = {code: (zh, en) for code, zh, en in CLASSES} | {"none": ("无", "None")}
        table_rows: list[tuple[Any, ...]] = []
        for start, row in matrix.items():
            table_rows.append((start, *(row.get(c, 0) for c in columns), sum(row.values())))
        return [
            Table(
                "migration",
                f"迁徙矩阵 {from_date.isoformat()} → {to_date.isoformat()}",
                f"Migration matrix {from_date.isoformat()} → {to_date.isoformat()}",
                (
                    col("from_class", "起始分类", "From class"),
                    *(
                        col(f"to_{c}", labels.get(c, (c, c))[0], labels.get(c, (c, c))[1], "int")
                        for c in columns
                    ),
                    col("total", "合计", "Total", "int"),
                ),
                table_rows,
            ),
            Chart(
                "migration_chart",
                "迁徙（笔数）",
                "Migration (loans)",
                "stacked_bar",
                tuple(
                    labels.get(str(r[0]), (str(r[0]), str(r[0])))[context.language == "en"]
                    for r in table_rows
                ),
                tuple(
                    Series(
                        labels.get(c, (c, c))[0],
                        labels.get(c, (c, c))[1],
                        tuple(float(r[1 + i]) for r in table_rows),
                    )
                    for i, c in enumerate(columns)
                ),
                "int",
            ),
        ]
