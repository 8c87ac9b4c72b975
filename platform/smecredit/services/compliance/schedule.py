"""The daily compliance run (``SMECREDIT_COMPLIANCE_SCHEDULE``) and the daily feedback
scan (``SMECREDIT_DECISION_FEEDBACK_AT``).

Whether a compliance run is due is read from the database, like the other schedules: the
run of a daily slot carries the slot (``ComplianceRun.slot``, unique), so a restart does
not run it again and of several server processes one alone opens it (the others find the
slot taken). The feedback scan is idempotent (one open alert per kind and subject), so its
slot is the newest ``decision_feedback`` job: a second process's scan would refresh the same
alerts. The clock and the sleep are parameters, so tests run the loops without waiting.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from smecredit import models
from smecredit.domain.jobs import JobKind
from smecredit.security.operations import SYSTEM
from smecredit.services.compliance.runs import open_run
from smecredit.services.warnings.schedule import MIN_WAIT, ScanSchedule

__all__ = ["compliance_round", "compliance_schedules", "feedback_round", "run_daily", "slot_key"]

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
Sleep = Callable[[float], Awaitable[Any]]
#: Runs one slot's work given the slot's start; answers a line for the log.
Round = Callable[[dt.datetime], Awaitable[str]]
_RETRY = dt.timedelta(minutes=1)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def slot_key(slot: dt.datetime) -> str:
    """The stored name of a daily slot: its UTC start, ``2026-12-06T02:00Z``."""
    return slot.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")


def compliance_round(
    start: Callable[[models.ComplianceRun], Awaitable[Any]],
) -> Round:
    """A round opening the slot's compliance run (once across processes) and ``start``-ing it."""

    async def round_(slot: dt.datetime) -> str:
        key = slot_key(slot)
        if await models.ComplianceRun.filter(slot=key).exists():
            return f"compliance run of {key} done"
        run = await open_run(SYSTEM, slot=key)
        if run is None:
            return f"compliance run of {key} taken by another process"
        await start(run)
        return f"compliance run {run.id} of {key} started"

    return round_


def feedback_round(start: Callable[[], Awaitable[Any]]) -> Round:
    """A round scanning the decisions unless a scan started since the slot."""

    async def round_(slot: dt.datetime) -> str:
        if await models.Job.filter(
            kind=JobKind.DECISION_FEEDBACK.value, started_at__gte=slot
        ).exists():
            return f"decision feedback of {slot_key(slot)} done"
        await start()
        return f"decision feedback of {slot_key(slot)} started"

    return round_


async def run_daily(
    at: dt.time,
    round_: Round,
    *,
    name: str,
    clock: Clock = _utcnow,
    sleep: Sleep = asyncio.sleep,
    rounds: int | None = None,
) -> None:
    """Run ``round_`` for the latest daily slot at ``at``, then sleep until the next slot."""
    schedule = ScanSchedule(at=at)
    log.info("%s schedule: %s", name, schedule.describe())
    done = 0
    while rounds is None or done < rounds:
        slot = schedule.last_slot(clock())
        next_at = slot + dt.timedelta(days=1)
        try:
            log.info("%s schedule: %s", name, await round_(slot))
        except Exception:  # the loop must outlive a database hiccup
            log.exception("%s schedule: round failed", name)
            next_at = clock() + _RETRY
        done += 1
        if rounds is not None and done >= rounds:
            return
        await sleep(max(MIN_WAIT, (next_at - clock()).total_seconds()))


def compliance_schedules(supervisor: Any, settings: Any) -> list[Awaitable[None]]:
    """The loops the settings ask for, each round's work a job of ``supervisor``."""
    from smecredit.services.jobs.kinds import start_compliance, start_decision_feedback

    loops: list[Awaitable[None]] = []
    at = getattr(settings, "compliance_schedule", None)
    if at is not None:

        async def start_run(run: models.ComplianceRun) -> Any:
            return await start_compliance(supervisor, run, started_by=SYSTEM, settings=settings)

        loops.append(run_daily(at, compliance_round(start_run), name="compliance"))
    feedback_at = getattr(settings, "decision_feedback_at", None)
    if feedback_at is not None:

        async def start_scan() -> Any:
            return await start_decision_feedback(supervisor, started_by=SYSTEM, settings=settings)

        loops.append(run_daily(feedback_at, feedback_round(start_scan), name="decision feedback"))
    return loops
