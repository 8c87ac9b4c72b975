"""GraphQL of close of business: runCob in the background, cobRun/cobRuns, who may."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
from typing import Any

import pytest
from concurrency_support import seed_book
from helpers import gql
from jobs_support import settle, supervisor
from strawberry.relay import GlobalID

from smecredit import models
from smecredit.security.operations import SYSTEM
from smecredit.services.lending import cob

pytestmark = pytest.mark.anyio
DAY = dt.date(2026, 6, 1)
RUN = (
    "mutation($d: Date) { runCob(businessDate: $d) { __typename ... on CobRun { id status"
    " statusLabel businessDate totalLoans startedBy } ... on BusinessError { code message } } }"
)
READ = (
    "query($id: ID!) { cobRun(id: $id) { status loans totalLoans progress changed startedBy"
    " error finishedAt } }"
)


def _code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


def _refusal(body: dict[str, Any]) -> str:
    """The code of runCob's typed error (a refusal is data, not a GraphQL error)."""
    assert "errors" not in body, body
    return str(body["data"]["runCob"]["code"])


async def test_an_analyst_runs_cob_and_follows_it_an_officer_may_not(client_for: Any) -> None:
    await seed_book(6, first_due=dt.date(2026, 3, 1))
    analyst = await client_for("risk_analyst", "HQ")
    officer = await client_for("loan_officer", "B01")
    refused = await gql(officer, RUN, {"d": DAY.isoformat()})
    assert _refusal(refused) == "FORBIDDEN"
    assert refused["data"]["runCob"]["__typename"] == "Forbidden"
    assert not await models.CobRun.exists()

    body = await gql(analyst, RUN, {"d": DAY.isoformat()})
    assert "errors" not in body, body
    started = body["data"]["runCob"]
    assert (started["status"], started["businessDate"], started["totalLoans"]) == (
        "RUNNING",
        DAY.isoformat(),
        6,
    )
    assert started["startedBy"] == analyst.username and started["statusLabel"] == "Running"
    await settle(analyst)
    done = (await gql(analyst, READ, {"id": started["id"]}))["data"]["cobRun"]
    assert (done["status"], done["loans"], done["totalLoans"], done["progress"]) == (
        "SUCCEEDED",
        6,
        6,
        1.0,
    )
    assert done["changed"] > 0 and done["error"] is None and done["finishedAt"]
    assert _code(await gql(officer, READ, {"id": started["id"]})) == "FORBIDDEN"

    # a closed date answers its run, nothing runs again
    again = await gql(analyst, RUN, {"d": DAY.isoformat()})
    assert again["data"]["runCob"]["id"] == started["id"]
    assert not supervisor(analyst).runner.is_running(1) and await models.Job.all().count() == 1
    listed = await gql(
        analyst,
        "{ cobRuns(first: 5) { totalCount edges { node { id businessDate status } } } }",
    )
    assert listed["data"]["cobRuns"]["edges"] == [
        {"node": {"id": started["id"], "businessDate": DAY.isoformat(), "status": "SUCCEEDED"}}
    ]
    assert listed["data"]["cobRuns"]["totalCount"] == 1
    # the run is a node: its id opens it, for those who may view runs only
    node = "query($id: ID!) { node(id: $id) { __typename ... on CobRun { businessDate } } }"
    body = await gql(analyst, node, {"id": started["id"]})
    assert body["data"]["node"] == {"__typename": "CobRun", "businessDate": DAY.isoformat()}
    assert (await gql(officer, node, {"id": started["id"]}))["data"]["node"] is None
    missing = str(GlobalID("CobRun", "999999"))
    assert _code(await gql(analyst, READ, {"id": missing})) == "RUN_NOT_FOUND"
    moved_back = await gql(analyst, RUN, {"d": (DAY - dt.timedelta(days=1)).isoformat()})
    assert _refusal(moved_back) == "PRECONDITION_FAILED"
    future = await gql(
        analyst, RUN, {"d": (cob.business_today() + dt.timedelta(days=2)).isoformat()}
    )
    assert _refusal(future) == "PRECONDITION_FAILED"
    assert "not over yet" in future["data"]["runCob"]["message"]


async def test_one_run_at_a_time(client_for: Any) -> None:
    await models.CobRun.create(
        business_date=DAY,
        status="running",
        owner=f"{socket.gethostname()}:{os.getpid()}",  # alive: this very process
        heartbeat_at=dt.datetime.now(dt.UTC),
    )
    admin = await client_for("admin", "HQ")
    body = await gql(admin, RUN, {"d": (DAY + dt.timedelta(days=1)).isoformat()})
    assert _refusal(body) == "COB_RUNNING" and body["data"]["runCob"]["__typename"] == "Conflict"
    assert not await models.Job.exists()
    chinese = await gql(
        admin,
        RUN,
        {"d": (DAY + dt.timedelta(days=1)).isoformat()},
        **{"Accept-Language": "zh-CN"},
    )
    assert "日终批处理正在运行" in chinese["data"]["runCob"]["message"]


async def test_stopping_the_server_interrupts_a_running_cob(
    app: Any, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_book(3, first_due=dt.date(2026, 3, 1))
    entered = asyncio.Event()

    async def endless(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        await asyncio.sleep(3600)

    monkeypatch.setattr(cob, "_close_batch", endless)
    analyst = await client_for("risk_analyst", "HQ")
    async with app.router.lifespan_context(app):
        body = await gql(analyst, RUN, {"d": DAY.isoformat()})
        assert body["data"]["runCob"]["status"] == "RUNNING"
        await asyncio.wait_for(entered.wait(), 10)
    run = await models.CobRun.get(business_date=DAY)
    assert run.status == "interrupted" and "interrupted" in (run.error or "")
    job = await models.Job.get(run_id=run.id, kind="cob")
    assert (job.state, job.error_code, job.started_by) == (
        "interrupted",
        "INTERRUPTED",
        analyst.username,
    )
    # the date resumes once the server is back
    monkeypatch.undo()
    summary = await cob.run_cob(DAY, SYSTEM)
    assert summary.loans == 3
    assert (await models.CobRun.get(id=run.id)).attempts == 2
