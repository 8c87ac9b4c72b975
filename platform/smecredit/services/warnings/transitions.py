"""The one place a warning's status moves: guarded, versioned, within the caller's scope.

The officer steps of :mod:`smecredit.services.warnings.lifecycle` (acknowledge, start,
assign, resolve, dismiss) all go through :func:`guarded_update` inside their own
transaction, so the change, its history row and its audit row commit together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from smecredit import models
from smecredit.errors import ApiError, Conflict, InvalidInput, NotFound
from smecredit.security.principal import Principal
from smecredit.security.row_scope import scoped_rows

__all__ = [
    "WARNING_TRANSITIONS",
    "InvalidWarningTransition",
    "guarded_update",
    "scoped_warning",
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


async def scoped_warning(
    warning_id: int, actor: Principal, conn: BaseDBAsyncClient, *, label: str | None = None
) -> models.Warning:
    """The warning, if it exists within the actor's branches.

    Raises:
        NotFound: no such warning, or one outside the actor's branches (the same answer).
    """
    warning = await scoped_rows(actor, models.Warning).filter(id=warning_id).using_db(conn).first()
    if warning is None:
        raise NotFound(f"{label or f'Warning {warning_id}'} not found")
    return warning


async def guarded_update(
    warning_id: int,
    sources: tuple[str, ...],
    changes: dict[str, Any] | Callable[[models.Warning], dict[str, Any]],
    expected_version: int | None,
    *,
    refused: str,
    actor: Principal,
    conn: BaseDBAsyncClient,
    label: str | None = None,
) -> tuple[models.Warning, str]:
    """Change a warning whose status is one of ``sources``, with optimistic locking.

    Args:
        warning_id: the warning.
        sources: statuses the change is allowed from.
        changes: column values, or a function of the current row returning them.
        expected_version: the version the caller read (None: the current one).
        refused: how the refusal message starts, e.g. ``"cannot acknowledge"``.
        actor: who acts (the warning must be within its branches).
        conn: the caller's transaction.
        label: how a missing warning is named (default ``Warning <id>``).

    Returns:
        The updated row and the status it had before.

    Raises:
        NotFound, InvalidWarningTransition, Conflict.
    """
    warning = await scoped_warning(warning_id, actor, conn, label=label)
    if warning.status not in sources:
        raise InvalidWarningTransition(
            f"{refused} a warning that is {warning.status} (allowed from: {', '.join(sources)})"
        )
    version = warning.version if expected_version is None else expected_version
    values = changes(warning) if callable(changes) else changes
    values = {**values, "version": version + 1, "updated_at": dt.datetime.now(dt.UTC)}
    updated = (
        await models.Warning.filter(id=warning_id, version=version).using_db(conn).update(**values)
    )
    if updated == 0:
        raise Conflict(
            f"{label or f'Warning {warning_id}'} was changed by someone else: it is at version "
            f"{warning.version}, you expected {version}. Reload it and try again."
        )
    fresh = await models.Warning.filter(id=warning_id).using_db(conn).get()
    return fresh, warning.status


async def transition(
    warning_id: int,
    action: str,
    *,
    note: str | None,
    actor: Principal,
    expected_version: int | None,
    conn: BaseDBAsyncClient,
    label: str | None = None,
) -> tuple[models.Warning, str]:
    """Apply ``acknowledge``, ``resolve`` or ``dismiss``; return the row and its old status."""
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
            values["assignee"] = warning.assignee or actor.username
        else:
            values["resolved_at"] = now
            values["resolution_note"] = note
        return values

    return await guarded_update(
        warning_id,
        sources,
        changes,
        expected_version,
        refused=f"cannot {action}",
        actor=actor,
        conn=conn,
        label=label,
    )
