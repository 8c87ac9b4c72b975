"""Raw SQL for bulk ingestion: chunked IN lookups, executemany INSERT and UPDATE.

Tortoise's ``bulk_create`` is several times slower than one ``executemany`` (see
DESIGN.md), so the ingestion writer talks SQL directly, inside the caller's transaction.
What differs between SQLite and PostgreSQL (parameter markers) is answered by the shared
dialect helper :mod:`smecredit.services.sql_dialect`; both drivers accept the plain
Python values written here (``Decimal``, ``date``, aware ``datetime``, ``str``, ``int``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from smecredit.services.ingestion.tables import insert_defaults
from smecredit.services.sql_dialect import Sql

__all__ = ["SqlRunner"]

# Keeps every statement below SQLite's historical 999-variable limit.
_IN_CHUNK = 900


class SqlRunner:
    """Raw SQL helpers bound to one connection (usually a transaction).

    Args:
        conn: a Tortoise client, e.g. the one ``in_transaction()`` yields.
    """

    def __init__(self, conn: BaseDBAsyncClient) -> None:
        self.conn = conn
        self.dialect = Sql(conn)

    async def select_in(
        self, table: str, columns: Sequence[str], key: str, values: Iterable[Any]
    ) -> list[dict[str, Any]]:
        """Rows of ``table`` whose ``key`` is one of ``values`` (looked up in chunks).

        Args:
            table: table name (trusted: comes from the table specs, never from input).
            columns: columns to return.
            key: the column to match.
            values: the values to look up; duplicates are ignored.
        """
        distinct = list(dict.fromkeys(values))
        rows: list[dict[str, Any]] = []
        select = ", ".join(columns)
        for start in range(0, len(distinct), _IN_CHUNK):
            chunk = distinct[start : start + _IN_CHUNK]
            marks = ", ".join(self.dialect.placeholders(len(chunk)))
            query = f"SELECT {select} FROM {table} WHERE {key} IN ({marks})"
            rows.extend(await self.conn.execute_query_dict(query, chunk))
        return rows

    async def insert_many(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """One ``executemany`` INSERT of ``rows`` (each in ``columns`` order).

        NOT NULL columns left out get their model default (:func:`insert_defaults`).
        """
        if not rows:
            return
        extra_columns, extra_values = insert_defaults(table, tuple(columns))
        names = [*columns, *extra_columns]
        marks = ", ".join(self.dialect.placeholders(len(names)))
        query = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})"
        await self.conn.execute_many(query, [[*row, *extra_values] for row in rows])

    async def update_many(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """One ``executemany`` UPDATE: each row holds ``columns`` values then the row id."""
        if not rows:
            return
        marks = self.dialect.placeholders(len(columns) + 1)
        assignments = ", ".join(
            f"{col} = {mark}" for col, mark in zip(columns, marks, strict=False)
        )
        query = f"UPDATE {table} SET {assignments} WHERE id = {marks[-1]}"
        await self.conn.execute_many(query, [list(row) for row in rows])
