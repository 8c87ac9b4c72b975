"""Scheduled reports: the setting's parsing, one run per period as system, the start check."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from reports_support import LoanList, ReportPlugin, seed_loans

from smecredit import models
from smecredit.plugins import load_plugins
from smecredit.services.jobs.supervisor import JobSupervisor
from smecredit.services.reports.schedule import (
    check_schedule,
    period_start,
    run_report_schedule,
    schedule_round,
)
from smecredit.settings import SettingsError, load_settings, parse_report_schedule


def test_the_schedule_setting_parses_and_names_what_is_wrong() -> None:
    assert parse_report_schedule(
        "five_category:monthly:xlsx; portfolio_overview:daily:pdf:en;"
    ) == (("five_category", "monthly", "xlsx", "zh"), ("portfolio_overview", "daily", "pdf", "en"))
    assert load_settings({}).report_schedule == ()
    for bad, named in [
        ("five_category:monthly", "name:period:format"),
        ("five_category:hourly:xlsx", "hourly"),
        ("five_category:daily:docx", "docx"),
        ("five_category:daily:csv:fr", "fr"),
        ("Five:daily:csv", "report name"),
        ("a:daily:csv;a:daily:xlsx", "twice"),
    ]:
        with pytest.raises(SettingsError, match="SMECREDIT_REPORT_SCHEDULE") as caught:
            load_settings({"SMECREDIT_REPORT_SCHEDULE": bad})
        assert named in str(caught.value)
    with pytest.raises(SettingsError, match="SMECREDIT_REPORT_RETENTION"):
        load_settings({"SMECREDIT_REPORT_RETENTION": "1h"})


@given(st.dates(), st.sampled_from(["daily", "weekly", "monthly"]))
def test_a_period_starts_on_or_before_its_day_and_holds_it(day: dt.date, period: str) -> None:
    start = period_start(period, day)
    assert start <= day
    assert period_start(period, start) == start
    span = {"daily": 0, "weekly": 6, "monthly": 30}[period]
    assert (day - start).days <= span


def test_a_schedule_naming_a_missing_report_or_format_is_refused() -> None:
    plugins = load_plugins(entry_points=False, extra_plugins=[ReportPlugin(LoanList())])
    check_schedule((("loan_list", "daily", "csv", "zh"),), plugins)
    with pytest.raises(SettingsError, match="no installed plugin"):
        check_schedule((("five_category", "daily", "csv", "zh"),), plugins)
    with pytest.raises(SettingsError, match="not pdf"):
        check_schedule((("loan_list", "daily", "pdf", "zh"),), plugins)


@pytest.mark.anyio
async def test_each_entry_runs_once_per_period_as_system(
    db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_loans(2)
    settings = dataclasses.replace(db, report_dir=tmp_path / "reports")
    plugins = load_plugins(entry_points=False, extra_plugins=[ReportPlugin(LoanList())])
    supervisor = JobSupervisor()
    entries = (("loan_list", "monthly", "csv", "en"),)
    kw: dict[str, Any] = {"supervisor": supervisor, "plugins": plugins, "settings": settings}
    first = await schedule_round(entries, today=dt.date(2026, 6, 3), **kw)
    again = await schedule_round(entries, today=dt.date(2026, 6, 29), **kw)
    later = await schedule_round(entries, today=dt.date(2026, 7, 1), **kw)
    assert (len(first), len(again), len(later)) == (1, 0, 1)
    await supervisor.idle()
    rows = await models.ReportRun.all().order_by("id")
    assert [r.schedule_key for r in rows] == [
        "loan_list:monthly:2026-06-01",
        "loan_list:monthly:2026-07-01",
    ]
    assert {(r.requested_by, r.state) for r in rows} == {("system", "succeeded")}
    # the loop's purge: a run past its retention loses its file
    await models.ReportRun.filter(id=rows[0].id).update(
        expires_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    await run_report_schedule(entries, today=lambda: dt.date(2026, 7, 2), rounds=1, **kw)
    assert (await models.ReportRun.get(id=rows[0].id)).state == "expired"
    assert not (settings.reports_path / (rows[0].path or "x")).exists()
