"""The built-in backup schedule: one backup a day at ``SMECREDIT_BACKUP_SCHEDULE``, across
every process of the platform.

Whether the day's backup is due is read from the database (the newest ``backup.create``
audit row, written by every ``backup create``, scheduled or not), not from when this
process started: a restart does not take a second one, a manual one counts. Several
processes agree through a lock held while one backs up: a PostgreSQL advisory lock, or on
SQLite (one machine) an exclusive lock on a file beside the database. A process that does
not get it skips the round and looks again soon; by then the backup is recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from smecredit.models.security import AuditLog
from smecredit.services.warnings.schedule import DEFAULT_POLL, MIN_WAIT, Round, ScanSchedule
from smecredit.settings import Settings

__all__ = ["BackupSchedule", "backup_lock", "backup_round", "run_backup_schedule"]

log = logging.getLogger(__name__)

#: The advisory lock key of the scheduled backup (any constant other locks do not use).
BACKUP_LOCK_KEY = 0x5BAC_0017
Clock = Callable[[], dt.datetime]
Sleep = Callable[[float], Awaitable[Any]]
Run = Callable[[], Awaitable[Any]]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class BackupSchedule:
    """Back up daily at ``at`` (timezone-aware)."""

    at: dt.time
    poll: dt.timedelta = DEFAULT_POLL

    @classmethod
    def from_settings(cls, settings: Settings) -> BackupSchedule | None:
        """The schedule the settings ask for, None while ``SMECREDIT_BACKUP_SCHEDULE`` is off."""
        return None if settings.backup_schedule is None else cls(at=settings.backup_schedule)

    def describe(self) -> str:
        """``daily at 02:00+00:00``."""
        return ScanSchedule(at=self.at).describe()

    def last_slot(self, now: dt.datetime) -> dt.datetime:
        """The latest daily backup time at or before ``now``."""
        return ScanSchedule(at=self.at).last_slot(now)


async def last_backup_at() -> dt.datetime | None:
    """When the newest backup was recorded (None: never)."""
    row = await AuditLog.filter(action="backup.create").order_by("-seq").first()
    return None if row is None else dt.datetime.fromisoformat(row.at)


@contextlib.asynccontextmanager
async def backup_lock(settings: Settings) -> AsyncIterator[bool]:
    """Hold the one scheduled-backup lock of the installation; yields whether it was got."""
    if settings.is_sqlite:
        path = settings.sqlite_path()
        if path is None:
            yield True
            return
        lock = path.with_name(path.name + ".backup-lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # closing releases the lock
        return
    import asyncpg

    from smecredit.services.backups.engines import asyncpg_url

    conn = await asyncpg.connect(asyncpg_url(settings.database_url))
    try:
        got = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", BACKUP_LOCK_KEY))
        yield got
    finally:
        await conn.close()  # the session's advisory lock ends with it


async def backup_round(
    schedule: BackupSchedule, *, settings: Settings, run: Run, clock: Clock = _utcnow
) -> Round:
    """Take the latest slot's backup unless one was recorded since that slot.

    Returns:
        ``backed_up``, ``not_due``, ``running`` (another process holds the lock) or
        ``failed`` (wait for the next slot).
    """
    slot = schedule.last_slot(clock())
    following = slot + dt.timedelta(days=1)
    async with backup_lock(settings) as held:
        if not held:
            return Round("running", None, "another process is backing up", clock() + schedule.poll)
        last = await last_backup_at()
        if last is not None and last >= slot:
            return Round(
                "not_due", None, f"not due: backed up at {last}; next {following}", following
            )
        try:
            manifest = await run()
        except Exception as exc:
            log.exception("scheduled backup failed")
            return Round("failed", None, f"backup failed: {type(exc).__name__}: {exc}", following)
    return Round("backed_up", None, f"backup {getattr(manifest, 'name', manifest)}", following)


async def run_backup_schedule(
    schedule: BackupSchedule,
    *,
    settings: Settings,
    run: Run,
    clock: Clock = _utcnow,
    sleep: Sleep = asyncio.sleep,
    rounds: int | None = None,
) -> None:
    """Run :func:`backup_round` for ever (or ``rounds`` times), sleeping until it is due."""
    log.info("backup schedule: %s", schedule.describe())
    done = 0
    while rounds is None or done < rounds:
        try:
            result = await backup_round(schedule, settings=settings, run=run, clock=clock)
        except Exception as exc:  # the loop must outlive a database hiccup
            log.exception("backup schedule: round failed")
            result = Round("error", None, f"{type(exc).__name__}: {exc}", clock() + schedule.poll)
        log.info("backup schedule: %s", result.detail)
        done += 1
        if rounds is not None and done >= rounds:
            return
        await sleep(max(MIN_WAIT, (result.next_at - clock()).total_seconds()))
