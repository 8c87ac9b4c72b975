"""Malformed partner files through the files source: clear errors, nothing lost."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from smecredit_source_files.plugin import FileSource
from smecredit_source_synthetic.generator import generate_portfolio

from smecredit import models
from smecredit.services.ingestion import run_sync

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
    assert quarantined["line 3"].raw_record["uscc"] == rows[2][0]  # kept as given
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
        ("企业名称,行业代码\n某某公司,C13\n".encode(), "MISSING_COLUMNS"),
        ("uscc,name\n".encode("utf-16"), "BAD_ENCODING"),
    ],
)
async def test_unreadable_files_fail_clearly(
    db: Any, tmp_path: Path, content: bytes, code: str
) -> None:
    path = tmp_path / "firms.csv"
    path.write_bytes(content)
    result = await _import(path)
    assert result.accepted == 0 and await models.Firm.all().count() == 0
    assert result.notes and result.notes[0]["code"] == code
    assert result.notes[0]["message"]  # a sentence for a person
    quarantined = await models.QuarantinedRecord.all()
    assert [q.code for q in quarantined] == [code]


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
