"""``warningChanged`` over real websockets (graphql-transport-ws): delivery within a second
of the scan's commit, filtered by the subscriber's branch; in-process and through Redis."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import uvicorn
import websockets
from conftest import authenticated_client, make_settings
from helpers import principal
from warnings_support import AS_OF, NOW, _fresh_broadcasters, make_firm, rules

from smecredit import models
from smecredit.services.warnings import lifecycle
from smecredit.services.warnings.broadcast import get_broadcaster
from smecredit.services.warnings.scan import scan_firms

__all__ = ["_fresh_broadcasters", "make_firm", "rules"]

pytestmark = pytest.mark.anyio
REDIS_URL = "redis://127.0.0.1:6379/15"
SUBSCRIPTION = (
    "subscription { warningChanged { kind warning { ruleCode severity firm { branchCode } } } }"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.3):
            return True
    except OSError:
        return False


@asynccontextmanager
async def _serve(app: Any) -> AsyncIterator[int]:
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            ws="websockets-sansio",
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def _subscribe(port: int, token: str, query: str = SUBSCRIPTION) -> AsyncIterator[Any]:
    async with websockets.connect(
        f"ws://127.0.0.1:{port}/graphql",
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
        additional_headers={"Authorization": f"Bearer {token}"},
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        yield ws


async def _collect(ws: Any, count: int, deadline: float) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while len(out) < count:
        message = json.loads(
            await asyncio.wait_for(ws.recv(), timeout=max(0.01, deadline - time.monotonic()))
        )
        if message["type"] == "next":
            assert "errors" not in message["payload"], message
            out.append(message["payload"]["data"]["warningChanged"])
    return out


async def _no_more(ws: Any) -> None:
    with pytest.raises(TimeoutError):
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=0.3))
            assert message["type"] != "next", message


async def _run_case(
    app: Any, settings: Any, make_firm: Any, rules: dict[str, Any], wait_subscribed: Any
) -> None:
    rules = {"LOAN_DPD": rules["LOAN_DPD"]}
    mine = await make_firm(dpd=45, branch="B01")
    other = await make_firm(dpd=95, branch="B02")
    hq = await authenticated_client(app, "risk_analyst", "HQ")
    officer = await authenticated_client(app, "loan_officer", "B01")
    async with (
        _serve(app) as port,
        _subscribe(port, hq.token) as hq_ws,
        _subscribe(port, officer.token) as b1_ws,
    ):
        await wait_subscribed()
        await scan_firms([mine.id, other.id], as_of=AS_OF, now=NOW, rules=rules, settings=settings)
        deadline = time.monotonic() + 1.0  # delivered within a second of the commit
        seen_hq = await _collect(hq_ws, 2, deadline)
        seen_b1 = await _collect(b1_ws, 1, deadline)
        assert sorted((c["kind"], c["warning"]["firm"]["branchCode"]) for c in seen_hq) == [
            ("OPENED", "B01"),
            ("OPENED", "B02"),
        ]
        assert [
            (c["warning"]["severity"], c["warning"]["firm"]["branchCode"]) for c in seen_b1
        ] == [("YELLOW", "B01")]
        await _no_more(b1_ws)  # the other branch's red warning never reaches B01
    await hq.aclose()
    await officer.aclose()


async def test_live_push_in_process(
    app: Any, db: Any, make_firm: Any, rules: dict[str, Any]
) -> None:
    bus = get_broadcaster(db)

    async def subscribed() -> None:
        while bus.subscribers < 2:  # type: ignore[attr-defined]
            await asyncio.sleep(0.01)

    await _run_case(app, db, make_firm, rules, subscribed)


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
async def test_live_push_through_redis(db: Any, make_firm: Any, rules: dict[str, Any]) -> None:
    from smecredit.app import create_app

    settings = make_settings(db.database_url, SMECREDIT_REDIS_URL=REDIS_URL)
    app = create_app(settings, manage_db=False)
    bus = get_broadcaster(settings)
    client = bus._client  # type: ignore[attr-defined]

    async def subscribed() -> None:
        while True:
            counts = dict(await client.pubsub_numsub("smecredit:warnings"))
            if counts.get(b"smecredit:warnings", 0) >= 2:
                return
            await asyncio.sleep(0.02)

    try:
        await _run_case(app, settings, make_firm, rules, subscribed)
    finally:
        await bus.close()  # type: ignore[attr-defined]


HISTORY_SUBSCRIPTION = (
    "subscription { warningChanged { kind warning { history { edges { node { kind } } } "
    "comments { edges { node { body } } } } } }"
)


async def test_pushed_warnings_carry_their_current_history(
    app: Any, db: Any, make_firm: Any, rules: dict[str, Any]
) -> None:
    """A subscription lives for the whole connection: its loaders must not serve the
    history and comments read for an earlier message."""
    firm = await make_firm(dpd=45, branch="B01")
    officer = await authenticated_client(app, "loan_officer", "B01")
    bus = get_broadcaster(db)
    async with _serve(app) as port, _subscribe(port, officer.token, HISTORY_SUBSCRIPTION) as ws:
        while bus.subscribers < 1:  # type: ignore[attr-defined]
            await asyncio.sleep(0.01)
        await scan_firms(
            [firm.id], as_of=AS_OF, now=NOW, rules={"LOAN_DPD": rules["LOAN_DPD"]}, settings=db
        )
        [opened] = await _collect(ws, 1, time.monotonic() + 1.0)
        warning = await models.Warning.get(firm_id=firm.id)
        await lifecycle.comment(
            warning.id,
            body="called the owner",
            actor=principal("li.wei", "loan_officer"),
            settings=db,
        )
        [commented] = await _collect(ws, 1, time.monotonic() + 1.0)
    await officer.aclose()

    def kinds(change: dict[str, Any]) -> list[str]:
        return [e["node"]["kind"] for e in change["warning"]["history"]["edges"]]

    assert kinds(opened) == ["OPENED"]
    assert opened["warning"]["comments"]["edges"] == []
    assert commented["kind"] == "COMMENTED"
    assert kinds(commented) == ["OPENED", "COMMENTED"]
    assert commented["warning"]["comments"]["edges"] == [{"node": {"body": "called the owner"}}]
