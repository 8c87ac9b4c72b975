"""Errors of the lending services that the domain does not know about."""

from __future__ import annotations

from smecredit.domain.errors import DomainError

__all__ = ["DuplicateIdempotencyKey", "IncompleteApplication", "RepaymentNotAllowed"]


class IncompleteApplication(DomainError):
    """The application cannot be submitted yet.

    Attributes:
        missing: one human-readable line per missing item.
    """

    code = "INCOMPLETE_APPLICATION"

    def __init__(self, missing: list[str]) -> None:
        super().__init__("the application is incomplete: " + "; ".join(missing))
        self.missing = list(missing)


class DuplicateIdempotencyKey(DomainError):
    """An idempotency key was reused for a different request."""

    code = "DUPLICATE_IDEMPOTENCY_KEY"


class RepaymentNotAllowed(DomainError):
    """A repayment or reversal cannot be posted (loan not active, already reversed...)."""

    code = "PRECONDITION_FAILED"
