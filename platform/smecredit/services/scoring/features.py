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
from collections.abc import Callable, Iterable, Sequence
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
    add_months,
    compute_features,
    default_label,
    in_population,
)
from smecredit.services.scoring.training import TrainingData, TrainingError

__all__ = [
    "CHUNK",
    "BookTraining",
    "FirmProfile",
    "book_training_data",
    "book_training_set",
    "default_observation_date",
    "feature_rows",
    "load_profiles",
    "observed_through",
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
    keep_dates: bool = False,
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
        keep_dates: keep the rows' dates even when there is a single date.
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
            repayments = p.evidence.get("repayment_history", [])
            if not in_population(p.loans, as_of, repayments, dpd_threshold=dpd_threshold):
                continue
            rows.append(compute_features(p.firm, p.evidence, as_of))
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
        dates if multi_date or keep_dates else None,
        source="book",
        ids=ids,
    )


async def observed_through(today: dt.date | None = None) -> dt.date:
    """The last day the book's outcomes are known: the day the repayment history was last
    fetched (or, without fetch times, its latest due or paid date), never after today.

    A performance window ending after this day is not observed yet: defaults still to come
    are missing, and the firms whose trouble had already begun on the observation date
    would be most of the defaulters - the model would learn the arrears, not the risk.
    """
    now = today or dt.date.today()
    meta = models.RepaymentHistory._meta
    conn = connections.get(meta.default_connection or "default")
    rows = await conn.execute_query_dict(
        f'SELECT MAX("fetched_at") AS fetched, MAX("due_date") AS due, '
        f'MAX("paid_date") AS paid FROM "{meta.db_table}"'
    )
    row = rows[0] if rows else {}
    picks = [row.get("fetched")] if row.get("fetched") is not None else []
    picks = picks or [row.get("due"), row.get("paid")]
    latest: dt.date | None = None
    for value in picks:
        if value is None:
            continue
        if isinstance(value, dt.datetime):
            day = value.date()
        elif isinstance(value, dt.date):
            day = value
        else:
            day = dt.date.fromisoformat(str(value)[:10])
        latest = day if latest is None or day > latest else latest
    return now if latest is None else min(latest, now)


def _only(data: TrainingData, keep: Callable[[dt.date], bool]) -> TrainingData:
    """The rows of ``data`` whose date ``keep`` accepts (``data`` must carry dates)."""
    assert data.dates is not None
    picked = [i for i, d in enumerate(data.dates) if keep(d)]
    return TrainingData(
        [data.rows[i] for i in picked],
        [data.y[i] for i in picked],
        data.categorical,
        [data.dates[i] for i in picked],
        source=data.source,
        ids=[data.ids[i] for i in picked] if data.ids is not None else None,
    )


class BookTraining:
    """Training rows of the book with their out-of-time sample.

    Attributes:
        data: the rows of the observation dates (features as of each date, labels from its
            performance window).
        out_of_time: the rows of the later, held-out observation date (None when skipped).
        out_of_time_date: that date (None when skipped).
        out_of_time_note: why the out-of-time check was skipped ("" when it was not).
        observation_dates: the training observation dates.
        observed_through: the last day outcomes are known (:func:`observed_through`).
        performance_months: the performance window.
    """

    __slots__ = (
        "data",
        "observation_dates",
        "observed_through",
        "out_of_time",
        "out_of_time_date",
        "out_of_time_note",
        "performance_months",
    )

    def __init__(
        self,
        data: TrainingData,
        *,
        observation_dates: Sequence[dt.date],
        out_of_time: TrainingData | None,
        out_of_time_date: dt.date | None,
        out_of_time_note: str,
        observed_through: dt.date,
        performance_months: int,
    ) -> None:
        self.data = data
        self.observation_dates = list(observation_dates)
        self.out_of_time = out_of_time
        self.out_of_time_date = out_of_time_date
        self.out_of_time_note = out_of_time_note
        self.observed_through = observed_through
        self.performance_months = performance_months

    def window(self) -> dict[str, Any]:
        """The observation design, for the metrics and the model card."""
        return {
            "observation_dates": [d.isoformat() for d in self.observation_dates],
            "performance_months": self.performance_months,
            "observed_through": self.observed_through.isoformat(),
            "out_of_time_date": (
                self.out_of_time_date.isoformat() if self.out_of_time_date else None
            ),
        }


