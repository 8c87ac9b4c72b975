"""Plausibility checks for values that cross the platform's boundary (pure, no I/O).

Every function returns ``None`` when the value is acceptable and otherwise a short reason
a person understands ("contains a control character (U+0000)"), which the caller turns
into a coded error naming the field. The reasons never repeat the value: an overlong or
hostile value must not travel on into messages and logs.

* Text: no C0/C1 control characters (multi-line free text may hold newlines and tabs),
  no bidirectional override/isolate characters outside free text (they make a name or a
  code display as something else), a length cap.
* Codes (USCC, ID numbers, region and branch codes, product codes): printable ASCII only,
  so full-width and Arabic-Indic digits, which ``\\d`` and ``str.isdigit`` accept, fail.
* Decimals: finite, without a huge exponent, within a column's precision.
* Dates: within a plausible window.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

__all__ = [
    "ASCII_DIGITS",
    "BIDI_CONTROLS",
    "code_problem",
    "date_problem",
    "decimal_problem",
    "is_ascii_digits",
    "number_problem",
    "text_problem",
]

#: Bidirectional embeddings/overrides (U+202A-U+202E) and isolates (U+2066-U+2069).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: ``[0-9]`` only: ``\d`` also matches full-width and Arabic-Indic digits.
ASCII_DIGITS = re.compile(r"^[0-9]+$")
# C0 and C1 controls and DEL; free text keeps tab, newline and carriage return.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")
_PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]*$")


def is_ascii_digits(value: str) -> bool:
    """True when ``value`` is one or more of the ASCII digits 0-9 (nothing else)."""
    return bool(ASCII_DIGITS.match(value))


def _codepoint(match: re.Match[str]) -> str:
    return f"U+{ord(match.group()):04X}"


def text_problem(
    value: str, *, max_length: int, multiline: bool = False, allow_bidi: bool | None = None
) -> str | None:
    """Why ``value`` is not acceptable text, or None.

    Args:
        value: the text.
        max_length: the most characters allowed.
        multiline: free text (comments, notes, reasons): newlines and tabs are allowed;
            names and identifiers allow neither.
        allow_bidi: bidirectional controls allowed (default: in free text only, where
            right-to-left passages may need them; never in names and identifiers).
    """
    if len(value) > max_length:
        return f"is {len(value):,} characters long; at most {max_length:,} are allowed"
    control = (_CONTROL_MULTILINE if multiline else _CONTROL).search(value)
    if control:
        return f"contains a control character ({_codepoint(control)})"
    if not (multiline if allow_bidi is None else allow_bidi):
        bidi = _BIDI.search(value)
        if bidi:
            return f"contains a bidirectional control character ({_codepoint(bidi)})"
    return None


def code_problem(value: str, *, max_length: int, digits_only: bool = False) -> str | None:
    """Why ``value`` is not an acceptable code (printable ASCII), or None.

    Args:
        value: the code (blanks around it are tolerated: services strip them).
        max_length: the most characters allowed.
        digits_only: the code is made of the ASCII digits 0-9 alone (region codes).
    """
    if len(value) > max_length:
        return f"is {len(value):,} characters long; at most {max_length:,} are allowed"
    if not _PRINTABLE_ASCII.match(value):
        bad = next(ch for ch in value if not ("\x20" <= ch <= "\x7e"))
        return f"may hold only ASCII letters, digits and punctuation, not U+{ord(bad):04X}"
    if digits_only and value.strip() and not is_ascii_digits(value.strip()):
        return "may hold only the ASCII digits 0-9"
    return None


def decimal_problem(
    value: Decimal,
    *,
    max_digits: int,
    decimal_places: int,
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
) -> str | None:
    """Why ``value`` does not fit a decimal column, or None.

    Args:
        value: the number.
        max_digits: total significant digits of the column (e.g. 18 for money).
        decimal_places: digits after the point the column keeps (e.g. 2 for money).
        minimum: the smallest value allowed, if any.
        maximum: the largest value allowed, if any.
    """
    if not value.is_finite():
        return "must be a finite number (not NaN or Infinity)"
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    # Checked on the tuple first: quantizing 1E+400000000 would itself be costly.
    integer_digits = len(digits) + exponent if digits != (0,) else 0
    if integer_digits > max_digits - decimal_places:
        return (
            f"has too many digits: at most {max_digits - decimal_places} before the decimal point"
        )
    if exponent < -decimal_places:
        try:
            exact = value.quantize(Decimal(1).scaleb(-decimal_places)) == value
        except InvalidOperation:
            exact = False
        if not exact:
            return f"has more than {decimal_places} digits after the decimal point"
    if minimum is not None and value < minimum:
        return f"must be at least {minimum}"
    if maximum is not None and value > maximum:
        return f"must be at most {maximum}"
    return None


def number_problem(
    value: float, *, minimum: float | None = None, maximum: float | None = None
) -> str | None:
    """Why an integer or float ``value`` is out of range, or None."""
    if value != value or value in (float("inf"), float("-inf")):
        return "must be a finite number (not NaN or Infinity)"
    if minimum is not None and value < minimum:
        return f"must be at least {minimum}"
    if maximum is not None and value > maximum:
        return f"must be at most {maximum}"
    return None


def date_problem(value: dt.date, *, earliest: dt.date, latest: dt.date) -> str | None:
    """Why ``value`` falls outside ``[earliest, latest]``, or None (datetimes by their date)."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if day < earliest:
        return f"must not be before {earliest.isoformat()}"
    if day > latest:
        return f"must not be after {latest.isoformat()}"
    return None
