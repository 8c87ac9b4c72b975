"""Per-firm indicator inputs read straight from the evidence tables, a batch at a time.

A batch costs a constant number of queries whatever its size (one per evidence table),
and yields the columns of :data:`smecredit.sdk.WARNING_INPUT_COLUMNS` as numpy arrays
aligned with ``firm_id``. Aggregation happens in SQL where the engines agree (sums,
window functions) and in numpy otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from smecredit.services.sql_dialect import Sql

__all__ = [
    "ACTIVE_LOAN_STATUSES",
    "GRADE_ORDINALS",
    "Batch",
    "InputWindows",
    "book_outstanding",
    "input_queries",
    "load_inputs",
]

#: Loan statuses that carry exposure.
ACTIVE_LOAN_STATUSES: tuple[str, ...] = ("active", "disbursed")
#: Risk grade -> ordinal, 1 the best (``smecredit.domain.authority.RISK_GRADES``).
GRADE_ORDINALS: Mapping[str, int] = {g: i for i, g in enumerate("ABCDEFG", start=1)}
_LEGAL_POINTS = "CASE severity WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END"


@dataclass(frozen=True)
class InputWindows:
    """How far back (days) each kind of evidence is read; set from the rules in force."""

    statements: int = 540
    scores: int = 180
    bureau: int = 180
    legal: int = 90
    registry: int = 180
    abnormal: int = 3650


@dataclass
class Batch:
    """The firms of one batch and the side facts the scan needs besides the columns.

    Attributes:
        firm_ids: sorted firm ids.
        span: ``(lo, hi)`` when the batch is exactly every firm with ``lo <= id <= hi``.
        columns: the input columns.
        branch: firm id -> branch code (for live-push scope).
        loans: firm id -> [(loan id, classification)] of active loans.
    """

    firm_ids: list[int]
    span: tuple[int, int] | None = None
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    branch: dict[int, str] = field(default_factory=dict)
    loans: dict[int, list[tuple[int, str]]] = field(default_factory=dict)

    def condition(self, sql: Sql, column: str = "firm_id") -> tuple[str, list[Any]]:
        """SQL condition selecting this batch's firms."""
        if self.span is not None:
            return f"{column} BETWEEN ? AND ?", [self.span[0], self.span[1]]
        return sql.in_list(column, self.firm_ids)


