"""``smecredit sources ...`` and ``smecredit import``: summaries, quarantine hint, exit codes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from tortoise import Tortoise

from smecredit.cli.imports import count_data_lines, import_command
from smecredit.cli.sources import sources
from smecredit.db import tortoise_config
from smecredit.settings import load_settings


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {
        "SMECREDIT_DATABASE_URL": f"sqlite://{tmp_path}/cli.sqlite3",
        "SMECREDIT_KEY_FILE": str(tmp_path / "keys.json"),
        "SMECREDIT_ENV": "dev",
    }

    async def create() -> None:
        await Tortoise.init(config=tortoise_config(load_settings(values)))
        await Tortoise.generate_schemas()
        await Tortoise.close_connections()

    asyncio.run(create())
    return values


def test_sources_list_shows_the_builtin_sources(env: dict[str, str]) -> None:
    result = CliRunner().invoke(sources, ["list"], env=env)
    assert result.exit_code == 0, result.output
    assert "files:" in result.output and "synthetic:" in result.output
    assert "settings schema" not in result.output
    scheduled = {**env, "SMECREDIT_SYNC_SCHEDULE": "synthetic=06:00"}
    shown = CliRunner().invoke(sources, ["list", "--schema"], env=scheduled)
    assert "synced daily at 06:00+00:00" in shown.output
    assert '"n_firms"' in shown.output and "settings schema" in shown.output


def test_sync_prints_summary_then_quality_shows_the_run(env: dict[str, str]) -> None:
    runner = CliRunner()
    args = [
        "sync",
        "synthetic",
        "--set",
        "n_firms=3",
        "--set",
        "dirt_rate=0.2",
        "--batch-size",
        "50",
    ]
    result = runner.invoke(sources, args, env=env)
    assert result.exit_code == 2, result.output  # finished, some records quarantined
    assert "synthetic: run 1 partial" in result.output
    assert (
        "quarantined" in result.output
        and "smecredit sources quality synthetic --run 1" in result.output
    )
    assert "refresh job 1: succeeded" in result.output  # the new firms rescored / scanned

    shown = runner.invoke(sources, ["quality", "synthetic", "--run", "1"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "run 1 synthetic partial" in shown.output and "[" in shown.output
    as_json = json.loads(runner.invoke(sources, ["quality", "--json"], env=env).output)
    assert as_json["totals"]["read"] == as_json["runs"][0]["read"] > 0


def test_sync_with_bad_settings_or_source_fails_cleanly(env: dict[str, str]) -> None:
    runner = CliRunner()
    bad = runner.invoke(sources, ["sync", "synthetic", "--set", "n_firms=-2"], env=env)
    assert bad.exit_code != 0 and "INVALID_SETTINGS" in bad.output
    unknown = runner.invoke(sources, ["sync", "nope"], env=env)
    assert unknown.exit_code != 0 and "UNKNOWN_SOURCE" in unknown.output
    missing = runner.invoke(sources, ["quality", "--run", "99"], env=env)
    assert missing.exit_code != 0 and "not found" in missing.output


def test_import_reports_lines_and_exit_code(env: dict[str, str], tmp_path: Path) -> None:
    from smecredit_source_synthetic.generator import generate_portfolio

    firms = [r for k, r in generate_portfolio(3, seed=1) if k == "firm"]
    header = ",".join(
        ["uscc", "name", "industry_code", "region_code", "established_on",
         "registered_capital", "employees", "status", "branch_code"]
    )  # fmt: skip
    lines = [header] + [",".join(str(f[c]) for c in header.split(",")) for f in firms] + ["bad,row"]
    path = tmp_path / "firms.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert count_data_lines(path) == 4

    result = CliRunner().invoke(import_command, [str(path), "--kind", "firm"], env=env)
    assert result.exit_code == 2, result.output  # finished, one record quarantined
    assert "run 1 partial" in result.output
    assert "accepted 3" in result.output and "quarantined 1" in result.output
    assert "BAD_ROW (line 5)" in result.output

    clean = tmp_path / "clean.csv"
    clean.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    again = CliRunner().invoke(import_command, [str(clean), "--kind", "firm"], env=env)
    assert again.exit_code == 0 and "succeeded" in again.output, again.output

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    failed = CliRunner().invoke(import_command, [str(empty), "--kind", "firm"], env=env)
    assert failed.exit_code == 1 and "failed" in failed.output and "EMPTY_FILE" in failed.output


def test_commands_act_as_system_through_the_table_of_operations(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smecredit.cli import imports
    from smecredit.cli import sources as sources_module
    from smecredit.security.operations import COMMAND_OPERATIONS, SYSTEM, can

    assert COMMAND_OPERATIONS["import"] == imports.OPERATION == "data.import"
    assert COMMAND_OPERATIONS["sources sync"] == sources_module.SYNC_OPERATION == "source.sync"
    assert can(SYSTEM, "data.import") and can(SYSTEM, "source.sync")
    # An operation the platform itself may not take is refused before anything runs.
    monkeypatch.setattr(imports, "OPERATION", "model.promote")
    monkeypatch.setattr(sources_module, "SYNC_OPERATION", "model.promote")
    path = tmp_path / "f.csv"
    path.write_text("uscc\n", encoding="utf-8")
    refused = CliRunner().invoke(import_command, [str(path), "--kind", "firm"], env=env)
    assert refused.exit_code == 1 and "FORBIDDEN" in refused.output
    refused = CliRunner().invoke(sources, ["sync", "synthetic"], env=env)
    assert refused.exit_code == 1 and "FORBIDDEN" in refused.output
