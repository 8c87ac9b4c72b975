"""Weight-of-evidence binning and IV-based feature selection for scorecards (R4).

Numeric features get *monotonic* binning: start from up to ``max_bins`` quantile bins and
merge adjacent bins until

* every bin holds at least ``min_share`` of the sample and at least one good and one bad,
* the WoE is strictly monotonic in the feature (increasing or decreasing).

Both directions are tried and the one keeping the higher IV wins (ties go to the sign of
the Spearman correlation), so a U-shaped risk is flattened to its stronger side rather than
forced the wrong way. Missing values get their own bin, which is exempt from the merging
(there is no neighbour to merge a "missing" bin with).

Categorical features get one bin per category, with categories rarer than ``min_share``
pooled into an ``other`` bin.

WoE is ``ln(share of goods / share of bads)`` with Laplace smoothing (a pseudo-count added
to every cell) so that small bins never produce infinite values; ``y`` is 1 = bad.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from smecredit.domain.model_metrics import MetricError, average_ranks, woe_iv

__all__ = [
    "DEFAULT_SMOOTHING",
    "OTHER_LABEL",
    "BinningResult",
    "FeatureSelection",
    "WoeBin",
    "fit_categorical_bins",
    "fit_numeric_bins",
    "select_features",
    "transform",
]

#: Laplace pseudo-count added to goods and bads of every bin.
DEFAULT_SMOOTHING = 0.5
#: Label of the bin pooling rare (and, at transform time, unseen) categories.
OTHER_LABEL = "__other__"
MISSING_LABEL = "missing"

Direction = Literal["increasing", "decreasing", "flat"]


@dataclass(frozen=True)
class WoeBin:
    """One bin of a fitted binning.

    Attributes:
        label: ``(lo, hi]`` for numeric bins, the category (or ``__other__``), or ``missing``.
        count: observations.
        goods: observations with y = 0.
        bads: observations with y = 1.
        woe: smoothed weight of evidence (positive = safer than average).
        iv: this bin's contribution to the information value.
        lower: exclusive lower bound of a numeric bin (-inf for the first).
        upper: inclusive upper bound of a numeric bin (+inf for the last).
        categories: categories pooled in a categorical bin.
        is_missing: True for the bin of missing values.
    """

    label: str
    count: int
    goods: int
    bads: int
    woe: float
    iv: float
    lower: float | None = None
    upper: float | None = None
    categories: tuple[str, ...] = ()
    is_missing: bool = False


@dataclass(frozen=True)
class BinningResult:
    """A fitted binning of one feature; apply it with :func:`transform`.

    Attributes:
        kind: ``numeric`` or ``categorical``.
        edges: inner cut points of a numeric binning; bin i is ``(edges[i-1], edges[i]]``.
        bins: value bins in order (numeric: ascending x; categorical: ascending WoE), then
            the missing bin if the training data had missing values.
        total_iv: sum of the bins' IV, missing bin included.
        direction: how WoE moves as x grows (``flat`` with a single value bin or categorical).
        smoothing: the Laplace pseudo-count used.
        category_to_bin: categorical only: category -> index into ``bins``.
    """

    kind: Literal["numeric", "categorical"]
    edges: tuple[float, ...]
    bins: tuple[WoeBin, ...]
    total_iv: float
    direction: Direction
    smoothing: float
    category_to_bin: Mapping[str, int] = field(default_factory=dict)

    @property
    def counts(self) -> tuple[int, ...]:
        """Observations per bin."""
        return tuple(b.count for b in self.bins)

    @property
    def goods(self) -> tuple[int, ...]:
        """Goods per bin."""
        return tuple(b.goods for b in self.bins)

    @property
    def bads(self) -> tuple[int, ...]:
        """Bads per bin."""
        return tuple(b.bads for b in self.bins)

    @property
    def woe(self) -> tuple[float, ...]:
        """WoE per bin."""
        return tuple(b.woe for b in self.bins)

    @property
    def iv(self) -> tuple[float, ...]:
        """IV contribution per bin."""
        return tuple(b.iv for b in self.bins)

    @property
    def missing_bin(self) -> WoeBin | None:
        """The bin of missing values, if training data had any."""
        return self.bins[-1] if self.bins and self.bins[-1].is_missing else None

    @property
    def other_bin(self) -> WoeBin | None:
        """Categorical only: the bin pooling rare categories, if any."""
        return next((b for b in self.bins if b.label == OTHER_LABEL), None)


# ------------------------------------------------------------------------------ helpers


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


def _outcomes(y: Sequence[int] | npt.ArrayLike, n: int) -> np.ndarray:
    arr = np.asarray(y, dtype=float)
    if arr.ndim != 1 or arr.size != n:
        raise MetricError(f"x has {n} values but y has {arr.size}: lengths must match")
    if not np.isin(arr, (0.0, 1.0)).all():
        raise MetricError("y must be 0 (good) or 1 (bad)")
    if arr.size == 0 or arr.min() == arr.max():
        raise MetricError("y has a single class; binning needs both goods and bads")
    return arr.astype(np.int64)


def _numeric_x(x: Sequence[Any] | npt.ArrayLike) -> np.ndarray:
    try:
        values = [np.nan if _is_missing(v) else float(v) for v in np.asarray(x, dtype=object)]
    except (TypeError, ValueError) as exc:
        raise MetricError(f"a numeric feature must contain numbers or None ({exc})") from exc
    arr = np.asarray(values, dtype=float)
    if np.isinf(arr).any():
        raise MetricError("a numeric feature must not contain infinite values")
    return arr


def _check_params(min_share: float, smoothing: float) -> None:
    if not 0 <= min_share < 1:
        raise MetricError(f"min_share must lie in [0, 1), got {min_share!r}")
    if smoothing < 0:
        raise MetricError(f"smoothing must be >= 0, got {smoothing!r}")


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    rx, ry = average_ranks(x), average_ranks(y)
    sx, sy = rx.std(), ry.std()
    if sx == 0 or sy == 0:
        return 0.0
    return float(np.mean((rx - rx.mean()) * (ry - ry.mean())) / (sx * sy))


def _rate_gap(bads: list[int], counts: list[int], i: int, j: int) -> float:
    """Distance between two bins' bad rates; an empty bin is as close as can be to anything."""
    if counts[i] == 0 or counts[j] == 0:
        return 0.0
    return abs(bads[j] / counts[j] - bads[i] / counts[i])