def _month(d: dt.date, back: int) -> str:
    """``YYYY-MM`` of the month ``back`` months before ``d``'s month."""
    total = d.year * 12 + d.month - 1 - back
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def input_queries(
    cond: str,
    as_of: dt.date,
    windows: InputWindows,
    sql: Sql | None = None,
    model: tuple[str, str] | None = None,
) -> list[tuple[str, str, list[Any]]]:
    """(name, SQL, params without the batch condition's) of every input query.

    The benchmark runs the same statements once over the whole table for its baseline.
    ``cond`` holds the batch condition with ``?`` markers; it is always the last
    condition of the statement, so its params come after the returned ones. ``model``
    (name, version) keeps the scores of that model only: a challenger's shadow grades,
    or an older version's, are on another scale, and comparing them is no downgrade.
    """
    day = dt.timedelta(days=1)
    computed_at = "computed_at" if sql is None else sql.no_index("computed_at")
    firm_cond = cond.replace("firm_id", "id")
    real = "DOUBLE PRECISION"
    return [
        (
            "firm",
            f"SELECT id, industry_code, branch_code FROM firm WHERE {firm_cond}",
            [],
        ),
        (
            "tax",
            # Monthly averages over the months filed: a month missing from the data (not
            # filed yet, or quarantined) is no drop in sales.
            "SELECT firm_id,"
            f" AVG(CASE WHEN month >= ? AND month <= ? THEN CAST(taxable_sales AS {real}) END),"
            f" AVG(CASE WHEN month >= ? AND month <= ? THEN CAST(taxable_sales AS {real}) END)"
            f" FROM tax_record WHERE month >= ? AND month <= ? AND {cond} GROUP BY firm_id",
            [
                _month(as_of, 3),
                _month(as_of, 1),
                _month(as_of, 15),
                _month(as_of, 13),
                _month(as_of, 15),
                _month(as_of, 1),
            ],
        ),
        (
            "statement",
            f"SELECT firm_id, CAST(total_assets AS {real}), CAST(total_liabilities AS {real})"
            " FROM ("
            " SELECT firm_id, total_assets, total_liabilities, ROW_NUMBER() OVER"
            " (PARTITION BY firm_id ORDER BY period_end DESC) AS rn FROM financial_statement"
            f" WHERE period_end >= ? AND period_end <= ? AND {cond}) AS s WHERE rn = 1",
            [as_of - windows.statements * day, as_of],
        ),
        (
            "loan",
            "SELECT firm_id, id, days_past_due,"
            f" CAST(outstanding_principal AS {real}), classification"
            f" FROM loan WHERE status IN (?, ?) AND {cond}",
            list(ACTIVE_LOAN_STATUSES),
        ),
        (
            "score",
            "SELECT firm_id, grade, computed_at FROM score"
            f" WHERE {computed_at} >= ? AND {computed_at} < ?"
            f"{' AND model_name = ? AND model_version = ?' if model else ''} AND {cond}",
            [
                dt.datetime.combine(as_of - windows.scores * day, dt.time(), dt.UTC),
                dt.datetime.combine(as_of + day, dt.time(), dt.UTC),
                *(model or ()),
            ],
        ),
        (
            "bureau",
            f"SELECT firm_id, overdue_count, CAST(overdue_amount AS {real}) FROM ("
            " SELECT firm_id, overdue_count, overdue_amount, ROW_NUMBER() OVER"
            " (PARTITION BY firm_id ORDER BY report_date DESC) AS rn FROM bureau_summary"
            f" WHERE report_date >= ? AND report_date <= ? AND {cond}) AS b WHERE rn = 1",
            [as_of - windows.bureau * day, as_of],
        ),
        (
            "legal",
            f"SELECT firm_id, SUM({_LEGAL_POINTS}) FROM legal_case"
            f" WHERE case_date >= ? AND case_date <= ? AND kind IN (?, ?, ?) AND {cond}"
            " GROUP BY firm_id",
            [
                as_of - windows.legal * day,
                as_of,
                "lawsuit_defendant",
                "enforcement",
                "administrative_penalty",
            ],
        ),
        (
            "registry",
            "SELECT firm_id,"
            " SUM(CASE WHEN kind = ? AND event_date >= ? THEN 1 ELSE 0 END),"
            " MAX(CASE WHEN kind = ? AND event_date >= ? THEN event_date END),"
            " MAX(CASE WHEN kind = ? THEN event_date END)"
            " FROM registry_event WHERE event_date <= ? AND kind IN (?, ?, ?)"
            f" AND {cond}"
            " GROUP BY firm_id",
            [
                "legal_rep_change",
                as_of - windows.registry * day,
                "abnormal_listing",
                as_of - windows.abnormal * day,
                "abnormal_removal",
                as_of,
                "legal_rep_change",
                "abnormal_listing",
                "abnormal_removal",
            ],
        ),
    ]


async def book_outstanding(sql: Sql) -> float:
    """Outstanding principal of the whole book (one query per scan)."""
    rows = await sql.rows(
        "SELECT SUM(CAST(outstanding_principal AS DOUBLE PRECISION)) FROM loan"
        " WHERE status IN (?, ?)",
        list(ACTIVE_LOAN_STATUSES),
    )
    return float(rows[0][0] or 0.0) if rows else 0.0


def _nan(n: int) -> np.ndarray:
    return np.full(n, np.nan)


def _f(v: Any) -> float:
    return np.nan if v is None else float(v)


def _scatter(
    rows: Sequence[Any], pos: Mapping[int, int], n: int, width: int, fill: float = np.nan
) -> list[np.ndarray]:
    """Columns 1..``width`` of ``rows`` (firm id first) as arrays over the batch's firms.

    Firms without a row keep ``fill``; a NULL cell becomes NaN. One numpy assignment per
    column instead of one per cell: these loops run over every input row of a scan.
    """
    out = [np.full(n, fill) for _ in range(width)]
    if rows:
        at = np.fromiter((pos[r[0]] for r in rows), dtype=np.int64, count=len(rows))
        for c in range(width):
            # dtype=float turns None into NaN and numeric text/Decimal into floats.
            out[c][at] = np.array([r[c + 1] for r in rows], dtype=float)
    return out


