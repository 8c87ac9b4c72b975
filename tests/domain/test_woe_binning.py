"""Tests for smecredit.domain.woe_binning."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smecredit.domain.model_metrics import MetricError, information_value
from smecredit.domain.woe_binning import (
    OTHER_LABEL,
    BinningResult,
    fit_categorical_bins,
    fit_numeric_bins,
    select_features,
    transform,
)


def _simulate(seed: int, n: int, slope: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, size=n)
    p = 1 / (1 + np.exp(-(-2.0 + slope * (x - 5))))
    y = (rng.random(n) < p).astype(int)
    return x, y


def _assert_valid_binning(result: BinningResult, n: int, min_share: float) -> None:
    value_bins = [b for b in result.bins if not b.is_missing]
    woe = [b.woe for b in value_bins]
    steps = np.diff(woe)
    if result.direction == "increasing":
        assert (steps > 0).all()
    elif result.direction == "decreasing":
        assert (steps < 0).all()
    else:
        assert len(value_bins) == 1
    if len(value_bins) > 1:
        for b in value_bins:
            assert b.goods >= 1 and b.bads >= 1
            assert b.count >= min_share * n - 1e-9
    assert sum(b.count for b in result.bins) == n
    assert result.total_iv == pytest.approx(sum(b.iv for b in result.bins))
    assert len(result.edges) == len(value_bins) - 1


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 10_000),
    st.integers(200, 1500),
    st.floats(-1.5, 1.5),
    st.integers(2, 12),
    st.sampled_from([0.02, 0.05, 0.1]),
)
def test_woe_is_monotonic_after_binning(
    seed: int, n: int, slope: float, max_bins: int, min_share: float
) -> None:
    x, y = _simulate(seed, n, slope)
    if y.min() == y.max():
        return
    result = fit_numeric_bins(x, y, max_bins=max_bins, min_share=min_share)
    _assert_valid_binning(result, n, min_share)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000))
def test_monotonic_even_for_u_shaped_risk(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=800)
    y = (rng.random(800) < 1 / (1 + np.exp(-(x**2 - 2)))).astype(int)
    result = fit_numeric_bins(x, y)
    _assert_valid_binning(result, 800, 0.05)


def test_direction_follows_risk() -> None:
    x, y = _simulate(1, 3000, slope=0.8)  # risk rises with x -> WoE (safety) falls
    assert fit_numeric_bins(x, y).direction == "decreasing"
    assert fit_numeric_bins(-x, y).direction == "increasing"
    assert len(fit_numeric_bins(x, y).bins) > 3


def test_missing_values_get_their_own_bin_and_transform() -> None:
    x, y = _simulate(2, 2000, slope=0.6)
    xs: list[float | None] = [None if i % 20 == 0 else float(v) for i, v in enumerate(x)]
    result = fit_numeric_bins(xs, y)
    missing = result.missing_bin
    assert missing is not None
    assert missing.count == 100
    assert missing.bads == int(y[::20].sum())
    woe = transform([None, float("nan"), -1e9, 1e9, result.edges[0]], result)
    assert woe[0] == woe[1] == pytest.approx(missing.woe)
    assert woe[2] == pytest.approx(result.bins[0].woe)
    value_bins = [b for b in result.bins if not b.is_missing]
    assert woe[3] == pytest.approx(value_bins[-1].woe)
    assert woe[4] == pytest.approx(result.bins[0].woe)  # bins are right-closed
    # transform of the training data reproduces each bin's WoE on its members
    train = transform(xs, result)
    for b in value_bins:
        assert b.lower is not None and b.upper is not None
        members = np.array([v is not None and b.lower < v <= b.upper for v in xs])
        assert np.allclose(train[members], b.woe)


def test_iv_matches_hand_calculation_from_counts() -> None:
    x, y = _simulate(3, 1000, slope=0.5)
    result = fit_numeric_bins(x, y, smoothing=0.0)
    g_tot, b_tot = sum(result.goods), sum(result.bads)
    hand = sum(
        (g / g_tot - b / b_tot) * math.log((g / g_tot) / (b / b_tot))
        for g, b in zip(result.goods, result.bads, strict=True)
    )
    assert result.total_iv == pytest.approx(hand)
    assert result.total_iv == pytest.approx(
        information_value(list(zip(result.goods, result.bads, strict=True)))
    )


def test_no_missing_in_training_means_neutral_woe() -> None:
    x, y = _simulate(4, 500, slope=0.5)
    result = fit_numeric_bins(x, y)
    assert result.missing_bin is None
    assert transform([None], result).tolist() == [0.0]


def test_categorical_binning_groups_rare_categories() -> None:
    rng = np.random.default_rng(5)
    cats = rng.choice(
        ["retail", "food", "build", "rare1", "rare2"], p=[0.4, 0.3, 0.26, 0.02, 0.02], size=3000
    )
    risk = {"retail": 0.05, "food": 0.1, "build": 0.3, "rare1": 0.2, "rare2": 0.2}
    y = (rng.random(3000) < np.array([risk[c] for c in cats])).astype(int)
    values: list[str | None] = list(cats)
    values[0] = None
    result = fit_categorical_bins(values, y, min_share=0.05)
    other = result.other_bin
    assert other is not None and set(other.categories) == {"rare1", "rare2"}
    labels = [b.label for b in result.bins if not b.is_missing]
    assert labels[0] == "build"  # riskiest first (lowest WoE)
    assert result.missing_bin is not None and result.missing_bin.count == 1
    woe = transform(["retail", "rare1", "never-seen", None], result)
    by_label = {b.label: b.woe for b in result.bins}
    assert woe.tolist() == pytest.approx(
        [by_label["retail"], by_label[OTHER_LABEL], by_label[OTHER_LABEL], by_label["missing"]]
    )
    assert by_label["retail"] > by_label["build"]


def test_invalid_binning_input() -> None:
    with pytest.raises(MetricError) as err:
        fit_numeric_bins([1, 2, 3], [0, 1])
    assert err.value.code == "INVALID_METRIC_INPUT"
    with pytest.raises(MetricError, match="single class"):
        fit_numeric_bins([1, 2, 3], [0, 0, 0])
    with pytest.raises(MetricError, match="no non-missing"):
        fit_numeric_bins([None, None], [0, 1])


def test_select_features_drops_weak_and_correlated() -> None:
    ivs = {"a": 0.5, "b": 0.3, "c": 0.01, "d": 0.2, "e": 0.1}
    corr = {
        "a": {"b": 0.9, "d": 0.2, "e": -0.75},
        "b": {"d": 0.95, "e": 0.1},
        "d": {"e": 0.3},
    }
    sel = select_features(ivs, corr)
    # b loses to a; d survives although highly correlated with b, because b was dropped;
    # e loses to a through a negative correlation.
    assert sel.kept == ("a", "d")
    assert set(sel.dropped) == {"b", "c", "e"}
    assert "below the cutoff" in sel.dropped["c"]
    assert "'a'" in sel.dropped["b"] and "higher IV" in sel.dropped["b"]


def test_select_features_with_array() -> None:
    ivs = {"x": 0.04, "y": 0.08, "z": 0.015}
    corr = np.array([[1.0, 0.8, 0.0], [0.8, 1.0, 0.0], [0.0, 0.0, 1.0]])
    sel = select_features(ivs, corr, iv_cutoff=0.02, corr_cutoff=0.7)
    assert sel.kept == ("y",)
    assert "'y'" in sel.dropped["x"]
    assert select_features(ivs, corr, corr_cutoff=0.85).kept == ("y", "x")
    with pytest.raises(MetricError):
        select_features(ivs, np.eye(2))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 1)), min_size=2, max_size=80).filter(
        lambda rows: 0 < sum(r[1] for r in rows) < len(rows)
    ),
    st.sampled_from([0.0, 0.05, 0.2]),
)
def test_binning_handles_heavy_ties_and_tiny_samples(
    rows: list[tuple[int, int]], min_share: float
) -> None:
    # Interpolated quantiles of tied integers can leave empty initial bins.
    x = [r[0] for r in rows]
    y = [r[1] for r in rows]
    result = fit_numeric_bins(x, y, max_bins=10, min_share=min_share)
    _assert_valid_binning(result, len(rows), min_share)
    woe = transform(x, result)
    assert np.isfinite(woe).all()
