from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import pytest

from smecredit.security.rate_limit import SignInThrottle, ThrottlePolicy, TooManyAttempts

pytestmark = pytest.mark.anyio

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(params=["memory", "redis"])
def storage_uri(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "memory":
        yield "memory://"
    elif not _redis_up():
        pytest.skip("Redis not reachable at 127.0.0.1:6379")
    else:
        yield REDIS_URL


def make(storage_uri: str, **policy: object) -> SignInThrottle:
    # A fresh prefix per test keeps Redis runs independent of each other.
    return SignInThrottle(
        storage_uri,
        policy=ThrottlePolicy(**policy),  # type: ignore[arg-type]
        key_prefix=f"test-{uuid.uuid4().hex}",
    )


def user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


async def test_per_user_window(storage_uri: str) -> None:
    throttle = make(storage_uri, per_user="3/minute")
    name = user()
    for i in range(3):
        await throttle.check(name, f"10.0.0.{i}")
    with pytest.raises(TooManyAttempts) as err:
        await throttle.check(name, "10.0.0.99")
    assert err.value.code == "TOO_MANY_ATTEMPTS"
    assert err.value.scope == "user"
    assert 1 <= err.value.retry_after_seconds <= 60
    await throttle.check(user(), "10.0.0.99")  # another user is unaffected


async def test_per_address_window(storage_uri: str) -> None:
    throttle = make(storage_uri, per_address="4/minute")
    for _ in range(4):
        await throttle.check(user(), "203.0.113.7")
    with pytest.raises(TooManyAttempts) as err:
        await throttle.check(user(), "203.0.113.7")
    assert err.value.scope == "address"
    assert 1 <= err.value.retry_after_seconds <= 60
    await throttle.check(user(), "2001:db8::1")  # another address is unaffected


async def test_lockout_after_consecutive_failures(storage_uri: str) -> None:
    throttle = make(storage_uri, per_user="100/minute", lockout_failures=3, lockout_seconds=900)
    name = user()
    for _ in range(3):
        await throttle.check(name, "10.0.0.1")
        await throttle.record_failure(name, "10.0.0.1")
    with pytest.raises(TooManyAttempts) as err:
        await throttle.check(name, "10.0.0.2")
    assert err.value.scope == "locked"
    assert 890 <= err.value.retry_after_seconds <= 900
    # Case and spaces do not give a way around the lock.
    with pytest.raises(TooManyAttempts):
        await throttle.check(f"  {name.upper()} ", "10.0.0.3")
    await throttle.unlock(name)
    await throttle.check(name, "10.0.0.2")


async def test_success_resets_the_failure_streak(storage_uri: str) -> None:
    throttle = make(storage_uri, per_user="100/minute", lockout_failures=3)
    name = user()
    for _ in range(2):
        await throttle.record_failure(name, "10.0.0.1")
    assert await throttle.failures(name) == 2
    await throttle.record_success(name, "10.0.0.1")
    assert await throttle.failures(name) == 0
    for _ in range(2):
        await throttle.record_failure(name, "10.0.0.1")
    await throttle.check(name, "10.0.0.1")  # 2 consecutive failures: not locked


async def test_default_policy() -> None:
    throttle = SignInThrottle()
    assert throttle.policy == ThrottlePolicy(
        per_user="5/minute", per_address="20/minute", lockout_failures=10, lockout_seconds=900
    )
    name = user()
    for _ in range(5):
        await throttle.check(name, "10.0.0.1")
    with pytest.raises(TooManyAttempts):
        await throttle.check(name, "10.0.0.1")


async def test_successful_sign_ins_cost_nothing(storage_uri: str) -> None:
    throttle = make(storage_uri, per_user="3/minute", per_address="3/minute")
    name = user()
    for _ in range(10):  # far more than the limit
        await throttle.check(name, "10.0.0.1")
        await throttle.record_success(name, "10.0.0.1")
    for _ in range(3):
        await throttle.check(name, "10.0.0.1")
        await throttle.record_failure(name, "10.0.0.1")
    with pytest.raises(TooManyAttempts) as err:
        await throttle.check(name, "10.0.0.1")
    assert err.value.scope == "address"


async def test_attempts_in_flight_hold_their_slot_until_settled(storage_uri: str) -> None:
    throttle = make(storage_uri, per_user="2/minute")
    name = user()
    await throttle.check(name, "10.0.0.1")
    await throttle.check(name, "10.0.0.2")  # two guesses being verified at once
    with pytest.raises(TooManyAttempts):
        await throttle.check(name, "10.0.0.3")
    await throttle.release(name, "10.0.0.1")  # no verdict: the slot comes back
    await throttle.record_success(name, "10.0.0.2")
    await throttle.check(name, "10.0.0.3")
    await throttle.check(name, "10.0.0.4")
    with pytest.raises(TooManyAttempts):
        await throttle.check(name, "10.0.0.5")
