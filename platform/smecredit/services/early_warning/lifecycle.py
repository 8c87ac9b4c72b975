"""Warning lifecycle for officers: open -> acknowledged -> in_progress -> resolved/dismissed.

Builds on the core steps of :mod:`smecredit.services.warnings` (acknowledge, resolve,
dismiss) and adds starting work, assignment and comments. Every step is written to the
warning's history (:class:`~smecredit.models.WarningEvent`), to the security audit trail,
and pushed to live subscribers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.transactions import in_transaction

from smecredit import models
from smecredit.errors import InvalidInput, NotFound
from smecredit.services import warnings as core
from smecredit.services.early_warning.broadcast import Broadcaster, get_broadcaster
from smecredit.services.early_warning.config import audit
from smecredit.services.early_warning.scan import publish

__all__ = ["acknowledge", "assign", "comment", "dismiss", "resolve", "start_progress"]


def _name(actor: Any) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return str(getattr(actor, "username", None) or actor)


async def _record(
    warning: models.Warning,
    kind: str,
    from_status: str | None,
    actor: Any,
    note: str | None,
    settings: Any,
    broadcaster: Broadcaster | None,
) -> models.Warning:
    now = dt.datetime.now(dt.UTC)
    async with in_transaction() as conn:
        await models.WarningEvent.create(
            warning_id=warning.id,
            kind=kind,
            from_status=from_status,
            to_status=warning.status,
            severity=warning.severity,
            observed_value=warning.observed_value,
            actor=_name(actor),
            note=note,
            at=now,
            using_db=conn,
        )
        await audit(
            actor,
            f"warning.{kind}",
            f"Warning:{warning.id}",
            after={"status": warning.status, "assignee": warning.assignee, "note": note},
            conn=conn,
        )
    bus = broadcaster if broadcaster is not None else get_broadcaster(settings)
    await publish(bus, [(warning.id, kind)])
    return warning


async def acknowledge(
    warning_id: int,
    *,
    actor: Any = None,
    expected_version: int | None = None,
    settings: Any = None,
    broadcaster: Broadcaster | None = None,
) -> models.Warning:
    """open -> acknowledged (assigns the warning to the actor when unassigned)."""
    row, before = await core.transition(
        warning_id, "acknowledge", note=None, actor=actor, expected_version=expected_version
    )
    return await _record(row, "acknowledged", before, actor, None, settings, broadcaster)


async def resolve(
    warning_id: int,
    *,
    note: str | None = None,
    actor: Any = None,
    expected_version: int | None = None,
    settings: Any = None,
    broadcaster: Broadcaster | None = None,
) -> models.Warning:
    """Close a warning whose cause was dealt with."""
    row, before = await core.transition(
        warning_id, "resolve", note=note, actor=actor, expected_version=expected_version
    )
    return await _record(row, "resolved", before, actor, note, settings, broadcaster)


async def dismiss(
    warning_id: int,
    *,
    reason: str,
    actor: Any = None,
    expected_version: int | None = None,
    settings: Any = None,
    broadcaster: Broadcaster | None = None,
) -> models.Warning:
    """Close a warning judged a false alarm; ``reason`` is required (``REASON_REQUIRED``)."""
    row, before = await core.transition(
        warning_id, "dismiss", note=reason, actor=actor, expected_version=expected_version
    )
    return await _record(row, "dismissed", before, actor, reason, settings, broadcaster)


async def start_progress(
    warning_id: int,
    *,
    actor: Any = None,
    expected_version: int | None = None,
    settings: Any = None,
    broadcaster: Broadcaster | None = None,
) -> models.Warning:
    """open/acknowledged -> in_progress: someone is working on it."""
    row, before = await core.guarded_update(
        warning_id,
        ("open", "acknowledged"),
        {"status": "in_progress"},
        expected_version,
        refused="not possible for",
    )
    return await _record(row, "in_progress", before, actor, None, settings, broadcaster)


async def assign(
    warning_id: int,
    *,
    assignee: str,
    actor: Any = None,
    expected_version: int | None = None,
    settings: Any = None,
    broadcaster: Broadcaster | None = None,
) -> models.Warning:
    """Give an active warning to an officer (by user name)."""
    if not assignee or not assignee.strip():
        raise InvalidInput("an assignee is required", code="ASSIGNEE_REQUIRED")
    row, before = await core.guarded_update(
        warning_id,
        ("open", "acknowledged", "in_progress"),
        {"assignee": assignee.strip()},
        expected_version,
        refused="not possible for",
    )
    return await _record(row, "assigned", before, actor, assignee.strip(), settings, broadcaster)


async def comment(
    warning_id: int,
    *,
    body: str,
    actor: Any = None,
    settings: Any = None,
    broadcaster: Broadcaster | None = None,
) -> models.WarningComment:
    """Add a comment (any status: a closed warning may still be discussed)."""
    if not body or not body.strip():
        raise InvalidInput("a comment cannot be empty", code="COMMENT_REQUIRED")
    warning = await models.Warning.get_or_none(id=warning_id)
    if warning is None:
        raise NotFound(f"Warning {warning_id} not found")
    row = await models.WarningComment.create(
        warning_id=warning_id, author=_name(actor), body=body.strip()
    )
    await _record(warning, "commented", warning.status, actor, body.strip(), settings, broadcaster)
    return row
