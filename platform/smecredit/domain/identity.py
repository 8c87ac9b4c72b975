"""Validators for Chinese identity codes.

* Unified social credit code (统一社会信用代码, GB 32100-2015) for firms.
* Resident identity number (居民身份证号码, GB 11643-1999) for persons.
* Mainland mobile phone numbers.

All functions are pure and raise :class:`IdentityError` with a message a person
understands and a stable ``code`` that the GraphQL layer forwards to clients.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = [
    "USCC_ALPHABET",
    "IdentityError",
    "id_number_check_char",
    "is_valid_id_number",
    "is_valid_uscc",
    "normalize_id_number",
    "normalize_phone",
    "normalize_uscc",
    "uscc_check_char",
    "validate_id_number",
    "validate_phone",
    "validate_uscc",
]

#: The 31 characters allowed in a USCC (no I, O, Z, S, V).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# [0-9], not \d: \d (and str.isdigit) also accept full-width and Arabic-Indic digits.
_PHONE_RE = re.compile(r"^1[3-9][0-9]{9}$")
_DIGITS_17 = re.compile(r"^[0-9]{17}$")


class IdentityError(ValueError):
    """An identity code failed validation.

    Attributes:
        code: stable machine-readable error code, e.g. ``INVALID_USCC``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def normalize_uscc(value: str) -> str:
    """Strip blanks and dashes, upper-case; does not validate."""
    return re.sub(r"[\s\-]", "", value).upper()


def uscc_check_char(first17: str) -> str:
    """Return the check character for the first 17 characters of a USCC."""
    if len(first17) != 17 or any(ch not in _USCC_VALUE for ch in first17):
        raise IdentityError(
            "INVALID_USCC", "a USCC body must be 17 characters of 0-9 A-Y (no I, O, S, V, Z)"
        )
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> str:
    """Return the normalised USCC or raise :class:`IdentityError` naming the fault."""
    code = normalize_uscc(value)
    if len(code) != 18:
        raise IdentityError(
            "INVALID_USCC", f"unified social credit code must have 18 characters, got {len(code)}"
        )
    bad = [ch for ch in code if ch not in _USCC_VALUE]
    if bad:
        raise IdentityError(
            "INVALID_USCC", f"unified social credit code contains invalid character {bad[0]!r}"
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise IdentityError(
            "INVALID_USCC",
            f"unified social credit code check character is {code[17]!r}, expected {expected!r}",
        )
    return code


def is_valid_uscc(value: str) -> bool:
    """True when ``value`` is a valid USCC."""
    try:
        validate_uscc(value)
    except IdentityError:
        return False
    return True


def normalize_id_number(value: str) -> str:
    """Strip blanks, upper-case the trailing x; does not validate."""
    return re.sub(r"\s", "", value).upper()


def id_number_check_char(first17: str) -> str:
    """Return the check character for the first 17 digits of a resident ID number."""
    if not _DIGITS_17.match(first17):
        raise IdentityError("INVALID_ID_NUMBER", "an ID number body must be 17 digits")
    total = sum(int(ch) * w for ch, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_id_number(value: str) -> str:
    """Return the normalised resident ID number or raise :class:`IdentityError`."""
    number = normalize_id_number(value)
    if len(number) != 18:
        raise IdentityError(
            "INVALID_ID_NUMBER", f"resident ID number must have 18 characters, got {len(number)}"
        )
    if not _DIGITS_17.match(number[:17]) or number[17] not in "0123456789X":
        raise IdentityError(
            "INVALID_ID_NUMBER", "resident ID number must be 17 digits and a digit or X"
        )
    try:
        dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdentityError(
            "INVALID_ID_NUMBER", f"resident ID number has no valid birth date ({number[6:14]})"
        ) from None
    expected = id_number_check_char(number[:17])
    if number[17] != expected:
        raise IdentityError(
            "INVALID_ID_NUMBER",
            f"resident ID number check character is {number[17]!r}, expected {expected!r}",
        )
    return number


def is_valid_id_number(value: str) -> bool:
    """True when ``value`` is a valid resident ID number."""
    try:
        validate_id_number(value)
    except IdentityError:
        return False
    return True


def normalize_phone(value: str) -> str:
    """Drop blanks, dashes and a leading +86 / 86 country code."""
    digits = re.sub(r"[\s\-()]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def validate_phone(value: str) -> str:
    """Return the normalised mainland mobile number or raise :class:`IdentityError`."""
    phone = normalize_phone(value)
    if not _PHONE_RE.match(phone):
        raise IdentityError(
            "INVALID_PHONE", f"mobile phone must be 11 digits starting 13-19, got {value!r}"
        )
    return phone
