"""decision_analysis: approval rates, turnaround, overrides, early defaults and appeals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from smecredit.sdk import KeyFigures, ReportContext, ReportDocument, ReportParam, Table
from smecredit_reports_core.figures import add_months, median, ratio
from smecredit_reports_core.layout import (
    BRANCH,
    BaseReport,
    col,
    day_of,
    drain,
    fig,
    loan_defaults,
    scoped,
)

__all__ = ["APPROVED_STATES", "DecisionAnalysis", "step_hours"]

#: States an application reaches only through an approval.
APPROVED_STATES: frozenset[str] = frozenset(
    ("approved", "disbursed", "active", "closed", "written_off")
)
#: An early default: 90+ DPD within this many months of disbursement.
EARLY_MONTHS = 6
_STEPS: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("submit_to_review", "提交至开始审查", "Submitted to review", "submit", ("start_review",)),
    (
        "review_to_decision",
        "审查至决定",
        "Review to decision",
        "start_review",
        ("approve", "reject"),
    ),
    ("submit_to_decision", "提交至决定", "Submitted to decision", "submit", ("approve", "reject")),
)


def step_hours(
    transitions: list[tuple[str, dt.datetime]], start: str, ends: tuple[str, ...]
) -> float | None:
    """Hours from the first ``start`` action to the first of ``ends`` after it, or None."""
    begun = next((at for action, at in transitions if action == start), None)
    if begun is None:
        return None
    done = next((at for action, at in transitions if action in ends and at >= begun), None)
    return None if done is None else (done - begun).total_seconds() / 3600


class DecisionAnalysis(BaseReport):
    """How credit decisions are made and how they turn out."""

    name = "decision_analysis"
    title_zh = "信贷决策分析"
    title_en = "Decision analysis"
    description_zh = "按等级的批准率、各环节时长、审批人推翻率、批准贷款的早期违约、申诉及结果。"
    description_en = (
        "Approval rate by grade, turnaround per step, override rate by approver, early "
        "defaults among approvals, appeals and their outcomes."
    )
    category = "decisions"
    params: tuple[ReportParam, ...] = (BRANCH,)

    async def build(self, context: ReportContext, params: Mapping[str, Any]) -> ReportDocument:
        """Applications and transitions streamed; approvals and overrides counted in SQL."""
        where = scoped(params)
        apps: dict[Any, dict[str, Any]] = {}
        rows = context.rows(
            "applications",
            ("application_id", "risk_grade", "state", "rejected_at", "appeals_used", "loan_id"),
            where=where,
        )
        async for r in drain(context, rows):
            apps[r["application_id"]] = r
        by_grade: dict[str, list[int]] = {}
        appeals: dict[str, int] = {}
        for app in apps.values():
            approved = app["state"] in APPROVED_STATES
            rejected = not approved and (
                app["state"] == "rejected" or app["rejected_at"] is not None
            )
            entry = by_grade.setdefault(str(app["risk_grade"]), [0, 0, 0])
            entry[0] += 1
            entry[1] += approved
            entry[2] += rejected
            if (app["appeals_used"] or 0) > 0:
                outcome = "upheld" if approved else "rejected" if rejected else "pending"
                appeals[outcome] = appeals.get(outcome, 0) + 1
        grade_rows = [
            (grade, n, ok + bad, ok, bad, ratio(ok, ok + bad))
            for grade, (n, ok, bad) in sorted(by_grade.items())
        ]
        turnaround = await self._turnaround(context, where)
        override_rows = await self._overrides(context, where)
        early = await self._early_defaults(context, apps)
        decided = sum(r[2] for r in grade_rows)
        approved_total = sum(r[3] for r in grade_rows)
        appeal_total = sum(appeals.values())
        return ReportDocument(
            sections=(
                KeyFigures(
                    "overall",
                    "总体",
                    "Overall",
                    (
                        fig("applications", "申请数", "Applications", len(apps), "int"),
                        fig(
                            "approval_rate",
                            "批准率",
                            "Approval rate",
                            ratio(approved_total, decided),
                            "percent",
                        ),
                        fig(
                            "early_default_rate",
                            "早期违约率",
                            "Early default rate",
                            ratio(early[1], early[0]),
                            "percent",
                        ),
                        fig("appeals", "申诉数", "Appeals", appeal_total, "int"),
                    ),
                ),
                Table(
                    "approval_by_grade",
                    "按等级批准率",
                    "Approval rate by grade",
                    (
                        col("grade", "等级", "Grade"),
                        col("applications", "申请数", "Applications", "int"),
                        col("decided", "已决定", "Decided", "int"),
                        col("approved", "批准", "Approved", "int"),
                        col("rejected", "拒绝", "Rejected", "int"),
                        col("approval_rate", "批准率", "Approval rate", "percent"),
                    ),
                    grade_rows,
                ),
                Table(
                    "turnaround",
                    "各环节时长（小时）",
                    "Turnaround per step (hours)",
                    (
                        col("step_code", "环节代码", "Step code"),
                        col("step", "环节", "Step"),
                        col("applications", "申请数", "Applications", "int"),
                        col("median_hours", "中位数", "Median", "decimal"),
                    ),
                    turnaround,
                ),
                Table(
                    "overrides_by_approver",
                    "审批人推翻率",
                    "Override rate by approver",
                    (
                        col("approver", "审批人", "Approver"),
                        col("approvals", "审批次数", "Approvals", "int"),
                        col("overrides", "推翻次数", "Overrides", "int"),
                        col("override_rate", "推翻率", "Override rate", "percent"),
                    ),
                    override_rows,
                ),
                Table(
                    "early_defaults",
                    "批准贷款的早期违约",
                    "Early defaults among approvals",
                    (
                        col("grade", "等级", "Grade"),
                        col("loans", "已发放贷款", "Loans disbursed", "int"),
                        col("early_defaults", "早期违约", "Early defaults", "int"),
                        col("rate", "比例", "Rate", "percent"),
                    ),
                    early[2],
                ),
                Table(
                    "appeals",
                    "申诉及结果",
                    "Appeals and outcomes",
                    (
                        col("outcome", "结果", "Outcome"),
                        col("appeals", "申诉数", "Appeals", "int"),
                        col("share", "占比", "Share", "percent"),
                    ),
                    [(k, n, ratio(n, appeal_total)) for k, n in sorted(appeals.items())],
                ),
            ),
            notes_zh=(
                "批准率 = 批准 / （批准 + 拒绝）；批准指申请到达已批准及之后的状态。",
                "环节时长为各申请首次提交、首次开始审查、其后首次批准或拒绝之间小时数的中位数。",
                "推翻率 = 审批人作出的人工推翻次数 / 其审批次数。",
                f"早期违约：批准的贷款在发放后{EARLY_MONTHS}个月内在分类历史中逾期90天及以上。",
                "申诉结果：upheld（申诉后批准）、rejected（仍被拒绝）、pending（未决）。",
            ),
            notes_en=(
                "Approval rate = approved / (approved + rejected); approved means the "
                "application reached the approved state or a later one.",
                "Turnaround: the median hours between an application's first submission, its "
                "first review start and its first approval or rejection after that.",
                "Override rate = the approver's overrides / the approver's approvals.",
                f"Early default: an approved loan 90+ days past due in the classification "
                f"history within {EARLY_MONTHS} months of disbursement.",
                "Appeal outcomes: upheld (approved after the appeal), rejected, pending.",
            ),
        )

    async def _turnaround(
        self, context: ReportContext, where: Mapping[str, Any]
    ) -> list[tuple[Any, ...]]:
        per_app: dict[Any, list[tuple[str, dt.datetime]]] = {}
        transitions = context.rows(
            "application_transitions", ("application_id", "action", "at"), where=where
        )
        async for r in drain(context, transitions):
            if isinstance(r["at"], dt.datetime):
                per_app.setdefault(r["application_id"], []).append((str(r["action"]), r["at"]))
        rows = []
        for key, zh, en, start, ends in _STEPS:
            hours = [
                h
                for steps in per_app.values()
                if (h := step_hours(sorted(steps, key=lambda s: s[1]), start, ends)) is not None
            ]
            rows.append((key, en if context.language == "en" else zh, len(hours), median(hours)))
        return rows

    async def _overrides(
        self, context: ReportContext, where: Mapping[str, Any]
    ) -> list[tuple[Any, ...]]:
        approvals = await context.aggregate(
            "approvals", group_by=("approver",), measures={"n": ("count", "*")}, where=where
        )
        overrides = await context.aggregate(
            "decision_overrides", group_by=("actor",), measures={"n": ("count", "*")}, where=where
        )
        made = {g["approver"]: g["n"] for g in approvals}
        overridden = {g["actor"]: g["n"] for g in overrides}
        people = sorted(set(made) | set(overridden), key=str)
        return [
            (p, made.get(p, 0), overridden.get(p, 0), ratio(overridden.get(p, 0), made.get(p, 0)))
            for p in people
        ]

    async def _early_defaults(
        self, context: ReportContext, apps: Mapping[Any, Mapping[str, Any]]
    ) -> tuple[int, int, list[tuple[Any, ...]]]:
        grade_of = {
            a["loan_id"]: str(a["risk_grade"])
            for a in apps.values()
            if a["loan_id"] is not None and a["state"] in APPROVED_STATES
        }
        disbursed: dict[Any, dt.date] = {}
        if grade_of:
            # Streamed, not filtered by id: the approved loans can be too many for an IN list.
            async for r in drain(context, context.rows("loans", ("loan_id", "disbursed_on"))):
                if r["loan_id"] in grade_of and (day := day_of(r["disbursed_on"])) is not None:
                    disbursed[r["loan_id"]] = day
        defaults = await loan_defaults(context) if disbursed else {}
        per_grade: dict[str, list[int]] = {}
        for loan, day in disbursed.items():
            entry = per_grade.setdefault(grade_of[loan], [0, 0])
            entry[0] += 1
            first = defaults.get(loan)
            entry[1] += first is not None and first <= add_months(day, EARLY_MONTHS)
        rows = [(g, n, bad, ratio(bad, n)) for g, (n, bad) in sorted(per_grade.items())]
        return sum(r[1] for r in rows), sum(r[2] for r in rows), rows
