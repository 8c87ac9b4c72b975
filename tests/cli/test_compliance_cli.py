"""``smecredit compliance run``: every check's line, the overall score, exit 1 on a failure."""

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


def test_compliance_run_prints_each_check_and_fails_on_a_breach(tmp_path: Path) -> None:
    env = {
        "SMECREDIT_DATABASE_URL": f"sqlite://{tmp_path}/cli.sqlite3",
        "SMECREDIT_ARGON2_PROFILE": "test",
        "SMECREDIT_KEY_FILE": str(tmp_path / "keys.json"),
    }

    async def create() -> None:
        EXECUTOR_CACHE.clear()
        await Tortoise.init(config=tortoise_config(load_settings(env)))
        await Tortoise.generate_schemas()
        await Tortoise.close_connections()

    asyncio.run(create())
    EXECUTOR_CACHE.clear()
    result = CliRunner().invoke(cli, ["compliance", "run"], env=env)
    # development mode requires no second factor: the sign-in policy check fails
    assert result.exit_code == 1, result.output
    assert "fail            mfa_policy" in result.output
    assert "not_applicable  backup_age" in result.output
    assert "overall score" in result.output

    async def runs() -> list[str]:
        EXECUTOR_CACHE.clear()
        await Tortoise.init(config=tortoise_config(load_settings(env)))
        try:
            return [r.started_by for r in await models.ComplianceRun.all()]
        finally:
            await Tortoise.close_connections()

    assert asyncio.run(runs()) == ["system"]