def _merge_bins(
    edges: list[float],
    goods: list[int],
    bads: list[int],
    min_count: float,
    increasing: bool,
    smoothing: float,
) -> None:
    """Merge adjacent bins in place until every bin is large, mixed and WoE is monotonic.

    Every merge removes one bin, so the loop ends after at most ``len(goods) - 1`` merges.
    """

    def merge(i: int) -> None:  # bin i absorbs bin i + 1
        del edges[i]
        goods[i] += goods.pop(i + 1)
        bads[i] += bads.pop(i + 1)

    while len(goods) > 1:
        k = len(goods)
        counts = [g + b for g, b in zip(goods, bads, strict=True)]
        small = [i for i in range(k) if goods[i] == 0 or bads[i] == 0 or counts[i] < min_count]
        if small:
            i = min(small, key=lambda j: (counts[j], j))
            if i == 0:
                merge(0)
            elif i == k - 1:
                merge(k - 2)
            else:
                # Merge towards the neighbour with the closer bad rate: least information lost.
                left = _rate_gap(bads, counts, i, i - 1)
                right = _rate_gap(bads, counts, i, i + 1)
                merge(i - 1 if left <= right else i)
            continue
        # The smoothed WoE is ln((g + a) / (b + a)) plus a constant shared by all bins, so
        # checking the order of these log-odds checks the order of the final WoE.
        log_odds = [
            math.log((g + smoothing) / (b + smoothing)) for g, b in zip(goods, bads, strict=True)
        ]
        steps = [log_odds[i + 1] - log_odds[i] for i in range(k - 1)]
        bad_steps = [i for i, d in enumerate(steps) if (d <= 0 if increasing else d >= 0)]
        if not bad_steps:
            return
        merge(bad_steps[0])


