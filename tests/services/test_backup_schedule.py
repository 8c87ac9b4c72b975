"""The daily backup schedule: due once per slot, once across processes, as a BACKUP job."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from smecredit.domain.jobs import JobKind
from smecredit.models import Job
from smecredit.security.keys import set_keyring
from smecredit.services import audit
from smecredit.services.backups.manifest import list_backups
from smecredit.services.backups.schedule import BackupSchedule, backup_round
from smecredit.services.jobs import JobSupervisor
from smecredit.services.jobs.kinds import scheduled_backup
from smecredit.settings import Settings, SettingsError, load_settings
from tests.backup_support import use_key_file

pytestmark = pytest.mark.anyio

SLOT = dt.time(2, 0, tzinfo=dt.UTC)


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = use_key_file(tmp_path, monkeypatch)
    yield path
    set_keyring(None)


def test_the_schedule_setting_is_a_daily_time_and_off_by_default() -> None:
    assert load_settings({}).backup_schedule is None
    at = load_settings({"SMECREDIT_BACKUP_SCHEDULE": "02:30+08:00"}).backup_schedule
    assert at is not None and at.hour == 2 and at.utcoffset() == dt.timedelta(hours=8)
    with pytest.raises(SettingsError, match="SMECREDIT_BACKUP_SCHEDULE"):
        load_settings({"SMECREDIT_BACKUP_SCHEDULE": "25:00"})


async def test_rounds_back_up_once_per_slot_across_processes(
    db: Settings, key_file: Path, tmp_path: Path
) -> None:
    settings = replace(db, backup_dir=tmp_path / "backups", backup_schedule=SLOT)
    audit.configure(settings)
    schedule = BackupSchedule.from_settings(settings)
    assert schedule is not None
    jobs = JobSupervisor()
    await jobs.open()
    run = scheduled_backup(jobs, settings=settings)
    now = dt.datetime.now(dt.UTC)

    async def slow_run() -> object:
        await asyncio.sleep(0.3)  # long enough for the second process to find the lock taken
        return await run()

    # Two processes' rounds at once: one backs up, the other finds the lock held.
    first, second = await asyncio.gather(
        backup_round(schedule, settings=settings, run=slow_run, clock=lambda: now),
        backup_round(schedule, settings=settings, run=slow_run, clock=lambda: now),
    )
    assert sorted([first.outcome, second.outcome]) == ["backed_up", "running"]
    # Looking again in the same slot: recorded already, not due.
    again = await backup_round(schedule, settings=settings, run=run, clock=lambda: now)
    assert again.outcome == "not_due"
    # The next day's slot is due again.
    tomorrow = now + dt.timedelta(days=1)
    later = await backup_round(schedule, settings=settings, run=run, clock=lambda: tomorrow)
    assert later.outcome == "backed_up"
    assert len(list_backups(settings.backup_dir)) == 2
    done = await Job.filter(kind=JobKind.BACKUP.value).values_list("state", flat=True)
    assert done == ["succeeded", "succeeded"]
    await jobs.shutdown()
