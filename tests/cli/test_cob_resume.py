"""A COB process killed mid-run (kill -9) is marked interrupted and resumed by the next
``smecredit cob run``, and the result equals an uninterrupted run of the same book."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from concurrency_support import cli_env, seed_book, start_cli
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE

from smecredit import models
from smecredit.db import tortoise_config
from smecredit.security.operations import SYSTEM
from smecredit.services.lending.cob import run_cob_range
from smecredit.settings import load_settings

pytestmark = pytest.mark.anyio

FIRST, LAST = dt.date(2026, 6, 1), dt.date(2026, 6, 4)
DEBTORS = 30
RANGE = ["cob", "run", "--from", str(FIRST), "--to", str(LAST), "--batch-size", "1"]


@asynccontextmanager
async def opened(url: str) -> AsyncIterator[None]:
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(load_settings({"SMECREDIT_DATABASE_URL": url})))
    try:
        yield
    finally:
        await Tortoise.close_connections()


async def _state() -> dict[str, Any]:
    """Everything COB writes, without the clock columns."""
    loans = await models.Loan.all().order_by("id").values()
    for row in loans:
        row.pop("updated_at"), row.pop("created_at")
    history = await models.ClassificationHistory.all().order_by("loan_id", "as_of", "id").values()
    for row in history:
        row.pop("id"), row.pop("created_at")
    runs = (
        await models.CobRun.all()
        .order_by("business_date")
        .values(
            "business_date",
            "status",
            "loans",
            "changed",
            "penalties",
            "history_rows",
            "last_firm_id",
        )
    )
    return {
        "loans": loans,
        "instalments": await models.ScheduledInstalment.all().order_by("id").values(),
        "history": history,
        "runs": runs,
    }


async def _half_closed() -> models.CobRun | None:
    return await models.CobRun.filter(
        status="running", last_firm_id__isnull=False, loans__gt=0, loans__lt=DEBTORS
    ).first()


async def _kill_mid_run(process: asyncio.subprocess.Process) -> models.CobRun:
    """Kill -9 the COB process while a date is half closed.

    Seen half-way by a plain read (WAL: it never waits for the writer), the process is
    frozen (SIGSTOP, perhaps in the middle of a batch's transaction) and looked at again
    before it is killed, so that what is killed is known to be a run half done.
    """
    while process.returncode is None:
        if await _half_closed() is not None:
            process.send_signal(signal.SIGSTOP)
            run = await _half_closed()
            if run is not None:
                process.kill()
                await process.wait()
                return run
            process.send_signal(signal.SIGCONT)
        await asyncio.sleep(0.001)
    out, err = await process.communicate()
    raise AssertionError(f"COB ended before it could be killed mid-run: {out!r} {err[-2000:]!r}")


async def test_a_killed_cob_resumes_to_the_result_of_an_uninterrupted_run(tmp_path: Path) -> None:
    killed, whole = tmp_path / "killed.sqlite3", tmp_path / "whole.sqlite3"
    url, whole_url = f"sqlite://{killed}", f"sqlite://{whole}"
    async with opened(url):
        await Tortoise.generate_schemas()
        await seed_book(DEBTORS, first_due=dt.date(2026, 3, 1))
    shutil.copy(killed, whole)  # closed: the WAL is checkpointed into the file
    env = cli_env(url, tmp_path)

    async with opened(url):
        process = await start_cli(env, *RANGE)
        run = await _kill_mid_run(process)
        assert (await models.CobRun.get(id=run.id)).status == "running"  # left behind

    again = await start_cli(env, *RANGE)
    out, err = (part.decode() for part in await again.communicate())
    assert again.returncode == 0, out + err
    assert f"{LAST} closed: loans={DEBTORS}" in out

    async with opened(url):
        resumed = await models.CobRun.get(id=run.id)
        assert (resumed.status, resumed.attempts, resumed.error) == ("succeeded", 2, None)
        actions = (
            await models.AuditLog.filter(resource=f"CobRun:{run.id}")
            .order_by("seq")
            .values_list("action", flat=True)
        )
        assert list(actions) == ["cob.start", "cob.interrupted", "cob.resume", "cob.succeeded"]
        after_resume = await _state()
    async with opened(whole_url):
        await run_cob_range(FIRST, LAST, SYSTEM, batch_size=1)
        uninterrupted = await _state()
    assert after_resume == uninterrupted
    assert {r["status"] for r in uninterrupted["runs"]} == {"succeeded"}
