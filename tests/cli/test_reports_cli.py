"""``smecredit report list`` and ``smecredit report run`` against a SQLite file."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from reports_support import LoanList, ReportPlugin, seed_loans
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE

from smecredit import models, plugin_host
from smecredit.cli import reports as report_cli
from smecredit.db import tortoise_config
from smecredit.plugins import load_plugins
from smecredit.settings import load_settings


def _prepare(url: str) -> None:
    async def work() -> None:
        EXECUTOR_CACHE.clear()
        await Tortoise.init(config=tortoise_config(load_settings({"SMECREDIT_DATABASE_URL": url})))
        try:
            await Tortoise.generate_schemas()
            await seed_loans(3)
        finally:
            await Tortoise.close_connections()

    asyncio.run(work())


async def _runs(url: str) -> list[Any]:
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(load_settings({"SMECREDIT_DATABASE_URL": url})))
    try:
        return list(await models.ReportRun.all())
    finally:
        await Tortoise.close_connections()


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = load_plugins(entry_points=False, extra_plugins=[ReportPlugin(LoanList())])
    monkeypatch.setattr(report_cli, "command_registry", lambda s: plugin_host.install(plugins))


def test_list_and_run_a_report(tmp_path: Path, registry: None) -> None:
    url = f"sqlite://{tmp_path}/cli.sqlite3"
    _prepare(url)
    env = {
        "SMECREDIT_DATABASE_URL": url,
        "SMECREDIT_ENV": "dev",
        "SMECREDIT_REPORT_DIR": str(tmp_path / "artefacts"),
    }
    runner = CliRunner(env=env)
    listed = runner.invoke(report_cli.report_group, ["list"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.startswith("loan_list\tLoan list\tcsv/xlsx\t")
    out = tmp_path / "out" / "loans.csv"
    ran = runner.invoke(
        report_cli.report_group,
        ["run", "loan_list", "--param", "branch=B01", "--format", "csv", "--out", str(out)],
    )
    assert ran.exit_code == 0, ran.output
    assert "L0000,Firm Ltd,10.50" in out.read_text(encoding="utf-8-sig").splitlines()
    (run,) = asyncio.run(_runs(url))
    assert (run.requested_by, run.state, run.downloads) == ("system", "succeeded", 1)
    bad = runner.invoke(
        report_cli.report_group,
        ["run", "loan_list", "--param", "as_of=someday", "--format", "csv", "--out", str(out)],
    )
    assert bad.exit_code == 1 and "REPORT_PARAM_INVALID" in bad.output
    nobody = runner.invoke(
        report_cli.report_group,
        ["run", "loan_list", "--format", "csv", "--out", str(out), "--as", "ghost"],
    )
    assert nobody.exit_code == 1 and "USER_NOT_FOUND" in nobody.output
    malformed = runner.invoke(
        report_cli.report_group, ["run", "loan_list", "--param", "x", "--out", str(out)]
    )
    assert malformed.exit_code == 2
