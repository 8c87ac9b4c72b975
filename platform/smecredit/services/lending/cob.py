"""Close of business (COB): days past due, penalty, classification, IFRS 9 stage.

For a business date ``D`` and every active loan with a schedule:

1. DPD as of ``D`` (:func:`smecredit.domain.delinquency.days_past_due`);
2. penalty interest on overdue instalments for the days up to and including ``D``
   (:func:`~smecredit.domain.delinquency.accrue_penalty`); each instalment remembers the
   day after the last day charged (``penalty_through``), so a day is never charged twice;
3. the five-category class with the DPD bands and the upgrade rule, unless overridden;
4. the debtor contagion rule over all active loans of the same firm;
5. the IFRS 9 stage; a :class:`ClassificationHistory` row when class or stage changes.

Idempotent: running ``D`` again changes nothing (a completed run is skipped; with
``force=True`` the computation runs again and finds nothing to change). Dates move
forward: a date before the latest completed run is refused.

Loans are streamed debtor by debtor in batches (memory stays flat however large the book)
with raw SQL reads and ``executemany`` writes, one transaction per batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache, partial
from itertools import groupby
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from smecredit.domain.classification import (
    DEFAULT_OBSERVATION_DAYS,
    DebtorClaim,
    LoanClass,
    apply_debtor_contagion,
    classify,
    ifrs9_stage,
)
from smecredit.domain.delinquency import accrue_penalty, days_past_due
from smecredit.domain.errors import PreconditionFailed
from smecredit.domain.repayments import InstalmentDue
from smecredit.models import CobRun, Product
from smecredit.services.lending.support import dec, is_postgres, now, rows_in, sql

__all__ = ["BATCH_SIZE", "CobSummary", "run_cob", "run_cob_range"]

#: Loans per batch (one transaction, a few queries).
BATCH_SIZE = 2000
_DEFAULT_PENALTY_MULTIPLIER = Decimal("1.5")
_ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class CobSummary:
    """What a run did.

    Attributes:
        business_date: the date closed.
        loans: active loans looked at.
        changed: loans whose DPD, class, stage or current-since date changed.
        penalties: instalments charged penalty.
        history_rows: classification history rows written.
        skipped: the date was already closed (nothing was done).
    """

    business_date: dt.date
    loans: int
    changed: int
    penalties: int
    history_rows: int
    skipped: bool = False


@dataclass(frozen=True, slots=True)
class _PenaltyRule:
    multiplier: Decimal | None
    absolute: Decimal | None
    grace_days: int

    def rate(self, contract_rate: Decimal) -> Decimal:
        if self.absolute is not None:
            return self.absolute
        return contract_rate * (self.multiplier or _DEFAULT_PENALTY_MULTIPLIER)


def _date(value: Any) -> dt.date | None:
    if value.__class__ is str:
        return dt.date.fromisoformat(value[:10])
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


_CLASSES = {c.value: c for c in LoanClass}


def _param(value: dt.date, conn: BaseDBAsyncClient) -> Any:
    return value if is_postgres(conn) else value.isoformat()


_LOANS = (
    "SELECT id, firm_id, product, annual_rate, outstanding_principal, classification,"
    " days_past_due, ifrs9_stage, current_since, classification_overridden FROM loan"
    " WHERE status = 'active' AND {where}"
    " AND EXISTS (SELECT 1 FROM repayment_schedule s WHERE s.loan_id = loan.id AND s.active)"
    " ORDER BY firm_id, id"
)


async def _loan_batches(
    conn: BaseDBAsyncClient, batch_size: int
) -> AsyncIterator[list[dict[str, Any]]]:
    """Yield active loans in batches that never split a debtor."""
    after = -1
    while True:
        rows = await conn.execute_query_dict(
            sql(_LOANS.format(where="firm_id > ?") + " LIMIT ?", conn), [after, batch_size]
        )
        if not rows:
            return
        if len(rows) == batch_size:
            last = rows[-1]["firm_id"]
            if rows[0]["firm_id"] == last:
                rows = await conn.execute_query_dict(
                    sql(_LOANS.format(where="firm_id = ?"), conn), [last]
                )
            else:
                rows = [r for r in rows if r["firm_id"] != last]
        after = rows[-1]["firm_id"]
        yield rows


async def _overdue_instalments(
    conn: BaseDBAsyncClient, loan_ids: list[int], day: dt.date
) -> dict[int, list[dict[str, Any]]]:
    query = (
        "SELECT id, loan_id, number, due_date, principal, interest, paid_principal,"
        " paid_interest, penalty_accrued, penalty_through FROM scheduled_instalment"
        " WHERE active = ? AND status IN ('pending', 'partial') AND due_date < ?"
        f" AND loan_id IN ({rows_in(loan_ids)})"
    )
    rows = await conn.execute_query_dict(sql(query, conn), [True, _param(day, conn), *loan_ids])
    out: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["loan_id"], []).append(row)
    return out


async def _penalty_rules() -> dict[str, _PenaltyRule]:
    return {
        p.code: _PenaltyRule(p.penalty_multiplier, p.penalty_rate_absolute, p.grace_period_days)
        for p in await Product.all()
    }


@dataclass(slots=True)
class _Outcome:
    loan: dict[str, Any]
    dpd: int
    loan_class: LoanClass
    current_since: dt.date | None


def _classify_loan(
    loan: dict[str, Any],
    instalments: list[dict[str, Any]],
    day: dt.date,
    rule: _PenaltyRule,
    penalty_updates: list[list[Any]],
    conn: BaseDBAsyncClient,
) -> _Outcome:
    if not instalments:  # nothing overdue: the common case, kept cheap
        current = _date(loan["current_since"]) or day
        previous = _CLASSES[loan["classification"]]
        if loan["classification_overridden"]:
            return _Outcome(loan, 0, previous, current)
        observed = (day - current).days >= DEFAULT_OBSERVATION_DAYS
        return _Outcome(loan, 0, _class_for(0, previous, observed), current)
    dues = []
    end = day + dt.timedelta(days=1)
    rate: Decimal | None = None
    for row in instalments:
        due = InstalmentDue(
            number=row["number"],
            due_date=_date(row["due_date"]),  # type: ignore[arg-type]
            principal=dec(row["principal"]) - dec(row["paid_principal"]),
            interest=dec(row["interest"]) - dec(row["paid_interest"]),
        )
        dues.append(due)
        through = _date(row["penalty_through"])
        start = through or due.due_date
        if start >= end or due.principal + due.interest <= 0:
            continue
        if rate is None:
            rate = rule.rate(dec(loan["annual_rate"]))
        charged = accrue_penalty([due], rate, start, end, grace_days=rule.grace_days).total
        penalty_updates.append(
            [dec(row["penalty_accrued"]) + charged, _param(end, conn), row["id"]]
        )
    dpd = days_past_due(dues, day)
    since = (_date(loan["current_since"]) or day) if dpd == 0 else None
    stored = _CLASSES[loan["classification"]]
    if loan["classification_overridden"]:
        loan_class = stored
    else:
        days_current = (day - since).days if since else 0
        loan_class = _class_for(dpd, stored, days_current >= DEFAULT_OBSERVATION_DAYS)
    return _Outcome(loan, dpd, loan_class, since)


@lru_cache(maxsize=512)
def _stage_for(dpd: int, loan_class: LoanClass) -> int:
    # ifrs9_stage() looks at DPD only through its 30 and 90 day thresholds
    return ifrs9_stage(dpd, loan_class, False)


@lru_cache(maxsize=4096)
def _class_for(dpd: int, previous: LoanClass, observed: bool) -> LoanClass:
    # classify() depends on days_current only through "observation period passed", so the
    # result is a function of these three values: memoised, it costs a dict lookup per loan.
    days_current = DEFAULT_OBSERVATION_DAYS if observed else 0
    return classify(dpd, previous=previous, days_current=days_current).loan_class


async def _close_batch(
    conn: BaseDBAsyncClient,
    loans: list[dict[str, Any]],
    day: dt.date,
    rules: dict[str, _PenaltyRule],
) -> tuple[int, int, int]:
    instalments = await _overdue_instalments(conn, [r["id"] for r in loans], day)
    penalty_updates: list[list[Any]] = []
    loan_updates: list[list[Any]] = []
    history: list[list[Any]] = []
    default_rule = _PenaltyRule(_DEFAULT_PENALTY_MULTIPLIER, None, 0)
    stamp = now() if is_postgres(conn) else now().isoformat(sep=" ")
    for _, group in groupby(loans, key=lambda r: r["firm_id"]):
        outcomes = [
            _classify_loan(
                loan,
                instalments.get(loan["id"], []),
                day,
                rules.get(loan["product"], default_rule),
                penalty_updates,
                conn,
            )
            for loan in group
        ]
        # contagion can only trigger when the debtor has a non-performing claim
        if len(outcomes) > 1 and any(o.loan_class.is_non_performing for o in outcomes):
            contagion = apply_debtor_contagion(
                DebtorClaim(
                    str(o.loan["id"]),
                    max(dec(o.loan["outstanding_principal"]), _ZERO),
                    o.loan_class,
                    bool(o.loan["classification_overridden"]),
                )
                for o in outcomes
            )
            for outcome, claim in zip(outcomes, contagion.claims, strict=True):
                outcome.loan_class = claim.loan_class
        for o in outcomes:
            loan = o.loan
            stage = _stage_for(min(o.dpd, 91), o.loan_class)
            since = _date(loan["current_since"])
            if (o.dpd, o.loan_class.value, stage, o.current_since) != (
                loan["days_past_due"],
                loan["classification"],
                loan["ifrs9_stage"],
                since,
            ):
                loan_updates.append(
                    [
                        o.dpd,
                        o.loan_class.value,
                        stage,
                        _param(o.current_since, conn) if o.current_since else None,
                        stamp,
                        loan["id"],
                    ]
                )
            if (o.loan_class.value, stage) != (loan["classification"], loan["ifrs9_stage"]):
                history.append(
                    [
                        loan["id"],
                        _param(day, conn),
                        o.dpd,
                        o.loan_class.value,
                        stage,
                        bool(loan["classification_overridden"]),
                        "cob",
                        stamp,
                    ]
                )
    if penalty_updates:
        await conn.execute_many(
            sql(
                "UPDATE scheduled_instalment SET penalty_accrued = ?, penalty_through = ?"
                " WHERE id = ?",
                conn,
            ),
            penalty_updates,
        )
    if loan_updates:
        await conn.execute_many(
            sql(
                "UPDATE loan SET days_past_due = ?, classification = ?, ifrs9_stage = ?,"
                " current_since = ?, updated_at = ?, version = version + 1 WHERE id = ?",
                conn,
            ),
            loan_updates,
        )
    if history:
        await conn.execute_many(
            sql(
                "INSERT INTO classification_history (loan_id, as_of, dpd, loan_class, stage,"
                " overridden, actor, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                conn,
            ),
            history,
        )
    return len(loan_updates), len(penalty_updates), len(history)


async def run_cob(
    business_date: dt.date,
    *,
    force: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> CobSummary:
    """Close ``business_date`` (see the module docstring).

    Args:
        business_date: the day to close.
        force: recompute even if the date was closed already (still changes nothing).
        batch_size: loans per batch and transaction.
        progress: called with the number of loans done after each batch.

    Raises:
        PreconditionFailed: a later date was already closed.
    """
    run = await CobRun.get_or_none(business_date=business_date)
    if run is not None and run.status == "completed" and not force:
        return CobSummary(business_date, run.loans, 0, 0, 0, skipped=True)
    later = await CobRun.filter(business_date__gt=business_date, status="completed").exists()
    if later and not force:
        raise PreconditionFailed(
            f"business date {business_date} is before the last closed date; COB moves forward"
        )
    if run is None:
        run = await CobRun.create(business_date=business_date, status="running")
    rules = await _penalty_rules()
    conn = connections.get("default")
    loans = changed = penalties = history_rows = 0
    async for batch in _loan_batches(conn, batch_size):
        async with in_transaction() as tx:
            c, p, h = await _close_batch(tx, batch, business_date, rules)
        loans += len(batch)
        changed += c
        penalties += p
        history_rows += h
        if progress is not None:
            progress(loans)
    await CobRun.filter(id=run.id).update(
        status="completed",
        loans=loans,
        changed=changed,
        penalties=penalties,
        history_rows=history_rows,
        finished_at=now(),
    )
    return CobSummary(business_date, loans, changed, penalties, history_rows)


async def run_cob_range(
    start: dt.date,
    end: dt.date,
    *,
    force: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[dt.date, int], None] | None = None,
) -> list[CobSummary]:
    """Close every date from ``start`` to ``end`` inclusive, in order."""
    if end < start:
        raise PreconditionFailed(f"the range ends ({end}) before it starts ({start})")
    out = []
    day = start
    while day <= end:
        current = day
        out.append(
            await run_cob(
                current,
                force=force,
                batch_size=batch_size,
                progress=partial(progress, current) if progress else None,
            )
        )
        day += dt.timedelta(days=1)
    return out
