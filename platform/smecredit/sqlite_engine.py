"""The SQLite engine for Tortoise: every writer waits its turn instead of failing.

SQLite allows one writer at a time (WAL lets readers go on meanwhile). Tortoise's own
client opens transactions with a plain ``BEGIN``, which is *deferred*: the transaction
reads under a snapshot and asks for the write lock only at its first write. When another
process holds that lock, or committed since the snapshot was taken, SQLite answers
``SQLITE_BUSY`` ("database is locked") at once: the busy handler is not called for a
transaction that already holds a read snapshot, so no busy timeout helps. An import or COB
in a second process then fails, and the API answers repayments with an internal error.

This engine, registered as the Tortoise ``engine`` of every SQLite connection by
:func:`smecredit.db.tortoise_config`, changes two things and nothing else:

* every transaction (and the autocommit ``executemany`` path) starts with
  ``BEGIN IMMEDIATE``: it takes the write lock first, waiting for it with the busy
  handler, and then reads and writes a state no other writer can change under it;
* every connection sets ``PRAGMA busy_timeout`` before anything else, so a writer waits
  up to that long for the lock (``SMECREDIT_SQLITE_BUSY_TIMEOUT``, default 30 s).

Reads outside a transaction are untouched (they never wait for a writer under WAL).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tortoise.backends.base.client import (
    NestedTransactionContext,
    TransactionalDBClient,
    TransactionContext,
)
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
    translate_exceptions,
)
from tortoise.connection import get_connections
from tortoise.exceptions import OperationalError

__all__ = [
    "DEFAULT_BUSY_TIMEOUT_MS",
    "ImmediateTransactionContext",
    "ImmediateTransactionWrapper",
    "WaitingSqliteClient",
]

#: How long a writer waits for the lock unless the configuration says otherwise.
DEFAULT_BUSY_TIMEOUT_MS = 30_000
_BEGIN = "BEGIN IMMEDIATE"


class WaitingSqliteClient(SqliteClient):
    """Tortoise's SQLite client with immediate transactions and a busy timeout."""

    def __init__(self, file_path: str, **kwargs: Any) -> None:
        super().__init__(file_path, **kwargs)
        timeout = self.pragmas.pop("busy_timeout", DEFAULT_BUSY_TIMEOUT_MS)
        # First, so that the other pragmas (journal_mode) already wait for a busy file.
        self.pragmas = {"busy_timeout": int(timeout), **self.pragmas}

    def _in_transaction(self) -> TransactionContext:
        return ImmediateTransactionContext(ImmediateTransactionWrapper(self), self._lock)

    @translate_exceptions
    async def execute_many(self, query: str, values: list[list[Any]]) -> None:
        async with self.acquire_connection() as connection:
            self.log.debug("%s: %s", query, values)
            await connection.execute(_BEGIN)
            try:
                await connection.executemany(query, values)
            except Exception:
                await connection.rollback()
                raise
            else:
                await connection.commit()


class ImmediateTransactionContext(SqliteTransactionContext):
    """Tortoise's transaction context, letting go of the connection when BEGIN fails.

    ``BEGIN IMMEDIATE`` can fail (the busy timeout ran out); Tortoise's context would then
    keep the connection's lock and the current-connection variable set, and every later
    query of the process would wait for that lock forever.
    """

    async def __aenter__(self) -> TransactionalDBClient:
        await self._trxlock.acquire()
        try:
            await self.ensure_connection()
            self.token = get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                get_connections().reset(self.token)
                raise
        except BaseException:
            self._trxlock.release()
            raise
        return self.connection  # type: ignore[no-any-return]


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    """A transaction that holds the write lock from its first statement."""

    def _in_transaction(self) -> TransactionContext:
        # Nested blocks are savepoints inside the immediate transaction.
        return NestedTransactionContext(ImmediateTransactionWrapper(self))

    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute(_BEGIN)
        except sqlite3.OperationalError as exc:
            # "database is locked" after the busy timeout: an operational error (the
            # caller may say "busy, retry"), not a misuse of transactions.
            raise OperationalError(exc) from exc


#: What Tortoise instantiates for a connection whose ``engine`` is this module.
client_class = WaitingSqliteClient
