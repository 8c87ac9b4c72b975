from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smecredit.security.passwords import (
    MIN_PASSWORD_LENGTH,
    PRODUCTION_PARAMS,
    Argon2Params,
    PasswordPolicyError,
    check_password_policy,
    enforce_password_policy,
    hash_password,
    make_hasher,
    needs_rehash,
    verify_password,
    verify_password_async,
)

CHEAP = make_hasher(Argon2Params(time_cost=1, memory_cost=8, parallelism=1))


def test_hash_is_argon2id_and_verifies() -> None:
    hashed = hash_password("Str0ng-enough-pw", hasher=CHEAP)
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "Str0ng-enough-pw", hasher=CHEAP)
    assert not verify_password(hashed, "Str0ng-enough-pX", hasher=CHEAP)


def test_same_password_hashes_differently_each_time() -> None:
    assert hash_password("same", hasher=CHEAP) != hash_password("same", hasher=CHEAP)


@pytest.mark.parametrize("garbage", ["", "not a hash", "$argon2id$v=19$m=8,t=1,p=1$broken"])
def test_verify_never_raises_on_malformed_hash(garbage: str) -> None:
    assert verify_password(garbage, "whatever", hasher=CHEAP) is False


def test_needs_rehash_when_params_change() -> None:
    cheap_hash = hash_password("pw", hasher=CHEAP)
    assert not needs_rehash(cheap_hash, hasher=CHEAP)
    assert needs_rehash(cheap_hash)  # production parameters differ
    assert needs_rehash("garbage")


def test_production_params_are_argon2id_rfc9106() -> None:
    hasher = make_hasher(PRODUCTION_PARAMS)
    assert hasher.time_cost == 3
    assert hasher.memory_cost == 65536
    assert hasher.parallelism == 4


@pytest.mark.anyio
async def test_verify_async_runs_in_thread() -> None:
    hashed = hash_password("Async-Pass-1234", hasher=CHEAP)
    assert await verify_password_async(hashed, "Async-Pass-1234", hasher=CHEAP)
    assert not await verify_password_async(hashed, "wrong", hasher=CHEAP)


@pytest.mark.parametrize(
    "password",
    ["Tr0ub4dor&3-horse", "correct horse Battery 9", "Zhang-San-Credit-88", "借款人密码Ab12345678"],
)
def test_strong_passwords_pass(password: str) -> None:
    assert check_password_policy(password, username="alice") == []
    enforce_password_policy(password, username="alice")


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("Sh0rt!", "at least 12"),
        ("alllowercaseletters", "at least 3"),
        ("ALLUPPER123456", "at least 3"),
        ("Password2024!", "too common"),
        ("P@ssw0rd-2024", "too common"),
        ("Qwertyuiop123!", "too common"),
        ("xx-Alice-2024-Y", "user name"),
    ],
)
def test_weak_passwords_are_refused_with_reason(password: str, fragment: str) -> None:
    reasons = check_password_policy(password, username="alice")
    assert any(fragment in r for r in reasons), reasons
    with pytest.raises(PasswordPolicyError) as err:
        enforce_password_policy(password, username="alice")
    assert err.value.code == "WEAK_PASSWORD"
    assert err.value.reasons == reasons


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=MIN_PASSWORD_LENGTH - 1))
def test_anything_shorter_than_minimum_is_refused(password: str) -> None:
    assert any("at least 12" in r for r in check_password_policy(password))
