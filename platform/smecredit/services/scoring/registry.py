"""Model registry: store trained versions, promote to champion/challenger, roll back.

Only a risk analyst or an administrator may promote or roll back; promoting a version to
champion or challenger also needs a reason and a person other than its trainer (four eyes,
:mod:`smecredit.domain.four_eyes`). Every change is written to
:class:`smecredit.models.ModelPromotion` and to the audit trail. Each version carries
the leakage guard's flags (:mod:`smecredit.domain.leakage`), computed when it is
registered against the champion of the day; a flagged version becomes champion or
challenger only with ``acknowledge_leakage`` and a reason (else ``LEAKAGE_UNACKNOWLEDGED``),
and the acknowledgement is kept on the version. There is at most one
champion per use (``application`` or ``behaviour``): promoting a new champion retires the
old one, and :func:`rollback` restores the champion that came before.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from typing import Any

from tortoise.transactions import in_transaction

from smecredit import models
from smecredit.domain.errors import ReasonRequired
from smecredit.domain.four_eyes import enforce as enforce_four_eyes
from smecredit.domain.leakage import describe_flags, flags_from_json, leakage_flags
from smecredit.domain.scorecard_scaling import DEFAULT_MASTER_SCALE, MasterScale
from smecredit.errors import Conflict, InvalidInput, NotFound
from smecredit.models.model_registry import MODEL_USES
from smecredit.security.operations import authorize
from smecredit.security.principal import Principal
from smecredit.services import audit
from smecredit.services.scoring.training import TrainingResult

__all__ = [
    "BASELINE_SAMPLE",
    "challengers",
    "champion",
    "leakage_flags_for",
    "master_scale_of",
    "promote",
    "register_version",
    "rollback",
]

#: Training scores and feature values kept per version for PSI/CSI.
BASELINE_SAMPLE = 5000


def _sample(values: Sequence[Any], indices: Sequence[int]) -> list[Any]:
    out = []
    for i in indices:
        v = values[i]
        out.append(None if isinstance(v, float) and not math.isfinite(v) else v)
    return out


def master_scale_of(version: models.ModelVersion) -> MasterScale:
    """The master scale stored with a version (the default when none was stored)."""
    bands = version.master_scale or []
    if not bands:
        return DEFAULT_MASTER_SCALE
    return MasterScale(tuple((str(g), math.inf if b is None else float(b)) for g, b in bands))


def _validation_auc(metrics: Any) -> float | None:
    value = ((metrics or {}).get("overall") or {}).get("auc")
    return float(value) if isinstance(value, int | float) else None


async def leakage_flags_for(result: TrainingResult, use: str) -> list[dict[str, Any]]:
    """The leakage guard's flags of a training result against the current ``use`` champion."""
    current = await champion(use)
    metrics = result.metrics
    screen = metrics.get("leakage_screen") or {}
    flags = leakage_flags(
        screen.get("iv") or {},
        screen.get("auc") or {},
        model_auc=_validation_auc(metrics),
        champion_auc=_validation_auc(current.metrics) if current else None,
        champion_label=f"the champion {current.name} {current.version}" if current else "",
    )
    return [f.to_json() for f in flags]


async def register_version(
    name: str,
    result: TrainingResult,
    *,
    use: str = "application",
    created_by: str,
    master_scale: MasterScale = DEFAULT_MASTER_SCALE,
) -> models.ModelVersion:
    """Store a trained model as a new ``candidate`` version ``v<n>`` of ``name``, with the
    leakage guard's flags."""
    if use not in MODEL_USES:
        raise InvalidInput(f"use must be one of {', '.join(MODEL_USES)}, got {use!r}")
    n = len(result.training_scores)
    rng = random.Random(0)
    picked = sorted(rng.sample(range(n), BASELINE_SAMPLE)) if n > BASELINE_SAMPLE else range(n)
    indices = list(picked)
    baseline = {
        "scores": _sample(result.training_scores, indices),
        "features": {c: _sample(v, indices) for c, v in result.training_features.items()},
    }
    flags = await leakage_flags_for(result, use)
    async with in_transaction():
        count = await models.ModelVersion.filter(name=name).count()
        return await models.ModelVersion.create(
            name=name,
            version=f"v{count + 1}",
            use=use,
            status="candidate",
            artefact=result.artefact,
            calibration={"a": result.calibration.a, "b": result.calibration.b},
            metrics=result.metrics,
            card=result.card,
            baseline=baseline,
            master_scale=[[g, None if math.isinf(b) else b] for g, b in master_scale.bands],
            training_fingerprint=result.fingerprint,
            leakage_flags=flags,
            created_by=created_by,
        )


async def champion(use: str = "application") -> models.ModelVersion | None:
    """The current champion for ``use``, if any."""
    return await models.ModelVersion.filter(use=use, status="champion").order_by("-id").first()


async def challengers(use: str = "application") -> list[models.ModelVersion]:
    """Challengers for ``use`` (scored in shadow next to the champion)."""
    return await models.ModelVersion.filter(use=use, status="challenger").order_by("id")


