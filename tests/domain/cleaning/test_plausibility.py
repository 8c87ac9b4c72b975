"""Dates with trailing text are refused; implausible dates and formula text are flagged."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smecredit.domain.cleaning import FORMULA_TEXT, IMPLAUSIBLE_DATE, flag_implausible
from smecredit.domain.cleaning.convert import ConversionError, to_date, to_month
from smecredit.domain.cleaning.normalise import normalise_record

TODAY = dt.date(2026, 1, 15)


@pytest.mark.parametrize(
    "text",
    [
        "2020-01-05 or 2021-05-01",
        "2020-01-05T25:99",
        "2020-01-05 12:60",
        "2020-01-05T10:00:00 extra",
        "2020-01-05Tnonsense",
        "٢٠٢٠-٠١-٠٥",  # Arabic-Indic digits: int() reads them, a code must not
    ],
)
def test_dates_with_trailing_text_are_refused(text: str) -> None:
    with pytest.raises(ConversionError) as caught:
        to_date(text)
    assert caught.value.code == "BAD_FORMAT"
    with pytest.raises(ConversionError):
        to_month(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-01-05", "2020-01-05"),
        ("2020-01-05 00:00:00", "2020-01-05"),
        ("2020/1/5 9:30", "2020-01-05"),
        ("2020-01-05T23:59:59.123+08:00", "2020-01-05"),
        ("２０２０－０１－０５", "2020-01-05"),  # full-width: NFKC makes it ASCII
    ],
)
def test_dates_with_a_real_time_of_day_are_read(text: str, expected: str) -> None:
    assert to_date(text).value == expected


def test_record_with_a_trailing_text_date_has_an_error_not_the_leading_date() -> None:
    result = normalise_record("firm", {"established_on": "2020-01-05 or 2021-05-01"})
    issue = next(i for i in result.issues if i.field == "established_on")
    assert issue.code == "BAD_FORMAT" and issue.severity == "error"
    assert result.record["established_on"] == "2020-01-05 or 2021-05-01"  # kept as given


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"established_on": "1899-12-31"}, "established_on"),
        ({"established_on": "9999-12-31"}, "established_on"),
        ({"established_on": "2026-01-16"}, "established_on"),
    ],
)
def test_implausible_founding_dates_are_flagged(record: dict[str, str], field: str) -> None:
    (issue,) = flag_implausible("firm", record, today=TODAY)
    assert (issue.code, issue.field, issue.severity) == (IMPLAUSIBLE_DATE, field, "warning")


def test_future_dates_are_fine_where_the_future_is_meant() -> None:
    loan = {"maturity_on": "2030-01-01", "disbursed_on": "2025-12-01"}
    assert flag_implausible("loan", loan, today=TODAY) == []
    assert flag_implausible("firm", {"established_on": "2026-01-15"}, today=TODAY) == []
    (old,) = flag_implausible("loan", {"maturity_on": "1850-01-01"}, today=TODAY)
    assert old.code == IMPLAUSIBLE_DATE


@pytest.mark.parametrize(
    "text", ["=1+1", "+1", "-2+3", "@SUM(A1)", " =HYPERLINK(x)", "\t=cmd", "\r=1", "\tplain"]
)
def test_formula_like_text_is_flagged(text: str) -> None:
    record = {"name": "ok", "representative": {"name": text}}
    (issue,) = flag_implausible("firm", record, today=TODAY)
    assert (issue.code, issue.field) == (FORMULA_TEXT, "representative.name")


def test_numbers_and_plain_text_are_not_flagged() -> None:
    record = {"name": "甲公司 = 乙", "registered_capital": "-100.00", "uscc": "-"}
    assert flag_implausible("firm", record, today=TODAY) == []


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY))
def test_every_plausible_founding_date_passes(day: dt.date) -> None:
    assert flag_implausible("firm", {"established_on": day.isoformat()}, today=TODAY) == []
