"""Two model versions side by side on the same firms, the same day, the same outcomes.

Both versions score the book as of one observation date (features as of that date only,
firms holding a loan and not in default then) and are judged against the defaults of the
performance window after it: AUC, Gini, KS and Brier, calibration by grade (each on its
own master scale), the PSI between their two score distributions, and the metrics each
stored at training (cross-validated and out of time) with its leakage flags.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from smecredit import models
from smecredit.domain.features import DEFAULT_DPD_THRESHOLD, DEFAULT_HORIZON_MONTHS, add_months
from smecredit.domain.model_metrics import (
    GradeCalibration,
    auc,
    brier,
    calibration_by_grade,
    gini,
    ks_statistic,
    psi,
    stability_band,
)
from smecredit.errors import InvalidInput, NotFound
from smecredit.sdk import ScoringModel
from smecredit.services.scoring import point_in_time
from smecredit.services.scoring.features import default_observation_date, observed_through
from smecredit.services.scoring.monitoring import MAX_BACKTEST_HORIZON
from smecredit.services.scoring.registry import master_scale_of

__all__ = ["Comparison", "VersionResult", "compare_versions", "trained_on"]


@dataclass(slots=True)
class VersionResult:
    """One version's showing on the common population.

    Attributes:
        version: the model version.
        auc, gini, ks, brier: discrimination and accuracy on the population (None when
            the window holds only one outcome).
        mean_pd: the mean predicted PD.
        grades: calibration by grade, in the version's scale order.
        in_sample: the observation date is one the version was trained on, so its numbers
            are in-sample (flattering): compare on a later date for a fair race.
    """

    version: models.ModelVersion
    auc: float | None
    gini: float | None
    ks: float | None
    brier: float | None
    mean_pd: float
    grades: list[GradeCalibration] = field(default_factory=list)
    in_sample: bool = False


def trained_on(version: models.ModelVersion, day: dt.date) -> bool:
    """Whether ``day`` was an observation date of the version's training data."""
    design = (version.metrics or {}).get("design") or {}
    dates = design.get("observation_dates")
    if dates:
        return day.isoformat() in dates
    window = ((version.card or {}).get("data") or {}).get("window") or {}
    start, end = window.get("from"), window.get("to")
    return bool(start and end and start <= day.isoformat() <= end)


@dataclass(slots=True)
class Comparison:
    """The outcome of :func:`compare_versions`.

    Attributes:
        as_of: the observation date.
        horizon_months: the performance window.
        dpd_threshold: days past due that make a default.
        window_end: the last day of the window.
        complete: the window has fully passed by the last day the book is known.
        count: firms in the population (both versions scored every one).
        defaults: of them, defaulted in the window.
        psi: PSI of b's scores against a's (a is the expected distribution).
        psi_band: stable, investigate or shifted.
        a: the first version's result. b: the second's.
    """

    as_of: dt.date
    horizon_months: int
    dpd_threshold: int
    window_end: dt.date
    complete: bool
    count: int
    defaults: int
    psi: float | None
    psi_band: str | None
    a: VersionResult
    b: VersionResult


def _result(
    version: models.ModelVersion, y: np.ndarray, scores: list[tuple[float, str]], day: dt.date
) -> VersionResult:
    pds = np.asarray([pd for pd, _ in scores], dtype=float)
    grades = [g for _, g in scores]
    both = 0 < int(y.sum()) < y.size
    value = auc(y, pds) if both else None
    order = {g: i for i, g in enumerate(master_scale_of(version).grades)}
    by_grade = sorted(
        calibration_by_grade(y, pds, grades),
        key=lambda g: (order.get(g.grade, len(order)), g.grade),
    )
    return VersionResult(
        version=version,
        auc=None if value is None else round(value, 6),
        gini=None if value is None else round(gini(value), 6),
        ks=round(ks_statistic(y, pds), 6) if both else None,
        brier=round(brier(y, pds), 6),
        mean_pd=round(float(pds.mean()), 6),
        grades=by_grade,
        in_sample=trained_on(version, day),
    )


async def compare_versions(
    a_id: int,
    b_id: int,
    *,
    as_of: dt.date | None = None,
    horizon_months: int = DEFAULT_HORIZON_MONTHS,
    dpd_threshold: int = DEFAULT_DPD_THRESHOLD,
    available: Mapping[str, ScoringModel] | None = None,
    today: dt.date | None = None,
) -> Comparison:
    """Score the book as of ``as_of`` with versions ``a_id`` and ``b_id`` and compare them.

    Args:
        a_id, b_id: the versions (they may be of different families and uses).
        as_of: the observation date (default: the latest whose window the book has fully
            observed).
        horizon_months: the performance window, 1 to 60 months.
        dpd_threshold: days past due that make a default.
        available: the installed scoring models (default: the plugins').
        today: the current day (tests).

    Raises:
        NotFound: a version does not exist. InvalidInput: the same version twice, a
            window outside 1..60 months, a threshold below 1, or nobody in the population.
    """
    if a_id == b_id:
        raise InvalidInput("compare two different model versions")
    if not 1 <= horizon_months <= MAX_BACKTEST_HORIZON:
        raise InvalidInput(
            f"horizon_months must lie between 1 and {MAX_BACKTEST_HORIZON}, got {horizon_months}"
        )
    if dpd_threshold < 1:
        raise InvalidInput(f"dpd_threshold must be at least 1 day, got {dpd_threshold}")
    versions = {v.id: v for v in await models.ModelVersion.filter(id__in=[a_id, b_id])}
    for wanted in (a_id, b_id):
        if wanted not in versions:
            raise NotFound(f"model version {wanted} does not exist")
    observed = await observed_through(today)
    day = as_of or default_observation_date(observed, horizon_months)
    book = await point_in_time.book_on(day, dpd_threshold=dpd_threshold)
    if not book.profiles:
        raise InvalidInput(f"no firm held a loan on {day}: nothing to compare on")
    outcome = point_in_time.labels(book, horizon_months=horizon_months, dpd_threshold=dpd_threshold)
    ids = sorted(outcome)
    y = np.asarray([outcome[i] for i in ids], dtype=int)
    scored = {}
    for key in (a_id, b_id):
        by_firm = point_in_time.rescore(versions[key], book, available=available)
        scored[key] = [by_firm[i] for i in ids]
    pd_a = [pd for pd, _ in scored[a_id]]
    pd_b = [pd for pd, _ in scored[b_id]]
    value = psi(pd_a, pd_b, bins=10) if len(set(pd_a)) > 1 else None
    end = add_months(day, horizon_months)
    return Comparison(
        as_of=day,
        horizon_months=horizon_months,
        dpd_threshold=dpd_threshold,
        window_end=end,
        complete=end <= observed,
        count=len(ids),
        defaults=int(y.sum()),
        psi=None if value is None else round(value, 6),
        psi_band=None if value is None else stability_band(value),
        a=_result(versions[a_id], y, scored[a_id], day),
        b=_result(versions[b_id], y, scored[b_id], day),
    )
