"""GraphQL result and error types shared by every domain: the typed business errors that
are members of mutation result unions, the ``Errors`` union of them, and the helpers that
turn a coded exception into one.

A mutation that returns ``<Object>Result`` answers either the object or one of these,
each with a stable ``code`` and a message, so a client handles a refusal as data.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import strawberry

from smecredit.services.lending.errors import IncompleteApplication as IncompleteError

__all__ = [
    "BusinessError",
    "Conflict",
    "DuplicateIdempotencyKey",
    "Errors",
    "IncompleteApplication",
    "InvalidArgument",
    "InvalidTransition",
    "LimitExceeded",
    "NotAuthorized",
    "NotFoundError",
    "PreconditionFailed",
    "ReasonRequired",
    "as_business_error",
    "guard",
]

T = TypeVar("T")


@strawberry.interface(description="A business rule refused the operation.")
class BusinessError:
    code: str
    message: str


@strawberry.type(description="The action does not exist from the current state.")
class InvalidTransition(BusinessError):
    pass


@strawberry.type(
    description="The caller may not perform this action (role, branch, maker-checker)."
)
class NotAuthorized(BusinessError):
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
    "NOT_AUTHORIZED": NotAuthorized,
    "FORBIDDEN": NotAuthorized,
    "LIMIT_EXCEEDED": LimitExceeded,
    "REASON_REQUIRED": ReasonRequired,
    "DUPLICATE_IDEMPOTENCY_KEY": DuplicateIdempotencyKey,
    "CONFLICT": Conflict,
    "PRECONDITION_FAILED": PreconditionFailed,
    "NOT_FOUND": NotFoundError,
    # codes of their own, answered as the type of refusal they are
    "FOUR_EYES": NotAuthorized,
    "GRADE_MISSING": PreconditionFailed,
    "OVERRIDE_REASON_REQUIRED": ReasonRequired,
}

Errors = (
    InvalidTransition
    | NotAuthorized
    | LimitExceeded
    | ReasonRequired
    | IncompleteApplication
    | DuplicateIdempotencyKey
    | Conflict
    | PreconditionFailed
    | NotFoundError
    | InvalidArgument
)


def as_business_error(exc: Exception) -> BusinessError:
    """The typed error for a coded exception; anything uncoded is re-raised (unexpected)."""
    code = getattr(exc, "code", None)
    if not isinstance(code, str) or not code.isupper():
        raise exc
    if isinstance(exc, IncompleteError):
        return IncompleteApplication(code=code, message=str(exc), missing=exc.missing)
    cls = _ERROR_TYPES.get(code, InvalidArgument)
    return cls(code=code, message=str(exc))


async def guard(call: Awaitable[T]) -> T | BusinessError:
    """The result of ``call``, or the typed business error its coded exception stands for."""
    try:
        return await call
    except Exception as exc:
        return as_business_error(exc)
