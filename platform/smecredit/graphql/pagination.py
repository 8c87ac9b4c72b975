"""Relay-style cursor pagination with keyset queries.

A cursor encodes the sort key and primary key of the last row seen, so the
next page is ``WHERE (key, id) > (k, i)`` — stable while rows are inserted,
unlike offsets. Cursors are opaque base64 JSON and bound to their ordering:
a cursor from another ordering is refused with ``BAD_CURSOR``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.relay import PageInfo
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from smecredit.errors import BadCursor, InvalidInput, PageTooLarge

__all__ = ["Connection", "Edge", "SortSpec", "decode_cursor", "encode_cursor", "paginate"]

NodeT = TypeVar("NodeT")
ModelT = TypeVar("ModelT")

DEFAULT_PAGE_SIZE = 20


@strawberry.type(description="An edge in a connection: a node and its cursor.")
class Edge(Generic[NodeT]):
    """An edge in a connection."""

    cursor: str
    node: NodeT


@strawberry.type(description="A page of results with Relay cursors.")
class Connection(Generic[NodeT]):
    """A page of a list, with cursors to continue."""

    edges: list[Edge[NodeT]]
    page_info: PageInfo
    _count: strawberry.Private[Callable[[], Awaitable[int]] | None] = None

    @strawberry.field(description="Number of rows matching the filter (costs one COUNT query).")
    async def total_count(self) -> int:
        return await self._count() if self._count is not None else len(self.edges)


@dataclass(frozen=True)
class SortSpec:
    """An ordering: one model field (plus the primary key as tie-breaker)."""

    name: str
    field: str
    descending: bool = False


def _encode_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "dt" in value:
            return dt.datetime.fromisoformat(value["dt"])
        if "d" in value:
            return dt.date.fromisoformat(value["d"])
        if "n" in value:
            return Decimal(value["n"])
        raise ValueError("unknown cursor value")
    return value


def encode_cursor(sort: SortSpec, key: Any, pk: int) -> str:
    """Opaque cursor for a row at ``(key, pk)`` under ``sort``."""
    raw = json.dumps([sort.name, _encode_value(key), pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(sort: SortSpec, cursor: str) -> tuple[Any, int]:
    """Decode a cursor or raise ``BAD_CURSOR``.

    Only the shape is checked here; :func:`paginate` also checks that the key's
    type fits the sorted column, so a forged cursor never reaches the database.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, key, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(pk, int) or isinstance(pk, bool):
            raise ValueError("bad primary key")
        key = _decode_value(key)
    except (ValueError, TypeError, ArithmeticError, binascii.Error, json.JSONDecodeError):
        raise BadCursor(f"cursor {cursor!r} is not a valid cursor") from None
    if name != sort.name:
        raise BadCursor(f"cursor was made for ordering {name!r}, not {sort.name!r}")
    return key, pk


def _check_key_type(queryset: QuerySet[Any], sort: SortSpec, key: Any) -> None:
    """Refuse a cursor whose key cannot be a value of the sorted column."""
    if sort.field == "id":
        return
    field = queryset.model._meta.fields_map[sort.field]
    expected: Any = field.field_type
    if expected is dt.date and isinstance(key, dt.datetime):
        raise BadCursor("cursor sort key has the wrong type")
    if expected is Decimal and isinstance(key, Decimal) and not key.is_finite():
        raise BadCursor("cursor sort key is not a finite number")
    if key is None or isinstance(key, bool) or not isinstance(key, expected):
        raise BadCursor("cursor sort key has the wrong type")


def _after_filter(sort: SortSpec, key: Any, pk: int) -> Q:
    # SQLite stores Tortoise's DecimalField as text, but Tortoise 1.x wraps such
    # columns in CAST(... AS NUMERIC) in ORDER BY and WHERE, so amounts order and
    # compare as numbers on both engines (the pagination property test checks it).
    if sort.field == "id":
        return Q(id__lt=pk) if sort.descending else Q(id__gt=pk)
    op = "lt" if sort.descending else "gt"
    return Q(**{f"{sort.field}__{op}": key}) | Q(**{sort.field: key, f"id__{op}": pk})


def check_page_size(first: int | None, max_page_size: int) -> int:
    """Validate ``first`` against the cap; return the effective page size."""
    if first is None:
        return min(DEFAULT_PAGE_SIZE, max_page_size)
    if first < 0:
        raise InvalidInput("first must not be negative", code="INVALID_INPUT")
    if first > max_page_size:
        raise PageTooLarge(f"first={first} exceeds the maximum page size of {max_page_size}")
    return first


async def paginate(
    queryset: QuerySet[Any],
    *,
    sort: SortSpec,
    first: int | None,
    after: str | None,
    max_page_size: int,
    to_node: Callable[[Any], NodeT],
) -> Connection[NodeT]:
    """Fetch one page of ``queryset`` ordered by ``sort`` after cursor ``after``.

    Costs one SELECT of ``first + 1`` rows (the extra row tells whether a next
    page exists); ``totalCount`` adds a COUNT only when asked for.
    """
    size = check_page_size(first, max_page_size)
    count_qs = queryset
    qs = queryset
    if after:
        key, pk = decode_cursor(sort, after)
        _check_key_type(queryset, sort, key)
        qs = qs.filter(_after_filter(sort, key, pk))
    direction = "-" if sort.descending else ""
    order: Sequence[str] = (
        [f"{direction}id"] if sort.field == "id" else [f"{direction}{sort.field}", f"{direction}id"]
    )
    rows = await qs.order_by(*order).limit(size + 1)
    has_next = len(rows) > size
    rows = rows[:size]
    edges = [
        Edge(cursor=encode_cursor(sort, getattr(row, sort.field), row.id), node=to_node(row))
        for row in rows
    ]

    async def count() -> int:
        return await count_qs.count()

    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        _count=count,
    )
