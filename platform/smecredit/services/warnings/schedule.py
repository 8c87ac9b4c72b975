"""The built-in schedule of the portfolio warning scan.

Every ``SMECREDIT_WARNING_SCAN_EVERY`` (e.g. ``24h``) or once a day at
``SMECREDIT_WARNING_SCAN_AT`` (e.g. ``02:00+08:00``) the server, or the foreground command
``smecredit warnings schedule``, runs
:func:`~smecredit.services.warnings.scan.scan_portfolio`.

Whether a scan is due is read from the scan runs in the database, not from when this
process started: a restart does not rescan, a manual scan counts as this period's scan, and
several processes agree. Each round *claims* its run
(:func:`~smecredit.services.warnings.runs.claim_portfolio_run`), so one process scans
and the others skip; a round that finds a scan running skips too.

A failed scan is recorded on its run (status ``failed`` with the error) and the loop goes
on to the next period: it does not retry at once, so bad data cannot make the server scan
without pause. The clock and the sleep are parameters, so tests run the loop without
waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from smecredit import models
from smecredit.services.warnings.runs import (
    claim_portfolio_run,
    describe,
    fail_if_running,
    last_portfolio_start,
    running_portfolio_run,
)
from smecredit.settings import DEFAULT_WARNING_SCAN_STALE_AFTER, format_duration

__all__ = [
    "DEFAULT_POLL",
    "Round",
    "ScanSchedule",
    "run_schedule",
    "scan_round",
]

log = logging.getLogger(__name__)

#: How soon to look again while another process's scan is running (or after an error).
DEFAULT_POLL = dt.timedelta(minutes=1)
#: The shortest pause between two rounds (a clock at the edge of a period re-checks soon).
MIN_WAIT = 1.0

Clock = Callable[[], dt.datetime]
Sleep = Callable[[float], Awaitable[Any]]
Scan = Callable[[models.WarningScanRun], Awaitable[Any]]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class ScanSchedule:
    """When the portfolio scan runs: every ``every``, or daily at ``at``.

    Attributes:
        every: the interval between the starts of two scans.
        at: the time of day (timezone-aware; a naive time is taken as UTC).
        stale_after: a scan ``running`` for longer is taken for dead.
        poll: how soon to look again while another scan is running.
    """

    every: dt.timedelta | None = None
    at: dt.time | None = None
    stale_after: dt.timedelta = DEFAULT_WARNING_SCAN_STALE_AFTER
    poll: dt.timedelta = DEFAULT_POLL

    def __post_init__(self) -> None:
        if (self.every is None) == (self.at is None):
            raise ValueError("a scan schedule needs exactly one of every and at")
        if self.every is not None and self.every <= dt.timedelta(0):
            raise ValueError(f"every must be positive, got {self.every}")
        if self.at is not None and self.at.tzinfo is None:
            object.__setattr__(self, "at", self.at.replace(tzinfo=dt.UTC))

    @classmethod
    def from_settings(cls, settings: Any) -> ScanSchedule | None:
        """The schedule the settings ask for, None when the built-in scheduler is off."""
        every = getattr(settings, "warning_scan_every", None)
        at = getattr(settings, "warning_scan_at", None)
        if every is None and at is None:
            return None
        stale = getattr(settings, "warning_scan_stale_after", DEFAULT_WARNING_SCAN_STALE_AFTER)
        return cls(every=every, at=at, stale_after=stale)

    def describe(self) -> str:
        """``every 24h`` or ``daily at 02:00+08:00``."""
        if self.every is not None:
            return f"every {format_duration(self.every)}"
        assert self.at is not None
        return f"daily at {self.at.isoformat(timespec='minutes')}"

    def last_slot(self, now: dt.datetime) -> dt.datetime:
        """The latest daily start time at or before ``now`` (daily schedules only)."""
        assert self.at is not None and self.at.tzinfo is not None
        local = now.astimezone(self.at.tzinfo)
        slot = dt.datetime.combine(local.date(), self.at.replace(tzinfo=None), self.at.tzinfo)
        if slot > local:
            slot -= dt.timedelta(days=1)
        return slot.astimezone(dt.UTC)

    def period_start(self, now: dt.datetime) -> tuple[dt.datetime, bool]:
        """``(instant, inclusive)``: a scan started after it (at or after, if inclusive)
        is the current period's, so no other scan is due before :meth:`next_due`."""
        if self.every is not None:
            return now - self.every, False
        return self.last_slot(now), True

    def next_due(self, last_started: dt.datetime | None, now: dt.datetime) -> dt.datetime:
        """When the next scan is due, given when the newest one started (None: never)."""
        if last_started is None:
            return now
        if self.every is not None:
            return last_started + self.every
        slot = self.last_slot(now)
        return slot if last_started < slot else slot + dt.timedelta(days=1)


