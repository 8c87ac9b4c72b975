"""The committed migrations build exactly the tables and columns the models declare.

Guards against a model change without a regenerated migration (``make demo`` runs
``smecredit db migrate``, never ``generate_schemas``).
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlparse, urlunparse

import pytest
from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE

from smecredit.cli.core import apply_migrations
from smecredit.db import tortoise_config
from smecredit.settings import Settings
from tests.backup_support import admin

pytestmark = pytest.mark.anyio


async def _columns(backend: str, table: str) -> set[str]:
    conn = connections.get("default")
    if backend == "sqlite":
        rows = await conn.execute_query_dict(f'PRAGMA table_info("{table}")')
        return {r["name"] for r in rows}
    rows = await conn.execute_query_dict(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1", [table]
    )
    return {r["column_name"] for r in rows}


async def _fresh_postgres(url: str) -> str:
    """A new empty database beside the session's (other tests leave tables in theirs)."""
    name = urlparse(url).path.lstrip("/") + "_migrations"
    await admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


async def test_migrations_create_every_model_column(settings: Settings, backend: str) -> None:
    EXECUTOR_CACHE.clear()
    if backend == "postgres":
        settings = replace(settings, database_url=await _fresh_postgres(settings.database_url))
    await apply_migrations(settings)
    await Tortoise.init(config=tortoise_config(settings))
    try:
        missing: list[str] = []
        for model in Tortoise.apps.get_models_iterable():
            meta = model._meta
            have = await _columns(backend, meta.db_table)
            if not have:
                missing.append(f"table {meta.db_table}")
                continue
            for field_name in meta.db_fields:
                column = meta.fields_db_projection[field_name]
                if column not in have:
                    missing.append(f"{meta.db_table}.{column}")
        assert missing == [], (
            "run `tortoise makemigrations` (see CONTRIBUTING in README): " + ", ".join(missing)
        )
    finally:
        await Tortoise.close_connections()
        if backend == "postgres":
            name = urlparse(settings.database_url).path.lstrip("/")
            await admin(settings.database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
