"""Plumbing shared by the lending services: transactions, locks, audit, raw SQL.

Lock order. Every lending transaction that changes a loan takes its row locks in one
order: the application (if any), then the loan, then the loan's instalments, then its
repayments (COB locks a batch of loans in one statement, before their instalments). A
transaction that holds a loan's lock is then the only one that may change that loan's
instalments and repayments, so two use cases can wait for each other but never deadlock.
On SQLite the single write lock, taken when the transaction begins
(:mod:`smecredit.sqlite_engine`), serialises the same transactions.
Each use case runs its transaction through :func:`smecredit.services.transactions.atomic`,
which runs it again after a deadlock or serialization failure that still happens.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from smecredit.errors import Conflict
from smecredit.security.operations import SYSTEM
from smecredit.security.principal import Principal
from smecredit.services import audit as audit_service

__all__ = [
    "SYSTEM",
    "actor_id",
    "audit",
    "check_version",
    "dec",
    "is_postgres",
    "lock",
    "now",
    "sql",
    "update_versioned",
]

M = TypeVar("M", bound=Model)


def now() -> dt.datetime:
    """The current time, timezone-aware (UTC)."""
    return dt.datetime.now(dt.UTC)


def actor_id(principal: Principal) -> str:
    """The id recorded as maker, approver or actor: the username (stable, readable)."""
    return principal.username


def dec(value: Any) -> Decimal:
    """A money value read back from any engine (SQLite stores decimals as text)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def is_postgres(conn: BaseDBAsyncClient | None = None) -> bool:
    """Whether the connection speaks PostgreSQL."""
    conn = conn or connections.get("default")
    return conn.capabilities.dialect == "postgres"


def sql(query: str, conn: BaseDBAsyncClient | None = None) -> str:
    """Rewrite ``?`` placeholders as ``$1, $2 ...`` on PostgreSQL."""
    if not is_postgres(conn):
        return query
    parts = query.split("?")
    out = [parts[0]]
    for index, part in enumerate(parts[1:], start=1):
        out.append(f"${index}{part}")
    return "".join(out)


async def lock(model: type[M], pk: int, conn: BaseDBAsyncClient) -> M | None:
    """Read a row for update: a row lock on PostgreSQL, a plain read on SQLite.

    Take locks in the module's lock order (application, loan, instalments, repayments).
    SQLite transactions hold the database's write lock from their first statement, so the
    plain read sees the state the transaction will change; the ``version`` check in
    :func:`update_versioned` still refuses a row changed since the *caller* read it.
    """
    query = model.filter(pk=pk).using_db(conn)
    if is_postgres(conn):
        query = query.select_for_update()
    return await query.first()


def check_version(row: Model, expected_version: int | None, what: str) -> None:
    """Refuse with ``CONFLICT`` when the caller read another version of ``row``.

    Call it on the row read for update, before any change: a stale client then changes
    nothing, whatever else it asked for.

    Args:
        row: the row, read in the caller's transaction.
        expected_version: the version the client read (None: no check).
        what: the row as the message names it, e.g. ``"loan 7"``.

    Raises:
        Conflict: ``CONFLICT``, naming both versions.
    """
    version: int = row.version  # type: ignore[attr-defined]
    if expected_version is not None and version != expected_version:
        raise Conflict(
            f"{what} is at version {version}, not {expected_version}; reload and retry",
            code="CONFLICT",
        )


async def update_versioned(row: Model, conn: BaseDBAsyncClient, **changes: Any) -> None:
    """``UPDATE ... SET changes, version = version + 1 WHERE id = ? AND version = ?``.

    Raises:
        Conflict: the row changed since it was read (code ``CONFLICT``).
    """
    version: int = row.version  # type: ignore[attr-defined]
    updated = (
        await type(row)
        .filter(pk=row.pk, version=version)
        .using_db(conn)
        .update(**changes, version=version + 1)
    )
    if updated != 1:
        raise Conflict(
            f"{type(row).__name__} {row.pk} was changed by someone else; reload and retry",
            code="CONFLICT",
        )
    for name, value in changes.items():
        setattr(row, name, value)
    row.version = version + 1  # type: ignore[attr-defined]


async def audit(
    principal: Principal,
    action: str,
    resource: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    connection: BaseDBAsyncClient | None = None,
) -> None:
    """Write an audit row through :mod:`smecredit.services.audit`.

    With ``connection`` the row commits or rolls back with the caller's transaction.
    """
    result = audit_service.record(
        principal, action, resource, before=before, after=after, connection=connection
    )
    if inspect.isawaitable(result):
        await result


def rows_in(values: Sequence[Any]) -> str:
    """``?, ?, ?`` for an IN list of ``values``."""
    return ", ".join("?" for _ in values)
