"""The built-in COB schedule (SMECREDIT_COB_AT) on a fake clock, and in the server."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
from dataclasses import replace
from typing import Any

import pytest
from concurrency_support import seed_book

from smecredit import models
from smecredit.services.lending.cob_schedule import CobSchedule, cob_round, run_cob_schedule
from smecredit.services.warnings.schedule import Round
from smecredit.settings import SettingsError, load_settings

pytestmark = pytest.mark.anyio
BEIJING = dt.timezone(dt.timedelta(hours=8))
#: 23:00 in Beijing on 1 June: the 22:00 close of 1 June is due.
T0 = dt.datetime(2026, 6, 1, 15, 0, tzinfo=dt.UTC)
AT_22 = dt.time(22, 0, tzinfo=BEIJING)


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


async def _loop(schedule: CobSchedule, clock: FakeClock, rounds: int) -> list[Round]:
    seen: list[Round] = []
    await run_cob_schedule(
        schedule, clock=clock, sleep=clock.sleep, rounds=rounds, on_round=seen.append
    )
    return seen


def test_cob_at_setting() -> None:
    assert load_settings({}).cob_at is None
    assert load_settings({"SMECREDIT_COB_AT": "off"}).cob_at is None
    assert load_settings({"SMECREDIT_COB_AT": "22:00+08:00"}).cob_at == AT_22
    local = load_settings({"SMECREDIT_COB_AT": "21:30"}).cob_at
    assert local is not None and (local.hour, local.minute) == (21, 30)
    assert local.utcoffset() == dt.datetime.now().astimezone().utcoffset()  # the server's day
    for bad in ("25:00", "22h", "22:00+30:00"):
        with pytest.raises(SettingsError, match="SMECREDIT_COB_AT"):
            load_settings({"SMECREDIT_COB_AT": bad})


def test_the_business_day_is_the_day_where_the_close_happens() -> None:
    from smecredit.services.lending.cob import business_today

    late = dt.datetime(2026, 6, 1, 17, 0, tzinfo=dt.UTC)  # 01:00 on 2 June in Beijing
    beijing = load_settings({"SMECREDIT_COB_AT": "22:00+08:00"})
    assert business_today(beijing, late) == dt.date(2026, 6, 2)
    utc = load_settings({"SMECREDIT_COB_AT": "22:00Z"})
    assert business_today(utc, late) == dt.date(2026, 6, 1)


async def test_closes_each_business_day_at_its_time(db: Any) -> None:
    await seed_book(3, first_due=dt.date(2026, 3, 1))
    clock = FakeClock(T0)
    rounds = await _loop(CobSchedule(at=AT_22), clock, rounds=3)
    assert [r.outcome for r in rounds] == ["closed"] * 3
    assert clock.sleeps == [82800.0, 86400.0]  # to 22:00 on 2 June, then a day
    runs = await models.CobRun.all().order_by("business_date")
    assert [(r.business_date, r.status, r.started_by, r.loans) for r in runs] == [
        (dt.date(2026, 6, day), "succeeded", "system", 3) for day in (1, 2, 3)
    ]
    # a restart the same evening finds the day closed
    again = await cob_round(CobSchedule(at=AT_22), clock=lambda: clock.now)
    assert again.outcome == "not_due" and await models.CobRun.all().count() == 3


async def test_before_the_time_it_closes_the_previous_day_first(db: Any) -> None:
    clock = FakeClock(dt.datetime(2026, 6, 1, 6, 0, tzinfo=dt.UTC))  # 14:00 in Beijing
    rounds = await _loop(CobSchedule(at=AT_22), clock, rounds=2)
    assert [r.outcome for r in rounds] == ["closed", "closed"]
    dates = await models.CobRun.all().order_by("id").values_list("business_date", flat=True)
    assert dates == [dt.date(2026, 5, 31), dt.date(2026, 6, 1)]
    assert clock.sleeps == [8 * 3600.0]


async def test_an_interrupted_day_is_resumed_before_the_next(db: Any) -> None:
    await models.CobRun.create(
        business_date=dt.date(2026, 5, 30), status="interrupted", error="interrupted: killed"
    )
    result = await cob_round(CobSchedule(at=AT_22), clock=lambda: T0)
    assert result.outcome == "closed"
    runs = await models.CobRun.all().order_by("business_date")
    assert [(r.business_date, r.status) for r in runs] == [
        (dt.date(2026, 5, 30), "succeeded"),
        (dt.date(2026, 6, 1), "succeeded"),
    ]


async def test_another_process_running_is_left_alone_and_a_failure_waits(db: Any) -> None:
    alive = await models.CobRun.create(
        business_date=dt.date(2026, 5, 31),
        status="running",
        owner=f"{socket.gethostname()}:{os.getpid()}",
        heartbeat_at=dt.datetime.now(dt.UTC),
    )
    schedule = CobSchedule(at=AT_22, poll=dt.timedelta(minutes=2))
    busy = await cob_round(schedule, clock=lambda: T0)
    assert (busy.outcome, busy.next_at) == ("running", T0 + dt.timedelta(minutes=2))
    await models.CobRun.filter(id=alive.id).update(status="succeeded")

    async def broken(day: dt.date) -> Any:
        raise RuntimeError("ledger unreadable")

    failed = await cob_round(schedule, close=broken, clock=lambda: T0)
    assert failed.outcome == "failed" and "ledger unreadable" in failed.detail
    assert failed.next_at == dt.datetime(2026, 6, 2, 14, 0, tzinfo=dt.UTC)  # no retry storm


async def test_stopping_the_schedule_interrupts_its_close(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smecredit.services.lending import cob

    await seed_book(2, first_due=dt.date(2026, 3, 1))
    entered = asyncio.Event()

    async def endless(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        await asyncio.sleep(3600)

    monkeypatch.setattr(cob, "_close_batch", endless)
    task = asyncio.create_task(run_cob_schedule(CobSchedule(at=AT_22), clock=lambda: T0))
    await asyncio.wait_for(entered.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    run = await models.CobRun.get(business_date=dt.date(2026, 6, 1))
    assert run.status == "interrupted" and "interrupted" in (run.error or "")


async def test_the_server_runs_the_schedule_in_its_lifespan(db: Any) -> None:
    from smecredit.app import create_app
    from smecredit.services.lending.cob import business_today

    await seed_book(2, first_due=dt.date(2026, 3, 1))
    settings = replace(db, cob_at=dt.time(0, 0, tzinfo=dt.UTC))
    app = create_app(settings, manage_db=False)
    run = None
    async with app.router.lifespan_context(app):
        for _ in range(400):
            run = await models.CobRun.filter(status="succeeded").first()
            if run is not None:
                break
            await asyncio.sleep(0.05)
    assert run is not None, "the schedule did not close the book within 20 s"
    assert (run.business_date, run.started_by, run.loans) == (business_today(settings), "system", 2)
