"""The grade an application is routed on, and decisions against the recommendation.

* On submission the champion's grade becomes the application's system grade and, until an
  analyst says otherwise, its decided grade (:func:`record_system_grade`).
* A risk analyst may override the decided grade with a reason
  (:func:`override_grade`): a :class:`~smecredit.models.DecisionOverride` of kind
  ``grade`` records the model's and the analyst's grade, and the approvals of the round
  (given under the old routing) no longer stand.
* An approval against the recommendation (:mod:`smecredit.domain.decision_overrides`)
  needs an override reason; :func:`record_approval_overrides` records every finding.
* :func:`override_rates` reports how often each kind happened and how the overridden
  loans fared.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from smecredit.domain.authority import RISK_GRADES, normalize_grade
from smecredit.domain.decision_overrides import OVERRIDE_KINDS, Finding, Recommendation, summary
from smecredit.domain.errors import PreconditionFailed, ReasonRequired
from smecredit.domain.four_eyes import enforce as enforce_four_eyes
from smecredit.domain.loan_states import LoanState
from smecredit.errors import NotFound
from smecredit.models import ApplicationScoreRecord, DecisionOverride, Loan, LoanApplication
from smecredit.security.operations import SYSTEM, authorize, in_scope
from smecredit.security.principal import Principal
from smecredit.security.row_scope import scoped_rows
from smecredit.services.lending.support import (
    actor_id,
    audit,
    check_version,
    dec,
    lock,
    now,
    update_versioned,
)
from smecredit.services.transactions import atomic

__all__ = [
    "GRADEABLE_STATES",
    "OverrideReasonRequired",
    "override_grade",
    "override_rates",
    "recommendation_of",
    "record_approval_overrides",
    "record_system_grade",
]

#: States in which an analyst may change the grade (before any decision).
GRADEABLE_STATES = frozenset({LoanState.SUBMITTED, LoanState.UNDER_REVIEW, LoanState.APPEALED})


class OverrideReasonRequired(ReasonRequired):
    """An approval against the recommendation was given without an override reason."""

    code = "OVERRIDE_REASON_REQUIRED"


async def record_system_grade(
    application_id: int,
    grade: str | None,
    model_name: str | None,
    model_version: str | None,
) -> LoanApplication:
    """Store the champion's grade on a just-submitted application (None: not scored).

    The decided grade follows it: a resubmitted application is routed on its new score,
    not on an analyst's grade of the terms it had before. A grade outside the authority
    matrix's A-G scale counts as no grade.
    """
    usable = grade if grade in RISK_GRADES else None

    async def work(conn: BaseDBAsyncClient) -> LoanApplication:
        application = await lock(LoanApplication, application_id, conn)
        if application is None:
            raise NotFound(f"application {application_id} not found")
        before = {"risk_grade": application.risk_grade, "system_grade": application.system_grade}
        await update_versioned(
            application,
            conn,
            system_grade=usable,
            risk_grade=usable,
            grade_model_name=model_name if usable else None,
            grade_model_version=model_version if usable else None,
        )
        await audit(
            SYSTEM,
            "application.grade",
            f"LoanApplication:{application_id}",
            before=before,
            after={"system_grade": usable, "model": f"{model_name} {model_version}"},
            connection=conn,
        )
        return application

    return await atomic(work, what=f"grading application {application_id}")


async def override_grade(
    application_id: int,
    principal: Principal,
    grade: str,
    reason: str | None,
    *,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> LoanApplication:
    """Set the grade the application is routed on (a risk analyst, with a reason).

    Raises:
        PermissionDenied: the caller may not (``application.override_grade``).
        NotFound: no such application within the caller's branches.
        DomainError: ``INVALID_RISK_GRADE``; ``REASON_REQUIRED``; ``FOUR_EYES`` for the
            application's maker; ``PRECONDITION_FAILED`` once decided or to the same grade.
        Conflict: the application is not at ``expected_version``.
    """
    authorize(principal, "application.override_grade")
    decided = normalize_grade(grade)
    why = (reason or "").strip()
    at = at or now()
    me = actor_id(principal)

    async def work(conn: BaseDBAsyncClient) -> LoanApplication:
        application = await lock(LoanApplication, application_id, conn)
        if application is None or not in_scope(principal, application.branch_code):
            raise NotFound(f"application {application_id} not found")
        check_version(application, expected_version, f"application {application_id}")
        state = LoanState(application.state)
        if state not in GRADEABLE_STATES:
            raise PreconditionFailed(
                f"the grade can be changed only while the application is submitted, under "
                f"review or appealed, not {state.value.replace('_', ' ')}"
            )
        enforce_four_eyes("application.override_grade", me, {"maker": application.maker_id})
        if decided == application.risk_grade:
            raise PreconditionFailed(f"the application is already graded {decided}")
        if not why:
            raise ReasonRequired("changing the model's grade needs a reason")
        await DecisionOverride.create(
            application_id=application.id,
            kind="grade",
            system_value=application.system_grade,
            decided_value=decided,
            reason=why,
            actor=me,
            at=at,
            approval_round=application.approval_round,
            using_db=conn,
        )
        before = {"risk_grade": application.risk_grade}
        # approvals given under the old routing do not stand
        await update_versioned(
            application,
            conn,
            risk_grade=decided,
            approval_round=application.approval_round + 1,
        )
        await audit(
            principal,
            "application.override_grade",
            f"LoanApplication:{application_id}",
            before=before,
            after={"risk_grade": decided, "system_grade": application.system_grade, "reason": why},
            connection=conn,
        )
        return application

    return await atomic(work, what=f"overriding the grade of application {application_id}")


async def recommendation_of(application_id: int) -> Recommendation | None:
    """The suggested limit and price band of the application's latest score, if any."""
    record = (
        await ApplicationScoreRecord.filter(application_id=application_id).order_by("-id").first()
    )
    if record is None:
        return None
    return Recommendation(dec(record.suggested_limit), dec(record.rate_low), dec(record.rate_high))