async def load_inputs(
    sql: Sql,
    batch: Batch,
    *,
    as_of: dt.date,
    windows: InputWindows,
    book: float,
    model: tuple[str, str] | None = None,
) -> Batch:
    """Fill ``batch.columns`` (and its side facts) for the batch's firms.

    Firms in ``firm_ids`` that do not exist are dropped from the batch. ``model``: whose
    scores the grade columns read (see :func:`input_queries`; None: every score).
    """
    cond, cond_params = batch.condition(sql)
    results: dict[str, Sequence[Any]] = {}
    for name, text, params in input_queries(cond, as_of, windows, sql, model):
        results[name] = await sql.rows(text, [*params, *cond_params])

    firms = sorted(results["firm"], key=lambda r: int(r[0]))
    batch.firm_ids = [int(r[0]) for r in firms]
    n = len(firms)
    pos = {fid: i for i, fid in enumerate(batch.firm_ids)}
    batch.branch = {int(r[0]): str(r[2]) for r in firms}
    cols: dict[str, np.ndarray] = {
        "firm_id": np.asarray(batch.firm_ids, dtype=np.int64),
        "industry_code": np.asarray([str(r[1]) for r in firms], dtype=object),
    }
    cols["tax_sales_recent"], cols["tax_sales_year_ago"] = _scatter(results["tax"], pos, n, 2)
    cols["total_assets"], cols["total_liabilities"] = _scatter(results["statement"], pos, n, 2)

    # Plain lists while looping (numpy element access is slow), arrays at the end.
    max_dpd: list[float] = [np.nan] * n
    dpd_loan: list[int] = [-1] * n
    outstanding = [0.0] * n
    batch.loans = {}
    for fid, loan_id, dpd, out, classification in results["loan"]:
        i = pos[fid]
        batch.loans.setdefault(int(fid), []).append((int(loan_id), str(classification)))
        if out is not None:
            outstanding[i] += float(out)
        d = float(dpd or 0)
        worst = max_dpd[i]
        # Ties go to the lower loan id so that repeated scans pick the same loan.
        if worst != worst or d > worst or (d == worst and loan_id < dpd_loan[i]):
            max_dpd[i], dpd_loan[i] = d, int(loan_id)
    cols["max_dpd"] = np.asarray(max_dpd, dtype=float)
    cols["max_dpd_loan_id"] = np.asarray(dpd_loan, dtype=np.int64)
    cols["outstanding"] = np.asarray(outstanding, dtype=float)
    cols["book_outstanding"] = np.full(n, book)

    latest: list[float] = [np.nan] * n
    oldest: list[float] = [np.nan] * n
    latest_at: dict[int, Any] = {}
    oldest_at: dict[int, Any] = {}
    for fid, grade, at in results["score"]:
        g = GRADE_ORDINALS.get(str(grade).strip().upper()[:1])
        if g is None:
            continue
        key = (str(at), str(grade))  # deterministic order on equal timestamps
        seen = latest_at.get(fid)
        if seen is None:
            latest_at[fid] = oldest_at[fid] = key
            latest[pos[fid]] = oldest[pos[fid]] = g
        elif key > seen:
            latest_at[fid], latest[pos[fid]] = key, g
        elif key < oldest_at[fid]:
            oldest_at[fid], oldest[pos[fid]] = key, g
    cols["grade_latest"] = np.asarray(latest, dtype=float)
    cols["grade_oldest"] = np.asarray(oldest, dtype=float)

    overdue_n, overdue_amt = _scatter(results["bureau"], pos, n, 2)
    cols["bureau_overdue_count"], cols["bureau_overdue_amount"] = overdue_n, overdue_amt
    (cols["legal_points"],) = _scatter(results["legal"], pos, n, 1, fill=0.0)

    reps, abnormal = np.zeros(n), np.zeros(n)
    for fid, rep_count, listed, removed in results["registry"]:
        i = pos[fid]
        reps[i] = float(rep_count or 0)
        # Listed when the latest listing is newer than the latest removal.
        abnormal[i] = float(listed is not None and (removed is None or str(listed) > str(removed)))
    cols["rep_changes"], cols["abnormal_listed"] = reps, abnormal
    batch.columns = cols
    return batch
