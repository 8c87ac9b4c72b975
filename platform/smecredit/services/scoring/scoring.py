"""Scoring firms with the champion model: on demand, for applications, and in batch.

A score is the calibrated PD of the champion for its use, the points on the standard
600/50/20 scale, the master-scale grade, and the strongest reasons in plain Chinese and
English words. Batch scoring also scores every challenger "in shadow" (stored, never used
for decisions) so champion and challenger can be compared on the same population.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from smecredit import models
from smecredit.domain.features import FeatureRow, compute_features
from smecredit.domain.features import feature as catalogue_feature
from smecredit.domain.scorecard_scaling import MasterScale, ScoreScaling
from smecredit.errors import ApiError, NotFound
from smecredit.sdk import Reason, ScoringModel
from smecredit.services.scoring import registry
from smecredit.services.scoring.features import FirmProfile, feature_rows, load_profiles
from smecredit.services.scoring.training import Calibration

__all__ = [
    "GRADE_POLICY",
    "SCALING",
    "ApplicationScore",
    "FirmScore",
    "LoadedVersion",
    "available_models",
    "clear_version_cache",
    "load_version",
    "reason_dicts",
    "score_all",
    "score_application",
    "score_firm",
    "score_rows",
]

#: Points scale of every score (600 points at 50:1 good:bad odds, 20 points double the odds).
SCALING = ScoreScaling()
#: Per grade: share of the revenue-based cap that may be lent, and the annual rate band.
GRADE_POLICY: dict[str, tuple[Decimal, tuple[Decimal, Decimal]]] = {
    "A": (Decimal("1.00"), (Decimal("0.0350"), Decimal("0.0450"))),
    "B": (Decimal("0.90"), (Decimal("0.0450"), Decimal("0.0550"))),
    "C": (Decimal("0.75"), (Decimal("0.0550"), Decimal("0.0700"))),
    "D": (Decimal("0.60"), (Decimal("0.0700"), Decimal("0.0900"))),
    "E": (Decimal("0.40"), (Decimal("0.0900"), Decimal("0.1200"))),
    "F": (Decimal("0.20"), (Decimal("0.1200"), Decimal("0.1500"))),
    "G": (Decimal("0.00"), (Decimal("0.1500"), Decimal("0.1800"))),
}
#: Cap on lending as a share of annual revenue (before the grade factor).
REVENUE_CAP_SHARE = Decimal("0.30")
_TOP_REASONS = 5
_FEN = Decimal("0.01")

_models_cache: dict[str, ScoringModel] | None = None


class ScoringUnavailable(ApiError):
    """No champion, or the champion's model family is not installed."""

    code = "NO_CHAMPION"


def available_models(refresh: bool = False) -> dict[str, ScoringModel]:
    """Scoring models registered by the installed plugins (loaded once, then cached)."""
    global _models_cache
    if _models_cache is None or refresh:
        from smecredit.plugins import load_plugins
        from smecredit.settings import load_settings

        _models_cache = dict(load_plugins(load_settings()).scoring_models)
    return _models_cache


@dataclass(slots=True)
class FirmScore:
    """A computed score (also stored as a :class:`smecredit.models.Score`)."""

    firm_id: int
    model_name: str
    model_version: str
    probability_of_default: float
    points: int
    grade: str
    reasons: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class ApplicationScore:
    """What the lifecycle engine gets on submit of an application.

    Attributes:
        score: the firm's score.
        requested_amount: what was asked for.
        suggested_limit: the most the policy suggests lending, in yuan (2 places).
        price_band: (lowest, highest) annual rate for the grade.
    """

    score: FirmScore
    requested_amount: Decimal
    suggested_limit: Decimal
    price_band: tuple[Decimal, Decimal]


@dataclass(frozen=True, slots=True)
class LoadedVersion:
    """What scoring needs of a stored version, kept in memory (never its baseline JSON).

    Attributes:
        id: the ModelVersion id.
        name: the model family.
        version: ``v<n>``.
        artefact: the plugin's bytes.
        calibration: Platt scaling of the raw probabilities.
        scale: the master scale (PD -> grade).
    """

    id: int
    name: str
    version: str
    artefact: bytes
    calibration: Calibration
    scale: MasterScale


#: Loaded versions, most recently used last. The key adds the fingerprint and creation time
#: to the id: a version's artefact never changes, but a rebuilt database reuses ids.
_VERSION_CACHE: OrderedDict[tuple[int, str, str], LoadedVersion] = OrderedDict()
_VERSION_CACHE_SIZE = 8
_VERSION_KEY_FIELDS = ("id", "training_fingerprint", "created_at")


def clear_version_cache() -> None:
    """Forget the loaded versions (tests, or after restoring a database)."""
    _VERSION_CACHE.clear()


def _loaded_from(version: models.ModelVersion) -> LoadedVersion:
    return LoadedVersion(
        id=version.id,
        name=version.name,
        version=version.version,
        artefact=bytes(version.artefact or b""),
        calibration=Calibration(**(version.calibration or {})),
        scale=registry.master_scale_of(version),
    )


