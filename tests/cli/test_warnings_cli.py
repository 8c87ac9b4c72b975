"""``smecredit warnings``: scan with progress, back-test table, reweight, escalate."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE

from smecredit import models
from smecredit.cli import cli
from smecredit.db import tortoise_config
from smecredit.settings import load_settings


def _prepare(url: str) -> None:
    async def work() -> None:
        EXECUTOR_CACHE.clear()
        await Tortoise.init(config=tortoise_config(load_settings({"SMECREDIT_DATABASE_URL": url})))
        await Tortoise.generate_schemas()
        for n, dpd in enumerate([0, 45, 120]):
            firm = await models.Firm.create(
                uscc=f"91310000MA1FL{n:04d}X"[:18],
                name=f"F{n}",
                industry_code="C17",
                region_code="310000",
                branch_code="B01",
            )
            await models.Loan.create(
                loan_ref=f"L{n}",
                firm=firm,
                product="p",
                principal="1000.00",
                annual_rate="0.05",
                term_months=12,
                repayment_method="bullet",
                guarantee_type="credit",
                status="active",
                days_past_due=dpd,
                outstanding_principal="1000.00",
                branch_code="B01",
            )
        # The account the four-eyes commands act as (--as), and one that may not decide.
        await models.User.create(
            username="risk_head", password_hash="x", roles=["risk_analyst"], branch_code="HQ"
        )
        await models.User.create(
            username="clerk", password_hash="x", roles=["viewer"], branch_code="HQ"
        )
        await Tortoise.close_connections()

    asyncio.run(work())


def test_scan_backtest_reweight_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/cli.sqlite3"
    _prepare(url)
    env = {"SMECREDIT_DATABASE_URL": url, "SMECREDIT_ENV": "dev"}
    runner = CliRunner()
    scan = runner.invoke(cli, ["warnings", "scan", "--as-of", "2026-06-30"], env=env)
    assert scan.exit_code == 0, scan.output
    assert "3 firms" in scan.output and "opened" in scan.output
    again = runner.invoke(cli, ["warnings", "scan", "--as-of", "2026-06-30"], env=env)
    assert "opened 0" in again.output
    backtest = runner.invoke(cli, ["warnings", "backtest", "--horizon", "90"], env=env)
    assert backtest.exit_code == 0, backtest.output
    assert "red+" in backtest.output and "LOAN_DPD" in backtest.output
    # the 120-DPD firm defaulted after the snapshot of 2026-06-30: both outcomes present
    reweight = runner.invoke(cli, ["warnings", "reweight"], env=env)
    assert reweight.exit_code == 0, reweight.output
    assert "weight proposal 1" in reweight.output and "LOAN_DPD" in reweight.output
    refused = runner.invoke(cli, ["warnings", "proposal", "accept", "1", "--as", "clerk"], env=env)
    assert refused.exit_code == 1 and "FORBIDDEN" in refused.output
    accept = runner.invoke(
        cli, ["warnings", "proposal", "accept", "1", "--as", "risk_head"], env=env
    )
    assert accept.exit_code == 0 and "version 1" in accept.output
    twice = runner.invoke(
        cli, ["warnings", "proposal", "reject", "1", "--as", "risk_head"], env=env
    )
    assert twice.exit_code == 1 and "CONFLICT" in twice.output
    short = runner.invoke(cli, ["warnings", "backtest", "--horizon", "0"], env=env)
    assert short.exit_code == 1 and "INVALID_BACKTEST_INPUT" in short.output
    escalate = runner.invoke(cli, ["warnings", "escalate"], env=env)
    assert escalate.exit_code == 0 and "escalated 0" in escalate.output


def test_schedule_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/schedule.sqlite3"
    _prepare(url)
    env = {"SMECREDIT_DATABASE_URL": url, "SMECREDIT_ENV": "dev"}
    runner = CliRunner()
    unset = runner.invoke(cli, ["warnings", "schedule", "--once"], env=env)
    assert unset.exit_code == 2 and "SMECREDIT_WARNING_SCAN_EVERY" in unset.output
    bad = runner.invoke(cli, ["warnings", "schedule", "--every", "5s"], env=env)
    assert bad.exit_code == 2 and "--every: '5s' is too short" in bad.output
    both = runner.invoke(cli, ["warnings", "schedule", "--every", "1h", "--at", "02:00"], env=env)
    assert both.exit_code == 2 and "not both" in both.output

    first = runner.invoke(
        cli,
        ["warnings", "schedule", "--once"],
        env={**env, "SMECREDIT_WARNING_SCAN_AT": "02:00+08:00"},
    )
    assert first.exit_code == 0, first.output
    assert "daily at 02:00+08:00" in first.output and "finished: 3 firms" in first.output
    again = runner.invoke(cli, ["warnings", "schedule", "--once", "--at", "02:00+08:00"], env=env)
    assert again.exit_code == 0 and "not due: next scan at" in again.output
    # a manual portfolio scan is refused while one is running
    asyncio.run(_mark_running(url))
    scan = runner.invoke(cli, ["warnings", "scan"], env=env)
    assert scan.exit_code == 1 and "SCAN_RUNNING" in scan.output


async def _mark_running(url: str) -> None:
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(load_settings({"SMECREDIT_DATABASE_URL": url})))
    await models.WarningScanRun.create(scope="portfolio", author="elsewhere")
    await Tortoise.close_connections()
