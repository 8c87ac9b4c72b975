"""compliance_checks: the latest compliance run's checks and the history of its score."""

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
from smecredit_reports_core.layout import BaseReport, col, drain, fig, offered

__all__ = ["ComplianceChecks"]


class ComplianceChecks(BaseReport):
    """The platform's own compliance checks: latest results, evidence, score history."""

    name = "compliance_checks"
    title_zh = "平台合规检查"
    title_en = "Compliance checks"
    description_zh = "最近一次合规检查的各项结果（状态、权重、证据）、总分及历次总分。"
    description_en = (
        "The latest compliance run's checks with status, weight and evidence, its overall "
        "score, and the history of overall scores."
    )
    category = "compliance"
    roles: tuple[str, ...] = ("compliance_auditor", "risk_analyst", "credit_committee", "admin")
    params: tuple[ReportParam, ...] = ()

    async def build(self, context: ReportContext, params: Mapping[str, Any]) -> ReportDocument:
        """The history from one aggregate; the latest run's checks as rows."""
        served = bool(offered(context, "compliance_results", ("run_id",)))
        runs: list[dict[str, Any]] = []
        if served:
            runs = await context.aggregate(
                "compliance_results",
                group_by=("run_id",),
                measures={
                    "run_at": ("max", "run_at"),
                    "overall_score": ("max", "overall_score"),
                    "checks": ("count", "*"),
                },
            )
        await context.checkpoint()
        runs.sort(key=lambda g: (g["run_at"] is None, g["run_at"], g["run_id"]))
        statuses: dict[str, int] = {}
        checks: list[tuple[Any, ...]] = []
        latest = runs[-1] if runs else None
        if latest is not None:
            rows = context.rows(
                "compliance_results",
                ("check_code", "title_zh", "title_en", "status", "weight", "score", "evidence"),
                where={"run_id": latest["run_id"]},
                order_by=("check_code",),
            )
            async for r in drain(context, rows):
                title = r["title_en"] if context.language == "en" else r["title_zh"]
                checks.append(
                    (r["check_code"], title, r["status"], r["weight"], r["score"], r["evidence"])
                )
                statuses[str(r["status"])] = statuses.get(str(r["status"]), 0) + 1
        score = latest["overall_score"] if latest else None
        history = [(g["run_id"], g["run_at"], g["overall_score"], g["checks"]) for g in runs]
        return ReportDocument(
            sections=(
                KeyFigures(
                    "latest",
                    "最近一次检查",
                    "Latest run",
                    (
                        fig("overall_score", "总分", "Overall score", score),
                        fig(
                            "run_at",
                            "检查时间",
                            "Run at",
                            latest["run_at"] if latest else None,
                            "datetime",
                        ),
                        *(
                            fig(
                                status,
                                f"{status}数",
                                f"Checks {status}",
                                statuses.get(status, 0),
                                "int",
                            )
                            for status in ("pass", "fail", "warning", "error")
                        ),
                    ),
                ),
                Table(
                    "checks",
                    "检查结果",
                    "Checks",
                    (
                        col("check_code", "代码", "Code"),
                        col("title", "检查项", "Check"),
                        col("status", "状态", "Status"),
                        col("weight", "权重", "Weight", "decimal"),
                        col("score", "得分", "Score", "decimal"),
                        col("evidence", "证据", "Evidence"),
                    ),
                    checks,
                ),
                Table(
                    "history",
                    "历次总分",
                    "Overall score history",
                    (
                        col("run_id", "运行编号", "Run", "int"),
                        col("run_at", "检查时间", "Run at", "datetime"),
                        col("overall_score", "总分", "Overall score", "decimal"),
                        col("checks", "检查项数", "Checks", "int"),
                    ),
                    history,
                ),
                Chart(
                    "history_chart",
                    "总分走势",
                    "Overall score",
                    "line",
                    tuple(str(g[1].date() if hasattr(g[1], "date") else g[0]) for g in history),
                    (
                        Series(
                            "总分",
                            "Overall score",
                            tuple(
                                float(g[2]) if isinstance(g[2], int | float | Decimal) else None
                                for g in history
                            ),
                        ),
                    ),
                    "decimal",
                ),
            ),
            notes_zh=(
                "总分由合规检查按其文档所述的方法与权重计算；本报告按检查记录原样列出。",
                *(() if served else ("本平台未提供合规检查结果数据集（compliance_results）。",)),
            ),
            notes_en=(
                "The overall score is computed by the compliance checks with their documented "
                "method and weights; this report lists the recorded results as they are.",
                *(() if served else ("The platform serves no compliance_results dataset.",)),
            ),
        )
