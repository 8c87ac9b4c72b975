"""DataLoaders: batch the per-row lookups of nested fields into one query each.

A page of 100 loans asking for ``firm``, ``latestScore`` and ``openWarningCount``
costs one query per loader, whatever the page size. Connections nested in a list
(a firm's ``loans``, ``warnings`` and ``scores``) go through :func:`nested_connection`:
one query for the pages of every parent, one more for their ``totalCount``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from tortoise.expressions import F, RawSQL
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from smecredit import models
from smecredit.graphql.pagination import (
    Connection,
    PageRequest,
    SortSpec,
    connection_from_rows,
    count_grouped,
    fetch_grouped_pages,
    page_request,
)

__all__ = ["OPEN_STATUSES", "Loaders", "latest_scores", "nested_connection"]

NodeT = TypeVar("NodeT")

#: Warning statuses that still need someone's attention.
OPEN_STATUSES = ("open", "acknowledged", "in_progress")


def latest_scores(queryset: QuerySet[models.Score]) -> QuerySet[models.Score]:
    """Narrow a score queryset to the newest score of each firm.

    A correlated subquery picks, per firm, the id of the row with the greatest
    ``computed_at`` (then id), served by the ``(firm_id, computed_at)`` index.
    It is plain SQL that SQLite and PostgreSQL both run, and usable inside a
    ``Subquery`` (the grade filter of the firm list).
    """
    table = models.Score._meta.db_table
    newest_id = RawSQL(
        f'(SELECT s2.id FROM "{table}" s2 WHERE s2.firm_id = "{table}"."firm_id" '
        "ORDER BY s2.computed_at DESC, s2.id DESC LIMIT 1)"
    )
    return queryset.annotate(newest_id=newest_id).filter(id=F("newest_id"))


async def _firms_by_id(ids: Sequence[int]) -> list[models.Firm | None]:
    rows = {f.id: f for f in await models.Firm.filter(id__in=list(set(ids)))}
    return [rows.get(i) for i in ids]


async def _persons_by_id(ids: Sequence[int]) -> list[models.Person | None]:
    rows = {p.id: p for p in await models.Person.filter(id__in=list(set(ids)))}
    return [rows.get(i) for i in ids]


async def _loans_by_id(ids: Sequence[int]) -> list[models.Loan | None]:
    rows = {x.id: x for x in await models.Loan.filter(id__in=list(set(ids)))}
    return [rows.get(i) for i in ids]


async def _latest_score_by_firm(firm_ids: Sequence[int]) -> list[models.Score | None]:
    # One query for all firms, returning one row per firm (not their whole history).
    rows = await latest_scores(models.Score.filter(firm_id__in=list(set(firm_ids))))
    latest = {row.firm_id: row for row in rows}  # type: ignore[attr-defined]
    return [latest.get(i) for i in firm_ids]


async def _open_warning_count_by_firm(firm_ids: Sequence[int]) -> list[int]:
    rows = (
        await models.Warning.filter(firm_id__in=list(set(firm_ids)), status__in=OPEN_STATUSES)
        .group_by("firm_id")
        .annotate(n=Count("id"))
        .values("firm_id", "n")
    )
    counts = {r["firm_id"]: r["n"] for r in rows}
    return [counts.get(i, 0) for i in firm_ids]


async def _financials_by_firm(firm_ids: Sequence[int]) -> list[list[models.FinancialStatement]]:
    grouped: dict[int, list[models.FinancialStatement]] = defaultdict(list)
    rows = await models.FinancialStatement.filter(firm_id__in=list(set(firm_ids))).order_by(
        "-period_end", "id"
    )
    for row in rows:
        grouped[row.firm_id].append(row)  # type: ignore[attr-defined]
    return [grouped.get(i, []) for i in firm_ids]


async def _warning_events_by_warning(ids: Sequence[int]) -> list[list[models.WarningEvent]]:
    # A warning's history, oldest step first; the caller has checked the warnings' scope.
    grouped: dict[int, list[models.WarningEvent]] = defaultdict(list)
    for row in await models.WarningEvent.filter(warning_id__in=list(set(ids))).order_by("at", "id"):
        grouped[row.warning_id].append(row)  # type: ignore[attr-defined]
    return [grouped.get(i, []) for i in ids]


async def _warning_comments_by_warning(ids: Sequence[int]) -> list[list[models.WarningComment]]:
    grouped: dict[int, list[models.WarningComment]] = defaultdict(list)
    rows = await models.WarningComment.filter(warning_id__in=list(set(ids))).order_by(
        "created_at", "id"
    )
    for row in rows:
        grouped[row.warning_id].append(row)  # type: ignore[attr-defined]
    return [grouped.get(i, []) for i in ids]


async def _refresh_job_by_run(run_ids: Sequence[int]) -> list[models.RefreshJob | None]:
    # The newest refresh job of each sync run (a run queues at most one).
    newest: dict[int, models.RefreshJob] = {}
    for row in await models.RefreshJob.filter(run_id__in=list(set(run_ids))).order_by("id"):
        newest[row.run_id] = row  # type: ignore[attr-defined]
    return [newest.get(i) for i in run_ids]


class Loaders:
    """The request's loaders; create one set per request, never share."""

    def __init__(self) -> None:
        self.firm = DataLoader(load_fn=_firms_by_id)
        self.person = DataLoader(load_fn=_persons_by_id)
        self.loan = DataLoader(load_fn=_loans_by_id)
        self.latest_score = DataLoader(load_fn=_latest_score_by_firm)
        self.open_warning_count = DataLoader(load_fn=_open_warning_count_by_firm)
        self.financials = DataLoader(load_fn=_financials_by_firm)
        self.refresh_job = DataLoader(load_fn=_refresh_job_by_run)
        # Batched but not cached: a subscription keeps one context for its connection,
        # and every message it pushes is about a warning whose history just grew.
        self.warning_events = DataLoader(load_fn=_warning_events_by_warning, cache=False)
        self.warning_comments = DataLoader(load_fn=_warning_comments_by_warning, cache=False)
        self.extra: dict[str, DataLoader[Any, Any]] = {}
        self._pages: dict[Hashable, DataLoader[int, list[Any]]] = {}
        self._counts: dict[Hashable, DataLoader[int, int]] = {}

    def pages(
        self, key: Hashable, queryset: QuerySet[Any], group_field: str, request: PageRequest
    ) -> DataLoader[int, list[Any]]:
        """The loader of page ``request`` of ``queryset`` per ``group_field`` value.

        ``key`` names the field and everything that shapes its rows besides the page
        (the filter): parents asking with the same key share one query.
        """
        loader = self._pages.get(key)
        if loader is None:

            async def load(groups: Sequence[int]) -> list[list[Any]]:
                pages = await fetch_grouped_pages(
                    queryset, group_field=group_field, groups=groups, request=request
                )
                return [pages.get(g, []) for g in groups]

            loader = self._pages[key] = DataLoader(load_fn=load)
        return loader

    def counts(
        self, key: Hashable, queryset: QuerySet[Any], group_field: str
    ) -> DataLoader[int, int]:
        """The loader of the number of rows of ``queryset`` per ``group_field`` value."""
        loader = self._counts.get(key)
        if loader is None:

            async def load(groups: Sequence[int]) -> list[int]:
                counts = await count_grouped(queryset, group_field=group_field, groups=groups)
                return [counts.get(g, 0) for g in groups]

            loader = self._counts[key] = DataLoader(load_fn=load)
        return loader


