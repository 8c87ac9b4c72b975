"""HTTP surface of the GraphQL core: health check, GraphiQL and introspection by mode."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE

from smecredit.app import create_app
from smecredit.db import tortoise_config
from smecredit.settings import Settings, load_settings

pytestmark = pytest.mark.anyio

INTROSPECTION = "{ __schema { queryType { name } } }"


def with_env(settings: Settings, env: str) -> Settings:
    environ = {**settings.extra, "SMECREDIT_ENV": env}
    if env == "prod":
        environ.pop("SMECREDIT_ARGON2_PROFILE", None)  # the fast test profile is dev-only
    return load_settings(environ)


async def open_client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def prod_client(db: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with await open_client(create_app(with_env(db, "prod"), manage_db=False)) as c:
        yield c


@pytest.fixture
async def dev_client(db: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with await open_client(create_app(with_env(db, "dev"), manage_db=False)) as c:
        yield c


async def test_healthz_ok_when_database_answers(dev_client: httpx.AsyncClient) -> None:
    response = await dev_client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] is True


async def test_healthz_503_when_database_unreachable() -> None:
    # Port 9 (discard) on loopback refuses connections: the database is "down".
    settings = load_settings(
        {
            "SMECREDIT_DATABASE_URL": "postgres://smecredit@127.0.0.1:9/nowhere",
            "SMECREDIT_ENV": "prod",
        }
    )
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(settings))
    try:
        async with await open_client(create_app(settings, manage_db=False)) as c:
            response = await c.get("/healthz")
    finally:
        await Tortoise.close_connections()
        EXECUTOR_CACHE.clear()
    assert response.status_code == 503
    assert response.json()["database"] is False
    assert response.json()["status"] == "unavailable"


async def test_graphiql_only_in_dev(
    dev_client: httpx.AsyncClient, prod_client: httpx.AsyncClient
) -> None:
    headers = {"Accept": "text/html"}
    dev = await dev_client.get("/graphql", headers=headers)
    assert dev.status_code == 200
    assert dev.headers["content-type"].startswith("text/html")
    assert "graphiql" in dev.text.lower()
    prod = await prod_client.get("/graphql", headers=headers)
    assert "graphiql" not in prod.text.lower()
    assert prod.status_code != 200 or not prod.headers["content-type"].startswith("text/html")


async def test_introspection_only_in_dev(
    dev_client: httpx.AsyncClient, prod_client: httpx.AsyncClient
) -> None:
    dev = (await dev_client.post("/graphql", json={"query": INTROSPECTION})).json()
    assert dev.get("data") == {"__schema": {"queryType": {"name": "Query"}}}, dev
    prod = (await prod_client.post("/graphql", json={"query": INTROSPECTION})).json()
    assert not prod.get("data")
    assert "introspection" in prod["errors"][0]["message"].lower()
