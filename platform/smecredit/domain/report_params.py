"""Report parameters: check a report type's declared schema, and parse what a caller sent.

A report type declares its parameters as :class:`~smecredit.sdk.reports.ReportParam`
values; callers (GraphQL, the CLI, a schedule) send text. :func:`parse_params` turns the
text into typed values (``date`` -> :class:`datetime.date`, ``int`` -> int, ``decimal``
-> :class:`~decimal.Decimal`, ``bool`` -> bool, the rest -> str), fills defaults (a
``date`` default ``"today"`` is the business date) and refuses anything else with an
error naming the parameter. :func:`check_param_schema` is what the plugin loader runs on a
report type's declaration, so a malformed schema never reaches a user.

Pure: no I/O, the business date is an argument.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from smecredit.domain.errors import DomainError

__all__ = [
    "CATEGORIES",
    "FORMATS",
    "PARAM_KINDS",
    "ReportParamInvalid",
    "ReportParamRequired",
    "ReportParamUnknown",
    "check_param_schema",
    "check_report_type",
    "parse_params",
    "parse_value",
]

#: Every parameter kind the engine parses (the SDK's ``ParamKind``).
PARAM_KINDS: Final[frozenset[str]] = frozenset(
    {"date", "branch", "product", "model", "text", "int", "decimal", "bool", "choice"}
)

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_CODE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_TRUE = frozenset({"true", "1", "yes", "y", "on"})
_FALSE = frozenset({"false", "0", "no", "n", "off"})
#: The longest text a ``text`` parameter may carry (it lands in a report's cover).
MAX_TEXT = 500


class ReportParamInvalid(DomainError):
    """A parameter's value is not of its kind, or out of its range or choices."""

    code = "REPORT_PARAM_INVALID"


class ReportParamRequired(DomainError):
    """A required parameter without a default was left out."""

    code = "REPORT_PARAM_REQUIRED"


class ReportParamUnknown(DomainError):
    """A parameter the report type does not declare was sent."""

    code = "REPORT_PARAM_UNKNOWN"


def _invalid(name: str, why: str) -> ReportParamInvalid:
    return ReportParamInvalid(f"parameter {name!r}: {why}", params={"param": name, "detail": why})


def _bounded(param: Any, value: int | Decimal) -> int | Decimal:
    if param.minimum is not None and value < param.minimum:
        raise _invalid(param.name, f"{value} is below the minimum {param.minimum}")
    if param.maximum is not None and value > param.maximum:
        raise _invalid(param.name, f"{value} is above the maximum {param.maximum}")
    return value


def parse_value(param: Any, raw: Any, *, today: dt.date) -> Any:
    """Parse one value of ``param`` (a ``ReportParam``) from text or an already typed value.

    Raises:
        ReportParamInvalid: ``REPORT_PARAM_INVALID`` naming the parameter and why.
    """
    kind = param.kind
    name = param.name
    if kind == "date":
        if isinstance(raw, dt.datetime):
            raise _invalid(name, "a date is wanted, not a date and time")
        if isinstance(raw, dt.date):
            return raw
        text = str(raw).strip()
        if text == "today":
            return today
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise _invalid(name, f"{text!r} is not an ISO date (YYYY-MM-DD)") from None
    if kind == "int":
        if isinstance(raw, bool):
            raise _invalid(name, "a whole number is wanted")
        try:
            number = raw if isinstance(raw, int) else int(str(raw).strip())
        except ValueError:
            raise _invalid(name, f"{raw!r} is not a whole number") from None
        return _bounded(param, number)
    if kind == "decimal":
        if isinstance(raw, bool):
            raise _invalid(name, "a number is wanted")
        try:
            dec = Decimal(str(raw).strip())
        except InvalidOperation:
            raise _invalid(name, f"{raw!r} is not a number") from None
        if not dec.is_finite():
            raise _invalid(name, f"{raw!r} is not a finite number")
        return _bounded(param, dec)
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise _invalid(name, f"{raw!r} is not true or false")
    text = str(raw).strip()
    if kind == "choice":
        if text not in param.choices:
            raise _invalid(name, f"{text!r} is not one of {', '.join(param.choices)}")
        return text
    if kind in ("branch", "product", "model"):
        if not _CODE.match(text):
            raise _invalid(name, f"{text!r} is not a {kind} code")
        return text
    if len(text) > MAX_TEXT:
        raise _invalid(name, f"longer than {MAX_TEXT} characters")
    if any(ord(c) < 32 for c in text):
        raise _invalid(name, "control characters are not allowed")
    return text


