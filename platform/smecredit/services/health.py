"""Readiness: may this process take traffic? (``/readyz``; ``/livez`` only says it runs.)

Each check answers ``ok`` or ``failed`` with a short fixed reason. A reason never carries
a secret, a connection URL or a path of the key file: the answer goes to whoever can reach
the probe. The checks:

* ``database``: a trivial query answers;
* ``redis``: ``PING`` answers, when ``SMECREDIT_REDIS_URL`` is set (``skipped`` otherwise);
* ``migrations``: no committed migration is pending (:mod:`smecredit.services.migration_state`);
* ``keys``: the configured keys are the ones the database's data was encrypted with
  (:func:`smecredit.services.key_check.check_database_keys`, recording nothing).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from smecredit import db
from smecredit.security.crypto import KeyringError
from smecredit.services.key_check import check_database_keys
from smecredit.services.migration_state import pending_migrations
from smecredit.settings import Settings

__all__ = ["Check", "readiness"]

#: How long one check may take before it counts as failed (a probe must answer quickly).
CHECK_TIMEOUT = 3.0


@dataclass(frozen=True, slots=True)
class Check:
    """One readiness check's outcome: ``status`` is ``ok``, ``failed`` or ``skipped``."""

    name: str
    status: str
    reason: str | None = None

    @property
    def passed(self) -> bool:
        """True unless the check failed."""
        return self.status != "failed"

    def as_json(self) -> dict[str, str]:
        """The check as the probe's JSON shows it."""
        out = {"status": self.status}
        if self.reason:
            out["reason"] = self.reason
        return out


async def _database() -> Check:
    if await db.ping():
        return Check("database", "ok")
    return Check("database", "failed", "the database does not answer")


async def _redis(url: str | None) -> Check:
    if not url:
        return Check("redis", "skipped", "no Redis configured")
    import redis.asyncio as aioredis

    client = aioredis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT)
    try:
        await client.ping()
    except Exception:
        return Check("redis", "failed", "Redis does not answer")
    finally:
        await client.aclose()
    return Check("redis", "ok")


async def _migrations() -> Check:
    try:
        pending = await pending_migrations()
    except Exception:
        return Check("migrations", "failed", "the applied migrations cannot be read")
    if pending:
        return Check(
            "migrations",
            "failed",
            f"{len(pending)} migration(s) pending, first {pending[0]}: run 'smecredit db migrate'",
        )
    return Check("migrations", "ok")


async def _keys() -> Check:
    try:
        await check_database_keys(record=False)
    except KeyringError as exc:
        # The code only: the message may name the key file's path.
        code = getattr(exc, "code", "KEY_ERROR")
        return Check("keys", "failed", f"{code}: the configured keys do not fit this database")
    except Exception:
        return Check("keys", "failed", "the keys cannot be checked")
    return Check("keys", "ok")


async def _bounded(name: str, check: Coroutine[Any, Any, Check]) -> Check:
    try:
        return await asyncio.wait_for(check, CHECK_TIMEOUT)
    except TimeoutError:
        return Check(name, "failed", f"no answer within {CHECK_TIMEOUT:g} s")


async def readiness(settings: Settings) -> list[Check]:
    """Every readiness check, in a fixed order; the process is ready when all passed."""
    database = await _bounded("database", _database())
    redis = await _bounded("redis", _redis(settings.redis_url))
    if not database.passed:
        # Without a database the other two cannot be read: say so, not a second failure.
        skipped = "the database does not answer"
        return [
            database,
            redis,
            Check("migrations", "failed", skipped),
            Check("keys", "failed", skipped),
        ]
    return [
        database,
        redis,
        await _bounded("migrations", _migrations()),
        await _bounded("keys", _keys()),
    ]
