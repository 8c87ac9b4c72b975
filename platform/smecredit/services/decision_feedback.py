"""Feedback on credit decisions: the scan that raises decision alerts, and their answers.

:func:`scan_decisions` reads the decisions of the window (the final approval or rejection
of each application, with its grade, overrides, appeal and what became of its loan),
compares them to the bounds (``SMECREDIT_DECISION_FEEDBACK_BOUNDS``;
:mod:`smecredit.domain.decision_feedback`) and raises a :class:`~smecredit.models.DecisionAlert`
per finding. One alert stays open per kind and subject: a later scan refreshes its figures
and decisions instead of raising another. Alerts go to the risk manager: ``risk_analyst``
users read them (``decisionAlerts``) and each raised alert is an audit row.

:func:`respond_to_alert` acknowledges or closes an alert with the response: the criteria
or parameter changes made in answer, and what they point at (a credit policy version, a
policy rule version). A closed alert frees its kind and subject: the next finding raises a
new alert.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from smecredit import models
from smecredit.domain.decision_feedback import Decision, FeedbackBounds, findings, parse_bounds
from smecredit.domain.errors import InvalidTransition
from smecredit.domain.loan_states import Action, LoanState
from smecredit.errors import InvalidInput, NotFound
from smecredit.security.operations import authorize
from smecredit.security.principal import Principal
from smecredit.services import audit
from smecredit.services.transactions import atomic

__all__ = [
    "ALERT_STATUSES",
    "FeedbackSummary",
    "bounds_of",
    "load_decisions",
    "respond_to_alert",
    "scan_decisions",
]

#: The life of an alert: open -> acknowledged -> closed (or open -> closed).
ALERT_STATUSES = ("open", "acknowledged", "closed")
_MOVES = {"open": {"acknowledged", "closed"}, "acknowledged": {"closed"}, "closed": set()}
_DPD_DEFAULT = 90
_MAX_RESPONSE = 4000
_MAX_REF = 128


@dataclass(frozen=True, slots=True)
class FeedbackSummary:
    """What a scan did: decisions read, alerts raised and refreshed, their ids."""

    decisions: int
    raised: int
    refreshed: int
    alert_ids: tuple[int, ...]


def bounds_of(settings: Any) -> FeedbackBounds:
    """The bounds the settings give (checked when the settings were loaded)."""
    return parse_bounds(getattr(settings, "decision_feedback_bounds", "") or "")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _first_defaults(loan_ids: list[int]) -> dict[int, dt.date]:
    rows = await models.ClassificationHistory.filter(
        loan_id__in=loan_ids, dpd__gte=_DPD_DEFAULT
    ).values_list("loan_id", "as_of")
    first: dict[int, dt.date] = {}
    for loan_id, as_of in rows:
        if loan_id not in first or as_of < first[loan_id]:
            first[loan_id] = as_of
    return first


async def load_decisions(since: dt.datetime) -> list[Decision]:
    """The final decision of every application decided since ``since``."""
    final = {LoanState.APPROVED.value, LoanState.REJECTED.value}
    steps = (
        await models.ApplicationTransition.filter(
            action__in=(Action.APPROVE.value, Action.REJECT.value, Action.APPEAL.value)
        )
        .order_by("id")
        .values_list("application_id", "action", "to_state", "actor", "at")
    )
    last: dict[int, tuple[str, str, dt.datetime]] = {}
    appealed: dict[int, bool] = defaultdict(bool)
    for app_id, action, to_state, actor, at in steps:
        if action == Action.APPEAL.value:
            appealed[app_id] = True
        elif to_state in final:
            last[app_id] = (to_state, actor, at)
    ids = [a for a, (_, _, at) in last.items() if at >= since]
    if not ids:
        return []
    apps = {
        row["id"]: row
        for row in await models.LoanApplication.filter(id__in=ids).values(
            "id", "risk_grade", "loan_id"
        )
    }
    overridden = set(
        await models.DecisionOverride.filter(application_id__in=ids).values_list(
            "application_id", flat=True
        )
    )
    loan_ids = [row["loan_id"] for row in apps.values() if row["loan_id"] is not None]
    disbursed = dict(await models.Loan.filter(id__in=loan_ids).values_list("id", "disbursed_on"))
    defaults = await _first_defaults(loan_ids)
    out: list[Decision] = []
    for app_id in sorted(ids):
        to_state, actor, _ = last[app_id]
        loan_id = apps[app_id]["loan_id"]
        out.append(
            Decision(
                application_id=app_id,
                approver=actor,
                grade=apps[app_id]["risk_grade"],
                approved=to_state == LoanState.APPROVED.value,
                overridden=app_id in overridden,
                appealed=appealed[app_id],
                disbursed_on=disbursed.get(loan_id) if loan_id else None,
                first_default_on=defaults.get(loan_id) if loan_id else None,
            )
        )
    return out


async def scan_decisions(
    principal: Principal, settings: Any, *, now: dt.datetime | None = None
) -> FeedbackSummary:
    """Raise (or refresh) an alert for every rate beyond its bound (``decision_feedback.run``)."""
    authorize(principal, "decision_feedback.run")
    now = now or _utcnow()
    bounds = bounds_of(settings)
    decisions = await load_decisions(now - dt.timedelta(days=bounds.window_days))
    found = findings(decisions, bounds)

    async def work(conn: BaseDBAsyncClient) -> FeedbackSummary:
        raised = refreshed = 0
        ids: list[int] = []
        keys = [f"{f.kind}:{f.subject}"[:170] for f in found]
        # the open alerts of every finding in one query, not one query per finding
        open_ids = dict(
            await models.DecisionAlert.filter(open_key__in=keys)
            .using_db(conn)
            .values_list("open_key", "id")
        )
        for f, key in zip(found, keys, strict=True):
            figures = {
                "value": f.value,
                "bound": f.bound,
                "sample": f.sample,
                "window_days": bounds.window_days,
                "application_ids": list(f.application_ids),
            }
            open_id = open_ids.get(key)
            if open_id is not None:
                await models.DecisionAlert.filter(id=open_id).using_db(conn).update(**figures)
                refreshed += 1
                ids.append(open_id)
                continue
            alert = await models.DecisionAlert.create(
                kind=f.kind,
                subject=f.subject[:128],
                open_key=key,
                raised_at=now,
                using_db=conn,
                **figures,
            )
            await audit.record(
                principal,
                "decision_alert.raise",
                f"DecisionAlert:{alert.id}",
                after={"kind": f.kind, "subject": f.subject, "value": f.value, "bound": f.bound},
                connection=conn,
            )
            raised += 1
            ids.append(alert.id)
        # the scan itself: what it read and changed (a refresh rewrites an alert's figures)
        await audit.record(
            principal,
            "decision_feedback.run",
            "DecisionFeedback",
            after={"decisions": len(decisions), "raised": raised, "refreshed": refreshed},
            connection=conn,
        )
        return FeedbackSummary(len(decisions), raised, refreshed, tuple(ids))

    return await atomic(work, what="raising decision alerts")


def _clean_response(response: str, reference: str | None) -> tuple[str, str | None]:
    text = (response or "").strip()
    if not text:
        raise InvalidInput(
            "response: say what was changed in answer (criteria, parameters) or why nothing was",
            field="response",
        )
    if len(text) > _MAX_RESPONSE:
        raise InvalidInput(
            f"response: at most {_MAX_RESPONSE} characters, got {len(text)}", field="response"
        )
    ref = (reference or "").strip() or None
    if ref is not None and len(ref) > _MAX_REF:
        raise InvalidInput(f"reference: at most {_MAX_REF} characters", field="reference")
    return text, ref


async def respond_to_alert(
    principal: Principal,
    alert_id: int,
    *,
    status: str,
    response: str,
    reference: str | None = None,
) -> models.DecisionAlert:
    """Acknowledge or close an alert with what was changed in answer (audited).

    Raises:
        InvalidInput: an empty or too long response, a status other than acknowledged or
            closed.
        NotFound: ``ALERT_NOT_FOUND``.
        InvalidTransition: ``INVALID_TRANSITION`` (a closed alert, acknowledging twice).
    """
    authorize(principal, "decision_alert.respond")
    if status not in ("acknowledged", "closed"):
        raise InvalidInput(f"status: {status!r} is not one of acknowledged, closed", field="status")
    text, ref = _clean_response(response, reference)

    async def work(conn: BaseDBAsyncClient) -> models.DecisionAlert:
        alert = await models.DecisionAlert.filter(id=alert_id).using_db(conn).first()
        if alert is None:
            raise NotFound(f"decision alert {alert_id} not found", code="ALERT_NOT_FOUND")
        if status not in _MOVES[alert.status]:
            raise InvalidTransition(
                f"a {alert.status} alert cannot become {status}",
                params={"state": alert.status, "target": status},
            )
        before = {"status": alert.status}
        changes: dict[str, Any] = {
            "status": status,
            "responded_by": principal.username,
            "responded_at": _utcnow(),
            "response": text,
            "response_ref": ref,
        }
        if status == "closed":
            changes["open_key"] = None
        await models.DecisionAlert.filter(id=alert.id).using_db(conn).update(**changes)
        await audit.record(
            principal,
            f"decision_alert.{'close' if status == 'closed' else 'acknowledge'}",
            f"DecisionAlert:{alert.id}",
            before=before,
            after={"status": status, "response": text, "reference": ref},
            connection=conn,
        )
        return await models.DecisionAlert.get(id=alert.id, using_db=conn)

    return await atomic(work, what=f"answering decision alert {alert_id}")
