"""Support of the backup, health and upgrade tests: a key file, fresh databases per engine."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE

from smecredit.db import tortoise_config
from smecredit.security.keys import reload_keyring, set_keyring
from smecredit.settings import Settings


def use_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A generated key file of this test (development mode), no pinned keyring."""
    path = tmp_path / "keys" / "keys.json"
    monkeypatch.setenv("SMECREDIT_KEY_FILE", str(path))
    monkeypatch.setenv("SMECREDIT_ENV", "dev")
    monkeypatch.delenv("SMECREDIT_ENCRYPTION_KEYS", raising=False)
    set_keyring(None)
    reload_keyring()  # generates the file
    return path


async def admin(url: str, *statements: str) -> None:
    """Run statements on the server's ``postgres`` database (CREATE/DROP DATABASE)."""
    import asyncpg

    target = urlunparse(urlparse(url)._replace(path="/postgres", scheme="postgresql"))
    conn = await asyncpg.connect(target)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def fresh_database(backend: str, base: str | None, tmp_path: Path, label: str) -> str:
    """The URL of a new, empty database (SQLite: a file name not yet created)."""
    if backend == "sqlite":
        return f"sqlite://{tmp_path}/{label}.sqlite3"
    assert base
    name = f"smecredit_{label}_{os.getpid()}_{secrets.token_hex(3)}"
    await admin(base, f'CREATE DATABASE "{name}"')
    return urlunparse(urlparse(base)._replace(path=f"/{name}"))


async def drop_database(url: str) -> None:
    """Drop a PostgreSQL database made by :func:`fresh_database` (SQLite: nothing to do)."""
    if url.startswith("sqlite"):
        return
    name = urlparse(url).path.lstrip("/")
    await admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def open_with_tables(settings: Settings) -> None:
    """Open ``settings``' database as the default connection and create every table."""
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(settings))
    await Tortoise.generate_schemas(safe=True)
