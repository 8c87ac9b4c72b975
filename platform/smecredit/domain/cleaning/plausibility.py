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
import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from smecredit.domain.cleaning.fields import FieldSpec, fields_of
from smecredit.domain.cleaning.issues import FORMULA_TEXT, IMPLAUSIBLE_DATE, Issue
from smecredit.domain.spreadsheet import MAYBE_FORMULA_FIRST, is_formula_like

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


@functools.lru_cache(maxsize=1 << 14)
def _date_issue(spec_type: str, value: str, past_only: bool, today: dt.date) -> str | None:
    """Why a cleaned date is implausible (None: plausible); dates repeat, so cached."""
    try:
        if spec_type == "month":
            day = dt.date(int(value[:4]), int(value[5:7]), 1)
        elif spec_type == "datetime":
            day = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        else:
            day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    if day < EARLIEST_DATE:
        return f"before {EARLIEST_DATE.year}"
    if past_only and day > today:
        return "in the future"
    return None


class _Check(NamedTuple):
    parent: str | None  # the nested object holding the field, if any
    name: str
    path: str
    type: str
    past_only: bool


@functools.cache
def _plan(kind: str) -> tuple[_Check, ...]:
    """The fields of ``kind`` worth checking, decided once per kind."""
    past = PAST_ONLY.get(kind, frozenset())
    checks: list[_Check] = []

    def add(specs: Mapping[str, FieldSpec], parent: str | None) -> None:
        for name, spec in specs.items():
            path = f"{parent}.{name}" if parent else name
            if spec.type == "object" and parent is None:
                add(spec.children, name)
            elif spec.type in _DATE_TYPES or spec.type in _TEXT_TYPES:
                checks.append(_Check(parent, name, path, spec.type, path in past))

    add(fields_of(kind), None)
    return tuple(checks)


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
    for parent, name, path, spec_type, past_only in _plan(kind):
        holder = record.get(parent) if parent else record
        value = holder.get(name) if isinstance(holder, Mapping) else None
        if not isinstance(value, str) or not value:
            continue
        if spec_type in _TEXT_TYPES:
            # Most text starts with a letter or a CJK character: one set lookup.
            if value[0] in MAYBE_FORMULA_FIRST and is_formula_like(value):
                message = f"{path} starts like a spreadsheet formula; exports neutralise it"
                issues.append(Issue(path, FORMULA_TEXT, message, "warning"))
            continue
        why = _date_issue(spec_type, value, past_only, today)
        if why is not None:
            issues.append(Issue(path, IMPLAUSIBLE_DATE, f"{path} is {value}, {why}", "warning"))
    return issues