async def nested_connection(
    loaders: Loaders,
    name: str,
    queryset: QuerySet[Any],
    *,
    group_field: str,
    group: int,
    variant: Hashable,
    sort: SortSpec,
    first: int | None,
    after: str | None,
    max_page_size: int,
    to_node: Callable[[Any], NodeT],
) -> Connection[NodeT]:
    """A page of ``queryset`` restricted to ``group_field = group``, batched across parents.

    Equivalent to ``paginate(queryset.filter(group_field=group), ...)``, but every parent
    of the request asking the same field with the same arguments shares one page query
    (and one COUNT for ``totalCount``). Bad ``first`` or ``after`` fail this field alone.

    Args:
        loaders: the request's loaders.
        name: the field, e.g. ``"Firm.loans"``.
        queryset: the rows the caller may see, filtered (row scope applied).
        group_field: the column naming the parent, e.g. ``"firm_id"``.
        group: the parent's id.
        variant: what else shapes ``queryset`` (the filter's value), hashable.
        sort, first, after, max_page_size, to_node: as for :func:`paginate`.
    """
    request = page_request(
        queryset, sort=sort, first=first, after=after, max_page_size=max_page_size
    )
    rows = await loaders.pages((name, variant, request), queryset, group_field, request).load(group)
    counter = loaders.counts((name, variant), queryset, group_field)

    async def count() -> int:
        return await counter.load(group)

    return connection_from_rows(rows, request, to_node=to_node, count=count)
