"""Portfolio scan runs as a lock: at most one portfolio scan at a time, across processes.

A portfolio scan starts by *claiming* a :class:`~smecredit.models.WarningScanRun`: one
``INSERT ... SELECT ... WHERE NOT EXISTS`` writes the ``running`` row only when no other
portfolio scan is running (and, for a schedule, none started in the current period).
SQLite runs every write under its single writer lock, and the transaction's first statement
is a write, so the check and the insert see the same state. PostgreSQL first takes a
transaction-level advisory lock, so two processes claiming at the same moment are served
one after the other and the second sees the first one's row.

A run left ``running`` longer than the stale limit is taken for dead (the process that ran
it was killed) and marked ``failed`` before the check, so a crash cannot block scans forever.
No new table or column is needed: the run rows are the lock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.transactions import in_transaction

from smecredit import models
from smecredit.errors import Conflict
from smecredit.services.sql_dialect import Sql
from smecredit.services.warnings.config import audit
from smecredit.settings import DEFAULT_WARNING_SCAN_STALE_AFTER, format_duration

__all__ = [
    "PORTFOLIO",
    "ScanAlreadyRunning",
    "claim_portfolio_run",
    "describe",
    "fail_if_running",
    "last_portfolio_start",
    "running_portfolio_run",
    "start_portfolio_run",
]

PORTFOLIO = "portfolio"
#: PostgreSQL advisory lock key taken while claiming (any constant unique in the database).
_ADVISORY_KEY = 7_301_955_410_211
_MARK_STALE = (
    "UPDATE ew_scan_run SET status = 'failed', error = ?, finished_at = ?"
    " WHERE scope = 'portfolio' AND status = 'running' AND started_at < ? RETURNING id"
)


class ScanAlreadyRunning(Conflict):
    """A portfolio scan is running: a second one would do the same work at the same time."""

    code = "SCAN_RUNNING"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def claim_portfolio_run(
    *,
    author: str,
    now: dt.datetime | None = None,
    stale_after: dt.timedelta = DEFAULT_WARNING_SCAN_STALE_AFTER,
    not_started_since: tuple[dt.datetime, bool] | None = None,
) -> models.WarningScanRun | None:
    """Start a portfolio scan run unless one is running; None when another one is.

    Args:
        author: who scans (written on the run and in the audit trail).
        now: the claim's time (``started_at`` of the new run).
        stale_after: a run ``running`` for longer is marked failed first.
        not_started_since: ``(instant, inclusive)``: also refuse when a portfolio scan
            (of any outcome) started after ``instant`` (at or after, when inclusive): a
            schedule's "this period's scan already happened".

    Returns:
        The new ``running`` run, or None when the claim was refused.
    """
    now = now or _now()
    async with in_transaction() as conn:
        sql = Sql(conn)
        await sql.lock(_ADVISORY_KEY)
        why = f"abandoned: still running after {format_duration(stale_after)}, its process stopped"
        stale = await sql.returning(_MARK_STALE, [why, now, now - stale_after])
        for row in stale:
            await audit(
                "system",
                "warning_scan.abandoned",
                f"WarningScanRun:{row['id']}",
                after={"status": "failed"},
                conn=conn,
            )
        recent, params = "", [author, now]
        if not_started_since is not None:
            instant, inclusive = not_started_since
            recent = f" OR started_at {'>=' if inclusive else '>'} ?"
            params.append(instant)
        text, stamp = sql.typed("text"), sql.typed("timestamptz")
        claimed = await sql.returning(
            "INSERT INTO ew_scan_run (scope, status, author, firms_scanned, opened, updated,"
            f" escalated, resolved, started_at) SELECT 'portfolio', 'running', {text},"
            f" 0, 0, 0, 0, 0, {stamp} WHERE NOT EXISTS (SELECT 1 FROM ew_scan_run"
            f" WHERE scope = 'portfolio' AND (status = 'running'{recent})) RETURNING id",
            params,
        )
        if not claimed:
            return None
        return await models.WarningScanRun.filter(id=int(claimed[0]["id"])).using_db(conn).get()


async def running_portfolio_run() -> models.WarningScanRun | None:
    """The portfolio scan running now, if any."""
    return (
        await models.WarningScanRun.filter(scope=PORTFOLIO, status="running")
        .order_by("-started_at", "-id")
        .first()
    )


async def last_portfolio_start() -> dt.datetime | None:
    """When the newest portfolio scan started (whatever its outcome), or None."""
    row = await models.WarningScanRun.filter(scope=PORTFOLIO).order_by("-started_at", "-id").first()
    return row.started_at if row else None


async def start_portfolio_run(
    *, author: str, stale_after: dt.timedelta = DEFAULT_WARNING_SCAN_STALE_AFTER
) -> models.WarningScanRun:
    """Claim a portfolio run for a scan someone asked for now.

    Raises:
        ScanAlreadyRunning: ``SCAN_RUNNING``, naming the run in the way.
    """
    run = await claim_portfolio_run(author=author, stale_after=stale_after)
    if run is not None:
        return run
    other = await running_portfolio_run()
    detail = (
        f" (run {other.id}, started {other.started_at:%Y-%m-%d %H:%M:%S} UTC by {other.author})"
        if other is not None
        else ""
    )
    raise ScanAlreadyRunning(
        f"a portfolio scan is already running{detail}; follow it with warningScanRun or "
        f"try again when it has finished (a run counts as dead after "
        f"{format_duration(stale_after)})"
    )


async def fail_if_running(run_id: int, error: str, *, now: dt.datetime | None = None) -> bool:
    """Mark a run ``failed`` with ``error`` unless it already finished; audited.

    For a scan that died before it could record its own end (e.g. its configuration
    could not be read). Returns whether the run was still running.
    """
    now = now or _now()
    async with in_transaction() as conn:
        changed = (
            await models.WarningScanRun.filter(id=run_id, status="running")
            .using_db(conn)
            .update(status="failed", error=error, finished_at=now)
        )
        if changed:
            await audit(
                "system",
                "warning_scan.failed",
                f"WarningScanRun:{run_id}",
                after={"status": "failed", "error": error},
                conn=conn,
            )
    return bool(changed)


def describe(run: Any) -> str:
    """One line about a run for logs and the command line."""
    return (
        f"scan run {run.id} {run.status}: {run.firms_scanned} firms, opened {run.opened}, "
        f"updated {run.updated}, escalated {run.escalated}, resolved {run.resolved}"
        + (f", error {run.error}" if run.error else "")
    )
