"""The one place SQLite and PostgreSQL differ for raw SQL: markers, values, locks, casts.

Bulk ingestion (:mod:`smecredit.services.ingestion.bulk`) and the warning scan
(:mod:`smecredit.services.warnings`) read and write many rows per batch, so they
bypass the ORM (one statement per batch instead of one per row). Every difference between
the two engines they meet is answered here:

* parameter markers: ``?`` on SQLite, ``$1``... on PostgreSQL (:meth:`Sql.text`,
  :meth:`Sql.placeholders`);
* parameter values: datetimes are stored in SQLite the way Tortoise stores them (ISO
  text), so the ORM reads rows written here unchanged (:meth:`Sql.value`);
* typed parameters in a bare select list (PostgreSQL cannot infer them,
  :meth:`Sql.typed`);
* planner hints (:meth:`Sql.no_index`) and transaction-level locks (:meth:`Sql.lock`);
* multi-row INSERTs on SQLite where executemany is slower (:meth:`Sql.many`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

__all__ = ["Sql"]

_MARK = re.compile(r"\?")
#: ``INSERT ... VALUES (...)`` with nothing after the row: (head, row) groups.
_INSERT_VALUES = re.compile(r"^(\s*INSERT\b.*\bVALUES\s*)(\([^()]*\))\s*$", re.I | re.S)
#: Parameters per statement, well below SQLite's limit (32766 since 3.32).
_MAX_PARAMS = 6000


class Sql:
    """Dialect-aware helper around one Tortoise connection (or transaction)."""

    def __init__(self, conn: BaseDBAsyncClient | None = None) -> None:
        self.conn = conn or connections.get("default")
        self.postgres = self.conn.capabilities.dialect == "postgres"

    def placeholders(self, count: int, start: int = 1) -> list[str]:
        """``count`` native parameter markers, numbered from ``start`` on PostgreSQL."""
        if self.postgres:
            return [f"${index}" for index in range(start, start + count)]
        return ["?"] * count

    def typed(self, sql_type: str) -> str:
        """A ``?`` marker cast to ``sql_type`` where the engine needs it.

        PostgreSQL cannot infer the type of a parameter in a bare select list
        (``INSERT ... SELECT ?, ?``); SQLite has no use for the cast.
        """
        return f"?::{sql_type}" if self.postgres else "?"

    async def lock(self, key: int) -> None:
        """Take a transaction-level lock named by ``key`` (run inside a transaction).

        PostgreSQL: an advisory lock released at commit. SQLite has a single writer, which
        serialises the callers already.
        """
        if self.postgres:
            await self.conn.execute_query(f"SELECT pg_advisory_xact_lock({int(key)})")

    def text(self, sql: str) -> str:
        """``sql`` with ``?`` markers numbered (``$1``...) on PostgreSQL."""
        if not self.postgres:
            return sql
        counter = iter(range(1, 1_000_000))
        return _MARK.sub(lambda _: f"${next(counter)}", sql)

    def no_index(self, column: str) -> str:
        """``column`` made unusable for an index lookup on SQLite (a unary ``+``).

        SQLite has no statistics by default and picks any index on a filtered column; for
        a batch read by firm range the firm index is the selective one, and a global index
        on a date or status would scan the whole table once per batch. PostgreSQL plans by
        cost, so the column is left as it is there.
        """
        return column if self.postgres else f"+{column}"

    def value(self, v: Any) -> Any:
        """A parameter as the driver wants it (SQLite: ISO text like Tortoise writes)."""
        if self.postgres:
            return v
        if isinstance(v, dt.datetime):
            return v.astimezone(dt.UTC).isoformat(sep=" ")
        if isinstance(v, dt.date):
            return v.isoformat()
        return v

    def params(self, values: Sequence[Any]) -> list[Any]:
        """Every parameter converted with :meth:`value`."""
        return [self.value(v) for v in values]

    async def rows(self, sql: str, values: Sequence[Any] = ()) -> Sequence[Any]:
        """Run a SELECT; rows index and unpack like tuples (sqlite3.Row, asyncpg Record)."""
        _, rows = await self.conn.execute_query(self.text(sql), self.params(values))
        return rows

    async def returning(
        self, sql: str, values: Sequence[Any] = (), *, converted: bool = False
    ) -> list[dict[str, Any]]:
        """Run an INSERT/UPDATE ... RETURNING and get its rows as dicts.

        Not :meth:`rows`: Tortoise's PostgreSQL client discards the rows of statements
        starting with INSERT or UPDATE there. ``converted`` as for :meth:`many`.
        """
        params = list(values) if converted else self.params(values)
        return await self.conn.execute_query_dict(self.text(sql), params)

    async def execute(self, sql: str, values: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it touched."""
        count, _ = await self.conn.execute_query(self.text(sql), self.params(values))
        return int(count)

    async def many(
        self, sql: str, rows: Sequence[Sequence[Any]], *, converted: bool = False
    ) -> None:
        """executemany: one statement, many parameter rows (nothing when empty).

        Args:
            sql: the statement with ``?`` markers.
            rows: parameter rows.
            converted: the rows already hold driver values (see :meth:`value`); saves a
                pass over every parameter of a large batch.
        """
        if not rows:
            return
        values = rows if converted else [self.params(r) for r in rows]
        insert = None if self.postgres else _INSERT_VALUES.match(sql)
        if insert is None:
            await self.conn.execute_many(self.text(sql), values)  # type: ignore[arg-type]
            return
        # SQLite: one multi-row INSERT per few hundred rows runs about twice as fast as
        # executemany, which binds and steps the statement once per row from Python.
        head, group = insert.groups()
        per = max(1, _MAX_PARAMS // max(1, len(values[0])))
        for start in range(0, len(values), per):
            part = values[start : start + per]
            text = head + ", ".join([group] * len(part))
            await self.conn.execute_query(text, [v for row in part for v in row])

    def in_list(self, column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
        """A condition selecting ``ids``: a range when they are consecutive, else IN."""
        if not ids:
            return "1 = 0", []
        if ids[-1] - ids[0] + 1 == len(ids) and list(ids) == sorted(ids):
            return f"{column} BETWEEN ? AND ?", [int(ids[0]), int(ids[-1])]
        return f"{column} IN ({', '.join('?' * len(ids))})", [int(i) for i in ids]
