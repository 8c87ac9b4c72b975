"""Tests for smecredit.domain.warning_index."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smecredit.domain.warning_index import (
    DEFAULT_INDEX_BANDS,
    IndicatorSpec,
    Level,
    Thresholds,
    WarningIndexError,
    composite_index,
    index_coverage,
    index_level,
    indicator_level,
    indicator_score,
    score_indicators,
)

DPD = Thresholds(blue=1, yellow=30, orange=60, red=90)  # days past due: higher is worse
CURRENT_RATIO = Thresholds(blue=1.5, yellow=1.2, orange=1.0, red=0.8)  # lower is worse

scores_st = st.dictionaries(
    st.sampled_from(["a", "b", "c", "d"]),
    st.one_of(st.none(), st.floats(0, 100)),
    min_size=1,
)
weights_st = st.fixed_dictionaries({k: st.floats(0.01, 10) for k in ["a", "b", "c", "d"]})


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (0, None),
        (1, Level.BLUE),
        (29.9, Level.BLUE),
        (30, Level.YELLOW),
        (60, Level.ORANGE),
        (89, Level.ORANGE),
        (90, Level.RED),
        (400, Level.RED),
    ],
)
def test_indicator_level_higher_is_worse(value: float, level: Level | None) -> None:
    assert indicator_level(value, DPD, "higher_is_worse") == level


@pytest.mark.parametrize(
    ("value", "level"),
    [(2.0, None), (1.5, Level.BLUE), (1.1, Level.YELLOW), (1.0, Level.ORANGE), (0.3, Level.RED)],
)
def test_indicator_level_lower_is_worse(value: float, level: Level | None) -> None:
    assert indicator_level(value, CURRENT_RATIO, "lower_is_worse") == level


def test_indicator_score_anchors_and_interpolation() -> None:
    assert [indicator_score(v, DPD, "higher_is_worse") for v in (1, 30, 60, 90)] == [20, 40, 60, 80]
    assert indicator_score(45, DPD, "higher_is_worse") == pytest.approx(50)
    assert indicator_score(120, DPD, "higher_is_worse") == pytest.approx(
        100
    )  # red + (red - orange)
    assert indicator_score(10_000, DPD, "higher_is_worse") == 100
    assert indicator_score(-28, DPD, "higher_is_worse") == 0  # blue - (yellow - blue)
    assert indicator_score(1.1, CURRENT_RATIO, "lower_is_worse") == pytest.approx(50)
    assert indicator_score(3.0, CURRENT_RATIO, "lower_is_worse") == 0


@settings(max_examples=200, deadline=None)
@given(st.floats(-1000, 1000), st.floats(-1000, 1000))
def test_indicator_score_monotone_and_bounded(a: float, b: float) -> None:
    lo, hi = min(a, b), max(a, b)
    s_lo, s_hi = (indicator_score(v, DPD, "higher_is_worse") for v in (lo, hi))
    assert 0 <= s_lo <= s_hi <= 100
    c_lo, c_hi = (indicator_score(v, CURRENT_RATIO, "lower_is_worse") for v in (lo, hi))
    assert 0 <= c_hi <= c_lo <= 100


@settings(max_examples=200, deadline=None)
@given(st.floats(-200, 300))
def test_score_band_agrees_with_indicator_level(value: float) -> None:
    score = indicator_score(value, DPD, "higher_is_worse")
    assert index_level(score) == indicator_level(value, DPD, "higher_is_worse")


def test_invalid_thresholds() -> None:
    with pytest.raises(WarningIndexError) as err:
        indicator_score(1, CURRENT_RATIO, "higher_is_worse")
    assert err.value.code == "INVALID_THRESHOLDS"
    with pytest.raises(WarningIndexError, match="strictly"):
        indicator_level(1, Thresholds(1, 1, 2, 3), "higher_is_worse")


@settings(max_examples=200, deadline=None)
@given(scores_st, weights_st)
def test_composite_within_bounds(
    scores: dict[str, float | None], weights: dict[str, float]
) -> None:
    if all(v is None for v in scores.values()):
        with pytest.raises(WarningIndexError) as err:
            composite_index(scores, weights)
        assert err.value.code == "NO_INDICATOR_DATA"
        return
    value = composite_index(scores, weights)
    present = [v for v in scores.values() if v is not None]
    assert 0 <= value <= 100
    assert min(present) - 1e-9 <= value <= max(present) + 1e-9


@settings(max_examples=200, deadline=None)
@given(scores_st, weights_st, st.sampled_from(["a", "b", "c", "d"]), st.floats(0, 100))
def test_composite_monotone_in_each_score(
    scores: dict[str, float | None], weights: dict[str, float], key: str, bump: float
) -> None:
    base = {k: (0.0 if v is None else v) for k, v in scores.items()}
    base.setdefault(key, 0.0)
    raised = dict(base)
    raised[key] = min(100.0, base[key] + bump)
    assert composite_index(raised, weights) >= composite_index(base, weights) - 1e-9


def test_missing_data_is_neither_healthy_nor_bad() -> None:
    weights = {"a": 0.5, "b": 0.3, "c": 0.2}
    scores: dict[str, float | None] = {"a": 80.0, "b": 40.0, "c": None}
    expected = (0.5 * 80 + 0.3 * 40) / 0.8
    assert composite_index(scores, weights) == pytest.approx(expected)
    assert composite_index(scores, weights) != pytest.approx(
        composite_index({**scores, "c": 0.0}, weights)
    )
    assert composite_index(scores, weights) != pytest.approx(
        composite_index({**scores, "c": 100.0}, weights)
    )
    # an indicator absent from the mapping is missing too
    assert composite_index({"a": 80.0, "b": 40.0}, weights) == pytest.approx(expected)
    assert index_coverage(scores, weights) == pytest.approx(0.8)
    with pytest.raises(WarningIndexError) as err:
        composite_index({"z": 10.0}, weights)
    assert err.value.code == "INVALID_WEIGHTS"


def test_score_indicators_keeps_missing() -> None:
    specs = {
        "dpd": IndicatorSpec("dpd", DPD),
        "cr": IndicatorSpec("cr", CURRENT_RATIO, "lower_is_worse"),
    }
    out = score_indicators({"dpd": 60, "cr": None}, specs)
    assert out == {"dpd": 60.0, "cr": None}


@pytest.mark.parametrize(
    ("index", "level"),
    [
        (0, None),
        (19.99, None),
        (20, Level.BLUE),
        (40, Level.YELLOW),
        (59.9, Level.YELLOW),
        (60, Level.ORANGE),
        (80, Level.RED),
        (100, Level.RED),
    ],
)
def test_index_level_default_bands(index: float, level: Level | None) -> None:
    assert index_level(index) == level


def test_index_level_custom_bands() -> None:
    bands = {Level.RED: 90.0, Level.ORANGE: 70.0, Level.YELLOW: 50.0, Level.BLUE: 30.0}
    assert index_level(85, bands) == Level.ORANGE
    assert DEFAULT_INDEX_BANDS[Level.RED] == 80
    with pytest.raises(WarningIndexError):
        index_level(50, {Level.RED: 10.0, Level.BLUE: 20.0})
    with pytest.raises(WarningIndexError):
        index_level(120)