def _bin_counts(x: np.ndarray, y: np.ndarray, edges: np.ndarray) -> tuple[list[int], list[int]]:
    idx = np.searchsorted(edges, x, side="left")
    n_bins = edges.size + 1
    bads = np.bincount(idx, weights=y, minlength=n_bins).astype(np.int64)
    counts = np.bincount(idx, minlength=n_bins)
    return (counts - bads).tolist(), bads.tolist()


def _build_bins(
    labels: list[str],
    goods: list[int],
    bads: list[int],
    missing: tuple[int, int] | None,
    smoothing: float,
    bounds: Sequence[tuple[float | None, float | None]] | None = None,
    categories: list[tuple[str, ...]] | None = None,
) -> tuple[tuple[WoeBin, ...], float]:
    all_goods = goods + ([missing[0]] if missing else [])
    all_bads = bads + ([missing[1]] if missing else [])
    woe, iv = woe_iv(all_goods, all_bads, smoothing)
    out = []
    for i, (g, b) in enumerate(zip(all_goods, all_bads, strict=True)):
        is_missing = missing is not None and i == len(all_goods) - 1
        lo, hi = bounds[i] if bounds and not is_missing else (None, None)
        cats = categories[i] if categories and not is_missing else ()
        out.append(
            WoeBin(
                label=MISSING_LABEL if is_missing else labels[i],
                count=int(g + b),
                goods=int(g),
                bads=int(b),
                woe=float(woe[i]),
                iv=float(iv[i]),
                lower=lo,
                upper=hi,
                categories=cats,
                is_missing=is_missing,
            )
        )
    return tuple(out), float(iv.sum())


# -------------------------------------------------------------------------------- fitting


def fit_numeric_bins(
    x: Sequence[float | None] | npt.ArrayLike,
    y: Sequence[int] | npt.ArrayLike,
    max_bins: int = 10,
    min_share: float = 0.05,
    smoothing: float = DEFAULT_SMOOTHING,
    direction: Literal["auto", "increasing", "decreasing"] = "auto",
) -> BinningResult:
    """Fit a monotonic WoE binning of a numeric feature.

    Args:
        x: feature values; None or NaN is missing.
        y: outcomes, 1 = bad.
        max_bins: number of initial quantile bins (an upper bound on the result).
        min_share: smallest share of the whole sample a value bin may hold.
        smoothing: Laplace pseudo-count per cell.
        direction: force WoE to increase or decrease with x, or ``auto`` to take the
            direction with the higher IV (ties: Spearman sign).

    Returns:
        The binning; ``direction`` is ``flat`` when everything merged into one value bin.

    Raises:
        MetricError: bad lengths, single-class y, no non-missing value, bad parameters.
    """
    _check_params(min_share, smoothing)
    if max_bins < 1:
        raise MetricError(f"max_bins must be >= 1, got {max_bins}")
    xs = _numeric_x(x)
    yy = _outcomes(y, xs.size)
    valid = ~np.isnan(xs)
    if not valid.any():
        raise MetricError("the feature has no non-missing value to bin")
    xv, yv = xs[valid], yy[valid]
    missing = None
    if (~valid).any():
        mb = int(yy[~valid].sum())
        missing = (int((~valid).sum()) - mb, mb)

    start = np.unique(np.quantile(xv, np.linspace(0, 1, max_bins + 1)[1:-1]))
    start_goods, start_bads = _bin_counts(xv, yv, start)
    min_count = min_share * xs.size

    candidates: list[tuple[float, bool, list[float], list[int], list[int]]] = []
    wanted = {"auto": (True, False), "increasing": (True,), "decreasing": (False,)}[direction]
    for increasing in wanted:
        edges, goods, bads = start.tolist(), list(start_goods), list(start_bads)
        _merge_bins(edges, goods, bads, min_count, increasing, smoothing)
        _, total = _build_bins(["."] * len(goods), goods, bads, missing, smoothing)
        candidates.append((total, increasing, edges, goods, bads))
    # WoE rises with x when bads fall with x, i.e. when Spearman(x, y) < 0.
    prefer_increasing = _spearman(xv, yv.astype(float)) < 0
    best = max(candidates, key=lambda c: (round(c[0], 12), c[1] == prefer_increasing))
    _, increasing, edges, goods, bads = best

    bounds_list = [-math.inf, *edges, math.inf]
    bounds = [(bounds_list[i], bounds_list[i + 1]) for i in range(len(goods))]
    labels = [f"({lo:g}, {hi:g}]" for lo, hi in bounds]
    bins, total_iv = _build_bins(labels, goods, bads, missing, smoothing, bounds=bounds)
    dir_label: Direction = (
        "flat" if len(goods) == 1 else ("increasing" if increasing else "decreasing")
    )
    return BinningResult("numeric", tuple(edges), bins, total_iv, dir_label, smoothing)


