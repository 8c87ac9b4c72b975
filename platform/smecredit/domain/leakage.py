"""The leakage guard of trained models: features and results too good to be honest.

A feature that separates defaulters from the rest almost perfectly on its own is usually
read after the outcome (a collection flag, arrears that *are* the default, a field filled
in by the workout team), not a predictor. So is a model that suddenly beats the champion
by a wide margin. The guard flags, it does not forbid: a flagged model can still be
promoted, but only with an explicit acknowledgement that names why
(:func:`smecredit.services.scoring.registry.promote`).

What is flagged (thresholds in :class:`LeakageThresholds`):

* ``feature_iv`` - a feature's information value above 0.5 ("suspicious" in the usual
  scorecard reading of IV: 0.02 weak, 0.1 medium, 0.3 strong, above 0.5 too good);
* ``feature_auc`` - a feature's one-feature AUC above 0.85 (direction-free: a feature
  that ranks defaulters *below* the rest counts as much as one that ranks them above);
* ``auc_jump`` - the model's validation AUC above the champion's by more than 0.1.

The per-feature numbers come from :func:`screen_feature`, which bins a feature into up to
ten quantile bins (one per category for a categorical one, plus a bin of missing values)
and, unlike the scorecard's binning, never merges a bin for holding only defaulters or
only non-defaulters: such a bin is exactly what a leaked feature produces.

Everything here is pure: the numbers come from training (the screen of each feature, the
cross-validated AUC) and from the registry (the champion's AUC).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from smecredit.domain.model_metrics import auc as auc_of
from smecredit.domain.model_metrics import woe_iv

__all__ = [
    "DEFAULT_THRESHOLDS",
    "FlagKind",
    "LeakageFlag",
    "LeakageThresholds",
    "describe_flags",
    "flags_from_json",
    "leakage_flags",
    "screen_feature",
]

#: Quantile bins of a numeric feature in the screen.
SCREEN_BINS = 10
#: Categories with fewer rows than this share one bin in the screen.
MIN_CATEGORY_ROWS = 10
_SMOOTHING = 0.5

FlagKind = Literal["feature_iv", "feature_auc", "auc_jump"]


@dataclass(frozen=True, slots=True)
class LeakageThresholds:
    """Where a number stops being believable.

    Attributes:
        max_iv: information value of one feature.
        max_feature_auc: one-feature AUC (direction-free, so between 0.5 and 1).
        max_auc_jump: validation AUC of the model minus the champion's.
    """

    max_iv: float = 0.5
    max_feature_auc: float = 0.85
    max_auc_jump: float = 0.1


DEFAULT_THRESHOLDS = LeakageThresholds()


@dataclass(frozen=True, slots=True)
class LeakageFlag:
    """One reason to suspect leakage.

    Attributes:
        kind: ``feature_iv``, ``feature_auc`` or ``auc_jump``.
        feature: the feature code (None for ``auc_jump``).
        value: the measured number (IV, AUC, or the AUC gain over the champion).
        threshold: the limit it went over.
        message: one plain English sentence for people.
    """

    kind: FlagKind
    feature: str | None
    value: float
    threshold: float
    message: str

    def to_json(self) -> dict[str, Any]:
        """The flag as stored on a model version."""
        return asdict(self)


def _bin_index(values: Sequence[Any], categorical: bool) -> np.ndarray:
    """A bin number per value: quantile bins or categories, missing values in bin -1."""
    if categorical:
        text = ["" if v is None else str(v) for v in values]
        counts: dict[str, int] = {}
        for t in text:
            counts[t] = counts.get(t, 0) + 1
        codes: dict[str, int] = {}
        out = []
        for t in text:
            if t == "":
                out.append(-1)
            else:
                key = t if counts[t] >= MIN_CATEGORY_ROWS else "\x00other"
                out.append(codes.setdefault(key, len(codes)))
        return np.asarray(out, dtype=int)
    xs = np.asarray([math.nan if v is None else float(v) for v in values], dtype=float)
    index = np.full(xs.size, -1, dtype=int)
    valid = np.isfinite(xs)
    if valid.any():
        inner = np.quantile(xs[valid], np.linspace(0, 1, SCREEN_BINS + 1)[1:-1])
        index[valid] = np.searchsorted(np.unique(inner), xs[valid], side="left")
    return index


def screen_feature(
    values: Sequence[Any], y: Sequence[int], *, categorical: bool = False
) -> tuple[float, float]:
    """Information value and one-feature AUC of one feature, for the leakage guard.

    The AUC ranks the rows by the default rate of their bin (direction-free by
    construction: the riskier bin ranks higher whichever way the feature runs).

    Args:
        values: the feature's values (None or NaN: missing).
        y: outcomes, 1 = default.
        categorical: one bin per category (rare ones pooled) instead of quantile bins.

    Returns:
        ``(iv, auc)``, the IV less its expected value on noise; ``(0.0, 0.5)`` when ``y``
        holds a single outcome.
    """
    yy = np.asarray(y, dtype=int)
    if yy.size == 0 or yy.sum() in (0, yy.size):
        return 0.0, 0.5
    index = _bin_index(values, categorical)
    bins = np.unique(index)
    goods = np.array([int(((index == b) & (yy == 0)).sum()) for b in bins], dtype=float)
    bads = np.array([int(((index == b) & (yy == 1)).sum()) for b in bins], dtype=float)
    _, iv = woe_iv(goods, bads, smoothing=_SMOOTHING)
    # Small samples inflate IV: on a pure-noise feature it is about chi-square / n, whose
    # expectation is (bins - 1) (1/goods + 1/bads). That much is taken off, so a sample of
    # a few dozen defaults is not flagged for noise.
    noise = (bins.size - 1) * (1.0 / goods.sum() + 1.0 / bads.sum())
    rate = (bads + _SMOOTHING) / (goods + bads + 2 * _SMOOTHING)
    score = rate[np.searchsorted(bins, index)]
    value = max(float(iv.sum()) - float(noise), 0.0)
    return round(value, 6), round(float(auc_of(yy, score)), 6)


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def leakage_flags(
    iv: Mapping[str, float],
    feature_auc: Mapping[str, float],
    *,
    model_auc: float | None = None,
    champion_auc: float | None = None,
    champion_label: str = "the champion",
    thresholds: LeakageThresholds = DEFAULT_THRESHOLDS,
) -> list[LeakageFlag]:
    """Every leakage flag of a trained model, features first (worst first), then the jump.

    Args:
        iv: feature -> information value.
        feature_auc: feature -> one-feature AUC; values below 0.5 are read as their mirror
            ``1 - auc`` (the feature ranks the other way round, just as well).
        model_auc: the model's validation AUC (cross-validated, out of fold).
        champion_auc: the current champion's validation AUC; None when there is no
            champion (then no jump can be measured).
        champion_label: how messages name the champion ("catboost v1").
        thresholds: the limits.
    """
    flags: list[LeakageFlag] = []
    for code, value in sorted(iv.items(), key=lambda kv: (-kv[1], kv[0])):
        if _finite(value) and value > thresholds.max_iv:
            flags.append(
                LeakageFlag(
                    "feature_iv",
                    code,
                    round(float(value), 6),
                    thresholds.max_iv,
                    f"feature {code} has an information value of {value:.2f}, above "
                    f"{thresholds.max_iv:g}: check that it is known before the observation "
                    "date",
                )
            )
    directed = {
        code: max(float(v), 1.0 - float(v)) for code, v in feature_auc.items() if _finite(v)
    }
    for code, value in sorted(directed.items(), key=lambda kv: (-kv[1], kv[0])):
        if value > thresholds.max_feature_auc:
            flags.append(
                LeakageFlag(
                    "feature_auc",
                    code,
                    round(value, 6),
                    thresholds.max_feature_auc,
                    f"feature {code} alone reaches an AUC of {value:.3f}, above "
                    f"{thresholds.max_feature_auc:g}: a single feature rarely separates "
                    "defaulters that well unless it is read after the default",
                )
            )
    if _finite(model_auc) and _finite(champion_auc):
        assert model_auc is not None and champion_auc is not None
        gain = model_auc - champion_auc
        if gain > thresholds.max_auc_jump:
            flags.append(
                LeakageFlag(
                    "auc_jump",
                    None,
                    round(gain, 6),
                    thresholds.max_auc_jump,
                    f"validation AUC {model_auc:.3f} beats {champion_label} "
                    f"({champion_auc:.3f}) by {gain:.3f}, more than {thresholds.max_auc_jump:g}",
                )
            )
    return flags


def flags_from_json(stored: Iterable[Mapping[str, Any]] | None) -> list[LeakageFlag]:
    """Flags as stored on a model version (unknown keys ignored)."""
    out = []
    for item in stored or ():
        out.append(
            LeakageFlag(
                kind=item["kind"],
                feature=item.get("feature"),
                value=float(item["value"]),
                threshold=float(item["threshold"]),
                message=str(item.get("message", "")),
            )
        )
    return out


def describe_flags(flags: Sequence[LeakageFlag]) -> str:
    """The flags as one human sentence list: ``"1) ...; 2) ..."``."""
    return "; ".join(f"{i}) {f.message}" for i, f in enumerate(flags, start=1))
