"""Sync runs across processes: one live run per request, and knowing when a run is dead.

A run is created ``running`` and **claimed**: its ``lock_key`` (``source/scope``) is a
unique column, set while the run is live and cleared when it ends, so two processes that
start the same import at the same moment cannot both get it - on SQLite and PostgreSQL
alike, without a lock that outlives its holder in memory.

A process that dies (``kill -9``, a crash, a power cut) leaves its run ``running``. Another
process knows it is dead from what the run records:

* ``owner`` is ``host:pid:token`` of the process running it. On the same host, a pid that
  no longer exists (or is a zombie) is a dead owner - known at once, whatever the
  database. In the owning process itself, a run not in :data:`_LIVE` is dead.
* ``heartbeat_at`` is refreshed every :data:`HEARTBEAT_EVERY` by the running process (and
  with every committed batch). A run whose heartbeat is older than ``stale_after`` is dead
  - the rule for owners on other hosts, and for a pid that was reused.

:func:`reap_dead_runs` marks such runs ``interrupted`` (audited) and releases their lock;
their checkpoint stays, so the next run of the same request resumes after it. Every write
of a live run is **fenced**: it only applies while the run is still ``running`` under the
same owner, so a run declared dead (a process that was only stalled) cannot write on.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from smecredit import models
from smecredit.domain.errors import CodedError
from smecredit.services import audit
from smecredit.settings import DEFAULT_SYNC_STALE_AFTER, format_duration

__all__ = [
    "DEFAULT_STALE_AFTER",
    "HEARTBEAT_EVERY",
    "IngestionError",
    "RunLost",
    "claim_run",
    "fenced_update",
    "heartbeat",
    "is_alive",
    "process_owner",
    "reap_dead_runs",
    "release_live",
]

log = logging.getLogger("smecredit.services.ingestion.runs")

#: How often a running sync refreshes its heartbeat.
HEARTBEAT_EVERY = dt.timedelta(seconds=15)
#: A run whose heartbeat is older than this is taken for dead (``SMECREDIT_SYNC_STALE_AFTER``).
DEFAULT_STALE_AFTER = DEFAULT_SYNC_STALE_AFTER

_HOST = socket.gethostname()[:64]
_TOKEN = secrets.token_hex(4)
#: Runs executing in this process (their owner is :func:`process_owner`).
_LIVE: set[int] = set()


class IngestionError(CodedError):
    """A sync cannot start: unknown source, invalid settings, unknown kind, already running.

    Attributes:
        code: stable UPPER_SNAKE code.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


class RunLost(Exception):
    """The run is no longer this process's: another process declared it dead."""


def process_owner() -> str:
    """``host:pid:token`` of this process (the token tells a reused pid apart)."""
    return f"{_HOST}:{os.getpid()}:{_TOKEN}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    except OSError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError, IndexError):
        # "pid (name) state ...": a zombie has exited, only its parent has not reaped it.
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def is_alive(
    run: models.SyncRun, *, now: dt.datetime, stale_after: dt.timedelta = DEFAULT_STALE_AFTER
) -> bool:
    """Whether the process running ``run`` (status ``running``) is still alive.

    Args:
        run: a ``running`` run.
        now: the current time (UTC).
        stale_after: how old a heartbeat may be before its run is taken for dead.
    """
    owner = run.owner or ""
    if owner == process_owner():
        return run.id in _LIVE
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host == _HOST and pid_text.isdigit() and not _pid_alive(int(pid_text)):
        return False
    last = run.heartbeat_at or run.started_at
    return last is None or now - last <= stale_after


def lock_key(source: str, scope: str) -> str:
    """The value that holds a request (source and scope) while one of its runs is live."""
    return f"{source}/{scope}"


