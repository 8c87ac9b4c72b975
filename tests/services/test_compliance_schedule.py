"""The daily compliance run happens once per slot, across processes, and the loop keeps
to its slots; the feedback schedule skips a slot already scanned."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from smecredit import models
from smecredit.domain.jobs import JobKind
from smecredit.security.operations import SYSTEM
from smecredit.services.compliance.runs import execute_run, open_run
from smecredit.services.compliance.schedule import (
    compliance_round,
    feedback_round,
    run_daily,
    slot_key,
)
from smecredit.settings import Settings

pytestmark = pytest.mark.anyio

SLOT = dt.datetime(2026, 12, 6, 2, 0, tzinfo=dt.UTC)


async def test_a_slot_is_run_once_whoever_asks(db: Settings) -> None:
    started: list[int] = []

    async def start(run: models.ComplianceRun) -> None:
        started.append(run.id)
        await execute_run(run, db)

    round_ = compliance_round(start)
    assert "started" in await round_(SLOT)
    assert "done" in await round_(SLOT)  # a restart, or a second process after the first
    assert len(started) == 1
    run = await models.ComplianceRun.get(id=started[0])
    assert (run.slot, run.started_by, run.status) == (slot_key(SLOT), "system", "succeeded")


async def test_two_processes_opening_the_same_slot_get_one_run(db: Settings) -> None:
    first, second = await asyncio.gather(
        open_run(SYSTEM, slot="2026-12-06T02:00Z"), open_run(SYSTEM, slot="2026-12-06T02:00Z")
    )
    assert [r is None for r in (first, second)].count(True) == 1
    assert await models.ComplianceRun.filter(slot="2026-12-06T02:00Z").count() == 1


async def test_the_loop_runs_each_daily_slot(db: Settings) -> None:
    now = [dt.datetime(2026, 12, 6, 1, 0, tzinfo=dt.UTC)]
    slots: list[dt.datetime] = []

    async def round_(slot: dt.datetime) -> str:
        slots.append(slot)
        return "ok"

    async def sleep(seconds: float) -> None:
        now[0] += dt.timedelta(seconds=seconds)

    await run_daily(
        dt.time(2, 0, tzinfo=dt.UTC), round_, name="t", clock=lambda: now[0], sleep=sleep, rounds=3
    )
    assert slots == [SLOT - dt.timedelta(days=1), SLOT, SLOT + dt.timedelta(days=1)]


async def test_the_feedback_slot_is_skipped_once_a_scan_started(db: Settings) -> None:
    calls: list[str] = []

    async def start() -> Any:
        calls.append("scan")
        await models.Job.create(kind=JobKind.DECISION_FEEDBACK.value, started_by="system")

    round_ = feedback_round(start)
    now = dt.datetime.now(dt.UTC)
    assert "started" in await round_(now - dt.timedelta(minutes=1))
    assert "done" in await round_(now - dt.timedelta(minutes=1))
    assert calls == ["scan"]


def test_the_server_runs_the_loops_the_settings_ask_for() -> None:
    from conftest import make_settings

    from smecredit.services.compliance.schedule import compliance_schedules

    off = make_settings("sqlite://:memory:")
    assert compliance_schedules(object(), off) == []
    on = make_settings(
        "sqlite://:memory:",
        SMECREDIT_COMPLIANCE_SCHEDULE="02:00+08:00",
        SMECREDIT_DECISION_FEEDBACK_AT="03:00",
    )
    loops = compliance_schedules(object(), on)
    assert len(loops) == 2
    for loop in loops:
        loop.close()  # type: ignore[attr-defined]  # never awaited: the coroutines only
