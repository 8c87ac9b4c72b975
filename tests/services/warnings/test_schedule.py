"""The built-in scan schedule: due times, the database claim, and the loop on a fake clock."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from asyncio.subprocess import PIPE
from dataclasses import replace
from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tortoise.transactions import in_transaction
from warnings_support import MakeFirm

from smecredit import models
from smecredit.errors import Conflict
from smecredit.services.warnings.runs import (
    ScanAlreadyRunning,
    claim_portfolio_run,
    start_portfolio_run,
)
from smecredit.services.warnings.scan import scan_portfolio
from smecredit.services.warnings.schedule import Round, ScanSchedule, run_schedule
from smecredit.settings import load_settings

pytestmark = pytest.mark.anyio

T0 = dt.datetime(2026, 6, 30, 10, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
BEIJING = dt.timezone(dt.timedelta(hours=8))


class FakeClock:
    """A clock that only moves when the loop sleeps."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> dt.datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += dt.timedelta(seconds=seconds)


class FakeScan:
    """Records the runs it was given; fails the calls listed in ``fail``."""

    def __init__(self, clock: FakeClock, fail: tuple[int, ...] = ()) -> None:
        self.clock = clock
        self.fail = fail
        self.runs: list[int] = []

    async def __call__(self, run: models.WarningScanRun) -> None:
        self.runs.append(run.id)
        if len(self.runs) in self.fail:
            raise RuntimeError("bureau feed unreadable")
        await models.WarningScanRun.filter(id=run.id).update(
            status="finished", finished_at=self.clock()
        )


async def _running_run(started: dt.datetime, author: str = "elsewhere") -> models.WarningScanRun:
    run = await models.WarningScanRun.create(scope="portfolio", author=author)
    await models.WarningScanRun.filter(id=run.id).update(started_at=started)
    return run


async def _loop(schedule: ScanSchedule, clock: FakeClock, scan: Any, rounds: int) -> list[Round]:
    seen: list[Round] = []
    await run_schedule(
        schedule, scan=scan, clock=clock, sleep=clock.sleep, rounds=rounds, on_round=seen.append
    )
    return seen


# ------------------------------------------------------------------------- due times


def test_settings_give_the_schedule() -> None:
    assert ScanSchedule.from_settings(load_settings({})) is None
    every = ScanSchedule.from_settings(load_settings({"SMECREDIT_WARNING_SCAN_EVERY": "1d12h"}))
    assert every is not None and every.every == dt.timedelta(hours=36)
    assert every.describe() == "every 1d12h"
    daily = ScanSchedule.from_settings(
        load_settings(
            {"SMECREDIT_WARNING_SCAN_AT": "02:00+08:00", "SMECREDIT_WARNING_SCAN_STALE_AFTER": "3h"}
        )
    )
    assert daily is not None and daily.describe() == "daily at 02:00+08:00"
    assert daily.stale_after == 3 * HOUR
    with pytest.raises(ValueError, match="exactly one"):
        ScanSchedule()


def test_daily_slots_follow_the_offset() -> None:
    daily = ScanSchedule(at=dt.time(2, 0, tzinfo=BEIJING))
    # 10:00 UTC is 18:00 in Beijing: today's 02:00 Beijing (yesterday 18:00 UTC) has passed
    assert daily.last_slot(T0) == dt.datetime(2026, 6, 29, 18, 0, tzinfo=dt.UTC)
    assert daily.next_due(None, T0) == T0
    assert daily.next_due(T0 - dt.timedelta(days=3), T0) == daily.last_slot(T0)
    assert daily.next_due(T0 - HOUR, T0) == dt.datetime(2026, 6, 30, 18, 0, tzinfo=dt.UTC)
    at_slot = dt.datetime(2026, 6, 30, 18, 0, tzinfo=dt.UTC)
    assert daily.last_slot(at_slot) == at_slot


