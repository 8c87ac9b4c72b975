"""expected_credit_loss: EAD, PD, LGD and ECL by IFRS 9 stage, with coverage."""

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
from smecredit_reports_core.ecl import GRADE_PD_12M, UNGRADED_PD_12M, ecl, stage_pd
from smecredit_reports_core.figures import ZERO, as_decimal, months_between, ratio
from smecredit_reports_core.layout import (
    AS_OF,
    BRANCH,
    PRODUCT,
    BaseReport,
    col,
    drain,
    fig,
    lgd_of,
    outstanding,
)

__all__ = ["ExpectedCreditLoss"]

_STAGES: tuple[tuple[int, str, str], ...] = (
    (1, "第一阶段", "Stage 1"),
    (2, "第二阶段", "Stage 2"),
    (3, "第三阶段", "Stage 3"),
)


async def latest_pds(context: ReportContext) -> dict[Any, Decimal]:
    """Firm id -> the PD of its latest score (any model)."""
    pds: dict[Any, Decimal] = {}
    scores = context.rows("scores", ("firm_id", "pd"), order_by=("scored_at",))
    async for row in drain(context, scores):
        if isinstance(row["pd"], int | float | Decimal):
            pds[row["firm_id"]] = as_decimal(row["pd"])
    return pds


class ExpectedCreditLoss(BaseReport):
    """Provisioning: ECL = PD x LGD x EAD per IFRS 9 stage."""

    name = "expected_credit_loss"
    title_zh = "预期信用损失（IFRS 9 / 新金融工具准则）"
    title_en = "Expected credit loss (IFRS 9)"
    description_zh = "按IFRS 9阶段的违约风险敞口、违约概率、违约损失率、预期信用损失与拨备覆盖率。"
    description_en = "EAD, PD, LGD, ECL and coverage by IFRS 9 stage."
    category = "risk"
    params: tuple[ReportParam, ...] = (
        AS_OF,
        ReportParam(
            "lgd",
            "decimal",
            "违约损失率（默认取插件设置或0.45）",
            "LGD (default: the plugin option, else 0.45)",
            minimum=Decimal(0),
            maximum=Decimal(1),
        ),
        BRANCH,
        PRODUCT,
    )

    async def build(self, context: ReportContext, params: Mapping[str, Any]) -> ReportDocument:
        """Loans streamed (the PD differs per loan); sums per stage."""
        as_of: dt.date = params.get("as_of") or context.today
        lgd = lgd_of(context, params)
        pds = await latest_pds(context)
        counts = dict.fromkeys((stage for stage, _, _ in _STAGES), 0)
        # Per stage: EAD, PD x EAD (for the weighted PD), ECL.
        sums = {stage: [ZERO, ZERO, ZERO] for stage, _, _ in _STAGES}
        loans = context.rows(
            "loans",
            ("firm_id", "balance", "ifrs9_stage", "risk_grade", "maturity_on"),
            where=outstanding(params, as_of, context.today),
        )
        async for row in drain(context, loans):
            stage = min(max(int(row["ifrs9_stage"] or 1), 1), 3)
            ead = as_decimal(row["balance"])
            pd_12m = pds.get(row["firm_id"])
            if pd_12m is None:
                pd_12m = GRADE_PD_12M.get(str(row["risk_grade"]), UNGRADED_PD_12M)
            remaining = months_between(as_of, row["maturity_on"] or as_of)
            pd = stage_pd(stage, pd_12m, remaining)
            counts[stage] += 1
            entry = sums[stage]
            entry[0] += ead
            entry[1] += pd * ead
            entry[2] += ecl(pd, lgd, ead)
        rows: list[tuple[int, str, int, Decimal, Decimal, Decimal, Decimal, Decimal]] = []
        for stage, zh, en in _STAGES:
            n = counts[stage]
            ead, weighted_pd, loss = sums[stage]
            label = en if context.language == "en" else zh
            rows.append(
                (stage, label, n, ead, ratio(weighted_pd, ead), lgd, loss, ratio(loss, ead))
            )
        total_ead = sum((r[3] for r in rows), ZERO)
        total_ecl = sum((r[6] for r in rows), ZERO)
        return ReportDocument(
            sections=(
                KeyFigures(
                    "totals",
                    "合计",
                    "Totals",
                    (
                        fig("ead", "违约风险敞口", "EAD", total_ead, "money"),
                        fig("ecl", "预期信用损失", "ECL", total_ecl, "money"),
                        fig(
                            "coverage", "覆盖率", "Coverage", ratio(total_ecl, total_ead), "percent"
                        ),
                        fig("lgd", "违约损失率", "LGD", lgd, "percent"),
                    ),
                ),
                Table(
                    "by_stage",
                    "按阶段",
                    "By stage",
                    (
                        col("stage", "阶段", "Stage", "int"),
                        col("stage_name", "阶段名称", "Stage name"),
                        col("loans", "笔数", "Loans", "int"),
                        col("ead", "违约风险敞口", "EAD", "money"),
                        col("pd", "违约概率（加权）", "PD (EAD-weighted)", "percent"),
                        col("lgd", "违约损失率", "LGD", "percent"),
                        col("ecl", "预期信用损失", "ECL", "money"),
                        col("coverage", "覆盖率", "Coverage", "percent"),
                    ),
                    rows,
                ),
                Chart(
                    "ecl_chart",
                    "各阶段预期信用损失",
                    "ECL by stage",
                    "bar",
                    tuple(r[1] for r in rows),
                    (Series("预期信用损失", "ECL", tuple(float(r[6]) for r in rows)),),
                    "money",
                ),
            ),
            notes_zh=(
                "EAD = 贷款当前余额；ECL = PD × LGD × EAD（逐笔计算后汇总）；覆盖率 = ECL / EAD。",
                "PD：第一阶段为借款人最近一次评分的12个月PD（无评分时取风险等级对应PD）；"
                "第二阶段为存续期PD = 1 - (1 - PD12)^(剩余月数/12)；第三阶段为1。",
                "LGD取运行参数，其次为插件设置 SMECREDIT_PLUGIN_REPORTS_CORE_LGD，默认0.45。",
            ),
            notes_en=(
                "EAD = the loan's current balance; ECL = PD x LGD x EAD per loan, summed; "
                "coverage = ECL / EAD.",
                "PD: stage 1 the 12-month PD of the borrower's latest score (else of its risk "
                "grade); stage 2 the lifetime PD 1 - (1 - PD12)^(remaining months / 12); "
                "stage 3 is 1.",
                "LGD: the run's parameter, else the plugin option "
                "SMECREDIT_PLUGIN_REPORTS_CORE_LGD, else 0.45.",
            ),
            as_of=as_of,
        )
