"""Sign-in throttling: per-user and per-address moving windows plus a lock-out.

Only *failed* sign-ins count against the windows: a person who signs in correctly many
times (or a shared office address with many colleagues) never runs out of attempts. So
that parallel guesses cannot slip through while earlier ones are still being verified,
:meth:`SignInThrottle.check` reserves an in-flight slot *before* the ~200 ms password hash
is computed, and an attempt is refused when failures in the window plus attempts in
flight would exceed the limit. The outcome then settles the slot:
:meth:`~SignInThrottle.record_failure` turns it into a counted failure,
:meth:`~SignInThrottle.record_success` and :meth:`~SignInThrottle.release` give it back.
A slot never settled (a crash mid-attempt) lapses after :data:`IN_FLIGHT_SECONDS`.
Consecutive *failures* per user count towards a lock-out; a success resets them.

Storage is in-process memory by default (one server process); give a ``redis://`` URI to
share counters between processes/hosts. Keys hold a SHA-256 of the user name, not the name.

A per-user lock-out lets anyone lock a known account for a while by guessing wrong on
purpose; the per-address window limits how fast one source can do that to many accounts.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from typing import cast

from limits import RateLimitItem, parse
from limits.aio.storage import Storage as AsyncStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from smecredit.security.errors import SecurityError

__all__ = ["IN_FLIGHT_SECONDS", "SignInThrottle", "ThrottlePolicy", "TooManyAttempts"]

#: How long an attempt's in-flight slot is held at most (far longer than a hash takes).
IN_FLIGHT_SECONDS = 60


class TooManyAttempts(SecurityError):
    """Too many sign-in attempts; try again later.

    Attributes:
        retry_after_seconds: whole seconds until an attempt may succeed (for Retry-After).
        scope: ``"user"``, ``"address"`` or ``"locked"`` (the lock-out).
    """

    code = "TOO_MANY_ATTEMPTS"

    def __init__(self, message: str, *, retry_after_seconds: int, scope: str) -> None:
        super().__init__(
            message, params={"retry_after_seconds": retry_after_seconds, "scope": scope}
        )
        self.retry_after_seconds = retry_after_seconds
        self.scope = scope


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """Limits of :class:`SignInThrottle`.

    Attributes:
        per_user: attempts per user name, in ``limits`` notation.
        per_address: attempts per client address.
        lockout_failures: consecutive failures that lock the account.
        lockout_seconds: how long the lock lasts.
        failure_memory_seconds: how long a failure streak is remembered without new failures.
    """

    per_user: str = "5/minute"
    per_address: str = "20/minute"
    lockout_failures: int = 10
    lockout_seconds: int = 15 * 60
    failure_memory_seconds: int = 24 * 3600


def _user_key(username: str) -> str:
    return hashlib.sha256(username.strip().casefold().encode("utf-8")).hexdigest()[:32]


def _address_key(address: str) -> str:
    # limits joins identifiers with "/", and IPv6 addresses hold ":"; hash to stay neutral.
    return hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()[:32]


def _async_uri(storage_uri: str) -> tuple[str, dict[str, str]]:
    uri = storage_uri if storage_uri.startswith("async+") else "async+" + storage_uri
    options: dict[str, str] = {}
    if uri.startswith(("async+redis://", "async+rediss://", "async+redis+unix://")):
        # limits defaults to coredis, which is not a dependency; redis-py's asyncio client is.
        options["implementation"] = "redispy"
    return uri, options


class SignInThrottle:
    """Throttles sign-in attempts.

    Args:
        storage_uri: ``"memory://"`` (default) or a Redis URI such as
            ``"redis://127.0.0.1:6379/0"``.
        policy: the limits.
        key_prefix: namespace of the keys in shared storage (Redis only).

    Usage::

        throttle = SignInThrottle(settings.rate_limit_storage)
        await throttle.check(username, address)          # raises TooManyAttempts
        if await verify_password_async(user.password_hash, password):
            await throttle.record_success(username, address)  # costs nothing
        else:
            await throttle.record_failure(username, address)  # counts in the windows
    """

    def __init__(
        self,
        storage_uri: str = "memory://",
        *,
        policy: ThrottlePolicy | None = None,
        key_prefix: str = "smecredit-signin",
    ) -> None:
        self.policy = policy or ThrottlePolicy()
        uri, options = _async_uri(storage_uri)
        if "memory" not in uri:
            options["key_prefix"] = key_prefix
        self._storage = cast(AsyncStorage, storage_from_string(uri, **options))
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._per_user: RateLimitItem = parse(self.policy.per_user)
        self._per_address: RateLimitItem = parse(self.policy.per_address)

    @staticmethod
    def _lock_key(user: str) -> str:
        return f"signin-lock/{user}"

    @staticmethod
    def _failures_key(user: str) -> str:
        return f"signin-failures/{user}"

    @staticmethod
    def _in_flight_key(scope: str, identifier: str) -> str:
        return f"signin-in-flight/{scope}/{identifier}"

    def _windows(self, username: str, address: str) -> tuple[tuple[RateLimitItem, str, str], ...]:
        return (
            (self._per_address, _address_key(address), "address"),
            (self._per_user, _user_key(username), "user"),
        )

    async def _retry_after(self, item: RateLimitItem, identifier: str) -> int:
        stats = await self._limiter.get_window_stats(item, identifier)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def _release(self, username: str, address: str) -> None:
        for _, identifier, scope in self._windows(username, address):
            key = self._in_flight_key(scope, identifier)
            if await self._storage.get(key) > 0:
                await self._storage.incr(key, IN_FLIGHT_SECONDS, amount=-1)

    async def check(self, username: str, address: str) -> None:
        """Reserve an in-flight slot for one attempt, or refuse it.

        Settle the slot afterwards with :meth:`record_failure`, :meth:`record_success` or
        :meth:`release`.

        Args:
            username: the name typed (need not exist: unknown names are throttled alike).
            address: the client's address.

        Raises:
            TooManyAttempts: when the account is locked, or failures in a window plus the
                attempts in flight reach its limit.
        """
        lock_key = self._lock_key(_user_key(username))
        if await self._storage.get(lock_key) > 0:
            remaining = await self._storage.get_expiry(lock_key) - time.time()
            raise TooManyAttempts(
                "account temporarily locked after repeated failed sign-ins",
                retry_after_seconds=max(1, math.ceil(remaining)),
                scope="locked",
            )
        taken: list[str] = []
        try:
            for item, identifier, scope in self._windows(username, address):
                key = self._in_flight_key(scope, identifier)
                # incr is atomic: of two parallel attempts for the last slot, one sees 2.
                in_flight = await self._storage.incr(key, IN_FLIGHT_SECONDS)
                taken.append(key)
                if not await self._limiter.test(item, identifier, cost=max(1, in_flight)):
                    raise TooManyAttempts(
                        f"too many sign-in attempts for this {scope}",
                        retry_after_seconds=await self._retry_after(item, identifier),
                        scope=scope,
                    )
        except BaseException:
            for key in taken:
                await self._storage.incr(key, IN_FLIGHT_SECONDS, amount=-1)
            raise

    async def record_failure(self, username: str, address: str) -> None:
        """Record a failed sign-in: it counts in both windows; a streak locks the account.

        Args:
            username: the name typed.
            address: the client's address.
        """
        await self._release(username, address)
        for item, identifier, _ in self._windows(username, address):
            await self._limiter.hit(item, identifier)
        user = _user_key(username)
        failures = await self._storage.incr(
            self._failures_key(user), self.policy.failure_memory_seconds
        )
        if failures >= self.policy.lockout_failures:
            await self._storage.incr(self._lock_key(user), self.policy.lockout_seconds)
            # A new streak starts after the lock: another full run of failures re-locks.
            await self._storage.clear(self._failures_key(user))

    async def record_success(self, username: str, address: str) -> None:
        """Record a successful sign-in: it costs nothing, and the failure streak ends.

        Args:
            username: the name that signed in.
            address: the client's address.
        """
        await self._release(username, address)
        await self._storage.clear(self._failures_key(_user_key(username)))

    async def release(self, username: str, address: str) -> None:
        """Give back an attempt's slot without counting it (it never reached a verdict).

        Args:
            username: the name typed.
            address: the client's address.
        """
        await self._release(username, address)

    async def unlock(self, username: str) -> None:
        """Lift a lock-out and forget the failure streak and window (administrator action).

        Args:
            username: the locked user's name.
        """
        user = _user_key(username)
        await self._storage.clear(self._lock_key(user))
        await self._storage.clear(self._failures_key(user))
        await self._limiter.clear(self._per_user, user)

    async def failures(self, username: str) -> int:
        """Current consecutive failure count of a user.

        Args:
            username: the user's name.

        Returns:
            The count (0 after a success or a lock).
        """
        return await self._storage.get(self._failures_key(_user_key(username)))
