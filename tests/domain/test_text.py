"""The pure boundary checks of smecredit.domain.text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from smecredit.domain.text import (
    code_problem,
    date_problem,
    decimal_problem,
    is_ascii_digits,
    number_problem,
    text_problem,
)


def test_text() -> None:
    assert text_problem("Zhang San", max_length=200) is None
    assert "201" in (text_problem("x" * 201, max_length=200) or "")
    assert "U+0000" in (text_problem("a\x00", max_length=9) or "")
    assert "U+009F" in (text_problem("a\x9f", max_length=9) or "")
    assert "U+202E" in (text_problem("a\u202eb", max_length=9) or "")
    assert text_problem("a\nb\tc", max_length=9) is not None
    assert text_problem("a\nb\tc \u2067x\u2069", max_length=99, multiline=True) is None
    assert text_problem("a\x0bb", max_length=9, multiline=True) is not None
    assert text_problem("p\u202ess", max_length=9, allow_bidi=True) is None


def test_codes_take_ascii_digits_only() -> None:
    assert code_problem("330106", max_length=6, digits_only=True) is None
    for bad in ("３３０１０６", "٣٣٠١٠٦", "33O106"):
        assert code_problem(bad, max_length=6, digits_only=True) is not None
    assert code_problem("SME-WC", max_length=64) is None
    assert is_ascii_digits("0123") and not is_ascii_digits("٣") and not is_ascii_digits("")


def test_decimals() -> None:
    money = {"max_digits": 18, "decimal_places": 2}
    assert decimal_problem(Decimal("1000000.50"), **money) is None
    assert decimal_problem(Decimal("9999999999999999.99"), **money) is None
    for bad in ("NaN", "sNaN", "Infinity", "1e16", "1e400", "0.001", "1E+999999999"):
        assert decimal_problem(Decimal(bad), **money) is not None, bad
    assert decimal_problem(Decimal("1.10"), **money) is None
    assert decimal_problem(Decimal("-1"), minimum=Decimal(0), **money) is not None


@settings(max_examples=200, deadline=None)
@given(st.decimals(allow_nan=True, allow_infinity=True))
def test_an_accepted_decimal_fits_its_column(value: Decimal) -> None:
    if decimal_problem(value, max_digits=18, decimal_places=2) is None:
        assert value.is_finite()
        assert abs(value) < Decimal(10) ** 16
        assert value.quantize(Decimal("0.01")) == value


def test_numbers_and_dates() -> None:
    assert number_problem(float("nan")) is not None
    assert number_problem(5, minimum=1, maximum=9) is None
    assert number_problem(10, minimum=1, maximum=9) is not None
    window = {"earliest": dt.date(1900, 1, 1), "latest": dt.date(2026, 1, 1)}
    assert date_problem(dt.date(2001, 5, 4), **window) is None
    assert date_problem(dt.date(9999, 12, 31), **window) is not None
    assert date_problem(dt.date(1, 1, 1), **window) is not None
    assert date_problem(dt.datetime(2001, 5, 4, tzinfo=dt.UTC), **window) is None
