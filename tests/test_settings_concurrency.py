"""The settings of concurrent writers: SQLite's busy timeout and COB's stale limit."""

from __future__ import annotations

import datetime as dt

import pytest

from smecredit.db import SQLITE_ENGINE, tortoise_config
from smecredit.settings import SettingsError, load_settings


def test_defaults_and_values() -> None:
    s = load_settings({})
    assert s.sqlite_busy_timeout == dt.timedelta(seconds=30)
    assert s.cob_stale_after == dt.timedelta(minutes=15)
    s = load_settings({"SMECREDIT_SQLITE_BUSY_TIMEOUT": "2m", "SMECREDIT_COB_STALE_AFTER": "1h"})
    assert (s.sqlite_busy_timeout, s.cob_stale_after) == (
        dt.timedelta(minutes=2),
        dt.timedelta(hours=1),
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SMECREDIT_SQLITE_BUSY_TIMEOUT", "soon"),
        ("SMECREDIT_SQLITE_BUSY_TIMEOUT", "0s"),
        ("SMECREDIT_COB_STALE_AFTER", "30s"),
        ("SMECREDIT_COB_STALE_AFTER", "-5m"),
    ],
)
def test_bad_values_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings({variable: value})
    assert str(err.value).startswith(variable) and "\n" not in str(err.value)


def test_sqlite_connections_use_the_waiting_engine(tmp_path: object) -> None:
    settings = load_settings(
        {
            "SMECREDIT_DATABASE_URL": f"sqlite://{tmp_path}/x.sqlite3",
            "SMECREDIT_SQLITE_BUSY_TIMEOUT": "5s",
        }
    )
    connection = tortoise_config(settings)["connections"]["default"]
    assert connection["engine"] == SQLITE_ENGINE
    assert connection["credentials"]["busy_timeout"] == 5000
    assert connection["credentials"]["journal_mode"] == "WAL"
    postgres = load_settings({"SMECREDIT_DATABASE_URL": "postgresql://u@127.0.0.1:5432/db"})
    assert tortoise_config(postgres)["connections"]["default"] == "postgres://u@127.0.0.1:5432/db"
