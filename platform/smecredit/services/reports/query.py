"""SQL for the dataset catalogue: filtered, row-scoped reads in batches, and GROUP BY.

Every statement is built from a :class:`~smecredit.services.reports.catalogue.Dataset`
and runs on SQLite and PostgreSQL (:class:`~smecredit.services.sql_dialect.Sql` numbers
the markers). Two differences matter here: SQLite keeps decimals as text (Tortoise's
``DecimalField``), so numeric comparisons cast to REAL there and money is summed in whole
fen (exact); and SQLite hands dates and datetimes back as ISO text, which :func:`convert`
parses, so a report sees the same Python values on both engines.

Rows are read in batches by the dataset's key (keyset pagination) - or, when the caller
orders them, by LIMIT/OFFSET over that order plus the key - never all at once. The field
policy is not applied here but by the caller (:mod:`smecredit.services.reports.context`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

from smecredit.domain.errors import DomainError
from smecredit.services.reports.catalogue import CATALOGUE, Column, Dataset
from smecredit.services.sql_dialect import Sql

__all__ = [
    "BATCH",
    "DatasetUnknown",
    "ReportColumnUnknown",
    "ReportWhereInvalid",
    "aggregate_rows",
    "convert",
    "dataset",
    "stream_rows",
]

#: Rows read per statement.
BATCH: Final = 1000
_OPS: Final = frozenset({"<", "<=", ">", ">=", "!="})
_NUMERIC: Final = frozenset({"money", "decimal", "percent"})
_CENT = Decimal("0.01")
_FUNCTIONS: Final = frozenset({"sum", "count", "count_distinct", "avg", "min", "max"})


class DatasetUnknown(DomainError):
    """A report asked for a dataset the catalogue does not have."""

    code = "REPORT_DATASET_UNKNOWN"


class ReportColumnUnknown(DomainError):
    """A report named a column its dataset does not have."""

    code = "REPORT_COLUMN_UNKNOWN"


class ReportWhereInvalid(DomainError):
    """A ``where`` condition or a measure is malformed (an unknown operator or function)."""

    code = "REPORT_WHERE_INVALID"


def dataset(name: str) -> Dataset:
    """The dataset ``name``.

    Raises:
        DatasetUnknown: ``REPORT_DATASET_UNKNOWN``.
    """
    found = CATALOGUE.get(name)
    if found is None:
        raise DatasetUnknown(
            f"unknown dataset {name!r}; known: {', '.join(sorted(CATALOGUE))}",
            params={"dataset": name},
        )
    return found


def column(data: Dataset, name: str) -> Column:
    """The column ``name`` of ``data``.

    Raises:
        ReportColumnUnknown: ``REPORT_COLUMN_UNKNOWN`` naming the dataset and column.
    """
    found = data.column(name)
    if found is None:
        raise ReportColumnUnknown(
            f"dataset {data.name!r} has no column {name!r}",
            params={"dataset": data.name, "column": name},
        )
    return found


def _expr(col: Column, sql: Sql, *, numeric: bool = False) -> str:
    text = col.expression(sql.postgres)
    if numeric and col.kind in _NUMERIC and not sql.postgres:
        return f"CAST({text} AS REAL)"
    return text


def _param(col: Column, value: Any, sql: Sql) -> Any:
    if isinstance(value, bool):
        value = int(value) if not sql.postgres else value
    if col.kind in _NUMERIC and not sql.postgres and isinstance(value, Decimal | int | str):
        return float(value)
    if col.kind in _NUMERIC and sql.postgres and isinstance(value, int | float | str):
        return Decimal(str(value))
    return sql.value(value)


def where_clause(
    data: Dataset, where: Mapping[str, Any] | None, sql: Sql, branches: list[str] | None
) -> tuple[list[str], list[Any]]:
    """The conditions (row scope first) and their values, with ``?`` markers.

    Raises:
        ReportColumnUnknown, ReportWhereInvalid: a bad column or operator.
    """
    parts: list[str] = []
    values: list[Any] = []
    if data.branch is not None and branches is not None:
        if not branches:
            parts.append("1 = 0")
        else:
            parts.append(f"{data.branch} IN ({', '.join('?' for _ in branches)})")
            values.extend(branches)
    for name, condition in (where or {}).items():
        col = column(data, name)
        expr = _expr(col, sql, numeric=True)
        if condition is None:
            parts.append(f"{expr} IS NULL")
        elif isinstance(condition, list | frozenset | set):
            items = list(condition)
            if not items:
                parts.append("1 = 0")
                continue
            parts.append(f"{expr} IN ({', '.join('?' for _ in items)})")
            values.extend(_param(col, v, sql) for v in items)
        elif isinstance(condition, tuple):
            if len(condition) != 2 or condition[0] not in _OPS:
                raise ReportWhereInvalid(
                    f"where {name!r}: use (op, value) with op one of {' '.join(sorted(_OPS))}",
                    params={"column": name},
                )
            op, value = condition
            if value is None:
                parts.append(f"{expr} IS {'NOT ' if op == '!=' else ''}NULL")
                continue
            parts.append(f"{expr} {'<>' if op == '!=' else op} ?")
            values.append(_param(col, value, sql))
        else:
            parts.append(f"{expr} = ?")
            values.append(_param(col, condition, sql))
    return parts, values


def convert(kind: str, value: Any) -> Any:
    """A value read from either engine as the Python value of its column ``kind``."""
    if value is None:
        return None
    if kind == "int":
        return int(value)
    if kind == "money":
        return Decimal(str(value)).quantize(_CENT)
    if kind in ("decimal", "percent"):
        return value if isinstance(value, Decimal) else Decimal(str(value))
    if kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    if kind == "datetime":
        if isinstance(value, dt.datetime):
            return value
        return dt.datetime.fromisoformat(str(value))
    return str(value)


async def stream_rows(
    data: Dataset,
    columns: Sequence[Column],
    *,
    where: Mapping[str, Any] | None,
    order_by: Sequence[tuple[Column, bool]],
    branches: list[str] | None,
    batch: int = BATCH,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Yield the matching rows batch by batch, each ``{column: converted value}``.

    Args:
        order_by: (column, descending) pairs; none: the dataset's key order (keyset).
        branches: the caller's visible branches (None: all).
    """
    sql = Sql()
    select = ", ".join(f'{c.expression(sql.postgres)} AS "c{i}"' for i, c in enumerate(columns))
    base, values = where_clause(data, where, sql, branches)
    order = [f"{_expr(c, sql, numeric=True)} {'DESC' if desc else 'ASC'}" for c, desc in order_by]
    last: Any = None
    offset = 0
    while True:
        parts = list(base)
        params = list(values)
        if not order and last is not None:
            parts.append(f"{data.key} > ?")
            params.append(last)
        where_sql = f" WHERE {' AND '.join(parts)}" if parts else ""
        order_sql = ", ".join([*order, data.key])
        source = data.from_clause(select, where_sql, order_sql)
        statement = (
            f'SELECT {data.key} AS "k", {select} FROM {source}{where_sql} '
            f"ORDER BY {order_sql} LIMIT {int(batch)}"
        )
        if order:
            statement += f" OFFSET {int(offset)}"
        rows = await sql.rows(statement, params)
        if not rows:
            return
        yield [{c.name: convert(c.kind, row[i + 1]) for i, c in enumerate(columns)} for row in rows]
        if len(rows) < batch:
            return
        last = rows[-1][0]
        offset += len(rows)


