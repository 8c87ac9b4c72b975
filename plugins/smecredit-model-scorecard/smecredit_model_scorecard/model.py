"""A classic credit scorecard: monotonic WoE bins, IV selection, logistic regression, points.

Training (:meth:`ScorecardModel.fit`):

1. every column is binned: numeric columns with monotonic WoE bins, categorical columns
   one bin per category (rare ones pooled); missing values get their own bin;
2. columns with IV below ``iv_cutoff`` (default 0.02) are dropped, then of every pair of
   WoE columns correlated above ``corr_cutoff`` (default 0.7) the lower-IV one;
3. a ridge-regularised logistic regression (Newton/IRLS) is fitted on the WoE columns;
4. points per bin follow from points-to-double-the-odds scaling (``pdo``, ``base_score``,
   ``base_odds``).

The artefact is JSON (UTF-8 bytes): bins, coefficients and the points table, readable by
people and safe to store (nothing is unpickled).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from smecredit.sdk import (
    BinningResult,
    ModelInputError,
    Reason,
    ScoreScaling,
    as_float,
    fit_categorical_bins,
    fit_numeric_bins,
    is_missing,
    neutralise_row,
    select_features,
    woe_transform,
)

__all__ = ["ScorecardError", "ScorecardModel", "scorecard_csv", "scorecard_table"]

_ARTEFACT_FORMAT = "smecredit-scorecard/1"


class ScorecardError(ModelInputError):
    """The scorecard cannot be trained or applied; ``code`` is stable."""


def _fit_logistic(x: np.ndarray, y: np.ndarray, ridge: float, steps: int = 25) -> np.ndarray:
    """Newton/IRLS for log-odds of default; column 0 of ``x`` is the intercept (unpenalised)."""
    w = np.zeros(x.shape[1])
    penalty = ridge * np.eye(x.shape[1])
    penalty[0, 0] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        hessian = (x * (p * (1 - p))[:, None]).T @ x + penalty + 1e-9 * np.eye(x.shape[1])
        step = np.linalg.solve(hessian, x.T @ (p - y) + penalty @ w)
        w -= step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return w


def _bin_spec(result: BinningResult) -> dict[str, Any]:
    """The parts of a binning needed to apply it, as JSON-friendly data."""
    missing = result.missing_bin
    other = result.other_bin
    n_value = len(result.edges) + 1 if result.kind == "numeric" else len(result.bins)
    return {
        "kind": result.kind,
        "edges": list(result.edges),
        "bins": [
            {
                "label": b.label,
                "woe": b.woe,
                "iv": b.iv,
                "count": b.count,
                "bads": b.bads,
                "missing": b.is_missing,
            }
            for b in result.bins
        ],
        "value_woe": [b.woe for b in result.bins[:n_value]],
        "category_to_bin": dict(result.category_to_bin),
        "missing_woe": missing.woe if missing else 0.0,
        "other_woe": other.woe if other else 0.0,
        "iv": result.total_iv,
    }


def _apply(spec: Mapping[str, Any], values: Sequence[Any]) -> np.ndarray:
    """WoE of each value under a stored binning (mirrors the core's ``transform``)."""
    if spec["kind"] == "numeric":
        xs = np.array([as_float(v) for v in values], dtype=float)
        out = np.full(xs.size, float(spec["missing_woe"]))
        valid = ~np.isnan(xs)
        value_woe = np.asarray(spec["value_woe"], dtype=float)
        out[valid] = value_woe[np.searchsorted(np.asarray(spec["edges"]), xs[valid], side="left")]
        return out
    bins = spec["bins"]
    mapping: Mapping[str, int] = spec["category_to_bin"]
    res = []
    for v in values:
        if is_missing(v):
            res.append(float(spec["missing_woe"]))
        else:
            i = mapping.get(str(v))
            res.append(float(spec["other_woe"]) if i is None else float(bins[i]["woe"]))
    return np.asarray(res, dtype=float)


class ScorecardModel:
    """Logistic-regression scorecard on WoE bins (the R4 base model).

    Options of :meth:`fit`: ``iv_cutoff`` (0.02), ``corr_cutoff`` (0.7), ``max_bins`` (8),
    ``min_share`` (0.05), ``ridge`` (1.0), ``pdo`` (20), ``base_score`` (600),
    ``base_odds`` (50).
    """

    name = "scorecard"
    description = "Logistic-regression scorecard on monotonic WoE bins with points by PDO"
    version = "0.1.0"
    #: No one-pass fast path: the core calls predict_proba and explain (sdk.ScoringModel).
    predict_and_explain = None

    def fit(
        self,
        X: Sequence[Mapping[str, Any]],
        y: Sequence[int],
        *,
        categorical: Sequence[str],
        options: Mapping[str, Any],
    ) -> bytes:
        """Train; return the JSON artefact. Raises ScorecardError when nothing is learnable."""
        labels = np.asarray([int(v) for v in y], dtype=float)
        if len(X) != labels.size:
            raise ScorecardError("BAD_TRAINING_DATA", "X and y have different lengths")
        if labels.sum() == 0 or labels.sum() == labels.size:
            raise ScorecardError("BAD_TRAINING_DATA", "y needs both defaults and non-defaults")
        columns = sorted({k for row in X for k in row})
        cats = set(categorical)
        max_bins = int(options.get("max_bins", 8))
        min_share = float(options.get("min_share", 0.05))
        specs: dict[str, dict[str, Any]] = {}
        woe: dict[str, np.ndarray] = {}
        for col in columns:
            values = [row.get(col) for row in X]
            try:
                if col in cats:
                    result = fit_categorical_bins(
                        [None if is_missing(v) else str(v) for v in values],
                        labels,
                        min_share=min_share,
                    )
                else:
                    result = fit_numeric_bins(
                        [as_float(v) for v in values],
                        labels,
                        max_bins=max_bins,
                        min_share=min_share,
                    )
            except Exception:
                continue
            specs[col] = _bin_spec(result)
            woe[col] = woe_transform(
                values if col in cats else [as_float(v) for v in values], result
            )
        if not specs:
            raise ScorecardError("NO_USABLE_FEATURES", "no column could be binned")
        ivs = {c: float(s["iv"]) for c, s in specs.items()}
        names = list(ivs)
        matrix = np.column_stack([woe[c] for c in names])
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = np.nan_to_num(np.corrcoef(matrix, rowvar=False), nan=0.0)
        corr = np.atleast_2d(corr)
        selection = select_features(
            ivs,
            corr,
            iv_cutoff=float(options.get("iv_cutoff", 0.02)),
            corr_cutoff=float(options.get("corr_cutoff", 0.7)),
        )
        kept = list(selection.kept)
        if not kept:
            raise ScorecardError(
                "NO_USABLE_FEATURES", "no feature passed the IV cut-off; nothing to score with"
            )
        design = np.column_stack([np.ones(labels.size)] + [woe[c] for c in kept])
        w = _fit_logistic(design, labels, float(options.get("ridge", 1.0)))
        scaling = ScoreScaling(
            base_score=float(options.get("base_score", 600.0)),
            base_odds=float(options.get("base_odds", 50.0)),
            pdo=float(options.get("pdo", 20.0)),
        )
        intercept, coefs = float(w[0]), [float(v) for v in w[1:]]
        for col, coef in zip(kept, coefs, strict=True):
            for b in specs[col]["bins"]:
                b["points"] = round(
                    scaling.attribute_points(coef, float(b["woe"]), intercept, len(kept)), 2
                )
        artefact = {
            "format": _ARTEFACT_FORMAT,
            "version": self.version,
            "features": kept,
            "coefficients": dict(zip(kept, coefs, strict=True)),
            "intercept": intercept,
            "bins": {c: specs[c] for c in kept},
            "iv": ivs,
            "dropped": selection.dropped,
            "scaling": {
                "base_score": scaling.base_score,
                "base_odds": scaling.base_odds,
                "pdo": scaling.pdo,
            },
        }
        return json.dumps(artefact, ensure_ascii=False, sort_keys=True).encode("utf-8")

    def _log_odds(self, card: Mapping[str, Any], X: Sequence[Mapping[str, Any]]) -> np.ndarray:
        parts = self._contributions(card, X)
        total = np.full(len(X), float(card["intercept"]))
        for values in parts.values():
            total += values
        return total

    @staticmethod
    def _contributions(
        card: Mapping[str, Any], X: Sequence[Mapping[str, Any]]
    ) -> dict[str, np.ndarray]:
        return {
            col: float(card["coefficients"][col])
            * _apply(card["bins"][col], [r.get(col) for r in X])
            for col in card["features"]
        }

    def predict_proba(self, artefact: bytes, X: Sequence[Mapping[str, Any]]) -> list[float]:
        """Probability of default of each row."""
        card = load_card(artefact)
        z = np.clip(self._log_odds(card, X), -30, 30)
        return (1.0 / (1.0 + np.exp(-z))).tolist()

    def explain(
        self, artefact: bytes, X: Sequence[Mapping[str, Any]], top_n: int
    ) -> list[list[Reason]]:
        """Top features pushing each row towards default (``coef * WoE``, in log-odds)."""
        card = load_card(artefact)
        parts = self._contributions(card, X)
        out: list[list[Reason]] = []
        for i, row in enumerate(X):
            items = sorted(parts.items(), key=lambda kv: -float(kv[1][i]))
            out.append(
                [
                    Reason(feature=col, value=row.get(col), contribution=float(v[i]))
                    for col, v in items[:top_n]
                ]
            )
        return out


def load_card(artefact: bytes) -> dict[str, Any]:
    """Decode a scorecard artefact; raises ScorecardError for anything else."""
    try:
        card: dict[str, Any] = json.loads(artefact.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ScorecardError("BAD_ARTEFACT", f"not a scorecard artefact: {error}") from error
    if card.get("format") != _ARTEFACT_FORMAT:
        raise ScorecardError("BAD_ARTEFACT", f"not a scorecard artefact: {card.get('format')!r}")
    return card


def scorecard_table(artefact: bytes) -> list[dict[str, Any]]:
    """The scorecard as rows: feature, bin, WoE, IV, count, bads, points."""
    card = load_card(artefact)
    return [
        {
            "feature": col,
            "bin": b["label"],
            "woe": round(float(b["woe"]), 6),
            "iv": round(float(b["iv"]), 6),
            "count": b["count"],
            "bads": b["bads"],
            "points": b["points"],
        }
        for col in card["features"]
        for b in card["bins"][col]["bins"]
    ]


def scorecard_csv(artefact: bytes) -> str:
    """:func:`scorecard_table` as CSV text with a header row."""
    rows = scorecard_table(artefact)
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=["feature", "bin", "woe", "iv", "count", "bads", "points"]
    )
    writer.writeheader()
    # Feature names and bin labels come from training data: never a live formula.
    writer.writerows(neutralise_row(row) for row in rows)
    return buffer.getvalue()
