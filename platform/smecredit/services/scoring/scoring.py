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
import os
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tortoise.transactions import in_transaction

from smecredit import models, plugin_host
from smecredit.domain.features import FeatureRow, compute_features
from smecredit.domain.features import feature as catalogue_feature
from smecredit.domain.scorecard_scaling import MasterScale, ScoreScaling
from smecredit.errors import ApiError, NotFound
from smecredit.sdk import Reason, ScoringModel, declared
from smecredit.services.scoring import credit_policy, registry
from smecredit.services.scoring.features import FirmProfile, feature_rows, load_profiles
from smecredit.services.scoring.training import Calibration
from smecredit.services.scoring.workers import ScoreTuple, score_in_processes

__all__ = [
    "SCALING",
    "ApplicationScore",
    "FirmScore",
    "LoadedVersion",
    "available_models",
    "clear_version_cache",
    "default_workers",
    "load_version",
    "reason_dicts",
    "score_all",
    "score_application",
    "score_firm",
    "score_profiles",
    "score_rows",
]

#: Points scale of every score (600 points at 50:1 good:bad odds, 20 points double the odds).
SCALING = ScoreScaling()
_TOP_REASONS = 5
#: Most worker processes batch scoring starts (more rarely pays: writing is serial).
MAX_WORKERS = 4
_FEN = Decimal("0.01")


class ScoringUnavailable(ApiError):
    """No champion, or the champion's model family is not installed."""

    code = "NO_CHAMPION"


def available_models() -> Mapping[str, ScoringModel]:
    """Scoring models of the application's plugin registry (see :mod:`smecredit.plugin_host`).

    For callers handed no models of their own; the web layer and the CLI pass theirs.
    """
    return plugin_host.scoring_models()


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
        price_band: (lowest, highest) annual rate to quote (see domain.credit_policy).
        risk_rate: the risk-based rate behind the band's floor (None without pricing).
        policy_version: the credit policy version that produced limit and band.
        score_id: the stored Score row.
        record_id: the stored ApplicationScoreRecord row.
    """

    score: FirmScore
    requested_amount: Decimal
    suggested_limit: Decimal
    price_band: tuple[Decimal, Decimal]
    risk_rate: Decimal | None = None
    policy_version: int = 0
    score_id: int | None = None
    record_id: int | None = None


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
        item = {
            "feature": r.feature,
            "value": value,
            "contribution": round(float(r.contribution), 6),
            "name_en": name_en,
            "name_zh": name_zh,
            "text_en": f"{name_en} ({value}) raises the risk",
            "text_zh": f"{name_zh}（{value}）推高风险",
        }
        if entry is None and r.description:
            # a plugin's own feature: the sentence the model gave (sdk.Reason.description)
            item["description"] = r.description
        out.append(item)
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
    both = declared(family, ScoringModel, "predict_and_explain") if explain else None
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
        await _score_row(firm_id, version.name, version.version, pd, points, grade, reasons).save()
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
    application_id: int | None = None,
) -> ApplicationScore:
    """Score a firm for an application of ``amount`` yuan: limit and price band by grade.

    The credit policy in force turns grade, PD and annual revenue into the suggested limit
    and the price band (:mod:`smecredit.domain.credit_policy`). The score and the
    suggestion are stored together: a Score and an ApplicationScoreRecord naming the policy
    version (and the application, when ``application_id`` is given).
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
    policy, offer = await credit_policy.suggest(
        grade=grade, pd=pd, amount=amount, annual_revenue=_revenue(row)
    )
    async with in_transaction():
        stored = _score_row(firm_id, version.name, version.version, pd, points, grade, reasons)
        await stored.save()
        record = await models.ApplicationScoreRecord.create(
            firm_id=firm_id,
            score_id=stored.id,
            application_id=application_id,
            requested_amount=amount,
            suggested_limit=offer.limit,
            rate_low=offer.rate_low,
            rate_high=offer.rate_high,
            risk_rate=offer.risk_rate,
            policy_version=policy.version,
        )
    return ApplicationScore(
        score,
        amount,
        offer.limit,
        (offer.rate_low, offer.rate_high),
        risk_rate=offer.risk_rate,
        policy_version=policy.version,
        score_id=stored.id,
        record_id=record.id,
    )


def score_profiles(
    profiles: Mapping[int, FirmProfile],
    day: dt.date,
    versions: Sequence[LoadedVersion],
    explain: bool,
    available: Mapping[str, ScoringModel] | None,
) -> list[ScoreTuple]:
    """Features and predictions of loaded profiles under each version (pure CPU work).

    Returns one (firm id, model name, version, PD, points, grade, reasons) per firm and
    version: plain tuples, cheap to send back from a worker process.
    """
    firm_ids = list(profiles)
    matrix = [compute_features(profiles[i].firm, profiles[i].evidence, day) for i in firm_ids]
    out: list[ScoreTuple] = []
    for v in versions:
        scored = score_rows(v, matrix, explain=explain, available=available)
        out.extend(
            (firm_id, v.name, v.version, pd, points, grade, reasons)
            for firm_id, (pd, points, grade, reasons) in zip(firm_ids, scored, strict=True)
        )
    return out


