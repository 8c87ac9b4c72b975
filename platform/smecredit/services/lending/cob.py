"""Close of business (COB): days past due, penalty, classification, IFRS 9 stage.

For a business date ``D`` and every loan on the book (status ``active`` or
``written_off``), however it entered the platform:

1. DPD as of ``D`` by the one rule of :func:`smecredit.domain.delinquency.days_past_due`:
   from the loan's schedule when it has one (booked here, or imported with its schedule),
   else from its repayment history (imported loans,
   :func:`~smecredit.domain.delinquency.recorded_days_past_due`). The DPD is written on
   the loan, and the early warnings (``LOAN_DPD``) read it from there, so a warning and
   the class of a loan always agree on its days past due;
2. penalty interest on overdue instalments of a schedule for the days up to and including
   ``D`` (:func:`~smecredit.domain.delinquency.accrue_penalty`); each instalment remembers
   the day after the last day charged (``penalty_through``), so a day is never charged
   twice. A loan known by its history only is charged nothing here (its record is the
   source's);
3. the five-category class with the DPD bands and the upgrade rule, unless overridden;
   a written-off loan is a loss (损失, stage 3) whatever its DPD or override;
4. the debtor contagion rule over all the firm's loans on the book, however they came;
5. the IFRS 9 stage; a :class:`ClassificationHistory` row when class or stage changes.

Idempotent: running ``D`` again changes nothing (a succeeded run is skipped; with
``force=True`` the computation runs again and finds nothing to change). Dates move
forward: a date before the latest succeeded run is refused, and so is a date after one
that failed or was interrupted (run that one first).

Loans are streamed debtor by debtor in batches (memory stays flat however large the book)
with raw SQL reads and ``executemany`` writes of the rows that changed only, one
transaction per batch. A batch reads and locks its loans, then their instalments, as
every lending use case does (:mod:`smecredit.services.lending.support`), so COB and
repayments wait for each other but never deadlock; the transaction runs through
:func:`smecredit.services.transactions.atomic`.

Runs. One COB runs at a time (:func:`claim_run`), started by the CLI, the ``runCob``
mutation (in the background: :func:`claim_run` then :func:`close_claimed`) or the daily
schedule (:mod:`smecredit.services.lending.cob_schedule`). Each batch commits with the run's
progress (the last debtor closed and the totals so far) and a heartbeat. A run left
``running`` by a process that died (its ``host:pid`` is gone, or its heartbeat is older
than ``SMECREDIT_COB_STALE_AFTER``) is marked ``interrupted`` by the next ``cob run``,
which resumes the date after its last committed batch: the result, totals included,
equals an uninterrupted run. A run that raised is marked ``failed`` with the error;
running the date again resumes it the same way.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache, partial
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from smecredit.domain.classification import (
    DEFAULT_OBSERVATION_DAYS,
    WRITTEN_OFF,
    DebtorClaim,
    LoanClass,
    apply_debtor_contagion,
    classify,
    ifrs9_stage,
)
from smecredit.domain.delinquency import (
    RecordedInstalment,
    accrue_penalty,
    days_past_due,
    recorded_days_past_due,
)
from smecredit.domain.errors import PreconditionFailed
from smecredit.domain.repayments import InstalmentDue
from smecredit.errors import Conflict
from smecredit.models import CobRun, Product
from smecredit.security.operations import authorize
from smecredit.security.principal import Principal
from smecredit.services.lending.support import (
    audit,
    dec,
    is_postgres,
    now,
    rows_in,
    sql,
)
from smecredit.services.transactions import atomic
from smecredit.settings import DEFAULT_COB_STALE_AFTER, format_duration

__all__ = [
    "BATCH_SIZE",
    "CLOSED_STATUSES",
    "CobAlreadyRunning",
    "CobClaim",
    "CobSummary",
    "business_today",
    "claim_run",
    "close_claimed",
    "dead_reason",
    "run_cob",
    "run_cob_range",
]

log = logging.getLogger(__name__)

#: Loans per batch (one transaction, a few queries). Each batch costs a commit (a WAL sync
#: on SQLite) and four round trips whatever its size, about a third of the whole close at
#: 2,000 loans; at 10,000 that is under a tenth, while a batch still holds its locks for
#: a fraction of a second and its rows stay a few MiB (memory is bounded by the batch,
#: not the book).
BATCH_SIZE = 10_000
_DEFAULT_PENALTY_MULTIPLIER = Decimal("1.5")
_ZERO = Decimal("0.00")
#: PostgreSQL advisory lock key taken while claiming a run (unique in the database).
_CLAIM_LOCK_KEY = 7_301_955_410_307
_UNFINISHED = ("failed", "interrupted")


class CobAlreadyRunning(Conflict):
    """Another COB run is alive: two would close the same loans at the same time."""

    code = "COB_RUNNING"


@dataclass(frozen=True, slots=True)
class CobSummary:
    """What a run did.

    Attributes:
        business_date: the date closed.
        loans: loans looked at (active and written off).
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


