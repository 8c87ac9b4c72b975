"""Identity validators: USCC (GB 32100-2015), resident ID (GB 11643), mobile phone."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smecredit.domain.identity import (
    USCC_ALPHABET,
    IdentityError,
    id_number_check_char,
    is_valid_id_number,
    is_valid_uscc,
    uscc_check_char,
    validate_id_number,
    validate_phone,
    validate_uscc,
)

usccs = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17).map(
    lambda b: b + uscc_check_char(b)
)


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    region = draw(st.integers(110000, 659999))
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)))
    seq = draw(st.integers(0, 999))
    body = f"{region:06d}{born:%Y%m%d}{seq:03d}"
    return body + id_number_check_char(body)


def test_published_examples() -> None:
    assert validate_uscc("91350100M000100Y43") == "91350100M000100Y43"
    assert validate_uscc(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert validate_id_number("11010519491231002x") == "11010519491231002X"
    assert validate_phone("+86 138-0013-8000") == "13800138000"


@settings(max_examples=200, deadline=None)
@given(usccs)
def test_generated_usccs_pass(code: str) -> None:
    assert validate_uscc(code) == code


@settings(max_examples=200, deadline=None)
@given(usccs, st.integers(0, 17), st.sampled_from(USCC_ALPHABET))
def test_any_single_character_change_of_a_uscc_fails(code: str, pos: int, ch: str) -> None:
    if code[pos] == ch:
        ch = USCC_ALPHABET[(USCC_ALPHABET.index(ch) + 1) % len(USCC_ALPHABET)]
    changed = code[:pos] + ch + code[pos + 1 :]
    assert not is_valid_uscc(changed)


@settings(max_examples=200, deadline=None)
@given(id_numbers())
def test_generated_id_numbers_pass(number: str) -> None:
    assert validate_id_number(number) == number


@settings(max_examples=200, deadline=None)
@given(id_numbers(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_any_single_character_change_of_an_id_number_fails(number: str, pos: int, ch: str) -> None:
    if number[pos] == ch or (pos < 17 and ch == "X"):
        ch = str((int(number[pos]) + 1) % 10) if number[pos].isdigit() else "0"
    changed = number[:pos] + ch + number[pos + 1 :]
    assert not is_valid_id_number(changed)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("91350100M000100Y4", "18 characters"),
        ("91350100M000100YI3", "invalid character 'I'"),
        ("91350100M000100Y44", "expected '3'"),
    ],
)
def test_uscc_errors_name_the_fault(value: str, fragment: str) -> None:
    with pytest.raises(IdentityError) as err:
        validate_uscc(value)
    assert err.value.code == "INVALID_USCC" and fragment in str(err.value)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("1101051949123100", "18 characters"),
        ("110105194902301234", "birth date"),
        ("110105194912310021", "expected 'X'"),
    ],
)
def test_id_number_errors_name_the_fault(value: str, fragment: str) -> None:
    with pytest.raises(IdentityError) as err:
        validate_id_number(value)
    assert err.value.code == "INVALID_ID_NUMBER" and fragment in str(err.value)


def test_phone_errors() -> None:
    with pytest.raises(IdentityError) as err:
        validate_phone("12345")
    assert err.value.code == "INVALID_PHONE"