async def load_version(key: Mapping[str, Any]) -> LoadedVersion:
    """The loaded version for a row holding ``id``, ``training_fingerprint``, ``created_at``.

    The first use reads the artefact, calibration and scale (not the metrics, card or
    baseline, which can be large JSON); later uses cost nothing.
    """
    cache_key = (int(key["id"]), str(key["training_fingerprint"]), str(key["created_at"]))
    hit = _VERSION_CACHE.get(cache_key)
    if hit is not None:
        _VERSION_CACHE.move_to_end(cache_key)
        return hit
    version = await models.ModelVersion.get(id=cache_key[0]).only(
        "id", "name", "version", "artefact", "calibration", "master_scale"
    )
    loaded = _VERSION_CACHE[cache_key] = _loaded_from(version)
    while len(_VERSION_CACHE) > _VERSION_CACHE_SIZE:
        _VERSION_CACHE.popitem(last=False)
    return loaded


def reason_dicts(reasons: Sequence[Reason]) -> list[dict[str, Any]]:
    """Reasons as stored on scores: code, value, push, plain English and Chinese words."""
    out = []
    for r in reasons:
        if r.contribution <= 0:
            continue  # only what raises the risk is a reason for a worse score
        entry = catalogue_feature(r.feature)
        value = r.value
        if isinstance(value, float):
            value = None if not math.isfinite(value) else round(value, 4)
        name_en = entry.name_en if entry else r.feature
        name_zh = entry.name_zh if entry else r.feature
        out.append(
            {
                "feature": r.feature,
                "value": value,
                "contribution": round(float(r.contribution), 6),
                "name_en": name_en,
                "name_zh": name_zh,
                "text_en": f"{name_en} ({value}) raises the risk",
                "text_zh": f"{name_zh}（{value}）推高风险",
            }
        )
    return out


def _points(pd: float) -> int:
    return round(SCALING.pd_to_score(min(max(pd, 1e-6), 1 - 1e-6)))


def score_rows(
    version: models.ModelVersion | LoadedVersion,
    rows: Sequence[Mapping[str, Any]],
    *,
    explain: bool = True,
    available: Mapping[str, ScoringModel] | None = None,
) -> list[tuple[float, int, str, list[dict[str, Any]]]]:
    """(PD, points, grade, reasons) of each row under a stored version.

    A model offering ``predict_and_explain(artefact, rows, top_n)`` gets one call for
    both (CatBoost derives the probability from the same SHAP pass).
    """
    loaded = version if isinstance(version, LoadedVersion) else _loaded_from(version)
    family = (available if available is not None else available_models()).get(loaded.name)
    if family is None:
        raise ScoringUnavailable(
            f"model family {loaded.name!r} is not installed (enable its plugin)",
            code="MODEL_NOT_INSTALLED",
        )
    both = getattr(family, "predict_and_explain", None) if explain else None
    reasons: list[list[Reason]]
    if both is not None:
        raw, reasons = both(loaded.artefact, rows, _TOP_REASONS)
    else:
        raw = family.predict_proba(loaded.artefact, rows)
        reasons = (
            family.explain(loaded.artefact, rows, _TOP_REASONS) if explain else [[] for _ in rows]
        )
    pds: list[float] = loaded.calibration.apply(raw).tolist()
    grade_for_pd = loaded.scale.grade_for_pd
    return [
        (pd, _points(pd), grade_for_pd(pd), reason_dicts(rs))
        for pd, rs in zip(pds, reasons, strict=True)
    ]


async def _champion_or_fail(use: str) -> LoadedVersion:
    # Only the key columns: the artefact comes from the in-memory cache after first use.
    key = (
        await models.ModelVersion.filter(use=use, status="champion")
        .order_by("-id")
        .limit(1)
        .values(*_VERSION_KEY_FIELDS)
    )
    if not key:
        raise ScoringUnavailable(f"there is no {use} champion model; train and promote one")
    return await load_version(key[0])


async def score_firm(
    firm_id: int,
    as_of: dt.date | None = None,
    *,
    use: str = "application",
    persist: bool = True,
    available: Mapping[str, ScoringModel] | None = None,
) -> FirmScore:
    """Score one firm with the champion for ``use``, as of ``as_of`` (default today).

    Raises:
        NotFound: no such firm. ScoringUnavailable: no usable champion.
    """
    version = await _champion_or_fail(use)
    day = as_of or dt.date.today()
    rows = await feature_rows([firm_id], day)
    if firm_id not in rows:
        raise NotFound(f"firm {firm_id} does not exist")
    (pd, points, grade, reasons) = score_rows(version, [rows[firm_id]], available=available)[0]
    result = FirmScore(firm_id, version.name, version.version, pd, points, grade, reasons)
    if persist:
        await models.Score.create(
            firm_id=firm_id,
            model_name=version.name,
            model_version=version.version,
            probability_of_default=pd,
            points=points,
            grade=grade,
            reasons=reasons,
            computed_at=dt.datetime.now(dt.UTC),
        )
    return result


