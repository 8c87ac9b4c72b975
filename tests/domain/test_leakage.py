"""The leakage guard: a feature derived from the label is flagged, honest ones are not."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smecredit.domain.leakage import (
    LeakageThresholds,
    describe_flags,
    flags_from_json,
    leakage_flags,
)
from smecredit.services.scoring.training import TrainingData, feature_screen


def _book(n: int = 1500, seed: int = 3) -> TrainingData:
    """Rows with a weak honest feature, pure noise, and a feature planted from the label:
    "collection_calls" is what a workout team records after the default (the label plus a
    little noise), the kind of column a bank extract carries by mistake."""
    rng = random.Random(seed)
    rows, y = [], []
    for _ in range(n):
        risk = rng.gauss(0, 1)
        label = int(rng.random() < 1 / (1 + 2.718 ** (2.5 - 0.6 * risk)))
        rows.append(
            {
                "debt_to_asset": 0.5 + 0.1 * risk + rng.gauss(0, 0.15),
                "noise": rng.gauss(0, 1),
                "collection_calls": float(label * rng.randint(2, 6) + (rng.random() < 0.03)),
                "province": rng.choice(["31", "33", "44"]),
            }
        )
        y.append(label)
    return TrainingData(rows, y, ("province",), source="test")


def test_a_planted_label_derived_feature_is_flagged_and_honest_ones_are_not() -> None:
    data = _book()
    iv, auc = feature_screen(data)
    assert auc["collection_calls"] > 0.95 and iv["collection_calls"] > 3
    assert 0.5 < auc["debt_to_asset"] < 0.8 and iv["noise"] < 0.1
    flags = leakage_flags(iv, auc, model_auc=0.97, champion_auc=0.78, champion_label="v1")
    flagged = {(f.kind, f.feature) for f in flags}
    assert ("feature_iv", "collection_calls") in flagged
    assert ("feature_auc", "collection_calls") in flagged
    assert ("auc_jump", None) in flagged
    assert not {f.feature for f in flags} & {"debt_to_asset", "noise", "province"}
    jump = next(f for f in flags if f.kind == "auc_jump")
    assert jump.value == pytest.approx(0.19) and "v1 (0.780)" in jump.message


def test_thresholds_are_strict_and_direction_free() -> None:
    at_limit = leakage_flags({"a": 0.5}, {"a": 0.85}, model_auc=0.9, champion_auc=0.8)
    assert at_limit == []  # "above" the limit: equal is not flagged
    mirrored = leakage_flags({}, {"b": 0.1})  # ranks defaulters last, as well as 0.9 would
    assert [(f.kind, f.feature, f.value) for f in mirrored] == [("feature_auc", "b", 0.9)]
    assert leakage_flags({}, {}, model_auc=0.99, champion_auc=None) == []  # no champion
    strict = LeakageThresholds(max_iv=0.3, max_feature_auc=0.7, max_auc_jump=0.01)
    assert len(leakage_flags({"a": 0.31}, {"a": 0.71}, model_auc=0.8, champion_auc=0.78,
                             thresholds=strict)) == 3  # fmt: skip
    assert leakage_flags({"a": float("nan")}, {"a": float("nan")}) == []


def test_flags_round_trip_and_read_as_one_sentence_list() -> None:
    flags = leakage_flags({"x": 2.0, "y": 0.9}, {"x": 0.97})
    assert [f.feature for f in flags if f.kind == "feature_iv"] == ["x", "y"]  # worst first
    assert flags_from_json([f.to_json() for f in flags]) == flags
    text = describe_flags(flags)
    assert text.startswith("1) feature x has an information value of 2.00, above 0.5")
    assert "3) feature x alone reaches an AUC of 0.970" in text
    assert "<" not in text and "LeakageFlag" not in text  # words, not reprs


@given(
    st.dictionaries(st.sampled_from("abcdef"), st.floats(0, 5), max_size=6),
    st.dictionaries(st.sampled_from("abcdef"), st.floats(0, 1), max_size=6),
)
def test_every_flag_is_over_its_threshold(iv: dict[str, float], auc: dict[str, float]) -> None:
    for f in leakage_flags(iv, auc):
        assert f.value > f.threshold
    expected = sum(v > 0.5 for v in iv.values()) + sum(max(v, 1 - v) > 0.85 for v in auc.values())
    assert len(leakage_flags(iv, auc)) == expected
