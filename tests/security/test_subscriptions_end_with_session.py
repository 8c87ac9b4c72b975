"""A session's live subscriptions end with it: signing out, signing out everywhere, an
administrator revoking its sessions, deactivating its user, a revocation the server only
finds in the database. Real websockets (graphql-transport-ws and the legacy graphql-ws)
against the ASGI app served by uvicorn."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from conftest import authenticated_client
from helpers import gql

from smecredit.graphql import session_watch
from smecredit.graphql.session_watch import CLOSE_CODE
from smecredit.models import Session, User
from smecredit.services.lending import events
from smecredit.services.session_events import SessionEvents
from smecredit.services.sessions import open_session

pytestmark = pytest.mark.anyio

STATUS = "subscription { applicationStatusChanged { action toStatus } }"
WARNINGS = "subscription { warningChanged { kind } }"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def _serve(app: Any) -> AsyncIterator[int]:
    port = _free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        ws="websockets-sansio",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def _subscribe(
    port: int, token: str, query: str = STATUS, protocol: str = "graphql-transport-ws"
) -> AsyncIterator[Any]:
    async with websockets.connect(
        f"ws://127.0.0.1:{port}/graphql",
        subprotocols=[websockets.Subprotocol(protocol)],
        additional_headers={"Authorization": f"Bearer {token}"},
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        start = "subscribe" if protocol == "graphql-transport-ws" else "start"
        await ws.send(json.dumps({"id": "1", "type": start, "payload": {"query": query}}))
        yield ws


async def _until(condition: Callable[[], bool], seconds: float = 3.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def _change(n: int = 1) -> events.StatusChange:
    return events.StatusChange(
        application_id=n,
        loan_id=None,
        action="submit",
        from_state="draft",
        to_state="submitted",
        actor="someone",
        at=dt.datetime.now(dt.UTC),
        branch_code="HQ",
    )


async def _closed_by_server(ws: Any) -> int | None:
    """Read until the server closes the socket; no event may arrive first."""
    with pytest.raises(websockets.ConnectionClosed):
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=3))
            assert message["type"] not in ("next", "data"), message
    return ws.close_code  # type: ignore[no-any-return]


def _global_id(user_id: int) -> str:
    return base64.b64encode(f"User:{user_id}".encode()).decode()


async def _sign_out(app: Any, client: Any) -> None:
    body = await gql(client, "mutation { signOut { ... on SignOutPayload { sessionsClosed } } }")
    assert body["data"]["signOut"] == {"sessionsClosed": 1}, body


async def _sign_out_everywhere(app: Any, client: Any) -> None:
    # From another session of the same user.
    user = await User.get(id=client.user_id)
    token, _ = await open_session(app.state.auth, user, mfa_verified=True)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {token}"},
    ) as other:
        body = await gql(
            other, "mutation { signOutEverywhere { ... on SignOutPayload { sessionsClosed } } }"
        )
        assert body["data"]["signOutEverywhere"]["sessionsClosed"] >= 1, body


async def _revoked_by_admin(app: Any, client: Any) -> None:
    admin = await authenticated_client(app, "admin")
    async with admin:
        gid = _global_id(client.user_id)
        body = await gql(
            admin,
            "mutation($i: ID!) { revokeUserSessions(id: $i) "
            "{ ... on RevokeSessionsPayload { sessionsClosed } } }",
            {"i": gid},
        )
        assert body["data"]["revokeUserSessions"]["sessionsClosed"] >= 1, body


async def _deactivated(app: Any, client: Any) -> None:
    admin = await authenticated_client(app, "admin")
    async with admin:
        gid = _global_id(client.user_id)
        body = await gql(
            admin,
            "mutation($i: ID!) { deactivateUser(id: $i) { ... on User { active } } }",
            {"i": gid},
        )
        assert body["data"]["deactivateUser"] == {"active": False}, body


ENDINGS: dict[str, Callable[[Any, Any], Awaitable[None]]] = {
    "signOut": _sign_out,
    "signOutEverywhere": _sign_out_everywhere,
    "revokeUserSessions": _revoked_by_admin,
    "deactivateUser": _deactivated,
}


@pytest.mark.parametrize("ending", list(ENDINGS))
async def test_ending_a_session_closes_its_subscriptions(app: Any, db: Any, ending: str) -> None:
    subscriber = await authenticated_client(app, "risk_analyst", "HQ")
    bystander = await authenticated_client(app, "risk_analyst", "HQ")
    async with (
        _serve(app) as port,
        _subscribe(port, subscriber.token) as ws,
        _subscribe(port, subscriber.token, WARNINGS) as warnings_ws,
        _subscribe(port, bystander.token) as other_ws,
    ):
        await _until(lambda: events.subscriber_count() == 2)
        await ENDINGS[ending](app, subscriber)
        assert await _closed_by_server(ws) == CLOSE_CODE
        assert await _closed_by_server(warnings_ws) == CLOSE_CODE
        await _until(lambda: events.subscriber_count() == 1)  # the operation is gone too
        # Another user's subscription goes on.
        events.publish(_change())
        message = json.loads(await asyncio.wait_for(other_ws.recv(), timeout=3))
        assert message["payload"]["data"]["applicationStatusChanged"]["toStatus"] == "SUBMITTED"
    await subscriber.aclose()
    await bystander.aclose()


async def test_the_legacy_protocol_is_closed_too(app: Any, db: Any) -> None:
    subscriber = await authenticated_client(app, "loan_officer", "HQ")
    async with _serve(app) as port, _subscribe(port, subscriber.token, protocol="graphql-ws") as ws:
        await _until(lambda: events.subscriber_count() == 1)
        await _sign_out(app, subscriber)
        assert await _closed_by_server(ws) == CLOSE_CODE
        await _until(lambda: events.subscriber_count() == 0)
    await subscriber.aclose()


async def test_a_revocation_found_only_in_the_database_closes_it_too(
    app: Any, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another process without Redis revoked the session: no message reaches this one,
    # the periodic re-check does.
    monkeypatch.setattr(session_watch, "RECHECK_SECONDS", 0.05)
    subscriber = await authenticated_client(app, "loan_officer", "HQ")
    async with _serve(app) as port, _subscribe(port, subscriber.token) as ws:
        await _until(lambda: events.subscriber_count() == 1)
        await Session.filter(id=subscriber.session_id).update(revoked_at=dt.datetime.now(dt.UTC))
        assert await _closed_by_server(ws) == CLOSE_CODE
    await subscriber.aclose()


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.3):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="Redis not reachable at 127.0.0.1:6379")
async def test_revocations_reach_other_processes_through_redis() -> None:
    url = "redis://127.0.0.1:6379/15"
    here, there = SessionEvents(url), SessionEvents(url)
    ended: list[int] = []
    try:
        there.watch(41, 7, lambda: ended.append(41))
        there.watch(42, 7, lambda: ended.append(42))
        there.watch(43, 8, lambda: ended.append(43))
        await asyncio.sleep(0.3)  # the listener subscribes
        await here.ended(user_id=7, except_session_id=42)
        await _until(lambda: ended == [41])
        await here.ended(session_ids=[43])
        await _until(lambda: ended == [41, 43])
        assert there.watching == 1  # session 42 is still watched
    finally:
        await here.close()
        await there.close()
