"""Settings come from SMECREDIT_* variables; bad values name the variable."""

from __future__ import annotations

import subprocess
import sys

import pytest

from smecredit.settings import DEFAULT_DATABASE_URL, SettingsError, load_settings


def test_defaults() -> None:
    s = load_settings({})
    assert s.database_url == DEFAULT_DATABASE_URL and s.is_sqlite and s.env == "dev"
    assert (s.host, s.port) == ("127.0.0.1", 8000)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SMECREDIT_ENV": "staging"}, "SMECREDIT_ENV"),
        ({"SMECREDIT_PORT": "eighty"}, "SMECREDIT_PORT"),
        ({"SMECREDIT_PORT": "70000"}, "SMECREDIT_PORT"),
        ({"SMECREDIT_DATABASE_URL": "mysql://x/y"}, "SMECREDIT_DATABASE_URL"),
        ({"SMECREDIT_DATABASE_URL": "postgres:///db"}, "SMECREDIT_DATABASE_URL"),
        ({"SMECREDIT_MAX_PAGE_SIZE": "5000"}, "SMECREDIT_MAX_PAGE_SIZE"),
        ({"SMECREDIT_REDIS_URL": "http://x"}, "SMECREDIT_REDIS_URL"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(env)
    assert str(err.value).startswith(variable)
    assert "\n" not in str(err.value)


def test_cli_stops_with_one_clear_line() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "smecredit.cli", "db", "migrate"],
        env={"SMECREDIT_PORT": "nope", "PATH": ""},
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert lines[-1] == "Error: configuration error: SMECREDIT_PORT: 'nope' is not a number"
