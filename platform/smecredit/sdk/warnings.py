"""Early-warning rules: the protocols, their results and the scan's input columns."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, Protocol, runtime_checkable

WarningGroup = Literal["fundamentals", "financial", "market", "credit"]
WarningKind = Literal["quantitative", "qualitative"]
WarningDirection = Literal["higher_is_worse", "lower_is_worse"]
WarningLevel = Literal["blue", "yellow", "orange", "red"]


@dataclass(frozen=True, slots=True)
class RuleResult:
    """The outcome of one warning rule for one firm.

    Attributes:
        firm_uscc: the firm.
        value: the indicator's value (None for a qualitative rule or missing data).
        level: the warning level reached, or None when the firm is below every threshold.
        message: for the analyst, naming the evidence (``"VAT sales down 41% y/y"``).
        evidence: machine-readable details (record ids, dates, amounts as strings).
    """

    firm_uscc: str
    value: float | None
    level: WarningLevel | None
    message: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class WarningRule(Protocol):
    """An early-warning indicator (R5): what it measures and when it fires.

    Attributes:
        code: unique stable code, e.g. ``"TAX_SALES_DROP"``.
        name: for people.
        group: ``fundamentals``, ``financial``, ``market`` or ``credit``.
        kind: ``quantitative`` or ``qualitative``.
        thresholds: value at which each level is reached: keys ``blue``, ``yellow``,
            ``orange``, ``red`` (monotonic in the rule's direction).
        direction: ``higher_is_worse`` or ``lower_is_worse``.
        inputs: the record kinds or features the rule reads, e.g. ``("tax_record",)``.
        name_zh: optional (default None: ``name``). The Chinese name.
        window_days: optional (default None: the core's window for the evidence kind). How
            far back the rule's evidence is looked at.
        default_weight: optional (default 1.0). The expert weight within its group.
        explanation: optional (default None). A ``str.format`` template of a warning's
            message with ``{value}``, ``{level}``, ``{threshold}``.
        default_params: optional (default empty). Rule parameters, such as an industry list.
        explain: optional (default None: ``"<name>: value <v> reached <level>"``). A callable
            ``(value, level, thresholds) -> str`` writing a warning's message (level 1..4).

    Optional attributes (those with a value here) are declared since SDK 1.3; the core reads
    them with :func:`smecredit.sdk.declared`, so an object may leave them out.
    """

    code: str
    name: str
    group: WarningGroup
    kind: WarningKind
    thresholds: Mapping[str, float]
    direction: WarningDirection
    inputs: tuple[str, ...]
    name_zh: str | None = None
    window_days: int | None = None
    default_weight: float = 1.0
    explanation: str | None = None
    default_params: Mapping[str, Any] = MappingProxyType({})
    explain: Callable[[float | None, int, Mapping[str, float]], str] | None = None

    def evaluate(self, frame: Sequence[Mapping[str, Any]]) -> list[RuleResult]:
        """Evaluate on ``frame`` (one mapping per firm with ``firm_uscc`` and the inputs)."""
        ...


#: Per-firm input columns the core's warning scan hands to
#: :meth:`ColumnarWarningRule.evaluate_columns` (name -> meaning). Every column is a
#: numpy array aligned with ``firm_id``; numbers are float64 with NaN for "unknown",
#: except where noted.
WARNING_INPUT_COLUMNS: Mapping[str, str] = {
    "firm_id": "int64 firm primary key",
    "industry_code": "object array of the firm's industry code (str)",
    "tax_sales_recent": "monthly taxable sales over the last 3 complete months (the average "
    "of the months filed), yuan",
    "tax_sales_year_ago": "monthly taxable sales over the same 3 months a year earlier (the "
    "average of the months filed), yuan",
    "total_assets": "total assets of the latest financial statement, yuan",
    "total_liabilities": "total liabilities of the latest financial statement, yuan",
    "max_dpd": "largest days past due over the firm's active loans (NaN: no active loan)",
    "max_dpd_loan_id": "int64 id of the loan with the largest DPD (-1: none)",
    "grade_latest": "ordinal 1 (A best) .. 7 (G worst) of the newest score",
    "grade_oldest": "ordinal of the oldest score within the rule's window",
    "bureau_overdue_count": "overdue accounts at other lenders, latest bureau report",
    "bureau_overdue_amount": "overdue amount at other lenders, latest bureau report, yuan",
    "outstanding": "the firm's outstanding principal on our book, yuan",
    "book_outstanding": "the whole book's outstanding principal, yuan (same in every row)",
    "legal_points": "lawsuits as defendant, enforcements and penalties within the window, "
    "weighted by severity (low 1, medium 2, high 3)",
    "abnormal_listed": "1 when the firm's latest abnormal-operation event is a listing "
    "(not a removal), else 0",
    "rep_changes": "legal-representative changes within the window",
}


@dataclass(frozen=True, slots=True)
class RuleColumns:
    """Vectorised outcome of one rule over many firms (aligned with ``firm_id``).

    Attributes:
        values: float64 indicator values, NaN where the data is missing.
        levels: int8 levels, 0 = none, 1 blue, 2 yellow, 3 orange, 4 red.
        loan_ids: optional int64 loan each firm's warning concerns (-1: the firm as a
            whole); a warning's identity is firm + rule + loan.
    """

    values: Any
    levels: Any
    loan_ids: Any = None


def threshold_levels(values: Any, thresholds: Mapping[str, float], direction: str) -> Any:
    """Levels (int8, 0 none .. 4 red) of many values at once; NaN gives 0.

    A value reaches a level when ``value >= threshold`` (``<=`` for ``lower_is_worse``),
    the same rule as the core's single-value ``indicator_level``.
    """
    import numpy as np

    v = np.asarray(values, dtype=float)
    sign = 1.0 if direction == "higher_is_worse" else -1.0
    out = np.zeros(v.shape, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        for name in ("blue", "yellow", "orange", "red"):
            out += (sign * v >= sign * float(thresholds[name])).astype(np.int8)
    return out


@runtime_checkable
class ColumnarWarningRule(WarningRule, Protocol):
    """A :class:`WarningRule` that evaluates whole columns at once (fast portfolio scans)."""

    def evaluate_columns(
        self,
        columns: Mapping[str, Any],
        thresholds: Mapping[str, float] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> RuleColumns:
        """Values and levels for every row of ``columns`` (see :data:`WARNING_INPUT_COLUMNS`).

        Args:
            columns: input columns, each a numpy array of the same length.
            thresholds: level thresholds in force (the rule's own when None).
            params: rule parameters in force (the rule's ``default_params`` when None).
        """
        ...
