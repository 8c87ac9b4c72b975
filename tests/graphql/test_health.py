"""``/livez`` and ``/readyz``: anonymous probes; readiness names each failing check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from tortoise import connections

from smecredit.app import create_app
from smecredit.security.keys import set_keyring
from smecredit.services.key_check import check_database_keys
from smecredit.services.migration_state import MIGRATIONS_TABLE, committed_migrations
from smecredit.settings import Settings
from tests.backup_support import use_key_file

pytestmark = pytest.mark.anyio


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = use_key_file(tmp_path, monkeypatch)
    yield path
    set_keyring(None)


async def _record_migrations(names: list[str]) -> None:
    """What ``db migrate`` records (the test database is made from the models directly)."""
    conn = connections.get("default")
    await conn.execute_script(
        f'CREATE TABLE IF NOT EXISTS "{MIGRATIONS_TABLE}" (id INTEGER PRIMARY KEY, '
        "app VARCHAR(255) NOT NULL, name VARCHAR(255) NOT NULL, applied_at TIMESTAMP)"
    )
    await conn.execute_script(f'DELETE FROM "{MIGRATIONS_TABLE}"')
    for number, name in enumerate(names, 1):
        await conn.execute_script(
            f'INSERT INTO "{MIGRATIONS_TABLE}" (id, app, name, applied_at) VALUES '
            f"({number}, 'smecredit', '{name}', CURRENT_TIMESTAMP)"
        )


async def _get(settings: Settings, path: str) -> httpx.Response:
    app = create_app(settings, manage_db=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        return await c.get(path)


async def test_livez_answers_without_credentials(db: Settings) -> None:
    response = await _get(db, "/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_when_every_check_passes(db: Settings, key_file: Path) -> None:
    await check_database_keys()
    await _record_migrations(committed_migrations())
    response = await _get(db, "/readyz")
    assert response.status_code == 200, response.text
    checks = response.json()["checks"]
    assert {name: c["status"] for name, c in checks.items()} == {
        "database": "ok",
        "redis": "skipped",
        "migrations": "ok",
        "keys": "ok",
    }


async def test_readyz_names_pending_migrations(db: Settings, key_file: Path) -> None:
    await _record_migrations(committed_migrations()[:-1])
    response = await _get(db, "/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["migrations"]["status"] == "failed"
    assert committed_migrations()[-1] in body["checks"]["migrations"]["reason"]
    assert body["checks"]["database"]["status"] == "ok"


async def test_readyz_refuses_keys_of_another_database_without_telling_the_path(
    db: Settings, key_file: Path
) -> None:
    await _record_migrations(committed_migrations())
    await check_database_keys()  # records the fingerprints of this key file
    data = json.loads(key_file.read_text())
    data["keys"]["k1"] = "A" * 43  # another key under the recorded id
    key_file.write_text(json.dumps(data))
    from smecredit.security.keys import reload_keyring

    reload_keyring()
    response = await _get(db, "/readyz")
    assert response.status_code == 503
    keys = response.json()["checks"]["keys"]
    assert keys["status"] == "failed" and keys["reason"].startswith("KEY_MISMATCH")
    assert str(key_file) not in response.text and key_file.name not in response.text
    assert "A" * 43 not in response.text


async def test_readyz_fails_when_the_configured_redis_does_not_answer(
    db: Settings, key_file: Path
) -> None:
    await _record_migrations(committed_migrations())
    unreachable = replace(db, redis_url="redis://:secret-password@127.0.0.1:1/0")
    response = await _get(unreachable, "/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["status"] == "failed"
    assert "secret-password" not in response.text


async def test_readyz_503_when_the_database_is_down_and_livez_still_answers() -> None:
    from tortoise import Tortoise
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    from smecredit.db import tortoise_config
    from smecredit.settings import load_settings

    # Port 9 (discard) on loopback refuses connections: the database is "down".
    url = "postgres://smecredit:db-password@127.0.0.1:9/nowhere"
    settings = load_settings({"SMECREDIT_DATABASE_URL": url, "SMECREDIT_ENV": "prod"})
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(settings))
    try:
        ready = await _get(settings, "/readyz")
        live = await _get(settings, "/livez")
    finally:
        await Tortoise.close_connections()
        EXECUTOR_CACHE.clear()
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks["database"]["status"] == "failed"
    assert checks["migrations"]["status"] == "failed" and checks["keys"]["status"] == "failed"
    assert "db-password" not in ready.text and "nowhere" not in ready.text
    assert live.status_code == 200
