"""Warning lifecycle for officers: open -> acknowledged -> in_progress -> resolved/dismissed.

Every step is an operation of the authorisation table (``warning.acknowledge``,
``warning.start_progress``, ``warning.assign``, ``warning.comment``, ``warning.resolve``,
``warning.dismiss``) on a warning within the actor's branches (one outside answers exactly
as a missing one). The change, its history row (:class:`~smecredit.models.WarningEvent`)
and its audit row commit in one transaction; live subscribers hear of it after the commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from smecredit import models
from smecredit.errors import InvalidInput
from smecredit.security.operations import authorize
from smecredit.security.principal import Principal
from smecredit.services.warnings import transitions as core
from smecredit.services.warnings.broadcast import Broadcaster, get_broadcaster
from smecredit.services.warnings.config import audit
from smecredit.services.warnings.scan import publish

__all__ = ["acknowledge", "assign", "comment", "dismiss", "resolve", "start_progress"]

#: (connection) -> (the warning after the change, its status before)
_Change = Callable[[BaseDBAsyncClient], Awaitable[tuple[models.Warning, str]]]


async def _step(
    operation: str,
    kind: str,
    actor: Principal,
    note: str | None,
    change: _Change,
    settings: Any,
    broadcaster: Broadcaster | None,
) -> models.Warning:
    authorize(actor, operation)
    async with in_transaction() as conn:
        warning, from_status = await change(conn)
        await models.WarningEvent.create(
            warning_id=warning.id,
            kind=kind,
            from_status=from_status,
            to_status=warning.status,
            severity=warning.severity,
            observed_value=warning.observed_value,
            actor=actor.username,
            note=note,
            at=dt.datetime.now(dt.UTC),
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
    actor: Principal,
    expected_version: int | None = None,
    settings: Any = None,
    broadcaster: Broadcaster | None = None,
    label: str | None = None,
) -> models.Warning:
    """open -> acknowledged (assigns the warning to the actor when unassigned)."""

    async def change(conn: BaseDBAsyncClient) -> tuple[models.Warning, str]:
        return await core.transition(
            warning_id,
            "acknowledge",
            note=None,
            actor=actor,
            expected_version=expected_version,
            conn=conn,
            label=label,
        )

    return await _step(
        "warning.acknowledge", "acknowledged", actor, None, change, settings, broadcaster
    )


async def resolve(
    warning_id: int,
    *,
    note: str | None = None,
    actor: Principal,
    expected_version: int | None = None,
    settings: Any = None,
    broadcaster: Broadcaster | None = None,
    label: str | None = None,
) -> models.Warning:
    """Close a warning whose cause was dealt with."""

    async def change(conn: BaseDBAsyncClient) -> tuple[models.Warning, str]:
        return await core.transition(
            warning_id,
            "resolve",
            note=note,
            actor=actor,
            expected_version=expected_version,
            conn=conn,
            label=label,
        )

    return await _step("warning.resolve", "resolved", actor, note, change, settings, broadcaster)


async def dismiss(
    warning_id: int,
    *,
    reason: str,
    actor: Principal,
    expected_version: int | None = None,
    settings: Any = None,
    broadcaster: Broadcaster | None = None,
    label: str | None = None,
) -> models.Warning:
    """Close a warning judged a false alarm; ``reason`` is required (``REASON_REQUIRED``)."""

    async def change(conn: BaseDBAsyncClient) -> tuple[models.Warning, str]:
        return await core.transition(
            warning_id,
            "dismiss",
            note=reason,
            actor=actor,
            expected_version=expected_version,
            conn=conn,
            label=label,
        )

    return await _step("warning.dismiss", "dismissed", actor, reason, change, settings, broadcaster)


async def start_progress(
    warning_id: int,
    *,
    actor: Principal,
    expected_version: int | None = None,
    settings: Any = None,
    broadcaster: Broadcaster | None = None,
    label: str | None = None,
) -> models.Warning:
    """open/acknowledged -> in_progress: someone is working on it."""

    async def change(conn: BaseDBAsyncClient) -> tuple[models.Warning, str]:
        return await core.guarded_update(
            warning_id,
            ("open", "acknowledged"),
            {"status": "in_progress"},
            expected_version,
            refused="not possible for",
            actor=actor,
            conn=conn,
            label=label,
        )

    return await _step(
        "warning.start_progress", "in_progress", actor, None, change, settings, broadcaster
    )


async def assign(
    warning_id: int,
    *,
    assignee: str,
    actor: Principal,
    expected_version: int | None = None,
    settings: Any = None,
    broadcaster: Broadcaster | None = None,
    label: str | None = None,
) -> models.Warning:
    """Give an active warning to an officer (by user name)."""
    if not assignee or not assignee.strip():
        raise InvalidInput("an assignee is required", code="ASSIGNEE_REQUIRED", field="assignee")
    name = assignee.strip()

    async def change(conn: BaseDBAsyncClient) -> tuple[models.Warning, str]:
        return await core.guarded_update(
            warning_id,
            ("open", "acknowledged", "in_progress"),
            {"assignee": name},
            expected_version,
            refused="not possible for",
            actor=actor,
            conn=conn,
            label=label,
        )

    return await _step("warning.assign", "assigned", actor, name, change, settings, broadcaster)


async def comment(
    warning_id: int,
    *,
    body: str,
    actor: Principal,
    settings: Any = None,
    broadcaster: Broadcaster | None = None,
    label: str | None = None,
) -> models.WarningComment:
    """Add a comment (any status: a closed warning may still be discussed)."""
    if not body or not body.strip():
        raise InvalidInput("a comment cannot be empty", code="COMMENT_REQUIRED", field="body")
    text = body.strip()
    made: list[models.WarningComment] = []

    async def change(conn: BaseDBAsyncClient) -> tuple[models.Warning, str]:
        warning = await core.scoped_warning(warning_id, actor, conn, label=label)
        made.append(
            await models.WarningComment.create(
                warning_id=warning_id, author=actor.username, body=text, using_db=conn
            )
        )
        return warning, warning.status

    await _step("warning.comment", "commented", actor, text, change, settings, broadcaster)
    return made[0]
