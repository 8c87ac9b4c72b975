"""Formula-like text is recognised and neutralised; everything else passes unchanged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smecredit.domain.spreadsheet import is_formula_like, neutralise_cell, neutralise_row


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+1", "-1", "@A1", "  =x", "\t=x", "\r=x", "\n@x", "\u3000=x", "\tanything"],
)
def test_formula_leads(text: str) -> None:
    assert is_formula_like(text)
    assert neutralise_cell(text) == "'" + text
    assert not is_formula_like(neutralise_cell(text))


@pytest.mark.parametrize("text", ["", "   ", "abc", "a=b", "甲公司", "'=already"])
def test_plain_text(text: str) -> None:
    assert not is_formula_like(text)
    assert neutralise_cell(text) == text


@pytest.mark.parametrize("value", [-1, -1.5, Decimal("-2.00"), dt.date(2020, 1, 1), None, True])
def test_non_text_values_pass_unchanged(value: object) -> None:
    assert neutralise_cell(value) is value


def test_rows() -> None:
    assert neutralise_row(["=x", 1, "y"]) == ["'=x", 1, "y"]
    assert neutralise_row({"a": "@x", "b": -3}) == {"a": "'@x", "b": -3}


@given(st.text())
def test_neutralised_text_never_starts_a_formula(text: str) -> None:
    assert not is_formula_like(neutralise_cell(text))
