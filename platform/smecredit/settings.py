"""Configuration from ``SMECREDIT_*`` environment variables.

Every setting is read once into an immutable :class:`Settings`. A bad value
raises :class:`SettingsError` whose message is one line naming the variable,
so start-up stops with something a person can act on.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

__all__ = ["DEFAULT_DATABASE_URL", "Settings", "SettingsError", "load_settings"]

DEFAULT_DATABASE_URL = "sqlite://var/smecredit.sqlite3"
_ENVIRONMENTS = ("dev", "prod")
_DB_SCHEMES = ("sqlite", "postgres", "postgresql", "asyncpg", "psycopg")


class SettingsError(ValueError):
    """A configuration value is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    """The platform's configuration."""

    database_url: str = DEFAULT_DATABASE_URL
    env: str = "dev"
    host: str = "127.0.0.1"
    port: int = 8000
    redis_url: str | None = None
    plugins_enabled: tuple[str, ...] = ()
    plugins_disabled: tuple[str, ...] = ()
    max_page_size: int = 100
    cors_origins: tuple[str, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_dev(self) -> bool:
        """True in development mode (GraphiQL, introspection, detailed errors)."""
        return self.env == "dev"

    @property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite default."""
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """Filesystem path of the SQLite database, or None for memory / other engines."""
        if not self.is_sqlite:
            return None
        raw = self.database_url.split("://", 1)[1].split("?", 1)[0]
        if raw in ("", ":memory:"):
            return None
        return Path(raw)


def _split_list(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _check_database_url(url: str) -> str:
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in _DB_SCHEMES:
        raise SettingsError(
            f"SMECREDIT_DATABASE_URL: unsupported scheme {scheme!r}; use sqlite://PATH or postgres://USER@HOST:PORT/DB"
        )
    if scheme != "sqlite" and not urlparse(url).hostname:
        raise SettingsError(
            "SMECREDIT_DATABASE_URL: a PostgreSQL URL needs a host, e.g. postgres://user@127.0.0.1:5432/db"
        )
    return url


def _check_port(raw: str, name: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} is not a number") from None
    if not 1 <= port <= 65535:
        raise SettingsError(f"{name}: {port} is outside 1-65535")
    return port


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate settings from ``environ`` (default: ``os.environ``).

    Raises:
        SettingsError: naming the variable whose value is wrong.
    """
    env = os.environ if environ is None else environ
    mode = env.get("SMECREDIT_ENV", "dev").strip().lower()
    if mode not in _ENVIRONMENTS:
        raise SettingsError(f"SMECREDIT_ENV: {mode!r} is not one of dev, prod")
    page = env.get("SMECREDIT_MAX_PAGE_SIZE", "100")
    try:
        max_page = int(page)
    except ValueError:
        raise SettingsError(f"SMECREDIT_MAX_PAGE_SIZE: {page!r} is not a number") from None
    if not 1 <= max_page <= 200:
        raise SettingsError("SMECREDIT_MAX_PAGE_SIZE: must be between 1 and 200")
    redis_url = env.get("SMECREDIT_REDIS_URL") or None
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError("SMECREDIT_REDIS_URL: must start with redis://, rediss:// or unix://")
    return Settings(
        database_url=_check_database_url(env.get("SMECREDIT_DATABASE_URL", DEFAULT_DATABASE_URL)),
        env=mode,
        host=env.get("SMECREDIT_HOST", "127.0.0.1"),
        port=_check_port(env.get("SMECREDIT_PORT", "8000"), "SMECREDIT_PORT"),
        redis_url=redis_url,
        plugins_enabled=_split_list(env.get("SMECREDIT_PLUGINS_ENABLED", "")),
        plugins_disabled=_split_list(env.get("SMECREDIT_PLUGINS_DISABLED", "")),
        max_page_size=max_page,
        cors_origins=_split_list(env.get("SMECREDIT_CORS_ORIGINS", "")),
        extra={k: v for k, v in env.items() if k.startswith("SMECREDIT_")},
    )
