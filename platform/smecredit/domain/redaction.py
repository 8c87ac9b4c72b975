"""Mask personal data inside free text (messages, reasons, notes) before it is stored.

Error messages quote the values they complain about: a schema violation names the value, a
bad phone number is repeated in its message, a header row that is really a data row lists
its cells. Such text is stored (quarantine reasons, run notes and errors) and shown to
people who may not see personal data in clear, so it is redacted first:

* :func:`redact_personal` masks everything shaped like a resident ID number (18 or 15
  characters; a typo'd number is still personal) or a mainland mobile number
  (``1[3-9]`` + 9 digits, also written ``138-1234-5678`` or with ``+86``);
* :func:`redact_values` masks given values (a record's name, ID number, phone) wherever
  they occur, for what no pattern can recognise, such as names.

Masks follow the display defaults (ID first 3 + last 4, phone 3 + 4, name first character).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["mask_id_number", "mask_name", "mask_phone", "redact_personal", "redact_values"]

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])", re.ASCII)
_MOBILE = re.compile(
    r"(?<![0-9A-Za-z])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?![0-9A-Za-z])", re.ASCII
)


def mask_id_number(value: str) -> str:
    """First 3 and last 4 characters kept: ``110***********002X``."""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str) -> str:
    """Digits of a mobile number masked 3 + 4: ``138****5678`` (separators dropped)."""
    digits = re.sub(r"\D", "", value, flags=re.ASCII)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) < 8:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(value: str) -> str:
    """The first character kept: ``张**``."""
    return value[:1] + "*" * max(len(value) - 1, 1) if value else value


def redact_personal(text: str) -> str:
    """``text`` with every ID-number-like and mobile-number-like token masked."""
    if not text:
        return text
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group()), text)
    return _MOBILE.sub(lambda m: mask_phone(m.group()), text)


def redact_values(text: str, values: Iterable[str]) -> str:
    """``text`` with each of ``values`` masked wherever it occurs, then :func:`redact_personal`.

    Args:
        text: the message.
        values: personal values known to be in play (names, ID numbers, phones);
            values shorter than two characters are ignored (they would mask too much).
    """
    if not text:
        return text
    known = {v for v in values if isinstance(v, str) and len(v.strip()) >= 2}
    for value in sorted(known, key=len, reverse=True):  # longest first: no partial masks
        if value in text:
            text = text.replace(value, mask_name(value))
    return redact_personal(text)