async def _change(
    version: models.ModelVersion, to_status: str, action: str, actor: Principal, reason: str
) -> None:
    before = version.status
    version.status = to_status
    await version.save(update_fields=["status"])
    await models.ModelPromotion.create(
        model_version=version,
        from_status=before,
        to_status=to_status,
        action=action,
        actor=actor.username,
        reason=reason,
    )
    await audit.record(
        actor,
        f"model.{action}",
        f"model_version:{version.id}",
        before={"status": before},
        after={"status": to_status},
    )


#: Promotions that put a version to work (champion decides, challenger scores in shadow).
_DECIDING = ("champion", "challenger")


def _check_four_eyes(version: models.ModelVersion, actor: Principal, reason: str) -> None:
    """A promotion needs a reason and a person other than the version's trainer."""
    if not reason.strip():
        raise ReasonRequired(f"promoting model version {version.id} needs a reason")
    enforce_four_eyes("model.promote", actor.username, {"trainer": version.created_by})


async def promote(
    version_id: int,
    *,
    to: str = "champion",
    actor: Principal,
    reason: str = "",
    acknowledge_leakage: bool = False,
) -> models.ModelVersion:
    """Make a version the champion (retiring the old one), a challenger, or retire it.

    A version the leakage guard flagged becomes champion or challenger only with
    ``acknowledge_leakage`` and a ``reason``: who, when, why and the flags are then kept
    on the version (``leakage_acknowledgement``) and in the audit trail. One
    acknowledgement holds for the version's later promotions.

    Raises:
        PermissionDenied: the actor may not promote models (``model.promote``).
        NotFound: no such version.
        InvalidInput: ``to`` is not champion, challenger or retired.
        Conflict: the version already has that status.
        ReasonRequired: promoting to champion or challenger without a reason.
        FourEyesViolation: the actor trained the version (code ``FOUR_EYES``).
        Conflict: ``LEAKAGE_UNACKNOWLEDGED`` when the version is flagged and the flags
            were not acknowledged with a reason.
    """
    authorize(actor, "model.promote")
    if to not in ("champion", "challenger", "retired"):
        raise InvalidInput(f"cannot promote to {to!r}; use champion, challenger or retired")
    async with in_transaction():
        version = await models.ModelVersion.get_or_none(id=version_id)
        if version is None:
            raise NotFound(f"model version {version_id} does not exist")
        if version.status == to:
            raise Conflict(f"model version {version_id} is already {to}")
        if to in _DECIDING:
            _check_four_eyes(version, actor, reason)
            await _check_leakage(version, actor, reason, acknowledge_leakage)
        if to == "champion":
            current = await champion(version.use)
            if current is not None:
                await _change(current, "retired", "retire", actor, f"replaced by {version_id}")
        await _change(version, to, "promote", actor, reason)
        return version


async def _check_leakage(
    version: models.ModelVersion, actor: Principal, reason: str, acknowledged: bool
) -> None:
    """Refuse a flagged version unless acknowledged with a reason; keep the acknowledgement."""
    flags = flags_from_json(version.leakage_flags)
    if not flags or (version.leakage_acknowledgement and not acknowledged):
        return  # nothing flagged, or acknowledged at an earlier promotion of this version
    label = f"{version.name} {version.version}"
    if not acknowledged or not reason.strip():
        missing = "acknowledgeLeakage: true" if not acknowledged else "a reason"
        raise Conflict(
            f"model {label} is flagged for possible leakage and needs {missing} to be "
            f"promoted: {describe_flags(flags)}",
            code="LEAKAGE_UNACKNOWLEDGED",
            flags=[f.to_json() for f in flags],
        )
    version.leakage_acknowledgement = {
        "by": actor.username,
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "reason": reason.strip(),
        "flags": [f.to_json() for f in flags],
    }
    await version.save(update_fields=["leakage_acknowledgement"])
    await audit.record(
        actor,
        "model.acknowledge_leakage",
        f"model_version:{version.id}",
        after={"reason": reason.strip(), "flags": [f.kind for f in flags]},
    )


async def rollback(
    use: str = "application", *, actor: Principal, reason: str = ""
) -> models.ModelVersion:
    """Retire the current champion and restore the champion it replaced.

    Raises:
        PermissionDenied: the actor may not roll models back (``model.rollback``).
        NotFound: no champion or no earlier one.
    """
    authorize(actor, "model.rollback")
    async with in_transaction():
        current = await champion(use)
        if current is None:
            raise NotFound(f"there is no {use} champion to roll back", code="NO_CHAMPION")
        previous = (
            await models.ModelPromotion.filter(
                from_status="champion",
                to_status="retired",
                model_version__use=use,
            )
            .exclude(model_version_id=current.id)
            .order_by("-id")
            .prefetch_related("model_version")
            .first()
        )
        if previous is None:
            raise NotFound(
                f"no earlier {use} champion to roll back to", code="NO_PREVIOUS_CHAMPION"
            )
        restored = previous.model_version
        await _change(current, "retired", "rollback", actor, reason)
        await _change(restored, "champion", "rollback", actor, reason)
        return restored
