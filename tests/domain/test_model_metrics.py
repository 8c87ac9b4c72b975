"""Tests for smecredit.domain.model_metrics."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smecredit.domain.model_metrics import (
    MetricError,
    auc,
    average_ranks,
    binomial_p_values,
    brier,
    calibration_by_grade,
    categorical_psi,
    csi,
    gini,
    information_value,
    ks_statistic,
    lift_table,
    psi,
    psi_table,
    stability_band,
    woe_iv,
)

# Samples with both classes; integer scores in a small range so ties are common.
labelled = st.integers(min_value=2, max_value=40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(lambda y: 0 < sum(y) < len(y)),
        st.lists(st.integers(-5, 5), min_size=n, max_size=n),
    )
)


def test_auc_hand_computed() -> None:
    # bads score 0.35, 0.8; goods 0.1, 0.4: pairs won 1 + 0 + 1 + 1 = 3 of 4.
    assert auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    # A bad/good tie counts one half: (0.5 + 1 + 1 + 1) / 4.
    assert auc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9]) == pytest.approx(0.875)


@settings(max_examples=200, deadline=None)
@given(labelled)
def test_auc_equals_brute_force_pairwise_count(sample: tuple[list[int], list[int]]) -> None:
    y, s = sample
    bads = [v for v, t in zip(s, y, strict=True) if t == 1]
    goods = [v for v, t in zip(s, y, strict=True) if t == 0]
    wins = sum(1.0 if b > g else 0.5 if b == g else 0.0 for b in bads for g in goods)
    assert auc(y, s) == pytest.approx(wins / (len(bads) * len(goods)))
    assert auc(y, [-v for v in s]) == pytest.approx(1 - auc(y, s))


def test_average_ranks_ties() -> None:
    assert average_ranks([10, 20, 10, 30]).tolist() == [1.5, 3.0, 1.5, 4.0]


def test_gini() -> None:
    assert gini(0.75) == pytest.approx(0.5)
    with pytest.raises(MetricError):
        gini(1.2)


def test_ks_hand_computed() -> None:
    # goods 1,2,3,4 and bads 3,4,5,6: CDF gaps .25 .5 .5 .5 .25 0.
    y = [0, 0, 0, 0, 1, 1, 1, 1]
    s = [1, 2, 3, 4, 3, 4, 5, 6]
    assert ks_statistic(y, s) == pytest.approx(0.5)
    assert ks_statistic([0, 0, 1, 1], [1, 2, 3, 4]) == pytest.approx(1.0)


@settings(max_examples=150, deadline=None)
@given(labelled)
def test_ks_equals_max_gap_over_thresholds(sample: tuple[list[int], list[int]]) -> None:
    y, s = sample
    ya, sa = np.array(y), np.array(s)
    gaps = [abs(np.mean(sa[ya == 1] <= t) - np.mean(sa[ya == 0] <= t)) for t in range(-6, 6)]
    assert ks_statistic(y, s) == pytest.approx(max(gaps))


def test_brier_hand_computed() -> None:
    assert brier([1, 0], [0.8, 0.4]) == pytest.approx((0.04 + 0.16) / 2)
    assert brier([0, 0], [0.0, 0.0]) == 0.0  # one class is fine for Brier


def test_lift_table_hand_computed() -> None:
    y = [1, 1, 0, 1, 0, 0, 0, 0, 1, 0]
    s = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]
    rows = lift_table(y, s, n_bins=5)
    assert [r.count for r in rows] == [2] * 5
    assert [r.bads for r in rows] == [2, 1, 0, 0, 1]
    assert [r.bad_rate for r in rows] == [1.0, 0.5, 0.0, 0.0, 0.5]
    assert [r.cumulative_capture for r in rows] == pytest.approx([0.5, 0.75, 0.75, 0.75, 1.0])
    assert [r.lift for r in rows] == pytest.approx([2.5, 1.25, 0.0, 0.0, 1.25])
    assert (rows[0].min_score, rows[0].max_score) == (9.0, 10.0)


def test_binomial_p_values_hand_computed() -> None:
    # n=3, p=.5: pmf 1/8, 3/8, 3/8, 1/8.
    assert binomial_p_values(0, 3, 0.5) == pytest.approx((0.25, 1.0))
    assert binomial_p_values(3, 3, 0.5) == pytest.approx((0.25, 0.125))
    assert binomial_p_values(1, 3, 0.5) == pytest.approx((1.0, 0.875))


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 60).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
    st.floats(0.01, 0.99),
)
def test_binomial_p_values_against_math_comb(nk: tuple[int, int], p: float) -> None:
    n, k = nk
    pmf = [math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(n + 1)]
    two = sum(q for q in pmf if q <= pmf[k] * (1 + 1e-7))
    two_sided, upper = binomial_p_values(k, n, p)
    assert two_sided == pytest.approx(min(1.0, two), rel=1e-6, abs=1e-12)
    assert upper == pytest.approx(min(1.0, sum(pmf[k:])), rel=1e-6, abs=1e-12)


def test_calibration_by_grade() -> None:
    y = [0, 0, 0, 1, 0, 1, 1, 0]
    pd = [0.1, 0.1, 0.1, 0.1, 0.5, 0.5, 0.5, 0.5]
    grades = ["A", "A", "A", "A", "B", "B", "B", "B"]
    rows = calibration_by_grade(y, pd, grades)
    assert [r.grade for r in rows] == ["A", "B"]
    a, b = rows
    assert (a.count, a.defaults, a.observed_rate) == (4, 1, 0.25)
    assert a.predicted_pd == pytest.approx(0.1)
    assert a.p_value_underestimated == pytest.approx(1 - 0.9**4)
    assert b.p_value == pytest.approx(1.0)  # 2 of 4 at PD 50% is the most likely outcome


def test_psi_identical_is_zero_and_hand_case() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=500)
    assert psi(x, x) == pytest.approx(0.0, abs=1e-12)
    # expected shares .5/.5, actual .25/.75 on edge 0.5: .25 ln 2 + .25 ln 1.5 = .25 ln 3.
    assert psi([0, 0, 1, 1], [0, 1, 1, 1], bins=[0.5]) == pytest.approx(0.25 * math.log(3))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(-10, 10), min_size=1, max_size=50),
    st.lists(st.floats(-10, 10), min_size=1, max_size=50),
)
def test_psi_symmetric_for_fixed_edges_and_non_negative(a: list[float], b: list[float]) -> None:
    edges = [-5.0, -1.0, 0.0, 1.0, 5.0]
    assert psi(a, b, bins=edges) == pytest.approx(psi(b, a, bins=edges), abs=1e-12)
    assert psi(a, b, bins=edges) >= 0
    assert psi(a, b) >= 0


def test_psi_empty_bin_uses_epsilon() -> None:
    rows = psi_table([1, 2, 3, 4], [1, 1, 1, 1], bins=[2.5])
    assert rows[1].actual_share == pytest.approx(1e-4 / (1 + 1e-4))
    assert math.isfinite(sum(r.contribution for r in rows))
    assert stability_band(psi([1, 2, 3, 4], [1, 1, 1, 1], bins=[2.5])) == "shifted"


def test_csi_numeric_and_categorical() -> None:
    expected: dict[str, list[Any]] = {
        "age": [1, 2, 3, 4, 5, 6],
        "industry": ["a", "a", "b", "b", "c", "c"],
    }
    same = csi(expected, expected)
    assert same == pytest.approx({"age": 0.0, "industry": 0.0}, abs=1e-12)
    actual: dict[str, list[Any]] = {
        "age": [1, 2, 3, 4, 5, 6],
        "industry": ["a", "a", "a", "b", "c", "c"],
    }
    result = csi(expected, actual)
    assert result["industry"] == pytest.approx(
        categorical_psi(expected["industry"], actual["industry"])
    )
    # a/b/c shares 1/3 each -> 1/2, 1/6, 1/3.
    hand = (0.5 - 1 / 3) * math.log(1.5) + (1 / 6 - 1 / 3) * math.log(0.5)
    assert result["industry"] == pytest.approx(hand)
    with pytest.raises(MetricError):
        csi(expected, {"age": [1]})


def test_stability_band_boundaries() -> None:
    assert stability_band(0.0) == "stable"
    assert stability_band(0.0999) == "stable"
    assert stability_band(0.1) == "investigate"
    assert stability_band(0.25) == "investigate"
    assert stability_band(0.2501) == "shifted"
    with pytest.raises(MetricError):
        stability_band(-0.1)


def test_information_value_hand_computed() -> None:
    bins = [(40, 10), (30, 20), (30, 70)]  # 100 goods, 100 bads
    hand = (0.4 - 0.1) * math.log(4) + (0.3 - 0.2) * math.log(1.5) + (0.3 - 0.7) * math.log(3 / 7)
    assert information_value(bins) == pytest.approx(hand)
    woe, _ = woe_iv([40, 30, 30], [10, 20, 70])
    assert woe[0] == pytest.approx(math.log(4))
    with pytest.raises(MetricError):
        information_value([(10, 0), (5, 5)])  # infinite WoE without smoothing
    assert math.isfinite(information_value([(10, 0), (5, 5)], smoothing=0.5))


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: auc([0, 1, 1], [0.1, 0.2]), "lengths must match"),
        (lambda: auc([1, 1, 1], [0.1, 0.2, 0.3]), "single class"),
        (lambda: ks_statistic([0, 0], [1, 2]), "single class"),
        (lambda: auc([0, 2], [0.1, 0.2]), "0 (good) or 1 (bad)"),
        (lambda: auc([0, 1], [0.1, float("nan")]), "NaN"),
        (lambda: brier([0, 1], [0.5, 1.5]), "probabilities"),
        (lambda: lift_table([0, 1], [1, 2], n_bins=3), "n_bins"),
    ],
)
def test_invalid_input_raises_metric_error(call: Callable[[], object], fragment: str) -> None:
    with pytest.raises(MetricError, match=re.escape(fragment)) as err:
        call()
    assert err.value.code == "INVALID_METRIC_INPUT"
