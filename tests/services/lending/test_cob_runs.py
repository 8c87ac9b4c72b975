"""COB runs: never left running after a failure, dead runs detected, resumed in place."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys

import pytest
from concurrency_support import seed_book

from smecredit import models
from smecredit.domain.errors import PreconditionFailed
from smecredit.errors import PermissionDenied
from smecredit.security.operations import SYSTEM
from smecredit.security.principal import Principal
from smecredit.services.lending import cob
from smecredit.services.lending.ledger import verify_ledger

pytestmark = pytest.mark.anyio
DAY = dt.date(2026, 6, 1)
DEBTORS = 6


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


async def _actions(run_id: int) -> list[str]:
    rows = models.AuditLog.filter(resource=f"CobRun:{run_id}").order_by("seq")
    return list(await rows.values_list("action", flat=True))


async def test_only_roles_of_cob_run_may_run_it(db: object) -> None:
    viewer = Principal(user_id=9, username="v", roles=("viewer",), branch_code="HQ")
    with pytest.raises(PermissionDenied):
        await cob.run_cob(DAY, viewer)
    with pytest.raises(PermissionDenied):
        await cob.run_cob_range(DAY, DAY, viewer)
    assert not await models.CobRun.exists()


async def test_a_failed_run_is_recorded_failed_and_resumed_after_its_last_batch(
    db: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_book(DEBTORS, first_due=dt.date(2026, 3, 1))
    real = cob._close_batch
    calls = 0
    broken = True

    async def breaks_on_the_third_batch(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if broken and calls == 3:
            raise RuntimeError("disk on fire")
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cob, "_close_batch", breaks_on_the_third_batch)
    with pytest.raises(RuntimeError, match="disk on fire"):
        await cob.run_cob(DAY, SYSTEM, batch_size=1)
    run = await models.CobRun.get(business_date=DAY)
    assert (run.status, run.loans, run.error) == ("failed", 2, "RuntimeError: disk on fire")
    assert run.finished_at is not None
    # the next date waits for this one
    with pytest.raises(PreconditionFailed, match=f"COB of {DAY} failed"):
        await cob.run_cob(DAY + dt.timedelta(days=1), SYSTEM)

    broken = False
    summary = await cob.run_cob(DAY, SYSTEM, batch_size=1)
    run = await models.CobRun.get(business_date=DAY)
    assert (run.status, run.attempts, run.error) == ("succeeded", 2, None)
    assert summary.loans == run.loans == DEBTORS  # the first two batches were not redone
    assert calls == 3 + (DEBTORS - 2)  # two batches, the failure, then the rest
    assert await _actions(run.id) == ["cob.start", "cob.failed", "cob.resume", "cob.succeeded"]
    # resumed or not, the date is closed exactly once: recomputing changes nothing
    forced = await cob.run_cob(DAY, SYSTEM, force=True)
    assert (forced.changed, forced.penalties, forced.history_rows) == (0, 0, 0)
    assert await verify_ledger() == []


async def _left_running(owner: str, beat: dt.datetime) -> models.CobRun:
    return await models.CobRun.create(
        business_date=DAY, status="running", owner=owner, heartbeat_at=beat, loans=0
    )


async def test_a_run_of_a_dead_process_is_interrupted_and_resumed(db: object) -> None:
    await seed_book(2, first_due=dt.date(2026, 3, 1))
    now = dt.datetime.now(dt.UTC)
    run = await _left_running(f"{socket.gethostname()}:{_dead_pid()}", now)
    summary = await cob.run_cob(DAY, SYSTEM)
    assert summary.loans == 2 and not summary.skipped
    assert await _actions(run.id) == ["cob.interrupted", "cob.resume", "cob.succeeded"]
    assert (await models.CobRun.get(id=run.id)).attempts == 2


async def test_a_run_of_another_host_counts_as_dead_only_once_its_heartbeat_is_stale(
    db: object,
) -> None:
    await seed_book(2, first_due=dt.date(2026, 3, 1))
    beat = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    run = await _left_running("elsewhere:4242", beat)
    with pytest.raises(cob.CobAlreadyRunning, match="elsewhere:4242"):
        await cob.run_cob(DAY, SYSTEM, stale_after=dt.timedelta(hours=1))
    assert (await models.CobRun.get(id=run.id)).status == "running"
    await cob.run_cob(DAY, SYSTEM, stale_after=dt.timedelta(minutes=15))
    row = await models.CobRun.get(id=run.id)
    assert row.status == "succeeded" and row.loans == 2


async def test_a_live_run_blocks_another_and_a_taken_over_run_stops(db: object) -> None:
    await seed_book(2, first_due=dt.date(2026, 3, 1))
    now = dt.datetime.now(dt.UTC)
    live = f"{socket.gethostname()}:{os.getpid()}"
    await _left_running(live, now)
    with pytest.raises(cob.CobAlreadyRunning) as refused:
        await cob.run_cob(DAY + dt.timedelta(days=1), SYSTEM)
    assert refused.value.code == "COB_RUNNING"
    # a process taken for dead that comes back finds its run taken over and stops
    run = await models.CobRun.get(business_date=DAY)
    run.owner = "someone-else:1"
    with pytest.raises(cob.CobAlreadyRunning, match="taken over"):
        await cob._close_next_batch(run, -1, DAY, {}, 100)
    assert (await models.CobRun.get(id=run.id)).loans == 0
