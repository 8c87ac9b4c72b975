"""Normalise one record: one format per field, one spelling per code.

:func:`normalise_record` never mutates its input and never drops data: a value that cannot
be cleaned is kept as it came (only blank-trimmed) together with an :class:`Issue`, so a
person can fix it at the source. It is idempotent: a cleaned record comes back unchanged
and without ``CONVERTED_UNIT`` notes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from smecredit.domain.cleaning import convert
from smecredit.domain.cleaning.convert import ConversionError, Converted, is_null, nfkc
from smecredit.domain.cleaning.fields import (
    IMPUTE,
    IMPUTERS,
    QUARANTINE,
    FieldSpec,
    fields_of,
    missing_policy,
)
from smecredit.domain.cleaning.issues import (
    BAD_CODE,
    BAD_FORMAT,
    CONVERTED_UNIT,
    IMPUTED,
    MISSING_VALUE,
    OUT_OF_RANGE,
    UNKNOWN_FIELD,
    CleanResult,
    Issue,
)
from smecredit.domain.identity import (
    IdentityError,
    validate_id_number,
    validate_phone,
    validate_uscc,
)

__all__ = ["missing_value", "normalise_record", "normalise_value"]

_NAME_MAX = 200
_TEXT_MAX = 2000


def _code_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConversionError(BAD_FORMAT, f"expected text, got {type(value).__name__}")
    text = re.sub(r"\s", "", unicodedata.normalize("NFKC", str(value)))
    if not text.isascii():
        # Codes are ASCII letters and digits; other scripts' digits would pass isdigit().
        raise ConversionError(BAD_CODE, "a code must be written in ASCII letters and digits")
    return text


def _uscc(value: Any) -> Converted:
    text = _code_text(value)
    try:
        return Converted(validate_uscc(text))
    except IdentityError as error:
        raise ConversionError(BAD_CODE, str(error)) from None


def _id_number(value: Any) -> Converted:
    text = _code_text(value)
    try:
        return Converted(validate_id_number(text))
    except IdentityError as error:
        raise ConversionError(BAD_CODE, str(error)) from None


def _phone(value: Any) -> Converted:
    text = _code_text(value)
    try:
        return Converted(validate_phone(text))
    except IdentityError as error:
        raise ConversionError(BAD_FORMAT, str(error)) from None


def _name(value: Any) -> Converted:
    if not isinstance(value, str):
        raise ConversionError(BAD_FORMAT, f"expected text, got {type(value).__name__}")
    text = nfkc(value)
    if len(text) > _NAME_MAX:
        raise ConversionError(
            OUT_OF_RANGE, f"name is {len(text)} characters, at most {_NAME_MAX} allowed"
        )
    return Converted(text)


def _text(value: Any) -> Converted:
    # Free text keeps its characters and line breaks: only the ends are trimmed.
    text = value.strip() if isinstance(value, str) else str(value)
    if len(text) > _TEXT_MAX:
        raise ConversionError(
            OUT_OF_RANGE, f"text is {len(text)} characters, at most {_TEXT_MAX} allowed"
        )
    return Converted(text)


def _ref(value: Any) -> Converted:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConversionError(BAD_FORMAT, f"expected text, got {type(value).__name__}")
    return Converted(nfkc(str(value)))


def _branch(value: Any) -> Converted:
    text = _code_text(value).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}", text):
        raise ConversionError(
            BAD_CODE, f"branch code {value!r} must be two letters and two digits, e.g. BJ01"
        )
    return Converted(text)


_CONVERTERS: dict[str, Callable[[Any], Converted]] = {
    "uscc": _uscc,
    "id_number": _id_number,
    "phone": _phone,
    "name": _name,
    "text": _text,
    "ref": _ref,
    "branch": _branch,
    "date": convert.to_date,
    "month": convert.to_month,
    "datetime": convert.to_datetime,
    "amount": convert.to_amount,
    "amount_nonneg": lambda value: convert.to_amount(value, allow_negative=False),
    "rate": convert.to_rate,
    "count": convert.to_count,
    "industry": convert.to_industry_code,
    "region": convert.to_region_code,
}


def _enum_key(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", nfkc(value).casefold())


def _enum(spec: FieldSpec, value: Any) -> Converted:
    if not isinstance(value, str):
        raise ConversionError(BAD_CODE, f"expected one of {', '.join(spec.choices)}")
    key = _enum_key(value)
    if key in spec.choices:
        return Converted(key)
    compact = re.sub(r"[\s_]", "", key)
    mapped = spec.synonyms.get(key) or spec.synonyms.get(compact)
    if mapped is None:
        raise ConversionError(BAD_CODE, f"{value!r} is not one of {', '.join(spec.choices)}")
    return Converted(mapped)


def _keep(value: Any) -> Any:
    """The value kept beside an issue: blank-trimmed so the record stays idempotent."""
    return value.strip() if isinstance(value, str) else value


def missing_value(spec: FieldSpec, path: str, how: str = "empty") -> tuple[Any, list[Issue]]:
    """The cleaned value and issues of an empty (or ``absent``) field, by its policy.

    ``quarantine``: ``None`` with a ``MISSING_VALUE`` error (the record is refused);
    ``impute``: the method's value with an ``IMPUTED`` info issue naming the method;
    ``keep``: ``None`` and no issue (the run counts it in its missing-value rates).
    """
    policy = missing_policy(spec)
    if policy == QUARANTINE:
        return None, [Issue(path, MISSING_VALUE, f"{path} is required but {how}")]
    if policy == IMPUTE and spec.impute is not None:
        value = IMPUTERS[spec.impute][spec.type]
        return value, [Issue(path, IMPUTED, f"{path} was {how}: imputed ({spec.impute})", "info")]
    return None, []


def normalise_value(spec: FieldSpec, value: Any, path: str) -> tuple[Any, list[Issue]]:
    """Normalise one non-object value according to ``spec``.

    Args:
        spec: the field's spec.
        value: the raw value.
        path: dotted field path, used in the issues.

    Returns:
        The cleaned value (``None`` for null tokens; the trimmed original when it cannot be
        cleaned) and the issues found.
    """
    if is_null(value):
        return missing_value(spec, path, "empty")
    if spec.type == "extensions":
        return value, []
    try:
        converted = _enum(spec, value) if spec.type == "enum" else _CONVERTERS[spec.type](value)
    except ConversionError as error:
        return _keep(value), [Issue(path, error.code, f"{path}: {error}")]
    issues: list[Issue] = []
    if spec.bounds is not None and not spec.bounds[0] <= converted.value <= spec.bounds[1]:
        low, high = spec.bounds
        issues.append(
            Issue(path, OUT_OF_RANGE, f"{path} is {converted.value}, expected {low}-{high}")
        )
    if converted.unit_note:
        issues.append(Issue(path, CONVERTED_UNIT, f"{path}: {converted.unit_note}", "info"))
    return converted.value, issues


def _normalise_fields(
    specs: Mapping[str, FieldSpec], record: Mapping[str, Any], prefix: str
) -> tuple[dict[str, Any], list[Issue]]:
    cleaned: dict[str, Any] = {}
    issues: list[Issue] = []
    for name, spec in specs.items():
        path = f"{prefix}{name}"
        if name not in record:
            if spec.required:
                cleaned_value, found = missing_value(spec, path, "absent")
                if found and found[0].code == IMPUTED:
                    cleaned[name] = cleaned_value
                issues.extend(found)
            continue
        value = record[name]
        if spec.type == "object" and isinstance(value, Mapping):
            cleaned[name], child_issues = _normalise_fields(spec.children, value, f"{path}.")
            issues.extend(child_issues)
            continue
        if spec.type == "object" and not is_null(value):
            cleaned[name] = value
            issues.append(Issue(path, BAD_FORMAT, f"{path} must be an object with its own fields"))
            continue
        cleaned[name], value_issues = normalise_value(spec, value, path)
        issues.extend(value_issues)
    for name, value in record.items():
        if name not in specs:
            cleaned[name] = value
            issues.append(
                Issue(
                    f"{prefix}{name}",
                    UNKNOWN_FIELD,
                    f"{prefix}{name} is not a known field",
                    "warning",
                )
            )
    return cleaned, issues


def normalise_record(kind: str, record: Mapping[str, Any]) -> CleanResult:
    """Normalise one record of ``kind`` to the canonical formats of ``schema/records``.

    Codes and names: NFKC (full-width to half-width), trimmed; USCC and ID numbers upper-
    case, blanks and dashes removed, check characters verified. Dates to ``YYYY-MM-DD``,
    months to ``YYYY-MM``, amounts to two-place decimal strings in yuan (万 and 亿
    multiplied out), rates to fractions, enums to their canonical value (Chinese synonyms
    mapped). Null tokens (``""``, ``NULL``, ``-``, ``N/A``...) become ``None``.

    Args:
        kind: one of :data:`~smecredit.domain.cleaning.fields.KINDS`.
        record: the raw record; nested objects (``representative``) as nested mappings.

    Returns:
        The cleaned copy and its issues. Unknown fields are kept and reported.

    Raises:
        UnknownKindError: when ``kind`` is not a record kind.
    """
    cleaned, issues = _normalise_fields(fields_of(kind), record, "")
    return CleanResult(cleaned, issues)
