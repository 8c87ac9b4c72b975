"""Per-source sync schedules run by the server (``SMECREDIT_SYNC_SCHEDULE``).

Each scheduled source is synced once a day at its time, or every interval, as the platform
(``system``, operation ``source.sync``): an incremental source starts from the ``since`` it
remembers, and the firms a sync touched are rescored and their warnings re-evaluated
(:mod:`smecredit.services.ingestion.refresh`). A scheduled sync runs with the source's
default settings (no path: file sources are imported by hand, not scheduled).

Whether a sync is due is read from the sync runs in the database, like the warning scan
schedule (:mod:`smecredit.services.warnings.schedule`, whose period arithmetic this
reuses): a restart does not sync again, a sync started by hand counts as the period's, and
a sync another process is running (``SYNC_RUNNING``) is skipped. A failed sync is recorded
on its run; the loop goes on to the next period. The clock and the sleep are parameters,
so tests run the loop without waiting.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from smecredit import models
from smecredit.services.warnings.schedule import MIN_WAIT, ScanSchedule
from smecredit.settings import SettingsError, SyncScheduleEntry

__all__ = [
    "SourceSchedule",
    "SyncRound",
    "check_sources",
    "run_sync_schedule",
    "schedules_from_settings",
    "sync_round",
]

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
Sleep = Callable[[float], Awaitable[Any]]
#: How soon to look again after a round failed as a whole (the database did not answer).
RETRY = dt.timedelta(minutes=1)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class SourceSchedule:
    """When one source is synced: daily ``at`` or ``every`` (a :class:`ScanSchedule`)."""

    source: str
    when: ScanSchedule

    @classmethod
    def from_entry(cls, entry: SyncScheduleEntry) -> SourceSchedule:
        source, every, at = entry
        return cls(source, ScanSchedule(every=every, at=at))

    def describe(self) -> str:
        """``synthetic daily at 06:00+00:00``."""
        return f"{self.source} {self.when.describe()}"


def schedules_from_settings(settings: Any) -> list[SourceSchedule]:
    """The schedules ``SMECREDIT_SYNC_SCHEDULE`` asks for (empty: none)."""
    return [SourceSchedule.from_entry(e) for e in getattr(settings, "sync_schedule", ())]


def _sources(registry: Any) -> Mapping[str, Any]:
    sources = getattr(registry, "data_sources", registry)
    return sources if isinstance(sources, Mapping) else {}


def check_sources(schedules: Sequence[SourceSchedule], registry: Any) -> None:
    """Refuse a schedule naming a source no installed plugin provides.

    Raises:
        SettingsError: naming ``SMECREDIT_SYNC_SCHEDULE``, the source and the known ones.
    """
    known = _sources(registry)
    for schedule in schedules:
        if schedule.source not in known:
            names = ", ".join(sorted(known)) or "none"
            raise SettingsError(
                f"SMECREDIT_SYNC_SCHEDULE: no data source named {schedule.source!r} is "
                f"installed (installed sources: {names})"
            )


@dataclass(frozen=True)
class SyncRound:
    """What one source's turn in a round did.

    Attributes:
        source: the source.
        outcome: ``synced`` (the run's status in ``detail``), ``running`` (another run of
            the source is live: skipped), ``not_due`` or ``error`` (it could not start).
        run_id: the sync run, when one ran.
        detail: one line for people.
        next_at: when this source is next due.
    """

    source: str
    outcome: str
    run_id: int | None
    detail: str
    next_at: dt.datetime


async def _last_start(source: str) -> dt.datetime | None:
    row = (
        await models.SyncRun.filter(source=source, operation="source.sync")
        .order_by("-started_at")
        .first()
    )
    return row.started_at if row is not None else None


def _is_current(schedule: ScanSchedule, last: dt.datetime | None, now: dt.datetime) -> bool:
    if last is None:
        return False
    start, inclusive = schedule.period_start(now)
    return last > start or (inclusive and last >= start)


async def sync_round(
    schedules: Sequence[SourceSchedule],
    registry: Any,
    *,
    settings: Any = None,
    clock: Clock = _utcnow,
    run: Callable[..., Awaitable[Any]] | None = None,
) -> list[SyncRound]:
    """Sync every scheduled source that is due, one after the other.

    ``run`` syncs one source, called as :func:`~smecredit.services.ingestion.sync.run_sync`
    is (the default); the server passes one that runs it as a job of its supervisor.
    """
    from smecredit.security.operations import SYSTEM
    from smecredit.services.ingestion.sync import IngestionError, run_sync

    run = run or run_sync

    stale = getattr(settings, "sync_stale_after", None)
    results: list[SyncRound] = []
    for schedule in schedules:
        name, when = schedule.source, schedule.when
        now = clock()
        if _is_current(when, await _last_start(name), now):
            due = when.next_due(await _last_start(name), now)
            results.append(SyncRound(name, "not_due", None, f"{name}: next sync at {due}", due))
            continue
        extra: dict[str, Any] = {} if stale is None else {"stale_after": stale}
        try:
            result = await run(registry, name, actor=SYSTEM, platform_settings=settings, **extra)
        except IngestionError as error:
            if error.code == "SYNC_RUNNING":
                later = clock() + when.poll
                results.append(SyncRound(name, "running", None, f"{name}: {error}", later))
            else:  # it could not start (its settings, its plugin): try next period, not now
                log.error("scheduled sync of %s could not start: %s", name, error)
                later = when.next_due(clock(), clock())
                results.append(SyncRound(name, "error", None, f"{name}: {error}", later))
            continue
        due = when.next_due(now, clock())  # this round's sync is the period's
        results.append(SyncRound(name, "synced", result.run_id, f"{name}: {result}", due))
    return results


async def run_sync_schedule(
    schedules: Sequence[SourceSchedule],
    registry: Any,
    *,
    settings: Any = None,
    clock: Clock = _utcnow,
    sleep: Sleep = asyncio.sleep,
    rounds: int | None = None,
    on_round: Callable[[list[SyncRound]], None] | None = None,
    run: Callable[..., Awaitable[Any]] | None = None,
) -> None:
    """Run :func:`sync_round` for ever (or ``rounds`` times), sleeping until the next due.

    Args:
        schedules: the sources and when each is due.
        registry: the plugin registry (or a mapping of name to source).
        settings: platform settings (stale limit, and the refresh's warning settings).
        clock: the current time (tests pass a fake one).
        sleep: waits the given seconds (tests pass one that moves the fake clock).
        rounds: stop after this many rounds (None: until cancelled).
        on_round: called with each round's results.
        run: syncs one source (see :func:`sync_round`).
    """
    if not schedules:
        return
    log.info("sync schedule: %s", "; ".join(s.describe() for s in schedules))
    done = 0
    while rounds is None or done < rounds:
        try:
            results = await sync_round(schedules, registry, settings=settings, clock=clock, run=run)
            next_at = min(r.next_at for r in results)
        except Exception:  # the loop must outlive a database hiccup
            log.exception("sync schedule: round failed")
            results, next_at = [], clock() + RETRY
        for result in results:
            log.info("sync schedule: %s", result.detail)
        if on_round is not None:
            on_round(results)
        done += 1
        if rounds is not None and done >= rounds:
            return
        await sleep(max(MIN_WAIT, (next_at - clock()).total_seconds()))
