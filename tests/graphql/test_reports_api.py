"""Reports over real HTTP: the catalogue, runReport, cancelJob, the list, the download."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from conftest import authenticated_client
from helpers import gql
from reports_support import LoanList, ReportPlugin, seed_loans

from smecredit import models
from smecredit.plugins import load_plugins

pytestmark = pytest.mark.anyio

RUN = """
mutation Run($input: RunReportInput!) {
  runReport(input: $input) {
    __typename
    ... on ReportRun { id name state format params job { id kind } }
    ... on BusinessError { code message }
  }
}
"""
REPORT = "query R($id: ID!) { report(id: $id) { id state size downloadUrl contentHash } }"


class Reports:
    def __init__(self, app: Any, report: LoanList) -> None:
        self.app = app
        self.report = report
        self.made: list[httpx.AsyncClient] = []

    async def client(self, role: str, branch: str = "HQ", **kw: Any) -> httpx.AsyncClient:
        c = await authenticated_client(self.app, role, branch, **kw)
        self.made.append(c)
        return c


@pytest.fixture
async def reports(db: Any, tmp_path: Path) -> AsyncIterator[Reports]:
    from smecredit.app import create_app

    report = LoanList()
    settings = dataclasses.replace(db, report_dir=tmp_path / "reports")
    plugins = load_plugins(entry_points=False, extra_plugins=[ReportPlugin(report)])
    app = create_app(settings, manage_db=False, plugins=plugins)
    made = Reports(app, report)
    yield made
    await app.state.jobs.idle()
    for c in made.made:
        await c.aclose()


async def _loans() -> None:
    await seed_loans(3, name="北京测试有限公司")


async def _wait(client: httpx.AsyncClient, run_id: str, until: Callable[[str], bool]) -> Any:
    for _ in range(200):
        body = await gql(client, REPORT, {"id": run_id})
        report = body["data"]["report"]
        if until(report["state"]):
            return report
        await asyncio.sleep(0.02)
    raise AssertionError(f"report stayed {report['state']}")


async def test_the_catalogue_says_who_may_run_what(reports: Reports) -> None:
    analyst = await reports.client("risk_analyst")
    admin = await reports.client("admin")
    query = "{ reportTypes { name title canRun formats params { name kind default } } }"
    (mine,) = (await gql(analyst, query, **{"Accept-Language": "zh-CN"}))["data"]["reportTypes"]
    assert mine["canRun"] is True and mine["title"] == "贷款清单"
    assert mine["params"][0] == {"name": "as_of", "kind": "DATE", "default": "today"}
    (theirs,) = (await gql(admin, query))["data"]["reportTypes"]
    assert theirs["canRun"] is False  # an administrator is not implied


async def test_run_download_and_audit_over_http(reports: Reports) -> None:
    await _loans()
    analyst = await reports.client("risk_analyst")
    body = await gql(
        analyst,
        RUN,
        {"input": {"name": "loan_list", "format": "csv", "language": "zh", "params": []}},
    )
    run = body["data"]["runReport"]
    assert run["__typename"] == "ReportRun", body
    assert run["job"]["kind"] == "REPORT"
    done = await _wait(analyst, run["id"], lambda s: s == "SUCCEEDED")
    response = await analyst.get(done["downloadUrl"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    disposition = response.headers["content-disposition"]
    assert f"filename*=UTF-8''{quote('贷款清单')}" in disposition
    assert "L0000,北京测试有限公司,10.50" in response.content.decode("utf-8-sig").splitlines()
    assert len(response.content) == done["size"]
    other = await reports.client("risk_analyst")
    assert (await other.get(done["downloadUrl"])).status_code == 404
    auditor = await reports.client("compliance_auditor")
    assert (await auditor.get(done["downloadUrl"])).status_code == 200
    anonymous = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=reports.app), base_url="http://testserver"
    )
    async with anonymous:
        assert (await anonymous.get(done["downloadUrl"])).status_code == 401
    row = await models.ReportRun.get(id=int(done["downloadUrl"].split("/")[2]))
    assert row.downloads == 2
    actions = await models.AuditLog.filter(resource=f"ReportRun:{row.id}").values_list(
        "action", flat=True
    )
    assert sorted(actions) == sorted(
        ["report.run_requested", "report.run_finished", "report.download", "report.download"]
    )
    listed = await gql(analyst, "{ reports(filter: {mine: true}) { edges { node { id } } } }")
    assert [e["node"]["id"] for e in listed["data"]["reports"]["edges"]] == [run["id"]]
    row.expires_at = row.finished_at
    await row.save()
    assert (await analyst.get(done["downloadUrl"])).status_code == 410


async def test_refusals_are_typed_errors_naming_the_parameter(reports: Reports) -> None:
    admin = await reports.client("admin")
    analyst = await reports.client("risk_analyst")
    refused = await gql(admin, RUN, {"input": {"name": "loan_list", "format": "csv"}})
    assert refused["data"]["runReport"]["code"] == "REPORT_ROLE_REQUIRED"
    bad = await gql(
        analyst,
        RUN,
        {
            "input": {
                "name": "loan_list",
                "format": "csv",
                "params": [{"name": "as_of", "value": "tomorrow-ish"}],
            }
        },
    )
    assert bad["data"]["runReport"]["code"] == "REPORT_PARAM_INVALID"
    assert "as_of" in bad["data"]["runReport"]["message"]
    unknown = await gql(analyst, RUN, {"input": {"name": "nope", "format": "csv"}})
    assert unknown["data"]["runReport"]["code"] == "REPORT_TYPE_UNKNOWN"


async def test_cancel_job_stops_a_report_and_leaves_no_file(reports: Reports) -> None:
    await _loans()
    reports.report.gate = asyncio.Event()
    analyst = await reports.client("risk_analyst")
    body = await gql(analyst, RUN, {"input": {"name": "loan_list", "format": "csv"}})
    run = body["data"]["runReport"]
    await asyncio.wait_for(reports.report.started.wait(), 5)
    cancel = "mutation C($id: ID!) { cancelJob(id: $id) { __typename ... on Job { state } } }"
    try:
        cancelled = await gql(analyst, cancel, {"id": run["job"]["id"]})
    finally:  # a refused cancel must not leave the report waiting on its gate
        reports.report.gate.set()
    assert cancelled["data"]["cancelJob"] == {"__typename": "Job", "state": "CANCELLED"}
    report = await _wait(analyst, run["id"], lambda s: s not in ("QUEUED", "RUNNING"))
    assert report["state"] == "CANCELLED" and report["downloadUrl"] is None
    settings = reports.app.state.settings
    assert list(Path(settings.reports_path).iterdir()) == []


CANCEL_REPORT = """mutation C($id: ID!) { cancelReport(id: $id) {
  __typename ... on ReportRun { state downloadUrl } ... on BusinessError { code } } }"""


async def test_the_author_cancels_a_report_without_job_cancel(reports: Reports) -> None:
    """A compliance auditor has no ``job.cancel``: its own report is still its to stop;
    a second auditor (who sees every run) may not stop it."""
    await _loans()
    reports.report.gate = asyncio.Event()
    author = await reports.client("compliance_auditor")
    other = await reports.client("compliance_auditor")
    body = await gql(author, RUN, {"input": {"name": "loan_list", "format": "csv"}})
    run = body["data"]["runReport"]
    await asyncio.wait_for(reports.report.started.wait(), 5)
    try:
        refused = await gql(other, CANCEL_REPORT, {"id": run["id"]})
        cancelled = await gql(author, CANCEL_REPORT, {"id": run["id"]})
    finally:
        reports.report.gate.set()
    assert refused["data"]["cancelReport"] == {"__typename": "Forbidden", "code": "FORBIDDEN"}
    assert cancelled["data"]["cancelReport"] == {
        "__typename": "ReportRun",
        "state": "CANCELLED",
        "downloadUrl": None,
    }
    settings = reports.app.state.settings
    assert list(Path(settings.reports_path).iterdir()) == []
    again = await gql(author, CANCEL_REPORT, {"id": run["id"]})
    assert again["data"]["cancelReport"]["code"] == "INVALID_TRANSITION"


async def test_the_cookie_downloads_only_from_the_platforms_own_pages(reports: Reports) -> None:
    await _loans()
    analyst = await reports.client("risk_analyst")
    body = await gql(analyst, RUN, {"input": {"name": "loan_list", "format": "csv"}})
    run = body["data"]["runReport"]
    done = await _wait(analyst, run["id"], lambda s: s == "SUCCEEDED")
    node = await gql(
        analyst,
        "query J($id: ID!) { node(id: $id) { ... on Job { run { ... on ReportRun { id } } } } }",
        {"id": run["job"]["id"]},
    )
    assert node["data"]["node"]["run"] == {"id": run["id"]}
    cookie = {reports.app.state.auth.cookie_name: analyst.token}  # type: ignore[attr-defined]
    browser = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=reports.app), base_url="http://testserver"
    )
    async with browser:
        browser.cookies.update(cookie)
        own = await browser.get(done["downloadUrl"], headers={"Sec-Fetch-Site": "same-origin"})
        assert own.status_code == 200
        for site in ("cross-site", None):
            headers = {"Sec-Fetch-Site": site} if site else {}
            refused = await browser.get(done["downloadUrl"], headers=headers)
            assert refused.status_code == 401
