"""DataLoaders: batch the per-row lookups of nested fields into one query each.

A page of 100 loans asking for ``firm``, ``latestScore`` and ``openWarningCount``
costs one query per loader, whatever the page size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from strawberry.dataloader import DataLoader
from tortoise.functions import Count

from smecredit import models

__all__ = ["Loaders"]


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
    # One query for all firms; the newest row per firm wins (computed_at, then id).
    latest: dict[int, models.Score] = {}
    rows = await models.Score.filter(firm_id__in=list(set(firm_ids))).order_by("computed_at", "id")
    for row in rows:
        latest[row.firm_id] = row  # type: ignore[attr-defined]
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


OPEN_STATUSES = ("open", "acknowledged", "in_progress")


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
