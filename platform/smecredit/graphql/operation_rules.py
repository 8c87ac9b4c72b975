"""Every mutation meets the authorisation table before its resolver runs.

:func:`apply_operation_rules` wraps each field of the ``Mutation`` type once, at schema
build, with the check of :mod:`smecredit.security.operations`: a mutation with no rule is
refused (fail closed, so a plugin's mutation without a rule can never run), and a caller
holding none of the operation's roles is refused before any service work. Services check
the same table again, with the object's branch, so the CLI meets the same rule.

A refusal answers in the mutation's own dialect: a result union with a ``Forbidden``
member gets that member (code ``FORBIDDEN``), any other mutation a ``FORBIDDEN`` error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLNonNull, GraphQLResolveInfo, GraphQLUnionType, default_field_resolver

from smecredit.errors import ApiError, PermissionDenied
from smecredit.graphql.results import Forbidden
from smecredit.security.operations import (
    Scope,
    Unauthenticated,
    authorize,
    operation_for_mutation,
)

__all__ = ["apply_operation_rules", "mutation_operations"]

_APPLIED_ATTR = "_smecredit_operation_rules"


def _answers_not_authorized(return_type: Any) -> bool:
    inner = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
    return isinstance(inner, GraphQLUnionType) and any(t.name == "Forbidden" for t in inner.types)


def _refuse(error: ApiError, as_union: bool) -> Any:
    if as_union and isinstance(error, PermissionDenied):
        return Forbidden(code=error.code, detail=error.message, params=dict(error.params))
    raise error


def _checked(field_name: str, resolve: Callable[..., Any], as_union: bool) -> Callable[..., Any]:
    # Positional-only: a mutation may well have an argument called ``source`` or ``info``.
    def checked(source: Any, info: GraphQLResolveInfo, /, **kwargs: Any) -> Any:
        op = operation_for_mutation(field_name)
        if op is None:
            return _refuse(
                PermissionDenied(f"{field_name} has no rule in the authorisation table"),
                as_union,
            )
        if op.scope is not Scope.PUBLIC:
            user = getattr(info.context, "user", None)
            # In-process executions without a request (scripts, tests) that pass no user
            # are refused like anonymous callers: every mutation acts as somebody.
            try:
                authorize(user, op.name)
            except (Unauthenticated, PermissionDenied) as error:
                return _refuse(error, as_union)
        return resolve(source, info, **kwargs)

    checked.__wrapped__ = resolve  # type: ignore[attr-defined]
    return checked


def apply_operation_rules(schema: strawberry.Schema) -> int:
    """Wrap every mutation field's resolver with the table's check (idempotent).

    Returns:
        The number of mutation fields wrapped.
    """
    mutation = schema._schema.mutation_type
    if mutation is None or getattr(schema, _APPLIED_ATTR, False):
        return 0
    for name, gfield in mutation.fields.items():
        resolve = gfield.resolve or default_field_resolver
        gfield.resolve = _checked(name, resolve, _answers_not_authorized(gfield.type))
    setattr(schema, _APPLIED_ATTR, True)
    return len(mutation.fields)


def mutation_operations(schema: strawberry.Schema) -> dict[str, str | None]:
    """Every mutation field of ``schema`` -> the operation it takes (None: no rule)."""
    mutation = schema._schema.mutation_type
    if mutation is None:
        return {}
    out: dict[str, str | None] = {}
    for name in mutation.fields:
        op = operation_for_mutation(name)
        out[name] = None if op is None else op.name
    return out
