"""The built-in early-warning indicators, evaluated column-wise over many firms.

Each indicator turns the core's per-firm input columns (``smecredit.sdk.WARNING_INPUT_COLUMNS``)
into one value per firm; the level follows from four thresholds (blue, yellow, orange,
red) and a direction. Qualitative indicators (a lawsuit, an abnormal-operation listing)
are encoded as counts or 0/1 flags so that the same thresholds machinery applies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from smecredit.sdk import (
    RuleColumns,
    RuleResult,
    WarningDirection,
    WarningGroup,
    WarningKind,
    threshold_levels,
)
from smecredit_warnings_core.messages import MESSAGES, render

__all__ = ["LEVEL_NAMES", "RULES", "Indicator", "rule_by_code"]

#: Level number (1..4) -> name, as used by :class:`smecredit.sdk.RuleResult`.
LEVEL_NAMES: tuple[str, ...] = ("", "blue", "yellow", "orange", "red")

Compute = Callable[[Mapping[str, Any], Mapping[str, Any]], tuple[np.ndarray, np.ndarray | None]]


def _col(columns: Mapping[str, Any], name: str) -> np.ndarray:
    return np.asarray(columns[name], dtype=float)


def _sales_drop(c: Mapping[str, Any], p: Mapping[str, Any]) -> tuple[np.ndarray, None]:
    recent, before = _col(c, "tax_sales_recent"), _col(c, "tax_sales_year_ago")
    with np.errstate(divide="ignore", invalid="ignore"):
        drop = np.where(before > 0, (before - recent) / before * 100.0, np.nan)
    return drop, None


def _debt_to_asset(c: Mapping[str, Any], p: Mapping[str, Any]) -> tuple[np.ndarray, None]:
    assets, debts = _col(c, "total_assets"), _col(c, "total_liabilities")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(assets > 0, debts / assets, np.nan), None


def _dpd(c: Mapping[str, Any], p: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    return _col(c, "max_dpd"), np.asarray(c["max_dpd_loan_id"], dtype=np.int64)


def _grade_drop(c: Mapping[str, Any], p: Mapping[str, Any]) -> tuple[np.ndarray, None]:
    # Grades are ordinals with 1 the best, so a rise of the ordinal is a downgrade.
    return _col(c, "grade_latest") - _col(c, "grade_oldest"), None


def _bureau(c: Mapping[str, Any], p: Mapping[str, Any]) -> tuple[np.ndarray, None]:
    return _col(c, "bureau_overdue_count"), None


def _concentration(c: Mapping[str, Any], p: Mapping[str, Any]) -> tuple[np.ndarray, None]:
    mine, book = _col(c, "outstanding"), _col(c, "book_outstanding")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((book > 0) & (mine > 0), mine / book * 100.0, np.nan), None


def _legal(c: Mapping[str, Any], p: Mapping[str, Any]) -> tuple[np.ndarray, None]:
    return np.nan_to_num(_col(c, "legal_points")), None


def _abnormal(c: Mapping[str, Any], p: Mapping[str, Any]) -> tuple[np.ndarray, None]:
    return np.nan_to_num(_col(c, "abnormal_listed")), None


def _rep_change(c: Mapping[str, Any], p: Mapping[str, Any]) -> tuple[np.ndarray, None]:
    return np.nan_to_num(_col(c, "rep_changes")), None


def _industry(c: Mapping[str, Any], p: Mapping[str, Any]) -> tuple[np.ndarray, None]:
    alert = [str(x) for x in p.get("alert_industries", ())]
    codes = np.asarray(c["industry_code"], dtype=object).astype(str)
    if not alert:
        return np.zeros(codes.shape, dtype=float), None
    # Prefix match: an alert on "C17" covers every sub-class "C171", "C1711", ...
    hit = np.zeros(codes.shape, dtype=bool)
    for prefix in alert:
        hit |= np.char.startswith(codes.astype(np.str_), prefix)
    return hit.astype(float), None


@dataclass(eq=False)
class Indicator:
    """One early-warning indicator (implements ``smecredit.sdk.ColumnarWarningRule``).

    Attributes:
        code: stable code.
        name: English name.
        name_zh: Chinese name.
        group: fundamentals, financial, market or credit.
        kind: quantitative or qualitative.
        thresholds: blue/yellow/orange/red values.
        direction: which way is worse.
        inputs: the input columns read.
        window_days: how far back the evidence is looked at (0: current state).
        default_weight: expert weight within its group.
        explanation: ``str.format`` template with ``{value}``, ``{level}``, ``{threshold}``.
        compute: columns, params -> (values, loan ids or None).
        default_params: parameters such as the industry alert list.
    """

    code: str
    name: str
    name_zh: str
    group: WarningGroup
    kind: WarningKind
    thresholds: Mapping[str, float]
    direction: WarningDirection
    inputs: tuple[str, ...]
    window_days: int
    default_weight: float
    explanation: str
    compute: Compute = field(repr=False)
    default_params: Mapping[str, Any] = field(default_factory=dict)

    def evaluate_columns(
        self,
        columns: Mapping[str, Any],
        thresholds: Mapping[str, float] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> RuleColumns:
        """Values and levels for every firm in ``columns``."""
        values, loans = self.compute(columns, self.default_params if params is None else params)
        levels = threshold_levels(values, thresholds or self.thresholds, self.direction)
        return RuleColumns(values=values, levels=levels, loan_ids=loans)

    def evaluate(self, frame: Sequence[Mapping[str, Any]]) -> list[RuleResult]:
        """Row-wise evaluation (the plain :class:`smecredit.sdk.WarningRule` contract)."""
        if not frame:
            return []
        columns = {
            name: np.asarray([row.get(name, np.nan) for row in frame], dtype=object)
            for name in (*self.inputs, "firm_id")
        }
        for name, column in columns.items():
            if name not in ("industry_code",):
                columns[name] = np.asarray(
                    [np.nan if v is None else v for v in column], dtype=float
                )
        out = self.evaluate_columns(columns)
        results: list[RuleResult] = []
        for row, value, level in zip(frame, out.values, out.levels, strict=True):
            lvl = LEVEL_NAMES[int(level)] or None
            v = None if np.isnan(value) else float(value)
            message = self.explain(v, int(level)) if lvl else ""
            results.append(
                RuleResult(
                    firm_uscc=str(row.get("firm_uscc", "")),
                    value=v,
                    level=lvl,  # type: ignore[arg-type]
                    message=message,
                )
            )
        return results

    def explain(
        self,
        value: float | None,
        level: int,
        thresholds: Mapping[str, float] | None = None,
        language: str | None = None,
    ) -> str:
        """The explanation text for a firm at ``level`` (1..4).

        Args:
            language: ``en`` or ``zh-CN`` (default: the ``SMECREDIT_WARNING_LANGUAGE``
                setting, see :mod:`smecredit_warnings_core.messages`).
        """
        th = thresholds or self.thresholds
        name = LEVEL_NAMES[level] if level else "none"
        limit = th.get(name, float("nan")) if level else th["blue"]
        if self.code not in MESSAGES["en"]:  # a rule built elsewhere, with its own template
            shown = "n/a" if value is None else f"{value:.4g}"
            return self.explanation.format(value=shown, level=name, threshold=f"{limit:g}")
        return render(
            self.code,
            value=value,
            level=name,
            threshold=limit,
            language=language,
        )


RULES: tuple[Indicator, ...] = (
    Indicator(
        code="TAX_SALES_DROP",
        name="Taxable sales down year on year",
        name_zh="纳税销售额同比下降",
        group="financial",
        kind="quantitative",
        thresholds={"blue": 15.0, "yellow": 30.0, "orange": 45.0, "red": 60.0},
        direction="higher_is_worse",
        inputs=("tax_sales_recent", "tax_sales_year_ago"),
        window_days=455,
        default_weight=3.0,
        explanation=MESSAGES["en"]["TAX_SALES_DROP"],
        compute=_sales_drop,
    ),
    Indicator(
        code="DEBT_TO_ASSET",
        name="Debt-to-asset ratio",
        name_zh="资产负债率",
        group="financial",
        kind="quantitative",
        thresholds={"blue": 0.7, "yellow": 0.8, "orange": 0.9, "red": 1.0},
        direction="higher_is_worse",
        inputs=("total_assets", "total_liabilities"),
        window_days=540,
        default_weight=2.0,
        explanation=MESSAGES["en"]["DEBT_TO_ASSET"],
        compute=_debt_to_asset,
    ),
    Indicator(
        code="LOAN_DPD",
        name="Days past due on our loans",
        name_zh="本行贷款逾期天数",
        group="credit",
        kind="quantitative",
        thresholds={"blue": 1.0, "yellow": 30.0, "orange": 60.0, "red": 90.0},
        direction="higher_is_worse",
        inputs=("max_dpd", "max_dpd_loan_id"),
        window_days=0,
        default_weight=4.0,
        explanation=MESSAGES["en"]["LOAN_DPD"],
        compute=_dpd,
    ),
    Indicator(
        code="SCORE_DOWNGRADE",
        name="Risk grade deterioration",
        name_zh="评分等级下调",
        group="credit",
        kind="quantitative",
        thresholds={"blue": 1.0, "yellow": 2.0, "orange": 3.0, "red": 4.0},
        direction="higher_is_worse",
        inputs=("grade_latest", "grade_oldest"),
        window_days=180,
        default_weight=2.0,
        explanation=MESSAGES["en"]["SCORE_DOWNGRADE"],
        compute=_grade_drop,
    ),
    Indicator(
        code="BUREAU_OVERDUE",
        name="Overdue accounts at other lenders",
        name_zh="他行逾期",
        group="credit",
        kind="quantitative",
        thresholds={"blue": 1.0, "yellow": 2.0, "orange": 3.0, "red": 5.0},
        direction="higher_is_worse",
        inputs=("bureau_overdue_count", "bureau_overdue_amount"),
        window_days=180,
        default_weight=3.0,
        explanation=MESSAGES["en"]["BUREAU_OVERDUE"],
        compute=_bureau,
    ),
    Indicator(
        code="EXPOSURE_CONCENTRATION",
        name="Concentration of exposure",
        name_zh="授信集中度",
        group="credit",
        kind="quantitative",
        thresholds={"blue": 0.5, "yellow": 1.0, "orange": 2.0, "red": 5.0},
        direction="higher_is_worse",
        inputs=("outstanding", "book_outstanding"),
        window_days=0,
        default_weight=1.0,
        explanation=MESSAGES["en"]["EXPOSURE_CONCENTRATION"],
        compute=_concentration,
    ),
    Indicator(
        code="LEGAL_ACTION",
        name="New lawsuit, enforcement or penalty",
        name_zh="新增诉讼或行政处罚",
        group="fundamentals",
        kind="qualitative",
        thresholds={"blue": 1.0, "yellow": 2.0, "orange": 4.0, "red": 6.0},
        direction="higher_is_worse",
        inputs=("legal_points",),
        window_days=90,
        default_weight=3.0,
        explanation=MESSAGES["en"]["LEGAL_ACTION"],
        compute=_legal,
    ),
    Indicator(
        code="ABNORMAL_OPERATION",
        name="Listed for abnormal operation",
        name_zh="列入经营异常名录",
        group="fundamentals",
        kind="qualitative",
        thresholds={"blue": 0.25, "yellow": 0.5, "orange": 1.0, "red": 2.0},
        direction="higher_is_worse",
        inputs=("abnormal_listed",),
        window_days=3650,
        default_weight=3.0,
        explanation=MESSAGES["en"]["ABNORMAL_OPERATION"],
        compute=_abnormal,
    ),
    Indicator(
        code="LEGAL_REP_CHANGE",
        name="Change of legal representative",
        name_zh="法定代表人变更",
        group="fundamentals",
        kind="qualitative",
        thresholds={"blue": 1.0, "yellow": 2.0, "orange": 3.0, "red": 4.0},
        direction="higher_is_worse",
        inputs=("rep_changes",),
        window_days=180,
        default_weight=1.0,
        explanation=MESSAGES["en"]["LEGAL_REP_CHANGE"],
        compute=_rep_change,
    ),
    Indicator(
        code="INDUSTRY_ALERT",
        name="Industry on the alert list",
        name_zh="行业预警名单",
        group="market",
        kind="qualitative",
        thresholds={"blue": 0.25, "yellow": 1.0, "orange": 2.0, "red": 3.0},
        direction="higher_is_worse",
        inputs=("industry_code",),
        window_days=0,
        default_weight=1.0,
        explanation=MESSAGES["en"]["INDUSTRY_ALERT"],
        compute=_industry,
        default_params={"alert_industries": []},
    ),
)


def rule_by_code(code: str) -> Indicator:
    """The built-in indicator named ``code``.

    Raises:
        KeyError: no such indicator.
    """
    for rule in RULES:
        if rule.code == code:
            return rule
    raise KeyError(code)
