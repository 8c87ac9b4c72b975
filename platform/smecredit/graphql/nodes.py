"""``resolve_nodes`` for every Node type: the rows asked for, in order, within reach.

``node(id:)`` and strawberry's node lookups call a type's ``resolve_nodes`` with the keys
of the global ids. Every type answers the same way: the rows of those keys that the caller
may reach, built into nodes in the order asked, and ``None`` for a key that is not a
number, missing or out of reach — so existence never leaks (docs/graphql.md#ids).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import strawberry
from tortoise.models import Model
from tortoise.queryset import QuerySet

from smecredit.security.row_scope import scoped

__all__ = ["nodes_for_operation", "nodes_in", "scoped_nodes"]

N = TypeVar("N")


async def nodes_in(
    rows: QuerySet[Any], node_ids: Iterable[str], build: Callable[[Any], N]
) -> list[N | None]:
    """The nodes ``node_ids`` among ``rows`` (a queryset already narrowed to what the caller
    may reach), in the order asked."""
    asked = [str(i) for i in node_ids]
    ids = [int(i) for i in asked if i.isdigit()]
    found = {r.pk: r for r in await rows.filter(id__in=ids)} if ids else {}
    return [build(found[int(i)]) if i.isdigit() and int(i) in found else None for i in asked]


async def scoped_nodes(
    info: strawberry.Info, model: type[Model], node_ids: Iterable[str], build: Callable[[Any], N]
) -> list[N | None]:
    """The nodes ``node_ids`` of ``model`` in the caller's row scope (branch), in order."""
    return await nodes_in(scoped(info.context, model), node_ids, build)


async def nodes_for_operation(
    info: strawberry.Info,
    operation: str,
    rows: QuerySet[Any],
    node_ids: Iterable[str],
    build: Callable[[Any], N],
) -> list[N | None]:
    """:func:`nodes_in`, for rows of no branch read under a ``*.view`` operation: a caller
    who may not take it finds none of them (as missing)."""
    from smecredit.security.caller import signed_in
    from smecredit.security.operations import can

    asked = list(node_ids)
    if not can(signed_in(info.context), operation):
        return [None for _ in asked]
    return await nodes_in(rows, asked, build)
