"""Value converters: messy partner input in, one canonical representation out.

Each converter takes a raw value (a ``str`` from CSV, or ``int``/``float``/``datetime``
from an xlsx cell) and returns a :class:`Converted` holding the canonical value, or raises
:class:`ConversionError` with a stable code. Every converter is idempotent: feeding its own
output back returns the same value and no unit note, which is what makes
:func:`~smecredit.domain.cleaning.normalise.normalise_record` idempotent.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

__all__ = [
    "ConversionError",
    "Converted",
    "is_null",
    "nfkc",
    "to_amount",
    "to_count",
    "to_date",
    "to_datetime",
    "to_industry_code",
    "to_month",
    "to_rate",
    "to_region_code",
]

#: Spellings partners use for "no value"; compared after NFKC, strip and casefold.
NULL_TOKENS = frozenset(
    {"", "null", "none", "nil", "nan", "n/a", "na", "#n/a", "-", "--", "—", "——", "/"}
)

_CENT = Decimal("0.01")
_RATE_STEP = Decimal("0.000001")
_UNITS = {
    "千": Decimal(1_000),
    "万": Decimal(10_000),
    "百万": Decimal(1_000_000),
    "亿": Decimal(100_000_000),
}
_AMOUNT_RE = re.compile(
    r"^(?P<sign>[-+])?(?P<num>\d+(?:\.\d*)?|\.\d+)(?P<unit>千|万|百万|亿)?元?$", re.ASCII
)
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_MAX_SERIAL = 2_958_465  # 9999-12-31
# ASCII digits only (re.ASCII): int() would read Arabic-Indic or other digits too. A date
# may carry a time of day (spreadsheets write "2024-03-05 00:00:00") but nothing else:
# "2020-01-05 or 2021-05-01" is not a date, and neither is "2020-01-05T25:99".
_TIME = r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_DATE_RE = re.compile(rf"^(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}}){_TIME}$", re.ASCII)
_DATE_CN_RE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$", re.ASCII)
_DATE_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$", re.ASCII)
_MONTH_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})$", re.ASCII)
_MONTH_CN_RE = re.compile(r"^(\d{4})年(\d{1,2})月?$", re.ASCII)
_MONTH_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})$", re.ASCII)
_COUNT_SUFFIX_RE = re.compile(r"(人|个|名|家|次|笔|条|天|日|个月|月)$")

# GB/T 4754-2017: each section letter owns a contiguous range of two-digit divisions, so a
# bare division ("13" or the class "1310") tells us its section ("C").
_SECTIONS = (
    ("A", 1, 5), ("B", 6, 12), ("C", 13, 43), ("D", 44, 46), ("E", 47, 50), ("F", 51, 52),
    ("G", 53, 60), ("H", 61, 62), ("I", 63, 65), ("J", 66, 69), ("K", 70, 70), ("L", 71, 72),
    ("M", 73, 75), ("N", 76, 79), ("O", 80, 82), ("P", 83, 83), ("Q", 84, 85), ("R", 86, 90),
    ("S", 91, 96), ("T", 97, 97),
)  # fmt: skip


class ConversionError(ValueError):
    """A raw value cannot be converted.

    Attributes:
        code: ``BAD_FORMAT``, ``BAD_CODE`` or ``OUT_OF_RANGE``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Converted:
    """A canonical value plus, when a unit was converted, a note saying how."""

    value: Any
    unit_note: str | None = None


def nfkc(value: str) -> str:
    """Full-width to half-width (NFKC), strip, collapse inner runs of blanks to one space."""
    return " ".join(unicodedata.normalize("NFKC", value).split())


