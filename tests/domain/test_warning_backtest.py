"""Tests for smecredit.domain.warning_backtest."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from smecredit.domain.warning_backtest import (
    BacktestError,
    backtest_rules,
    cumulative_by_severity,
    first_index_crossings,
    reestimate_weights,
)

D = dt.date
FIRMS = ["A", "B", "C", "D", "E", "F"]
# A: warned 151 days before default (hit).   B: default 517 days after warning (too late).
# C: warned, never defaulted (false alarm).  D: defaulted without a warning (miss).
# E: never warned, never defaulted.          F: warned 70 days before default (hit).
DEFAULTS: dict[str, dt.date | None] = {
    "A": D(2023, 6, 1),
    "B": D(2024, 6, 1),
    "D": D(2023, 5, 1),
    "E": None,
    "F": D(2023, 4, 12),
}
WARNINGS = {
    "orange+": {"A": D(2023, 1, 1), "B": D(2023, 1, 1), "C": D(2023, 3, 1), "F": D(2023, 2, 1)},
    "red+": {"A": D(2023, 5, 1)},
    "late": {"F": D(2023, 4, 12), "D": D(2023, 6, 1)},  # on / after the default date
}


def test_backtest_hand_computed_six_firms() -> None:
    out = backtest_rules(FIRMS, WARNINGS, DEFAULTS, horizon_days=365)
    orange = out["orange+"]
    assert (orange.firms, orange.defaults, orange.warned) == (6, 4, 4)
    assert (orange.hits, orange.false_alarms, orange.immature) == (2, 1, 0)
    assert orange.precision == pytest.approx(2 / 4)  # A, F of A, B, C, F
    assert orange.recall == pytest.approx(2 / 4)  # A, F of A, B, D, F
    assert orange.false_alarm_rate == pytest.approx(1 / 2)  # C of C, E
    assert orange.median_lead_days == pytest.approx((151 + 70) / 2)

    red = out["red+"]
    assert (red.precision, red.recall, red.false_alarm_rate) == (1.0, 0.25, 0.0)
    assert red.median_lead_days == 31  # 2023-05-01 -> 2023-06-01

    late = out["late"]
    assert (late.hits, late.precision, late.recall, late.median_lead_days) == (0, 0.0, 0.0, None)
    assert late.false_alarm_rate == 0.0


def test_horizon_and_immature_warnings() -> None:
    longer = backtest_rules(FIRMS, WARNINGS, DEFAULTS, horizon_days=600)["orange+"]
    assert (longer.hits, longer.precision, longer.recall) == (3, 0.75, 0.75)  # B now counts
    end = D(2023, 6, 30)  # C's warning (2023-03-01) has not had a full year yet
    out = backtest_rules(FIRMS, WARNINGS, DEFAULTS, observation_end=end)["orange+"]
    assert out.immature == 1
    assert out.precision == pytest.approx(2 / 3)
    assert out.false_alarm_rate == pytest.approx(1 / 2)


def test_backtest_rejects_unknown_firms() -> None:
    with pytest.raises(BacktestError) as err:
        backtest_rules(["A"], {"r": {"Z": D(2023, 1, 1)}}, {})
    assert err.value.code == "INVALID_BACKTEST_INPUT"
    with pytest.raises(BacktestError):
        backtest_rules(FIRMS, WARNINGS, DEFAULTS, horizon_days=0)


def test_cumulative_by_severity() -> None:
    per_firm = {
        "A": {"yellow": D(2023, 3, 1), "red": D(2023, 2, 1)},
        "B": {"blue": D(2023, 1, 1), "orange": D(2023, 4, 1)},
    }
    out = cumulative_by_severity(per_firm)
    assert out["blue+"] == {"A": D(2023, 2, 1), "B": D(2023, 1, 1)}
    assert out["yellow+"] == {"A": D(2023, 2, 1), "B": D(2023, 4, 1)}
    assert out["orange+"] == {"A": D(2023, 2, 1), "B": D(2023, 4, 1)}
    assert out["red+"] == {"A": D(2023, 2, 1)}
    with pytest.raises(BacktestError):
        cumulative_by_severity({"A": {"purple": D(2023, 1, 1)}})


def test_first_index_crossings() -> None:
    series = {
        "A": [(D(2023, 3, 1), 65.0), (D(2023, 1, 1), 30.0), (D(2023, 2, 1), 45.0)],
        "B": [(D(2023, 1, 1), 10.0)],
    }
    out = first_index_crossings(series, thresholds=(40, 60, 80))
    assert out == {
        "index>=40": {"A": D(2023, 2, 1)},
        "index>=60": {"A": D(2023, 3, 1)},
        "index>=80": {},
    }


def test_reestimate_weights_prefers_informative_indicator() -> None:
    rng = np.random.default_rng(11)
    n = 4000
    informative = rng.uniform(0, 100, n)
    noise = rng.uniform(0, 100, n)
    weak = rng.uniform(0, 100, n)
    logit = -3.0 + 0.05 * (informative - 50) + 0.01 * (weak - 50)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    x = np.column_stack([informative, noise, weak])
    names = ["informative", "noise", "weak"]
    current = {"informative": 1.0, "noise": 1.0, "weak": 2.0}
    prop = reestimate_weights(x, y, names, current)
    assert prop.converged
    assert prop.proposed["informative"] > prop.proposed["weak"] > prop.proposed["noise"]
    assert prop.proposed["informative"] > 0.7
    assert sum(prop.proposed.values()) == pytest.approx(1.0)
    assert prop.current == pytest.approx({"informative": 0.25, "noise": 0.25, "weak": 0.5})
    for k in names:
        assert prop.delta[k] == pytest.approx(prop.proposed[k] - prop.current[k])
    # the standardised coefficient of the informative indicator is near its true value
    assert prop.coefficients["informative"] == pytest.approx(0.05 * informative.std(), rel=0.2)


def test_reestimate_weights_matches_unpenalised_mle_score_equations() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(500, 2))
    y = (rng.random(500) < 1 / (1 + np.exp(-(x[:, 0] - 1)))).astype(int)
    prop = reestimate_weights(x, y, ["a", "b"], l2=0.0)
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    beta = np.array([prop.coefficients["a"], prop.coefficients["b"]])
    p = 1 / (1 + np.exp(-(prop.intercept + z @ beta)))
    # At the maximum-likelihood estimate the score (gradient) is zero.
    assert np.abs(np.column_stack([np.ones(500), z]).T @ (y - p)).max() < 1e-6


def test_reestimate_weights_errors() -> None:
    x = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 0.0], [4.0, -1.0]])
    with pytest.raises(BacktestError) as err:
        reestimate_weights(x, [0, 0, 0, 0], ["a", "b"])
    assert err.value.code == "INVALID_BACKTEST_INPUT"
    with pytest.raises(BacktestError):
        reestimate_weights(x, [0, 1], ["a", "b"])
    with pytest.raises(BacktestError) as err:
        # higher 'a' goes with fewer defaults: no indicator raises the default probability
        reestimate_weights(x[:, :1], [1, 1, 0, 0], ["a"])
    assert err.value.code == "NO_INFORMATIVE_INDICATORS"
