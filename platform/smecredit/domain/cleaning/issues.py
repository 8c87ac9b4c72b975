"""Data-quality findings shared by the cleaning steps (normalise, dedupe, outliers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "BAD_CODE",
    "BAD_FORMAT",
    "CONFLICT",
    "CONVERTED_UNIT",
    "FORMULA_TEXT",
    "IMPLAUSIBLE_DATE",
    "IMPUTED",
    "MISSING_VALUE",
    "OUTLIER",
    "OUT_OF_RANGE",
    "UNKNOWN_FIELD",
    "CleanResult",
    "Issue",
    "Severity",
]

Severity = Literal["error", "warning", "info"]

#: A required field is empty, or holds a null token such as ``NULL``, ``-`` or ``N/A``.
MISSING_VALUE = "MISSING_VALUE"
#: An empty value was filled in by the field's imputation method (informational; the
#: method is recorded on the stored row).
IMPUTED = "IMPUTED"
#: A value could not be parsed (date, amount, phone, ...); the original is kept.
BAD_FORMAT = "BAD_FORMAT"
#: A code failed its check (USCC, ID number, industry, region, enum value); original kept.
BAD_CODE = "BAD_CODE"
#: A value parses but lies outside what the field allows (e.g. a negative amount).
OUT_OF_RANGE = "OUT_OF_RANGE"
#: A value is implausible compared with its peers or with a hard business rule.
OUTLIER = "OUTLIER"
#: A unit was converted (万 / 亿 / % ...): informational, so the change is traceable.
CONVERTED_UNIT = "CONVERTED_UNIT"
#: Two records of the same entity disagree on an identity field.
CONFLICT = "CONFLICT"
#: The record carries a field its kind does not define.
UNKNOWN_FIELD = "UNKNOWN_FIELD"
#: A date before 1900, or in the future where only the past makes sense (a founding date).
IMPLAUSIBLE_DATE = "IMPLAUSIBLE_DATE"
#: Text a spreadsheet would run as a formula (leading ``=``, ``+``, ``-``, ``@``).
FORMULA_TEXT = "FORMULA_TEXT"


@dataclass(frozen=True, slots=True)
class Issue:
    """One data-quality finding about one field.

    Attributes:
        field: dotted field path, e.g. ``uscc`` or ``representative.id_number``.
        code: stable UPPER_SNAKE code (see the module constants).
        message: what is wrong, for a person.
        severity: ``error`` (the value is unusable), ``warning`` (suspicious) or ``info``.
        index: position of the record in the batch, for batch-level checks; else ``None``.
    """

    field: str
    code: str
    message: str
    severity: Severity = "error"
    index: int | None = None


@dataclass(frozen=True, slots=True)
class CleanResult:
    """The outcome of normalising one record.

    Attributes:
        record: a new dict with normalised values (the input is never mutated).
        issues: findings, in field order.
    """

    record: dict[str, Any]
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no finding has severity ``error``."""
        return not any(issue.severity == "error" for issue in self.issues)
