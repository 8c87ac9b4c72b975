"""Every argument of every operation checked at the boundary, before any resolver runs.

:func:`apply_argument_checks` walks graphql-core's schema once, at build, and wraps the
resolver (and, for subscriptions, the subscriber) of every field that takes arguments
with a check of the arguments graphql-core has coerced: scalars by their type, lists by
their length, input objects field by field, recursively. A value that fails answers
``INVALID_INPUT`` with ``extensions.field`` naming it (``input.registeredCapital``,
``groups[1].ruleWeights[0]``), and the resolver - so any service - never runs.

What a value may be comes from one table, :data:`RULES`, keyed ``Type.field.arg`` for an
argument and ``InputType.field`` for a field of an input object, with ``*.name`` entries
for names that mean the same everywhere (``expectedVersion``, ``reason``, ``first``...).
A key with no entry falls back to the default of its scalar type (:data:`DEFAULTS`):
single-line text of at most 200 characters for ``String``, well-formed ids for ``ID``, a
plausible window for dates, a depth and size for ``JSON``. ``Int``, ``Float`` and
``Decimal`` have no sensible default (a term in months is not a count of rows): every core
argument of those types has its own entry, which ``tests/graphql/test_boundary.py``
enforces with :func:`unbounded_arguments`. Plugins' arguments meet the type defaults.

The checks themselves are the pure functions of :mod:`smecredit.domain.text`, which
services and the CLI use too. Business limits (a product's amount range, a policy's rate
ceiling) stay in the services: the boundary refuses what no product could accept.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    default_field_resolver,
)

from smecredit.domain import text
from smecredit.domain.schedules import RepaymentMethod
from smecredit.errors import InvalidInput
from smecredit.models.base import MONEY_DIGITS

__all__ = [
    "DEFAULTS",
    "RULES",
    "Rule",
    "apply_argument_checks",
    "argument_keys",
    "check_arguments",
    "rule_for",
    "unbounded_arguments",
]

_APPLIED_ATTR = "_smecredit_argument_checks"
#: Lists longer than this are refused unless a rule allows more.
DEFAULT_MAX_ITEMS = 100
#: The largest value of a 32-bit database key (Tortoise ``IntField``).
MAX_KEY = 2**31 - 1
_EARLIEST = dt.date(1900, 1, 1)


def _earliest() -> dt.date:
    return _EARLIEST


def _years_from_today(years: int) -> Callable[[], dt.date]:
    def bound() -> dt.date:
        today = dt.date.today()
        return today.replace(year=today.year + years, day=min(today.day, 28))

    return bound


def _today() -> dt.date:
    return dt.date.today()


def _a_century_ahead() -> dt.date:
    return _years_from_today(100)()


@dataclass(frozen=True)
class Rule:
    """What one argument (or input field) may hold.

    A rule for a list argument applies to its items; ``max_items`` bounds the list.

    Attributes:
        kind: ``text``, ``code``, ``choice``, ``decimal``, ``int``, ``float``, ``date``,
            ``id``, ``json`` or ``any`` (no check: booleans and enums, which graphql-core
            already holds to their members).
        max_length: text and codes: the most characters.
        multiline: text: free text (newlines, tabs, bidirectional isolates allowed).
        allow_bidi: text: bidirectional controls allowed though single-line (secrets).
        digits_only: codes: ASCII digits only.
        choices: the accepted values of a free-string "enum".
        minimum: numbers, decimals: the smallest value.
        maximum: numbers, decimals: the largest value.
        max_digits: decimals: significant digits of the column.
        decimal_places: decimals: digits after the point the column keeps.
        earliest: dates: the earliest day (a callable: "today" moves).
        latest: dates: the latest day.
        max_items: lists: the most items.
        max_depth: JSON: the deepest nesting.
        max_bytes: JSON: the largest serialised size.
        error_code: the code of a refusal (``INVALID_INPUT``; ``INVALID_ID`` for ids; a
            service's own code where clients already know it).
    """

    kind: str
    max_length: int = 200
    multiline: bool = False
    allow_bidi: bool = False
    digits_only: bool = False
    choices: frozenset[str] | None = None
    minimum: Any = None
    maximum: Any = None
    max_digits: int = MONEY_DIGITS[0]
    decimal_places: int = MONEY_DIGITS[1]
    earliest: Callable[[], dt.date] = _earliest
    latest: Callable[[], dt.date] = _a_century_ahead
    max_items: int = DEFAULT_MAX_ITEMS
    max_depth: int = 8
    max_bytes: int = 65_536
    error_code: str = "INVALID_INPUT"

    def items(self, max_items: int) -> Rule:
        """This rule for the items of a list of at most ``max_items``."""
        return replace(self, max_items=max_items)


# ---- rule builders: the vocabulary of the table ------------------------------------------


def name(max_length: int = 200) -> Rule:
    """A single-line name or label (no control or bidirectional characters)."""
    return Rule("text", max_length=max_length)


def free_text(max_length: int = 4000) -> Rule:
    """Multi-line free text: comments, notes, reasons, descriptions."""
    return Rule("text", max_length=max_length, multiline=True)


def secret(max_length: int = 1024) -> Rule:
    """A password or one-time code: no control characters, capped (argon2 hashes it all)."""
    return Rule("text", max_length=max_length, allow_bidi=True)


def code(max_length: int = 64, *, digits_only: bool = False) -> Rule:
    """An identifier or code: printable ASCII only."""
    return Rule("code", max_length=max_length, digits_only=digits_only)


def choice(*values: str) -> Rule:
    """A free-string enum: one of ``values`` exactly."""
    return Rule("choice", choices=frozenset(values), max_length=max(map(len, values)))


def integer(minimum: int, maximum: int, *, error_code: str = "INVALID_INPUT") -> Rule:
    """An Int within ``[minimum, maximum]``."""
    return Rule("int", minimum=minimum, maximum=maximum, error_code=error_code)


def number(minimum: float, maximum: float) -> Rule:
    """A Float within ``[minimum, maximum]``."""
    return Rule("float", minimum=minimum, maximum=maximum)


def decimal(
    max_digits: int, decimal_places: int, minimum: str | None = None, maximum: str | None = None
) -> Rule:
    """A Decimal that fits a ``DecimalField(max_digits, decimal_places)`` column."""
    return Rule(
        "decimal",
        max_digits=max_digits,
        decimal_places=decimal_places,
        minimum=None if minimum is None else Decimal(minimum),
        maximum=None if maximum is None else Decimal(maximum),
    )


def money(minimum: str = "0") -> Rule:
    """An amount in yuan: the precision of every money column (``money_field``)."""
    return decimal(*MONEY_DIGITS, minimum=minimum)


def rate(maximum: str = "1") -> Rule:
    """A rate or share in ``[0, maximum]``, stored as ``DecimalField(8, 6)``."""
    return decimal(8, 6, minimum="0", maximum=maximum)


def date(
    earliest: Callable[[], dt.date] = _earliest, latest: Callable[[], dt.date] = _a_century_ahead
) -> Rule:
    """A Date (or DateTime) within ``[earliest(), latest()]``."""
    return Rule("date", earliest=earliest, latest=latest)


def _year_3000() -> dt.date:
    return dt.date(3000, 1, 1)


#: A date that only filters (nothing is stored): any day a database and ``datetime`` handle.
FILTER_DATE = Rule("date", latest=_year_3000)


def years_around_today(past: int, future: int) -> Rule:
    """A date within ``past`` years before and ``future`` years after today."""
    return date(_years_from_today(-past), _years_from_today(future))


ANY = Rule("any")
_POSITIVE_KEY = integer(1, MAX_KEY)
_POLICY_NUMBER = decimal(8, 6)
_HORIZON_DAYS = integer(1, 3650, error_code="INVALID_BACKTEST_INPUT")
_REPAYMENT_METHODS = tuple(m.value for m in RepaymentMethod)

#: Scalar type name -> its default rule.
DEFAULTS: Mapping[str, Rule] = {
    "String": name(),
    "ID": Rule("id", max_length=200, error_code="INVALID_ID"),
    "Boolean": ANY,
    "Int": integer(-(2**31), 2**31 - 1),
    "Float": number(-1e15, 1e15),
    "Decimal": money(minimum="-1E16"),
    "Date": date(),
    "DateTime": date(),
    "JSON": Rule("json"),
}
#: Scalars whose default is not a bound worth the name: every core use needs an entry.
NEEDS_ENTRY = frozenset({"Int", "Float", "Decimal"})

#: ``Type.field.arg`` / ``InputType.field`` / ``*.name`` -> rule.
RULES: Mapping[str, Rule] = {
    # -- names that mean the same wherever they appear
    "*.expectedVersion": _POSITIVE_KEY,
    "*.first": integer(0, 10_000),  # the page-size cap itself is pagination's (PAGE_TOO_LARGE)
    "*.after": code(200),
    "*.reason": free_text(),
    "*.note": free_text(),
    "*.branchCode": code(16),
    "*.uscc": code(32),  # 18 once blanks and dashes are dropped (domain.identity)
    "*.idNumber": code(32),
    "*.phone": code(32),
    "*.industryCode": code(8),
    "*.regionCode": code(6, digits_only=True),
    "*.username": code(64),
    "*.password": secret(),
    "*.code": code(64),
    "*.grade": code(8),
    "*.use": code(32),
    "*.source": code(64),
    "*.status": code(32),
    # -- firms
    "CreateFirmInput.establishedOn": date(latest=_today),
    "UpdateFirmInput.establishedOn": date(latest=_today),
    "CreateFirmInput.registeredCapital": money(),
    "UpdateFirmInput.registeredCapital": money(),
    "CreateFirmInput.employees": integer(0, 10_000_000),
    "UpdateFirmInput.employees": integer(0, 10_000_000),
    "FirmFilter.nameContains": name(),
    "FirmFilter.search": name(60),  # graphql.firms.MAX_SEARCH
    "LoanFilter.minDaysPastDue": integer(0, 100_000),
    "LoanFilter.maxDaysPastDue": integer(0, 100_000),
    "LoanFilter.officer": code(64),
    # a product code (WC-EI) or a name: catalogue names and imported books are Chinese
    "LoanFilter.product": name(200),
    "ApplicationFilter.makerId": code(64),
    # -- accounts and policies
    "Mutation.verifyTotp.code": secret(64),
    "Mutation.useRecoveryCode.code": secret(64),
    "Mutation.confirmTotp.code": secret(64),
    "Mutation.changePassword.currentPassword": secret(),
    "Mutation.changePassword.newPassword": secret(),
    "Mutation.resetUserPassword.temporaryPassword": secret(),
    # Unknown roles: the accounts service answers UNKNOWN_ROLE, naming the known ones.
    "CreateUserInput.roles": code(32).items(16),
    "CreateUserInput.displayName": name(),
    "Mutation.setUserRoles.roles": code(32).items(16),
    "Mutation.addPolicy.values": name().items(8),
    "Mutation.removePolicy.values": name().items(8),
    "Mutation.addPolicy.ptype": code(4),
    "Mutation.removePolicy.ptype": code(4),
    "AuditLogFilter.actor": code(200),
    "AuditLogFilter.action": code(200),
    "AuditLogFilter.since": FILTER_DATE,
    "PolicyFilter.ptype": code(4),
    "PolicyFilter.subject": name(),
    "PolicyFilter.objectPrefix": name(),
    "WarningFilter.since": FILTER_DATE,
    # -- lending
    "CreateApplicationInput.amount": money(),
    "CreateApplicationInput.termMonths": integer(1, 600),
    "CreateApplicationInput.annualRate": rate(),
    "CreateApplicationInput.purpose": name(200),
    "CreateApplicationInput.collateralDescription": free_text(),
    "CreateApplicationInput.productCode": code(64),
    "Mutation.confirmDisbursement.disbursedOn": years_around_today(10, 1),
    "Mutation.confirmDisbursement.firstDue": years_around_today(10, 2),
    "Mutation.approveApplication.overrideReason": free_text(),
    "Mutation.overrideApplicationGrade.grade": code(1),  # A-G, as LoanApplication stores it
    "Mutation.postRepayment.idempotencyKey": code(128),
    "Mutation.postRepayment.amount": money(),
    "Mutation.postRepayment.receivedOn": years_around_today(10, 1),
    "Mutation.runCob.businessDate": years_around_today(10, 1),
    "Mutation.rescheduleLoan.annualRate": rate(),
    "Mutation.rescheduleLoan.termMonths": integer(1, 600),
    "Mutation.rescheduleLoan.firstDue": years_around_today(10, 2),
    "Mutation.createProduct.name": name(200),
    "Mutation.updateProduct.name": name(200),
    "ProductTermsInput.amountMin": money(),
    "ProductTermsInput.amountMax": money(),
    "ProductTermsInput.termMonthsMin": integer(1, 600),
    "ProductTermsInput.termMonthsMax": integer(1, 600),
    "ProductTermsInput.rateMin": rate(),
    "ProductTermsInput.rateMax": rate(),
    "ProductTermsInput.methods": Rule("any", max_items=len(_REPAYMENT_METHODS)),
    "ProductTermsInput.gracePeriodDays": integer(0, 365),
    "ProductTermsInput.penaltyMultiplier": decimal(8, 4, minimum="0", maximum="10"),
    "ProductTermsInput.penaltyRateAbsolute": rate(),
    # -- ingestion and consent
    "Mutation.startSync.since": code(64),
    "Mutation.grantConsent.scope": code(32),
    "Mutation.grantConsent.expiresAt": years_around_today(1, 30),
    "Mutation.grantConsent.evidenceRef": name(200),
    "Mutation.revokeConsent.scope": code(32),
    # -- scoring
    "Mutation.trainModel.model": code(64),
    "Mutation.trainModel.asOf": years_around_today(30, 0).items(60),
    "Mutation.trainModel.folds": integer(2, 20),
    "Mutation.trainModel.performanceMonths": integer(1, 60),
    "Mutation.trainModel.outOfTimeDate": years_around_today(30, 0),
    "Mutation.scoreApplication.amount": money(),
    "ModelVersionFilter.name": code(64),
    "ScoreHistoryFilter.modelName": code(64),
    "ScoreHistoryFilter.grade": code(4),
    "SyncRunFilter.source": code(64),
    "QuarantineFilter.code": code(64),
    "QuarantineFilter.kind": code(64),
    "Query.modelBacktest.asOf": years_around_today(30, 1),
    "Query.portfolio.asOf": years_around_today(30, 1),
    "Query.portfolio.months": integer(1, 60),
    "Query.modelBacktest.horizonMonths": integer(1, 120),
    "Query.modelBacktest.dpdThreshold": integer(1, 3650),
    "Query.modelComparison.asOf": years_around_today(30, 1),
    "Query.modelComparison.horizonMonths": integer(1, 60),
    "Query.modelComparison.dpdThreshold": integer(1, 3650),
    # The credit policy's ranges are the domain's, which lists every problem at once:
    # the boundary holds the numbers to what a policy could ever store.
    "CreditPolicyInput.grades": Rule("any", max_items=32),
    # the policy rules of credit decisions: the service checks each parameter by its rule
    "Query.policyRules.version": integer(0, 1_000_000_000),
    "SetPolicyRuleInput.params": Rule("json", max_depth=2, max_bytes=4096),
    "GrantPolicyExceptionInput.ruleCode": code(64),
    "CreditPolicyGradeInput.limitFactor": _POLICY_NUMBER,
    "CreditPolicyGradeInput.rateMin": _POLICY_NUMBER,
    "CreditPolicyGradeInput.rateMax": _POLICY_NUMBER,
    "CreditPolicyInput.revenueCapShare": _POLICY_NUMBER,
    "CreditPolicyInput.rateCeiling": _POLICY_NUMBER,
    "RiskPricingInput.lgd": _POLICY_NUMBER,
    "RiskPricingInput.fundingRate": _POLICY_NUMBER,
    "RiskPricingInput.margin": _POLICY_NUMBER,
    "Query.creditPolicy.version": integer(0, MAX_KEY),  # 0: the built-in policy
    "Query.creditPolicyHistory.first": integer(1, 200),
    # -- early warning
    "Mutation.runWarningScan.firmIds": Rule(
        "id", max_length=200, max_items=10_000, error_code="INVALID_ID"
    ),
    "Mutation.assignWarning.assignee": code(64),
    "Mutation.commentWarning.body": free_text(),
    "Mutation.configureWarningRule.note": free_text(),
    "ThresholdsInput.blue": number(-1e6, 1e6),
    "ThresholdsInput.yellow": number(-1e6, 1e6),
    "ThresholdsInput.orange": number(-1e6, 1e6),
    "ThresholdsInput.red": number(-1e6, 1e6),
    "Mutation.setWarningWeightsAhp.groups": code(64).items(32),
    "Mutation.setWarningWeightsAhp.groupMatrix": number(0, 1000).items(32),
    "Mutation.setWarningWeightsAhp.groupMatrices": Rule("any", max_items=32),
    "AhpGroupInput.group": code(64),
    "AhpGroupInput.labels": code(64).items(64),
    "AhpGroupInput.matrix": number(0, 1000).items(64),
    "Mutation.setWarningWeightsExpert.groups": Rule("any", max_items=32),
    "ExpertGroupInput.group": code(64),
    "ExpertGroupInput.weight": number(0, 1000),
    "ExpertGroupInput.ruleCodes": code(64).items(64),
    "ExpertGroupInput.ruleWeights": number(0, 1000).items(64),
    "Mutation.proposeWarningWeights.horizonDays": _HORIZON_DAYS,
    "Query.warningBacktest.horizonDays": _HORIZON_DAYS,
    "WarningScanRunFilter.since": FILTER_DATE,
    "WarningFilter.ruleCode": code(64),
}


def _leaf(key: str) -> str:
    return key.rsplit(".", 1)[-1]


def rule_for(key: str, scalar: str) -> Rule:
    """The rule of ``key`` (``Type.field.arg`` or ``InputType.field``) of scalar type ``scalar``."""
    return RULES.get(key) or RULES.get(f"*.{_leaf(key)}") or DEFAULTS.get(scalar, ANY)


def _has_entry(key: str) -> bool:
    return key in RULES or f"*.{_leaf(key)}" in RULES


# ---- checking one value ------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, path: str, reason: str, code: str = "INVALID_INPUT") -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason
        self.code = code


def _json_problem(value: Any, rule: Rule) -> str | None:
    # Iterative: the point is to refuse nesting that would exhaust a recursive walker.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > rule.max_depth:
                return f"is nested more than {rule.max_depth} levels deep"
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, float) and text.number_problem(item) is not None:
            return "must hold finite numbers only (not NaN or Infinity)"
    try:
        size = len(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        return "is not plain JSON"
    if size > rule.max_bytes:
        return f"is {size:,} bytes of JSON; at most {rule.max_bytes:,} are allowed"
    return None


def _decode_global_id(value: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, sep, node_id = decoded.partition(":")
    return (type_name, node_id) if sep else None


def _id_problem(value: str, rule: Rule, int_keyed: frozenset[str]) -> str | None:
    problem = text.code_problem(value, max_length=rule.max_length)
    if problem:
        return problem
    decoded = _decode_global_id(value)
    if decoded is None:
        return None  # not a global id: the resolver answers INVALID_ID or NOT_FOUND
    type_name, node_id = decoded
    if type_name in int_keyed and not (
        text.is_ascii_digits(node_id) and len(node_id) <= 10 and int(node_id) <= MAX_KEY
    ):
        return f"is not a valid {type_name} id (its key must be a number up to {MAX_KEY})"
    return None


def _scalar_problem(value: Any, rule: Rule, int_keyed: frozenset[str]) -> str | None:
    kind = rule.kind
    if kind == "any":
        return None
    if kind == "text":
        if not isinstance(value, str):
            return None
        return text.text_problem(
            value,
            max_length=rule.max_length,
            multiline=rule.multiline,
            allow_bidi=rule.allow_bidi or rule.multiline,
        )
    if kind == "code":
        if not isinstance(value, str):
            return None
        return text.code_problem(value, max_length=rule.max_length, digits_only=rule.digits_only)
    if kind == "choice":
        assert rule.choices is not None
        if value in rule.choices:
            return None
        return f"must be one of {', '.join(sorted(rule.choices))}"
    if kind == "id":
        return _id_problem(str(value), rule, int_keyed)
    if kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return text.number_problem(value, minimum=rule.minimum, maximum=rule.maximum)
    if kind == "decimal":
        if not isinstance(value, Decimal):
            return None
        return text.decimal_problem(
            value,
            max_digits=rule.max_digits,
            decimal_places=rule.decimal_places,
            minimum=rule.minimum,
            maximum=rule.maximum,
        )
    if kind == "date":
        if not isinstance(value, dt.date):
            return None
        return text.date_problem(value, earliest=rule.earliest(), latest=rule.latest())
    if kind == "json":
        return _json_problem(value, rule)
    raise AssertionError(f"unknown rule kind {kind!r}")


def _named(gtype: Any) -> Any:
    while isinstance(gtype, GraphQLNonNull | GraphQLList):
        gtype = gtype.of_type
    return gtype


def _check_value(
    value: Any, gtype: GraphQLInputType, key: str, path: str, int_keyed: frozenset[str]
) -> None:
    if value is None:
        return
    if isinstance(gtype, GraphQLNonNull):
        _check_value(value, gtype.of_type, key, path, int_keyed)
        return
    if isinstance(gtype, GraphQLList):
        named = _named(gtype)
        rule = rule_for(key, getattr(named, "name", ""))
        items = value if isinstance(value, list | tuple) else [value]
        if len(items) > rule.max_items:
            raise _Refused(
                path, f"has {len(items):,} items; at most {rule.max_items:,} are allowed"
            )
        for index, item in enumerate(items):
            _check_value(item, gtype.of_type, key, f"{path}[{index}]", int_keyed)
        return
    if isinstance(gtype, GraphQLInputObjectType):
        if not isinstance(value, Mapping):
            return
        for field_name, field in gtype.fields.items():
            slot = field.out_name or field_name
            if slot in value:
                _check_value(
                    value[slot],
                    field.type,
                    f"{gtype.name}.{field_name}",
                    f"{path}.{field_name}",
                    int_keyed,
                )
        return
    if isinstance(gtype, GraphQLEnumType):
        return  # graphql-core admits only its members
    assert isinstance(gtype, GraphQLScalarType)
    rule = rule_for(key, gtype.name)
    problem = _scalar_problem(value, rule, int_keyed)
    if problem:
        raise _Refused(path, problem, rule.error_code)


def check_arguments(
    type_name: str,
    gfield: GraphQLField,
    kwargs: Mapping[str, Any],
    int_keyed: frozenset[str] = frozenset(),
) -> None:
    """Check the coerced arguments of one call of ``type_name.<field>``.

    Raises:
        InvalidInput: ``INVALID_INPUT`` with ``field`` set to the argument path.
    """
    field_name = getattr(gfield, "_smecredit_name", "")
    for arg_name, arg in gfield.args.items():
        slot = arg.out_name or arg_name
        if slot not in kwargs:
            continue
        try:
            _check_value(
                kwargs[slot], arg.type, f"{type_name}.{field_name}.{arg_name}", arg_name, int_keyed
            )
        except _Refused as refused:
            raise InvalidInput(
                f"{refused.path} {refused.reason}", code=refused.code, field=refused.path
            ) from None


# ---- wiring ------------------------------------------------------------------------------


def _checked(
    type_name: str, gfield: GraphQLField, resolve: Callable[..., Any], int_keyed: frozenset[str]
) -> Callable[..., Any]:
    # Positional-only: an argument may well be called ``source`` or ``info``.
    def checked(source: Any, info: GraphQLResolveInfo, /, **kwargs: Any) -> Any:
        check_arguments(type_name, gfield, kwargs, int_keyed)
        return resolve(source, info, **kwargs)

    checked.__wrapped__ = resolve  # type: ignore[attr-defined]
    return checked


def _checked_subscriber(
    type_name: str, gfield: GraphQLField, subscribe: Callable[..., Any], int_keyed: frozenset[str]
) -> Callable[..., Any]:
    def checked(source: Any, info: GraphQLResolveInfo, /, **kwargs: Any) -> Any:
        check_arguments(type_name, gfield, kwargs, int_keyed)
        return subscribe(source, info, **kwargs)

    # graphql-core expects an async iterable or an awaitable of one from the subscriber:
    # a plain function passing on what the original returns is both.
    checked.__wrapped__ = subscribe  # type: ignore[attr-defined]
    return checked


def _int_keyed_types(core: GraphQLSchema) -> frozenset[str]:
    """Node types of the core, whose keys are database integers."""
    node = core.type_map.get("Node")
    if not isinstance(node, GraphQLInterfaceType):
        return frozenset()
    out = set()
    for gtype in core.get_possible_types(node):
        definition = (gtype.extensions or {}).get("strawberry-definition")
        origin = getattr(definition, "origin", None)
        if getattr(origin, "__module__", "").startswith("smecredit."):
            out.add(gtype.name)
    return frozenset(out)


def _fields_with_arguments(core: GraphQLSchema) -> Iterator[tuple[str, str, GraphQLField]]:
    for gtype in core.type_map.values():
        if isinstance(gtype, GraphQLObjectType) and not gtype.name.startswith("__"):
            for field_name, gfield in gtype.fields.items():
                if gfield.args:
                    yield gtype.name, field_name, gfield


def apply_argument_checks(schema: strawberry.Schema) -> int:
    """Wrap every field that takes arguments with their check (idempotent).

    Call it before the permission and operation wrappers, so that those run first and a
    caller who may not use a field learns nothing from its argument checks.

    Returns:
        The number of fields wrapped.
    """
    core = schema._schema
    if getattr(schema, _APPLIED_ATTR, False):
        return 0
    int_keyed = _int_keyed_types(core)
    subscription = core.subscription_type.name if core.subscription_type else None
    wrapped = 0
    for type_name, field_name, gfield in _fields_with_arguments(core):
        gfield._smecredit_name = field_name  # type: ignore[attr-defined]
        if type_name == subscription and gfield.subscribe is not None:
            gfield.subscribe = _checked_subscriber(type_name, gfield, gfield.subscribe, int_keyed)
        else:
            resolve = gfield.resolve or default_field_resolver
            gfield.resolve = _checked(type_name, gfield, resolve, int_keyed)
        wrapped += 1
    setattr(schema, _APPLIED_ATTR, True)
    return wrapped


def _input_keys(gtype: Any, seen: set[str]) -> Iterator[tuple[str, str]]:
    named = _named(gtype)
    if not isinstance(named, GraphQLInputObjectType) or named.name in seen:
        return
    seen.add(named.name)
    for field_name, field in named.fields.items():
        yield f"{named.name}.{field_name}", _named(field.type).name
        yield from _input_keys(field.type, seen)


def argument_keys(core: GraphQLSchema) -> dict[str, str]:
    """Every argument and input field of ``core``: key -> its scalar (or enum/input) type."""
    out: dict[str, str] = {}
    seen: set[str] = set()
    for type_name, field_name, gfield in _fields_with_arguments(core):
        for arg_name, arg in gfield.args.items():
            out[f"{type_name}.{field_name}.{arg_name}"] = _named(arg.type).name
            out.update(_input_keys(arg.type, seen))
    return out


def unbounded_arguments(core: GraphQLSchema) -> list[str]:
    """Keys of type ``Int``, ``Float`` or ``Decimal`` that have no entry in :data:`RULES`."""
    return sorted(
        key
        for key, scalar in argument_keys(core).items()
        if scalar in NEEDS_ENTRY and not _has_entry(key)
    )
