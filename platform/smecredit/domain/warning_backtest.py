"""Back-testing an early-warning system and re-estimating its weights (R5).

A *rule* is anything that gives each firm a first warning date: a severity ("orange or
worse"), a single warning rule, or a crossing of the composite index. For each rule, with
``w`` the firm's first warning date, ``d`` its default date (if any) and ``H`` the horizon:

* a warning is a **hit** when ``0 < d - w <= H`` days (it came before the default, and the
  default followed within the horizon);
* **precision** = hits / warned firms. A firm first warned on or after its default date
  counts as warned but not hit: the warning was of no use;
* **recall** = defaulted firms with a hit / defaulted firms;
* **false alarm rate** = warned firms that never defaulted / firms that never defaulted;
* **median lead time** = median of ``d - w`` in days over the hits.

When ``observation_end`` is given, a non-defaulted firm warned less than ``H`` days before
it is *immature*: it may still default within the horizon, so it is left out of the
precision (numerator and denominator) and reported separately; it still counts in the
false-alarm rate, which does not involve the horizon.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from smecredit.domain.errors import DomainError

__all__ = [
    "BacktestError",
    "RuleBacktest",
    "WeightProposal",
    "backtest_rules",
    "cumulative_by_severity",
    "first_index_crossings",
    "reestimate_weights",
]


class BacktestError(DomainError):
    """Input a back-test or a re-estimation cannot use.

    Attributes:
        code: ``INVALID_BACKTEST_INPUT`` or ``NO_INFORMATIVE_INDICATORS``.
    """

    code = "INVALID_BACKTEST_INPUT"


@dataclass(frozen=True)
class RuleBacktest:
    """Back-test result of one rule (see the module docstring for the definitions).

    Attributes:
        rule: rule name.
        firms: firms in the population.
        defaults: firms with a default date.
        warned: firms with a warning under this rule.
        hits: warned firms that defaulted within the horizon after the warning.
        false_alarms: warned firms that never defaulted.
        immature: warned, not defaulted, horizon not yet over (excluded from precision).
        precision: hits / (warned - immature), None when nothing to divide by.
        recall: hits / defaults, None without defaults.
        false_alarm_rate: false_alarms / non-defaulters, None when every firm defaulted.
        median_lead_days: median days from first warning to default over hits, None
            without hits.
    """

    rule: str
    firms: int
    defaults: int
    warned: int
    hits: int
    false_alarms: int
    immature: int
    precision: float | None
    recall: float | None
    false_alarm_rate: float | None
    median_lead_days: float | None


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def backtest_rules(
    firms: Iterable[str],
    first_warnings: Mapping[str, Mapping[str, dt.date]],
    defaults: Mapping[str, dt.date | None],
    horizon_days: int = 365,
    observation_end: dt.date | None = None,
) -> dict[str, RuleBacktest]:
    """Precision, recall, false-alarm rate and lead time of each rule.

    Args:
        firms: every firm observed (the denominator of recall and false-alarm rate).
        first_warnings: rule -> (firm -> date of the firm's first warning under the rule).
        defaults: firm -> default date; firms absent or mapped to None did not default.
        horizon_days: how long after a warning a default still counts as predicted.
        observation_end: last date of the data, to set aside immature warnings.

    Returns:
        rule -> :class:`RuleBacktest`, in the order of ``first_warnings``.

    Raises:
        BacktestError: ``INVALID_BACKTEST_INPUT`` for a firm outside ``firms`` or a
            non-positive horizon.
    """
    population = set(firms)
    if horizon_days < 1:
        raise BacktestError(
            code="INVALID_BACKTEST_INPUT", message=f"horizon_days must be >= 1, got {horizon_days}"
        )
    strangers = sorted(set(defaults) - population)
    if strangers:
        raise BacktestError(
            code="INVALID_BACKTEST_INPUT",
            message=f"defaults name firms outside the population: {strangers[:5]}",
        )
    default_date = {f: d for f, d in defaults.items() if d is not None}
    non_defaulters = len(population) - len(default_date)
    horizon = dt.timedelta(days=horizon_days)
    out: dict[str, RuleBacktest] = {}
    for rule, warned_at in first_warnings.items():
        strangers = sorted(set(warned_at) - population)
        if strangers:
            raise BacktestError(
                code="INVALID_BACKTEST_INPUT",
                message=f"rule {rule!r} warns firms outside the population: {strangers[:5]}",
            )
        hits, false_alarms, immature = 0, 0, 0
        leads: list[int] = []
        for firm, w in warned_at.items():
            d = default_date.get(firm)
            if d is not None and dt.timedelta(0) < d - w <= horizon:
                hits += 1
                leads.append((d - w).days)
            elif d is None:
                false_alarms += 1
                if observation_end is not None and observation_end - w < horizon:
                    immature += 1
        out[rule] = RuleBacktest(
            rule=rule,
            firms=len(population),
            defaults=len(default_date),
            warned=len(warned_at),
            hits=hits,
            false_alarms=false_alarms,
            immature=immature,
            precision=_ratio(hits, len(warned_at) - immature),
            recall=_ratio(hits, len(default_date)),
            false_alarm_rate=_ratio(false_alarms, non_defaulters),
            median_lead_days=float(np.median(leads)) if leads else None,
        )
    return out


def cumulative_by_severity(
    first_by_level: Mapping[str, Mapping[str, dt.date]],
    order: Sequence[str] = ("blue", "yellow", "orange", "red"),
) -> dict[str, dict[str, dt.date]]:
    """Turn per-firm first dates at each exact level into first dates at *level or worse*.

    Args:
        first_by_level: firm -> (level -> first date the firm was at that level).
        order: levels from least to most severe.

    Returns:
        ``"<level>+"`` -> (firm -> first date at that level or a more severe one), ready
        for :func:`backtest_rules`.
    """
    out: dict[str, dict[str, dt.date]] = {f"{lvl}+": {} for lvl in order}
    for firm, dates in first_by_level.items():
        unknown = set(dates) - set(order)
        if unknown:
            raise BacktestError(
                code="INVALID_BACKTEST_INPUT",
                message=f"unknown levels {sorted(unknown)} for {firm!r}",
            )
        for k, lvl in enumerate(order):
            worse = [dates[x] for x in order[k:] if x in dates]
            if worse:
                out[f"{lvl}+"][firm] = min(worse)
    return out


def first_index_crossings(
    index_series: Mapping[str, Iterable[tuple[dt.date, float]]],
    thresholds: Sequence[float] = (40.0, 60.0, 80.0),
) -> dict[str, dict[str, dt.date]]:
    """First date each firm's composite index reached each threshold.

    Returns:
        ``"index>=<t>"`` -> (firm -> first date with index >= t).
    """
    out: dict[str, dict[str, dt.date]] = {f"index>={t:g}": {} for t in thresholds}
    for firm, series in index_series.items():
        for day, value in sorted(series):
            for t in thresholds:
                key = f"index>={t:g}"
                if value >= t and firm not in out[key]:
                    out[key][firm] = day
    return out


# ------------------------------------------------------------------ weight re-estimation


@dataclass(frozen=True)
class WeightProposal:
    """Weights proposed by a logistic regression next to the current ones.

    Attributes:
        coefficients: indicator -> coefficient on the standardised score (per 1 SD).
        intercept: intercept of the fitted model.
        proposed: indicator -> proposed weight; positive coefficients normalised to sum 1,
            indicators with a coefficient <= 0 get 0 (they do not raise the risk).
        current: indicator -> current weight, normalised to sum 1.
        delta: indicator -> proposed - current.
        converged: whether IRLS converged.
        iterations: IRLS iterations run.
    """

    coefficients: dict[str, float]
    intercept: float
    proposed: dict[str, float]
    current: dict[str, float]
    delta: dict[str, float]
    converged: bool
    iterations: int


def _irls(
    x: np.ndarray, y: np.ndarray, l2: float, max_iter: int, tol: float
) -> tuple[np.ndarray, bool, int]:
    """Penalised logistic regression by Newton-Raphson (IRLS); column 0 is the intercept."""
    beta = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0  # never shrink the intercept
    for it in range(1, max_iter + 1):
        eta = np.clip(x @ beta, -30, 30)
        p = 1.0 / (1.0 + np.exp(-eta))
        grad = x.T @ (y - p) - penalty * beta
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hess + 1e-10 * np.eye(x.shape[1]), grad)
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            return beta, True, it
    return beta, False, max_iter


def reestimate_weights(
    indicator_matrix: Sequence[Sequence[float]] | npt.ArrayLike,
    defaults: Sequence[int] | npt.ArrayLike,
    names: Sequence[str],
    current_weights: Mapping[str, float] | None = None,
    l2: float = 1.0,
    max_iter: int = 100,
    tol: float = 1e-8,
) -> WeightProposal:
    """Propose indicator weights from observed defaults.

    Fits ``P(default) = logistic(b0 + sum(b_j * z_j))`` where ``z_j`` is indicator j's score
    standardised to mean 0, SD 1 (so coefficients compare across indicators), with an L2
    penalty ``l2/2 * sum(b_j^2)`` (intercept excluded) that keeps the fit finite under
    separation and collinearity. Positive coefficients, normalised, are the proposal. A
    constant column gets coefficient 0.

    Args:
        indicator_matrix: n firms x k indicator scores (higher = riskier), no missing values.
        defaults: 1 = defaulted within the horizon, 0 = did not.
        names: indicator names, one per column.
        current_weights: indicator -> weight in use (defaults to equal weights).
        l2: penalty strength on the standardised coefficients.
        max_iter: IRLS iteration cap.
        tol: convergence tolerance on the largest coefficient change.

    Raises:
        BacktestError: ``INVALID_BACKTEST_INPUT`` on bad shapes/values or single-class
            outcomes; ``NO_INFORMATIVE_INDICATORS`` when no coefficient is positive.
    """
    x = np.asarray(indicator_matrix, dtype=float)
    y = np.asarray(defaults, dtype=float)
    if x.ndim != 2 or x.shape[1] != len(names) or x.shape[0] != y.size or y.ndim != 1:
        raise BacktestError(
            code="INVALID_BACKTEST_INPUT",
            message=f"indicator_matrix must be (n, {len(names)}) with n = len(defaults) = "
            f"{y.size}, got {x.shape}",
        )
    if not np.isfinite(x).all():
        raise BacktestError(
            code="INVALID_BACKTEST_INPUT", message="indicator_matrix has missing or infinite values"
        )
    if not np.isin(y, (0.0, 1.0)).all() or y.size == 0 or y.min() == y.max():
        raise BacktestError(
            code="INVALID_BACKTEST_INPUT", message="defaults must be 0/1 with both outcomes present"
        )
    if l2 < 0:
        raise BacktestError(code="INVALID_BACKTEST_INPUT", message=f"l2 must be >= 0, got {l2}")
    current = dict(current_weights) if current_weights is not None else dict.fromkeys(names, 1.0)
    if set(current) != set(names):
        raise BacktestError(
            code="INVALID_BACKTEST_INPUT",
            message="current_weights must name exactly the indicators in names",
        )
    cur_total = sum(current.values())
    if cur_total <= 0 or any(not (math.isfinite(v) and v >= 0) for v in current.values()):
        raise BacktestError(
            code="INVALID_BACKTEST_INPUT",
            message="current weights must be >= 0 with a positive sum",
        )

    sd = x.std(axis=0)
    live = sd > 0
    z = np.zeros_like(x)
    z[:, live] = (x[:, live] - x[:, live].mean(axis=0)) / sd[live]
    design = np.column_stack([np.ones(x.shape[0]), z[:, live]])
    beta, converged, iterations = _irls(design, y, l2, max_iter, tol)
    coefs = np.zeros(len(names))
    coefs[live] = beta[1:]

    positive = np.clip(coefs, 0.0, None)
    if positive.sum() <= 0:
        raise BacktestError(
            code="NO_INFORMATIVE_INDICATORS",
            message="no indicator raises the default probability in this sample; "
            "keep the current weights",
        )
    proposed = positive / positive.sum()
    cur = {n: current[n] / cur_total for n in names}
    return WeightProposal(
        coefficients={n: float(c) for n, c in zip(names, coefs, strict=True)},
        intercept=float(beta[0]),
        proposed={n: float(p) for n, p in zip(names, proposed, strict=True)},
        current=cur,
        delta={n: float(p) - cur[n] for n, p in zip(names, proposed, strict=True)},
        converged=converged,
        iterations=iterations,
    )
