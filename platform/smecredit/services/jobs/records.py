"""The job table's writes: each state move is one conditional UPDATE along the state machine.

A move names the states it may leave (:data:`~smecredit.domain.jobs.TRANSITIONS`), so two
writers racing (the job ending as a person cancels it, a process reaping another's
jobs) cannot take a job backwards or end it twice: the one whose UPDATE matched wins.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import asdict, is_dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from smecredit import models
from smecredit.domain.jobs import TRANSITIONS, JobKind, JobState

__all__ = [
    "create",
    "end_open",
    "jsonable",
    "move",
    "owner_id",
    "process_gone",
    "reap_dead",
    "set_progress",
    "sources_of",
]

#: The longest error message a job keeps (the domain run keeps its own in full).
MAX_MESSAGE = 2000


def owner_id() -> str:
    """``host:pid`` of this process, written on the jobs it runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


def process_gone(owner: str | None) -> bool:
    """Whether ``owner`` (``host:pid``) names a process of this host that no longer runs."""
    host, _, pid = (owner or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another host's: only its own supervisor (or a queue) can tell
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


def jsonable(value: Any) -> Any:
    """``value`` as JSON the job's ``result`` column stores (dataclasses, dates, sets...)."""
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return json.loads(json.dumps(value, default=_default))


def _default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "id") and isinstance(value.id, int):  # a row: its id is enough
        return {"id": value.id}
    return str(value)


def sources_of(target: JobState) -> list[str]:
    """The states (values) a job may move to ``target`` from."""
    return [s.value for s, nxt in TRANSITIONS.items() if target in nxt]


async def create(
    kind: JobKind,
    *,
    started_by: str,
    params: Mapping[str, Any] | None = None,
    run_id: int | None = None,
) -> models.Job:
    """A new ``queued`` job row of this process."""
    return await models.Job.create(
        kind=kind.value,
        state=JobState.QUEUED.value,
        started_by=started_by[:64],
        params=jsonable(dict(params or {})),
        run_id=run_id,
        owner=owner_id(),
    )


async def move(
    job_id: int,
    target: JobState,
    *,
    connection: BaseDBAsyncClient | None = None,
    **changes: Any,
) -> bool:
    """Move a job to ``target`` if the state machine allows it from where it is.

    A final state also stamps ``finished_at``. ``changes`` are other columns to write in
    the same statement (``done``, ``result``, ``error_code``, ``cancelled_by`` ...).

    Returns:
        Whether the job moved (False: it was already somewhere ``target`` cannot follow).
    """
    values: dict[str, Any] = {"state": target.value, **changes}
    if not TRANSITIONS[target]:
        values.setdefault("finished_at", dt.datetime.now(dt.UTC))
    if "error_message" in values and values["error_message"] is not None:
        values["error_message"] = str(values["error_message"])[:MAX_MESSAGE]
    if "result" in values:
        values["result"] = jsonable(values["result"])
    query = models.Job.filter(id=job_id, state__in=sources_of(target))
    if connection is not None:
        query = query.using_db(connection)
    return bool(await query.update(**values))


async def set_progress(job_id: int, done: int, total: int | None) -> None:
    """Store how far a job got (only while it runs: a final row keeps its last figures)."""
    await models.Job.filter(id=job_id, state=JobState.RUNNING.value).update(done=done, total=total)


async def end_open(ids: Iterable[int], target: JobState, *, code: str, message: str) -> int:
    """Move the jobs of ``ids`` still queued or running to ``target`` (a safety net for work
    stopped before it could record its own end). Returns how many."""
    wanted = list(ids)
    if not wanted:
        return 0
    ended = await models.Job.filter(
        id__in=wanted, state__in=[JobState.QUEUED.value, JobState.RUNNING.value]
    ).update(
        state=target.value,
        finished_at=dt.datetime.now(dt.UTC),
        error_code=code,
        error_message=message,
    )
    return int(ended)


async def reap_dead() -> int:
    """Mark ``interrupted`` the jobs left queued or running by a process of this host that
    died (a crash, a kill): nobody else will end them. Returns how many."""
    open_states = [JobState.QUEUED.value, JobState.RUNNING.value]
    reaped = 0
    for row in await models.Job.filter(state__in=open_states).only("id", "owner"):
        if row.owner != owner_id() and process_gone(row.owner):
            moved = await move(
                row.id,
                JobState.INTERRUPTED,
                error_code="INTERRUPTED",
                error_message=f"its process ({row.owner}) is gone",
            )
            reaped += int(moved)
    return reaped
