"""The scoring, masking and warning-rule contract suites of smecredit.testing catch what they claim.

Each suite passes a well-behaved plugin object and fails, at the matching check, an object
that breaks one clause of its protocol's contract.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest

from smecredit.sdk import Reason, RuleColumns, RuleResult, threshold_levels
from smecredit.testing import (
    MaskingStrategyContract,
    ScoringModelContract,
    WarningRuleContract,
    random_columns,
    training_sample,
)


def run_all(contract: object) -> list[str]:
    """Run every check of ``contract``; the names of those that skipped."""
    skipped = []
    for name in dir(contract):
        if name.startswith("test_"):
            try:
                getattr(contract, name)()
            except pytest.skip.Exception:
                skipped.append(name)
    return skipped


def suite(base: type, **attributes: Any) -> Any:
    return type(f"Test{base.__name__}", (base,), attributes)()


def checks(base: type) -> set[str]:
    return {name for name in dir(base) if name.startswith("test_")}


class Coded(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# ------------------------------------------------------------------------- scoring models


class GoodModel:
    """A one-feature logistic model: enough to honour every clause."""

    name = "good_model"
    description = "logistic on leverage"
    version = "1.0"
    predict_and_explain = None

    def fit(
        self,
        X: Sequence[Mapping[str, Any]],
        y: Sequence[int],
        *,
        categorical: Sequence[str],
        options: Mapping[str, Any],
    ) -> bytes:
        if len(set(y)) < 2:
            raise Coded("BAD_TRAINING_DATA", "y needs both classes")
        return json.dumps({"w": 1.0}).encode()

    def _weight(self, artefact: bytes) -> float:
        try:
            return float(json.loads(artefact)["w"])
        except (ValueError, KeyError, UnicodeDecodeError) as error:
            raise Coded("BAD_ARTEFACT", "not an artefact") from error

    def _push(self, row: Mapping[str, Any], w: float) -> dict[str, float]:
        x = row.get("leverage")
        return {"leverage": w * (0.0 if x is None else float(x)), "noise": 0.0}

    def predict_proba(self, artefact: bytes, X: Sequence[Mapping[str, Any]]) -> list[float]:
        w = self._weight(artefact)
        return [1 / (1 + math.exp(-sum(self._push(row, w).values()))) for row in X]

    def explain(
        self, artefact: bytes, X: Sequence[Mapping[str, Any]], top_n: int
    ) -> list[list[Reason]]:
        w = self._weight(artefact)
        out = []
        for row in X:
            pushes = sorted(self._push(row, w).items(), key=lambda kv: kv[1], reverse=True)
            out.append([Reason(f, row.get(f), c) for f, c in pushes[:top_n]])
        return out


class BytesNot(GoodModel):
    def fit(self, X: Any, y: Any, *, categorical: Any, options: Any) -> Any:
        super().fit(X, y, categorical=categorical, options=options)
        return {"w": 1.0}


class NotProbabilities(GoodModel):
    def predict_proba(self, artefact: bytes, X: Sequence[Mapping[str, Any]]) -> list[float]:
        return [p * 3 for p in super().predict_proba(artefact, X)]


class BatchDependent(GoodModel):
    def predict_proba(self, artefact: bytes, X: Sequence[Mapping[str, Any]]) -> list[float]:
        return [p / (i + 1) for i, p in enumerate(super().predict_proba(artefact, X))]


class WeakestFirst(GoodModel):
    def explain(self, artefact: bytes, X: Any, top_n: int) -> list[list[Reason]]:
        return [list(reversed(r)) for r in super().explain(artefact, X, top_n)]


class InventsFeatures(GoodModel):
    def explain(self, artefact: bytes, X: Any, top_n: int) -> list[list[Reason]]:
        return [[Reason("made_up", 1, 0.5)] for _ in X]


class FastPathDisagrees(GoodModel):
    def predict_and_explain(  # type: ignore[override]
        self, artefact: bytes, X: Any, top_n: int
    ) -> tuple[list[float], list[list[Reason]]]:
        return [0.5] * len(X), self.explain(artefact, X, top_n)


class LearnsFromOneClass(GoodModel):
    def fit(self, X: Any, y: Any, *, categorical: Any, options: Any) -> bytes:
        return json.dumps({"w": 1.0}).encode()


class UncodedArtefactError(GoodModel):
    def _weight(self, artefact: bytes) -> float:
        return float(json.loads(artefact)["w"])


class BadModelName(GoodModel):
    name = "Bad Name"


def test_a_good_model_passes_every_scoring_check() -> None:
    skipped = run_all(suite(ScoringModelContract, model=GoodModel()))
    assert skipped == ["test_predict_and_explain_agrees_with_the_separate_calls"]


@pytest.mark.parametrize(
    ("model", "check", "message"),
    [
        (BytesNot(), "test_fit_returns_bytes", "bytes"),
        (NotProbabilities(), "test_predictions_are_probabilities_in_order", "not probabilities"),
        (BatchDependent(), "test_predictions_are_probabilities_in_order", "place in the batch"),
        (WeakestFirst(), "test_explain_gives_top_reasons_strongest_first", "strongest first"),
        (InventsFeatures(), "test_explain_gives_top_reasons_strongest_first", "unknown feature"),
        (
            FastPathDisagrees(),
            "test_predict_and_explain_agrees_with_the_separate_calls",
            "other probabilities",
        ),
        (LearnsFromOneClass(), "test_one_class_training_data_is_refused_with_a_code", "raise"),
        (UncodedArtefactError(), "test_unusable_artefact_is_refused_with_a_code", "UPPER_SNAKE"),
        (BadModelName(), "test_declares_identity", "lower_snake_case"),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, str) else "",
)
def test_a_broken_model_fails_the_matching_check(model: object, check: str, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        getattr(suite(ScoringModelContract, model=model), check)()


def test_a_model_that_cannot_score_missing_values_fails() -> None:
    class Crashes(GoodModel):
        def _push(self, row: Mapping[str, Any], w: float) -> dict[str, float]:
            return {"leverage": w * float(row["leverage"]), "noise": 0.0}

    with pytest.raises(TypeError):
        suite(ScoringModelContract, model=Crashes()).test_missing_values_are_scored()


def test_the_training_sample_has_signal_missing_values_and_both_classes() -> None:
    rows, labels, categorical = training_sample()
    assert categorical == ["sector"] and set(labels) == {0, 1}
    assert any(r["leverage"] is None for r in rows) and any(r["sector"] is None for r in rows)
    risky = [y for r, y in zip(rows, labels, strict=True) if (r["leverage"] or 0) > 1]
    assert sum(risky) / len(risky) > sum(labels) / len(labels)


# --------------------------------------------------------------------- masking strategies


class GoodStrategy:
    name = "stars"
    description = "every character becomes a star"

    def mask(self, value: str | None, **options: Any) -> str | None:
        unknown = set(options) - {"char"}
        if unknown:
            raise Coded("MASKING_OPTION_INVALID", f"unknown options: {', '.join(sorted(unknown))}")
        return None if value is None else str(options.get("char", "*")) * len(value)


class NotIdempotent(GoodStrategy):
    def mask(self, value: str | None, **options: Any) -> str | None:
        masked = super().mask(value, **options)
        return None if masked is None else "#" + masked


class HidesNothing(GoodStrategy):
    def mask(self, value: str | None, **options: Any) -> str | None:
        super().mask(value, **options)
        return value


class NoneBecomesText(GoodStrategy):
    def mask(self, value: str | None, **options: Any) -> str | None:
        return super().mask("" if value is None else value, **options)


class UncodedOptionError(GoodStrategy):
    def mask(self, value: str | None, **options: Any) -> str | None:
        if options:
            raise TypeError(f"unexpected {', '.join(options)}")
        return super().mask(value)


def test_a_good_strategy_passes_every_masking_check() -> None:
    contract = suite(MaskingStrategyContract, strategy=GoodStrategy(), samples=("abc", "张三"))
    assert run_all(contract) == []


@pytest.mark.parametrize(
    ("strategy", "check", "message"),
    [
        (NotIdempotent(), "test_idempotent", "twice"),
        (HidesNothing(), "test_samples_are_hidden", "hid nothing"),
        (NoneBecomesText(), "test_none_stays_none", "must be None"),
        (UncodedOptionError(), "test_unknown_option_is_refused_with_a_code", "UPPER_SNAKE"),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, str) else "",
)
def test_a_broken_strategy_fails_the_matching_check(
    strategy: object, check: str, message: str
) -> None:
    contract = suite(MaskingStrategyContract, strategy=strategy, samples=("abc",))
    with pytest.raises(AssertionError, match=message):
        getattr(contract, check)()


def test_a_strategy_suite_without_samples_proves_nothing_and_fails() -> None:
    with pytest.raises(AssertionError, match="samples"):
        suite(MaskingStrategyContract, strategy=GoodStrategy()).test_samples_are_hidden()


# -------------------------------------------------------------------------- warning rules


class GoodRule:
    code = "DPD_TEST"
    name = "Days past due"
    group = "credit"
    kind = "quantitative"
    direction = "higher_is_worse"
    inputs = ("max_dpd",)
    thresholds: Mapping[str, float] = {"blue": 1, "yellow": 30, "orange": 60, "red": 90}
    window_days = 0
    default_weight = 2.0

    def levels(self, values: Any, thresholds: Mapping[str, float]) -> Any:
        return threshold_levels(values, thresholds, self.direction)

    def evaluate_columns(
        self,
        columns: Mapping[str, Any],
        thresholds: Mapping[str, float] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> RuleColumns:
        values = np.asarray(columns["max_dpd"], dtype=float)
        return RuleColumns(values=values, levels=self.levels(values, thresholds or self.thresholds))

    def explain(
        self, value: float | None, level: int, thresholds: Mapping[str, float] | None = None
    ) -> str:
        return f"DPD {value} at level {level}"

    def evaluate(self, frame: Sequence[Mapping[str, Any]]) -> list[RuleResult]:
        values = np.asarray([row.get("max_dpd", np.nan) for row in frame], dtype=float)
        names = (None, "blue", "yellow", "orange", "red")
        results = []
        for row, value, level in zip(
            frame, values, self.levels(values, self.thresholds), strict=True
        ):
            v = None if np.isnan(value) else float(value)
            message = self.explain(v, int(level)) if level else ""
            results.append(RuleResult(row["firm_uscc"], v, names[int(level)], message))  # type: ignore[arg-type]
        return results


class NotMonotonic(GoodRule):
    thresholds = {"blue": 1, "yellow": 60, "orange": 30, "red": 90}  # noqa: RUF012


class IgnoresThresholdsInForce(GoodRule):
    def evaluate_columns(
        self, columns: Any, thresholds: Any = None, params: Any = None
    ) -> RuleColumns:
        return super().evaluate_columns(columns)


class LevelsWithoutValues(GoodRule):
    def levels(self, values: Any, thresholds: Mapping[str, float]) -> Any:
        return np.full(len(values), 4, dtype=np.int8)


class UnknownGroup(GoodRule):
    group = "weather"


class LowerCaseCode(GoodRule):
    code = "dpd"


class ZeroWeight(GoodRule):
    default_weight = 0.0


class SilentWarnings(GoodRule):
    def explain(self, value: float | None, level: int, thresholds: Any = None) -> str:
        return ""


def test_a_good_rule_passes_every_warning_check() -> None:
    assert run_all(suite(WarningRuleContract, rule=GoodRule())) == []


@pytest.mark.parametrize(
    ("rule", "check", "message"),
    [
        (NotMonotonic(), "test_thresholds_are_monotonic", "not monotonic"),
        (
            IgnoresThresholdsInForce(),
            "test_columnar_levels_follow_values_and_thresholds",
            "in force",
        ),
        (LevelsWithoutValues(), "test_columnar_levels_follow_values_and_thresholds", "in force"),
        (UnknownGroup(), "test_declares_identity", "weather"),
        (LowerCaseCode(), "test_declares_identity", "UPPER_SNAKE"),
        (ZeroWeight(), "test_optional_attributes_have_the_declared_types", "default_weight"),
        (SilentWarnings(), "test_explain_writes_a_message_for_every_level", "level"),
        (SilentWarnings(), "test_rows_give_results_per_firm", "needs a message"),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, str) else "",
)
def test_a_broken_rule_fails_the_matching_check(rule: object, check: str, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        getattr(suite(WarningRuleContract, rule=rule), check)()


def test_random_columns_cover_every_input_and_reach_every_level() -> None:
    columns = random_columns()
    levels = GoodRule().evaluate_columns(columns).levels
    assert set(levels.tolist()) == {0, 1, 2, 3, 4}
    assert np.isnan(columns["max_dpd"]).any()


def test_every_check_of_the_three_suites_is_exercised_above() -> None:
    assert checks(ScoringModelContract) == {
        "test_declares_identity",
        "test_fit_returns_bytes",
        "test_predictions_are_probabilities_in_order",
        "test_missing_values_are_scored",
        "test_explain_gives_top_reasons_strongest_first",
        "test_predict_and_explain_agrees_with_the_separate_calls",
        "test_one_class_training_data_is_refused_with_a_code",
        "test_unusable_artefact_is_refused_with_a_code",
    }
    assert checks(MaskingStrategyContract) == {
        "test_declares_identity",
        "test_none_stays_none",
        "test_samples_are_hidden",
        "test_idempotent",
        "test_any_text_is_taken",
        "test_unknown_option_is_refused_with_a_code",
    }
    assert checks(WarningRuleContract) == {
        "test_declares_identity",
        "test_thresholds_are_monotonic",
        "test_optional_attributes_have_the_declared_types",
        "test_explain_writes_a_message_for_every_level",
        "test_columnar_levels_follow_values_and_thresholds",
        "test_rows_give_results_per_firm",
    }
