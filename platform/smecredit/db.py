"""Database connection set-up for Tortoise ORM (SQLite default, PostgreSQL in production)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url

from smecredit.settings import Settings

__all__ = ["close_db", "init_db", "ping", "tortoise_config"]

APP_LABEL = "smecredit"
#: The Tortoise engine of SQLite connections: immediate transactions, a busy timeout.
SQLITE_ENGINE = "smecredit.sqlite_engine"


def _normalise_url(url: str) -> str:
    # Tortoise names the asyncpg backend "postgres"; accept the common aliases.
    for alias in ("postgresql://", "asyncpg://"):
        if url.startswith(alias):
            return "postgres://" + url[len(alias) :]
    return url


def tortoise_config(settings: Settings) -> dict[str, Any]:
    """The Tortoise configuration dict for ``settings``.

    A SQLite URL becomes a connection dict on :mod:`smecredit.sqlite_engine` (Tortoise's
    documented ``engine`` + ``credentials`` form), so that every write transaction, in
    every process that opens the file, waits for the single writer lock instead of
    failing with "database is locked"; PostgreSQL URLs pass through unchanged.
    """
    url = _normalise_url(settings.database_url)
    connection: str | dict[str, Any] = url
    if settings.is_sqlite:
        path = settings.sqlite_path()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        connection = expand_db_url(url)
        connection["engine"] = SQLITE_ENGINE
        credentials = connection["credentials"]
        # WAL lets readers proceed while a writer commits (COB, imports).
        credentials.setdefault("journal_mode", "WAL")
        timeout_ms = int(settings.sqlite_busy_timeout.total_seconds() * 1000)
        credentials.setdefault("busy_timeout", timeout_ms)
    return {
        "connections": {"default": connection},
        "apps": {
            APP_LABEL: {
                "models": ["smecredit.models"],
                "default_connection": "default",
                "migrations": "smecredit.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def init_db(settings: Settings) -> None:
    """Open the connections (does not create or migrate tables).

    The context is also made the global fallback: the server opens it in the
    lifespan task, and every request runs in another task that must see it.
    """
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)


async def close_db() -> None:
    """Close every connection."""
    await Tortoise.close_connections()


async def ping() -> bool:
    """True when the database answers a trivial query."""
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:
        return False
    return True


def sqlite_file(settings: Settings) -> Path | None:
    """The SQLite file behind ``settings`` (None for PostgreSQL or memory)."""
    return settings.sqlite_path()
