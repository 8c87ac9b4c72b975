"""Training and validation of probability-of-default models (R4).

Works on any :class:`TrainingData` — features computed from the platform's own book
(:func:`smecredit.services.scoring.features.book_training_data`) or a bank's labelled CSV
(:func:`read_labelled_csv`) — with any :class:`smecredit.sdk.ScoringModel`:

* k-fold cross-validation, stratified by label, or time-ordered (expanding window) when
  the rows carry observation dates, with per-fold and overall AUC, Gini, KS and Brier;
* Platt calibration (logistic on the logit of out-of-fold predictions), so PDs match
  observed default rates, then calibration by master-scale grade and a lift table;
* information value per feature, an out-of-time check when dates exist;
* a model card (data window, features, metrics, limitations) and a SHA-256 fingerprint of
  the training matrix, stored with each model version.

Nothing here touches the database; the registry stores what :func:`train_and_validate`
returns.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from smecredit.domain.errors import CodedError
from smecredit.domain.features import feature as catalogue_feature
from smecredit.domain.leakage import screen_feature
from smecredit.domain.model_metrics import (
    auc,
    brier,
    calibration_by_grade,
    gini,
    ks_statistic,
    lift_table,
)
from smecredit.domain.scorecard_scaling import DEFAULT_MASTER_SCALE, MasterScale
from smecredit.domain.woe_binning import fit_categorical_bins, fit_numeric_bins
from smecredit.sdk import ScoringModel

__all__ = [
    "Calibration",
    "TrainingData",
    "TrainingError",
    "TrainingResult",
    "cross_validate",
    "feature_screen",
    "fingerprint",
    "information_values",
    "read_labelled_csv",
    "train_and_validate",
]

_TRUE = frozenset({"1", "true", "yes", "y", "t", "default", "bad", "是"})
_FALSE = frozenset({"0", "false", "no", "n", "f", "good", "否"})


class TrainingError(CodedError):
    """Training cannot proceed; ``code`` is stable UPPER_SNAKE."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


@dataclass(slots=True)
class TrainingData:
    """A labelled feature matrix.

    Attributes:
        rows: one mapping of feature -> value per observation (None = missing).
        y: 1 = default, 0 = not.
        categorical: the categorical feature names.
        dates: the observation date of each row, or None (then CV is stratified).
        source: where the data came from ("book", "csv:<name>"), for the model card.
        ids: an identifier per row (firm id), optional.
    """

    rows: list[dict[str, Any]]
    y: list[int]
    categorical: tuple[str, ...] = ()
    dates: list[dt.date] | None = None
    source: str = "unknown"
    ids: list[Any] | None = None

    @property
    def features(self) -> list[str]:
        """Feature names present in any row, sorted."""
        return sorted({k for row in self.rows for k in row})


@dataclass(frozen=True, slots=True)
class Calibration:
    """Platt scaling ``pd = sigmoid(a * logit(p) + b)`` of raw model probabilities."""

    a: float = 1.0
    b: float = 0.0

    def apply(self, p: Sequence[float] | np.ndarray) -> np.ndarray:
        """Calibrated PDs of raw probabilities ``p``."""
        raw = np.clip(np.asarray(p, dtype=float), 1e-9, 1 - 1e-9)
        z = self.a * np.log(raw / (1 - raw)) + self.b
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))))

    @classmethod
    def fit(cls, p: Sequence[float] | np.ndarray, y: Sequence[int] | np.ndarray) -> Calibration:
        """Fit ``a`` and ``b`` by Newton's method on out-of-fold predictions."""
        raw = np.clip(np.asarray(p, dtype=float), 1e-9, 1 - 1e-9)
        x = np.column_stack([np.log(raw / (1 - raw)), np.ones(raw.size)])
        yy = np.asarray(y, dtype=float)
        w = np.array([1.0, 0.0])
        for _ in range(50):
            q = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
            hessian = (x * (q * (1 - q))[:, None]).T @ x + 1e-6 * np.eye(2)
            step = np.linalg.solve(hessian, x.T @ (q - yy))
            w -= step
            if float(np.max(np.abs(step))) < 1e-10:
                break
        return cls(float(w[0]), float(w[1]))


