"""read_rows: encodings, xlsx, mapping, and every way a partner file goes wrong."""

from __future__ import annotations

import csv
import datetime as dt
import os
import tempfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from smecredit_source_files.mapping import HeaderMapping
from smecredit_source_files.readers import MAX_LINE_BYTES, ReaderError, RowResult, read_rows

HEADER = "统一社会信用代码,企业名称,法定代表人,成立日期,注册资本"
ROWS = [
    "91110105MA01ABCDEB,北京甲科技有限公司,张三,2019/3/5,500万",
    '91310000MA1FL4XK35,"上海乙贸易有限公司,分公司",李四,20200101,"1,000,000.00"',
]
EXPECTED = [
    {
        "uscc": "91110105MA01ABCDEB",
        "name": "北京甲科技有限公司",
        "representative": {"name": "张三"},
        "established_on": "2019/3/5",
        "registered_capital": "500万",
    },
    {
        "uscc": "91310000MA1FL4XK35",
        "name": "上海乙贸易有限公司,分公司",
        "representative": {"name": "李四"},
        "established_on": "20200101",
        "registered_capital": "1,000,000.00",
    },
]


def _write(path: Path, lines: list[str], encoding: str = "utf-8", newline: str = "\r\n") -> Path:
    path.write_bytes(newline.join(lines).encode(encoding) + newline.encode())
    return path


def _records(results: list[RowResult]) -> list[dict[str, object]]:
    return [r.record for r in results if r.record is not None]


def _errors(results: list[RowResult]) -> list[tuple[int, str]]:
    return [(r.line, r.error.code) for r in results if r.error is not None]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_chinese_csv_in_each_encoding(tmp_path: Path, encoding: str) -> None:
    path = _write(tmp_path / "firms.csv", [HEADER, *ROWS], encoding)
    results = list(read_rows(path, kind="firm"))
    assert _errors(results) == []
    assert _records(results) == EXPECTED
    assert [r.line for r in results] == [2, 3]


def test_gbk_after_a_long_ascii_start_is_still_decoded(tmp_path: Path) -> None:
    # the first 64 KiB are ASCII, so detection cannot tell UTF-8 from GBK yet
    filler = [f"91110105MA01ABCDEB,Firm {i},Zhang,2019-03-05,1" for i in range(2000)]
    path = _write(tmp_path / "late.csv", [HEADER, *filler, ROWS[0]], "gbk")
    results = list(read_rows(path, kind="firm"))
    assert _errors(results) == []
    assert _records(results)[-1] == EXPECTED[0]


def test_explicit_encoding_overrides_detection(tmp_path: Path) -> None:
    path = _write(tmp_path / "firms.csv", [HEADER, *ROWS], "gbk")
    results = list(read_rows(path, kind="firm", encoding="gb18030"))
    assert _records(results) == EXPECTED
    wrong = list(read_rows(path, kind="firm", encoding="utf-8"))
    assert wrong[0].error is not None and wrong[0].error.code == "BAD_ENCODING"
    unknown = list(read_rows(path, kind="firm", encoding="klingon"))
    assert _errors(unknown) == [(0, "BAD_ENCODING")]


