"""Base error of the security package, carrying a stable machine-readable ``code``."""

from __future__ import annotations

from smecredit.domain.errors import CodedError

__all__ = ["SecurityError"]


class SecurityError(CodedError):
    """Base of the security errors.

    Attributes:
        code: stable UPPER_SNAKE error code, part of the public contract.
    """

    code: str = "SECURITY_ERROR"
