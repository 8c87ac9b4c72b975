"""The credit policy in force, its history, and how the risk team changes it.

The policy (see :mod:`smecredit.domain.credit_policy`) is versioned: a change stores a new
:class:`smecredit.models.CreditPolicyVersion` with the next version number, and the newest
one is in force from the next application scored. Version 0 is the built-in
:data:`~smecredit.domain.credit_policy.DEFAULT_CREDIT_POLICY`, in force until a first
version is stored. Each application score records the version that produced its limit
and band.

Only a risk analyst or an administrator may change the policy; every change is audited
with the old and the new terms.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from smecredit import models
from smecredit.domain.credit_policy import (
    DEFAULT_CREDIT_POLICY,
    CreditPolicy,
    CreditPolicyError,
    CreditSuggestion,
)
from smecredit.domain.scorecard_scaling import DEFAULT_MASTER_SCALE
from smecredit.errors import Conflict, InvalidInput
from smecredit.security.operations import authorize
from smecredit.security.principal import Principal
from smecredit.services import audit
from smecredit.services.scoring.registry import master_scale_of

__all__ = [
    "BUILT_IN",
    "ActivePolicy",
    "active_of",
    "current_policy",
    "policy_history",
    "policy_version",
    "scale_grades",
    "set_policy",
    "suggest",
]

#: Statuses whose versions score firms: their grades must all be covered.
_IN_USE = ("champion", "challenger")


@dataclass(frozen=True)
class ActivePolicy:
    """A stored (or the built-in) version of the credit policy.

    Attributes:
        version: the version number, 0 for the built-in default.
        policy: the terms.
        author: who stored it (``system`` for the default).
        note: why.
        created_at: when (None for the default).
    """

    version: int
    policy: CreditPolicy
    author: str
    note: str
    created_at: dt.datetime | None


#: The built-in version 0, in force while no version is stored.
BUILT_IN = ActivePolicy(0, DEFAULT_CREDIT_POLICY, audit.SYSTEM_ACTOR, "built-in default", None)


def active_of(row: models.CreditPolicyVersion) -> ActivePolicy:
    """The policy a stored version holds."""
    return ActivePolicy(
        version=row.version,
        policy=CreditPolicy.from_json(row.terms),
        author=row.author,
        note=row.note,
        created_at=row.created_at,
    )


async def current_policy() -> ActivePolicy:
    """The policy in force: the newest stored version, else the built-in version 0."""
    row = await models.CreditPolicyVersion.all().order_by("-version").first()
    return BUILT_IN if row is None else active_of(row)


async def policy_version(version: int) -> ActivePolicy | None:
    """One version of the policy (0 is the built-in default), or None when unknown."""
    if version == 0:
        return BUILT_IN
    row = await models.CreditPolicyVersion.get_or_none(version=version)
    return None if row is None else active_of(row)


async def policy_history(limit: int = 100) -> list[ActivePolicy]:
    """Stored versions, newest first, then the built-in version 0."""
    rows = await models.CreditPolicyVersion.all().order_by("-version").limit(limit)
    return [active_of(r) for r in rows] + [BUILT_IN]


async def scale_grades() -> tuple[list[str], list[str]]:
    """Grades a policy must cover, and further grades it may cover.

    Must: the grades of every champion's and challenger's master scale (the default scale
    while there is none). May: the grades of the other registered versions, so a policy
    can be prepared before a version with another scale is promoted.
    """
    rows = await models.ModelVersion.all().order_by("id").only("id", "status", "master_scale")
    required: list[str] = []
    allowed: list[str] = []
    for row in rows:
        target = required if row.status in _IN_USE else allowed
        target.extend(g for g in master_scale_of(row).grades if g not in target)
    if not required:
        required = list(DEFAULT_MASTER_SCALE.grades)
    return required, [g for g in allowed if g not in required]


async def set_policy(policy: CreditPolicy, *, actor: Principal, note: str) -> ActivePolicy:
    """Store ``policy`` as the next version, in force from the next application scored.

    Raises:
        PermissionDenied: the actor may not change the policy (``credit_policy.set``).
        InvalidInput: ``REASON_REQUIRED`` without a note; ``INVALID_CREDIT_POLICY`` with
            every problem in ``problems`` (rates outside [0, ceiling], min above max,
            factors outside [0, 1], a grade of the master scale without terms ...).
        Conflict: someone stored a version at the same moment (retry).
    """
    authorize(actor, "credit_policy.set")
    if not note.strip():
        raise InvalidInput("say why the credit policy changes (note)", code="REASON_REQUIRED")
    required, allowed = await scale_grades()
    try:
        policy.validate(required, allowed)
    except CreditPolicyError as error:
        raise InvalidInput(error.message, code=error.code, problems=error.problems) from None
    try:
        async with in_transaction() as conn:
            newest = (
                await models.CreditPolicyVersion.all().using_db(conn).order_by("-version").first()
            )
            before = BUILT_IN if newest is None else active_of(newest)
            row = await models.CreditPolicyVersion.create(
                version=before.version + 1,
                terms=policy.to_json(),
                author=actor.username,
                note=note.strip(),
                using_db=conn,
            )
            await audit.record(
                actor,
                "credit_policy.change",
                f"CreditPolicy:{row.version}",
                before={"version": before.version, **before.policy.to_json()},
                after={"version": row.version, **row.terms},
                connection=conn,
            )
    except IntegrityError:
        raise Conflict(
            "the credit policy was changed at the same moment; reload it and retry"
        ) from None
    return active_of(row)


async def suggest(
    *, grade: str, pd: float, amount: Decimal, annual_revenue: Decimal | None
) -> tuple[ActivePolicy, CreditSuggestion]:
    """The policy in force and its suggested limit and price band for one application.

    Raises:
        InvalidInput: ``GRADE_NOT_COVERED`` when the policy has no terms for the grade (a
            champion with another master scale was promoted: update the policy), or
            ``INVALID_AMOUNT`` for a negative amount.
    """
    active = await current_policy()
    try:
        offer = active.policy.suggest(
            grade=grade, pd=pd, amount=amount, annual_revenue=annual_revenue
        )
    except CreditPolicyError as error:
        raise InvalidInput(
            f"credit policy version {active.version}: {error.message}", code=error.code
        ) from None
    return active, offer