#: Loans COB closes: active ones and written-off ones (still on the book as losses).
CLOSED_STATUSES = ("active", "written_off")
# Rows are read as tuples (no dict per row: COB reads every loan of the book every day),
# with these positions.
_ID, _FIRM, _REF, _STATUS, _PRODUCT, _RATE, _OUTSTANDING = range(7)
_CLASS, _DPD, _STAGE, _SINCE, _OVERRIDDEN, _SCHEDULED = range(7, 13)
_COLUMNS = (
    "id, firm_id, loan_ref, status, product, annual_rate, outstanding_principal,"
    " classification, days_past_due, ifrs9_stage, current_since, classification_overridden,"
    # a booked loan always has an active schedule; asking for any keeps to the index
    " EXISTS (SELECT 1 FROM repayment_schedule s WHERE s.loan_id = loan.id) AS scheduled"
)
_LOANS = "SELECT " + _COLUMNS + " FROM loan WHERE status = ? AND {where} ORDER BY firm_id, id"
_DEBTOR = "SELECT " + _COLUMNS + " FROM loan WHERE status IN (?, ?) AND firm_id = ? ORDER BY id"
_NORMAL = LoanClass.NORMAL


async def _rows(conn: BaseDBAsyncClient, query: str, values: list[Any]) -> list[Any]:
    return list((await conn.execute_query(sql(query, conn), values))[1])


async def _next_batch(conn: BaseDBAsyncClient, batch_size: int, after: int) -> list[Any]:
    """The loans COB closes of the next debtors after firm ``after``, never splitting a
    debtor; on PostgreSQL locked as they are read (the loans before their instalments).

    One ordered, limited index scan per status (an ``IN`` over the statuses would sort
    every later loan of the book for each batch), each bounded by the debtors the earlier
    ones reached; a scan that filled up bounds the batch to the debtors before its last
    one, so each debtor kept is complete.
    """
    lock = " FOR UPDATE OF loan" if is_postgres(conn) else ""
    rows: list[Any] = []
    cut: int | None = None
    merged = 0
    for status in CLOSED_STATUSES:
        if cut is None:
            where, values = "firm_id > ?", [status, after, batch_size]
        else:
            where, values = "firm_id > ? AND firm_id < ?", [status, after, cut, batch_size]
        part = await _rows(conn, _LOANS.format(where=where) + " LIMIT ?" + lock, values)
        if len(part) == batch_size:
            last = part[-1][_FIRM]
            cut = last if cut is None else min(cut, last)
        merged += bool(part)
        rows.extend(part)
    if cut is not None:
        rows = [r for r in rows if r[_FIRM] < cut]
        if not rows:  # one debtor with more loans than a batch
            return await _rows(conn, _DEBTOR + lock, [*CLOSED_STATUSES, cut])
    if merged > 1:
        rows.sort(key=_by_debtor)
    return rows


def _by_debtor(row: Any) -> tuple[int, int]:
    return row[_FIRM], row[_ID]


