"""Background jobs over HTTP: a COB or scan started by a mutation is a job of the one table,
followed through ``jobs``/``job``/``node``/``jobProgress``, cancelled with ``cancelJob``."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from concurrency_support import seed_book
from helpers import gql
from jobs_support import settle, supervisor
from operations_support import operation_error
from starlette.requests import Request
from strawberry.relay import from_base64, to_base64

from smecredit import models
from smecredit.domain.errors import PreconditionFailed
from smecredit.domain.jobs import JobKind
from smecredit.graphql.context import Context
from smecredit.services.lending import cob

pytestmark = pytest.mark.anyio
DAY = dt.date(2026, 6, 1)
RUN_COB = "mutation($d: Date) { runCob(businessDate: $d) { ... on CobRun { id status } } }"
JOB_FIELDS = (
    "id kind kindLabel state stateLabel done total progress startedBy runId params result "
    "errorCode errorDetail errorMessage cancelledBy finishedAt"
)
JOBS = (
    "query($f: JobFilter) { jobs(first: 10, filter: $f) { totalCount edges { node { "
    + JOB_FIELDS
    + " } } } }"
)
ONE = "query($id: ID!) { job(id: $id) { id state } node(id: $id) { ... on Job { kind } } }"
CANCEL = (
    "mutation($id: ID!) { cancelJob(id: $id) { __typename ... on Job { state cancelledBy }"
    " ... on BusinessError { code message } } }"
)


def _nodes(body: dict[str, Any]) -> list[dict[str, Any]]:
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["jobs"]["edges"]]


async def test_a_cob_started_over_http_is_a_job_that_ends_succeeded(client_for: Any) -> None:
    await seed_book(4, first_due=dt.date(2026, 3, 1))
    analyst = await client_for("risk_analyst", "HQ")
    started = await gql(analyst, RUN_COB, {"d": DAY.isoformat()})
    assert "errors" not in started, started
    await settle(analyst)
    run = await models.CobRun.get(business_date=DAY)

    [job] = _nodes(await gql(analyst, JOBS, {"f": {"kind": "COB"}}))
    assert (job["kind"], job["state"], job["startedBy"]) == ("COB", "SUCCEEDED", analyst.username)
    assert (job["done"], job["total"], job["progress"]) == (4, 4, 1.0)
    assert job["runId"] == to_base64("CobRun", run.id)
    assert job["params"] == {"business_date": DAY.isoformat()}
    assert job["result"]["loans"] == 4 and job["errorCode"] is None and job["finishedAt"]
    assert (job["kindLabel"], job["stateLabel"]) == ("Close of business", "Succeeded")
    zh = _nodes(
        await gql(analyst, JOBS, {"f": {"run": job["runId"]}}, **{"Accept-Language": "zh-CN"})
    )
    assert (zh[0]["kindLabel"], zh[0]["stateLabel"]) == ("日终批处理", "已成功")
    assert _nodes(await gql(analyst, JOBS, {"f": {"state": "FAILED"}})) == []

    one = await gql(analyst, ONE, {"id": job["id"]})
    assert one["data"] == {"job": {"id": job["id"], "state": "SUCCEEDED"}, "node": {"kind": "COB"}}
    # the job opens its domain run, a node
    run_of = await gql(
        analyst,
        "query($id: ID!) { job(id: $id) { runId run { __typename id } } }",
        {"id": job["id"]},
    )
    run = run_of["data"]["job"]
    assert run["run"] == {"__typename": "CobRun", "id": run["runId"]}

    # row scope: the starter and administrators; another analyst sees nothing of it
    other = await client_for("risk_analyst", "HQ")
    assert (await gql(other, JOBS))["data"]["jobs"]["totalCount"] == 0
    hidden = await gql(other, ONE, {"id": job["id"]})
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    admin = await client_for("admin", "HQ")
    assert (await gql(admin, JOBS))["data"]["jobs"]["totalCount"] == 1
    officer = await client_for("loan_officer", "HQ")
    assert (await gql(officer, JOBS))["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_failing_job_records_its_code(
    client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_book(2, first_due=dt.date(2026, 3, 1))

    async def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PreconditionFailed("the ledger is locked")

    monkeypatch.setattr(cob, "_close_batch", refuse)
    analyst = await client_for("risk_analyst", "HQ")
    assert "errors" not in await gql(analyst, RUN_COB, {"d": DAY.isoformat()})
    await settle(analyst)
    [job] = _nodes(await gql(analyst, JOBS))
    assert (job["state"], job["errorCode"], job["errorDetail"]) == (
        "FAILED",
        "PRECONDITION_FAILED",
        "the ledger is locked",
    )
    assert job["errorMessage"] and job["result"] is None
    assert (await models.CobRun.get(business_date=DAY)).status == "failed"


async def _endless_scan(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    from smecredit.services.warnings import scan

    entered = asyncio.Event()

    async def endless(*args: Any, **kwargs: Any) -> Any:
        kwargs["progress"](1, 8)
        entered.set()
        await asyncio.sleep(3600)

    monkeypatch.setattr(scan, "scan_portfolio", endless)
    return entered


async def test_cancel_works_is_audited_and_answers_in_the_result_union(
    client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered = await _endless_scan(monkeypatch)
    analyst = await client_for("risk_analyst", "HQ")
    body = await gql(analyst, "mutation { runWarningScan { ... on WarningScanRun { id } } }")
    assert "errors" not in body, body
    await asyncio.wait_for(entered.wait(), 10)
    [job] = _nodes(await gql(analyst, JOBS, {"f": {"kind": "WARNING_SCAN", "state": "RUNNING"}}))
    assert (job["done"], job["total"], job["progress"]) == (1, 8, 0.125)

    officer = await client_for("loan_officer", "HQ")
    refused = operation_error(await gql(officer, CANCEL, {"id": job["id"]}), "cancelJob")
    assert refused is not None and refused["code"] == "FORBIDDEN"
    other = await client_for("risk_analyst", "HQ")
    hidden = (await gql(other, CANCEL, {"id": job["id"]}))["data"]["cancelJob"]
    assert (hidden["__typename"], hidden["code"]) == ("NotFoundError", "NOT_FOUND")

    done = (await gql(analyst, CANCEL, {"id": job["id"]}))["data"]["cancelJob"]
    assert done == {"__typename": "Job", "state": "CANCELLED", "cancelledBy": analyst.username}
    row = await models.Job.get(kind="warning_scan")
    audit = await models.AuditLog.get(action="job.cancel")
    assert (audit.actor, audit.resource) == (analyst.username, f"Job:{row.id}")
    scan_run = await models.WarningScanRun.get(
        id=int(from_base64(body["data"]["runWarningScan"]["id"])[1])
    )
    assert scan_run.status == "failed" and "interrupted" in (scan_run.error or "")

    again = (await gql(analyst, CANCEL, {"id": job["id"]}))["data"]["cancelJob"]
    assert (again["__typename"], again["code"]) == ("InvalidTransition", "INVALID_TRANSITION")


async def test_job_progress_streams_until_the_job_ends(app: Any, db: Any) -> None:
    from helpers import principal

    jobs = supervisor(app)
    step = asyncio.Event()

    async def work(control: Any) -> dict[str, int]:
        for done in (1, 2):
            await step.wait()
            step.clear()
            control.progress(done, 2)
        return {"n": 2}

    handle = await jobs.start(JobKind.SYNC, work, started_by="ana")
    request = Request({"type": "http", "method": "POST", "headers": [], "app": app})
    context = Context(request=request, settings=app.state.settings)
    context.user = principal("ana", "risk_analyst")
    stream = await app.state.schema.subscribe(
        "subscription($id: ID!) { jobProgress(id: $id) { state done total } }",
        variable_values={"id": to_base64("Job", handle.id)},
        context_value=context,
    )
    seen: list[tuple[str, int, int | None]] = []

    async def follow() -> None:
        async for result in stream:
            assert result.errors is None, result.errors
            item = result.data["jobProgress"]
            seen.append((item["state"], item["done"], item["total"]))
            step.set()

    await asyncio.wait_for(follow(), 10)
    assert seen[0][0] in ("QUEUED", "RUNNING")
    assert ("RUNNING", 1, 2) in seen and seen[-1] == ("SUCCEEDED", 2, 2)


async def test_stopping_the_server_records_running_jobs_interrupted(
    app: Any, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered = await _endless_scan(monkeypatch)
    analyst = await client_for("risk_analyst", "HQ")
    async with app.router.lifespan_context(app):
        assert "errors" not in await gql(
            analyst, "mutation { runWarningScan { ... on WarningScanRun { id } } }"
        )
        await asyncio.wait_for(entered.wait(), 10)
    row = await models.Job.get(kind="warning_scan")
    assert (row.state, row.error_code, row.done, row.total) == ("interrupted", "INTERRUPTED", 1, 8)
    refused = await gql(
        analyst,
        "mutation { runWarningScan { ... on WarningScanRun { id } "
        "... on BusinessError { code } } }",
    )
    assert "SHUTTING_DOWN" in str(refused)  # and the run it claimed does not stay running
    assert not await models.WarningScanRun.filter(status="running").exists()


async def test_a_job_leads_to_its_run_through_node(client_for: Any) -> None:
    from ingestion_support import ListSource
    from smecredit_source_synthetic.generator import generate_portfolio

    from smecredit.services.ingestion.sync import run_sync

    firm = next(r for k, r in generate_portfolio(1, seed=63) if k == "firm")
    result = await run_sync(ListSource([("firm", firm)], name="listed"), refresh=False)
    job = await models.Job.create(
        kind="sync", state="succeeded", started_by="system", run_id=result.run_id
    )
    admin = await client_for("admin", "HQ")
    body = await gql(
        admin,
        "query($id: ID!) { job(id: $id) { runId run { __typename id } } }",
        {"id": to_base64("Job", job.id)},
    )
    sync_run = to_base64("SyncRun", result.run_id)
    assert body == {
        "data": {"job": {"runId": sync_run, "run": {"__typename": "SyncRun", "id": sync_run}}}
    }
