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
    assert result.exit_code == 0, result.output
    assert "synthetic: run 1 succeeded" in result.output
    assert (
        "quarantined" in result.output
        and "smecredit sources quality synthetic --run 1" in result.output
    )

    shown = runner.invoke(sources, ["quality", "synthetic", "--run", "1"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "run 1 synthetic succeeded" in shown.output and "[" in shown.output
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
    assert result.exit_code == 0, result.output
    assert "accepted 3" in result.output and "quarantined 1" in result.output
    assert "BAD_ROW (line 5)" in result.output

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    failed = CliRunner().invoke(import_command, [str(empty), "--kind", "firm"], env=env)
    assert failed.exit_code == 1 and "EMPTY_FILE" in failed.output