async def _overdue_instalments(
    conn: BaseDBAsyncClient, loan_ids: list[int], day: dt.date
) -> dict[int, list[Any]]:
    """Unpaid instalments due before ``day`` of the given loans, by loan: (id, number,
    due date, principal, interest, paid principal, paid interest, penalty, through)."""
    out: dict[int, list[Any]] = {}
    if not loan_ids:
        return out
    query = (
        "SELECT loan_id, id, number, due_date, principal, interest, paid_principal,"
        " paid_interest, penalty_accrued, penalty_through FROM scheduled_instalment"
        " WHERE active = ? AND status IN ('pending', 'partial') AND due_date < ?"
        f" AND loan_id IN ({rows_in(loan_ids)})"  # grouped by loan below: no sort
    )
    if is_postgres(conn):
        query += " FOR UPDATE"  # after the loans: the one lock order
    for row in await _rows(conn, query, [True, _param(day, conn), *loan_ids]):
        out.setdefault(row[0], []).append(tuple(row)[1:])
    return out


async def _unpaid_records(
    conn: BaseDBAsyncClient, loan_refs: list[str], day: dt.date
) -> dict[str, list[RecordedInstalment]]:
    """The repayment-history instalments of loans without a schedule that may still have
    been owed on ``day``; :func:`recorded_dues` decides (the SQL only narrows)."""
    out: dict[str, list[RecordedInstalment]] = {}
    if not loan_refs:
        return out
    # SQLite keeps decimals as text: compare them as numbers
    short = (
        "amount_paid < amount_due"
        if is_postgres(conn)
        else "CAST(amount_paid AS REAL) < CAST(amount_due AS REAL)"
    )
    query = (
        "SELECT loan_ref, due_date, paid_date, amount_due, amount_paid FROM repayment_history"
        f" WHERE loan_ref IN ({rows_in(loan_refs)}) AND due_date < ?"
        f" AND (paid_date IS NULL OR paid_date > ? OR {short})"
    )
    param = _param(day, conn)
    for ref, due, paid_on, amount, paid in await _rows(conn, query, [*loan_refs, param, param]):
        out.setdefault(ref, []).append(
            RecordedInstalment(_date(due), dec(amount), dec(paid), _date(paid_on))  # type: ignore[arg-type]
        )
    return out


async def _penalty_rules() -> dict[str, _PenaltyRule]:
    return {
        p.code: _PenaltyRule(p.penalty_multiplier, p.penalty_rate_absolute, p.grace_period_days)
        for p in await Product.all()
    }


def _scheduled_dpd(
    loan: Any,
    instalments: list[Any],
    day: dt.date,
    rule: _PenaltyRule,
    penalty_updates: list[list[Any]],
    end_param: Any,
) -> int:
    """DPD of a loan booked with a schedule, charging penalty on its overdue instalments."""
    dues = []
    end = day + dt.timedelta(days=1)
    rate: Decimal | None = None
    for (
        row_id,
        number,
        due_on,
        principal,
        interest,
        paid_p,
        paid_i,
        penalty,
        through,
    ) in instalments:
        due = InstalmentDue(
            number=number,
            due_date=_date(due_on),  # type: ignore[arg-type]
            principal=dec(principal) - dec(paid_p),
            interest=dec(interest) - dec(paid_i),
        )
        dues.append(due)
        start = _date(through) or due.due_date
        if start >= end or due.principal + due.interest <= 0:
            continue
        if rate is None:
            rate = rule.rate(dec(loan[_RATE]))
        charged = accrue_penalty([due], rate, start, end, grace_days=rule.grace_days).total
        penalty_updates.append([dec(penalty) + charged, end_param, row_id])
    return days_past_due(dues, day)


def _class_of(loan: Any, dpd: int, day: dt.date) -> LoanClass:
    """The class of one loan at ``dpd`` before debtor contagion."""
    previous = _CLASSES[loan[_CLASS]]
    written_off = loan[_STATUS] == "written_off"
    if loan[_OVERRIDDEN] and not written_off:
        return previous
    stored = loan[_SINCE]
    # the upgrade rule looks at the days current only to upgrade a non-performing loan
    observed = (
        dpd == 0
        and stored is not None
        and previous.is_non_performing
        and (day - _date(stored)).days >= DEFAULT_OBSERVATION_DAYS  # type: ignore[operator]
    )
    return _class_for(dpd, previous, observed, written_off)


