"""Relay-style cursor pagination with keyset queries.

A cursor encodes the sort key and primary key of the last row seen, so the
next page is ``WHERE (key, id) > (k, i)`` — stable while rows are inserted,
unlike offsets. Cursors are opaque base64 JSON and bound to their ordering:
a cursor from another ordering is refused with ``BAD_CURSOR``.

A connection nested in a list (a firm's loans, for a page of firms) is fetched
for every parent at once by :func:`fetch_grouped_pages`: one statement ranks the
rows of each parent with ``ROW_NUMBER()`` and keeps the first ``first + 1`` of
each, so the per-parent page size and cursor mean what they mean for
:func:`paginate`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

import strawberry
from pypika_tortoise.analytics import RowNumber
from pypika_tortoise.enums import Order
from pypika_tortoise.terms import Field, Term
from strawberry.relay import PageInfo
from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from smecredit.errors import BadCursor, InvalidInput, PageTooLarge

__all__ = [
    "Connection",
    "Edge",
    "PageRequest",
    "SortSpec",
    "connection_from_rows",
    "count_grouped",
    "decode_cursor",
    "encode_cursor",
    "fetch_grouped_pages",
    "page_request",
    "paginate",
]

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


@dataclass(frozen=True)
class PageRequest:
    """A checked page request: the ordering, the page size and the decoded cursor."""

    sort: SortSpec
    size: int
    after: str | None = None
    #: ``(sort key, primary key)`` of the cursor, None for the first page
    position: tuple[Any, int] | None = None

    def order(self) -> list[str]:
        """``order_by`` arguments: the sort field, then the primary key as tie-breaker."""
        direction = "-" if self.sort.descending else ""
        if self.sort.field == "id":
            return [f"{direction}id"]
        return [f"{direction}{self.sort.field}", f"{direction}id"]

    def narrow(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """Keep the rows after the cursor."""
        if self.position is None:
            return queryset
        key, pk = self.position
        return queryset.filter(_after_filter(self.sort, key, pk))


def page_request(
    queryset: QuerySet[Any],
    *,
    sort: SortSpec,
    first: int | None,
    after: str | None,
    max_page_size: int,
) -> PageRequest:
    """Check ``first`` and ``after`` for a page of ``queryset`` (no SQL).

    Raises:
        InvalidInput / PageTooLarge: a bad ``first``.
        BadCursor: a cursor that does not decode, or belongs to another ordering.
    """
    size = check_page_size(first, max_page_size)
    position = None
    if after:
        key, pk = decode_cursor(sort, after)
        _check_key_type(queryset, sort, key)
        position = (key, pk)
    return PageRequest(sort=sort, size=size, after=after, position=position)


def connection_from_rows(
    rows: Sequence[Any],
    request: PageRequest,
    *,
    to_node: Callable[[Any], NodeT],
    count: Callable[[], Awaitable[int]] | None,
) -> Connection[NodeT]:
    """The connection for ``rows``: up to ``size + 1`` rows in page order, as fetched."""
    has_next = len(rows) > request.size
    edges = [
        Edge(
            cursor=encode_cursor(request.sort, getattr(row, request.sort.field), row.id),
            node=to_node(row),
        )
        for row in rows[: request.size]
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=request.after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        _count=count,
    )


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
    request = page_request(
        queryset, sort=sort, first=first, after=after, max_page_size=max_page_size
    )
    rows = await request.narrow(queryset).order_by(*request.order()).limit(request.size + 1)

    async def count() -> int:
        return await queryset.count()

    return connection_from_rows(rows, request, to_node=to_node, count=count)


_RANK = "_page_rank"


def _column(queryset: QuerySet[Any], name: str) -> Term:
    """The column of field ``name`` as Tortoise orders by it (decimals cast on SQLite)."""
    model = queryset.model
    field = model._meta.fields_map[name]
    term: Term = model._meta.basetable[field.source_field or name]
    cast = field.get_for_dialect(model._meta.db.capabilities.dialect, "function_cast")
    return cast(field, term) if cast else term


async def fetch_grouped_pages(
    queryset: QuerySet[Any],
    *,
    group_field: str,
    groups: Sequence[int],
    request: PageRequest,
) -> dict[int, list[Any]]:
    """The page ``request`` of ``queryset`` for each value of ``group_field`` in ``groups``.

    One statement, whatever the number of groups: the rows after the cursor are ranked
    per group in page order (``ROW_NUMBER() OVER (PARTITION BY ...)``) and the first
    ``size + 1`` of each are kept, which :func:`connection_from_rows` turns into edges
    and ``hasNextPage`` exactly as :func:`paginate` does for one group.

    Returns:
        group value -> rows in page order (absent: no rows).
    """
    model = queryset.model
    order = Order.desc if request.sort.descending else Order.asc
    rank = RowNumber().over(_column(queryset, group_field))
    for name in request.order():
        rank = rank.orderby(_column(queryset, name.lstrip("-")), order=order)
    inner = (
        request.narrow(queryset)
        .filter(**{f"{group_field}__in": sorted(set(groups))})
        .annotate(**{_RANK: rank})
    )
    inner.sql()  # resolves filters, joins and the annotation into inner.query
    conn = model._meta.db
    ranked = inner.query.as_("ranked")
    keep = Field(_RANK, table=ranked) <= request.size + 1
    outer = conn.query_class.from_(ranked).select("*").where(keep)
    sql, params = outer.get_parameterized_sql()
    rows = await conn.executor_class(model=model, db=conn).execute_select(
        sql, params, custom_fields=[_RANK]
    )
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: getattr(r, _RANK)):
        grouped[getattr(row, group_field)].append(row)
    return grouped


async def count_grouped(
    queryset: QuerySet[Any], *, group_field: str, groups: Sequence[int]
) -> dict[int, int]:
    """Rows of ``queryset`` per value of ``group_field`` in ``groups``, in one COUNT query."""
    rows = (
        await queryset.filter(**{f"{group_field}__in": sorted(set(groups))})
        .group_by(group_field)
        .annotate(_n=Count("id"))
        .values(group_field, "_n")
    )
    return {r[group_field]: r["_n"] for r in rows}
