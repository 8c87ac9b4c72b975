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

from smecredit import models
from smecredit.security.operations import SYSTEM
from smecredit.services.lending import cob

pytestmark = pytest.mark.anyio
DAY = dt.date(2026, 6, 1)
RUN = (
    "mutation($d: Date) { runCob(businessDate: $d) { id status businessDate totalLoans"
    " startedBy } }"
)
READ = (
    "query($id: Int!) { cobRun(id: $id) { status loans totalLoans progress changed startedBy"
    " error finishedAt } }"
)


def _code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


async def test_an_analyst_runs_cob_and_follows_it_an_officer_may_not(client_for: Any) -> None:
    await seed_book(6, first_due=dt.date(2026, 3, 1))
    analyst = await client_for("risk_analyst", "HQ")
    officer = await client_for("loan_officer", "B01")
    refused = await gql(officer, RUN, {"d": DAY.isoformat()})
    assert _code(refused) == "FORBIDDEN" and refused["data"] is None
    assert not await models.CobRun.exists()

    body = await gql(analyst, RUN, {"d": DAY.isoformat()})
    assert "errors" not in body, body
    started = body["data"]["runCob"]
    assert (started["status"], started["businessDate"], started["totalLoans"]) == (
        "running",
        DAY.isoformat(),
        6,
    )
    assert started["startedBy"] == analyst.username
    await settle(analyst)
    done = (await gql(analyst, READ, {"id": started["id"]}))["data"]["cobRun"]
    assert (done["status"], done["loans"], done["totalLoans"], done["progress"]) == (
        "succeeded",
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
    listed = await gql(analyst, "{ cobRuns(first: 5) { id businessDate status } }")
    assert listed["data"]["cobRuns"] == [
        {"id": started["id"], "businessDate": DAY.isoformat(), "status": "succeeded"}
    ]
    assert _code(await gql(analyst, READ, {"id": 999_999})) == "RUN_NOT_FOUND"
    moved_back = await gql(analyst, RUN, {"d": (DAY - dt.timedelta(days=1)).isoformat()})
    assert _code(moved_back) == "PRECONDITION_FAILED"
    future = await gql(
        analyst, RUN, {"d": (cob.business_today() + dt.timedelta(days=2)).isoformat()}
    )
    assert (
        _code(future) == "PRECONDITION_FAILED" and "not over yet" in future["errors"][0]["message"]
    )


async def test_one_run_at_a_time(client_for: Any) -> None:
    await models.CobRun.create(
        business_date=DAY,
        status="running",
        owner=f"{socket.gethostname()}:{os.getpid()}",  # alive: this very process
        heartbeat_at=dt.datetime.now(dt.UTC),
    )
    admin = await client_for("admin", "HQ")
    body = await gql(admin, RUN, {"d": (DAY + dt.timedelta(days=1)).isoformat()})
    assert _code(body) == "COB_RUNNING"
    assert "running" in body["errors"][0]["message"] and not await models.Job.exists()


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
        assert body["data"]["runCob"]["status"] == "running"
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
