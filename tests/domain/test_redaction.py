"""Personal data inside messages is masked before a message is stored."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from smecredit.domain.identity import id_number_check_char
from smecredit.domain.redaction import redact_personal, redact_values


def _id_number(body: str) -> str:
    return body + id_number_check_char(body)


def test_id_numbers_and_mobiles_are_masked() -> None:
    number = _id_number("11010519491231002")
    text = f"phone: {number!r} is not a mobile; call 13812345678 or +86 139-1234-5678"
    redacted = redact_personal(text)
    assert number not in redacted and "13812345678" not in redacted
    assert "139-1234-5678" not in redacted and "1234-5678" not in redacted
    assert "110***********" in redacted and "138****5678" in redacted


def test_other_numbers_are_kept() -> None:
    text = "line 17: amount 1234567.89, USCC 91110105MA01ABCDEB, blob v1:k1:ab13812345678cd"
    assert redact_personal(text) == text


def test_known_values_are_masked_anywhere() -> None:
    text = "representative.name: '张三丰' is too long; name 张三丰 again"
    redacted = redact_values(text, ["张三丰", "x", None])  # type: ignore[list-item]
    assert "张三丰" not in redacted and redacted.count("张**") == 2


@given(st.from_regex(r"\A[1-6][0-9]{16}\Z").map(_id_number), st.text(max_size=20))
def test_no_id_number_survives(number: str, noise: str) -> None:
    redacted = redact_personal(f"{noise} {number} {noise}")
    assert not re.search(r"(?<![0-9A-Za-z])" + re.escape(number), redacted)
