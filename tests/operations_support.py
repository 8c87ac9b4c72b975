"""Build a well-typed call of any root field from the schema alone (for table-driven tests).

:func:`call_document` fills every required argument with a plausible value of its type
(ids name a given object, or one that does not exist) and selects ``__typename`` plus the
code and message of a business error, so a test can call every mutation of the built
schema without knowing it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
)
from graphql.pyutils import Undefined as _UNDEFINED  # "no default value"
from strawberry.relay.utils import to_base64

__all__ = ["MISSING_ID", "call_document", "literal", "missing_id", "operation_error", "selection"]

#: Database id that no test ever creates.
MISSING_ID = 987_654

#: (argument name, GraphQL type name) -> the node type an ID argument names.
_ID_TYPES: Mapping[str, str] = {
    "firmId": "Firm",
    "firmIds": "Firm",
    "loanId": "Loan",
}


def missing_id(type_name: str) -> str:
    """The global id of a ``type_name`` that does not exist."""
    return to_base64(type_name, MISSING_ID)


IdFor = Callable[[str, str], str]


def _default_id(field_name: str, arg_name: str) -> str:
    if arg_name == "repaymentId":
        return str(MISSING_ID)
    return missing_id(_ID_TYPES.get(arg_name, "Firm"))


def literal(gtype: GraphQLInputType, *, name: str, field: str, id_for: IdFor) -> str:
    """A GraphQL literal of ``gtype`` for argument (or input field) ``name``."""
    if isinstance(gtype, GraphQLNonNull):
        return literal(gtype.of_type, name=name, field=field, id_for=id_for)
    if isinstance(gtype, GraphQLList):
        return f"[{literal(gtype.of_type, name=name, field=field, id_for=id_for)}]"
    if isinstance(gtype, GraphQLEnumType):
        return next(iter(gtype.values))
    if isinstance(gtype, GraphQLInputObjectType):
        parts = [
            f"{key}: {literal(value.type, name=key, field=field, id_for=id_for)}"
            for key, value in gtype.fields.items()
            if isinstance(value.type, GraphQLNonNull) and value.default_value is _UNDEFINED
        ]
        if not parts:  # an object with only optional fields still needs one to be non-empty
            key, value = next(iter(gtype.fields.items()))
            parts = [f"{key}: {literal(value.type, name=key, field=field, id_for=id_for)}"]
        return "{" + ", ".join(parts) + "}"
    assert isinstance(gtype, GraphQLScalarType), gtype
    scalar = gtype.name
    if scalar == "ID" or (scalar == "String" and name in ("id", "firmId", "loanId", "uscc")):
        return f'"{id_for(field, name)}"'
    if scalar == "Int" and name == "repaymentId":  # the one object still named by an Int
        return id_for(field, name)
    values = {
        "String": '"x"',
        "Int": "1",
        "Float": "1.0",
        "Boolean": "false",
        "Decimal": '"1"',
        "Date": f'"{dt.date(2026, 1, 5).isoformat()}"',
        "DateTime": '"2026-01-05T00:00:00+00:00"',
        "JSON": "{}",
    }
    return values.get(scalar, '"x"')


def selection(gtype: Any) -> str:
    """A selection set for a field of ``gtype`` (empty for scalars and enums)."""
    while isinstance(gtype, GraphQLNonNull | GraphQLList):
        gtype = gtype.of_type
    if isinstance(gtype, GraphQLUnionType):
        fragments = " ".join(
            f"... on {member.name} {{ code message }}"
            for member in gtype.types
            if "code" in member.fields and "message" in member.fields
        )
        return f"{{ __typename {fragments} }}"
    if isinstance(gtype, GraphQLObjectType | GraphQLInterfaceType):
        return "{ __typename }"
    return ""


def call_document(kind: str, name: str, field: GraphQLField, *, id_for: IdFor = _default_id) -> str:
    """``mutation { name(required args...) { __typename ... } }`` for a root field."""
    args = ", ".join(
        f"{arg_name}: {literal(arg.type, name=arg_name, field=name, id_for=id_for)}"
        for arg_name, arg in field.args.items()
        if _required(arg)
    )
    call = f"{name}({args})" if args else name
    return f"{kind} {{ {call} {selection(field.type)} }}"


def _required(arg: GraphQLArgument) -> bool:
    return isinstance(arg.type, GraphQLNonNull) and arg.default_value is _UNDEFINED


def operation_error(body: Mapping[str, Any], field: str) -> dict[str, Any] | None:
    """The refusal in a response: a top-level error, or the field's business-error member."""
    for error in body.get("errors") or ():
        return {"code": (error.get("extensions") or {}).get("code"), **error}
    value = (body.get("data") or {}).get(field)
    if isinstance(value, dict) and "code" in value:
        return {"code": value["code"], "message": value.get("message", ""), "union": True}
    return None