def parse_params(
    schema: Sequence[Any], raw: Mapping[str, Any], *, today: dt.date
) -> dict[str, Any]:
    """Validate and type the parameters ``raw`` against ``schema`` (``ReportParam`` list).

    Empty text counts as left out. Every declared parameter with a value or a default is
    in the result; an optional one without either is absent.

    Raises:
        ReportParamUnknown: ``REPORT_PARAM_UNKNOWN`` for a name the schema lacks.
        ReportParamRequired: ``REPORT_PARAM_REQUIRED`` for a missing required one.
        ReportParamInvalid: ``REPORT_PARAM_INVALID`` for a bad value.
    """
    declared = {p.name: p for p in schema}
    for name in raw:
        if name not in declared:
            raise ReportParamUnknown(
                f"unknown parameter {name!r}; known: {', '.join(declared) or 'none'}",
                params={"param": name},
            )
    out: dict[str, Any] = {}
    for param in schema:
        value = raw.get(param.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if param.default is None:
                if param.required:
                    raise ReportParamRequired(
                        f"parameter {param.name!r} is required", params={"param": param.name}
                    )
                continue
            value = param.default
        out[param.name] = parse_value(param, value, today=today)
    return out


def check_param_schema(params: Any) -> list[str]:
    """What is wrong with a report type's parameter declaration (empty: nothing).

    Each problem names the parameter: a bad or repeated name, an unknown kind, a
    ``choice`` without choices (or choices on another kind), bounds on a non-numeric kind
    or the wrong way round, a default that does not parse.
    """
    problems: list[str] = []
    if not isinstance(params, tuple | list):
        return ["params is not a tuple of ReportParam"]
    seen: set[str] = set()
    for param in params:
        name = getattr(param, "name", None)
        if not isinstance(name, str) or not _NAME.match(name):
            problems.append(f"parameter name {name!r} is not snake_case")
            continue
        if name in seen:
            problems.append(f"parameter {name!r} is declared twice")
        seen.add(name)
        kind = getattr(param, "kind", None)
        if kind not in PARAM_KINDS:
            problems.append(f"parameter {name!r} has unknown kind {kind!r}")
            continue
        choices = tuple(getattr(param, "choices", ()) or ())
        if kind == "choice" and not choices:
            problems.append(f"choice parameter {name!r} has no choices")
        if kind != "choice" and choices:
            problems.append(f"parameter {name!r} has choices but is of kind {kind}")
        low, high = getattr(param, "minimum", None), getattr(param, "maximum", None)
        if (low is not None or high is not None) and kind not in ("int", "decimal"):
            problems.append(f"parameter {name!r} has bounds but is of kind {kind}")
        elif low is not None and high is not None and low > high:
            problems.append(f"parameter {name!r} has minimum above maximum")
        default = getattr(param, "default", None)
        if default is not None:
            try:
                parse_value(param, default, today=dt.date(2000, 1, 1))
            except ReportParamInvalid as error:
                problems.append(f"default of {error}")
    return problems


#: The formats the core writes (the SDK's ``REPORT_FORMATS``).
FORMATS: Final[tuple[str, ...]] = ("csv", "xlsx", "pdf")
#: The catalogue groups a report type may name.
CATEGORIES: Final[frozenset[str]] = frozenset(
    {"portfolio", "risk", "models", "data", "decisions", "compliance", "regulatory"}
)


def check_report_type(report: Any, known_roles: frozenset[str]) -> list[str]:
    """What is wrong with a report type's declaration (empty: nothing).

    Its name is snake_case, its formats a non-empty subset of :data:`FORMATS`, its roles
    non-empty and known, its category known, its parameters well-formed.
    """
    name = getattr(report, "name", "")
    problems: list[str] = []
    if not isinstance(name, str) or not _NAME.match(name):
        problems.append(f"name {name!r} is not snake_case")
    formats = getattr(report, "formats", ())
    if not isinstance(formats, tuple | list) or not formats:
        problems.append("formats is empty")
    else:
        bad = [f for f in formats if f not in FORMATS]
        if bad:
            problems.append(f"unknown formats {bad} (known: {', '.join(FORMATS)})")
    roles = getattr(report, "roles", ())
    if not isinstance(roles, tuple | list) or not roles:
        problems.append("roles is empty: no one could run it")
    else:
        unknown = sorted(set(roles) - known_roles)
        if unknown:
            problems.append(f"unknown roles {unknown}")
    category = getattr(report, "category", "portfolio")
    if category not in CATEGORIES:
        problems.append(f"unknown category {category!r}")
    for attr in ("title_zh", "title_en"):
        if not isinstance(getattr(report, attr, None), str) or not getattr(report, attr):
            problems.append(f"{attr} is empty")
    problems.extend(check_param_schema(getattr(report, "params", ())))
    return problems