@dataclass(slots=True)
class TrainingResult:
    """What training produces and the registry stores.

    Attributes:
        artefact: the final model, trained on all rows.
        calibration: Platt scaling fitted on out-of-fold predictions.
        metrics: cross-validation metrics, IV, out-of-time check (JSON-friendly).
        card: the model card (JSON-friendly).
        fingerprint: SHA-256 of the training matrix and labels.
        training_scores: calibrated PDs of the training rows (the PSI baseline).
        training_features: the training feature columns (the CSI baseline).
    """

    artefact: bytes
    calibration: Calibration
    metrics: dict[str, Any]
    card: dict[str, Any]
    fingerprint: str
    training_scores: list[float] = field(default_factory=list)
    training_features: dict[str, list[Any]] = field(default_factory=dict)


# ------------------------------------------------------------------------------- CSV input


def _parse_label(value: str, line: int, target: str) -> int:
    text = value.strip().lower()
    if text in _TRUE:
        return 1
    if text in _FALSE:
        return 0
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if number in (0.0, 1.0):
        return int(number)
    raise TrainingError(
        "BAD_LABEL", f"line {line}: column {target!r} must be 0/1 (or yes/no), got {value!r}"
    )


def _as_number(text: str) -> float | None:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_labelled_csv(
    path: str | Path,
    target: str,
    *,
    date_column: str | None = None,
    id_column: str | None = None,
) -> TrainingData:
    """Read a bank's own labelled data: any columns, one row per observation.

    A column is numeric when every non-empty cell parses as a number, else categorical.
    Empty cells (and ``NA``, ``null``, ``-``) are missing.

    Args:
        path: CSV file with a header row (UTF-8, with or without BOM).
        target: the label column (1/0, true/false, yes/no).
        date_column: optional observation-date column (ISO dates): enables time-ordered CV.
        id_column: optional identifier column, excluded from the features.

    Raises:
        TrainingError: ``NO_TARGET_COLUMN``, ``BAD_LABEL``, ``EMPTY_TRAINING_DATA``.
    """
    missing_marks = {"", "na", "n/a", "null", "none", "-", "nan"}
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        if target not in header:
            raise TrainingError(
                "NO_TARGET_COLUMN",
                f"the CSV has no column {target!r}; its columns are {', '.join(header)}",
            )
        raw_rows = list(reader)
    if not raw_rows:
        raise TrainingError("EMPTY_TRAINING_DATA", f"{path} has no data rows")
    skip = {target, date_column, id_column}
    columns = [c for c in header if c not in skip]
    categorical = []
    for col in columns:
        cells = [(r.get(col) or "").strip() for r in raw_rows]
        present = [c for c in cells if c.lower() not in missing_marks]
        if present and any(_as_number(c) is None for c in present):
            categorical.append(col)
    cats = set(categorical)
    rows: list[dict[str, Any]] = []
    y: list[int] = []
    dates: list[dt.date] | None = [] if date_column else None
    ids: list[Any] | None = [] if id_column else None
    for line, r in enumerate(raw_rows, start=2):
        y.append(_parse_label(r.get(target) or "", line, target))
        row: dict[str, Any] = {}
        for col in columns:
            cell = (r.get(col) or "").strip()
            if cell.lower() in missing_marks:
                row[col] = None
            else:
                row[col] = cell if col in cats else _as_number(cell)
        rows.append(row)
        if dates is not None and date_column:
            dates.append(dt.date.fromisoformat((r.get(date_column) or "")[:10]))
        if ids is not None and id_column:
            ids.append(r.get(id_column))
    return TrainingData(
        rows, y, tuple(categorical), dates, source=f"csv:{Path(path).name}", ids=ids
    )


# ------------------------------------------------------------------------------ utilities


