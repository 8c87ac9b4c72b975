"""Feature rows of many firms from the database, with a constant number of queries.

Each evidence table is read once per batch of firms (``WHERE firm_id IN (...)``, in chunks
of :data:`CHUNK` firms to stay under database parameter limits), grouped by firm in Python,
and handed to the pure :func:`smecredit.domain.features.compute_features`. The same
loader feeds training (:func:`book_training_data`, labels from the platform's own book)
and scoring, so training and scoring features can never drift apart.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any, cast

from tortoise import connections
from tortoise.models import Model

from smecredit import models
from smecredit.domain.features import (
    CATEGORICAL_FEATURES,
    DEFAULT_DPD_THRESHOLD,
    DEFAULT_HORIZON_MONTHS,
    FeatureRow,
    compute_features,
    default_label,
    in_population,
)
from smecredit.services.scoring.training import TrainingData

__all__ = [
    "CHUNK",
    "FirmProfile",
    "book_training_data",
    "feature_rows",
    "load_profiles",
]

#: Firms per ``IN (...)`` query.
CHUNK = 5000

_FIRM_FIELDS = (
    "id",
    "industry_code",
    "region_code",
    "established_on",
    "registered_capital",
    "employees",
)
_EVIDENCE: dict[str, tuple[type[Model], tuple[str, ...]]] = {
    "financial_statement": (
        models.FinancialStatement,
        (
            "period_end",
            "period_type",
            "revenue",
            "net_profit",
            "total_assets",
            "total_liabilities",
            "current_assets",
            "current_liabilities",
        ),
    ),
    "tax_record": (models.TaxRecord, ("month", "taxable_sales", "arrears")),
    "registry_event": (models.RegistryEvent, ("event_date", "kind")),
    "legal_case": (models.LegalCase, ("case_date", "kind", "amount")),
    "bureau_summary": (
        models.BureauSummary,
        (
            "report_date",
            "debt_other_lenders",
            "overdue_count",
            "overdue_amount",
            "inquiries_6m",
            "open_credit_lines",
        ),
    ),
    "repayment_history": (
        models.RepaymentHistory,
        ("due_date", "paid_date", "days_past_due"),
    ),
}
_LOAN_FIELDS = ("disbursed_on", "maturity_on", "status", "closed_on")
_FIRM_ID = itemgetter("firm_id")


class FirmProfile:
    """A firm's profile and all its evidence, grouped by kind (plain dicts)."""

    __slots__ = ("evidence", "firm", "loans")

    def __init__(self, firm: dict[str, Any]) -> None:
        self.firm = firm
        self.evidence: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.loans: list[dict[str, Any]] = []


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


async def load_profiles(
    firm_ids: Sequence[int], *, with_loans: bool = False
) -> dict[int, FirmProfile]:
    """Profiles of ``firm_ids`` (unknown ids are absent from the result).

    One query per table per chunk of :data:`CHUNK` firms, whatever the number of records.
    """
    profiles: dict[int, FirmProfile] = {}
    for chunk in _chunks([int(i) for i in dict.fromkeys(firm_ids)]):
        for firm in await _select(models.Firm, "id", _FIRM_FIELDS, chunk):
            profiles[int(firm["id"])] = FirmProfile(firm)
        for kind, (model, fields) in _EVIDENCE.items():
            rows = await _select(model, "firm_id", fields, chunk)
            for firm_id, group in groupby(rows, key=_FIRM_ID):
                profile = profiles.get(int(firm_id))
                if profile is not None:
                    profile.evidence[kind].extend(group)
        if with_loans:
            rows = await _select(models.Loan, "firm_id", _LOAN_FIELDS, chunk)
            for firm_id, group in groupby(rows, key=_FIRM_ID):
                profile = profiles.get(int(firm_id))
                if profile is not None:
                    profile.loans.extend(group)
    return profiles


async def _select(
    model: type[Model], key: str, fields: Sequence[str], ids: Sequence[int]
) -> list[dict[str, Any]]:
    """Plain rows of ``model`` whose ``key`` is in ``ids``.

    Raw SQL rather than ``.values()``: the ORM's per-cell date and decimal conversion costs
    more than the features themselves, and the pure feature functions accept ISO strings
    and numbers as they come from the driver. ``ids`` are ints, so inlining them is safe.
    Rows come ordered by ``key`` so callers can group them with :func:`itertools.groupby`
    (the index on ``key`` already yields that order, so the sort is free).
    """
    if not ids:
        return []
    meta = model._meta
    columns = ", ".join(
        f'"{meta.fields_map[f].source_field or f}" AS "{f}"' for f in (key, *fields) if f != key
    )
    key_column = meta.fields_map[key].source_field or key if key in meta.fields_map else key
    id_list = ", ".join(str(int(i)) for i in ids)
    sql = (
        f'SELECT "{key_column}" AS "{key}", {columns} FROM "{meta.db_table}" '
        f'WHERE "{key_column}" IN ({id_list}) ORDER BY "{key_column}"'
    )
    conn = connections.get(meta.default_connection or "default")
    return list(await conn.execute_query_dict(sql))


async def feature_rows(firm_ids: Sequence[int], as_of: dt.date) -> dict[int, FeatureRow]:
    """Feature rows of ``firm_ids`` as of ``as_of`` (firms that do not exist are absent)."""
    profiles = await load_profiles(firm_ids)
    return {firm_id: compute_features(p.firm, p.evidence, as_of) for firm_id, p in profiles.items()}


async def book_training_data(
    as_of_dates: Sequence[dt.date],
    *,
    horizon_months: int = DEFAULT_HORIZON_MONTHS,
    dpd_threshold: int = DEFAULT_DPD_THRESHOLD,
    firm_ids: Sequence[int] | None = None,
) -> TrainingData:
    """Labelled rows from the platform's own book.

    For every as-of date, each firm holding a loan on that date (the population) gives one
    row: its features as of the date and whether it defaulted (an instalment 90+ days past
    due, or a loan written off) within ``horizon_months`` after it.

    Args:
        as_of_dates: observation dates; each must lie ``horizon_months`` in the past for
            the outcome to be fully observed.
        horizon_months: outcome window.
        dpd_threshold: days past due that make a default.
        firm_ids: restrict to these firms (default: all firms).
    """
    ids_to_load: list[int] = (
        list(firm_ids)
        if firm_ids is not None
        else cast("list[int]", await models.Firm.all().order_by("id").values_list("id", flat=True))
    )
    profiles = await load_profiles(ids_to_load, with_loans=True)
    rows: list[dict[str, Any]] = []
    y: list[int] = []
    dates: list[dt.date] = []
    ids: list[Any] = []
    for as_of in sorted(as_of_dates):
        for firm_id, p in profiles.items():
            if not in_population(p.loans, as_of):
                continue
            rows.append(compute_features(p.firm, p.evidence, as_of))
            repayments = p.evidence.get("repayment_history", [])
            y.append(
                int(
                    default_label(
                        repayments,
                        p.loans,
                        as_of,
                        horizon_months=horizon_months,
                        dpd_threshold=dpd_threshold,
                    )
                )
            )
            dates.append(as_of)
            ids.append(firm_id)
    multi_date = len(set(dates)) > 1
    return TrainingData(
        rows,
        y,
        CATEGORICAL_FEATURES,
        dates if multi_date else None,
        source="book",
        ids=ids,
    )
