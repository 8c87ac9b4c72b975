"""data_quality: completeness, validity, freshness and quarantine per data source."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from smecredit.sdk import (
    AggregateFunction,
    KeyFigures,
    ReportContext,
    ReportDocument,
    ReportParam,
    Table,
)
from smecredit_reports_core.figures import ratio
from smecredit_reports_core.layout import BaseReport, col, day_of, fig

__all__ = ["SUCCESSFUL_RUNS", "DataQuality"]

#: Run statuses that read the source to the end (a partial run had rejected records).
SUCCESSFUL_RUNS: tuple[str, ...] = ("succeeded", "partial")
#: How many of the latest runs the runs table lists.
LATEST_RUNS = 50


class DataQuality(BaseReport):
    """Per source: runs, completeness and validity of records, freshness, quarantine."""

    name = "data_quality"
    title_zh = "数据质量"
    title_en = "Data quality"
    description_zh = "各数据源的完整性、有效性、时效性（距最近成功运行天数）与隔离记录。"
    description_en = (
        "Per data source: completeness and validity of records, freshness (days since the "
        "last successful run), quarantine by code, and the latest runs."
    )
    category = "data"
    roles: tuple[str, ...] = ("risk_analyst", "compliance_auditor", "admin")
    params: tuple[ReportParam, ...] = ()

    async def build(self, context: ReportContext, params: Mapping[str, Any]) -> ReportDocument:
        """Run totals and quarantine counts aggregated in the database."""
        sums: dict[str, tuple[AggregateFunction, str]] = {
            "runs": ("count", "*"),
            "records": ("sum", "records"),
            "accepted": ("sum", "accepted"),
            "quarantined": ("sum", "quarantined"),
            "rejected": ("sum", "rejected"),
        }
        totals = await context.aggregate("source_runs", group_by=("source",), measures=sums)
        last_ok = {
            g["source"]: g["last"]
            for g in await context.aggregate(
                "source_runs",
                group_by=("source",),
                measures={"last": ("max", "finished_at")},
                where={"status": list(SUCCESSFUL_RUNS)},
            )
        }
        rows = []
        for g in sorted(totals, key=lambda g: str(g["source"])):
            # A database sums integers as numerics (PostgreSQL): the cells are counts.
            records, accepted, quarantined, rejected = (
                int(g[k] or 0) for k in ("records", "accepted", "quarantined", "rejected")
            )
            last = day_of(last_ok.get(g["source"]))
            rows.append(
                (
                    g["source"],
                    g["runs"],
                    records,
                    accepted,
                    quarantined,
                    rejected,
                    ratio(records - rejected, records),
                    ratio(accepted, records),
                    last_ok.get(g["source"]),
                    (context.today - last).days if last else None,
                )
            )
        await context.checkpoint()
        quarantine = await context.aggregate(
            "quarantine",
            group_by=("source", "code", "status"),
            measures={"records": ("count", "*")},
        )
        quarantine.sort(key=lambda g: (str(g["source"]), -g["records"], str(g["code"])))
        runs = [
            tuple(r.values())
            async for r in context.rows(
                "source_runs",
                ("source", "run_id", "started_at", "finished_at", "status", "records",
                 "accepted", "quarantined", "rejected"),
                order_by=("-started_at",),
            )
        ][:LATEST_RUNS]  # fmt: skip
        stale = [r for r in rows if r[9] is None or r[9] > 1]
        return ReportDocument(
            sections=(
                KeyFigures(
                    "overall",
                    "总体",
                    "Overall",
                    (
                        fig("sources", "数据源数", "Sources", len(rows), "int"),
                        fig(
                            "stale_sources",
                            "超过1天未成功运行",
                            "Sources not refreshed within a day",
                            len(stale),
                            "int",
                        ),
                        fig(
                            "quarantined",
                            "隔离记录",
                            "Records in quarantine",
                            sum(g["records"] for g in quarantine),
                            "int",
                        ),
                    ),
                ),
                Table(
                    "by_source",
                    "按数据源",
                    "By source",
                    (
                        col("source", "数据源", "Source"),
                        col("runs", "运行次数", "Runs", "int"),
                        col("records", "记录数", "Records", "int"),
                        col("accepted", "接收", "Accepted", "int"),
                        col("quarantined", "隔离", "Quarantined", "int"),
                        col("rejected", "拒绝", "Rejected", "int"),
                        col("completeness", "完整性", "Completeness", "percent"),
                        col("validity", "有效性", "Validity", "percent"),
                        col("last_success", "最近成功运行", "Last successful run", "datetime"),
                        col("freshness_days", "距今天数", "Days since", "int"),
                    ),
                    rows,
                ),
                Table(
                    "quarantine",
                    "隔离记录（按代码）",
                    "Quarantine by code",
                    (
                        col("source", "数据源", "Source"),
                        col("code", "代码", "Code"),
                        col("status", "状态", "Status"),
                        col("records", "记录数", "Records", "int"),
                    ),
                    [(g["source"], g["code"], g["status"], g["records"]) for g in quarantine],
                ),
                Table(
                    "runs",
                    f"最近{LATEST_RUNS}次运行",
                    f"Latest {LATEST_RUNS} runs",
                    (
                        col("source", "数据源", "Source"),
                        col("run_id", "运行编号", "Run", "int"),
                        col("started_at", "开始", "Started", "datetime"),
                        col("finished_at", "结束", "Finished", "datetime"),
                        col("status", "状态", "Status"),
                        col("records", "记录数", "Records", "int"),
                        col("accepted", "接收", "Accepted", "int"),
                        col("quarantined", "隔离", "Quarantined", "int"),
                        col("rejected", "拒绝", "Rejected", "int"),
                    ),
                    runs,
                ),
            ),
            notes_zh=(
                "完整性 = (记录数 - 拒绝数) / 记录数；有效性 = 接收数 / 记录数（全部运行合计）。",
                "时效性 = 统计日距最近一次成功（succeeded 或 partial）运行结束的天数。",
            ),
            notes_en=(
                "Completeness = (records - rejected) / records; validity = accepted / records "
                "(over all runs).",
                "Freshness = days from the last successful (succeeded or partial) run's end to "
                "the business date.",
            ),
            as_of=context.today,
        )
