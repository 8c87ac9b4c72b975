"""warning_effectiveness: signals, precision, recall, lead time and false alarms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from smecredit.sdk import KeyFigures, ReportContext, ReportDocument, ReportParam, Table
from smecredit_reports_core.effectiveness import Default, Effectiveness, Signal, effectiveness
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

__all__ = ["WarningEffectiveness"]

_COLUMNS = (
    col("signals", "信号数", "Signals", "int"),
    col("hits", "命中数", "Followed by a default", "int"),
    col("precision", "精确率", "Precision", "percent"),
    col("defaults", "违约数", "Defaults", "int"),
    col("caught", "提前预警的违约", "Defaults signalled", "int"),
    col("recall", "召回率", "Recall", "percent"),
    col("mean_lead_days", "平均提前天数", "Mean lead time (days)", "decimal"),
    col("false_alarm_rate", "误报率", "False-alarm rate", "percent"),
)


def _cells(e: Effectiveness) -> tuple[Any, ...]:
    return (
        e.signals,
        e.hits,
        e.precision,
        e.defaults,
        e.caught,
        e.recall,
        e.mean_lead_days,
        e.false_alarm_rate,
    )


class WarningEffectiveness(BaseReport):
    """How well the early warnings foretold defaults, by rule, level and branch."""

    name = "warning_effectiveness"
    title_zh = "预警有效性"
    title_en = "Warning effectiveness"
    description_zh = "按规则、级别、机构的预警信号数、精确率、召回率、平均提前期与误报率。"
    description_en = (
        "Signals, precision, recall, mean lead time and false-alarm rate of the early "
        "warnings, by rule, level and branch."
    )
    category = "risk"
    params: tuple[ReportParam, ...] = (
        ReportParam("to_date", "date", "截止日", "To date", default="today"),
        ReportParam("from_date", "date", "起始日", "From date"),
        ReportParam(
            "horizon_days",
            "int",
            "观察期（天）",
            "Horizon (days)",
            default=180,
            minimum=1,
            maximum=1095,
        ),
        BRANCH,
    )

    async def build(self, context: ReportContext, params: Mapping[str, Any]) -> ReportDocument:
        """Warnings and the 90+ DPD history rows streamed; matched per firm in Python."""
        to_date: dt.date = params.get("to_date") or context.today
        from_date: dt.date = params.get("from_date") or dt.date.min
        horizon = int(params.get("horizon_days") or 180)
        signals: list[Signal] = []
        warnings = context.rows(
            "warnings",
            ("firm_id", "branch_code", "rule_code", "level", "opened_at"),
            where=scoped(params),
        )
        async for row in drain(context, warnings):
            day = day_of(row["opened_at"])
            if day is not None and from_date <= day <= to_date:
                signals.append(
                    Signal(
                        row["firm_id"],
                        day,
                        str(row["rule_code"]),
                        str(row["level"]),
                        str(row["branch_code"]),
                    )
                )
        firm_of: dict[Any, tuple[Any, str]] = {}
        loans = context.rows("loans", ("loan_id", "firm_id", "branch_code"), where=scoped(params))
        async for row in drain(context, loans):
            firm_of[row["loan_id"]] = (row["firm_id"], str(row["branch_code"]))
        defaults = [
            Default(firm_of[loan][0], day, firm_of[loan][1])
            for loan, day in (await loan_defaults(context, scoped(params))).items()
            if loan in firm_of and from_date <= day <= to_date
        ]
        whole = effectiveness(signals, defaults, lambda s: "all", horizon).get(
            "all", Effectiveness(0, 0, len(defaults), 0, None)
        )
        sections: list[Any] = [
            KeyFigures(
                "overall",
                "总体",
                "Overall",
                (
                    fig("signals", "信号数", "Signals", whole.signals, "int"),
                    fig("defaults", "违约数", "Defaults", whole.defaults, "int"),
                    fig("precision", "精确率", "Precision", whole.precision, "percent"),
                    fig("recall", "召回率", "Recall", whole.recall, "percent"),
                    fig(
                        "false_alarm_rate",
                        "误报率",
                        "False-alarm rate",
                        whole.false_alarm_rate,
                        "percent",
                    ),
                ),
            )
        ]
        groupings: tuple[tuple[str, str, str, Callable[[Signal], Hashable], Any], ...] = (
            ("rule_code", "规则", "Rule", lambda s: s.rule_code, None),
            ("level", "级别", "Level", lambda s: s.level, None),
            (
                "branch_code",
                "机构",
                "Branch",
                lambda s: s.branch_code,
                lambda d, key: d.branch_code == key,
            ),
        )
        for key, zh, en, group, own in groupings:
            result = effectiveness(signals, defaults, group, horizon, own)
            sections.append(
                Table(
                    f"by_{key}",
                    f"按{zh}",
                    f"By {en.lower()}",
                    (col(key, zh, en), *_COLUMNS),
                    [(g, *_cells(result[g])) for g in sorted(result, key=str)],
                )
            )
        return ReportDocument(
            sections=tuple(sections),
            notes_zh=(
                f"违约：分类历史中逾期天数首次达到90天及以上之日。观察期 {horizon} 天。",
                "精确率 = 观察期内其后发生违约的信号 / 信号数；误报率 = 1 - 精确率；"
                "召回率 = 观察期内之前有信号的违约 / 违约数（机构维度只计本机构贷款）；"
                "提前天数 = 信号日至其后首次违约日的天数。",
            ),
            notes_en=(
                f"Default: the first day the classification history shows 90+ days past due. "
                f"Horizon {horizon} days.",
                "Precision = signals followed by a default of the firm within the horizon / "
                "signals; false-alarm rate = 1 - precision; recall = defaults preceded by a "
                "signal within the horizon / defaults (a branch answers for its own loans); "
                "lead time = days from the signal to the first default after it.",
            ),
            as_of=to_date,
        )
