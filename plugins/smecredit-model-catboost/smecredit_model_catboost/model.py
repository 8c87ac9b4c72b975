"""CatBoost probability-of-default model: native categoricals, missing values, SHAP reasons.

Training holds out a stratified validation fold (``validation_share``, default 0.2) for
early stopping (``early_stopping_rounds``, default 50) and keeps the best iteration.
Numeric missing values are NaN (CatBoost's ``Min`` treatment); categorical missing values
become the category ``"missing"``. Optional ``monotone`` option: feature -> +1 (risk rises
with the value) or -1.

The artefact is a small JSON header (columns, categorical columns) followed by CatBoost's
own binary ``cbm`` model: no pickle.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from catboost import CatBoostClassifier, Pool

from smecredit.sdk import ModelInputError, Reason, as_float, is_missing

__all__ = ["CatBoostModel", "CatBoostModelError", "decode_artefact"]

_MAGIC = b"SMECB1"
_MISSING_CATEGORY = "missing"
_CACHE_SIZE = 8
#: Below this many rows a Pool is built from plain lists rather than a data frame.
_SMALL_BATCH = 64


class CatBoostModelError(ModelInputError):
    """The model cannot be trained or applied; ``code`` is stable."""


def _frame(
    X: Sequence[Mapping[str, Any]], columns: Sequence[str], categorical: set[str]
) -> list[list[Any]]:
    return [
        [
            (_MISSING_CATEGORY if is_missing(row.get(c)) else str(row.get(c)))
            if c in categorical
            else as_float(row.get(c))
            for c in columns
        ]
        for row in X
    ]


def _columns_frame(
    X: Sequence[Mapping[str, Any]], columns: Sequence[str], categorical: set[str]
) -> pd.DataFrame:
    """The rows as a column-wise frame: one numpy conversion per column, not per cell.

    Same values as :func:`_frame` (numeric: float with NaN for missing, categorical:
    text with ``"missing"``), so training and scoring see identical inputs.
    """
    data: dict[str, Any] = {}
    for c in columns:
        cells = [row.get(c) for row in X]
        if c in categorical:
            data[c] = [_MISSING_CATEGORY if is_missing(v) else str(v) for v in cells]
            continue
        try:
            data[c] = np.array(cells, dtype=float)  # None -> NaN
        except (TypeError, ValueError):
            data[c] = np.array([as_float(v) for v in cells], dtype=float)
    frame = pd.DataFrame(data, columns=list(columns))
    for c in columns:
        if c in categorical:
            frame[c] = frame[c].astype(object)
    return frame


def _stratified_holdout(y: np.ndarray, share: float, seed: int) -> np.ndarray:
    """Boolean mask of a validation fold holding ``share`` of each class."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(y.size, dtype=bool)
    for cls in (0, 1):
        idx = np.flatnonzero(y == cls)
        take = max(1, round(idx.size * share)) if idx.size > 1 else 0
        mask[rng.permutation(idx)[:take]] = True
    return mask


def decode_artefact(artefact: bytes) -> tuple[dict[str, Any], bytes]:
    """Split an artefact into its JSON header and the CatBoost ``cbm`` bytes."""
    if not artefact.startswith(_MAGIC):
        raise CatBoostModelError("BAD_ARTEFACT", "not a smecredit CatBoost artefact")
    (size,) = struct.unpack(">I", artefact[len(_MAGIC) : len(_MAGIC) + 4])
    start = len(_MAGIC) + 4
    header: dict[str, Any] = json.loads(artefact[start : start + size].decode("utf-8"))
    return header, artefact[start + size :]