async def record_approval_overrides(
    application: LoanApplication,
    principal: Principal,
    found: list[Finding],
    override_reason: str | None,
    at: dt.datetime,
    conn: BaseDBAsyncClient,
) -> None:
    """Record the findings of an approval against the recommendation, in its transaction.

    Raises:
        OverrideReasonRequired: findings but no override reason (nothing is recorded).
    """
    if not found:
        return
    why = (override_reason or "").strip()
    if not why:
        raise OverrideReasonRequired(summary(found))
    rows: list[Any] = [
        DecisionOverride(
            application_id=application.id,
            kind=f.kind,
            system_value=f.system_value,
            decided_value=f.decided_value,
            reason=why,
            actor=actor_id(principal),
            at=at,
            approval_round=application.approval_round,
        )
        for f in found
    ]
    await DecisionOverride.bulk_create(rows, using_db=conn)


async def override_rates(principal: Principal) -> list[dict[str, Any]]:
    """Per override kind: how often decisions went against the recommendation, and how
    the overridden loans fared, within the caller's branches.

    Each row: ``kind``, ``overridden`` (applications with such an override), ``decided``
    (applications decided at all: approved or beyond, or rejected), ``rate`` (overridden
    / decided, None when nothing was decided), ``loans`` (overridden applications that
    became loans) and ``non_performing`` (of those loans, how many are substandard or
    worse, or written off).

    Raises:
        PermissionDenied: the caller may not read them (``decision_override.view``).
    """
    authorize(principal, "decision_override.view")
    decided_states = [
        s.value
        for s in (
            LoanState.APPROVED,
            LoanState.REJECTED,
            LoanState.DISBURSED,
            LoanState.ACTIVE,
            LoanState.CLOSED,
            LoanState.WRITTEN_OFF,
            LoanState.CANCELLED,
        )
    ]
    scoped = scoped_rows(principal, LoanApplication)
    decided = await scoped.filter(state__in=decided_states).count()
    visible = await scoped.values_list("id", flat=True)
    rows = await DecisionOverride.filter(application_id__in=list(visible)).values(
        "kind", "application_id"
    )
    by_kind: dict[str, set[int]] = {kind: set() for kind in OVERRIDE_KINDS}
    for row in rows:
        by_kind.setdefault(row["kind"], set()).add(row["application_id"])
    out: list[dict[str, Any]] = []
    for kind, ids in by_kind.items():
        loans = (
            await Loan.filter(applications__id__in=list(ids))
            .distinct()
            .values("status", "classification")
        )
        bad = sum(
            1
            for loan in loans
            if loan["status"] == LoanState.WRITTEN_OFF.value
            or loan["classification"] in _NON_PERFORMING
        )
        out.append(
            {
                "kind": kind,
                "description": OVERRIDE_KINDS.get(kind, kind),
                "overridden": len(ids),
                "decided": decided,
                "rate": (len(ids) / decided) if decided else None,
                "loans": len(loans),
                "non_performing": bad,
            }
        )
    return out


_NON_PERFORMING = frozenset({"substandard", "doubtful", "loss"})
