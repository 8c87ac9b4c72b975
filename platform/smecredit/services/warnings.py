"""Warning lifecycle steps available in the core: acknowledge, resolve, dismiss."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.transactions import in_transaction

from smecredit import models
from smecredit.errors import ApiError, Conflict, InvalidInput, NotFound

__all__ = ["WARNING_TRANSITIONS", "acknowledge", "dismiss", "resolve"]

#: action -> (allowed source statuses, target status)
WARNING_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "acknowledge": (("open",), "acknowledged"),
    "resolve": (("open", "acknowledged", "in_progress"), "resolved"),
    "dismiss": (("open", "acknowledged", "in_progress"), "dismissed"),
}


class InvalidWarningTransition(ApiError):
    """The warning's status does not allow the action."""

    code = "INVALID_TRANSITION"


async def _transition(
    warning_id: int, action: str, *, note: str | None, actor: Any, expected_version: int | None
) -> models.Warning:
    sources, target = WARNING_TRANSITIONS[action]
    now = dt.datetime.now(dt.UTC)
    async with in_transaction() as conn:
        warning = await models.Warning.filter(id=warning_id).using_db(conn).first()
        if warning is None:
            raise NotFound(f"Warning {warning_id} not found")
        if warning.status not in sources:
            raise InvalidWarningTransition(
                f"cannot {action} a warning that is {warning.status} "
                f"(allowed from: {', '.join(sources)})"
            )
        version = warning.version if expected_version is None else expected_version
        changes: dict[str, Any] = {"status": target, "version": version + 1, "updated_at": now}
        if action == "acknowledge":
            changes["acknowledged_at"] = now
            if actor is not None and getattr(actor, "username", None):
                changes["assignee"] = warning.assignee or actor.username
        else:
            changes["resolved_at"] = now
            changes["resolution_note"] = note
        updated = (
            await models.Warning.filter(id=warning_id, version=version)
            .using_db(conn)
            .update(**changes)
        )
        if updated == 0:
            raise Conflict(
                f"Warning {warning_id} was changed by someone else: it is at version "
                f"{warning.version}, you expected {version}. Reload it and try again."
            )
        fresh = await models.Warning.filter(id=warning_id).using_db(conn).first()
        assert fresh is not None
        return fresh


async def acknowledge(
    warning_id: int, *, actor: Any = None, expected_version: int | None = None
) -> models.Warning:
    """open -> acknowledged."""
    return await _transition(
        warning_id, "acknowledge", note=None, actor=actor, expected_version=expected_version
    )


async def resolve(
    warning_id: int,
    *,
    note: str | None = None,
    actor: Any = None,
    expected_version: int | None = None,
) -> models.Warning:
    """Close a warning whose cause has been dealt with."""
    return await _transition(
        warning_id, "resolve", note=note, actor=actor, expected_version=expected_version
    )


async def dismiss(
    warning_id: int, *, reason: str, actor: Any = None, expected_version: int | None = None
) -> models.Warning:
    """Close a warning judged a false alarm: a reason is required."""
    if not reason or not reason.strip():
        raise InvalidInput("dismissing a warning needs a reason", code="REASON_REQUIRED")
    return await _transition(
        warning_id, "dismiss", note=reason.strip(), actor=actor, expected_version=expected_version
    )