@dataclass(frozen=True)
class Round:
    """What one round of the schedule did.

    Attributes:
        outcome: ``scanned``, ``failed`` (the scan raised; its run records why),
            ``running`` (another scan is running: skipped), ``not_due`` (this period's
            scan already happened) or ``error`` (the round itself failed, e.g. the
            database did not answer).
        run_id: the run scanned, or the one running.
        detail: one line for people.
        next_at: when the next round should look.
    """

    outcome: str
    run_id: int | None
    detail: str
    next_at: dt.datetime


async def scan_round(
    schedule: ScanSchedule,
    scan: Scan,
    *,
    author: str = "scheduler",
    clock: Clock = _utcnow,
) -> Round:
    """Scan the portfolio if a scan is due and none is running (claimed atomically).

    Args:
        schedule: when scans are due.
        scan: runs the scan on a claimed run (e.g. ``scan_portfolio(run=run)``).
        author: written on the run and in the audit trail.
        clock: the current time.
    """
    now = clock()
    run = await claim_portfolio_run(
        author=author,
        now=now,
        stale_after=schedule.stale_after,
        not_started_since=schedule.period_start(now),
    )
    if run is None:
        running = await running_portfolio_run()
        if running is not None:
            return Round(
                "running",
                running.id,
                f"skipped: scan run {running.id} is running (started {running.started_at})",
                clock() + schedule.poll,
            )
        due = schedule.next_due(await last_portfolio_start(), clock())
        return Round("not_due", None, f"not due: next scan at {due}", due)
    outcome = "scanned"
    try:
        await scan(run)
    except asyncio.CancelledError:  # shutdown: the run must not stay "running"
        with contextlib.suppress(Exception):
            await fail_if_running(run.id, "CancelledError: interrupted (shutdown)")
        raise
    except Exception as exc:
        # The scan records its own failure when it gets that far; a scan that died before
        # (configuration unreadable, database gone) is marked here. Either way: go on.
        log.exception("scheduled warning scan (run %s) failed", run.id)
        await fail_if_running(run.id, f"{type(exc).__name__}: {exc}")
        outcome = "failed"
    finished = await models.WarningScanRun.get(id=run.id)
    due = schedule.next_due(await last_portfolio_start(), clock())
    return Round(outcome, run.id, describe(finished), due)


async def run_schedule(
    schedule: ScanSchedule,
    *,
    scan: Scan | None = None,
    settings: Any = None,
    rules: Mapping[str, Any] | None = None,
    author: str = "scheduler",
    clock: Clock = _utcnow,
    sleep: Sleep = asyncio.sleep,
    rounds: int | None = None,
    on_round: Callable[[Round], None] | None = None,
) -> None:
    """Run :func:`scan_round` for ever (or ``rounds`` times), sleeping until the next is due.

    Args:
        schedule: when scans are due.
        scan: what a round runs (default: ``scan_portfolio`` on the claimed run).
        settings: platform settings for the default scan (broadcaster).
        rules: the warning rules of the application's registry, for the default scan.
        author: written on the runs.
        clock: the current time (tests pass a fake one).
        sleep: waits the given seconds (tests pass one that moves the fake clock).
        rounds: stop after this many rounds (None: until cancelled).
        on_round: called with each round's result (the command line prints them).
    """
    if scan is None:
        from smecredit.services.warnings.scan import scan_portfolio

        async def default_scan(run: models.WarningScanRun) -> Any:
            return await scan_portfolio(author=run.author, settings=settings, rules=rules, run=run)

        scan = default_scan
    log.info("warning scan schedule: %s", schedule.describe())
    done = 0
    while rounds is None or done < rounds:
        try:
            result = await scan_round(schedule, scan, author=author, clock=clock)
        except Exception as exc:  # the loop must outlive a database hiccup
            log.exception("warning scan schedule: round failed")
            result = Round("error", None, f"{type(exc).__name__}: {exc}", clock() + schedule.poll)
        log.info("warning scan schedule: %s", result.detail)
        if on_round is not None:
            on_round(result)
        done += 1
        if rounds is not None and done >= rounds:
            return
        await sleep(max(MIN_WAIT, (result.next_at - clock()).total_seconds()))
