"""Report runs as jobs: the artefact, refusals, cancel and failure leaving no file, purge."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from reports_support import Broken, LoanList, ReportPlugin, seed_loans

from smecredit import models
from smecredit.domain.report_params import ReportParamInvalid
from smecredit.errors import PermissionDenied
from smecredit.plugins import load_plugins
from smecredit.security.principal import Principal
from smecredit.services.jobs.supervisor import JobSupervisor
from smecredit.services.reports import runs
from smecredit.services.reports.runs import (
    ReportExpired,
    ReportFormatUnsupported,
    ReportNotReady,
    ReportRoleRequired,
    open_download,
    purge_expired,
    run_report,
)

pytestmark = pytest.mark.anyio
TODAY = dt.date(2026, 6, 30)
ANALYST = Principal(user_id=1, username="ana", roles=("risk_analyst",), branch_code="HQ")


@pytest.fixture
def report_settings(db: Any, tmp_path: Path) -> Any:
    return dataclasses.replace(db, report_dir=tmp_path / "reports")


async def start(settings: Any, report: Any, who: Principal = ANALYST, **kw: Any) -> Any:
    supervisor = JobSupervisor()
    plugins = load_plugins(entry_points=False, extra_plugins=[ReportPlugin(report)])
    run = await run_report(
        who,
        report.name,
        kw.pop("params", {}),
        kw.pop("fmt", "csv"),
        kw.pop("language", "en"),
        supervisor=supervisor,
        plugins=plugins,
        settings=settings,
        today=TODAY,
    )
    return supervisor, run


async def test_a_run_writes_its_artefact_and_records_it(report_settings: Any) -> None:
    await seed_loans()
    supervisor, run = await start(report_settings, LoanList(), params={"branch": "B01"})
    await supervisor.idle()
    done = await models.ReportRun.get(id=run.id)
    job = await models.Job.get(id=done.job_id)
    assert (job.kind, job.state, job.run_id) == ("report", "succeeded", run.id)
    assert done.state == "succeeded" and done.params == {"as_of": "2026-06-30", "branch": "B01"}
    path = report_settings.reports_path / done.path
    body = path.read_bytes()
    assert b"L0000,Firm Ltd,10.50" in body.splitlines()
    assert done.size == len(body) and len(done.file_sha256) == 64 and done.content_hash
    assert done.expires_at is not None
    assert list(report_settings.reports_path.iterdir()) == [path]
    actions = [e.action for e in await models.AuditLog.filter(resource=f"ReportRun:{run.id}")]
    assert actions == ["report.run_requested", "report.run_finished"]
    got, file = await open_download(ANALYST, run.id, report_settings)
    assert file == path and got.downloads == 1
    assert (await models.ReportRun.get(id=run.id)).downloads == 1


async def test_refusals_answer_the_caller_at_once(report_settings: Any) -> None:
    admin = Principal(user_id=2, username="root", roles=("admin",), branch_code="HQ")
    viewer = Principal(user_id=3, username="v", roles=("viewer",), branch_code="B01")
    with pytest.raises(ReportRoleRequired):
        await start(report_settings, LoanList(), admin)
    with pytest.raises(PermissionDenied):
        await start(report_settings, LoanList(), viewer)
    with pytest.raises(ReportFormatUnsupported):
        await start(report_settings, LoanList(), fmt="pdf")
    with pytest.raises(ReportParamInvalid, match="'as_of'"):
        await start(report_settings, LoanList(), params={"as_of": "June"})
    assert await models.ReportRun.all().count() == 0


async def test_a_run_cancelled_mid_way_leaves_no_artefact(report_settings: Any) -> None:
    await seed_loans()
    report = LoanList()
    report.gate = asyncio.Event()
    supervisor, run = await start(report_settings, report)
    await asyncio.wait_for(report.started.wait(), 5)
    parts = list(report_settings.reports_path.iterdir())
    assert len(parts) == 1 and parts[0].name.endswith(".part")
    job = await supervisor.cancel(run.job_id or 0, ANALYST)
    assert job.state == "cancelled"
    assert (await models.ReportRun.get(id=run.id)).state == "cancelled"
    assert list(report_settings.reports_path.iterdir()) == []
    with pytest.raises(ReportNotReady):
        await open_download(ANALYST, run.id, report_settings)


async def test_a_failed_run_leaves_no_artefact(report_settings: Any) -> None:
    supervisor, run = await start(report_settings, Broken())
    await supervisor.idle()
    done = await models.ReportRun.get(id=run.id)
    job = await models.Job.get(id=done.job_id)
    assert (done.state, job.state) == ("failed", "failed")
    assert list(report_settings.reports_path.iterdir()) == []


async def test_others_runs_are_hidden_and_expired_files_purged(report_settings: Any) -> None:
    await seed_loans(1)
    supervisor, run = await start(report_settings, LoanList())
    await supervisor.idle()
    other = Principal(user_id=4, username="bo", roles=("risk_analyst",), branch_code="HQ")
    auditor = Principal(user_id=5, username="au", roles=("compliance_auditor",), branch_code="HQ")
    with pytest.raises(runs.NotFound):
        await open_download(other, run.id, report_settings)
    await open_download(auditor, run.id, report_settings)  # report.view_all
    later = dt.datetime.now(dt.UTC) + report_settings.report_retention + dt.timedelta(days=1)
    assert await purge_expired(report_settings, now=later) == 1
    assert list(report_settings.reports_path.iterdir()) == []
    with pytest.raises(ReportExpired):
        await open_download(ANALYST, run.id, report_settings)


async def test_an_xlsx_run_is_a_workbook_with_the_same_data_hash_as_csv(
    report_settings: Any,
) -> None:
    import openpyxl

    await seed_loans(2)
    supervisor, csv_run = await start(report_settings, LoanList())
    _, xlsx_run = await start(report_settings, LoanList(), fmt="xlsx")
    await supervisor.idle()
    await xlsx_run_done(xlsx_run.id)
    csv_row = await models.ReportRun.get(id=csv_run.id)
    xlsx_row = await models.ReportRun.get(id=xlsx_run.id)
    assert xlsx_row.state == "succeeded"
    book = openpyxl.load_workbook(report_settings.reports_path / (xlsx_row.path or ""))
    cells = [c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert "L0001" in cells
    assert xlsx_row.content_hash == csv_row.content_hash
    assert xlsx_row.file_sha256 != csv_row.file_sha256


async def xlsx_run_done(run_id: int) -> None:
    for _ in range(200):
        if (await models.ReportRun.get(id=run_id)).state not in ("queued", "running"):
            return
        await asyncio.sleep(0.02)
