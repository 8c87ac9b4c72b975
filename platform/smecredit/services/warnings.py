"""Warning lifecycle steps available in the core: acknowledge, resolve, dismiss."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from tortoise.transactions import in_transaction

from smecredit import models
from smecredit.errors import ApiError, Conflict, InvalidInput, NotFound

__all__ = [
    "WARNING_TRANSITIONS",
    "acknowledge",
    "dismiss",
    "guarded_update",
    "resolve",
    "transition",
]

#: action -> (allowed source statuses, target status)
WARNING_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "acknowledge": (("open",), "acknowledged"),
    "resolve": (("open", "acknowledged", "in_progress"), "resolved"),
    "dismiss": (("open", "acknowledged", "in_progress"), "dismissed"),
}


class InvalidWarningTransition(ApiError):
    """The warning's status does not allow the action."""

    code = "INVALID_TRANSITION"


async def guarded_update(
    warning_id: int,
    sources: tuple[str, ...],
    changes: dict[str, Any] | Callable[[models.Warning], dict[str, Any]],
    expected_version: int | None,
    *,
    refused: str,
) -> tuple[models.Warning, str]:
    """Change a warning whose status is one of ``sources``, with optimistic locking.

    The one place a warning's status moves: the core steps here and the early-warning
    lifecycle both go through it.

    Args:
        warning_id: the warning.
        sources: statuses the change is allowed from.
        changes: column values, or a function of the current row returning them.
        expected_version: the version the caller read (None: the current one).
        refused: how the refusal message starts, e.g. ``"cannot acknowledge"``.

    Returns:
        The updated row and the status it had before.

    Raises:
        NotFound, InvalidWarningTransition, Conflict.
    """
    async with in_transaction() as conn:
        warning = await models.Warning.filter(id=warning_id).using_db(conn).first()
        if warning is None:
            raise NotFound(f"Warning {warning_id} not found")
        if warning.status not in sources:
            raise InvalidWarningTransition(
                f"{refused} a warning that is {warning.status} (allowed from: {', '.join(sources)})"
            )
        version = warning.version if expected_version is None else expected_version
        values = changes(warning) if callable(changes) else changes
        values = {**values, "version": version + 1, "updated_at": dt.datetime.now(dt.UTC)}
        updated = (
            await models.Warning.filter(id=warning_id, version=version)
            .using_db(conn)
            .update(**values)
        )
        if updated == 0:
            raise Conflict(
                f"Warning {warning_id} was changed by someone else: it is at version "
                f"{warning.version}, you expected {version}. Reload it and try again."
            )
        fresh = await models.Warning.filter(id=warning_id).using_db(conn).get()
        return fresh, warning.status


async def transition(
    warning_id: int, action: str, *, note: str | None, actor: Any, expected_version: int | None
) -> tuple[models.Warning, str]:
    """Apply a core step (``acknowledge``, ``resolve``, ``dismiss``); return row and old status."""
    sources, target = WARNING_TRANSITIONS[action]
    if action == "dismiss":
        if not note or not note.strip():
            raise InvalidInput("dismissing a warning needs a reason", code="REASON_REQUIRED")
        note = note.strip()
    now = dt.datetime.now(dt.UTC)

    def changes(warning: models.Warning) -> dict[str, Any]:
        values: dict[str, Any] = {"status": target}
        if action == "acknowledge":
            values["acknowledged_at"] = now
            if actor is not None and getattr(actor, "username", None):
                values["assignee"] = warning.assignee or actor.username
        else:
            values["resolved_at"] = now
            values["resolution_note"] = note
        return values

    return await guarded_update(
        warning_id, sources, changes, expected_version, refused=f"cannot {action}"
    )


async def _transition(
    warning_id: int, action: str, *, note: str | None, actor: Any, expected_version: int | None
) -> models.Warning:
    row, _ = await transition(
        warning_id, action, note=note, actor=actor, expected_version=expected_version
    )
    return row


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
    """Close a warning judged a false alarm: a reason is required (``REASON_REQUIRED``)."""
    return await _transition(
        warning_id, "dismiss", note=reason, actor=actor, expected_version=expected_version
    )
