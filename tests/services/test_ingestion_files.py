"""Malformed partner files through the files source: clear errors, nothing lost."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Any

import pytest
from smecredit_source_files.plugin import FileSource
from smecredit_source_synthetic.generator import generate_portfolio

from smecredit import models
from smecredit.services.ingestion.quarantine import open_raw
from smecredit.services.ingestion.sync import run_sync

pytestmark = pytest.mark.anyio

HEADER = ["统一社会信用代码", "企业名称", "行业代码", "行政区划代码", "成立日期", "注册资本(万元)",
          "从业人数", "经营状态", "网点代码"]  # fmt: skip


def _firms(n: int, seed: int = 3) -> list[dict[str, Any]]:
    return [r for k, r in generate_portfolio(n, seed=seed) if k == "firm"]


def _row(firm: dict[str, Any]) -> list[str]:
    capital_wan = f"{float(firm['registered_capital']) / 10000:g}"
    keys = ["uscc", "name", "industry_code", "region_code", "established_on"]
    return [
        *(firm[k] for k in keys),
        capital_wan,
        str(firm["employees"]),
        "存续",
        firm["branch_code"],
    ]


def _write(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        csv.writer(stream).writerows(rows)
    return path


async def _import(path: Path, **settings: Any) -> Any:
    return await run_sync(FileSource(), path=path, kind="firm", settings=settings, batch_size=2)


async def test_gbk_file_imports_and_chinese_values_are_cleaned(db: Any, tmp_path: Path) -> None:
    firms = _firms(5)
    path = _write(tmp_path / "firms.csv", [HEADER] + [_row(f) for f in firms], encoding="gbk")
    result = await _import(path)
    assert (result.read, result.accepted, result.quarantined) == (5, 5, 0)
    stored = {f.uscc: f for f in await models.Firm.all()}
    for firm in firms:
        row = stored[firm["uscc"]]
        assert f"{row.registered_capital:.2f}" == firm["registered_capital"]  # 万 multiplied out
        assert row.status == "active"  # 存续 mapped


async def test_bad_codes_and_bad_lines_are_quarantined_with_their_line(
    db: Any, tmp_path: Path
) -> None:
    firms = _firms(6)
    rows = [HEADER] + [_row(f) for f in firms]
    rows[2][0] = rows[2][0][:-1] + ("A" if rows[2][0][-1] != "A" else "B")  # wrong check char
    rows[4] = rows[4][:3]  # too few cells
    rows[5][3] = "99999"  # region code of 5 digits
    path = _write(tmp_path / "firms.csv", rows)
    result = await _import(path)

    assert (result.read, result.accepted, result.quarantined) == (6, 3, 3)
    assert await models.Firm.all().count() == 3
    quarantined = {q.locator: q for q in await models.QuarantinedRecord.all()}
    assert set(quarantined) == {"line 3", "line 5", "line 6"}
    assert quarantined["line 3"].code == "BAD_CODE" and quarantined["line 3"].field == "uscc"
    assert open_raw(quarantined["line 3"])["uscc"] == rows[2][0]  # kept as given
    assert quarantined["line 5"].code == "BAD_ROW"
    assert quarantined["line 6"].field == "region_code"


async def test_undecodable_line_loses_only_that_line(db: Any, tmp_path: Path) -> None:
    firms = _firms(4)
    lines = [",".join(HEADER).encode()] + [",".join(_row(f)).encode() for f in firms]
    lines[2] = lines[2].replace(b",", b"\xff,", 1)  # not UTF-8, not GB18030 either
    path = tmp_path / "firms.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = await _import(path, encoding="utf-8")
    assert result.accepted == 3 and result.quarantined == 1
    bad = await models.QuarantinedRecord.get()
    assert (bad.code, bad.locator) == ("BAD_ENCODING", "line 3")


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "EMPTY_FILE"),
        (b"\n\n  \n", "EMPTY_FILE"),
        ("企业名称,行业代码\n某某公司,C13\n".encode(), "MISSING_COLUMNS"),
        ("uscc,name\n".encode("utf-16"), "BAD_ENCODING"),
    ],
)
async def test_unreadable_files_fail_clearly(
    db: Any, tmp_path: Path, content: bytes, code: str
) -> None:
    # Reproduces: such runs were recorded as "succeeded" with one quarantined "record".
    path = tmp_path / "firms.csv"
    path.write_bytes(content)
    result = await _import(path)
    assert result.status == "failed" and not result.finished
    assert result.error is not None and result.error.startswith(f"{code}: ")
    assert len(result.error) > len(code) + 10  # a sentence for a person
    assert result.accepted == 0 and await models.Firm.all().count() == 0
    assert await models.QuarantinedRecord.all().count() == 0
    run = await models.SyncRun.get(id=result.run_id)
    assert (run.status, run.error, run.lock_key) == ("failed", result.error, None)


async def test_missing_file_fails_the_run(db: Any, tmp_path: Path) -> None:
    result = await _import(tmp_path / "nope.csv")
    assert result.status == "failed" and (result.error or "").startswith("FILE_NOT_FOUND")


async def test_ten_megabyte_line_is_refused_and_neighbours_land(db: Any, tmp_path: Path) -> None:
    firms = _firms(3)
    rows = [HEADER] + [_row(f) for f in firms]
    rows[2] = [*rows[2][:-1], "X" * (10 * 1024 * 1024)]
    path = _write(tmp_path / "firms.csv", rows)
    result = await _import(path)
    assert result.accepted == 2 and result.quarantined == 1
    bad = await models.QuarantinedRecord.get()
    assert bad.code == "FIELD_TOO_LARGE" and bad.locator == "line 3"


async def test_unknown_columns_are_a_warning_not_a_record(db: Any, tmp_path: Path) -> None:
    firms = _firms(2)
    rows = [[*HEADER, "颜色"]] + [[*_row(f), "红"] for f in firms]
    result = await _import(_write(tmp_path / "firms.csv", rows))
    assert (result.read, result.accepted, result.quarantined) == (2, 2, 0)
    assert result.notes[0]["code"] == "UNKNOWN_COLUMNS"
    assert result.notes[0]["severity"] == "warning"


async def test_interrupted_import_resumes_at_the_byte_offset(db: Any, tmp_path: Path) -> None:
    from ingestion_support import StoppingSource, snapshot

    firms = _firms(9)
    path = _write(tmp_path / "firms.csv", [HEADER] + [_row(f) for f in firms])
    crashed = await run_sync(StoppingSource(FileSource(), 5), path=path, kind="firm", batch_size=2)
    assert crashed.status == "failed" and crashed.accepted == 4
    resumed = await run_sync(FileSource(), path=path, kind="firm", batch_size=2)
    assert resumed.status == "succeeded" and resumed.accepted == 5
    assert resumed.resumed_from == crashed.checkpoint
    assert (await snapshot())["firm"][0] == 9


def _rows_file(path: Path, rows: list[list[str]], *, middle: bytes, at: int) -> Path:
    """``rows`` as CSV, with raw bytes ``middle`` inserted before data row ``at``."""
    lines = [",".join(row).encode() + b"\n" for row in rows]
    path.write_bytes(b"".join(lines[: at + 1]) + middle + b"".join(lines[at + 1 :]))
    return path


async def test_huge_quoted_cell_costs_one_record_and_the_run_is_partial(
    db: Any, tmp_path: Path
) -> None:
    # Reproduces: a 50 MB quoted cell spanning lines became 47,105 quarantined rows, the
    # good rows after it were lost, and the run said "succeeded". 5 MB is enough: past the
    # record cap, csv's field limit used to cut the cell and restart mid-cell.
    firms = _firms(8)
    rows = [HEADER] + [_row(f) for f in firms]
    bad = f'{firms[0]["uscc"]},"'.encode() + b"A long cell\n" * 450_000 + b'end",C13,1,2,3,4,5,6\n'
    path = _rows_file(tmp_path / "firms.csv", rows, middle=bad, at=4)
    result = await _import(path)
    assert (result.read, result.accepted, result.quarantined) == (9, 8, 1)
    assert result.status == "partial"
    bad_row = await models.QuarantinedRecord.get()
    assert (bad_row.code, bad_row.locator) == ("FIELD_TOO_LARGE", "line 6")
    assert await models.Firm.all().count() == 8
    run = await models.SyncRun.get(id=result.run_id)
    assert (run.status, run.quarantined) == ("partial", 1)


async def test_quote_never_closed_costs_one_record(db: Any, tmp_path: Path) -> None:
    firms = _firms(5)
    rows = [HEADER] + [_row(f) for f in firms]
    broken = f'{firms[0]["uscc"]},"unclosed name,C13,110105,2020-01-01,1,2,存续,BJ01\n'.encode()
    path = _rows_file(tmp_path / "firms.csv", rows, middle=broken, at=2)
    result = await _import(path)
    assert (result.accepted, result.quarantined, result.status) == (5, 1, "partial")
    assert (await models.QuarantinedRecord.get()).code == "BAD_ROW"


@pytest.mark.parametrize("date", ["2020-01-05 or 2021-05-01", "2020-01-05T25:99"])
async def test_dates_with_trailing_text_are_refused_not_cut(
    db: Any, tmp_path: Path, date: str
) -> None:
    # Reproduces: such dates were stored as their leading date (2020-01-05).
    firms = _firms(3)
    rows = [HEADER] + [_row(f) for f in firms]
    rows[2][4] = date
    result = await _import(_write(tmp_path / "firms.csv", rows))
    assert (result.accepted, result.quarantined) == (2, 1)
    bad = await models.QuarantinedRecord.get()
    assert (bad.code, bad.field) == ("BAD_FORMAT", "established_on")
    assert not await models.Firm.filter(uscc=firms[1]["uscc"]).exists()


async def test_implausible_dates_and_formula_text_are_flagged_and_kept(
    db: Any, tmp_path: Path
) -> None:
    firms = _firms(4)
    rows = [HEADER] + [_row(f) for f in firms]
    rows[1][4] = "1850-01-01"
    rows[2][4] = "9999-12-31"
    rows[3][1] = '=HYPERLINK("http://evil.example","点击")'
    rows[4][1] = " @SUM(A1)"
    result = await _import(_write(tmp_path / "firms.csv", rows))
    assert (result.accepted, result.quarantined, result.status) == (4, 0, "succeeded")
    assert result.flagged == 4
    assert result.flagged_by_code == {
        "IMPLAUSIBLE_DATE": {"firm.established_on": 2},
        "FORMULA_TEXT": {"firm.name": 2},
    }
    run = await models.SyncRun.get(id=result.run_id)
    assert run.flagged_by_code == result.flagged_by_code
    assert {(f["code"], f["locator"]) for f in run.flags} == {
        ("IMPLAUSIBLE_DATE", "line 2"),
        ("IMPLAUSIBLE_DATE", "line 3"),
        ("FORMULA_TEXT", "line 4"),
        ("FORMULA_TEXT", "line 5"),
    }
    stored = await models.Firm.get(uscc=firms[2]["uscc"])
    assert stored.name.startswith("=HYPERLINK")  # kept as given: exports neutralise it


async def test_every_import_writes_one_audit_row_in_its_transaction(
    db: Any, tmp_path: Path
) -> None:
    from smecredit.security.audit_chain import digest_change
    from smecredit.services import audit

    firms = _firms(3)
    rows = [HEADER] + [_row(f) for f in firms]
    rows[2][0] = "bad"
    path = _write(tmp_path / "firms.csv", rows)
    before = await models.AuditLog.all().count()
    result = await _import(path)
    entries = await models.AuditLog.filter(seq__gt=before).order_by("seq")
    # the import's own row, then the refresh of the firms it brought (a warning scan of
    # them, and the refresh job's end)
    assert result.refresh_job_id is not None and result.refresh_status == "succeeded"
    assert [(e.actor, e.action, e.resource) for e in entries] == [
        ("system", "data.import", f"SyncRun:{result.run_id}"),
        (f"sync-run:{result.run_id}", "warning_scan.run", entries[1].resource),
        ("system", "source.refresh", f"RefreshJob:{result.refresh_job_id}"),
    ]
    run = await models.SyncRun.get(id=result.run_id)
    assert (run.actor, run.operation, run.file_name) == ("system", "data.import", "firms.csv")
    assert run.file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    after = {
        "source": "files",
        "kind": "firm",
        "file": "firms.csv",
        "sha256": run.file_sha256,
        "status": "partial",
        "read": 3,
        "accepted": 2,
        "quarantined": 1,
        "flagged": 0,
        "resumed_from_run": False,
        "since": None,
        "since_remembered": False,
        "refresh_job": result.refresh_job_id,
        "error": None,
    }
    assert entries[0].change_digest == digest_change(None, after, key=None)  # what it proves
    assert (await audit.verify()).ok


async def test_import_is_refused_to_a_role_without_data_import(db: Any, tmp_path: Path) -> None:
    from smecredit.errors import PermissionDenied
    from smecredit.security.principal import Principal

    path = _write(tmp_path / "firms.csv", [HEADER] + [_row(f) for f in _firms(1)])
    officer = Principal(user_id=5, username="o", roles=("loan_officer",), branch_code="HZ01")
    with pytest.raises(PermissionDenied):
        await run_sync(FileSource(), path=path, kind="firm", actor=officer)
    analyst = Principal(user_id=6, username="ana", roles=("risk_analyst",), branch_code="HQ")
    result = await run_sync(FileSource(), path=path, kind="firm", actor=analyst)
    assert result.ok and (await models.SyncRun.get(id=result.run_id)).actor == "ana"
    assert await models.SyncRun.all().count() == 1
