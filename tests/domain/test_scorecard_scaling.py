"""Tests for smecredit.domain.scorecard_scaling."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smecredit.domain.scorecard_scaling import (
    DEFAULT_MASTER_SCALE,
    MasterScale,
    ScorecardError,
    ScoreScaling,
)


def test_factor_and_offset_published_values() -> None:
    s = ScoreScaling()  # 600 points at 50:1, 20 PDO (Siddiqi's worked example)
    assert s.factor == pytest.approx(20 / math.log(2))
    assert s.factor == pytest.approx(28.8539, abs=1e-4)
    assert s.offset == pytest.approx(487.1229, abs=1e-4)


def test_score_at_base_odds_and_pdo_doubles_odds() -> None:
    s = ScoreScaling(base_score=600, base_odds=50, pdo=20)
    assert s.points_for_odds(50) == pytest.approx(600)
    assert s.points_for_odds(100) == pytest.approx(620)
    assert s.points_for_odds(25) == pytest.approx(580)
    assert s.pd_to_score(1 / 51) == pytest.approx(600)  # odds 50:1 is PD 1/51
    odds = (1 - s.score_to_pd(640)) / s.score_to_pd(640)
    assert odds == pytest.approx(200)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(1e-6, 1 - 1e-6),
    st.floats(300, 900),
    st.floats(1.0, 200.0),
    st.floats(5, 80),
)
def test_pd_score_round_trip(pd: float, base: float, odds: float, pdo: float) -> None:
    s = ScoreScaling(base, odds, pdo)
    assert s.score_to_pd(s.pd_to_score(pd)) == pytest.approx(pd, rel=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 1000), st.floats(0, 1000))
def test_higher_score_lower_pd(a: float, b: float) -> None:
    s = ScoreScaling()
    if a < b:
        assert s.score_to_pd(a) >= s.score_to_pd(b)


def test_attribute_points_sum_to_model_score() -> None:
    s = ScoreScaling()
    intercept = -2.5
    coefs = [-0.8, -0.5, -1.1]  # default model on WoE: safer WoE lowers the log-odds of default
    woes = [0.4, -0.2, 1.0]
    log_odds_bad = intercept + sum(c * w for c, w in zip(coefs, woes, strict=True))
    total = sum(s.attribute_points(c, w, intercept, 3) for c, w in zip(coefs, woes, strict=True))
    assert total == pytest.approx(s.points_for_log_odds(-log_odds_bad))
    assert s.score_to_pd(total) == pytest.approx(1 / (1 + math.exp(-log_odds_bad)))
    # a safer attribute (higher WoE) earns more points when the coefficient is negative
    assert s.attribute_points(-0.8, 1.0, intercept, 3) > s.attribute_points(-0.8, 0.0, intercept, 3)


def test_invalid_scaling() -> None:
    with pytest.raises(ScorecardError) as err:
        ScoreScaling(pdo=0)
    assert err.value.code == "INVALID_SCORE_SCALING"
    with pytest.raises(ScorecardError, match="strictly between 0 and 1") as err:
        ScoreScaling().pd_to_score(0.0)
    assert err.value.code == "INVALID_PD"


@pytest.mark.parametrize(
    ("pd", "grade"),
    [
        (0.0, "A"),
        (0.00499, "A"),
        (0.005, "B"),
        (0.0099, "B"),
        (0.01, "C"),
        (0.02, "D"),
        (0.04, "E"),
        (0.0799, "E"),
        (0.08, "F"),
        (0.1499, "F"),
        (0.15, "G"),
        (1.0, "G"),
    ],
)
def test_master_scale_boundaries(pd: float, grade: str) -> None:
    assert DEFAULT_MASTER_SCALE.grade_for_pd(pd) == grade


def test_master_scale_bands_and_custom_scale() -> None:
    assert DEFAULT_MASTER_SCALE.grades == ("A", "B", "C", "D", "E", "F", "G")
    assert DEFAULT_MASTER_SCALE.band("C") == (0.01, 0.02)
    assert DEFAULT_MASTER_SCALE.band("G") == (0.15, math.inf)
    scale = MasterScale.from_bounds(["low", "mid", "high"], [0.02, 0.1])
    assert [scale.grade_for_pd(p) for p in (0.01, 0.02, 0.5)] == ["low", "mid", "high"]
    with pytest.raises(ScorecardError) as err:
        MasterScale.from_bounds(["a", "b", "c"], [0.1, 0.05])
    assert err.value.code == "INVALID_MASTER_SCALE"
    with pytest.raises(ScorecardError, match="open-ended"):
        MasterScale((("a", 0.1), ("b", 0.5)))
    with pytest.raises(ScorecardError, match="between 0 and 1"):
        DEFAULT_MASTER_SCALE.grade_for_pd(1.5)
