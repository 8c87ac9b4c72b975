"""DataLoaders: batch the per-row lookups of nested fields into one query each.

A page of 100 loans asking for ``firm``, ``latestScore`` and ``openWarningCount``
costs one query per loader, whatever the page size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from strawberry.dataloader import DataLoader
from tortoise.expressions import F, RawSQL
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from smecredit import models

__all__ = ["OPEN_STATUSES", "Loaders", "latest_scores"]

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


class Loaders:
    """The request's loaders; create one set per request, never share."""

    def __init__(self) -> None:
        self.firm = DataLoader(load_fn=_firms_by_id)
        self.person = DataLoader(load_fn=_persons_by_id)
        self.loan = DataLoader(load_fn=_loans_by_id)
        self.latest_score = DataLoader(load_fn=_latest_score_by_firm)
        self.open_warning_count = DataLoader(load_fn=_open_warning_count_by_firm)
        self.financials = DataLoader(load_fn=_financials_by_firm)
        self.extra: dict[str, DataLoader[Any, Any]] = {}