def test_xlsx(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "企业"
    sheet.append(["统一社会信用代码", "企业名称", "成立日期", "从业人数", None])
    sheet.append(["91110105MA01ABCDEB", "北京甲科技有限公司", dt.datetime(2019, 3, 5), 35])
    sheet.append([None, None, None, None])
    sheet.append(["91310000MA1FL4XK35", "上海乙贸易有限公司", 45356, 12.0, "stray"])
    other = workbook.create_sheet("其他")
    other.append(["统一社会信用代码", "企业名称"])
    other.append(["91310000MA1FL4XK35", "乙"])
    path = tmp_path / "firms.xlsx"
    workbook.save(path)

    results = list(read_rows(path, kind="firm"))
    first_firm = {
        "uscc": "91110105MA01ABCDEB",
        "name": "北京甲科技有限公司",
        "established_on": dt.datetime(2019, 3, 5),
        "employees": 35,
    }
    assert _records(results) == [first_firm]
    assert _errors(results) == [(4, "BAD_ROW")]
    assert results[0].line == 2
    assert _records(list(read_rows(path, kind="firm", sheet="其他"))) == [
        {"uscc": "91310000MA1FL4XK35", "name": "乙"}
    ]
    assert _errors(list(read_rows(path, kind="firm", sheet="nope"))) == [(0, "UNKNOWN_SHEET")]


def test_xlsx_resume(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["uscc", "name"])
    for i in range(10):
        sheet.append([f"U{i}", f"firm {i}"])
    path = tmp_path / "firms.xlsx"
    workbook.save(path)
    first = list(read_rows(path, kind="firm"))
    checkpoint = first[3].checkpoint
    rest = list(read_rows(path, kind="firm", resume_from=checkpoint))
    assert _records(rest) == _records(first)[4:]


def test_mapping_override(tmp_path: Path) -> None:
    (tmp_path / "partner.toml").write_text(
        '[firm.columns]\n"客户编码" = "uscc"\n"客户名称" = "name"\n'
        '"注册资本" = { field = "registered_capital", unit = "万" }\n',
        encoding="utf-8",
    )
    mapping = HeaderMapping.from_toml(tmp_path / "partner.toml")
    path = _write(
        tmp_path / "f.csv", ["客户编码,客户名称,注册资本,联系地址,内部评级", "U1,甲,500,北京,A"]
    )
    results = list(read_rows(path, kind="firm", mapping=mapping))
    assert _records(results) == [{"uscc": "U1", "name": "甲", "registered_capital": "500万"}]
    (warning,) = [r.error for r in results if r.error is not None]
    assert warning.code == "UNKNOWN_COLUMNS" and warning.severity == "warning"
    assert "联系地址" in warning.message and "内部评级" in warning.message


def test_missing_columns_reported_once_before_rows(tmp_path: Path) -> None:
    path = _write(tmp_path / "loans.csv", ["贷款金额,年利率", "1000,4.35%", "2000,5%"])
    results = list(read_rows(path, kind="loan"))
    assert len(results) == 1
    error = results[0].error
    assert error is not None and error.code == "MISSING_COLUMNS"
    assert "loan_ref" in error.message and "firm_uscc" in error.message
    assert "借据号" in error.message  # tells the user which header would do


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n\r\n  \n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    assert _errors(list(read_rows(path, kind="firm"))) == [(0, "EMPTY_FILE")]


def test_header_only_gives_no_rows_and_no_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "h.csv", [HEADER])
    assert list(read_rows(path, kind="firm")) == []