async def reap_dead_runs(
    *, stale_after: dt.timedelta = DEFAULT_STALE_AFTER, now: dt.datetime | None = None
) -> list[int]:
    """Mark ``interrupted`` every ``running`` run whose process is dead (see the module).

    Each run is marked in its own transaction with its audit row, and only if it is still
    ``running`` under the same owner (a second reaper, or the owner finishing, wins).

    Returns:
        The ids of the runs marked.
    """
    now = now or dt.datetime.now(dt.UTC)
    reaped: list[int] = []
    for run in await models.SyncRun.filter(status="running").order_by("id"):
        if is_alive(run, now=now, stale_after=stale_after):
            continue
        last = run.heartbeat_at or run.started_at
        why = (
            f"interrupted: its process ({run.owner or 'unknown'}) stopped; "
            f"last sign of life {format_duration(now - last)} ago"
            if last
            else "interrupted: its process stopped"
        )
        async with in_transaction() as conn:
            marked = await (
                models.SyncRun.filter(id=run.id, status="running", owner=run.owner)
                .using_db(conn)
                .update(status="interrupted", finished_at=now, error=why, lock_key=None)
            )
            if not marked:
                continue
            await audit.record(
                None,
                f"{run.operation}.interrupted",
                f"SyncRun:{run.id}",
                before={"status": "running", "owner": run.owner},
                after={"status": "interrupted", "source": run.source, "done": run.done},
                connection=conn,
            )
        log.warning("sync run %s (%s) %s", run.id, run.source, why)
        reaped.append(run.id)
    return reaped


async def claim_run(
    source: str, scope: str, *, stale_after: dt.timedelta, **values: Any
) -> models.SyncRun:
    """Create the ``running`` run of a request, holding its lock; refuse a second live one.

    A run of the same request left by a dead process is reaped first, so its lock does
    not block the new run (which then resumes after its checkpoint).

    Raises:
        IngestionError: ``SYNC_RUNNING`` when a live run of the same request exists.
    """
    key = lock_key(source, scope)
    for attempt in range(2):
        now = dt.datetime.now(dt.UTC)
        try:
            async with in_transaction() as conn:
                run = await models.SyncRun.create(
                    source=source,
                    scope=scope,
                    owner=process_owner(),
                    heartbeat_at=now,
                    lock_key=key,
                    using_db=conn,
                    **values,
                )
        except IntegrityError:
            holder = await models.SyncRun.filter(lock_key=key).first()
            if attempt == 0 and (
                holder is None or not is_alive(holder, now=now, stale_after=stale_after)
            ):
                await reap_dead_runs(stale_after=stale_after, now=now)
                continue
            since = holder.started_at.isoformat(timespec="seconds") if holder else "?"
            ident = holder.id if holder else "?"
            raise IngestionError(
                "SYNC_RUNNING",
                f"run {ident} of the same {source} request is still running (since {since}); "
                "wait for it to end, or for it to be taken for dead "
                f"{format_duration(stale_after)} after its last sign of life",
            ) from None
        _LIVE.add(run.id)
        return run
    raise AssertionError("unreachable")  # pragma: no cover


def release_live(run_id: int) -> None:
    """This process no longer runs ``run_id`` (it ended, or was never started)."""
    _LIVE.discard(run_id)


async def fenced_update(run_id: int, conn: BaseDBAsyncClient | None = None, **values: Any) -> None:
    """Update a live run of this process; refuse when it was declared dead meanwhile.

    Raises:
        RunLost: the run is not ``running`` under this process any more.
    """
    query = models.SyncRun.filter(id=run_id, status="running", owner=process_owner())
    if conn is not None:
        query = query.using_db(conn)
    if not await query.update(**values):
        raise RunLost(f"sync run {run_id} was taken over: another process declared it dead")


@contextlib.asynccontextmanager
async def heartbeat(run_id: int, every: dt.timedelta = HEARTBEAT_EVERY) -> AsyncIterator[None]:
    """Refresh the run's heartbeat every ``every`` while the body runs."""
    stop = asyncio.Event()

    async def beat() -> None:
        while True:
            try:
                await asyncio.wait_for(stop.wait(), timeout=every.total_seconds())
            except TimeoutError:
                pass
            else:
                return
            try:
                await fenced_update(run_id, heartbeat_at=dt.datetime.now(dt.UTC))
            except RunLost:
                log.error("sync run %s was declared dead while it ran", run_id)
                return
            except Exception:  # the next beat tries again; the batch writes beat too
                log.exception("could not refresh the heartbeat of sync run %s", run_id)

    # Stopped by an event, never cancelled: a query cancelled half-way can leave the
    # SQLite connection's lock held.
    task = asyncio.ensure_future(beat())
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.shield(task)
