"""``smecredit cob run`` and ``smecredit ledger verify`` against a SQLite file."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner
from lending_support import book_loan, seed_firm
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE

from smecredit import models
from smecredit.cli.lending import cob, ledger
from smecredit.db import tortoise_config
from smecredit.settings import load_settings


def _prepare(url: str, *, corrupt: bool = False) -> None:
    async def work() -> None:
        EXECUTOR_CACHE.clear()
        await Tortoise.init(config=tortoise_config(load_settings({"SMECREDIT_DATABASE_URL": url})))
        try:
            if corrupt:
                await models.Loan.all().update(outstanding_principal=Decimal("1.00"))
            else:
                await Tortoise.generate_schemas()
                await book_loan(await seed_firm())
        finally:
            await Tortoise.close_connections()

    asyncio.run(work())


def test_cob_and_ledger_commands(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/cli.sqlite3"
    _prepare(url)
    runner = CliRunner(env={"SMECREDIT_DATABASE_URL": url, "SMECREDIT_ENV": "dev"})
    first = runner.invoke(cob, ["run", "--from", "2026-03-01", "--to", "2026-03-02"])
    assert first.exit_code == 0, first.output
    assert "2026-03-02 closed: loans=1" in first.output
    again = runner.invoke(cob, ["run", "--date", "2026-03-02"])
    assert "already closed" in again.output
    assert runner.invoke(cob, ["run"]).exit_code == 2
    ok = runner.invoke(ledger, ["verify"])
    assert ok.exit_code == 0 and "ledger ok" in ok.output
    _prepare(url, corrupt=True)
    bad = runner.invoke(ledger, ["verify"])
    assert bad.exit_code == 1 and "OUTSTANDING" in bad.output