def is_null(value: Any) -> bool:
    """True for ``None``, float NaN and the textual null tokens (``""``, ``NULL``, ``-``...)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return nfkc(value).casefold() in NULL_TOKENS
    return False


def _compact(value: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", value))


def _decimal_from_number(value: Any, what: str) -> Decimal:
    if isinstance(value, bool):
        raise ConversionError("BAD_FORMAT", f"{what} must be a number, got a boolean")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConversionError("BAD_FORMAT", f"{what} must be a finite number, got {value!r}")
        # str() gives the shortest repr, so 0.1 becomes Decimal("0.1"), not 0.1000000000000000055
        return Decimal(str(value))
    if isinstance(value, int | Decimal):
        number = Decimal(value)
        if not number.is_finite():
            raise ConversionError("BAD_FORMAT", f"{what} must be a finite number, got {value!r}")
        return number
    raise ConversionError(
        "BAD_FORMAT", f"{what} must be text or a number, got {type(value).__name__}"
    )


def _parse_decimal_text(text: str, what: str) -> tuple[Decimal, str | None]:
    """Parse ``1,234.50`` / ``12.5万元`` / ``(1,234)`` / ``¥1,234``; return value and unit."""
    compact = _compact(text).replace(",", "").replace("¥", "").upper()
    for prefix in ("RMB", "CNY"):
        compact = compact.removeprefix(prefix)
    negative = False
    if compact.startswith("(") and compact.endswith(")"):
        negative, compact = True, compact[1:-1]
    match = _AMOUNT_RE.match(compact)
    if match is None:
        if not compact.isascii():  # Decimal() would read Arabic-Indic digits too
            raise ConversionError("BAD_FORMAT", f"{what} {text!r} is not a number")
        try:  # scientific notation such as 1.2E+5, which spreadsheets like to produce
            number = Decimal(compact)
        except InvalidOperation:
            raise ConversionError("BAD_FORMAT", f"{what} {text!r} is not a number") from None
        if not number.is_finite():
            raise ConversionError("BAD_FORMAT", f"{what} {text!r} is not a finite number")
        return (-number if negative else number), None
    number = Decimal(match["num"])
    unit = match["unit"]
    if unit:
        number *= _UNITS[unit]
    if match["sign"] == "-":
        negative = not negative
    return (-number if negative else number), unit


def _quantize_cents(number: Decimal, what: str, text: Any) -> str:
    try:
        cents = number.quantize(_CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ConversionError("BAD_FORMAT", f"{what} {text!r} is too large") from None
    if cents == 0:
        cents = abs(cents)  # no "-0.00"
    return f"{cents:f}"


def to_amount(value: Any, *, allow_negative: bool = True) -> Converted:
    """Convert to a yuan amount as a decimal string with exactly two places.

    ``"1,234.5"`` -> ``"1234.50"``; ``"12.5万"`` -> ``"125000.00"`` (unit noted);
    ``"1.2亿元"`` -> ``"120000000.00"``; ``"(1,234)"`` -> ``"-1234.00"``; ``1234.5`` ->
    ``"1234.50"``. Rounding is half-up.

    Raises:
        ConversionError: ``BAD_FORMAT`` when not a number, ``OUT_OF_RANGE`` when negative
            and ``allow_negative`` is false.
    """
    unit: str | None = None
    if isinstance(value, str):
        number, unit = _parse_decimal_text(value, "amount")
    else:
        number = _decimal_from_number(value, "amount")
    text = _quantize_cents(number, "amount", value)
    if not allow_negative and text.startswith("-"):
        raise ConversionError("OUT_OF_RANGE", f"amount {value!r} must not be negative")
    note = f"converted {value!r} from {unit}元 to {text} yuan" if unit else None
    return Converted(text, note)


def to_rate(value: Any) -> Converted:
    """Convert an annual interest rate to a fraction string with 2-6 places (``"0.0435"``).

    ``"4.35%"`` and bare percentages above 1 such as ``4.35`` (no lending rate exceeds
    100 %) are divided by 100 and noted.

    Raises:
        ConversionError: ``BAD_FORMAT`` when not a number, ``OUT_OF_RANGE`` when negative
            or 100 % or more.
    """
    note: str | None = None
    if isinstance(value, str):
        compact = _compact(value)
        percent = compact.endswith("%")
        number, unit = _parse_decimal_text(compact.rstrip("%"), "rate")
        if unit:
            raise ConversionError("BAD_FORMAT", f"rate {value!r} must not carry a money unit")
    else:
        percent = False
        number = _decimal_from_number(value, "rate")
    if percent or number > 1:
        number /= 100
        note = f"converted rate {value!r} from percent to a fraction"
    if number < 0 or number >= 1:
        raise ConversionError("OUT_OF_RANGE", f"rate {value!r} must lie between 0 and 100%")
    fraction = number.quantize(_RATE_STEP, rounding=ROUND_HALF_UP)
    text = f"{fraction:f}"
    whole, _, places = text.partition(".")
    places = places.rstrip("0").ljust(2, "0")  # keep at least two places: "0.05", not "0.0500"
    return Converted(f"{whole}.{places}", note)


def to_count(value: Any) -> Converted:
    """Convert to a non-negative integer: ``"1,200"``, ``"35人"``, ``12.0`` -> ``1200``, 35, 12.

    Raises:
        ConversionError: ``BAD_FORMAT`` for fractions or text, ``OUT_OF_RANGE`` if negative.
    """
    if isinstance(value, str):
        text = _COUNT_SUFFIX_RE.sub("", _compact(value).replace(",", ""))
        try:
            if not text.isascii():
                raise InvalidOperation
            number = Decimal(text)
        except InvalidOperation:
            raise ConversionError("BAD_FORMAT", f"count {value!r} is not a whole number") from None
    else:
        number = _decimal_from_number(value, "count")
    if not number.is_finite() or number != number.to_integral_value():
        raise ConversionError("BAD_FORMAT", f"count {value!r} is not a whole number")
    if number < 0:
        raise ConversionError("OUT_OF_RANGE", f"count {value!r} must not be negative")
    return Converted(int(number))


def _date_from_excel_serial(serial: float) -> dt.date:
    if not 1 <= serial <= _EXCEL_MAX_SERIAL or serial == 60:  # 60 is Excel's fictional 1900-02-29
        raise ConversionError("BAD_FORMAT", f"{serial!r} is not an Excel date serial")
    days = int(serial)
    # Excel counts 1900 as a leap year; serials before the fictional Feb 29 are one day off.
    return _EXCEL_EPOCH + dt.timedelta(days=days + (1 if days < 60 else 0))


def _checked_date(year: str, month: str, day: str, raw: object) -> dt.date:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise ConversionError(
            "BAD_FORMAT", f"date {raw!r} does not exist in the calendar"
        ) from None


def _check_time(parts: tuple[str | None, ...], raw: object) -> None:
    """A time of day after a date must exist: ``25:99`` is no time."""
    hour, minute, second = (int(p) if p else 0 for p in (*parts, None, None, None)[:3])
    if hour > 23 or minute > 59 or second > 59:
        raise ConversionError("BAD_FORMAT", f"date {raw!r} has an impossible time of day")


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ConversionError("BAD_FORMAT", "date must not be a boolean")
    if isinstance(value, int) and 19000101 <= value <= 21001231:
        return _checked_date(str(value)[:4], str(value)[4:6], str(value)[6:], value)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ConversionError("BAD_FORMAT", f"date {value!r} is not a number")
        return _date_from_excel_serial(value)
    if not isinstance(value, str):
        raise ConversionError("BAD_FORMAT", f"date must be text, got {type(value).__name__}")
    text = _compact(value) if "年" in value else unicodedata.normalize("NFKC", value).strip()
    for pattern in (_DATE_RE, _DATE_CN_RE, _DATE_COMPACT_RE):
        match = pattern.match(text)
        if match:
            year, month, day = match.groups()[:3]
            _check_time(match.groups()[3:], value)
            return _checked_date(year, month, day, value)
    raise ConversionError(
        "BAD_FORMAT", f"date {value!r} is not in a known format (e.g. 2024-03-05)"
    )


def to_date(value: Any) -> Converted:
    """Convert to an ISO date ``YYYY-MM-DD``.

    Accepts ``2024-03-05``, ``2024/3/5``, ``2024.3.5``, ``20240305``, ``2024年3月5日``,
    a trailing time part, ``date``/``datetime`` objects and Excel serial numbers (int or
    float, as xlsx cells without a date format arrive).

    Raises:
        ConversionError: ``BAD_FORMAT`` when the value is not a real calendar date.
    """
    return Converted(_parse_date(value).isoformat())


def to_month(value: Any) -> Converted:
    """Convert to a month ``YYYY-MM``: ``2024/3``, ``202403``, ``2024年3月``, or any date.

    Raises:
        ConversionError: ``BAD_FORMAT`` when the value is not a month.
    """
    if isinstance(value, int) and 190001 <= value <= 210012:
        value = str(value)
    if isinstance(value, str):
        text = _compact(value)
        for pattern in (_MONTH_RE, _MONTH_CN_RE, _MONTH_COMPACT_RE):
            match = pattern.match(text)
            if match:
                year, month = int(match[1]), int(match[2])
                if not 1 <= month <= 12:
                    raise ConversionError("BAD_FORMAT", f"month {value!r} has no month {month}")
                return Converted(f"{year:04d}-{month:02d}")
    try:
        day = _parse_date(value)
    except ConversionError:
        raise ConversionError(
            "BAD_FORMAT", f"month {value!r} is not in a known format (e.g. 2024-03)"
        ) from None
    return Converted(f"{day.year:04d}-{day.month:02d}")


def to_datetime(value: Any) -> Converted:
    """Convert to an ISO 8601 timestamp with offset; naive values are taken as UTC.

    Raises:
        ConversionError: ``BAD_FORMAT`` when not a timestamp.
    """
    if isinstance(value, dt.datetime):
        stamp = value
    elif isinstance(value, dt.date):
        stamp = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            stamp = dt.datetime.fromisoformat(unicodedata.normalize("NFKC", value).strip())
        except ValueError:
            raise ConversionError("BAD_FORMAT", f"timestamp {value!r} is not ISO 8601") from None
    else:
        raise ConversionError("BAD_FORMAT", f"timestamp must be text, got {type(value).__name__}")
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    text = stamp.isoformat()
    return Converted(text.replace("+00:00", "Z") if text.endswith("+00:00") else text)


def to_industry_code(value: Any) -> Converted:
    """Convert to a GB/T 4754 section letter plus two-digit division, e.g. ``C13``.

    ``"c13"``, ``"C1310"`` (a class code) and a bare ``"13"`` all become ``"C13"``.

    Raises:
        ConversionError: ``BAD_CODE`` when the division does not exist or does not belong
            to the given section.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConversionError("BAD_CODE", f"industry code must be text, got {type(value).__name__}")
    text = _compact(str(value)).upper()
    match = re.fullmatch(r"([A-T])?(\d{2})(\d{1,2})?", text, re.ASCII)
    if match is None:
        raise ConversionError(
            "BAD_CODE", f"industry code {value!r} is not a GB/T 4754 code such as C13"
        )
    letter, division = match[1], int(match[2])
    section = next((s for s, low, high in _SECTIONS if low <= division <= high), None)
    if section is None:
        raise ConversionError(
            "BAD_CODE", f"industry code {value!r}: division {division:02d} does not exist"
        )
    if letter is not None and letter != section:
        raise ConversionError(
            "BAD_CODE",
            f"industry code {value!r}: division {division:02d} belongs to section {section}",
        )
    return Converted(f"{section}{division:02d}")


def to_region_code(value: Any) -> Converted:
    """Convert to a six-digit administrative division code (GB/T 2260), e.g. ``110105``.

    A 12-digit statistical division code is cut to its first six digits.

    Raises:
        ConversionError: ``BAD_CODE`` when not six digits starting 1-8.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConversionError("BAD_CODE", f"region code must be text, got {type(value).__name__}")
    text = _compact(str(value))
    if re.fullmatch(r"\d{12}", text, re.ASCII):
        text = text[:6]
    if not re.fullmatch(r"[1-8]\d{5}", text, re.ASCII):
        raise ConversionError("BAD_CODE", f"region code {value!r} must be 6 digits such as 110105")
    return Converted(text)
