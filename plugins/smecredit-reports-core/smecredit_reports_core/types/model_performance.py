"""model_performance: AUC, KS, Gini, PSI and CSI, calibration by grade, overrides."""

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
from smecredit_reports_core.discrimination import auc_ks
from smecredit_reports_core.figures import ZERO, as_decimal, ratio
from smecredit_reports_core.layout import BaseReport, col, drain, fig, loan_defaults, offered

__all__ = ["ModelPerformance", "model_filter"]

_ROLES: tuple[str, ...] = ("risk_analyst", "credit_committee", "compliance_auditor", "admin")


def model_filter(model: str | None, version_column: str) -> dict[str, Any]:
    """``where`` for a ``model`` parameter: ``name`` or ``name@version``."""
    if not model:
        return {}
    name, _, version = model.partition("@")
    return {"model_name": name, **({version_column: version} if version else {})}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float | Decimal) else None


class ModelPerformance(BaseReport):
    """Discrimination, stability and calibration of the scoring models, and overrides."""

    name = "model_performance"
    title_zh = "模型表现与人工干预分析"
    title_en = "Model performance and overrides"
    description_zh = "各模型版本的AUC、KS、Gini，PSI与CSI走势，按等级的校准，人工推翻分析。"
    description_en = (
        "AUC, KS and Gini per model version, PSI and CSI over time, calibration by grade "
        "and the analysis of decision overrides."
    )
    category = "models"
    roles = _ROLES
    params: tuple[ReportParam, ...] = (
        ReportParam("model", "model", "模型（名称或名称@版本）", "Model (name or name@version)"),
    )

    async def build(self, context: ReportContext, params: Mapping[str, Any]) -> ReportDocument:
        """Small datasets read as rows; overrides counted in the database."""
        model = params.get("model")
        wanted = ("model_name", "version", "status", "trained_at", "auc", "ks", "gini")
        versions = [
            tuple(r.get(c) for c in wanted)
            async for r in context.rows(
                "model_versions",
                offered(context, "model_versions", wanted),
                where=model_filter(model, "version"),
                order_by=("model_name", "version"),
            )
        ]
        psi: dict[str, dict[Any, float | None]] = {}
        csi: dict[tuple[Any, Any, Any], tuple[Any, Any]] = {}
        monitoring = context.rows(
            "model_monitoring",
            offered(
                context,
                "model_monitoring",
                ("model_name", "version", "as_of", "psi", "feature", "csi"),
            ),
            where=model_filter(model, "version"),
            order_by=("as_of",),
        )
        async for r in drain(context, monitoring):
            if r.get("feature") is None:
                series = psi.setdefault(f"{r['model_name']}@{r['version']}", {})
                series[r["as_of"]] = _number(r.get("psi"))
            else:
                # Ordered by date: the last row of a feature is its latest CSI.
                csi[(r["model_name"], r["version"], r["feature"])] = (r["as_of"], r.get("csi"))
        days = sorted({day for series in psi.values() for day in series})
        calibration, observed = await self._calibration(context, model)
        overrides = await context.aggregate(
            "decision_overrides",
            group_by=("kind", "actor"),
            measures={
                "overrides": ("count", "*"),
                "applications": ("count_distinct", "application_id"),
            },
        )
        overrides.sort(key=lambda g: (str(g["kind"]), -g["overrides"], str(g["actor"])))
        by_kind: dict[str, int] = {}
        for g in overrides:
            by_kind[str(g["kind"])] = by_kind.get(str(g["kind"]), 0) + g["overrides"]
        return ReportDocument(
            sections=(
                KeyFigures(
                    "observed",
                    "观察到的区分度",
                    "Observed discrimination",
                    (
                        fig("observed_auc", "观察AUC", "Observed AUC", observed[0]),
                        fig("observed_ks", "观察KS", "Observed KS", observed[1]),
                        fig("overrides", "人工推翻次数", "Overrides", sum(by_kind.values()), "int"),
                    ),
                ),
                Table(
                    "versions",
                    "模型版本区分度",
                    "Discrimination per model version",
                    (
                        col("model_name", "模型", "Model"),
                        col("version", "版本", "Version"),
                        col("status", "状态", "Status"),
                        col("trained_at", "训练时间", "Trained at", "datetime"),
                        col("auc", "AUC", "AUC", "decimal"),
                        col("ks", "KS", "KS", "decimal"),
                        col("gini", "Gini", "Gini", "decimal"),
                    ),
                    versions,
                ),
                Table(
                    "psi",
                    "PSI走势",
                    "PSI over time",
                    (
                        col("model", "模型@版本", "Model@version"),
                        col("as_of", "日期", "As of", "date"),
                        col("psi", "PSI", "PSI", "decimal"),
                    ),
                    [
                        (m, day, value)
                        for m, series in sorted(psi.items())
                        for day, value in series.items()
                    ],
                ),
                Chart(
                    "psi_chart",
                    "PSI走势",
                    "PSI over time",
                    "line",
                    tuple(day.isoformat() for day in days),
                    tuple(
                        Series(m, m, tuple(series.get(day) for day in days))
                        for m, series in sorted(psi.items())
                    ),
                    "decimal",
                ),
                Table(
                    "csi",
                    "特征CSI（最新）",
                    "Latest CSI per feature",
                    (
                        col("model_name", "模型", "Model"),
                        col("version", "版本", "Version"),
                        col("feature", "特征", "Feature"),
                        col("as_of", "日期", "As of", "date"),
                        col("csi", "CSI", "CSI", "decimal"),
                    ),
                    [
                        (*key, day, value)
                        for key, (day, value) in sorted(
                            csi.items(), key=lambda i: tuple(map(str, i[0]))
                        )
                    ],
                ),
                Table(
                    "calibration",
                    "按等级校准",
                    "Calibration by grade",
                    (
                        col("grade", "等级", "Grade"),
                        col("firms", "企业数", "Firms", "int"),
                        col("mean_pd", "平均PD", "Mean PD", "percent"),
                        col("defaulted", "违约企业数", "Defaulted firms", "int"),
                        col("default_rate", "实际违约率", "Observed default rate", "percent"),
                    ),
                    calibration,
                ),
                Table(
                    "overrides",
                    "人工推翻（按类型与操作人）",
                    "Overrides by kind and actor",
                    (
                        col("kind", "类型", "Kind"),
                        col("actor", "操作人", "Actor"),
                        col("overrides", "次数", "Overrides", "int"),
                        col("applications", "申请数", "Applications", "int"),
                        col("share_of_kind", "占该类型比例", "Share of the kind", "percent"),
                    ),
                    [
                        (
                            g["kind"],
                            g["actor"],
                            g["overrides"],
                            g["applications"],
                            ratio(g["overrides"], by_kind[str(g["kind"])]),
                        )
                        for g in overrides
                    ],
                ),
            ),
            notes_zh=(
                "AUC、KS、Gini取自模型版本记录；PSI为模型层面（feature为空），CSI为各特征最新值。",
                "校准：每家企业取该模型最新一次评分的PD与等级；违约 = 企业任一贷款在分类历史中"
                "逾期90天及以上。观察AUC/KS以此PD与违约标志计算。",
            ),
            notes_en=(
                "AUC, KS and Gini come from the model version records; PSI is model-level "
                "(no feature), CSI the latest value per feature.",
                "Calibration: each firm's latest score of the model (PD and grade); a firm "
                "defaulted when any of its loans reached 90+ days past due in the "
                "classification history. The observed AUC and KS use that PD and flag.",
            ),
        )

    async def _calibration(
        self, context: ReportContext, model: str | None
    ) -> tuple[list[tuple[Any, ...]], tuple[float | None, float | None]]:
        latest: dict[tuple[Any, Any], tuple[Any, Any]] = {}
        scores = context.rows(
            "scores",
            ("firm_id", "model_name", "pd", "grade"),
            where=model_filter(model, "model_version"),
            order_by=("scored_at",),
        )
        async for r in drain(context, scores):
            latest[(r["model_name"], r["firm_id"])] = (r["grade"], r["pd"])
        defaulted_loans = await loan_defaults(context)
        defaulted_firms: set[Any] = set()
        if defaulted_loans:
            # Streamed, not filtered by id: the defaulted loans can be too many for an IN list.
            async for r in drain(context, context.rows("loans", ("loan_id", "firm_id"))):
                if r["loan_id"] in defaulted_loans:
                    defaulted_firms.add(r["firm_id"])
        grades: dict[str, list[Any]] = {}
        pairs: list[tuple[float, bool]] = []
        for (_, firm), (grade, pd) in latest.items():
            entry = grades.setdefault(str(grade), [0, ZERO, 0])
            bad = firm in defaulted_firms
            entry[0] += 1
            entry[1] += as_decimal(pd) if isinstance(pd, int | float | Decimal) else ZERO
            entry[2] += bad
            if isinstance(pd, int | float | Decimal):
                pairs.append((float(pd), bad))
        rows = [
            (grade, n, ratio(pd_sum, n), bad, ratio(bad, n))
            for grade, (n, pd_sum, bad) in sorted(grades.items())
        ]
        return rows, auc_ks(pairs)
