"""Plausibility flags on a cleaned record: kept, but a person should look at them.

* ``IMPLAUSIBLE_DATE`` - a date before 1900, or in the future for a date that can only
  lie in the past (a founding date, an event, a court case, a payment, a report);
* ``FORMULA_TEXT`` - text that a spreadsheet would run as a formula
  (:func:`smecredit.domain.spreadsheet.is_formula_like`); exports neutralise it, and the
  flag tells the data steward where such text came in.

The findings are warnings: the record is integrated and the run counts them per code and
field. "Today" is an argument, so the check stays pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from smecredit.domain.cleaning.fields import FieldSpec, fields_of
from smecredit.domain.cleaning.issues import FORMULA_TEXT, IMPLAUSIBLE_DATE, Issue
from smecredit.domain.spreadsheet import is_formula_like

__all__ = ["EARLIEST_DATE", "PAST_ONLY", "flag_implausible"]

#: No firm, statement or case of this platform is older.
EARLIEST_DATE = dt.date(1900, 1, 1)
#: Date fields, per kind, that cannot lie after today.
PAST_ONLY: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "firm": frozenset({"established_on"}),
        "financial_statement": frozenset({"period_end"}),
        "tax_record": frozenset({"month"}),
        "registry_event": frozenset({"event_date"}),
        "legal_case": frozenset({"case_date"}),
        "bureau_summary": frozenset({"report_date"}),
        "loan": frozenset({"disbursed_on"}),
        "repayment_history": frozenset({"paid_date"}),
    }
)
_DATE_TYPES = frozenset({"date", "month", "datetime"})
_TEXT_TYPES = frozenset({"name", "text", "ref"})


def _as_date(kind: str, value: str) -> dt.date | None:
    try:
        if kind == "month":
            return dt.date(int(value[:4]), int(value[5:7]), 1)
        if kind == "datetime":
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _walk(
    specs: Mapping[str, FieldSpec],
    record: Mapping[str, Any],
    prefix: str,
    past_only: frozenset[str],
    today: dt.date,
    issues: list[Issue],
) -> None:
    for name, spec in specs.items():
        value = record.get(name)
        path = f"{prefix}{name}"
        if spec.type == "object" and isinstance(value, Mapping):
            _walk(spec.children, value, f"{path}.", frozenset(), today, issues)
        elif not isinstance(value, str):
            continue
        elif spec.type in _DATE_TYPES:
            day = _as_date(spec.type, value)
            if day is None:
                continue
            if day < EARLIEST_DATE:
                message = f"{path} is {value}, before {EARLIEST_DATE.year}"
                issues.append(Issue(path, IMPLAUSIBLE_DATE, message, "warning"))
            elif path in past_only and day > today:
                message = f"{path} is {value}, in the future"
                issues.append(Issue(path, IMPLAUSIBLE_DATE, message, "warning"))
        elif spec.type in _TEXT_TYPES and is_formula_like(value):
            message = f"{path} starts like a spreadsheet formula; exports neutralise it"
            issues.append(Issue(path, FORMULA_TEXT, message, "warning"))


def flag_implausible(kind: str, record: Mapping[str, Any], *, today: dt.date) -> list[Issue]:
    """Plausibility warnings about a cleaned record of ``kind`` (see the module docstring).

    Args:
        kind: the record kind.
        record: the cleaned record (canonical formats: ISO dates, trimmed text).
        today: the date that "the future" starts after.

    Returns:
        The findings, in field order; empty for a plausible record.

    Raises:
        UnknownKindError: when ``kind`` is not a record kind.
    """
    issues: list[Issue] = []
    _walk(fields_of(kind), record, "", PAST_ONLY.get(kind, frozenset()), today, issues)
    return issues