def fit_categorical_bins(
    x: Sequence[Any],
    y: Sequence[int] | npt.ArrayLike,
    min_share: float = 0.05,
    smoothing: float = DEFAULT_SMOOTHING,
) -> BinningResult:
    """Fit a WoE binning of a categorical feature.

    Categories holding less than ``min_share`` of the sample are pooled into the
    ``__other__`` bin (which :func:`transform` also uses for categories never seen in
    training). None or NaN is missing and gets its own bin. Values are compared as strings.

    Args:
        x: category per observation.
        y: outcomes, 1 = bad.
        min_share: share below which a category is pooled.
        smoothing: Laplace pseudo-count per cell.
    """
    _check_params(min_share, smoothing)
    values = list(x)
    yy = _outcomes(y, len(values))
    miss = np.array([_is_missing(v) for v in values], dtype=bool)
    cats = np.array([MISSING_LABEL if m else str(v) for v, m in zip(values, miss, strict=True)])
    missing = None
    if miss.any():
        mb = int(yy[miss].sum())
        missing = (int(miss.sum()) - mb, mb)
    if miss.all():
        raise MetricError("the feature has no non-missing value to bin")

    cv, yv = cats[~miss], yy[~miss]
    uniq, inverse, counts = np.unique(cv, return_inverse=True, return_counts=True)
    bad_counts = np.bincount(inverse, weights=yv, minlength=uniq.size).astype(np.int64)
    groups: dict[str, list[str]] = {}
    for cat, n in zip(uniq.tolist(), counts.tolist(), strict=True):
        key = cat if n >= min_share * len(values) else OTHER_LABEL
        groups.setdefault(key, []).append(cat)
    cat_pos = {c: i for i, c in enumerate(uniq.tolist())}
    labels = list(groups)
    goods, bads = [], []
    for lab in labels:
        members = [cat_pos[c] for c in groups[lab]]
        b = int(bad_counts[members].sum())
        bads.append(b)
        goods.append(int(counts[members].sum()) - b)
    # Order value bins by WoE (riskiest first): ln(g/b) ordering equals WoE ordering.
    order = sorted(
        range(len(labels)),
        key=lambda i: (
            math.log((goods[i] + smoothing + 1e-12) / (bads[i] + smoothing + 1e-12)),
            labels[i],
        ),
    )
    labels = [labels[i] for i in order]
    goods = [goods[i] for i in order]
    bads = [bads[i] for i in order]
    members_list = [tuple(groups[lab]) for lab in labels]
    bins, total_iv = _build_bins(labels, goods, bads, missing, smoothing, categories=members_list)
    mapping = {c: i for i, lab in enumerate(labels) for c in groups[lab]}
    return BinningResult("categorical", (), bins, total_iv, "flat", smoothing, mapping)