_INSTANTS = st.datetimes(
    min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 1, 1), timezones=st.just(dt.UTC)
)
_SCHEDULES = st.one_of(
    st.integers(60, 3 * 86400).map(lambda s: ScanSchedule(every=dt.timedelta(seconds=s))),
    st.tuples(st.integers(0, 23), st.integers(0, 59), st.integers(-12, 14)).map(
        lambda t: ScanSchedule(at=dt.time(t[0], t[1], tzinfo=dt.timezone(dt.timedelta(hours=t[2]))))
    ),
)


@given(schedule=_SCHEDULES, now=_INSTANTS, ago=st.integers(0, 5 * 86400))
def test_due_time_agrees_with_the_claims_condition(
    schedule: ScanSchedule, now: dt.datetime, ago: int
) -> None:
    """The loop's "when next" and the database claim's "is it due" never disagree."""
    last = now - dt.timedelta(seconds=ago)
    instant, inclusive = schedule.period_start(now)
    refused = last >= instant if inclusive else last > instant
    due = schedule.next_due(last, now)
    assert (due <= now) == (not refused)
    assert due > last  # never the same scan twice
    if refused:  # the next scan is due within one period
        assert due - now <= (schedule.every or dt.timedelta(days=1))


# ----------------------------------------------------------------------------- claims


async def _hold_connection() -> None:
    async with in_transaction() as conn:
        await conn.execute_query("SELECT 1")
        await asyncio.sleep(0.05)


async def test_only_one_of_many_simultaneous_claims_wins(db: Any) -> None:
    # Open several pooled connections first (PostgreSQL), so the claims really overlap
    # instead of queueing for the pool's one connection.
    await asyncio.gather(*[_hold_connection() for _ in range(5)])
    claims = await asyncio.gather(*[claim_portfolio_run(author=f"p{i}") for i in range(5)])
    won = [c for c in claims if c is not None]
    assert len(won) == 1 and won[0].status == "running"
    assert await models.WarningScanRun.filter(status="running").count() == 1


async def test_a_period_scan_blocks_the_next_claim_until_due(db: Any) -> None:
    period = (T0 - HOUR, False)
    first = await claim_portfolio_run(author="a", now=T0, not_started_since=period)
    assert first is not None
    await models.WarningScanRun.filter(id=first.id).update(status="finished")
    assert await claim_portfolio_run(author="b", now=T0, not_started_since=period) is None
    later = (T0, False)  # an hour later the period starts at T0: the scan at T0 is not in it
    assert await claim_portfolio_run(author="b", now=T0 + HOUR, not_started_since=later)


