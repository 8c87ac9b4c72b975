from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smecredit.security.totp import (
    TOTP_INTERVAL,
    generate_recovery_codes,
    hash_recovery_code,
    match_recovery_code,
    new_secret,
    provisioning_uri,
    verify_totp,
)

NOW = datetime(2024, 5, 1, 8, 0, 10, tzinfo=UTC)


def code_at(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


def test_secret_and_uri() -> None:
    secret = new_secret()
    assert len(secret) == 32
    assert secret != new_secret()
    uri = provisioning_uri(secret, "alice@bank", issuer="smecredit")
    assert uri.startswith("otpauth://totp/")
    assert f"secret={secret}" in uri
    assert "issuer=smecredit" in uri


def test_valid_code_returns_its_step_and_replay_is_rejected() -> None:
    secret = new_secret()
    code = code_at(secret, NOW)
    step = verify_totp(secret, code, last_used_step=None, now=NOW)
    assert step == int(NOW.timestamp()) // TOTP_INTERVAL
    # The same code, still inside its window, a second later: refused.
    assert verify_totp(secret, code, last_used_step=step, now=NOW + timedelta(seconds=1)) is None
    # The next step's code is accepted and moves the marker on.
    later = NOW + timedelta(seconds=TOTP_INTERVAL)
    nxt = verify_totp(secret, code_at(secret, later), last_used_step=step, now=later)
    assert nxt == step + 1
    # An older (previous-step) code is refused once a newer one was used.
    older = code_at(secret, NOW - timedelta(seconds=TOTP_INTERVAL))
    assert verify_totp(secret, older, last_used_step=nxt, now=later) is None


def test_window_allows_one_step_of_drift_only() -> None:
    secret = new_secret()
    prev_code = code_at(secret, NOW - timedelta(seconds=TOTP_INTERVAL))
    assert verify_totp(secret, prev_code, last_used_step=None, now=NOW) is not None
    stale = code_at(secret, NOW - timedelta(seconds=3 * TOTP_INTERVAL))
    assert verify_totp(secret, stale, last_used_step=None, now=NOW) is None
    assert verify_totp(secret, stale, last_used_step=None, now=NOW, valid_window=3) is not None


@pytest.mark.parametrize("bad", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_malformed_codes_are_rejected(bad: str) -> None:
    assert verify_totp(new_secret(), bad, last_used_step=None, now=NOW) is None


def test_wrong_code_is_rejected() -> None:
    secret = new_secret()
    good = code_at(secret, NOW)
    window = {code_at(secret, NOW + timedelta(seconds=d * TOTP_INTERVAL)) for d in (-1, 0, 1)}
    wrong = next(
        c for c in (f"{(int(good) + k) % 1_000_000:06d}" for k in range(1, 5)) if c not in window
    )
    assert verify_totp(secret, wrong, last_used_step=None, now=NOW) is None


def test_recovery_codes_shape_and_uniqueness() -> None:
    codes = generate_recovery_codes()
    assert len(codes) == 10
    assert len(set(codes)) == 10
    for code in codes:
        groups = code.split("-")
        assert [len(g) for g in groups] == [4, 4, 4]
        assert not set(code.replace("-", "")) & set("01ilo")


def test_recovery_code_is_single_use() -> None:
    codes = generate_recovery_codes(5)
    stored: list[str | None] = [hash_recovery_code(c) for c in codes]
    assert codes[2] not in "".join(h or "" for h in stored)  # only digests are stored
    index = match_recovery_code(codes[2].upper().replace("-", " "), stored)
    assert index == 2
    stored[index] = None  # the caller invalidates the slot
    assert match_recovery_code(codes[2], stored) is None
    assert match_recovery_code(codes[3], stored) == 3


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=20))
def test_random_input_never_matches(guess: str) -> None:
    codes = generate_recovery_codes(3)
    stored = [hash_recovery_code(c) for c in codes]
    expected = codes.index(guess) if guess in codes else None
    assert match_recovery_code(guess, stored) == expected