class CatBoostModel:
    """Gradient-boosted trees (the R4 stronger model).

    Options of :meth:`fit`: ``iterations`` (600), ``learning_rate`` (0.05), ``depth`` (4),
    ``l2_leaf_reg`` (3), ``early_stopping_rounds`` (50), ``validation_share`` (0.2),
    ``random_seed`` (0), ``thread_count`` (2), ``monotone`` ({feature: +1 or -1}).
    """

    name = "catboost"
    description = "CatBoost gradient-boosted trees with native categoricals and SHAP reasons"
    version = "0.1.0"

    def __init__(self) -> None:
        self._cache: dict[str, tuple[dict[str, Any], CatBoostClassifier]] = {}

    def fit(
        self,
        X: Sequence[Mapping[str, Any]],
        y: Sequence[int],
        *,
        categorical: Sequence[str],
        options: Mapping[str, Any],
    ) -> bytes:
        """Train with early stopping on a stratified validation fold; return the artefact."""
        labels = np.asarray([int(v) for v in y], dtype=int)
        if len(X) != labels.size:
            raise CatBoostModelError("BAD_TRAINING_DATA", "X and y have different lengths")
        if labels.min(initial=0) == labels.max(initial=0) or labels.sum() < 2:
            raise CatBoostModelError(
                "BAD_TRAINING_DATA", "y needs at least two defaults and some non-defaults"
            )
        columns = sorted({k for row in X for k in row})
        cats = set(categorical) & set(columns)
        data = _frame(X, columns, cats)
        cat_idx = [i for i, c in enumerate(columns) if c in cats]
        seed = int(options.get("random_seed", 0))
        params: dict[str, Any] = {
            "iterations": int(options.get("iterations", 600)),
            "learning_rate": float(options.get("learning_rate", 0.05)),
            "depth": int(options.get("depth", 4)),
            "l2_leaf_reg": float(options.get("l2_leaf_reg", 3.0)),
            "loss_function": "Logloss",
            "random_seed": seed,
            "thread_count": int(options.get("thread_count", 2)),
            "verbose": False,
            "allow_writing_files": False,
        }
        monotone = dict(options.get("monotone", {}) or {})
        if monotone:
            unknown = set(monotone) - set(columns)
            if unknown:
                raise CatBoostModelError(
                    "BAD_OPTION", f"monotone names unknown features: {', '.join(sorted(unknown))}"
                )
            params["monotone_constraints"] = [int(monotone.get(c, 0)) for c in columns]
        model = CatBoostClassifier(**params)
        share = float(options.get("validation_share", 0.2))
        rounds = int(options.get("early_stopping_rounds", 50))
        if 0 < share < 1 and labels.sum() >= 4:
            hold = _stratified_holdout(labels, share, seed)
            train = Pool(
                [r for r, h in zip(data, hold, strict=True) if not h],
                labels[~hold],
                cat_features=cat_idx,
            )
            valid = Pool(
                [r for r, h in zip(data, hold, strict=True) if h],
                labels[hold],
                cat_features=cat_idx,
            )
            model.fit(train, eval_set=valid, early_stopping_rounds=rounds, use_best_model=True)
        else:
            model.fit(Pool(data, labels, cat_features=cat_idx))
        header = {
            "format": "smecredit-catboost/1",
            "version": self.version,
            "columns": columns,
            "categorical": sorted(cats),
            "best_iteration": model.get_best_iteration(),
            "tree_count": model.tree_count_,
        }
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "model.cbm")
            model.save_model(path, format="cbm")
            with open(path, "rb") as fh:
                body = fh.read()
        head = json.dumps(header, sort_keys=True).encode("utf-8")
        return _MAGIC + struct.pack(">I", len(head)) + head + body

    def _load(self, artefact: bytes) -> tuple[dict[str, Any], CatBoostClassifier]:
        key = hashlib.sha256(artefact).hexdigest()
        hit = self._cache.get(key)
        if hit is None:
            header, body = decode_artefact(artefact)
            model = CatBoostClassifier()
            model.load_model(blob=body)
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            hit = self._cache[key] = (header, model)
        return hit

    def _pool(self, header: Mapping[str, Any], X: Sequence[Mapping[str, Any]]) -> Pool:
        columns = header["columns"]
        cats = set(header["categorical"])
        cat_idx = [i for i, c in enumerate(columns) if c in cats]
        if len(X) < _SMALL_BATCH:
            # A data frame costs ~1 ms to build whatever its length: plain lists are
            # cheaper for the single application scored on demand.
            return Pool(_frame(X, columns, cats), cat_features=cat_idx)
        return Pool(_columns_frame(X, columns, cats), cat_features=cat_idx)

    def predict_proba(self, artefact: bytes, X: Sequence[Mapping[str, Any]]) -> list[float]:
        """Probability of default of each row."""
        if not X:
            return []
        header, model = self._load(artefact)
        proba = model.predict_proba(self._pool(header, X), thread_count=2)
        return [float(p) for p in proba[:, 1]]

    def explain(
        self, artefact: bytes, X: Sequence[Mapping[str, Any]], top_n: int
    ) -> list[list[Reason]]:
        """Top features pushing each row towards default, by SHAP value (log-odds units)."""
        if not X:
            return []
        header, model = self._load(artefact)
        return self._reasons(header, model, self._pool(header, X), X, top_n)[1]

    def predict_and_explain(
        self, artefact: bytes, X: Sequence[Mapping[str, Any]], top_n: int
    ) -> tuple[list[float], list[list[Reason]]]:
        """Both at once, from one Pool and one SHAP pass (the batch-scoring fast path).

        The SHAP values of a row sum (with the expected value) to its raw log-odds, so the
        probability comes out of the same pass: no second tree traversal.
        """
        if not X:
            return [], []
        header, model = self._load(artefact)
        return self._reasons(header, model, self._pool(header, X), X, top_n)

    @staticmethod
    def _reasons(
        header: Mapping[str, Any],
        model: CatBoostClassifier,
        pool: Pool,
        X: Sequence[Mapping[str, Any]],
        top_n: int,
    ) -> tuple[list[float], list[list[Reason]]]:
        shap = np.asarray(
            model.get_feature_importance(pool, type="ShapValues", thread_count=2), dtype=float
        )
        columns = header["columns"]
        width = len(columns)
        log_odds = shap.sum(axis=1)  # the last column is the expected value
        proba = (1.0 / (1.0 + np.exp(-np.clip(log_odds, -50, 50)))).tolist()
        values = shap[:, :width]
        k = max(0, min(top_n, width))
        if k == 0:
            return proba, [[] for _ in X]
        # One vectorised selection of the top k per row (then ordered, ties by column).
        top = np.argpartition(-values, k - 1, axis=1)[:, :k] if k < width else None
        if top is None:
            order = np.argsort(-values, axis=1, kind="stable")
        else:
            top.sort(axis=1)
            picked = np.take_along_axis(values, top, axis=1)
            order = np.take_along_axis(top, np.argsort(-picked, axis=1, kind="stable"), axis=1)
        contributions = np.take_along_axis(values, order, axis=1).tolist()
        names = [[columns[j] for j in row] for row in order.tolist()]
        reasons = [
            [
                Reason(feature=name, value=row.get(name), contribution=c)
                for name, c in zip(row_names, row_contribs, strict=True)
            ]
            for row, row_names, row_contribs in zip(X, names, contributions, strict=True)
        ]
        return proba, reasons
