"""An upgrade keeps the data: a database of the previous release's schema, with rows in it,
migrated to this version; ``smecredit db check`` says what is pending before and nothing
after."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.migrations.api import migrate

from smecredit.cli import cli
from smecredit.cli.core import apply_migrations
from smecredit.db import tortoise_config
from smecredit.models.security import AuditLog, KeyFingerprint
from smecredit.security.keys import set_keyring
from smecredit.services import audit
from smecredit.services.key_check import check_database_keys
from smecredit.services.migration_state import committed_migrations, pending_migrations
from smecredit.settings import Settings
from tests.backup_support import drop_database, fresh_database, use_key_file
from tests.conftest import make_settings

#: The schema of the previous release: every migration but the newest (no release tag yet
#: marks it; ``schema/schema.released.graphql`` is the GraphQL side of the same release).
PREVIOUS_RELEASE = committed_migrations()[-2]


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = use_key_file(tmp_path, monkeypatch)
    yield path
    set_keyring(None)


def _db_check(settings: Settings, key_file: Path) -> tuple[int, str]:
    env = {
        "SMECREDIT_DATABASE_URL": settings.database_url,
        "SMECREDIT_KEY_FILE": str(key_file),
        "SMECREDIT_ENV": "dev",
    }
    EXECUTOR_CACHE.clear()
    result = CliRunner().invoke(cli, ["db", "check"], env=env)
    return result.exit_code, result.output


async def _at_previous_release(settings: Settings) -> int:
    """Migrate to the previous release, write rows as it would; the audit rows written."""
    EXECUTOR_CACHE.clear()
    await migrate(config=tortoise_config(settings), target=f"smecredit.{PREVIOUS_RELEASE}")
    await Tortoise.close_connections()
    await Tortoise.init(config=tortoise_config(settings))
    try:
        assert await pending_migrations() == committed_migrations()[-1:]
        audit.configure(settings)
        await check_database_keys()
        for n in range(7):
            await audit.record("operator", "test.before_upgrade", f"Row:{n}")
        return await AuditLog.all().count()
    finally:
        await Tortoise.close_connections()


async def _after_upgrade(settings: Settings) -> tuple[int, int, bool, list[str]]:
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(settings))
    try:
        audit.configure(settings)
        chain = await audit.verify()
        await check_database_keys(record=False)  # the same keys still fit
        return (
            await AuditLog.all().count(),
            await KeyFingerprint.all().count(),
            chain.ok,
            await pending_migrations(),
        )
    finally:
        await Tortoise.close_connections()


def test_a_previous_release_database_migrates_with_its_rows(
    backend: str, postgres_database_url: str | None, tmp_path: Path, key_file: Path
) -> None:
    url = asyncio.run(fresh_database(backend, postgres_database_url, tmp_path, "upgrade"))
    settings = make_settings(url)
    try:
        rows = asyncio.run(_at_previous_release(settings))
        code, out = _db_check(settings, key_file)
        assert code == 1 and committed_migrations()[-1] in out, out

        EXECUTOR_CACHE.clear()
        asyncio.run(apply_migrations(settings))
        after, fingerprints, chain_ok, pending = asyncio.run(_after_upgrade(settings))
        assert (after, chain_ok, pending) == (rows, True, [])
        assert fingerprints >= 2  # the encryption and blind-index keys, as recorded before
        code, out = _db_check(settings, key_file)
        assert code == 0 and "up to date" in out, out
    finally:
        EXECUTOR_CACHE.clear()
        asyncio.run(drop_database(url))
