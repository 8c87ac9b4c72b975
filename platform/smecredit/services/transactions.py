"""One transaction per use case, run again when the database could not serialise it.

Row locks taken in one order (see :func:`smecredit.services.lending.support.lock`) keep
the lending use cases from deadlocking one another, but PostgreSQL may still abort a
transaction with a deadlock (``40P01``, e.g. against a lock order outside the platform's
control) or a serialization failure (``40001``, under ``REPEATABLE READ`` or
``SERIALIZABLE``). Such a transaction changed nothing; :func:`atomic` runs it again, a
bounded number of times with a short random pause, and then answers a typed ``CONFLICT``
("retry") rather than an internal error.

SQLite never deadlocks (:mod:`smecredit.sqlite_engine` takes the one write lock first);
a SQLite transaction that waited the whole busy timeout for another process's lock is
not run again (it already waited) and answers the same ``CONFLICT``.

A use case that moves money must be idempotent *within* its transaction: a repayment
checks its idempotency key under the loan's row lock, so running it again after a
rolled-back attempt posts it once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.exceptions import OperationalError
from tortoise.transactions import in_transaction

from smecredit.errors import Conflict

__all__ = [
    "DEFAULT_ATTEMPTS",
    "RETRYABLE_SQLSTATES",
    "TransactionAborted",
    "atomic",
    "is_retryable",
    "is_sqlite_busy",
]

T = TypeVar("T")
log = logging.getLogger(__name__)

#: Attempts of one use case before the caller hears ``CONFLICT``.
DEFAULT_ATTEMPTS = 4
#: PostgreSQL's "run it again" errors: serialization failure and deadlock detected.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
#: Upper bound of the pause before attempt ``n`` is ``n`` times this (seconds).
_PAUSE = 0.02


class TransactionAborted(Conflict):
    """The database aborted the use case each time it was tried: nothing changed, retry."""

    code = "CONFLICT"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        inner = current.args[0] if current.args else None
        current = current.__cause__ or (inner if isinstance(inner, BaseException) else None)
    return seen


def is_retryable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps) is a deadlock or serialization failure."""
    return any(getattr(e, "sqlstate", None) in RETRYABLE_SQLSTATES for e in _chain(exc))


def is_sqlite_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's "database is locked" (the busy timeout ran out)."""
    return isinstance(exc, OperationalError) and any(
        "database is locked" in str(e) for e in _chain(exc)
    )


def _inside_transaction(name: str | None) -> bool:
    return isinstance(connections.get(name or "default"), TransactionalDBClient)


async def atomic(
    work: Callable[[BaseDBAsyncClient], Awaitable[T]],
    *,
    what: str,
    attempts: int = DEFAULT_ATTEMPTS,
    connection_name: str | None = None,
) -> T:
    """``await work(conn)`` in one transaction; again when the database aborted it.

    Inside another transaction ``work`` runs once, nested: only the outermost
    transaction can be run again (PostgreSQL aborts all of it).

    Args:
        work: the use case's transactional part; everything it changes goes through
            ``conn``, and it must be safe to run again after a rollback.
        what: the use case, as the ``CONFLICT`` message names it ("posting repayment").
        attempts: how many times to try (at least 1).
        connection_name: the Tortoise connection (default ``default``).

    Raises:
        TransactionAborted: ``CONFLICT`` after ``attempts`` deadlocks or serialization
            failures, or when SQLite stayed locked for the whole busy timeout.
    """
    if _inside_transaction(connection_name):
        async with in_transaction(connection_name) as conn:
            return await work(conn)
    for attempt in range(1, max(attempts, 1) + 1):
        try:
            async with in_transaction(connection_name) as conn:
                return await work(conn)
        except Exception as exc:
            if is_sqlite_busy(exc):
                raise TransactionAborted(
                    f"{what}: the database stayed locked by another writer for the whole "
                    "busy timeout; nothing changed, try again"
                ) from exc
            if not is_retryable(exc):
                raise
            if attempt >= attempts:
                raise TransactionAborted(
                    f"{what}: the database aborted it {attempt} times because of concurrent "
                    "updates; nothing changed, try again"
                ) from exc
            log.info("%s: attempt %d aborted (%s), running it again", what, attempt, exc)
            await asyncio.sleep(random.uniform(0, _PAUSE * attempt))  # jitter: twins part ways
    raise AssertionError("unreachable")  # pragma: no cover