def _score_row(
    firm_id: int,
    name: str,
    version: str,
    pd: float,
    points: int,
    grade: str,
    reasons: list[dict[str, Any]],
    at: dt.datetime | None = None,
) -> models.Score:
    """An unsaved Score row (computed now unless ``at`` is given)."""
    return models.Score(
        firm_id=firm_id,
        model_name=name,
        model_version=version,
        probability_of_default=pd,
        points=points,
        grade=grade,
        reasons=reasons,
        computed_at=at or dt.datetime.now(dt.UTC),
    )


async def _write_scores(scores: Sequence[ScoreTuple]) -> None:
    """Store one batch's scores, all or none (a cancelled batch leaves no partial rows)."""
    now = dt.datetime.now(dt.UTC)
    rows = [_score_row(*score, at=now) for score in scores]
    async with in_transaction():
        await models.Score.bulk_create(rows, batch_size=1000)


def default_workers(firms: int, batch_size: int) -> int:
    """Worker processes for a book of ``firms``: none for a small book, else one per core.

    Starting a worker costs about a second (it imports the models and opens the database),
    which only pays off once there are several batches to share.
    """
    if firms < 4 * batch_size:
        return 0
    return max(0, min(os.cpu_count() or 1, MAX_WORKERS))


async def score_all(
    as_of: dt.date | None = None,
    *,
    use: str = "application",
    batch_size: int = 2000,
    explain: bool = True,
    shadow: bool = True,
    progress: Callable[[int, int], None] | None = None,
    available: Mapping[str, ScoringModel] | None = None,
    workers: int | None = None,
    firm_ids: Sequence[int] | None = None,
) -> int:
    """Score every firm with the champion (and challengers in shadow); return firms scored.

    Works in batches of ``batch_size`` firms: one query per evidence table per batch, one
    prediction call per model per batch, one bulk insert of scores per batch.

    Args:
        workers: worker processes that read, compute and predict while this process
            writes (see :mod:`smecredit.services.scoring.workers`); 0 does everything in
            this process, None chooses by the size of the book (:func:`default_workers`).
            Injected ``available`` model families cannot cross processes, so they force 0.
        firm_ids: only these firms (e.g. the ones a sync brought new evidence about);
            unknown ids are skipped. None scores the whole book.
    """
    version = await _champion_or_fail(use)
    versions = [version]
    if shadow:
        versions += [_loaded_from(v) for v in await registry.challengers(use)]
    day = as_of or dt.date.today()
    firms = models.Firm.all() if firm_ids is None else models.Firm.filter(id__in=list(firm_ids))
    ids: list[int] = list(await firms.order_by("id").values_list("id", flat=True))  # type: ignore[arg-type]
    chunks = [ids[start : start + batch_size] for start in range(0, len(ids), batch_size)]
    if available is not None:
        workers = 0
    elif workers is None:
        workers = default_workers(len(ids), batch_size)
    if workers > 0 and len(chunks) > 1:
        return await score_in_processes(
            chunks,
            day,
            versions,
            explain=explain,
            workers=workers,
            write=_write_scores,
            progress=None if progress is None else lambda done: progress(done, len(ids)),
        )
    return await _score_here(chunks, day, versions, explain, available, progress, len(ids))


async def _score_here(
    chunks: Sequence[list[int]],
    day: dt.date,
    versions: Sequence[LoadedVersion],
    explain: bool,
    available: Mapping[str, ScoringModel] | None,
    progress: Callable[[int, int], None] | None,
    total: int,
) -> int:
    """Batch scoring in this process, pipelined.

    While one batch's features and predictions are computed (in a worker thread), the next
    batch is read and the previous one written, so database waits and CPU work overlap.
    """
    done = 0
    reading: asyncio.Future[dict[int, FirmProfile]] | None = None
    writing: asyncio.Future[None] | None = None
    try:
        reading = asyncio.ensure_future(load_profiles(chunks[0])) if chunks else None
        for n in range(len(chunks)):
            assert reading is not None
            profiles = await reading
            reading = (
                asyncio.ensure_future(load_profiles(chunks[n + 1])) if n + 1 < len(chunks) else None
            )
            batch = await asyncio.to_thread(
                score_profiles, profiles, day, versions, explain, available
            )
            if writing is not None:
                await writing
            writing = asyncio.ensure_future(_write_scores(batch))
            done += len(profiles)
            if progress is not None:
                progress(done, total)
        if writing is not None:
            await writing
    finally:
        # On a failure, stop the read or write still running: nothing may touch the
        # database after this returns (the caller may close it).
        unfinished = [f for f in (reading, writing) if f is not None and not f.done()]
        for future in unfinished:
            future.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
    return done
