"""Every report type: the contract on the synthetic book and on an empty book."""

from __future__ import annotations

import pytest
from smecredit_reports_core.plugin import REPORT_TYPES

from smecredit.sdk import KeyFigures, ReportType, Table
from smecredit.testing import InMemoryReportContext, check_report_type

pytestmark = pytest.mark.anyio

NAMES = [report.name for report in REPORT_TYPES]


@pytest.mark.parametrize("report", REPORT_TYPES, ids=NAMES)
async def test_builds_on_the_book(report: ReportType, context: InMemoryReportContext) -> None:
    document = await check_report_type(report, context)
    assert any(isinstance(s, Table) and list(s.rows) for s in document.sections)
    assert document.notes_zh and document.notes_en


@pytest.mark.parametrize("report", REPORT_TYPES, ids=NAMES)
async def test_builds_on_an_empty_book(report: ReportType, empty: InMemoryReportContext) -> None:
    document = await check_report_type(report, empty)
    for section in document.sections:
        if isinstance(section, KeyFigures):
            # Figures of the book are zero or empty; "lgd" echoes a parameter.
            assert all(not f.value for f in section.figures if f.key != "lgd"), section


def test_names_are_unique_and_all_offer_every_format() -> None:
    assert len(set(NAMES)) == len(NAMES)
    assert all(r.formats == ("csv", "xlsx", "pdf") for r in REPORT_TYPES)