def _measure(function: str, col: Column | None, sql: Sql) -> str:
    if col is None:
        return "COUNT(*)"
    expr = col.expression(sql.postgres)
    if function == "count":
        return f"COUNT({expr})"
    if function == "count_distinct":
        return f"COUNT(DISTINCT {expr})"
    if function == "sum" and col.kind == "money" and not sql.postgres:
        # Whole fen, summed as integers: exact, unlike a sum of REALs.
        return f"SUM(CAST(ROUND(CAST({expr} AS REAL) * 100) AS INTEGER))"
    return f"{function.upper()}({_expr(col, sql, numeric=True)})"


def _measure_value(function: str, col: Column | None, value: Any, postgres: bool) -> Any:
    if function in ("count", "count_distinct") or col is None:
        return int(value or 0)
    if value is None:
        return None
    if function == "sum" and col.kind == "money":
        return (Decimal(str(value)) if postgres else Decimal(int(value)) / 100).quantize(_CENT)
    if col.kind == "money":
        return Decimal(str(value)).quantize(_CENT)
    if col.kind in ("decimal", "percent"):
        return Decimal(str(value))
    if col.kind == "int" and function in ("sum", "min", "max"):
        return int(value)
    if col.kind == "int":
        return Decimal(str(value))
    return convert(col.kind, value)


async def aggregate_rows(
    data: Dataset,
    group_by: Sequence[Column],
    measures: Mapping[str, tuple[str, Column | None]],
    *,
    where: Mapping[str, Any] | None,
    branches: list[str] | None,
) -> list[dict[str, Any]]:
    """Run one GROUP BY in the database; one dict per group (ordered by the groups).

    Raises:
        ReportWhereInvalid: ``REPORT_WHERE_INVALID`` for an unknown function.
    """
    sql = Sql()
    for label, (function, _) in measures.items():
        if function not in _FUNCTIONS:
            raise ReportWhereInvalid(
                f"measure {label!r}: unknown function {function!r}", params={"column": label}
            )
    groups = [c.expression(sql.postgres) for c in group_by]
    select = [f'{g} AS "g{i}"' for i, g in enumerate(groups)]
    names = list(measures)
    select += [
        f'{_measure(measures[n][0], measures[n][1], sql)} AS "m{i}"' for i, n in enumerate(names)
    ]
    parts, values = where_clause(data, where, sql, branches)
    source = data.from_clause(*select, *parts)
    statement = f"SELECT {', '.join(select)} FROM {source}"
    if parts:
        statement += f" WHERE {' AND '.join(parts)}"
    if groups:
        statement += f" GROUP BY {', '.join(groups)} ORDER BY {', '.join(groups)}"
    rows = await sql.rows(statement, values)
    out: list[dict[str, Any]] = []
    for row in rows:
        item = {c.name: convert(c.kind, row[i]) for i, c in enumerate(group_by)}
        for j, n in enumerate(names):
            function, col = measures[n]
            item[n] = _measure_value(function, col, row[len(groups) + j], sql.postgres)
        out.append(item)
    return out
