"""Errors that reach API clients with a stable code.

Every coded error derives from ``CodedError`` (``ApiError``, the domain's
``DomainError``, ``SecurityError``...); any exception carrying a string ``code``
attribute is a *domain error*: its message is shown to the client with
``extensions.code``. Anything else is unexpected and is masked by the GraphQL
layer (logged, never shown).
"""

from __future__ import annotations

from typing import Any

from smecredit.domain.errors import CodedError

__all__ = [
    "ApiError",
    "BadCursor",
    "CodedError",
    "Conflict",
    "InvalidInput",
    "NotFound",
    "PageTooLarge",
    "PermissionDenied",
    "error_code",
]


class ApiError(CodedError):
    """An error meant for the client: a stable ``code`` and a readable message."""

    code: str = "BAD_REQUEST"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message, code=code, params=details)
        self.details = details

    @property
    def extensions(self) -> dict[str, Any]:
        """GraphQL ``extensions`` for this error (graphql-core copies them)."""
        return {"code": self.code, **self.details}


class NotFound(ApiError):
    """The requested object does not exist (or is outside the caller's scope)."""

    code = "NOT_FOUND"


class PageTooLarge(ApiError):
    """A connection was asked for more rows than the page-size cap."""

    code = "PAGE_TOO_LARGE"


class BadCursor(ApiError):
    """A pagination cursor could not be decoded or belongs to another ordering."""

    code = "BAD_CURSOR"


class InvalidInput(ApiError):
    """An argument is malformed."""

    code = "INVALID_INPUT"


class Conflict(ApiError):
    """The object changed since it was read (optimistic lock) or already exists."""

    code = "CONFLICT"


class PermissionDenied(ApiError):
    """The caller may not do this."""

    code = "FORBIDDEN"


def error_code(exc: BaseException | None) -> str | None:
    """The stable code of a domain error, or None for an unexpected one."""
    code = getattr(exc, "code", None)
    return code if isinstance(code, str) and code.isupper() else None
