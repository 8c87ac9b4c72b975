"""Validation metrics for credit-risk models (R4, R5): discrimination, calibration, stability.

Conventions used throughout:

* ``y`` is the outcome with ``1`` = bad (default) and ``0`` = good.
* A *score* passed to :func:`auc`, :func:`ks_statistic` and :func:`lift_table` is ordered so
  that a **higher score means more likely bad** (a PD, a log-odds of default, a warning
  index). Scorecard points, where higher means safer, must be negated first.
* Weight of evidence is ``ln(share of goods / share of bads)``: a positive WoE marks a
  safer-than-average group, the usual scorecard convention (Siddiqi).

Everything is pure numpy; inputs are sequences or arrays, outputs plain floats or frozen
dataclasses. Bad input raises :class:`MetricError` with ``code="INVALID_METRIC_INPUT"``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from smecredit.domain.errors import DomainError

__all__ = [
    "DEFAULT_PSI_EPSILON",
    "GradeCalibration",
    "LiftRow",
    "MetricError",
    "PsiBin",
    "auc",
    "average_ranks",
    "binomial_p_values",
    "brier",
    "calibration_by_grade",
    "categorical_psi",
    "csi",
    "gini",
    "information_value",
    "ks_statistic",
    "lift_table",
    "psi",
    "psi_table",
    "stability_band",
    "woe_iv",
]

#: Share substituted for an empty bin in PSI so that ``ln(a/e)`` stays finite.
DEFAULT_PSI_EPSILON = 1e-4

StabilityBand = Literal["stable", "investigate", "shifted"]


class MetricError(DomainError):
    """Input that a metric cannot be computed on.

    Attributes:
        code: stable machine-readable error code (``INVALID_METRIC_INPUT``).
    """

    code = "INVALID_METRIC_INPUT"


# ---------------------------------------------------------------------------- validation


def _as_float_array(values: Sequence[float] | npt.ArrayLike, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise MetricError(f"{name} must contain numbers only ({exc})") from exc
    if arr.ndim != 1:
        raise MetricError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _outcomes(y: Sequence[int] | npt.ArrayLike, *, need_both: bool = True) -> np.ndarray:
    arr = _as_float_array(y, "y")
    if arr.size == 0:
        raise MetricError("y is empty: a metric needs at least one observation")
    if not np.isin(arr, (0.0, 1.0)).all():
        bad = float(arr[~np.isin(arr, (0.0, 1.0))][0])
        raise MetricError(f"y must be 0 (good) or 1 (bad); found {bad:g}")
    if need_both and (arr.min() == arr.max()):
        only = "bad (1)" if arr[0] == 1 else "good (0)"
        raise MetricError(
            f"y has a single class (all {only}); the metric needs both goods and bads"
        )
    return arr.astype(np.int64)


def _finite(values: Sequence[float] | npt.ArrayLike, name: str, n: int) -> np.ndarray:
    arr = _as_float_array(values, name)
    if arr.size != n:
        raise MetricError(f"y has {n} values but {name} has {arr.size}: lengths must match")
    if not np.isfinite(arr).all():
        raise MetricError(f"{name} contains NaN or infinite values")
    return arr


def average_ranks(values: Sequence[float] | npt.ArrayLike) -> np.ndarray:
    """Ranks 1..n with ties given the average of the ranks they span (like ``rankdata``).

    Args:
        values: one-dimensional numbers.

    Returns:
        float array of ranks, same order as ``values``.
    """
    arr = _as_float_array(values, "values")
    order = np.argsort(arr, kind="mergesort")
    sorted_vals = arr[order]
    # Start index of each run of equal values, then the mean rank of the run.
    starts = np.flatnonzero(np.r_[True, sorted_vals[1:] != sorted_vals[:-1]])
    ends = np.r_[starts[1:], arr.size]
    run_rank = (starts + ends + 1) / 2.0  # mean of (start+1 .. end)
    ranks = np.empty(arr.size, dtype=float)
    ranks[order] = np.repeat(run_rank, ends - starts)
    return ranks


# ------------------------------------------------------------------------- discrimination


def auc(y_true: Sequence[int] | npt.ArrayLike, score: Sequence[float] | npt.ArrayLike) -> float:
    """Area under the ROC curve (Mann-Whitney U / (n_bad * n_good)).

    Ties between a bad and a good count one half, as in ``sklearn.metrics.roc_auc_score``.

    Args:
        y_true: outcomes, 1 = bad.
        score: higher = more likely bad.

    Returns:
        AUC in [0, 1]; 0.5 is no discrimination.

    Raises:
        MetricError: lengths differ, y not 0/1, a single class, or non-finite scores.
    """
    y = _outcomes(y_true)
    s = _finite(score, "score", y.size)
    ranks = average_ranks(s)
    n_bad = int(y.sum())
    n_good = y.size - n_bad
    u = ranks[y == 1].sum() - n_bad * (n_bad + 1) / 2.0
    return float(u / (n_bad * n_good))


def gini(auc_value: float) -> float:
    """Gini coefficient (accuracy ratio) from an AUC: ``2 * AUC - 1``."""
    if not 0.0 <= auc_value <= 1.0 or math.isnan(auc_value):
        raise MetricError(f"AUC must lie in [0, 1], got {auc_value!r}")
    return 2.0 * auc_value - 1.0


def ks_statistic(y: Sequence[int] | npt.ArrayLike, score: Sequence[float] | npt.ArrayLike) -> float:
    """Kolmogorov-Smirnov statistic: the largest gap between the bads' and goods' score CDFs.

    The CDFs are evaluated only at distinct score values, so tied scores never split.

    Returns:
        KS in [0, 1].
    """
    yy = _outcomes(y)
    s = _finite(score, "score", yy.size)
    values = np.unique(s)
    bad_sorted = np.sort(s[yy == 1])
    good_sorted = np.sort(s[yy == 0])
    cdf_bad = np.searchsorted(bad_sorted, values, side="right") / bad_sorted.size
    cdf_good = np.searchsorted(good_sorted, values, side="right") / good_sorted.size
    return float(np.max(np.abs(cdf_bad - cdf_good)))


def brier(y: Sequence[int] | npt.ArrayLike, p: Sequence[float] | npt.ArrayLike) -> float:
    """Brier score: mean squared difference between predicted PD and outcome.

    A single-class ``y`` is allowed here (the score is still defined).
    """
    yy = _outcomes(y, need_both=False)
    pp = _finite(p, "p", yy.size)
    if (pp < 0).any() or (pp > 1).any():
        raise MetricError("p must hold probabilities in [0, 1]")
    return float(np.mean((pp - yy) ** 2))


@dataclass(frozen=True)
class LiftRow:
    """One row of a lift (gains) table; bin 1 holds the riskiest scores.

    Attributes:
        bin: 1-based bin number, 1 = highest scores.
        count: observations in the bin.
        bads: bads in the bin.
        bad_rate: bads / count.
        cumulative_capture: share of all bads captured by bins 1..bin.
        lift: bad_rate / overall bad rate.
        min_score: smallest score in the bin.
        max_score: largest score in the bin.
    """

    bin: int
    count: int
    bads: int
    bad_rate: float
    cumulative_capture: float
    lift: float
    min_score: float
    max_score: float


def lift_table(
    y: Sequence[int] | npt.ArrayLike, score: Sequence[float] | npt.ArrayLike, n_bins: int = 10
) -> list[LiftRow]:
    """Lift table by equal-count bins of the score, riskiest first.

    Observations are sorted by score descending (ties keep input order) and cut into
    ``n_bins`` groups whose sizes differ by at most one, so a run of tied scores may
    straddle two bins; with heavily tied scores use fewer bins.

    Args:
        y: outcomes, 1 = bad.
        score: higher = more likely bad.
        n_bins: number of bins, 1 <= n_bins <= len(y).
    """
    yy = _outcomes(y)
    s = _finite(score, "score", yy.size)
    if not 1 <= n_bins <= yy.size:
        raise MetricError(f"n_bins must be between 1 and {yy.size}, got {n_bins}")
    order = np.argsort(-s, kind="mergesort")
    total_bads = int(yy.sum())
    overall = total_bads / yy.size
    rows: list[LiftRow] = []
    captured = 0
    for i, idx in enumerate(np.array_split(order, n_bins), start=1):
        bads = int(yy[idx].sum())
        captured += bads
        rate = bads / idx.size
        rows.append(
            LiftRow(
                bin=i,
                count=int(idx.size),
                bads=bads,
                bad_rate=rate,
                cumulative_capture=captured / total_bads,
                lift=rate / overall,
                min_score=float(s[idx].min()),
                max_score=float(s[idx].max()),
            )
        )
    return rows


# ---------------------------------------------------------------------------- calibration


def binomial_p_values(defaults: int, n: int, pd: float) -> tuple[float, float]:
    """Exact binomial test of an observed default count against a predicted PD.

    Args:
        defaults: observed defaults k.
        n: obligors.
        pd: predicted probability of default under the null hypothesis.

    Returns:
        ``(two_sided, upper)``: the two-sided p-value (sum of the probabilities of all
        outcomes no more likely than ``k``, scipy's ``binomtest`` method) and the one-sided
        p-value ``P(X >= k)``, the Basel back-testing test that the PD is underestimated.
    """
    if n < 1 or not 0 <= defaults <= n:
        raise MetricError(f"need 0 <= defaults <= n and n >= 1, got defaults={defaults}, n={n}")
    if not 0.0 <= pd <= 1.0:
        raise MetricError(f"pd must lie in [0, 1], got {pd!r}")
    ks = np.arange(n + 1)
    if pd in (0.0, 1.0):
        pmf = (ks == (0 if pd == 0.0 else n)).astype(float)
    else:
        # log C(n, k) from cumulative log-factorials: exact enough and O(n), no scipy.
        logfact = np.concatenate(([0.0], np.cumsum(np.log(np.arange(1, n + 1)))))
        logpmf = logfact[n] - logfact - logfact[::-1] + ks * math.log(pd)
        logpmf += (n - ks) * math.log1p(-pd)
        pmf = np.exp(logpmf)
    observed = pmf[defaults]
    two_sided = float(min(1.0, pmf[pmf <= observed * (1 + 1e-7)].sum()))
    upper = float(min(1.0, pmf[defaults:].sum()))
    return two_sided, upper


@dataclass(frozen=True)
class GradeCalibration:
    """Predicted against observed default rate for one rating grade.

    Attributes:
        grade: the grade label.
        count: obligors in the grade.
        defaults: observed defaults.
        predicted_pd: mean predicted PD.
        observed_rate: defaults / count.
        p_value: exact two-sided binomial test of ``observed == predicted``.
        p_value_underestimated: one-sided ``P(X >= defaults)`` under the predicted PD; a
            small value says the grade's PD is too low (the regulatory concern).
    """

    grade: str
    count: int
    defaults: int
    predicted_pd: float
    observed_rate: float
    p_value: float
    p_value_underestimated: float


def calibration_by_grade(
    y: Sequence[int] | npt.ArrayLike,
    pd: Sequence[float] | npt.ArrayLike,
    grades: Sequence[Hashable],
) -> list[GradeCalibration]:
    """Calibration per grade with an exact binomial test against the grade's mean PD.

    The binomial test was chosen over a Jeffreys interval because it needs no beta
    quantile (no scipy) and is what supervisors' back-testing guidance describes. It assumes
    independent defaults, so with correlated defaults it rejects too often: read small
    p-values as "look here", not as proof.

    Args:
        y: outcomes, 1 = default.
        pd: predicted PDs in [0, 1].
        grades: grade label per obligor.

    Returns:
        One row per grade, sorted by grade label.
    """
    yy = _outcomes(y, need_both=False)
    pp = _finite(pd, "pd", yy.size)
    if (pp < 0).any() or (pp > 1).any():
        raise MetricError("pd must hold probabilities in [0, 1]")
    labels = [str(g) for g in grades]
    if len(labels) != yy.size:
        raise MetricError(f"y has {yy.size} values but grades has {len(labels)}")
    arr = np.asarray(labels, dtype=object)
    rows = []
    for grade in sorted(set(labels)):
        mask = arr == grade
        n = int(mask.sum())
        k = int(yy[mask].sum())
        mean_pd = float(pp[mask].mean())
        two, upper = binomial_p_values(k, n, mean_pd)
        rows.append(GradeCalibration(grade, n, k, mean_pd, k / n, two, upper))
    return rows


# ------------------------------------------------------------------------------ stability


@dataclass(frozen=True)
class PsiBin:
    """Contribution of one bin to a PSI.

    Attributes:
        label: the interval ``(lo, hi]`` or the category.
        expected_share: share of the expected (reference) population, after the epsilon floor.
        actual_share: share of the actual (recent) population, after the epsilon floor.
        contribution: ``(actual - expected) * ln(actual / expected)``.
    """

    label: str
    expected_share: float
    actual_share: float
    contribution: float


def _shares(counts: np.ndarray, epsilon: float) -> np.ndarray:
    # Floor empty bins at epsilon so ln() stays finite; renormalise so shares sum to 1.
    shares = counts / counts.sum()
    shares = np.maximum(shares, epsilon)
    return shares / shares.sum()


def _psi_rows(
    labels: Sequence[str], exp_counts: np.ndarray, act_counts: np.ndarray, epsilon: float
) -> list[PsiBin]:
    if not 0 < epsilon < 1:
        raise MetricError(f"epsilon must lie in (0, 1), got {epsilon!r}")
    e = _shares(exp_counts.astype(float), epsilon)
    a = _shares(act_counts.astype(float), epsilon)
    contrib = (a - e) * np.log(a / e)
    return [
        PsiBin(lab, float(ei), float(ai), float(ci))
        for lab, ei, ai, ci in zip(labels, e, a, contrib, strict=True)
    ]


def _numeric_edges(expected: np.ndarray, bins: int | Sequence[float]) -> np.ndarray:
    if isinstance(bins, int | np.integer):
        if bins < 1:
            raise MetricError(f"bins must be >= 1, got {bins}")
        inner = np.quantile(expected, np.linspace(0, 1, int(bins) + 1)[1:-1])
        inner = np.unique(inner)
    else:
        inner = _as_float_array(bins, "bins")
        if np.isnan(inner).any() or (np.diff(inner) <= 0).any():
            raise MetricError("explicit bin edges must be numbers in strictly increasing order")
        # Outer edges are implied: bins cover (-inf, e1], ..., (ek, +inf); drop explicit ±inf.
        inner = inner[np.isfinite(inner)]
    return inner


def psi_table(
    expected_scores: Sequence[float] | npt.ArrayLike,
    actual_scores: Sequence[float] | npt.ArrayLike,
    bins: int | Sequence[float] = 10,
    epsilon: float = DEFAULT_PSI_EPSILON,
) -> list[PsiBin]:
    """Per-bin breakdown of :func:`psi`.

    Args:
        expected_scores: reference population (e.g. development sample).
        actual_scores: recent population.
        bins: number of quantile bins of the expected scores (duplicate quantiles are
            merged), or explicit cut points; bins are right-closed ``(lo, hi]`` and the
            outermost bins extend to -inf and +inf so every score lands somewhere.
        epsilon: share substituted for an empty bin before taking the logarithm.
    """
    exp = _as_float_array(expected_scores, "expected_scores")
    act = _as_float_array(actual_scores, "actual_scores")
    if exp.size == 0 or act.size == 0:
        raise MetricError("PSI needs non-empty expected and actual samples")
    if not (np.isfinite(exp).all() and np.isfinite(act).all()):
        raise MetricError("PSI scores contain NaN or infinite values; bin missing values first")
    inner = _numeric_edges(exp, bins)
    n = inner.size + 1
    exp_counts = np.bincount(np.searchsorted(inner, exp, side="left"), minlength=n)
    act_counts = np.bincount(np.searchsorted(inner, act, side="left"), minlength=n)
    bounds = np.r_[-np.inf, inner, np.inf]
    labels = [f"({bounds[i]:g}, {bounds[i + 1]:g}]" for i in range(n)]
    return _psi_rows(labels, exp_counts, act_counts, epsilon)


def psi(
    expected_scores: Sequence[float] | npt.ArrayLike,
    actual_scores: Sequence[float] | npt.ArrayLike,
    bins: int | Sequence[float] = 10,
    epsilon: float = DEFAULT_PSI_EPSILON,
) -> float:
    """Population stability index ``sum((a - e) * ln(a / e))`` over score bins.

    See :func:`psi_table` for the binning. Identical distributions give 0; the index is
    non-negative and symmetric in the two populations for fixed bins.
    """
    return float(
        sum(r.contribution for r in psi_table(expected_scores, actual_scores, bins, epsilon))
    )


def categorical_psi(
    expected: Sequence[Hashable],
    actual: Sequence[Hashable],
    epsilon: float = DEFAULT_PSI_EPSILON,
) -> float:
    """PSI over categories (one bin per category seen in either sample; None is a category)."""
    exp = [str(v) for v in expected]
    act = [str(v) for v in actual]
    if not exp or not act:
        raise MetricError("PSI needs non-empty expected and actual samples")
    cats = sorted(set(exp) | set(act))
    index = {c: i for i, c in enumerate(cats)}
    exp_counts = np.bincount([index[v] for v in exp], minlength=len(cats))
    act_counts = np.bincount([index[v] for v in act], minlength=len(cats))
    return float(sum(r.contribution for r in _psi_rows(cats, exp_counts, act_counts, epsilon)))


def _is_numeric(values: Sequence[Any]) -> bool:
    arr = np.asarray(values)
    return arr.dtype.kind in "biuf"


def csi(
    expected: Mapping[str, Sequence[Any]],
    actual: Mapping[str, Sequence[Any]],
    bins: int | Mapping[str, Sequence[float]] = 10,
    categorical: Sequence[str] = (),
    epsilon: float = DEFAULT_PSI_EPSILON,
) -> dict[str, float]:
    """Characteristic stability index: the PSI formula applied to each feature.

    Args:
        expected: feature name -> reference values.
        actual: feature name -> recent values; must have the same feature names.
        bins: quantile bin count for every numeric feature, or explicit cut points per
            feature (features absent from the mapping use 10 quantile bins).
        categorical: features to treat as categories; non-numeric features are treated as
            categorical automatically.
        epsilon: floor share for empty bins.

    Returns:
        feature name -> CSI.
    """
    missing = set(expected) ^ set(actual)
    if missing:
        raise MetricError(
            f"expected and actual must have the same features; differ on {sorted(missing)}"
        )
    out: dict[str, float] = {}
    for name in expected:
        exp_vals, act_vals = expected[name], actual[name]
        if name in categorical or not (_is_numeric(exp_vals) and _is_numeric(act_vals)):
            out[name] = categorical_psi(exp_vals, act_vals, epsilon)
        else:
            feature_bins = bins.get(name, 10) if isinstance(bins, Mapping) else bins
            out[name] = psi(exp_vals, act_vals, feature_bins, epsilon)
    return out


def stability_band(value: float) -> StabilityBand:
    """Band a PSI/CSI: ``<0.1`` stable, ``0.1-0.25`` investigate, ``>0.25`` shifted."""
    if math.isnan(value) or value < 0:
        raise MetricError(f"a PSI is a non-negative number, got {value!r}")
    if value < 0.1:
        return "stable"
    if value <= 0.25:
        return "investigate"
    return "shifted"


# --------------------------------------------------------------------- WoE / information


def woe_iv(
    goods: Sequence[float] | npt.ArrayLike,
    bads: Sequence[float] | npt.ArrayLike,
    smoothing: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Weight of evidence and information value per bin.

    ``WoE_i = ln(g_i' / b_i')`` and ``IV_i = (g_i' - b_i') * WoE_i`` where, with Laplace
    smoothing ``a`` over ``k`` bins, ``g_i' = (g_i + a) / (G + a k)`` (same for bads).

    Args:
        goods: goods per bin.
        bads: bads per bin.
        smoothing: pseudo-count added to every cell; 0 requires every cell to be non-zero.

    Returns:
        ``(woe, iv)`` arrays.
    """
    g = _as_float_array(goods, "goods")
    b = _as_float_array(bads, "bads")
    if g.size != b.size or g.size == 0:
        raise MetricError(f"goods ({g.size}) and bads ({b.size}) need the same, non-zero length")
    if (g < 0).any() or (b < 0).any() or smoothing < 0:
        raise MetricError("counts and smoothing must be non-negative")
    if g.sum() == 0 or b.sum() == 0:
        raise MetricError("WoE needs at least one good and one bad in total")
    if smoothing == 0 and ((g == 0).any() or (b == 0).any()):
        raise MetricError("a bin without goods or bads has infinite WoE; merge it or smooth")
    k = g.size
    dg = (g + smoothing) / (g.sum() + smoothing * k)
    db = (b + smoothing) / (b.sum() + smoothing * k)
    woe = np.log(dg / db)
    return woe, (dg - db) * woe


def information_value(bins: Sequence[tuple[float, float]], smoothing: float = 0.0) -> float:
    """Total information value of a binned characteristic.

    Args:
        bins: ``(goods, bads)`` per bin.
        smoothing: Laplace pseudo-count, see :func:`woe_iv`.

    Returns:
        IV; rules of thumb: <0.02 useless, 0.02-0.1 weak, 0.1-0.3 medium, >0.3 strong.
    """
    pairs = list(bins)
    if not pairs or any(len(p) != 2 for p in pairs):
        raise MetricError("bins must be a non-empty sequence of (goods, bads) pairs")
    _, iv = woe_iv([p[0] for p in pairs], [p[1] for p in pairs], smoothing)
    return float(iv.sum())
