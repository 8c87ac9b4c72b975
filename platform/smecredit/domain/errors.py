"""Typed errors of the credit domain, each with a stable machine-readable ``code``.

The GraphQL layer forwards ``code`` and the message to clients, so the codes are part of
the public contract: never rename one, add a new class instead.
"""

from __future__ import annotations

__all__ = [
    "CodedError",
    "DomainError",
    "Forbidden",
    "InvalidTransition",
    "LimitExceeded",
    "PreconditionFailed",
    "ReasonRequired",
]


class CodedError(Exception):
    """Base of every error that carries a stable ``code`` (domain, API, security, plugin,
    training errors), so one ``except CodedError`` catches them all.

    It lives here because the domain must stay pure (no imports from outside it) and
    every other layer may import the domain; ``smecredit.errors`` re-exports it.

    The message is the technical text (English, for logs and developers); what a person
    reads is the catalogued text of ``code`` in their language (``smecredit.i18n``,
    key ``errors.<CODE>``), filled with ``params``.

    Attributes:
        code: stable UPPER_SNAKE error code, part of the public contract.
        params: values the translated message may name.
    """

    code: str = "CODED_ERROR"

    def __init__(
        self, message: str, *, code: str | None = None, params: dict[str, object] | None = None
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        #: values the catalogued, translated message of ``code`` may name (``{field}``)
        self.params: dict[str, object] = dict(params or {})

    @property
    def message(self) -> str:
        """The human-readable message."""
        return str(self)


class DomainError(CodedError, ValueError):
    """Base of the credit domain's errors.

    Attributes:
        code: stable UPPER_SNAKE error code.
    """

    code: str = "DOMAIN_ERROR"


class InvalidTransition(DomainError):
    """The action does not exist from the current state."""

    code = "INVALID_TRANSITION"


class Forbidden(DomainError):
    """The actor may not perform the action (role, maker-checker, duplicate approval)."""

    code = "FORBIDDEN"


class ReasonRequired(DomainError):
    """The action must be justified by a non-blank reason."""

    code = "REASON_REQUIRED"


class LimitExceeded(DomainError):
    """The amount exceeds the product maximum or the approval authority's ceiling."""

    code = "LIMIT_EXCEEDED"


class PreconditionFailed(DomainError):
    """The action exists from this state but a business precondition is not met.

    Examples: closing a loan with an outstanding balance, a second appeal, an appeal after
    the appeal window, undoing a disbursement after repayments were recorded.
    """

    code = "PRECONDITION_FAILED"
