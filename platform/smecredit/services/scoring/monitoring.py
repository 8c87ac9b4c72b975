"""Monitoring of scoring models: population drift (PSI/CSI) and PD back-tests by grade.

* PSI compares the version's training scores (the baseline kept in the registry) with the
  latest score of each firm under that version.
* CSI does the same per feature: training values against the features of the firms in the
  latest scoring population, computed as of today (missing values are left out of numeric
  features, kept as a category of categorical ones).
* The back-test puts each firm's latest score on or before an as-of date against whether it
  defaulted in the horizon after it, grade by grade (binomial test per grade). When the
  version stored no score by then (a version trained after the date, as in a freshly
  seeded demo), it scores the book as of the date itself: the firms holding a loan then,
  on their features as of then (:mod:`smecredit.services.scoring.point_in_time`). Firms
  already in default on the date are left out either way, as in training.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from smecredit import models
from smecredit.domain.features import (
    CATEGORICAL_FEATURES,
    DEFAULT_DPD_THRESHOLD,
    DEFAULT_HORIZON_MONTHS,
    add_months,
)
from smecredit.domain.model_metrics import (
    GradeCalibration,
    calibration_by_grade,
    categorical_psi,
    psi,
    stability_band,
)
from smecredit.errors import InvalidInput, NotFound
from smecredit.sdk import ScoringModel
from smecredit.services.scoring import point_in_time
from smecredit.services.scoring.features import feature_rows
from smecredit.services.scoring.registry import master_scale_of

__all__ = [
    "RESCORED",
    "STORED",
    "BacktestReport",
    "backtest",
    "backtest_report",
    "latest_scores",
    "model_drift",
]

#: Longest outcome window a back-test accepts, in months.
MAX_BACKTEST_HORIZON = 60

_CSI_SAMPLE = 5000


async def _version(version_id: int) -> models.ModelVersion:
    version = await models.ModelVersion.get_or_none(id=version_id)
    if version is None:
        raise NotFound(f"model version {version_id} does not exist")
    return version


async def latest_scores(
    version: models.ModelVersion, *, on_or_before: dt.datetime | None = None
) -> dict[int, tuple[float, str]]:
    """Firm id -> (PD, grade) of the latest score of each firm under ``version``."""
    query = models.Score.filter(model_name=version.name, model_version=version.version)
    if on_or_before is not None:
        query = query.filter(computed_at__lte=on_or_before)
    rows = await query.order_by("computed_at", "id").values(
        "firm_id", "probability_of_default", "grade"
    )
    return {r["firm_id"]: (float(r["probability_of_default"]), str(r["grade"])) for r in rows}


def _clean_numeric(values: Sequence[Any]) -> list[float]:
    out = []
    for v in values:
        if v is None:
            continue
        f = float(v)
        if math.isfinite(f):
            out.append(f)
    return out


def _csi(expected: dict[str, list[Any]], actual: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, exp_values in expected.items():
        act_values = actual.get(name)
        if not act_values:
            continue
        if name in CATEGORICAL_FEATURES or any(isinstance(v, str) for v in exp_values):
            value = categorical_psi(exp_values, act_values)
        else:
            exp_num, act_num = _clean_numeric(exp_values), _clean_numeric(act_values)
            if len(set(exp_num)) < 2 or not act_num:
                continue
            value = psi(exp_num, act_num, bins=10)
        out[name] = {"csi": round(value, 6), "band": stability_band(value)}
    return out


async def model_drift(version_id: int, *, as_of: dt.date | None = None) -> dict[str, Any]:
    """PSI of the scores and CSI of the features of a version against its training data.

    Returns:
        ``{"psi": float | None, "band": ..., "scored": n, "csi": {feature: {csi, band}}}``;
        PSI is None while the version has scored nobody.
    """
    version = await _version(version_id)
    baseline = version.baseline or {}
    expected_scores = [float(s) for s in baseline.get("scores", []) if s is not None]
    scores = await latest_scores(version)
    result: dict[str, Any] = {
        "model_version_id": version.id,
        "scored": len(scores),
        "psi": None,
        "band": None,
        "csi": {},
    }
    if not scores or len(expected_scores) < 2:
        return result
    value = psi(expected_scores, [pd for pd, _ in scores.values()], bins=10)
    result["psi"], result["band"] = round(value, 6), stability_band(value)
    firm_ids = sorted(scores)[:_CSI_SAMPLE]
    rows = await feature_rows(firm_ids, as_of or dt.date.today())
    expected_features: dict[str, list[Any]] = baseline.get("features", {})
    actual = {name: [row.get(name) for row in rows.values()] for name in expected_features}
    result["csi"] = _csi(expected_features, actual)
    return result


#: How a back-test got its scores.
STORED, RESCORED = "stored", "rescored"


async def backtest(
    version_id: int,
    as_of: dt.date,
    *,
    horizon_months: int = DEFAULT_HORIZON_MONTHS,
    dpd_threshold: int = DEFAULT_DPD_THRESHOLD,
    available: Mapping[str, ScoringModel] | None = None,
) -> tuple[list[dict[str, Any]], str]:
    """Predicted PD against realised default rate per grade, and the scores' basis.

    The scores are the version's latest stored score of each firm made by ``as_of``
    (basis ``stored``) or, when it stored none by then, its scores of the book as of
    ``as_of`` (basis ``rescored``).

    Raises:
        NotFound: no such version. InvalidInput: a horizon outside 1..60 months, a DPD
            threshold below 1, or nobody to test (no stored score and no firm holding a
            loan on ``as_of``).
    """
    if not 1 <= horizon_months <= MAX_BACKTEST_HORIZON:
        raise InvalidInput(
            f"horizon_months must lie between 1 and {MAX_BACKTEST_HORIZON}, got {horizon_months}"
        )
    if dpd_threshold < 1:
        raise InvalidInput(f"dpd_threshold must be at least 1 day, got {dpd_threshold}")
    version = await _version(version_id)
    end_of_day = dt.datetime.combine(as_of, dt.time.max, tzinfo=dt.UTC)
    scores = await latest_scores(version, on_or_before=end_of_day)
    basis = STORED
    if scores:
        book = await point_in_time.book_on(
            as_of, dpd_threshold=dpd_threshold, firm_ids=sorted(scores)
        )
    else:
        basis = RESCORED
        book = await point_in_time.book_on(as_of, dpd_threshold=dpd_threshold)
        if not book.profiles:
            raise InvalidInput(
                f"model version {version_id} scored no firm on or before {as_of}, and no firm "
                f"held a loan on {as_of} to score as of that day"
            )
        scores = point_in_time.rescore(version, book, available=available)
    outcome = point_in_time.labels(book, horizon_months=horizon_months, dpd_threshold=dpd_threshold)
    y, pds, grades = [], [], []
    for firm_id, (pd, grade) in scores.items():
        if firm_id not in outcome:
            continue  # gone, or in default on the day
        y.append(outcome[firm_id])
        pds.append(pd)
        grades.append(grade)
    return [asdict(c) for c in calibration_by_grade(y, pds, grades)], basis


@dataclass(frozen=True)
class BacktestReport:
    """A PD back-test of one version, grade by grade (best grade first).

    Attributes:
        model_version_id: the version tested.
        as_of: scores made on or before this day were tested.
        horizon_months: outcome window after ``as_of``.
        dpd_threshold: days past due that make a default.
        window_end: last day of the outcome window.
        complete: the outcome window has fully passed (otherwise defaults still to come
            are missing and the observed rates are too low).
        grades: predicted against observed default rate per grade.
        basis: ``stored`` (the scores made by ``as_of``) or ``rescored`` (scored as of
            ``as_of`` on the features of that day, the version having stored none by then).
    """

    model_version_id: int
    as_of: dt.date
    horizon_months: int
    dpd_threshold: int
    window_end: dt.date
    complete: bool
    grades: list[GradeCalibration]
    basis: str = STORED

    @property
    def count(self) -> int:
        """Firms tested."""
        return sum(g.count for g in self.grades)

    @property
    def defaults(self) -> int:
        """Realised defaults."""
        return sum(g.defaults for g in self.grades)

    @property
    def expected_defaults(self) -> float:
        """Defaults the predicted PDs expect (sum over grades of count x mean PD)."""
        return sum(g.count * g.predicted_pd for g in self.grades)


async def backtest_report(
    version_id: int,
    as_of: dt.date,
    *,
    horizon_months: int = DEFAULT_HORIZON_MONTHS,
    dpd_threshold: int = DEFAULT_DPD_THRESHOLD,
    today: dt.date | None = None,
    available: Mapping[str, ScoringModel] | None = None,
) -> BacktestReport:
    """:func:`backtest` with its window, whether it is complete, grades in scale order."""
    rows, basis = await backtest(
        version_id,
        as_of,
        horizon_months=horizon_months,
        dpd_threshold=dpd_threshold,
        available=available,
    )
    version = await models.ModelVersion.get(id=version_id).only("id", "master_scale")
    order = {g: i for i, g in enumerate(master_scale_of(version).grades)}
    grades = sorted(
        (GradeCalibration(**row) for row in rows),
        key=lambda g: (order.get(g.grade, len(order)), g.grade),
    )
    end = add_months(as_of, horizon_months)
    return BacktestReport(
        model_version_id=version_id,
        as_of=as_of,
        horizon_months=horizon_months,
        dpd_threshold=dpd_threshold,
        window_end=end,
        complete=end <= (today or dt.date.today()),
        grades=grades,
        basis=basis,
    )