async def test_manual_portfolio_scan_is_refused_while_one_runs(
    db: Any, make_firm: MakeFirm, rules: dict[str, Any]
) -> None:
    await make_firm(dpd=45)
    other = await _running_run(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
    with pytest.raises(ScanAlreadyRunning) as err:
        await scan_portfolio(rules=rules)
    assert isinstance(err.value, Conflict) and err.value.code == "SCAN_RUNNING"
    assert f"run {other.id}" in err.value.message
    # a run left running longer than the stale limit is taken for dead
    await models.WarningScanRun.filter(id=other.id).update(
        started_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    )
    summary = await scan_portfolio(rules=rules)
    dead = await models.WarningScanRun.get(id=other.id)
    assert dead.status == "failed" and "abandoned" in (dead.error or "")
    assert (await models.WarningScanRun.get(id=summary.run_id)).status == "finished"
    assert await models.AuditLog.filter(action="warning_scan.abandoned").count() == 1
    blocker = await start_portfolio_run(author="x")
    with pytest.raises(ScanAlreadyRunning, match=f"run {blocker.id}"):
        await start_portfolio_run(author="y")


# ------------------------------------------------------------------------------ loop


async def test_scans_every_period_on_a_fake_clock(db: Any) -> None:
    clock = FakeClock(T0)
    scan = FakeScan(clock)
    rounds = await _loop(ScanSchedule(every=HOUR), clock, scan, rounds=4)
    assert [r.outcome for r in rounds] == ["scanned"] * 4
    assert clock.sleeps == [3600.0] * 3
    runs = await models.WarningScanRun.all().order_by("id")
    assert [r.started_at for r in runs] == [T0 + k * HOUR for k in range(4)]
    assert {r.author for r in runs} == {"scheduler"} and len(scan.runs) == 4


async def test_skips_while_a_scan_is_running(db: Any) -> None:
    other = await _running_run(T0 - dt.timedelta(minutes=10))
    clock = FakeClock(T0)
    scan = FakeScan(clock)
    schedule = ScanSchedule(every=HOUR, poll=dt.timedelta(minutes=2))
    rounds = await _loop(schedule, clock, scan, rounds=2)
    assert [(r.outcome, r.run_id) for r in rounds] == [("running", other.id)] * 2
    assert scan.runs == [] and clock.sleeps == [120.0]
    # once it is over, its start counts for the period: the next scan is an hour after it
    await models.WarningScanRun.filter(id=other.id).update(status="finished")
    rounds = await _loop(schedule, clock, scan, rounds=2)
    assert [r.outcome for r in rounds] == ["not_due", "scanned"]
    assert clock.now == T0 - dt.timedelta(minutes=10) + HOUR
    assert len(scan.runs) == 1


async def test_a_failed_scan_is_recorded_and_the_loop_goes_on(db: Any) -> None:
    clock = FakeClock(T0)
    scan = FakeScan(clock, fail=(1,))
    rounds = await _loop(ScanSchedule(every=HOUR), clock, scan, rounds=3)
    assert [r.outcome for r in rounds] == ["failed", "scanned", "scanned"]
    assert clock.sleeps == [3600.0, 3600.0]  # no retry storm: the next period, as usual
    failed = await models.WarningScanRun.get(id=scan.runs[0])
    assert failed.status == "failed" and "bureau feed unreadable" in (failed.error or "")
    assert await models.AuditLog.filter(action="warning_scan.failed").count() == 1


async def test_a_scan_failing_inside_records_its_own_failure(
    db: Any, make_firm: MakeFirm, rules: dict[str, Any]
) -> None:
    await make_firm(dpd=45)

    class Broken:
        code, name, group, kind = "BROKEN", "broken", "credit", "quantitative"
        thresholds: ClassVar = {"blue": 1.0, "yellow": 2.0, "orange": 3.0, "red": 4.0}
        direction, inputs = "higher_is_worse", ()

        def evaluate_columns(self, *args: Any, **kwargs: Any) -> Any:
            raise ZeroDivisionError("rule blew up")

    broken = {**rules, "BROKEN": Broken()}
    clock = FakeClock(dt.datetime.now(dt.UTC))
    calls: list[int] = []

    async def scan(run: models.WarningScanRun) -> None:
        calls.append(run.id)
        good = len(calls) > 1
        await scan_portfolio(author=run.author, run=run, rules=rules if good else broken)

    rounds = await _loop(ScanSchedule(every=dt.timedelta(minutes=30)), clock, scan, rounds=2)
    assert [r.outcome for r in rounds] == ["failed", "scanned"]
    first, second = [await models.WarningScanRun.get(id=i) for i in calls]
    assert first.status == "failed" and "rule blew up" in (first.error or "")
    assert second.status == "finished" and second.firms_scanned == 1


async def test_daily_schedule_waits_for_the_next_slot(db: Any) -> None:
    clock = FakeClock(T0)  # 18:00 in Beijing
    scan = FakeScan(clock)
    rounds = await _loop(ScanSchedule(at=dt.time(2, 0, tzinfo=BEIJING)), clock, scan, rounds=3)
    assert [r.outcome for r in rounds] == ["scanned"] * 3  # the missed slot is caught up
    runs = await models.WarningScanRun.all().order_by("id")
    assert [r.started_at for r in runs] == [
        T0,
        dt.datetime(2026, 6, 30, 18, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 7, 1, 18, 0, tzinfo=dt.UTC),
    ]


async def test_a_round_error_does_not_end_the_loop(db: Any, monkeypatch: Any) -> None:
    from smecredit.services.warnings import schedule as module

    clock = FakeClock(T0)
    scan = FakeScan(clock)
    real = module.claim_portfolio_run
    calls = {"n": 0}

    async def flaky(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("database went away")
        return await real(**kwargs)

    monkeypatch.setattr(module, "claim_portfolio_run", flaky)
    rounds = await _loop(ScanSchedule(every=HOUR), clock, scan, rounds=2)
    assert [r.outcome for r in rounds] == ["error", "scanned"]
    assert clock.sleeps == [60.0]


async def test_a_cancelled_scan_does_not_stay_running(db: Any) -> None:
    started = asyncio.Event()

    async def endless(run: models.WarningScanRun) -> None:
        started.set()
        await asyncio.sleep(3600)

    task = asyncio.create_task(run_schedule(ScanSchedule(every=HOUR), scan=endless, rounds=1))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    run = await models.WarningScanRun.get()
    assert run.status == "failed" and "interrupted" in (run.error or "")


# ------------------------------------------------------------- server and processes


async def test_the_server_runs_the_schedule_in_its_lifespan(db: Any, make_firm: MakeFirm) -> None:
    from smecredit.app import create_app

    await make_firm(dpd=45)
    app = create_app(replace(db, warning_scan_every=HOUR), manage_db=False)
    async with app.router.lifespan_context(app):
        for _ in range(400):
            run = await models.WarningScanRun.filter(status__not="running").first()
            if run is not None:
                break
            await asyncio.sleep(0.05)
    assert run is not None, "the scheduler did not scan within 20 s"
    assert (run.author, run.status, run.scope, run.firms_scanned) == (
        "scheduler",
        "finished",
        "portfolio",
        1,
    )
    assert await models.Warning.filter(rule_code="LOAN_DPD").count() == 1
    assert not await models.WarningScanRun.filter(status="running").exists()


async def test_schedulers_in_several_processes_scan_once(db: Any, make_firm: MakeFirm) -> None:
    """Real processes, started together: one scans, the others find it running or done."""
    await make_firm(dpd=45)
    env = {**os.environ, "SMECREDIT_DATABASE_URL": db.database_url, "SMECREDIT_ENV": "dev"}
    command = [sys.executable, "-m", "smecredit.cli", "warnings", "schedule", "--once"]
    procs = [
        await asyncio.create_subprocess_exec(
            *command, "--every", "1h", env=env, stdout=PIPE, stderr=PIPE
        )
        for _ in range(3)
    ]
    outputs = [await p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    text = [out.decode() for out, _ in outputs]
    assert sum("finished: 1 firms" in t for t in text) == 1, text
    assert sum(("skipped" in t) or ("not due" in t) for t in text) == 2, text
    runs = await models.WarningScanRun.all()
    assert [(r.status, r.author) for r in runs] == [("finished", "scheduler")]


async def test_an_interrupted_scan_is_recorded_as_failed(
    db: Any, make_firm: MakeFirm, rules: dict[str, Any]
) -> None:
    await make_firm(dpd=45)
    publishing = asyncio.Event()

    class StuckBroadcaster:
        async def publish(self, message: Any) -> None:
            publishing.set()
            await asyncio.sleep(3600)

    task = asyncio.create_task(scan_portfolio(rules=rules, broadcaster=StuckBroadcaster()))  # type: ignore[arg-type]
    await publishing.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    run = await models.WarningScanRun.get()
    assert (run.status, run.error) == ("failed", "CancelledError: interrupted")