def default_observation_date(observed: dt.date, performance_months: int) -> dt.date:
    """The latest observation date whose performance window is fully observed."""
    return add_months(observed, -performance_months)


async def book_training_set(
    observation_dates: Sequence[dt.date] | None,
    *,
    performance_months: int = DEFAULT_HORIZON_MONTHS,
    out_of_time_date: dt.date | None = None,
    dpd_threshold: int = DEFAULT_DPD_THRESHOLD,
    today: dt.date | None = None,
) -> BookTraining:
    """Training rows for observation dates and a performance window, plus out of time.

    Features are computed as of each observation date only; the label is a default
    (``dpd_threshold``+ days past due, or a write-off) within ``performance_months`` after
    it; firms already in default on the date are not in its population. The out-of-time
    sample is a *later* observation date held out of training: ``out_of_time_date`` or,
    by default, the last training date plus the window, when that window is observed too.

    Args:
        observation_dates: the training dates (default: the latest one whose window is
            observed, see :func:`default_observation_date`).
        performance_months: the performance window in months (1 to 60).
        out_of_time_date: the held-out later observation date.
        dpd_threshold: days past due that make a default.
        today: the current day (tests).

    Raises:
        TrainingError: ``BAD_OPTION`` for a window outside 1..60 months or an out-of-time
            date not after the training dates; ``WINDOW_NOT_OBSERVED`` when a window ends
            after the last day the book's outcomes are known.
    """
    if not 1 <= performance_months <= 60:
        raise TrainingError(
            "BAD_OPTION", f"the performance window must be 1 to 60 months, got {performance_months}"
        )
    observed = await observed_through(today)
    latest_ok = default_observation_date(observed, performance_months)
    dates = sorted(set(observation_dates or [latest_ok]))
    for day in (*dates, *([out_of_time_date] if out_of_time_date else [])):
        end = add_months(day, performance_months)
        if end > observed:
            raise TrainingError(
                "WINDOW_NOT_OBSERVED",
                f"the {performance_months}-month performance window after {day} ends on {end}, "
                f"but the book's outcomes are known only up to {observed}: choose an "
                f"observation date on or before {latest_ok}",
            )
    if out_of_time_date is not None and out_of_time_date <= dates[-1]:
        raise TrainingError(
            "BAD_OPTION",
            f"the out-of-time date {out_of_time_date} must be after the last observation "
            f"date {dates[-1]}",
        )
    oot_date: dt.date | None = out_of_time_date or add_months(dates[-1], performance_months)
    note = ""
    if oot_date is not None and add_months(oot_date, performance_months) > observed:
        note = (
            f"no later observation date with an observed window: {oot_date} plus "
            f"{performance_months} months ends after {observed}"
        )
        oot_date = None
    # One load of the book for both samples, split by date afterwards.
    both = await book_training_data(
        [*dates, *([oot_date] if oot_date else [])],
        horizon_months=performance_months,
        dpd_threshold=dpd_threshold,
        keep_dates=True,
    )
    data = _only(both, lambda d: d != oot_date)
    oot = _only(both, lambda d: d == oot_date) if oot_date else None
    if len(dates) == 1:
        data.dates = None  # one date: cross-validation is stratified, not time-ordered
    return BookTraining(
        data,
        observation_dates=dates,
        out_of_time=oot,
        out_of_time_date=oot_date,
        out_of_time_note=note,
        observed_through=observed,
        performance_months=performance_months,
    )
