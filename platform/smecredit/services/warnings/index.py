"""Vectorised indicator scores and composite index (the arrays form of the domain maths).

:func:`smecredit.domain.warning_index.indicator_score` and ``composite_index`` work on one
firm; a portfolio scan needs the same numbers for a whole batch at once. The functions
here use the same anchors and the same missing-data rule (tests check they agree).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from smecredit.domain.warning_index import DEFAULT_INDEX_BANDS, Level

__all__ = ["composite_index_columns", "index_levels", "indicator_scores"]

_ANCHOR_SCORES = np.asarray([0.0, 20.0, 40.0, 60.0, 80.0, 100.0])


def indicator_scores(
    values: np.ndarray, thresholds: Mapping[str, float], direction: str
) -> np.ndarray:
    """0-100 risk scores of many values of one indicator; NaN stays NaN."""
    sign = 1.0 if direction == "higher_is_worse" else -1.0
    t = sign * np.asarray([thresholds[k] for k in ("blue", "yellow", "orange", "red")], float)
    xs = np.r_[t[0] - (t[1] - t[0]), t, t[3] + (t[3] - t[2])]
    v = sign * np.asarray(values, dtype=float)
    out = np.interp(v, xs, _ANCHOR_SCORES)
    out[np.isnan(v)] = np.nan
    return out


def composite_index_columns(
    scores: Mapping[str, np.ndarray], weights: Mapping[str, float]
) -> np.ndarray:
    """Weighted mean of the available scores per firm, renormalised; NaN when none known."""
    num: np.ndarray | None = None
    den: np.ndarray | None = None
    for code, column in scores.items():
        w = float(weights.get(code, 0.0))
        if w <= 0:
            continue
        known = ~np.isnan(column)
        part = np.where(known, column * w, 0.0)
        num = part if num is None else num + part
        den = known * w if den is None else den + known * w
    if num is None or den is None:
        n = len(next(iter(scores.values()))) if scores else 0
        return np.full(n, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den > 0, num / den, np.nan)
    return np.clip(out, 0.0, 100.0)


def index_levels(
    index: np.ndarray, bands: Mapping[Level, float] = DEFAULT_INDEX_BANDS
) -> np.ndarray:
    """Level numbers (0 none .. 4 red) of many index values; NaN gives 0."""
    out = np.zeros(index.shape, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        for level, lower in bands.items():
            out = np.where(index >= lower, np.maximum(out, int(level)), out).astype(np.int8)
    return out
