"""Each format conversion, by example."""

from __future__ import annotations

import datetime as dt

import pytest

from smecredit.domain.cleaning.convert import (
    ConversionError,
    is_null,
    nfkc,
    to_amount,
    to_count,
    to_date,
    to_datetime,
    to_industry_code,
    to_month,
    to_rate,
    to_region_code,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-05", "2024-03-05"),
        ("2024/03/05", "2024-03-05"),
        ("2024/3/5", "2024-03-05"),
        ("2024-3-5", "2024-03-05"),
        ("2024.3.5", "2024-03-05"),
        ("20240305", "2024-03-05"),
        ("2024年3月5日", "2024-03-05"),
        (" 2024 年 03 月 05 日 ", "2024-03-05"),
        ("２０２４－０３－０５", "2024-03-05"),
        ("2024-03-05 00:00:00", "2024-03-05"),
        (dt.date(2024, 3, 5), "2024-03-05"),
        (dt.datetime(2024, 3, 5, 17, 30), "2024-03-05"),
        (45356, "2024-03-05"),
        (45356.75, "2024-03-05"),
        (20240305, "2024-03-05"),
        (1, "1900-01-01"),
        (61, "1900-03-01"),
    ],
)
def test_dates(raw: object, expected: str) -> None:
    assert to_date(raw).value == expected


@pytest.mark.parametrize(
    "raw", ["2024-02-30", "2024-13-01", "next tuesday", "05/03/2024", 60, 0, True]
)
def test_bad_dates(raw: object) -> None:
    with pytest.raises(ConversionError) as caught:
        to_date(raw)
    assert caught.value.code == "BAD_FORMAT"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03", "2024-03"),
        ("2024/3", "2024-03"),
        ("2024.3", "2024-03"),
        ("202403", "2024-03"),
        ("2024年3月", "2024-03"),
        ("2024年03月", "2024-03"),
        ("2024-03-31", "2024-03"),
        (202403, "2024-03"),
        (dt.date(2024, 3, 31), "2024-03"),
    ],
)
def test_months(raw: object, expected: str) -> None:
    assert to_month(raw).value == expected


@pytest.mark.parametrize("raw", ["2024-13", "202400", "March"])
def test_bad_months(raw: str) -> None:
    with pytest.raises(ConversionError):
        to_month(raw)


@pytest.mark.parametrize(
    ("raw", "expected", "converted"),
    [
        ("1,234.50", "1234.50", False),
        ("1234.5", "1234.50", False),
        ("1234.505", "1234.51", False),
        ("12.5万", "125000.00", True),
        ("12.5万元", "125000.00", True),
        ("1.2亿", "120000000.00", True),
        ("3千元", "3000.00", True),
        ("(1,234)", "-1234.00", False),
        ("-1,234", "-1234.00", False),
        ("¥1,234", "1234.00", False),
        ("￥1,234", "1234.00", False),
        ("RMB 1,234", "1234.00", False),
        ("１２３４．５", "1234.50", False),
        ("1.2E+5", "120000.00", False),
        ("-0.001", "0.00", False),
        (1234, "1234.00", False),
        (1234.5, "1234.50", False),
        (0.1, "0.10", False),
    ],
)
def test_amounts(raw: object, expected: str, converted: bool) -> None:
    result = to_amount(raw)
    assert result.value == expected
    assert (result.unit_note is not None) == converted


@pytest.mark.parametrize(
    "raw", ["twelve", "1.2.3", "NaN", "Infinity", float("inf"), True, "12美元"]
)
def test_bad_amounts(raw: object) -> None:
    with pytest.raises(ConversionError) as caught:
        to_amount(raw)
    assert caught.value.code == "BAD_FORMAT"


def test_negative_amount_refused_where_not_allowed() -> None:
    with pytest.raises(ConversionError) as caught:
        to_amount("(5.00)", allow_negative=False)
    assert caught.value.code == "OUT_OF_RANGE"


@pytest.mark.parametrize(
    ("raw", "expected", "converted"),
    [
        ("4.35%", "0.0435", True),
        ("4.35", "0.0435", True),
        ("0.0435", "0.0435", False),
        ("0.05", "0.05", False),
        ("0.050000", "0.05", False),
        (0.0435, "0.0435", False),
        ("12%", "0.12", True),
    ],
)
def test_rates(raw: object, expected: str, converted: bool) -> None:
    result = to_rate(raw)
    assert result.value == expected
    assert (result.unit_note is not None) == converted


@pytest.mark.parametrize("raw", ["-1%", "100%", "150"])
def test_bad_rates(raw: str) -> None:
    with pytest.raises(ConversionError) as caught:
        to_rate(raw)
    assert caught.value.code == "OUT_OF_RANGE"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1,200", 1200), ("35人", 35), ("12个月", 12), (12.0, 12), (7, 7), ("０", 0)],
)
def test_counts(raw: object, expected: int) -> None:
    assert to_count(raw).value == expected


@pytest.mark.parametrize(
    ("raw", "code"), [("12.5", "BAD_FORMAT"), ("-3", "OUT_OF_RANGE"), ("many", "BAD_FORMAT")]
)
def test_bad_counts(raw: str, code: str) -> None:
    with pytest.raises(ConversionError) as caught:
        to_count(raw)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("C13", "C13"),
        ("c13", "C13"),
        ("C1310", "C13"),
        ("13", "C13"),
        ("Ｆ５２", "F52"),
        (52, "F52"),
    ],
)
def test_industry_codes(raw: object, expected: str) -> None:
    assert to_industry_code(raw).value == expected


@pytest.mark.parametrize("raw", ["A13", "C99", "Z01", "C", "manufacturing"])
def test_bad_industry_codes(raw: str) -> None:
    with pytest.raises(ConversionError) as caught:
        to_industry_code(raw)
    assert caught.value.code == "BAD_CODE"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("110105", "110105"),
        (110105, "110105"),
        ("１１０１０５", "110105"),
        ("110105001000", "110105"),
    ],
)
def test_region_codes(raw: object, expected: str) -> None:
    assert to_region_code(raw).value == expected


@pytest.mark.parametrize("raw", ["11010", "010105", "91010X"])
def test_bad_region_codes(raw: str) -> None:
    with pytest.raises(ConversionError):
        to_region_code(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-05-01T10:00:00+08:00", "2024-05-01T10:00:00+08:00"),
        ("2024-05-01 10:00:00", "2024-05-01T10:00:00Z"),
        ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"),
        (dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC), "2024-05-01T10:00:00Z"),
    ],
)
def test_datetimes(raw: object, expected: str) -> None:
    assert to_datetime(raw).value == expected


@pytest.mark.parametrize(
    "raw", [None, "", " ", "NULL", "null", "-", "--", "N/A", "n/a", "ＮＵＬＬ", float("nan")]
)
def test_null_tokens(raw: object) -> None:
    assert is_null(raw)


@pytest.mark.parametrize("raw", [0, "0", "NULLABLE", "a", 0.0])
def test_not_null(raw: object) -> None:
    assert not is_null(raw)


def test_nfkc_folds_full_width_and_blanks() -> None:
    assert nfkc("　ＡＢＣ（中国）  有限公司 ") == "ABC(中国) 有限公司"
