"""Every report type written in each of its formats by the core's writers, read back."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from pypdf import PdfReader
from smecredit_reports_core.plugin import REPORT_TYPES

from smecredit.sdk import Table
from smecredit.services.reports.formats import Cover, write_report
from smecredit.testing import InMemoryReportContext, check_report_type

pytestmark = pytest.mark.anyio

CASES = [(report, fmt) for report in REPORT_TYPES for fmt in report.formats]


async def _nothing() -> None:
    return None


def _pdf_text(data: bytes) -> str:
    # As the writers' own tests: pypdf reads fpdf2's CFF CMap with a NUL before each char.
    reader = PdfReader(io.BytesIO(data))
    return "".join("".join(p.extract_text().replace("\x00", "").split()) for p in reader.pages)


async def _write(report: Any, context: InMemoryReportContext, fmt: str) -> tuple[bytes, Any]:
    document = await check_report_type(report, context)
    cover = Cover(
        title=report.title_zh,
        report_name=report.name,
        parameters=(),
        generated_at=dt.datetime(2026, 6, 30, 8, 0, tzinfo=dt.UTC),
        generated_by="tester",
    )
    out = io.BytesIO()
    await write_report(document, fmt, out, cover=cover, language="zh", checkpoint=_nothing)
    return out.getvalue(), document


@pytest.mark.parametrize(("report", "fmt"), CASES, ids=[f"{r.name}-{f}" for r, f in CASES])
@pytest.mark.parametrize("which", ["book", "empty"])
async def test_written_and_read_back(
    report: Any,
    fmt: str,
    which: str,
    context: InMemoryReportContext,
    empty: InMemoryReportContext,
) -> None:
    data, document = await _write(report, context if which == "book" else empty, fmt)
    first_table = next(s for s in document.sections if isinstance(s, Table))
    if fmt == "csv":
        assert first_table.title_zh in data.decode("utf-8-sig")
    elif fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        cells = {
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        }
        assert report.title_zh in cells or first_table.title_zh in cells
    else:
        assert data.startswith(b"%PDF")
        text = _pdf_text(data)
        assert report.title_zh.replace(" ", "") in text and report.name in text
