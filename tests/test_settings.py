"""Settings come from SMECREDIT_* variables; bad values name the variable."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from smecredit.settings import DEFAULT_DATABASE_URL, SettingsError, load_settings


def test_defaults() -> None:
    s = load_settings({})
    assert s.database_url == DEFAULT_DATABASE_URL and s.is_sqlite and s.env == "dev"
    assert (s.host, s.port) == ("127.0.0.1", 8000)
    assert s.argon2_profile == "production" and s.audit_chain_key is None and not s.tls
    assert (s.session_idle_seconds, s.session_absolute_seconds) == (8 * 3600, 24 * 3600)
    assert s.signin_per_user is None and s.max_body_bytes is None
    assert s.encryption_keys is None and str(s.key_file) == "var/keys.json"


def test_typed_account_and_transport_settings() -> None:
    s = load_settings(
        {
            "SMECREDIT_ARGON2_PROFILE": "Test",
            "SMECREDIT_AUDIT_CHAIN_KEY": "c2VjcmV0LWtleS0xNi1ieXRlcyE",
            "SMECREDIT_SESSION_IDLE_SECONDS": "900",
            "SMECREDIT_SIGNIN_PER_USER": "10 per hour",
            "SMECREDIT_SIGNIN_PER_ADDRESS": "3/minute",
            "SMECREDIT_SIGNIN_LOCKOUT_FAILURES": "4",
            "SMECREDIT_TLS": "1",
            "SMECREDIT_MAX_BODY_BYTES": "2048",
            "SMECREDIT_ENCRYPTION_KEYS": "k1:abc",
            "SMECREDIT_KEY_FILE": "/tmp/k.json",
        }
    )
    assert s.argon2_profile == "test" and s.audit_chain_key == b"secret-key-16-bytes!"
    assert (s.session_idle_seconds, s.session_absolute_seconds) == (900, 24 * 3600)
    assert (s.signin_per_user, s.signin_per_address) == ("10 per hour", "3/minute")
    assert s.signin_lockout_failures == 4 and s.signin_lockout_seconds is None
    assert s.tls and s.max_body_bytes == 2048
    assert s.encryption_keys == "k1:abc" and str(s.key_file) == "/tmp/k.json"


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
        ({"SMECREDIT_ARGON2_PROFILE": "fast"}, "SMECREDIT_ARGON2_PROFILE"),
        ({"SMECREDIT_AUDIT_CHAIN_KEY": "c2hvcnQ"}, "SMECREDIT_AUDIT_CHAIN_KEY"),
        ({"SMECREDIT_AUDIT_CHAIN_KEY": "not base64!"}, "SMECREDIT_AUDIT_CHAIN_KEY"),
        ({"SMECREDIT_SESSION_IDLE_SECONDS": "8h"}, "SMECREDIT_SESSION_IDLE_SECONDS"),
        ({"SMECREDIT_SESSION_ABSOLUTE_SECONDS": "0"}, "SMECREDIT_SESSION_ABSOLUTE_SECONDS"),
        ({"SMECREDIT_SIGNIN_PER_USER": "five"}, "SMECREDIT_SIGNIN_PER_USER"),
        ({"SMECREDIT_SIGNIN_PER_ADDRESS": "5/fortnight"}, "SMECREDIT_SIGNIN_PER_ADDRESS"),
        ({"SMECREDIT_SIGNIN_LOCKOUT_FAILURES": "-1"}, "SMECREDIT_SIGNIN_LOCKOUT_FAILURES"),
        ({"SMECREDIT_SIGNIN_LOCKOUT_SECONDS": "x"}, "SMECREDIT_SIGNIN_LOCKOUT_SECONDS"),
        ({"SMECREDIT_TLS": "maybe"}, "SMECREDIT_TLS"),
        ({"SMECREDIT_MAX_BODY_BYTES": "1MB"}, "SMECREDIT_MAX_BODY_BYTES"),
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


@pytest.mark.parametrize(
    ("env", "variable", "words"),
    [
        ({"SMECREDIT_WARNING_SCAN_EVERY": "24"}, "SMECREDIT_WARNING_SCAN_EVERY", "not a duration"),
        ({"SMECREDIT_WARNING_SCAN_EVERY": "1h 30m"}, "SMECREDIT_WARNING_SCAN_EVERY", "24h"),
        ({"SMECREDIT_WARNING_SCAN_EVERY": "20s"}, "SMECREDIT_WARNING_SCAN_EVERY", "minimum is 1m"),
        ({"SMECREDIT_WARNING_SCAN_AT": "25:00"}, "SMECREDIT_WARNING_SCAN_AT", "HH:MM"),
        ({"SMECREDIT_WARNING_SCAN_AT": "2am"}, "SMECREDIT_WARNING_SCAN_AT", "time of day"),
        (
            {"SMECREDIT_WARNING_SCAN_AT": "02:00", "SMECREDIT_WARNING_SCAN_EVERY": "24h"},
            "SMECREDIT_WARNING_SCAN_AT",
            "not both",
        ),
        (
            {"SMECREDIT_WARNING_SCAN_STALE_AFTER": "soon"},
            "SMECREDIT_WARNING_SCAN_STALE_AFTER",
            "d, h",
        ),
    ],
)
def test_bad_scan_schedules_name_the_variable(
    env: dict[str, str], variable: str, words: str
) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(env)
    assert str(err.value).startswith(variable) and words in str(err.value)
    assert "\n" not in str(err.value)


def test_scan_schedule_settings() -> None:
    import datetime as dt

    off = load_settings({})
    assert off.warning_scan_every is None and off.warning_scan_at is None
    assert off.warning_scan_stale_after == dt.timedelta(hours=2)
    assert load_settings({"SMECREDIT_WARNING_SCAN_EVERY": "off"}).warning_scan_every is None
    every = load_settings(
        {"SMECREDIT_WARNING_SCAN_EVERY": "1d12h", "SMECREDIT_WARNING_SCAN_STALE_AFTER": "90m"}
    )
    assert every.warning_scan_every == dt.timedelta(hours=36)
    assert every.warning_scan_stale_after == dt.timedelta(minutes=90)
    at = load_settings({"SMECREDIT_WARNING_SCAN_AT": "02:30+08:00"}).warning_scan_at
    assert at == dt.time(2, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert load_settings({"SMECREDIT_WARNING_SCAN_AT": "18:00"}).warning_scan_at == dt.time(
        18, 0, tzinfo=dt.UTC
    )


def test_the_data_dir_is_a_path_or_unset(tmp_path: Path) -> None:
    assert load_settings({}).data_dir is None
    assert load_settings({"SMECREDIT_DATA_DIR": f" {tmp_path} "}).data_dir == tmp_path


def test_bank_capital_is_a_positive_amount() -> None:
    assert load_settings({}).bank_capital is None
    assert load_settings({"SMECREDIT_BANK_CAPITAL": "5,000,000,000"}).bank_capital == Decimal(
        "5000000000"
    )
    for bad in ("lots", "-1", "0", "NaN"):
        with pytest.raises(SettingsError, match="SMECREDIT_BANK_CAPITAL"):
            load_settings({"SMECREDIT_BANK_CAPITAL": bad})
