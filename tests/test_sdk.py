"""The SDK's helpers for scoring-model plugins: missing values, numbers, the input error."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from smecredit import sdk
from smecredit.errors import error_code
from smecredit.sdk import ModelInputError, as_float, is_missing


@pytest.mark.parametrize(
    "value", [None, "", math.nan, float("nan"), np.float32("nan"), np.nan, Decimal("NaN")]
)
def test_missing_values(value: Any) -> None:
    assert is_missing(value)
    assert math.isnan(as_float(value))


@pytest.mark.parametrize(
    "value", [0, 0.0, -1.5, " ", "x", "nan-ish", True, False, Decimal("2.5"), [1], {"a": 1}]
)
def test_present_values(value: Any) -> None:
    assert not is_missing(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3.0), ("2.5", 2.5), (" 7 ", 7.0), (Decimal("1.25"), 1.25), (True, 1.0)],
)
def test_numbers_convert(value: Any, expected: float) -> None:
    assert as_float(value) == expected


@pytest.mark.parametrize("value", ["n/a", "abc", [1], {"a": 1}, object(), 10**400])
def test_what_is_not_a_number_becomes_nan(value: Any) -> None:
    assert math.isnan(as_float(value))


@given(st.floats(allow_nan=False))
def test_any_float_survives_as_itself(x: float) -> None:
    assert not is_missing(x)
    assert as_float(x) == x
    assert as_float(repr(x)) == x  # and its text form too


@given(st.text())
def test_text_is_missing_only_when_empty(text: str) -> None:
    assert is_missing(text) == (text == "")


def test_model_input_error_carries_a_code_the_core_reports() -> None:
    error = ModelInputError("BAD_TRAINING_DATA", "y needs both classes")
    assert (error.code, error.message, str(error)) == (
        "BAD_TRAINING_DATA",
        "y needs both classes",
        "y needs both classes",
    )
    assert error_code(error) == "BAD_TRAINING_DATA"  # shown to people, not masked


def test_helpers_are_public_sdk_names() -> None:
    for name in ("is_missing", "as_float", "ModelInputError"):
        assert name in sdk.__all__
        assert getattr(sdk, name).__doc__