def transform(x: Sequence[Any] | npt.ArrayLike, result: BinningResult) -> np.ndarray:
    """Replace each value by the WoE of its bin.

    Missing values take the missing bin's WoE, or 0.0 (neutral: no evidence either way)
    when training had no missing values. Unseen categories take the ``__other__`` bin's
    WoE, or 0.0 when there is no such bin.

    Returns:
        float array of WoE values, same length as ``x``.
    """
    missing_woe = result.missing_bin.woe if result.missing_bin else 0.0
    if result.kind == "numeric":
        xs = _numeric_x(x)
        out = np.full(xs.size, missing_woe, dtype=float)
        valid = ~np.isnan(xs)
        n_value_bins = len(result.edges) + 1
        value_woe = np.array([b.woe for b in result.bins[:n_value_bins]])
        out[valid] = value_woe[np.searchsorted(np.asarray(result.edges), xs[valid], side="left")]
        return out
    other = result.other_bin
    unseen_woe = other.woe if other else 0.0
    res = []
    values: list[Any] = np.asarray(x, dtype=object).tolist()
    for v in values:
        if _is_missing(v):
            res.append(missing_woe)
        else:
            i = result.category_to_bin.get(str(v))
            res.append(unseen_woe if i is None else result.bins[i].woe)
    return np.asarray(res, dtype=float)


# ---------------------------------------------------------------------- feature selection


@dataclass(frozen=True)
class FeatureSelection:
    """Outcome of :func:`select_features`.

    Attributes:
        kept: kept features, highest IV first.
        dropped: dropped feature -> the reason, in words.
    """

    kept: tuple[str, ...]
    dropped: dict[str, str]


def select_features(
    ivs: Mapping[str, float],
    corr_matrix: Mapping[str, Mapping[str, float]] | npt.ArrayLike,
    iv_cutoff: float = 0.02,
    corr_cutoff: float = 0.7,
) -> FeatureSelection:
    """Drop weak features, then the weaker of every highly correlated pair.

    Features with IV below ``iv_cutoff`` go first. The rest are visited by IV, highest first
    (ties by name); a feature whose absolute correlation with an already kept feature
    exceeds ``corr_cutoff`` is dropped, so of each correlated pair the higher-IV one stays.

    Args:
        ivs: feature -> information value.
        corr_matrix: nested mapping ``corr[a][b]`` or a square array ordered like ``ivs``.
        iv_cutoff: minimum IV to keep a feature.
        corr_cutoff: maximum absolute correlation tolerated between kept features.
    """
    names = list(ivs)
    if isinstance(corr_matrix, Mapping):

        def corr(a: str, b: str) -> float:
            try:
                return float(corr_matrix[a][b])
            except KeyError:
                try:
                    return float(corr_matrix[b][a])
                except KeyError as exc:
                    raise MetricError(f"corr_matrix has no entry for ({a}, {b})") from exc

    else:
        arr = np.asarray(corr_matrix, dtype=float)
        if arr.shape != (len(names), len(names)):
            raise MetricError(
                f"corr_matrix must be {len(names)}x{len(names)} (ordered like ivs), got {arr.shape}"
            )
        pos = {n: i for i, n in enumerate(names)}

        def corr(a: str, b: str) -> float:
            return float(arr[pos[a], pos[b]])

    dropped: dict[str, str] = {}
    candidates = []
    for name in names:
        value = float(ivs[name])
        if math.isnan(value):
            raise MetricError(f"IV of {name!r} is NaN")
        if value < iv_cutoff:
            dropped[name] = f"IV {value:.4f} is below the cutoff {iv_cutoff:g}"
        else:
            candidates.append(name)
    kept: list[str] = []
    for name in sorted(candidates, key=lambda n: (-float(ivs[n]), n)):
        for other in kept:
            r = corr(name, other)
            if math.isnan(r):
                raise MetricError(f"correlation of {name!r} and {other!r} is NaN")
            if abs(r) > corr_cutoff:
                dropped[name] = (
                    f"correlated with {other!r} (|r| = {abs(r):.3f} > {corr_cutoff:g}), "
                    f"which has the higher IV ({float(ivs[other]):.4f} vs {float(ivs[name]):.4f})"
                )
                break
        else:
            kept.append(name)
    return FeatureSelection(tuple(kept), dropped)