@lru_cache(maxsize=512)
def _stage_for(dpd: int, loan_class: LoanClass) -> int:
    # ifrs9_stage() looks at DPD only through its 30 and 90 day thresholds
    return ifrs9_stage(dpd, loan_class, False)


@lru_cache(maxsize=8192)
def _class_for(dpd: int, previous: LoanClass, observed: bool, written_off: bool) -> LoanClass:
    # classify() depends on days_current only through "observation period passed", so the
    # result is a function of these values: memoised, it costs a dict lookup per loan.
    days_current = DEFAULT_OBSERVATION_DAYS if observed else 0
    evidence = (WRITTEN_OFF,) if written_off else ()
    return classify(dpd, previous=previous, days_current=days_current, evidence=evidence).loan_class


def _contagion(debtor: list[list[Any]]) -> None:
    """The debtor rule over one debtor's outcomes ``[loan, dpd, class]``, in place."""
    if len(debtor) < 2 or not any(o[2].is_non_performing for o in debtor):
        return  # it can only trigger when the debtor has a non-performing claim
    result = apply_debtor_contagion(
        DebtorClaim(
            str(loan[_ID]), max(dec(loan[_OUTSTANDING]), _ZERO), cls, bool(loan[_OVERRIDDEN])
        )
        for loan, _, cls in debtor
    )
    for outcome, claim in zip(debtor, result.claims, strict=True):
        outcome[2] = claim.loan_class


async def _close_batch(
    conn: BaseDBAsyncClient,
    loans: list[Any],
    day: dt.date,
    rules: dict[str, _PenaltyRule],
) -> tuple[int, int, int]:
    instalments = await _overdue_instalments(conn, [r[_ID] for r in loans if r[_SCHEDULED]], day)
    records = await _unpaid_records(conn, [r[_REF] for r in loans if not r[_SCHEDULED]], day)
    penalty_updates: list[list[Any]] = []
    default_rule = _PenaltyRule(_DEFAULT_PENALTY_MULTIPLIER, None, 0)
    # outcomes [loan, dpd, class], debtor by debtor (the loans come ordered by debtor)
    outcomes: list[list[Any]] = []
    debtor: list[list[Any]] = []
    firm = None
    end_param = _param(day + dt.timedelta(days=1), conn)
    for loan in loans:
        if loan[_FIRM] != firm:
            _contagion(debtor)
            debtor = []
            firm = loan[_FIRM]
        if loan[_SCHEDULED]:
            due = instalments.get(loan[_ID])
            rule = rules.get(loan[_PRODUCT], default_rule)
            dpd = _scheduled_dpd(loan, due, day, rule, penalty_updates, end_param) if due else 0
        else:
            recorded = records.get(loan[_REF])
            dpd = recorded_days_past_due(recorded, day) if recorded else 0
        if dpd == 0 and loan[_CLASS] == "normal" and not loan[_OVERRIDDEN]:
            cls = _NORMAL if loan[_STATUS] != "written_off" else LoanClass.LOSS
        else:
            cls = _class_of(loan, dpd, day)
        outcome = [loan, dpd, cls]
        debtor.append(outcome)
        outcomes.append(outcome)
    _contagion(debtor)
    loan_updates, history = _changes(outcomes, day, conn)
    await _write(conn, loan_updates, penalty_updates, history)
    return len(loan_updates), len(penalty_updates), len(history)


def _changes(
    outcomes: list[list[Any]], day: dt.date, conn: BaseDBAsyncClient
) -> tuple[list[list[Any]], list[list[Any]]]:
    """The loan rows that changed (only those are written) and the history rows of the
    loans whose class or stage changed."""
    stamp = now() if is_postgres(conn) else now().isoformat(sep=" ")
    day_param = _param(day, conn)
    loan_updates: list[list[Any]] = []
    history: list[list[Any]] = []
    for loan, dpd, cls in outcomes:
        stored = loan[_SINCE]
        # current since: kept as read while current, today when it became current
        since = (day_param if stored is None else stored) if dpd == 0 else None
        value = cls.value
        stage = _stage_for(min(dpd, 91), cls)
        same_class = value == loan[_CLASS] and stage == loan[_STAGE]
        if same_class and dpd == loan[_DPD] and (stored is None) == (since is None):
            continue
        loan_updates.append([dpd, value, stage, since, stamp, loan[_ID]])
        if not same_class:
            history.append(
                [loan[_ID], day_param, dpd, value, stage, bool(loan[_OVERRIDDEN]), "cob", stamp]
            )
    return loan_updates, history