def _revenue(row: FeatureRow) -> Decimal | None:
    value = row.get("log_revenue")
    if not isinstance(value, float):
        return None
    return Decimal(str(math.expm1(value))).quantize(_FEN, ROUND_HALF_UP)


async def score_application(
    firm_id: int,
    amount: Decimal,
    *,
    as_of: dt.date | None = None,
    available: Mapping[str, ScoringModel] | None = None,
) -> ApplicationScore:
    """Score a firm for an application of ``amount`` yuan: limit and price band by grade.

    The suggested limit is the smaller of the amount and ``REVENUE_CAP_SHARE`` of annual
    revenue times the grade's factor (no revenue known: the amount times the factor).
    """
    day = as_of or dt.date.today()
    version = await _champion_or_fail("application")
    profiles = await load_profiles([firm_id])
    if firm_id not in profiles:
        raise NotFound(f"firm {firm_id} does not exist")
    p = profiles[firm_id]
    row = compute_features(p.firm, p.evidence, day)
    (pd, points, grade, reasons) = score_rows(version, [row], available=available)[0]
    score = FirmScore(firm_id, version.name, version.version, pd, points, grade, reasons)
    await models.Score.create(
        firm_id=firm_id,
        model_name=version.name,
        model_version=version.version,
        probability_of_default=pd,
        points=points,
        grade=grade,
        reasons=reasons,
        computed_at=dt.datetime.now(dt.UTC),
    )
    factor, band = GRADE_POLICY.get(grade, (Decimal("0"), (Decimal("0.18"), Decimal("0.18"))))
    revenue = _revenue(row)
    cap = amount if revenue is None else min(amount, revenue * REVENUE_CAP_SHARE)
    limit = (cap * factor).quantize(_FEN, ROUND_DOWN)
    return ApplicationScore(score, amount, max(limit, Decimal("0.00")), band)


def _score_chunk(
    profiles: Mapping[int, FirmProfile],
    day: dt.date,
    versions: Sequence[LoadedVersion],
    explain: bool,
    available: Mapping[str, ScoringModel] | None,
) -> list[models.Score]:
    """Features, predictions and unsaved Score rows of one chunk (pure CPU work)."""
    firm_ids = list(profiles)
    matrix = [compute_features(profiles[i].firm, profiles[i].evidence, day) for i in firm_ids]
    now = dt.datetime.now(dt.UTC)
    batch: list[models.Score] = []
    for v in versions:
        scored = score_rows(v, matrix, explain=explain, available=available)
        batch.extend(
            models.Score(
                firm_id=firm_id,
                model_name=v.name,
                model_version=v.version,
                probability_of_default=pd,
                points=points,
                grade=grade,
                reasons=reasons,
                computed_at=now,
            )
            for firm_id, (pd, points, grade, reasons) in zip(firm_ids, scored, strict=True)
        )
    return batch


async def score_all(
    as_of: dt.date | None = None,
    *,
    use: str = "application",
    batch_size: int = 2000,
    explain: bool = True,
    shadow: bool = True,
    progress: Callable[[int, int], None] | None = None,
    available: Mapping[str, ScoringModel] | None = None,
) -> int:
    """Score every firm with the champion (and challengers in shadow); return firms scored.

    Works in batches of ``batch_size`` firms: one query per evidence table per batch, one
    prediction call per model per batch, one bulk insert of scores per batch. The batches
    are pipelined: while one batch's features and predictions are computed (in a worker
    thread), the next batch is read and the previous one written, so the database and the
    CPU work overlap.
    """
    version = await _champion_or_fail(use)
    versions = [version]
    if shadow:
        versions += [_loaded_from(v) for v in await registry.challengers(use)]
    day = as_of or dt.date.today()
    ids: list[int] = list(await models.Firm.all().order_by("id").values_list("id", flat=True))  # type: ignore[arg-type]
    chunks = [ids[start : start + batch_size] for start in range(0, len(ids), batch_size)]
    done = 0
    pending: list[asyncio.Future[Any]] = []
    try:
        reading = asyncio.ensure_future(load_profiles(chunks[0])) if chunks else None
        pending = [reading] if reading else []
        writing: asyncio.Future[Any] | None = None
        for n in range(len(chunks)):
            assert reading is not None
            profiles = await reading
            reading = (
                asyncio.ensure_future(load_profiles(chunks[n + 1])) if n + 1 < len(chunks) else None
            )
            batch = await asyncio.to_thread(
                _score_chunk, profiles, day, versions, explain, available
            )
            if writing is not None:
                await writing
            writing = asyncio.ensure_future(models.Score.bulk_create(batch, batch_size=1000))
            pending = [f for f in (reading, writing) if f is not None]
            done += len(profiles)
            if progress is not None:
                progress(done, len(ids))
        if writing is not None:
            await writing
    finally:
        for future in pending:
            if not future.done():
                future.cancel()
    return done