def fingerprint(data: TrainingData) -> str:
    """SHA-256 of the training matrix and labels (canonical JSON, sorted columns)."""
    digest = hashlib.sha256()
    columns = data.features
    digest.update(json.dumps(columns).encode())
    for row, label in zip(data.rows, data.y, strict=True):
        cells = [row.get(c) for c in columns]
        digest.update(json.dumps([cells, label], default=str, ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def feature_screen(data: TrainingData) -> tuple[dict[str, float], dict[str, float]]:
    """The leakage screen of each feature: its IV and one-feature AUC on unmerged bins
    (:func:`smecredit.domain.leakage.screen_feature`).

    Returns:
        (feature -> screen IV, highest first; feature -> one-feature AUC).
    """
    cats = set(data.categorical)
    ivs: dict[str, float] = {}
    aucs: dict[str, float] = {}
    for col in data.features:
        values = [row.get(col) for row in data.rows]
        ivs[col], aucs[col] = screen_feature(values, data.y, categorical=col in cats)
    return dict(sorted(ivs.items(), key=lambda kv: -kv[1])), aucs


def _binned_iv(data: TrainingData) -> dict[str, float]:
    y = np.asarray(data.y, dtype=float)
    cats = set(data.categorical)
    out: dict[str, float] = {}
    for col in data.features:
        values = [row.get(col) for row in data.rows]
        try:
            if col in cats:
                result = fit_categorical_bins([None if v is None else str(v) for v in values], y)
            else:
                xs = [math.nan if v is None else float(v) for v in values]
                result = fit_numeric_bins(xs, y, max_bins=8)
            out[col] = round(float(result.total_iv), 6)
        except Exception:
            out[col] = 0.0
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def information_values(data: TrainingData) -> dict[str, float]:
    """IV of each feature under the same binning the scorecard uses (0.0 if unbinnable)."""
    return _binned_iv(data)


def _stratified_folds(y: np.ndarray, k: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    fold_of = np.empty(y.size, dtype=int)
    for cls in (0, 1):
        idx = rng.permutation(np.flatnonzero(y == cls))
        fold_of[idx] = np.arange(idx.size) % k
    return [np.flatnonzero(fold_of == i) for i in range(k)]


def _metric_block(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    value = auc(y, p)
    return {
        "n": int(y.size),
        "defaults": int(y.sum()),
        "auc": round(value, 6),
        "gini": round(gini(value), 6),
        "ks": round(ks_statistic(y, p), 6),
        "brier": round(brier(y, p), 6),
    }


@dataclass(slots=True)
class CrossValidation:
    """Out-of-fold predictions and per-fold metrics.

    Attributes:
        oof: raw out-of-fold probability per row (NaN where a row was never held out).
        folds: per-fold metric blocks.
        scheme: ``stratified`` or ``time``.
    """

    oof: np.ndarray
    folds: list[dict[str, Any]]
    scheme: str


def cross_validate(
    model: ScoringModel,
    data: TrainingData,
    *,
    folds: int = 5,
    options: Mapping[str, Any] | None = None,
    seed: int = 0,
) -> CrossValidation:
    """K-fold CV: stratified by label, or expanding-window by date when dates exist."""
    y = np.asarray(data.y, dtype=int)
    if folds < 2:
        raise TrainingError("BAD_OPTION", f"folds must be >= 2, got {folds}")
    if y.sum() < folds or (y.size - y.sum()) < folds:
        raise TrainingError(
            "TOO_FEW_DEFAULTS",
            f"{int(y.sum())} defaults in {y.size} rows: too few for {folds}-fold validation",
        )
    opts = dict(options or {})
    oof = np.full(y.size, np.nan)
    blocks: list[dict[str, Any]] = []
    scheme = "stratified"
    splits: list[tuple[np.ndarray, np.ndarray]] = []
    if data.dates is not None and len(set(data.dates)) > 1:
        scheme = "time"
        order = np.argsort(np.array([d.toordinal() for d in data.dates]), kind="stable")
        chunks = np.array_split(order, folds + 1)
        for i in range(1, folds + 1):
            splits.append((np.concatenate(chunks[:i]), chunks[i]))
    else:
        parts = _stratified_folds(y, folds, seed)
        for i in range(folds):
            train = np.concatenate([parts[j] for j in range(folds) if j != i])
            splits.append((train, parts[i]))
    for i, (train, test) in enumerate(splits):
        if y[train].sum() == 0 or y[test].sum() in (0, test.size):
            continue  # a time block without defaults cannot be scored
        artefact = model.fit(
            [data.rows[j] for j in train],
            y[train].tolist(),
            categorical=data.categorical,
            options=opts,
        )
        p = np.asarray(model.predict_proba(artefact, [data.rows[j] for j in test]), dtype=float)
        oof[test] = p
        blocks.append({"fold": i + 1, **_metric_block(y[test], p)})
    if not blocks:
        raise TrainingError("TOO_FEW_DEFAULTS", "no validation fold holds both outcomes")
    return CrossValidation(oof, blocks, scheme)


def _jsonable(obj: Any) -> Any:
    value = asdict(obj)
    return {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in value.items()
    }


def train_and_validate(
    model: ScoringModel,
    data: TrainingData,
    *,
    folds: int = 5,
    options: Mapping[str, Any] | None = None,
    master_scale: MasterScale = DEFAULT_MASTER_SCALE,
    seed: int = 0,
    use: str = "application",
    out_of_time: TrainingData | None = None,
    design: Mapping[str, Any] | None = None,
) -> TrainingResult:
    """Cross-validate, calibrate, check out of time, train on all rows and write the card.

    Args:
        model: the model family (a registered :class:`smecredit.sdk.ScoringModel`).
        data: labelled rows.
        folds: CV folds.
        options: passed to ``model.fit``.
        master_scale: grades for calibration-by-grade.
        seed: fold assignment seed.
        use: ``application`` or ``behaviour``, for the card.
        out_of_time: rows of a later observation date held out of training: the final
            model is tested on them. None: the latest 20% of the rows by date, when the
            rows carry several dates.
        design: the observation design (observation dates, performance window, ...),
            stored in the metrics and the card; ``out_of_time_note`` says why there is no
            out-of-time check.
    """
    y = np.asarray(data.y, dtype=int)
    if not data.rows:
        raise TrainingError("EMPTY_TRAINING_DATA", "no training rows")
    cv = cross_validate(model, data, folds=folds, options=options, seed=seed)
    held = ~np.isnan(cv.oof)
    calibration = Calibration.fit(cv.oof[held], y[held])
    pd_oof = calibration.apply(cv.oof[held])
    grades = [master_scale.grade_for_pd(float(p)) for p in pd_oof]
    metrics: dict[str, Any] = {
        "scheme": cv.scheme,
        "folds": cv.folds,
        "overall": _metric_block(y[held], cv.oof[held]),
        "calibrated_brier": round(brier(y[held], pd_oof), 6),
        "calibration_by_grade": [
            _jsonable(c) for c in calibration_by_grade(y[held], pd_oof, grades)
        ],
        "lift": [_jsonable(r) for r in lift_table(y[held], pd_oof, n_bins=10)],
        "calibration": {"a": calibration.a, "b": calibration.b},
    }
    metrics["iv"] = information_values(data)
    screen_iv, screen_auc = feature_screen(data)
    # The leakage guard's numbers (unmerged bins: a bin of defaulters only still counts).
    metrics["leakage_screen"] = {"iv": screen_iv, "auc": screen_auc}
    design = dict(design or {})
    note = str(design.pop("out_of_time_note", "") or "")
    if design:
        metrics["design"] = design
    if out_of_time is None and data.dates is not None and len(set(data.dates)) > 1:
        metrics["out_of_time"] = _out_of_time(model, data, options)
    artefact = model.fit(
        data.rows, y.tolist(), categorical=data.categorical, options=dict(options or {})
    )
    if out_of_time is not None:
        metrics["out_of_time"] = _held_out(model, artefact, calibration, out_of_time)
    elif "out_of_time" not in metrics and note:
        metrics["out_of_time"] = {"skipped": note}
    training_scores = calibration.apply(model.predict_proba(artefact, data.rows)).tolist()
    card = _model_card(model, data, metrics, use, master_scale)
    columns = data.features
    return TrainingResult(
        artefact=artefact,
        calibration=calibration,
        metrics=metrics,
        card=card,
        fingerprint=fingerprint(data),
        training_scores=training_scores,
        training_features={c: [row.get(c) for row in data.rows] for c in columns},
    )


def _held_out(
    model: ScoringModel, artefact: bytes, calibration: Calibration, sample: TrainingData
) -> dict[str, Any]:
    """The final model on a later observation date it never saw."""
    y = np.asarray(sample.y, dtype=int)
    day = min(sample.dates).isoformat() if sample.dates else None
    if y.size == 0 or y.sum() in (0, y.size):
        return {"observation_date": day, "skipped": "the out-of-time sample lacks one outcome"}
    p = calibration.apply(model.predict_proba(artefact, sample.rows))
    return {
        "observation_date": day,
        **_metric_block(y, p),
        "calibrated_brier": round(brier(y, p), 6),
    }


def _out_of_time(
    model: ScoringModel, data: TrainingData, options: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Train on the earliest 80% (by date), test on the latest 20%."""
    assert data.dates is not None
    order = np.argsort(np.array([d.toordinal() for d in data.dates]), kind="stable")
    cut = int(order.size * 0.8)
    train, test = order[:cut], order[cut:]
    y = np.asarray(data.y, dtype=int)
    if y[train].sum() == 0 or y[test].sum() in (0, test.size):
        return {"skipped": "the out-of-time sample lacks one of the outcomes"}
    artefact = model.fit(
        [data.rows[j] for j in train],
        y[train].tolist(),
        categorical=data.categorical,
        options=dict(options or {}),
    )
    p = np.asarray(model.predict_proba(artefact, [data.rows[j] for j in test]), dtype=float)
    return {
        "train_until": data.dates[int(train[-1])].isoformat(),
        "test_from": data.dates[int(test[0])].isoformat(),
        **_metric_block(y[test], p),
    }


def _model_card(
    model: ScoringModel,
    data: TrainingData,
    metrics: Mapping[str, Any],
    use: str,
    master_scale: MasterScale,
) -> dict[str, Any]:
    features = []
    for code in data.features:
        entry = catalogue_feature(code)
        features.append(
            {
                "code": code,
                "kind": "categorical" if code in data.categorical else "numeric",
                "name_en": entry.name_en if entry else code,
                "name_zh": entry.name_zh if entry else code,
                "iv": metrics["iv"].get(code, 0.0),
                "single_feature_auc": metrics["leakage_screen"]["auc"].get(code),
            }
        )
    window = None
    if data.dates:
        window = {"from": min(data.dates).isoformat(), "to": max(data.dates).isoformat()}
    design = metrics.get("design")
    if design and design.get("observation_dates"):
        window = {
            "from": design["observation_dates"][0],
            "to": design["observation_dates"][-1],
            "performance_months": design.get("performance_months"),
        }
    y = np.asarray(data.y)
    return {
        "model": model.name,
        "implementation_version": model.version,
        "use": use,
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "data": {
            "source": data.source,
            "rows": int(y.size),
            "defaults": int(y.sum()),
            "default_rate": round(float(y.mean()), 6),
            "window": window,
            "design": metrics.get("design"),
        },
        "features": features,
        "validation": {
            "scheme": metrics["scheme"],
            "folds": len(metrics["folds"]),
            "overall": metrics["overall"],
            "out_of_time": metrics.get("out_of_time"),
        },
        "master_scale": [[g, (None if math.isinf(b) else b)] for g, b in master_scale.bands],
        "limitations": [
            "Probabilities are calibrated to the default rate of the training data; a "
            "portfolio with a different mix needs re-calibration.",
            "Validated on data from the window above only; monitor PSI/CSI and back-test "
            "PDs by grade before relying on it beyond that window.",
            "Firms with little evidence (no statements, no tax or bureau records) get "
            "scores driven by the missing-value treatment.",
        ],
    }
