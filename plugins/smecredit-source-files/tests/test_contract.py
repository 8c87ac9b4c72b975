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


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (None, "FILE_NOT_FOUND"),
        (b"", "EMPTY_FILE"),
        ("企业名称\n甲\n".encode(), "MISSING_COLUMNS"),
        (b"PK\x03\x04", "UNSUPPORTED_FILE"),
    ],
)
def test_a_file_that_cannot_be_read_raises_with_its_code(
    tmp_path: Path, content: bytes | None, code: str
) -> None:
    # The SDK's contract: raise when nothing can be read, so the run fails with the error.
    path = tmp_path / "firms.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(FileSourceError) as caught:
        collect_records(FileSource(), FetchRequest(path=path, kind="firm"))
    assert caught.value.code == code and str(caught.value)


def test_line_mode_survives_in_the_position(tmp_path: Path) -> None:
    path = tmp_path / "firms.csv"
    path.write_text('统一社会信用代码,企业名称\nU1,"never closed\nU2,b\nU3,c\n', encoding="utf-8")
    records = collect_records(FileSource(), FetchRequest(path=path, kind="firm"))
    assert [r.error.code if r.error else r.data["uscc"] for r in records] == ["BAD_ROW", "U2", "U3"]
    assert records[0].position.endswith(":L")
    resumed = collect_records(
        FileSource(), FetchRequest(path=path, kind="firm", resume_from=records[0].position)
    )
    assert resumed == records[1:]


def test_plugin_module_registers_the_source() -> None:
    registry = plugin_manager_for(plugin)
    (info,) = registry.plugins
    assert (info.status, info.error, info.hooks) == ("active", None, ["register_data_sources"])
    assert isinstance(registry.data_sources["files"], FileSource)
