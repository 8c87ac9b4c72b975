"""Base error of the security package, carrying a stable machine-readable ``code``."""

from __future__ import annotations

__all__ = ["SecurityError"]


class SecurityError(Exception):
    """Base of the security errors.

    Attributes:
        code: stable UPPER_SNAKE error code, part of the public contract.
    """

    code: str = "SECURITY_ERROR"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        """The human-readable message."""
        return str(self)
