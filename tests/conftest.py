"""Shared fixtures: settings, a fresh database (SQLite, and PostgreSQL when
``SMECREDIT_TEST_POSTGRES_URL`` is set), the ASGI app and an HTTP client.

Tests that want both engines use the ``db`` fixture, which is parametrised over
``sqlite`` and ``postgres``; the PostgreSQL variant skips without the variable.
Each PostgreSQL test session creates its own database and drops it at the end.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import urlparse, urlunparse

import httpx
import pytest
from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE

from smecredit.db import tortoise_config
from smecredit.settings import Settings, load_settings

POSTGRES_URL = os.environ.get("SMECREDIT_TEST_POSTGRES_URL")


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


def _with_database(url: str, name: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def postgres_database_url() -> Iterator[str | None]:
    """A fresh PostgreSQL database for this test session (None without the variable)."""
    if not POSTGRES_URL:
        yield None
        return
    import asyncio

    import asyncpg

    name = f"smecredit_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin_url = _with_database(POSTGRES_URL, "postgres").replace("postgres://", "postgresql://", 1)

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield _with_database(POSTGRES_URL, name)
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def make_settings(database_url: str, **overrides: str) -> Settings:
    # Cheap argon2 parameters: hashing users for every test must not cost 200 ms each.
    env = {
        "SMECREDIT_DATABASE_URL": database_url,
        "SMECREDIT_ENV": "dev",
        "SMECREDIT_ARGON2_PROFILE": "test",
        # Tests read the technical English texts; tests/i18n asks for zh-CN explicitly.
        "SMECREDIT_DEFAULT_LANGUAGE": "en",
        **overrides,
    }
    return load_settings(env)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, postgres_database_url: str | None) -> str:
    """Which engine a ``db`` test runs on."""
    if request.param == "postgres" and not postgres_database_url:
        pytest.skip("SMECREDIT_TEST_POSTGRES_URL is not set")
    return str(request.param)


@pytest.fixture
def settings(backend: str, postgres_database_url: str | None, tmp_path: Any) -> Settings:
    if backend == "postgres":
        assert postgres_database_url
        return make_settings(postgres_database_url)
    return make_settings(f"sqlite://{tmp_path}/test.sqlite3")


async def _truncate_all() -> None:
    conn = connections.get("default")
    tables = [m._meta.db_table for m in Tortoise.apps.get_models_iterable()]  # type: ignore[union-attr]
    if tables:
        quoted = ", ".join(f'"{t}"' for t in tables)
        await conn.execute_script(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")


@pytest.fixture
async def db(settings: Settings, backend: str) -> AsyncIterator[Settings]:
    """An initialised, empty database with every table; closed afterwards."""
    # Tortoise caches prepared INSERT/DELETE statements per connection *name*,
    # so switching engines between tests would reuse SQLite's "?" placeholders.
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(settings))
    await Tortoise.generate_schemas(safe=True)
    if backend == "postgres":
        await _truncate_all()
    try:
        yield settings
    finally:
        if backend == "postgres":
            await _truncate_all()
        await Tortoise.close_connections()


@pytest.fixture
def app(db: Settings) -> Any:
    from smecredit.app import create_app

    return create_app(db, manage_db=False)


#: Password of the users made by ``client`` / ``client_for`` (also ``client.password``).
TEST_USER_PASSWORD = "Fixture#Pass-2468"


async def authenticated_client(
    app: Any,
    role: str,
    branch: str = "HQ",
    *,
    username: str | None = None,
    roles: list[str] | None = None,
    display_name: str | None = None,
    mfa_verified: bool = True,
) -> httpx.AsyncClient:
    """A client signed in (bearer token) as a new user with ``role`` at ``branch``.

    The client carries ``user_id``, ``username``, ``password``, ``token`` and
    ``session_id`` attributes for tests that need them. The caller closes it.
    """
    from smecredit.models import User
    from smecredit.security.passwords import hash_password
    from smecredit.services.sessions import open_session

    runtime = app.state.auth
    name = username or f"{role.replace('_', '-')}-{secrets.token_hex(4)}"
    user = await User.create(
        username=name,
        display_name=display_name or name,
        password_hash=hash_password(TEST_USER_PASSWORD, hasher=runtime.hasher),
        roles=roles or [role],
        branch_code=branch,
    )
    token, session = await open_session(runtime, user, mfa_verified=mfa_verified)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {token}"},
    )
    client.user_id = user.id  # type: ignore[attr-defined]
    client.username = name  # type: ignore[attr-defined]
    client.password = TEST_USER_PASSWORD  # type: ignore[attr-defined]
    client.token = token  # type: ignore[attr-defined]
    client.session_id = session.id  # type: ignore[attr-defined]
    return client


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client signed in as a head-office administrator."""
    c = await authenticated_client(app, "admin", "HQ")
    async with c:
        yield c


@pytest.fixture
async def anon_client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client that is not signed in."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def client_for(app: Any) -> AsyncIterator[Callable[..., Awaitable[httpx.AsyncClient]]]:
    """Factory: ``await client_for(role, branch="HQ", **kw)`` -> a client signed in as a
    fresh user with that role and branch (``kw``: username, roles, display_name,
    mfa_verified). Clients are closed after the test."""
    made: list[httpx.AsyncClient] = []

    async def make(role: str, branch: str = "HQ", **kw: Any) -> httpx.AsyncClient:
        c = await authenticated_client(app, role, branch, **kw)
        made.append(c)
        return c

    try:
        yield make
    finally:
        for c in made:
            await c.aclose()
