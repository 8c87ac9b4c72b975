"""The files source honours the data-source contract of smecredit.testing."""

from __future__ import annotations

from pathlib import Path

import pytest
from smecredit_source_files import plugin
from smecredit_source_files.plugin import FileSource, FileSourceError

from smecredit.sdk import FetchRequest
from smecredit.testing import DataSourceContract, collect_records, plugin_manager_for

SAMPLE = Path(__file__).parent / "data" / "firms_sample.csv"


class TestFileSourceContract(DataSourceContract):
    """A sample with an unknown column (warning), a short row (error) and a multi-line cell."""

    source = FileSource()
    fetch_request = FetchRequest(
        path=SAMPLE, kind="firm", settings={"fetched_at": "2026-06-30T12:00:00+08:00"}
    )
    resume_points = 7  # every record of the sample, the header warning included


def test_sample_holds_rows_errors_and_warnings() -> None:
    records = collect_records(FileSource(), TestFileSourceContract.fetch_request)
    warnings = [r for r in records if r.error and r.error.severity == "warning"]
    errors = [r for r in records if r.error and r.error.severity == "error"]
    rows = [r for r in records if r.error is None]
    assert [w.error.code for w in warnings if w.error] == ["UNKNOWN_COLUMNS"]
    assert [(e.error.code, e.locator) for e in errors if e.error] == [("BAD_ROW", "line 4")]
    assert [r.locator for r in rows] == ["line 2", "line 3", "line 5", "line 8"]
    first = rows[0].data
    assert first["uscc"] == "91330106MA2H3XXX1X"
    assert first["registered_capital"] == "500万"  # raw: the cleaning step converts units
    assert (first["source"], first["fetched_at"]) == ("files", "2026-06-30T12:00:00+08:00")


def test_resume_from_a_row_skips_the_header_messages() -> None:
    records = collect_records(FileSource(), TestFileSourceContract.fetch_request)
    row = next(r for r in records if r.error is None)
    resumed = collect_records(
        FileSource(),
        FetchRequest(
            path=SAMPLE,
            kind="firm",
            settings=TestFileSourceContract.fetch_request.settings,
            resume_from=row.position,
        ),
    )
    assert resumed == records[records.index(row) + 1 :]
    assert all(r.position.startswith("1:") for r in resumed)


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (FetchRequest(kind="firm"), "NO_FILE"),
        (FetchRequest(path=SAMPLE), "NO_KIND"),
        (FetchRequest(path=SAMPLE, kind="firm", resume_from="garbage"), "BAD_POSITION"),
    ],
)
def test_unusable_requests_raise_with_a_code(request_: FetchRequest, code: str) -> None:
    with pytest.raises(FileSourceError) as caught:
        collect_records(FileSource(), request_)
    assert caught.value.code == code


def test_missing_file_is_one_error_record(tmp_path: Path) -> None:
    request = FetchRequest(path=tmp_path / "nope.csv", kind="firm")
    (record,) = collect_records(FileSource(), request)
    assert record.error is not None and record.error.code == "FILE_NOT_FOUND"
    assert (record.locator, record.position, record.data) == ("file", "0:0000", {})


def test_plugin_module_registers_the_source() -> None:
    registry = plugin_manager_for(plugin)
    (info,) = registry.plugins
    assert (info.status, info.error, info.hooks) == ("active", None, ["register_data_sources"])
    assert isinstance(registry.data_sources["files"], FileSource)
