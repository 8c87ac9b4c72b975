"""The built-in schedule of close of business: the book closed daily at ``SMECREDIT_COB_AT``.

At ``HH:MM`` local business time (``SMECREDIT_COB_AT``, e.g. ``22:00`` or ``22:00+08:00``)
the server closes the business date of that day. It works like the warning-scan schedule
(:mod:`smecredit.services.warnings.schedule`, whose daily slots and rounds it reuses):
whether a close is due is read from the COB runs in the database, not from when this
process started, so a restart does not close a day twice, a manual ``runCob`` counts, and
several processes agree (:func:`~smecredit.services.lending.cob.claim_run` lets one run at
a time; the others find it running and look again later).

A round first resumes any earlier date left failed or interrupted (COB moves forward), then
closes the slot's date. A failed close is recorded on its run and the loop waits for the
next slot: bad data cannot make the server close without pause. The clock and the sleep
are parameters, so tests run the loop without waiting.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from smecredit.models import CobRun
from smecredit.security.operations import SYSTEM
from smecredit.services.lending.cob import CobAlreadyRunning, CobSummary, run_cob
from smecredit.services.warnings.schedule import (
    DEFAULT_POLL,
    MIN_WAIT,
    Round,
    ScanSchedule,
)
from smecredit.settings import DEFAULT_COB_STALE_AFTER

__all__ = ["CobSchedule", "cob_round", "run_cob_schedule"]

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
Sleep = Callable[[float], Awaitable[Any]]
Close = Callable[[dt.date], Awaitable[CobSummary]]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class CobSchedule:
    """Close the book daily at ``at`` (timezone-aware: the business day's time zone).

    Attributes:
        at: the local business time of the daily close.
        stale_after: a run without a heartbeat for longer is taken for dead.
        poll: how soon to look again while another process's run is alive.
    """

    at: dt.time
    stale_after: dt.timedelta = DEFAULT_COB_STALE_AFTER
    poll: dt.timedelta = DEFAULT_POLL

    @classmethod
    def from_settings(cls, settings: Any) -> CobSchedule | None:
        """The schedule the settings ask for, None when ``SMECREDIT_COB_AT`` is off."""
        at = getattr(settings, "cob_at", None)
        if at is None:
            return None
        stale = getattr(settings, "cob_stale_after", DEFAULT_COB_STALE_AFTER)
        return cls(at=at, stale_after=stale)

    @property
    def _slots(self) -> ScanSchedule:
        return ScanSchedule(at=self.at)

    def describe(self) -> str:
        """``daily at 22:00+08:00``."""
        return self._slots.describe()

    def last_slot(self, now: dt.datetime) -> tuple[dt.datetime, dt.date]:
        """The latest daily close at or before ``now`` (UTC) and the business date it
        closes (the local date of that moment)."""
        slot = self._slots.last_slot(now)
        return slot, slot.astimezone(self._slots.at.tzinfo).date()  # type: ignore[union-attr]


async def cob_round(
    schedule: CobSchedule, *, close: Close | None = None, clock: Clock = _utcnow
) -> Round:
    """Close the latest slot's business date unless it is closed already.

    Args:
        schedule: when closes are due.
        close: closes one date (default: :func:`run_cob` as ``SYSTEM``).
        clock: the current time.

    Returns:
        ``closed``, ``not_due`` (the date is closed), ``running`` (another process's
        run is alive: look again soon) or ``failed`` (recorded on the run; wait for the
        next slot).
    """
    if close is None:

        async def default_close(day: dt.date) -> CobSummary:
            return await run_cob(day, SYSTEM, stale_after=schedule.stale_after)

        close = default_close
    slot, day = schedule.last_slot(clock())
    following = slot + dt.timedelta(days=1)
    if await CobRun.filter(business_date=day, status="succeeded").exists():
        return Round(
            "not_due", None, f"not due: COB of {day} is closed; next at {following}", following
        )
    unfinished = await (
        CobRun.filter(business_date__lt=day, status__in=("failed", "interrupted"))
        .order_by("business_date")
        .values_list("business_date", flat=True)
    )
    summary: CobSummary | None = None
    try:
        for date in [*unfinished, day]:  # an unfinished earlier date first: COB moves forward
            summary = await close(date)  # type: ignore[arg-type]
    except CobAlreadyRunning as exc:
        return Round("running", None, f"skipped: {exc}", clock() + schedule.poll)
    except Exception as exc:  # recorded on the run; go on at the next slot
        log.exception("scheduled COB of %s failed", day)
        return Round("failed", None, f"COB of {day} failed: {type(exc).__name__}: {exc}", following)
    assert summary is not None
    run = await CobRun.get(business_date=day)
    detail = (
        f"COB of {day} closed: {summary.loans} loans, {summary.changed} changed, "
        f"{summary.penalties} penalties"
    )
    return Round("closed", run.id, detail, following)


async def run_cob_schedule(
    schedule: CobSchedule,
    *,
    close: Close | None = None,
    clock: Clock = _utcnow,
    sleep: Sleep = asyncio.sleep,
    rounds: int | None = None,
    on_round: Callable[[Round], None] | None = None,
) -> None:
    """Run :func:`cob_round` for ever (or ``rounds`` times), sleeping until the next is due.

    Cancelling it (the server stops) cancels a close in progress, which records its run
    ``interrupted``.

    Args:
        schedule: when closes are due.
        close: what a round runs for one date (default: :func:`run_cob` as ``SYSTEM``).
        clock: the current time (tests pass a fake one).
        sleep: waits the given seconds (tests pass one that moves the fake clock).
        rounds: stop after this many rounds (None: until cancelled).
        on_round: called with each round's result.
    """
    log.info("COB schedule: %s", schedule.describe())
    done = 0
    while rounds is None or done < rounds:
        try:
            result = await cob_round(schedule, close=close, clock=clock)
        except Exception as exc:  # the loop must outlive a database hiccup
            log.exception("COB schedule: round failed")
            result = Round("error", None, f"{type(exc).__name__}: {exc}", clock() + schedule.poll)
        log.info("COB schedule: %s", result.detail)
        if on_round is not None:
            on_round(result)
        done += 1
        if rounds is not None and done >= rounds:
            return
        await sleep(max(MIN_WAIT, (result.next_at - clock()).total_seconds()))
