"""The job supervisor: results, coded failures, progress, cancel (audited), shutdown."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from helpers import principal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smecredit import models
from smecredit.domain.jobs import JobKind
from smecredit.errors import InvalidInput
from smecredit.services.jobs import JobControl, JobSupervisor, ShuttingDown

pytestmark = pytest.mark.anyio

ANALYST = principal("ana", "risk_analyst")


async def test_a_job_records_its_result_and_progress(db: Any) -> None:
    jobs = JobSupervisor(progress_every=0.01)

    async def work(control: JobControl) -> dict[str, Any]:
        for done in range(1, 4):
            control.progress(done, 3)
            await asyncio.sleep(0.02)
        return {"firms": 3}

    handle = await jobs.start(JobKind.WARNING_SCAN, work, started_by=ANALYST, params={"a": 1})
    assert handle.row.state == "queued" and handle.row.started_by == "ana"
    assert await handle.outcome() == {"firms": 3}
    row = await models.Job.get(id=handle.id)
    assert (row.state, row.done, row.total, row.result, row.params) == (
        "succeeded",
        3,
        3,
        {"firms": 3},
        {"a": 1},
    )
    assert row.finished_at is not None and row.error_code is None


async def test_a_failing_job_records_its_code_and_an_unexpected_one_job_failed(db: Any) -> None:
    jobs = JobSupervisor()

    async def refused(control: JobControl) -> None:
        raise InvalidInput("no index snapshots to learn from", code="INVALID_BACKTEST_INPUT")

    async def broken(control: JobControl) -> None:
        raise RuntimeError("boom")

    first = await jobs.start(JobKind.WEIGHT_PROPOSAL, refused, started_by=ANALYST)
    second = await jobs.start(JobKind.COB, broken, started_by="system")
    await jobs.idle()
    rows = {r.id: r for r in await models.Job.all()}
    assert (rows[first.id].state, rows[first.id].error_code) == ("failed", "INVALID_BACKTEST_INPUT")
    assert rows[first.id].error_message == "no index snapshots to learn from"
    assert (rows[second.id].state, rows[second.id].error_code) == ("failed", "JOB_FAILED")
    with pytest.raises(InvalidInput):
        await first.outcome()


async def test_progress_reported_from_a_worker_thread_reaches_the_row(db: Any) -> None:
    jobs = JobSupervisor(progress_every=0.01)

    def fit(control: JobControl) -> None:
        assert threading.current_thread() is not threading.main_thread()
        control.progress(2, 5)

    async def work(control: JobControl) -> None:
        await asyncio.to_thread(fit, control)
        await asyncio.sleep(0.1)
        assert (await models.Job.get(id=control.job_id)).done == 2

    handle = await jobs.start(JobKind.TRAINING, work, started_by=ANALYST)
    assert await handle.outcome() is None
    assert (await models.Job.get(id=handle.id)).state == "succeeded"


async def test_cancel_stops_the_work_and_is_audited(db: Any) -> None:
    jobs = JobSupervisor()
    entered = asyncio.Event()
    stopped: list[str] = []

    async def endless(control: JobControl) -> None:
        entered.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            stopped.append("stopped")
            raise

    handle = await jobs.start(JobKind.SYNC, endless, started_by=ANALYST)
    await asyncio.wait_for(entered.wait(), 5)
    row = await jobs.cancel(handle.id, ANALYST)
    assert (row.state, row.cancelled_by, row.error_code) == ("cancelled", "ana", "CANCELLED")
    assert stopped == ["stopped"]
    audit = await models.AuditLog.get(action="job.cancel")
    assert (audit.actor, audit.resource) == ("ana", f"Job:{handle.id}")
    with pytest.raises(Exception) as again:
        await jobs.cancel(handle.id, ANALYST)
    assert getattr(again.value, "code", None) == "INVALID_TRANSITION"


async def test_shutdown_interrupts_running_jobs_and_refuses_new_ones(db: Any) -> None:
    jobs = JobSupervisor()
    entered = asyncio.Event()

    async def endless(control: JobControl) -> None:
        control.progress(1, 10)
        entered.set()
        await asyncio.sleep(3600)

    handle = await jobs.start(JobKind.COB, endless, started_by="system")
    await asyncio.wait_for(entered.wait(), 5)
    await jobs.shutdown()
    row = await models.Job.get(id=handle.id)
    assert (row.state, row.error_code, row.done, row.total) == ("interrupted", "INTERRUPTED", 1, 10)
    with pytest.raises(ShuttingDown) as refused:
        await jobs.start(JobKind.COB, endless, started_by="system")
    assert refused.value.code == "SHUTTING_DOWN"


async def test_jobs_of_a_dead_process_are_reaped_at_open(db: Any) -> None:
    import socket

    dead = await models.Job.create(
        kind="sync", state="running", started_by="system", owner=f"{socket.gethostname()}:999999"
    )
    elsewhere = await models.Job.create(
        kind="sync", state="running", started_by="system", owner="another-host:1"
    )
    assert await JobSupervisor().open() == 1
    assert (await models.Job.get(id=dead.id)).state == "interrupted"
    assert (await models.Job.get(id=elsewhere.id)).state == "running"


async def test_a_job_stopped_before_its_work_began_is_recorded_too(db: Any) -> None:
    jobs = JobSupervisor()
    ran: list[int] = []

    async def work(control: JobControl) -> None:
        ran.append(control.job_id)

    handle = await jobs.start(JobKind.COB, work, started_by="system")
    await jobs.shutdown()  # in the same tick: the task never took its first step
    row = await models.Job.get(id=handle.id)
    assert ran == [] and (row.state, row.error_code) == ("interrupted", "INTERRUPTED")


OUTCOMES = ("succeed", "coded", "crash", "cancel", "shutdown")


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(OUTCOMES), min_size=1, max_size=5))
async def test_every_job_ends_in_the_state_its_outcome_calls_for(
    db: Any, outcomes: list[str]
) -> None:
    jobs = JobSupervisor()
    started: list[tuple[int, str]] = []
    parked = asyncio.Event()  # never set: work that waits to be stopped

    def work_for(outcome: str) -> Any:
        async def work(control: JobControl) -> Any:
            control.progress(1, 2)
            if outcome == "succeed":
                return {"ok": True}
            if outcome == "coded":
                raise InvalidInput("bad", code="SOME_CODE")
            if outcome == "crash":
                raise ZeroDivisionError("bug")
            await parked.wait()
            return None

        return work

    for outcome in outcomes:
        handle = await jobs.start(JobKind.SYNC, work_for(outcome), started_by=ANALYST)
        started.append((handle.id, outcome))
    await asyncio.sleep(0.05)  # every job took its first steps
    for job_id, outcome in started:
        if outcome == "cancel":
            await jobs.cancel(job_id, ANALYST)
    await jobs.shutdown()
    expected = {
        "succeed": ("succeeded", None),
        "coded": ("failed", "SOME_CODE"),
        "crash": ("failed", "JOB_FAILED"),
        "cancel": ("cancelled", "CANCELLED"),
        "shutdown": ("interrupted", "INTERRUPTED"),
    }
    for job_id, outcome in started:
        row = await models.Job.get(id=job_id)
        assert (row.state, row.error_code) == expected[outcome], outcome
        assert row.finished_at is not None and row.started_by == "ana"
        assert (row.done, row.total) == ((2, 2) if outcome == "succeed" else (1, 2))


async def test_a_shutdown_while_a_job_records_its_end_keeps_that_end(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stop arrives while the failed job's row is being written: the row still says
    failed (it used to stay running, the job already gone from the shutdown's sweep)."""
    from smecredit.domain.jobs import JobState
    from smecredit.services.jobs import supervisor as supervisor_module

    entered, release = asyncio.Event(), asyncio.Event()
    real_move = supervisor_module.records.move

    async def slow_move(job_id: int, state: JobState, **changes: Any) -> Any:
        if state is JobState.FAILED:
            entered.set()
            await release.wait()
        return await real_move(job_id, state, **changes)

    monkeypatch.setattr(supervisor_module.records, "move", slow_move)

    async def work(control: JobControl) -> Any:
        raise InvalidInput("bad", code="SOME_CODE")

    jobs = JobSupervisor()
    handle = await jobs.start(JobKind.SYNC, work, started_by=ANALYST)
    await asyncio.wait_for(entered.wait(), 10)
    stopping = asyncio.create_task(jobs.shutdown())
    await asyncio.sleep(0.05)  # the shutdown's cancellation reached the job
    release.set()
    await stopping
    row = await models.Job.get(id=handle.id)
    assert (row.state, row.error_code) == ("failed", "SOME_CODE")