async def _write(
    conn: BaseDBAsyncClient,
    loan_updates: list[list[Any]],
    penalty_updates: list[list[Any]],
    history: list[list[Any]],
) -> None:
    if loan_updates:
        await conn.execute_many(
            sql(
                "UPDATE loan SET days_past_due = ?, classification = ?, ifrs9_stage = ?,"
                " current_since = ?, updated_at = ?, version = version + 1 WHERE id = ?",
                conn,
            ),
            loan_updates,
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
    if history:
        await conn.execute_many(
            sql(
                "INSERT INTO classification_history (loan_id, as_of, dpd, loan_class, stage,"
                " overridden, actor, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                conn,
            ),
            history,
        )


# ------------------------------------------------------------------------------- runs


def business_today(settings: Any = None, at: dt.datetime | None = None) -> dt.date:
    """Today's business date: the day in the time zone of ``SMECREDIT_COB_AT`` (when set),
    else in the server's local time zone.

    Args:
        settings: platform settings (their ``cob_at``), or None.
        at: the moment (default: now).
    """
    moment = at or dt.datetime.now(dt.UTC)
    when = getattr(settings, "cob_at", None)
    zone = when.tzinfo if when is not None else None
    return moment.astimezone(zone).date()


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


def dead_reason(
    run: CobRun, at: dt.datetime, stale_after: dt.timedelta = DEFAULT_COB_STALE_AFTER
) -> str | None:
    """Why a ``running`` run is taken for dead, or None while it may be alive.

    Dead: its process (``host:pid``, on this host) no longer exists, or its last heartbeat
    is older than ``stale_after`` (the only sign for a run of another host).
    """
    host, _, pid = (run.owner or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit() and _process_gone(int(pid)):
        return f"interrupted: its process ({run.owner}) is gone"
    beat = run.heartbeat_at or run.started_at
    if beat is None or at - beat > stale_after:
        return (
            f"interrupted: no heartbeat from {run.owner or 'its process'} for more than "
            f"{format_duration(stale_after)}"
        )
    return None


@dataclass(frozen=True, slots=True)
class CobClaim:
    """A run claimed by :func:`claim_run`: to close (:func:`close_claimed`), or skipped
    because its date was closed already."""

    run: CobRun
    skipped: bool = False


async def _book_size(conn: BaseDBAsyncClient) -> int:
    query = f"SELECT COUNT(*) AS n FROM loan WHERE status IN ({rows_in(CLOSED_STATUSES)})"
    rows = await conn.execute_query_dict(sql(query, conn), list(CLOSED_STATUSES))
    return int(rows[0]["n"])


async def claim_run(
    business_date: dt.date,
    principal: Principal,
    *,
    force: bool = False,
    stale_after: dt.timedelta = DEFAULT_COB_STALE_AFTER,
) -> CobClaim:
    """Start, resume or skip the run of ``business_date``, in one audited transaction.

    Runs left ``running`` by a dead process are marked ``interrupted`` first (audited).

    Raises:
        CobAlreadyRunning: ``COB_RUNNING``, another run is alive.
        PreconditionFailed: a later date succeeded (COB moves forward), or an earlier
            date failed or was interrupted (run it first).
    """

    async def work(conn: BaseDBAsyncClient) -> CobClaim:
        if is_postgres(conn):
            # claims of two processes at the same moment are served one after the other
            # (SQLite: the transaction's write lock does the same)
            await conn.execute_query(f"SELECT pg_advisory_xact_lock({_CLAIM_LOCK_KEY})")
        at = now()
        for other in await CobRun.filter(status="running").using_db(conn):
            why = dead_reason(other, at, stale_after)
            if why is None:
                beat = other.heartbeat_at or other.started_at
                raise CobAlreadyRunning(
                    f"COB of {other.business_date} is running ({other.owner}, last heartbeat "
                    f"{beat:%Y-%m-%d %H:%M:%S} UTC); wait for it to finish"
                )
            await (
                CobRun.filter(id=other.id)
                .using_db(conn)
                .update(status="interrupted", error=why, finished_at=at)
            )
            await audit(
                principal,
                "cob.interrupted",
                f"CobRun:{other.id}",
                before={"status": "running", "owner": other.owner},
                after={"status": "interrupted", "error": why},
                connection=conn,
            )
        run = await CobRun.filter(business_date=business_date).using_db(conn).first()
        if run is not None and run.status == "succeeded" and not force:
            return CobClaim(run, skipped=True)
        later = CobRun.filter(business_date__gt=business_date, status="succeeded")
        if not force and await later.using_db(conn).exists():
            raise PreconditionFailed(
                f"business date {business_date} is before the last closed date; COB moves forward"
            )
        earlier = (
            await CobRun.filter(business_date__lt=business_date, status__in=_UNFINISHED)
            .using_db(conn)
            .order_by("business_date")
            .first()
        )
        if earlier is not None:
            raise PreconditionFailed(
                f"COB of {earlier.business_date} {earlier.status} ({earlier.error}); run that "
                f"date again first (smecredit cob run --date {earlier.business_date})"
            )
        total = await _book_size(conn)
        fresh = {
            "status": "running",
            "owner": _owner(),
            "heartbeat_at": at,
            "error": None,
            "total_loans": total,
            "started_by": principal.username,
        }
        if run is None:
            run = await CobRun.create(business_date=business_date, **fresh, using_db=conn)
            action, before = "cob.start", None
        else:
            before = {"status": run.status, "error": run.error, "loans": run.loans}
            changes: dict[str, Any] = {**fresh, "finished_at": None, "attempts": run.attempts + 1}
            if run.status == "succeeded":  # forced: a whole new pass
                changes.update(last_firm_id=None, loans=0, changed=0, penalties=0, history_rows=0)
                action = "cob.rerun"
            else:  # failed or interrupted: go on after the last committed batch
                action = "cob.resume"
            await CobRun.filter(id=run.id).using_db(conn).update(**changes)
            run = await CobRun.filter(id=run.id).using_db(conn).get()
        await audit(
            principal,
            action,
            f"CobRun:{run.id}",
            before=before,
            after={"business_date": str(business_date), "after_firm": run.last_firm_id},
            connection=conn,
        )
        return CobClaim(run)

    return await atomic(work, what=f"starting COB of {business_date}")


_PROGRESS = (
    "UPDATE cob_run SET loans = loans + ?, changed = changed + ?, penalties = penalties + ?,"
    " history_rows = history_rows + ?, last_firm_id = ?, heartbeat_at = ?"
    " WHERE id = ? AND status = 'running' AND owner = ?"
)


async def _close_next_batch(
    run: CobRun, after: int, day: dt.date, rules: dict[str, _PenaltyRule], batch_size: int
) -> tuple[int, int] | None:
    """Read, lock and close the next batch, recording the run's progress with it, in one
    transaction: (loans closed, last debtor), or None when no debtor is left."""

    async def work(conn: BaseDBAsyncClient) -> tuple[int, int] | None:
        loans = await _next_batch(conn, batch_size, after)
        if not loans:
            return None
        changed, penalties, history = await _close_batch(conn, loans, day, rules)
        stamp = now() if is_postgres(conn) else now().isoformat(sep=" ")
        last = int(loans[-1][_FIRM])
        values = [len(loans), changed, penalties, history, last, stamp, run.id, run.owner]
        updated, _ = await conn.execute_query(sql(_PROGRESS, conn), values)
        if updated != 1:  # another process took the run for dead and resumed it
            raise CobAlreadyRunning(
                f"COB of {day} was taken over by another process; this one stops"
            )
        return len(loans), last

    return await atomic(work, what=f"COB of {day}")


async def _finish(run: CobRun, principal: Principal, status: str, error: str | None) -> CobRun:
    async def work(conn: BaseDBAsyncClient) -> CobRun:
        at = now()
        updated = (
            await CobRun.filter(id=run.id, status="running", owner=run.owner)
            .using_db(conn)
            .update(status=status, error=error, finished_at=at, heartbeat_at=at)
        )
        row = await CobRun.filter(id=run.id).using_db(conn).get()
        if updated:
            await audit(
                principal,
                f"cob.{status}",
                f"CobRun:{run.id}",
                after={
                    "business_date": str(row.business_date),
                    "loans": row.loans,
                    "changed": row.changed,
                    "penalties": row.penalties,
                    "history_rows": row.history_rows,
                    "error": error,
                },
                connection=conn,
            )
        return row

    return await atomic(work, what=f"recording the end of COB of {run.business_date}")


async def run_cob(
    business_date: dt.date,
    principal: Principal,
    *,
    force: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    stale_after: dt.timedelta = DEFAULT_COB_STALE_AFTER,
) -> CobSummary:
    """Close ``business_date`` (see the module docstring), resuming an unfinished run.

    Args:
        business_date: the day to close.
        principal: who runs it (the CLI and schedules: ``SYSTEM``); needs ``cob.run``.
        force: recompute even if the date was closed already (still changes nothing).
        batch_size: loans per batch and transaction.
        progress: called with the number of loans done after each batch.
        stale_after: a running run without a heartbeat for longer is taken for dead.

    Raises:
        PermissionDenied: the principal may not run COB.
        CobAlreadyRunning: another run is alive.
        PreconditionFailed: a later date was already closed, or an earlier one is
            unfinished.
    """
    authorize(principal, "cob.run")
    claim = await claim_run(business_date, principal, force=force, stale_after=stale_after)
    return await close_claimed(claim, principal, batch_size=batch_size, progress=progress)


async def close_claimed(
    claim: CobClaim,
    principal: Principal,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> CobSummary:
    """Close the date of a claimed run batch by batch and record how it ended.

    A run that raises is ``failed``; one cancelled (the server stops, Ctrl-C) is
    ``interrupted``: both resume where they stopped when the date is run again.
    """
    run = claim.run
    business_date = run.business_date
    if claim.skipped:
        return CobSummary(business_date, run.loans, 0, 0, 0, skipped=True)
    try:
        rules = await _penalty_rules()
        done = run.loans
        after = -1 if run.last_firm_id is None else run.last_firm_id
        while closed := await _close_next_batch(run, after, business_date, rules, batch_size):
            count, after = closed
            done += count
            if progress is not None:
                progress(done)
    except CobAlreadyRunning:
        raise  # the run is someone else's now: leave it alone
    except Exception as exc:
        await _record_end(run, principal, "failed", f"{type(exc).__name__}: {exc}")
        raise
    except BaseException:  # cancelled, Ctrl-C: resumable like a killed process
        await _record_end(run, principal, "interrupted", "interrupted: stopped before the end")
        raise
    row = await _finish(run, principal, "succeeded", None)
    return CobSummary(business_date, row.loans, row.changed, row.penalties, row.history_rows)


async def _record_end(run: CobRun, principal: Principal, status: str, error: str) -> None:
    """Mark a run that stopped; never hides the error that stopped it."""
    try:
        await _finish(run, principal, status, error)
    except Exception:
        log.exception("COB of %s: could not record it %s", run.business_date, status)


async def run_cob_range(
    start: dt.date,
    end: dt.date,
    principal: Principal,
    *,
    force: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[dt.date, int], None] | None = None,
    stale_after: dt.timedelta = DEFAULT_COB_STALE_AFTER,
) -> list[CobSummary]:
    """Close every date from ``start`` to ``end`` inclusive, in order."""
    authorize(principal, "cob.run")
    if end < start:
        raise PreconditionFailed(f"the range ends ({end}) before it starts ({start})")
    out = []
    day = start
    while day <= end:
        current = day
        out.append(
            await run_cob(
                current,
                principal,
                force=force,
                batch_size=batch_size,
                progress=partial(progress, current) if progress else None,
                stale_after=stale_after,
            )
        )
        day += dt.timedelta(days=1)
    return out