def test_ten_megabyte_line_is_a_row_error_and_reading_continues(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("wb") as out:
        out.write(f"{HEADER}\n{ROWS[0]}\n".encode())
        out.write(b"91110105MA01ABCDEB," + b"x" * (10 * 1024 * 1024) + b",a,b,c\n")
        out.write(f"{ROWS[1]}\n".encode())
    results = list(read_rows(path, kind="firm"))
    assert _errors(results) == [(3, "FIELD_TOO_LARGE")]
    assert _records(results) == EXPECTED
    assert results[-1].line == 4


def test_large_field_within_a_normal_line(tmp_path: Path) -> None:
    cell = "y" * (2 * 1024 * 1024)  # over the 1 MiB field cap, under the line cap
    assert len(cell) < MAX_LINE_BYTES
    path = _write(tmp_path / "f.csv", [HEADER, f"U1,{cell},a,b,c", ROWS[0]])
    results = list(read_rows(path, kind="firm"))
    assert _errors(results) == [(2, "FIELD_TOO_LARGE")]
    assert results[0].error is not None and "企业名称" in results[0].error.message
    assert _records(results) == EXPECTED[:1]


def test_bad_rows_are_reported_and_skipped(tmp_path: Path) -> None:
    lines = [HEADER, ROWS[0], "too,few", ROWS[1], "a,b,c,d,e,f", "a,b,c,d,e,,,"]
    path = _write(tmp_path / "f.csv", lines)
    results = list(read_rows(path, kind="firm"))
    assert _errors(results) == [(3, "BAD_ROW"), (5, "BAD_ROW")]
    assert "line 3" in results[1].error.message  # type: ignore[union-attr]
    assert len(_records(results)) == 3  # trailing empty cells are tolerated


def test_multiline_quoted_cell_keeps_line_numbers(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "f.csv", [HEADER, 'U1,"甲\n公司",张三,2019-01-01,1', ROWS[0]], newline="\n"
    )
    results = list(read_rows(path, kind="firm"))
    assert [r.line for r in results] == [2, 4]
    assert _records(results)[0]["name"] == "甲\n公司"


def test_binary_garbage(tmp_path: Path) -> None:
    with_nul = tmp_path / "garbage.csv"
    with_nul.write_bytes(os.urandom(4096) + b"\x00")
    assert _errors(list(read_rows(with_nul, kind="firm"))) == [(0, "UNSUPPORTED_FILE")]
    high_bytes = tmp_path / "latin.csv"
    high_bytes.write_bytes(HEADER.encode() + b"\n" + bytes(range(0x80, 0x100)) * 4)
    results = list(read_rows(high_bytes, kind="firm"))
    assert _errors(results) == [(0, "BAD_ENCODING")]
    assert "offset" in results[0].error.message  # type: ignore[union-attr]


@pytest.mark.parametrize("filler_rows", [0, 3000])
def test_undecodable_line_is_a_row_error(tmp_path: Path, filler_rows: int) -> None:
    # with no filler the encoding is given; with 3000 UTF-8 rows detection sees only good bytes
    filler = "".join(f"U{i},企业{i},张,2019-01-01,1\n" for i in range(filler_rows))
    path = tmp_path / "f.csv"
    path.write_bytes(
        f"{HEADER}\n{filler}{ROWS[0]}\n".encode() + b"U1,\xff\xfe,a,b,c\n" + f"{ROWS[1]}\n".encode()
    )
    results = list(read_rows(path, kind="firm", encoding=None if filler_rows else "utf-8"))
    bad_line = filler_rows + 3
    assert _errors(results) == [(bad_line, "BAD_ENCODING")]
    message = results[filler_rows + 1].error.message  # type: ignore[union-attr]
    assert f"line {bad_line}" in message and "0xff" in message
    assert len(_records(results)) == filler_rows + 2


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("f.xls", b"\xd0\xcf\x11\xe0"),
        ("f.json", b"{}"),
        ("f.xlsx", b"a,b\n1,2\n"),
        ("x.csv", b"PK\x03\x04rest"),
    ],
)
def test_unsupported_files(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert _errors(list(read_rows(path, kind="firm"))) == [(0, "UNSUPPORTED_FILE")]


def test_missing_file_and_unknown_kind(tmp_path: Path) -> None:
    assert _errors(list(read_rows(tmp_path / "none.csv", kind="firm"))) == [(0, "FILE_NOT_FOUND")]
    with pytest.raises(ReaderError) as caught:
        list(read_rows(tmp_path / "none.csv", kind="spaceship"))
    assert caught.value.code == "UNKNOWN_KIND"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_resume_from_checkpoint_skips_processed_rows(tmp_path: Path, encoding: str) -> None:
    lines = [HEADER] + [f"U{i},企业{i},张{i},2019-01-01,{i}" for i in range(50)]
    lines[10] = 'U9,"多行\n名称",张,2019-01-01,9'
    path = _write(tmp_path / "f.csv", lines, encoding, newline="\n")
    everything = list(read_rows(path, kind="firm"))
    for cut in (0, 8, 9, 30, 49):
        checkpoint = everything[cut].checkpoint
        assert checkpoint is not None and checkpoint.offset is not None
        resumed = list(read_rows(path, kind="firm", resume_from=checkpoint))
        assert resumed == everything[cut + 1 :]


def test_offset_points_at_the_next_row(tmp_path: Path) -> None:
    path = _write(tmp_path / "f.csv", [HEADER, *ROWS], "utf-8-sig", newline="\n")
    data = path.read_bytes()
    first = next(read_rows(path, kind="firm"))
    assert first.offset is not None
    assert data[first.offset :].decode().startswith(ROWS[1])


def test_tsv(tmp_path: Path) -> None:
    path = _write(tmp_path / "f.tsv", ["统一社会信用代码\t企业名称", "U1\t甲,乙"])
    assert _records(list(read_rows(path, kind="firm"))) == [{"uscc": "U1", "name": "甲,乙"}]


cell_text = st.text(
    st.characters(codec="gb18030", exclude_categories=("Cs", "Cc")) | st.sampled_from(',"\n\r '),
    max_size=30,
)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(cell_text, cell_text, cell_text), max_size=20),
    st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
)
def test_csv_round_trip(rows: list[tuple[str, str, str]], encoding: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        with path.open("w", encoding=encoding, newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["统一社会信用代码", "企业名称", "经营状态"])
            writer.writerows(rows)
        results = list(read_rows(path, kind="firm"))
    kept = [r for r in rows if "".join(r).strip()]  # blank rows are skipped by design
    assert _errors(results) == []
    assert _records(results) == [{"uscc": a, "name": b, "status": c} for a, b, c in kept]


def _huge_quoted_row(lines: int, width: int = 63) -> bytes:
    """A firm row whose name is a quoted cell of ``lines`` lines: larger than any cap."""
    return b'U1,"' + (b"z" * width + b"\n") * lines + b'end",a,b,c\n'


def test_huge_quoted_cell_spanning_lines_costs_one_row(tmp_path: Path) -> None:
    lines = MAX_LINE_BYTES // 64 + 1000  # past the record cap, in lines of 64 bytes
    path = tmp_path / "big.csv"
    path.write_bytes(
        f"{HEADER}\n{ROWS[0]}\n".encode() + _huge_quoted_row(lines) + f"{ROWS[1]}\n".encode()
    )
    results = list(read_rows(path, kind="firm"))
    assert _errors(results) == [(3, "FIELD_TOO_LARGE")]
    assert _records(results) == EXPECTED
    assert results[-1].line == 3 + lines + 1  # line numbers still count every line


def test_huge_line_inside_a_quoted_cell_costs_one_row(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(
        f"{HEADER}\n".encode()
        + b'U1,"start\n'
        + b"x" * (MAX_LINE_BYTES + 10)
        + b'\nmore, ""quoted"" words\nend",a,b,c\n'
        + f"{ROWS[0]}\n{ROWS[1]}\n".encode()
    )
    results = list(read_rows(path, kind="firm"))
    assert _errors(results) == [(2, "FIELD_TOO_LARGE")]
    assert _records(results) == EXPECTED


def test_quote_never_closed_costs_one_row(tmp_path: Path) -> None:
    lines = [HEADER, ROWS[0], 'U1,"broken name,张三,2019-01-01,1', ROWS[0], ROWS[0]]
    path = _write(tmp_path / "f.csv", lines, newline="\n")
    results = list(read_rows(path, kind="firm"))
    assert _errors(results) == [(3, "BAD_ROW")]
    assert "never closed" in results[1].error.message  # type: ignore[union-attr]
    assert _records(results) == [EXPECTED[0]] * 3
    assert [r.line for r in results] == [2, 3, 4, 5]


def test_after_a_quote_never_closed_each_line_is_one_row(tmp_path: Path) -> None:
    # The rest of the file is read line by line: "" stays a literal pair in a plain cell.
    lines = [HEADER, 'U1,"broken,a,b,c', ROWS[0], 'U4,a""b,c,d,e', ROWS[0]]
    path = _write(tmp_path / "f.csv", lines, newline="\n")
    results = list(read_rows(path, kind="firm"))
    assert _errors(results) == [(2, "BAD_ROW")]
    assert _records(results)[1]["name"] == 'a""b'
    assert len(_records(results)) == 3
    for cut in range(len(results) - 1):  # resuming goes on reading line by line
        checkpoint = results[cut].checkpoint
        assert list(read_rows(path, kind="firm", resume_from=checkpoint)) == results[cut + 1 :]


def test_resume_after_a_huge_cell(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(
        f"{HEADER}\n".encode() + _huge_quoted_row(MAX_LINE_BYTES // 64 + 10)
        + f"{ROWS[0]}\n{ROWS[1]}\n".encode()
    )  # fmt: skip
    results = list(read_rows(path, kind="firm"))
    assert [r.error.code if r.error else None for r in results] == ["FIELD_TOO_LARGE", None, None]
    resumed = list(read_rows(path, kind="firm", resume_from=results[0].checkpoint))
    assert resumed == results[1:]
