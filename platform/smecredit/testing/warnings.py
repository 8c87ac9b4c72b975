"""The warning-rule contract: :class:`WarningRuleContract` and :func:`random_columns`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, cast, get_args

from smecredit.sdk import (
    WARNING_INPUT_COLUMNS,
    ColumnarWarningRule,
    RuleColumns,
    RuleResult,
    WarningDirection,
    WarningGroup,
    WarningKind,
    WarningLevel,
    WarningRule,
    declared,
    implements,
    threshold_levels,
)
from smecredit.testing.kit import CODE_RE, assert_implements, skip

__all__ = ["WarningRuleContract", "random_columns"]

_LEVELS = ("blue", "yellow", "orange", "red")
_INT_COLUMNS = {"firm_id", "max_dpd_loan_id"}


def random_columns(n: int = 400, seed: int = 11) -> dict[str, Any]:
    """Input columns for ``n`` firms, as the core's scan hands them (see WARNING_INPUT_COLUMNS).

    Values are spread widely (zeros, negatives, large numbers) and about one in ten of each
    numeric column is NaN, so that every level and "unknown" turn up.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    for name in WARNING_INPUT_COLUMNS:
        if name == "firm_id":
            columns[name] = np.arange(1, n + 1, dtype=np.int64)
        elif name == "max_dpd_loan_id":
            columns[name] = rng.integers(-1, 50, n).astype(np.int64)
        elif name == "industry_code":
            codes = np.array(["C1711", "F51", "C18", "K70", "A01", ""], dtype=object)
            columns[name] = codes[rng.integers(0, len(codes), n)]
        else:
            values = rng.choice([0.0, 1.0, 3.0, 30.0, 1e6], n) * rng.random(n) * 10
            values[rng.random(n) < 0.1] = np.nan
            columns[name] = values
    columns["book_outstanding"] = np.full(n, float(np.nansum(columns["outstanding"])) or 1.0)
    return columns


class WarningRuleContract:
    """Pytest base class: what every :class:`~smecredit.sdk.WarningRule` must honour.

    Subclass it in a ``Test*`` class (once per rule: parametrise with a class per rule, or
    set :attr:`rule` in subclasses made in a loop)::

        class TestMyRuleContract(WarningRuleContract):
            rule = MyRule()

    Attributes:
        rule: the rule under test.
        columns: input columns for the columnar tests (default: :func:`random_columns`).
    """

    rule: ClassVar[WarningRule]
    columns: ClassVar[Mapping[str, Any] | None] = None

    def inputs(self) -> Mapping[str, Any]:
        """The input columns in use."""
        return self.columns if self.columns is not None else random_columns()

    def test_declares_identity(self) -> None:
        """Code, name, group, kind, direction and inputs are declared with allowed values."""
        rule = self.rule
        assert_implements(rule, WarningRule)
        assert isinstance(rule.code, str) and CODE_RE.match(rule.code), (
            f"code {rule.code!r} must be UPPER_SNAKE"
        )
        assert isinstance(rule.name, str) and rule.name.strip()
        assert rule.group in get_args(WarningGroup), f"group {rule.group!r}"
        assert rule.kind in get_args(WarningKind), f"kind {rule.kind!r}"
        assert rule.direction in get_args(WarningDirection), f"direction {rule.direction!r}"
        assert isinstance(rule.inputs, tuple) and all(isinstance(i, str) for i in rule.inputs)

    def test_thresholds_are_monotonic(self) -> None:
        """One threshold per level, strictly ordered in the rule's direction."""
        values = [float(self.rule.thresholds[level]) for level in _LEVELS]
        if self.rule.direction == "lower_is_worse":
            values = [-v for v in values]
        assert values == sorted(values) and len(set(values)) == 4, (
            f"thresholds {dict(self.rule.thresholds)} are not monotonic ({self.rule.direction})"
        )

    def test_optional_attributes_have_the_declared_types(self) -> None:
        """name_zh, window_days, default_weight, explanation, default_params, explain."""
        rule = self.rule
        name_zh = declared(rule, WarningRule, "name_zh")
        assert name_zh is None or (isinstance(name_zh, str) and name_zh.strip())
        window = declared(rule, WarningRule, "window_days")
        assert window is None or (isinstance(window, int) and window >= 0)
        weight = declared(rule, WarningRule, "default_weight")
        assert isinstance(weight, int | float) and weight > 0, "default_weight must be > 0"
        assert isinstance(declared(rule, WarningRule, "default_params"), Mapping)
        explanation = declared(rule, WarningRule, "explanation")
        if explanation is not None:
            assert isinstance(explanation.format(value="1", level="red", threshold="2"), str)
        explain = declared(rule, WarningRule, "explain")
        assert explain is None or callable(explain)

    def test_explain_writes_a_message_for_every_level(self) -> None:
        """When present, explain(value, level, thresholds) is a non-empty text per level."""
        explain = declared(self.rule, WarningRule, "explain")
        if explain is None:
            skip("the rule has no explain")
        for level, name in enumerate(_LEVELS, start=1):
            for value in (float(self.rule.thresholds[name]), None):
                message = explain(value, level, self.rule.thresholds)
                assert isinstance(message, str) and message.strip(), f"level {level}"

    def test_columnar_levels_follow_values_and_thresholds(self) -> None:
        """evaluate_columns: aligned arrays, levels 0..4 from the values and thresholds."""
        if not implements(self.rule, ColumnarWarningRule):
            skip("the rule is not columnar")
        rule = cast(ColumnarWarningRule, self.rule)
        columns = self.inputs()
        n = len(columns["firm_id"])
        shifted = {k: float(v) * 1.5 for k, v in self.rule.thresholds.items()}
        for thresholds in (None, shifted):
            out = rule.evaluate_columns(columns, thresholds=thresholds)
            assert isinstance(out, RuleColumns)
            assert len(out.values) == n and len(out.levels) == n
            in_force = thresholds or self.rule.thresholds
            expected = threshold_levels(out.values, in_force, self.rule.direction)
            assert [int(x) for x in out.levels] == [int(x) for x in expected], (
                "levels do not follow the values and the thresholds in force"
            )
            if out.loan_ids is not None:
                assert len(out.loan_ids) == n

    def test_rows_give_results_per_firm(self) -> None:
        """evaluate(frame) gives one RuleResult per firm with an allowed level."""
        columns = self.inputs()
        names = [*self.rule.inputs, "firm_id"]
        frame = [
            {"firm_uscc": f"F{i:04d}", **{k: columns[k][i] for k in names if k in columns}}
            for i in range(min(50, len(columns["firm_id"])))
        ]
        results = self.rule.evaluate(frame)
        assert len(results) == len(frame)
        allowed = set(get_args(WarningLevel))
        for row, result in zip(frame, results, strict=True):
            assert isinstance(result, RuleResult)
            assert result.firm_uscc == row["firm_uscc"]
            assert result.level is None or result.level in allowed
            if result.level is not None:
                assert result.message, "a warning needs a message"
        assert self.rule.evaluate([]) == [], "an empty frame gives no results"
