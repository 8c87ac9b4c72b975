"""Per-source sync schedules: parsed and refused by name, run on a fake clock."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from ingestion_support import ListSource
from smecredit_source_synthetic.generator import generate_portfolio

from smecredit import models
from smecredit.services.sync_schedule import (
    SourceSchedule,
    check_sources,
    run_sync_schedule,
    schedules_from_settings,
)
from smecredit.settings import SettingsError, load_settings, parse_sync_schedule

pytestmark = pytest.mark.anyio


class FakeClock:
    """Starts at the real time (runs are stamped by the database) and moves on sleep."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)
        self.slept: list[float] = []

    def __call__(self) -> dt.datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += dt.timedelta(seconds=seconds)


class NeedsRegion(ListSource):
    settings_schema = {  # noqa: RUF012
        "type": "object",
        "required": ["region"],
        "properties": {"region": {"type": "string"}},
    }


def _source(name: str = "listed") -> ListSource:
    firm = next(r for k, r in generate_portfolio(1, seed=60) if k == "firm")
    return ListSource([("firm", firm)], name=name)


def test_schedule_setting_is_parsed_and_refused_by_name() -> None:
    settings = load_settings({"SMECREDIT_SYNC_SCHEDULE": "synthetic=06:00, files=07:30+08:00"})
    (synthetic, files) = schedules_from_settings(settings)
    assert synthetic.describe() == "synthetic daily at 06:00+00:00"
    assert files.when.at == dt.time(7, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert parse_sync_schedule("bureau=6h")[0] == ("bureau", dt.timedelta(hours=6), None)
    assert load_settings({}).sync_schedule == ()
    for raw, words in [
        ("synthetic", "is not source=time"),
        ("synthetic=25:00", "SMECREDIT_SYNC_SCHEDULE (synthetic): '25:00' is not a time"),
        ("synthetic=1m", "too short"),
        ("a=06:00,a=07:00", "scheduled twice"),
    ]:
        with pytest.raises(SettingsError, match=re.escape(words)):
            load_settings({"SMECREDIT_SYNC_SCHEDULE": raw})


def test_a_schedule_naming_no_installed_source_is_refused() -> None:
    schedules = [SourceSchedule.from_entry(e) for e in parse_sync_schedule("nope=06:00")]
    with pytest.raises(SettingsError, match=r"no data source named 'nope'.*listed"):
        check_sources(schedules, {"listed": _source()})
    check_sources([], {})


async def test_daily_schedule_syncs_once_per_period_on_a_fake_clock(db: Any) -> None:
    clock = FakeClock()
    # Today's slot is 30 minutes ahead: never synced, so the first round syncs at once.
    slot = (clock.now + dt.timedelta(minutes=30)).time().replace(second=0, microsecond=0)
    schedules = [SourceSchedule.from_entry(("listed", None, slot.replace(tzinfo=dt.UTC)))]
    rounds: list[list[Any]] = []
    started: list[dt.datetime] = []

    async def stamped(seconds: float) -> None:
        # The database stamps a run with the real time: move it to the fake clock's.
        for result in rounds[-1]:
            if result.run_id is not None:
                await models.SyncRun.filter(id=result.run_id).update(started_at=clock.now)
                started.append(clock.now)
        await clock.sleep(seconds)

    await run_sync_schedule(
        schedules,
        {"listed": _source()},
        clock=clock,
        sleep=stamped,
        rounds=3,
        on_round=rounds.append,
    )
    outcomes = [[r.outcome for r in found] for found in rounds]
    assert outcomes == [["synced"], ["synced"], ["synced"]]
    # the first sync slept until today's slot, the slot's sync until tomorrow's
    assert 25 * 60 <= clock.slept[0] <= 31 * 60
    assert clock.slept[1] == 86400
    today = dt.datetime.combine(started[1].date(), slot, dt.UTC)
    assert started[1] == today and clock.now == today + dt.timedelta(days=1)
    runs = await models.SyncRun.filter(source="listed").order_by("id")
    assert [(r.status, r.actor, r.operation) for r in runs] == [
        ("succeeded", "system", "source.sync")
    ] * 3
    # the first sync brought a new firm: its refresh ran; the second brought nothing new
    jobs = await models.RefreshJob.all().values_list("run_id", "status")
    assert jobs == [(runs[0].id, "succeeded")]


async def test_interval_schedule_and_a_sync_by_hand_counts(db: Any) -> None:
    from smecredit.services.ingestion.sync import run_sync

    source = _source()
    await run_sync(source, refresh=False)  # by hand, just now: this period's sync
    clock = FakeClock()
    schedules = [SourceSchedule.from_entry(("listed", dt.timedelta(hours=1), None))]
    rounds: list[list[Any]] = []
    await run_sync_schedule(
        schedules,
        {"listed": source},
        clock=clock,
        sleep=clock.sleep,
        rounds=2,
        on_round=rounds.append,
    )
    assert [[r.outcome for r in found] for found in rounds] == [["not_due"], ["synced"]]
    assert 59 * 60 <= clock.slept[0] <= 3600


async def test_a_sync_that_cannot_start_waits_for_the_next_period(db: Any) -> None:
    clock = FakeClock()
    schedules = [SourceSchedule.from_entry(("listed", dt.timedelta(hours=2), None))]
    rounds: list[list[Any]] = []
    source = NeedsRegion([], name="listed")
    await run_sync_schedule(
        schedules,
        {"listed": source},
        clock=clock,
        sleep=clock.sleep,
        rounds=2,
        on_round=rounds.append,
    )
    assert [[r.outcome for r in found] for found in rounds] == [["error"], ["error"]]
    assert "region" in rounds[0][0].detail and clock.slept == [7200.0]
    assert await models.SyncRun.all().count() == 0
