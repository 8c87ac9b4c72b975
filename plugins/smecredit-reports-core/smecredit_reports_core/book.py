"""The five-category distribution and PAR of a book from one aggregate in the database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from smecredit.sdk import ReportContext
from smecredit_reports_core.buckets import par_ratios
from smecredit_reports_core.figures import ZERO, as_decimal

__all__ = ["BookFigures", "five_category_and_par"]


@dataclass(frozen=True, slots=True)
class BookFigures:
    """Class -> (loans, balance), and PAR threshold -> ratio."""

    distribution: Mapping[str, tuple[int, Decimal]]
    par: Mapping[int, Decimal]


async def five_category_and_par(context: ReportContext, where: Mapping[str, Any]) -> BookFigures:
    """Both figures from one ``GROUP BY classification, days_past_due`` (the benchmark's
    pair: at most a few thousand groups for any size of book)."""
    groups = await context.aggregate(
        "loans",
        group_by=("classification", "days_past_due"),
        measures={"loans": ("count", "*"), "balance": ("sum", "balance")},
        where=where,
    )
    distribution: dict[str, tuple[int, Decimal]] = {}
    for g in groups:
        n, balance = distribution.get(str(g["classification"]), (0, ZERO))
        distribution[str(g["classification"])] = (
            n + g["loans"],
            balance + as_decimal(g["balance"]),
        )
    par = par_ratios((g["days_past_due"], g["balance"]) for g in groups)
    return BookFigures(distribution, par)
