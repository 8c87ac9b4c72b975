"""A second writer on SQLite: an import or COB in another process beside the serving API.

The API is the ASGI app in the test process, spoken to over HTTP; the second process is
the real ``smecredit`` command on the same database file. Every write transaction must
wait for SQLite's single writer lock instead of failing with "database is locked".
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from concurrency_support import cli_env, post_repayments_until, start_cli, write_firms_csv
from lending_support import BRANCH, book_loan, seed_firm

from smecredit import models
from smecredit.services.lending.ledger import verify_ledger
from smecredit.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture
def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("a second writer process is a SQLite concern (one writer at a time)")


async def test_import_in_a_second_process_while_the_api_takes_repayments(
    sqlite_only: None, db: Settings, client_for: Any, tmp_path: Path
) -> None:
    loan_id = (await book_loan(await seed_firm())).loan_id
    officer = await client_for("loan_officer", BRANCH)
    rows = 3000
    path = write_firms_csv(tmp_path / "firms.csv", rows)
    env = cli_env(db.database_url, tmp_path)
    process = await start_cli(env, "import", str(path), "--kind", "firm", "--batch-size", "20")
    done = asyncio.ensure_future(process.communicate())

    async def importing() -> bool:
        return 0 < await models.Firm.filter(region_code="330100").count() < rows

    log = await post_repayments_until(officer, loan_id, done, importing, prefix="imp")
    out, err = (part.decode() for part in await done)
    assert process.returncode == 0, out + err
    assert f"accepted {rows:,}" in out, out
    assert log.failures == []
    assert log.during > 0  # the API did write while the import was writing
    assert await models.Firm.filter(region_code="330100").count() == rows
    assert await verify_ledger() == []


async def test_cob_in_a_second_process_while_the_api_takes_repayments(
    sqlite_only: None, db: Settings, client_for: Any, tmp_path: Path
) -> None:
    firm = await seed_firm()
    loan_id = (await book_loan(firm)).loan_id
    await book_loan(firm, amount=Decimal("8000.00"))
    officer = await client_for("loan_officer", BRANCH)
    start, end = dt.date(2026, 2, 1), dt.date(2026, 9, 30)
    dates = (end - start).days + 1
    env = cli_env(db.database_url, tmp_path)
    process = await start_cli(env, "cob", "run", "--from", str(start), "--to", str(end))
    done = asyncio.ensure_future(process.communicate())

    async def closing() -> bool:
        return 0 < await models.CobRun.all().count() < dates

    log = await post_repayments_until(officer, loan_id, done, closing, prefix="cob")
    out, err = (part.decode() for part in await done)
    assert process.returncode == 0, out + err
    assert log.failures == []
    assert log.during > 0
    statuses = await models.CobRun.all().values_list("status", flat=True)
    assert len(statuses) == dates and set(statuses) == {"succeeded"}
    assert await verify_ledger() == []
