"""The one error convention of the API: result unions of mutations, coded errors of queries.

Every mutation answers ``<Name>Result``, the union of its payload object and the typed
business errors of :data:`Errors`, so a client handles a refusal as data, with
``__typename`` and a stable ``code``. Queries refuse with a GraphQL error carrying
``extensions.code`` (``NOT_FOUND``, ``FORBIDDEN``, ``BAD_CURSOR`` ...). Both draw on one
catalogue of codes: ``errors.<CODE>`` in :mod:`smecredit.i18n`, which gives the message
a person reads in their language; ``detail`` keeps the technical text for logs.
``docs/graphql.md`` documents the convention with examples.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable
from typing import Annotated, Any, TypeVar, Union

import strawberry

from smecredit.i18n import language_of, translate
from smecredit.services.lending.errors import IncompleteApplication as IncompleteError

__all__ = [
    "ERROR_MEMBERS",
    "BusinessError",
    "Conflict",
    "DuplicateIdempotencyKey",
    "Errors",
    "Forbidden",
    "IncompleteApplication",
    "InvalidArgument",
    "InvalidTransition",
    "LimitExceeded",
    "NotFoundError",
    "PreconditionFailed",
    "ReasonRequired",
    "as_business_error",
    "error_message",
    "guard",
    "result_union",
]

T = TypeVar("T")


def error_message(code: str, language: str | None, params: dict[str, Any], detail: str) -> str:
    """The catalogued text of ``code`` in ``language``; the technical detail when the code
    is not catalogued (the catalogue test keeps that from shipping)."""
    return translate(f"errors.{code}", language, {**params, "detail": detail}, default=detail)


@strawberry.interface(description="A business rule refused the operation.")
class BusinessError:
    code: str = strawberry.field(description="Stable machine-readable code (errors catalogue).")
    detail: str = strawberry.field(
        description="The technical text of the refusal (English), for logs and support; "
        "show `message` to people."
    )
    params: strawberry.Private[dict[str, Any]] = dataclasses.field(default_factory=dict)

    @strawberry.field(description="What went wrong, in the caller's language.")
    def message(self, info: strawberry.Info) -> str:
        return error_message(self.code, language_of(info.context), self.params, self.detail)


@strawberry.type(description="The action does not exist from the current state.")
class InvalidTransition(BusinessError):
    pass


@strawberry.type(
    description="The caller may not perform this action (role, branch, maker-checker)."
)
class Forbidden(BusinessError):
    pass


@strawberry.type(description="The amount exceeds the product maximum or every approval authority.")
class LimitExceeded(BusinessError):
    pass


@strawberry.type(description="The action needs a non-blank reason.")
class ReasonRequired(BusinessError):
    pass


@strawberry.type(description="The idempotency key was used before for a different request.")
class DuplicateIdempotencyKey(BusinessError):
    pass


@strawberry.type(description="The application lacks evidence, consent or valid terms.")
class IncompleteApplication(BusinessError):
    missing: list[str]


@strawberry.type(description="The object changed since it was read: reload and retry.")
class Conflict(BusinessError):
    pass


@strawberry.type(description="A business precondition is not met (e.g. balance outstanding).")
class PreconditionFailed(BusinessError):
    pass


@strawberry.type(description="The object does not exist or is outside the caller's scope.")
class NotFoundError(BusinessError):
    pass


@strawberry.type(description="An argument breaks a rule (terms, amounts, dates).")
class InvalidArgument(BusinessError):
    pass


_ERROR_TYPES: dict[str, type[BusinessError]] = {
    "INVALID_TRANSITION": InvalidTransition,
    "FORBIDDEN": Forbidden,
    "UNAUTHENTICATED": Forbidden,
    "LIMIT_EXCEEDED": LimitExceeded,
    "REASON_REQUIRED": ReasonRequired,
    "DUPLICATE_IDEMPOTENCY_KEY": DuplicateIdempotencyKey,
    "CONFLICT": Conflict,
    "PRECONDITION_FAILED": PreconditionFailed,
    "NOT_FOUND": NotFoundError,
    # codes of their own, answered as the type of refusal they are
    "FOUR_EYES": Forbidden,
    "GRADE_MISSING": PreconditionFailed,
    "OVERRIDE_REASON_REQUIRED": ReasonRequired,
    "COB_RUNNING": Conflict,
}

#: The typed errors every result union holds, in schema order.
ERROR_MEMBERS: tuple[type[BusinessError], ...] = (
    InvalidTransition,
    Forbidden,
    LimitExceeded,
    ReasonRequired,
    IncompleteApplication,
    DuplicateIdempotencyKey,
    Conflict,
    PreconditionFailed,
    NotFoundError,
    InvalidArgument,
)

Errors = (
    InvalidTransition
    | Forbidden
    | LimitExceeded
    | ReasonRequired
    | IncompleteApplication
    | DuplicateIdempotencyKey
    | Conflict
    | PreconditionFailed
    | NotFoundError
    | InvalidArgument
)


def result_union(name: str, payload: Any) -> Any:
    """The ``<Name>Result`` union of a mutation: ``payload`` or any typed error.

    Use as the resolver's return annotation: ``UserResult = result_union("UserResult",
    UserType)``; the resolver returns ``await guard(work())``.
    """
    return Annotated[Union[payload, Errors], strawberry.union(name)]  # noqa: UP007


def as_business_error(exc: Exception) -> BusinessError:
    """The typed error for a coded exception; anything uncoded is re-raised (unexpected)."""
    code = getattr(exc, "code", None)
    if not isinstance(code, str) or not code.isupper():
        raise exc
    params = dict(getattr(exc, "params", None) or {})
    if isinstance(exc, IncompleteError):
        return IncompleteApplication(code=code, detail=str(exc), params=params, missing=exc.missing)
    cls = _ERROR_TYPES.get(code, InvalidArgument)
    return cls(code=code, detail=str(exc), params=params)


async def guard(call: Awaitable[T]) -> T | BusinessError:
    """The result of ``call``, or the typed business error its coded exception stands for."""
    try:
        return await call
    except Exception as exc:
        return as_business_error(exc)
