"""The schedules' work runs as jobs too: scheduled syncs (and their refresh), COB, scans."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from concurrency_support import seed_book
from ingestion_support import ListSource
from smecredit_source_synthetic.generator import generate_portfolio
from warnings_support import _fresh_broadcasters, rules

from smecredit import models
from smecredit.services.jobs import JobSupervisor
from smecredit.services.jobs.kinds import (
    scheduled_close,
    scheduled_scan,
    scheduled_sync,
    start_pending_refreshes,
)
from smecredit.services.sync_schedule import SourceSchedule, run_sync_schedule
from smecredit.services.warnings.runs import start_portfolio_run

__all__ = ["_fresh_broadcasters", "rules"]

pytestmark = pytest.mark.anyio


async def _jobs() -> list[tuple[str, str, str, int | None]]:
    rows = await models.Job.all().order_by("id")
    return [(r.kind, r.state, r.started_by, r.run_id) for r in rows]


async def test_a_scheduled_sync_and_its_refresh_are_jobs_of_the_platform(db: Any) -> None:
    jobs = JobSupervisor()
    firm = next(r for k, r in generate_portfolio(1, seed=61) if k == "firm")
    now = dt.datetime.now(dt.UTC)
    schedules = [SourceSchedule.from_entry(("listed", dt.timedelta(hours=1), None))]
    rounds: list[Any] = []
    await run_sync_schedule(
        schedules,
        {"listed": ListSource([("firm", firm)], name="listed")},
        clock=lambda: now,
        rounds=1,
        on_round=rounds.append,
        run=scheduled_sync(jobs),
    )
    await jobs.idle()
    [[synced]] = rounds
    assert synced.outcome == "synced"
    refresh = await models.RefreshJob.get(run_id=synced.run_id)
    assert await _jobs() == [
        ("sync", "succeeded", "system", synced.run_id),
        ("refresh", "succeeded", "system", refresh.id),
    ]
    sync_job = await models.Job.get(kind="sync")
    assert sync_job.result["accepted"] == 1 and sync_job.result["refresh_job"] == refresh.id


async def test_scheduled_close_and_scan_are_jobs(db: Any, rules: dict[str, Any]) -> None:
    jobs = JobSupervisor()
    await seed_book(2, first_due=dt.date(2026, 3, 1))
    summary = await scheduled_close(jobs, stale_after=dt.timedelta(minutes=5))(dt.date(2026, 6, 1))
    assert summary.loans == 2
    run = await start_portfolio_run(author="scheduler", stale_after=dt.timedelta(minutes=5))
    scanned = await scheduled_scan(jobs, settings=db, rules=rules)(run)
    cob_run = await models.CobRun.get(business_date=dt.date(2026, 6, 1))
    assert await _jobs() == [
        ("cob", "succeeded", "system", cob_run.id),
        ("warning_scan", "succeeded", "system", run.id),
    ]
    assert scanned["firms"] == 2


async def test_refreshes_a_dead_process_left_run_as_jobs_at_start(db: Any) -> None:
    from smecredit.services.ingestion.sync import run_sync

    firm = next(r for k, r in generate_portfolio(1, seed=62) if k == "firm")
    source = ListSource([("firm", firm)], name="listed")
    result = await run_sync(source, refresh=False)  # as if the process died before it
    jobs = JobSupervisor()
    [handle] = await start_pending_refreshes(jobs, settings=db, stale_after=dt.timedelta(0))
    await handle.outcome()
    assert await _jobs() == [("refresh", "succeeded", "system", result.refresh_job_id)]
    assert (await models.RefreshJob.get(id=result.refresh_job_id)).status == "succeeded"
