"""Opaque session tokens and the cookie settings that carry them.

The client gets a random token; the database stores only its SHA-256 digest, so a leaked
sessions table cannot be replayed. The token has 256 bits of entropy, which is why a plain
(unsalted, fast) hash is enough here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any, Literal

__all__ = [
    "CSRF_HEADER_NAME",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_PATH",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_SECURE_NAME",
    "SESSION_TOKEN_BYTES",
    "csrf_tokens_match",
    "new_csrf_token",
    "new_session_token",
    "session_cookie_name",
    "session_cookie_options",
    "token_digest",
]

SESSION_TOKEN_BYTES = 32
"""Random bytes per session token (256 bits)."""

SESSION_COOKIE_NAME = "smecredit_session"
"""Cookie name over plain HTTP (development)."""
# The __Host- prefix makes browsers refuse the cookie unless Secure, Path=/ and no Domain:
# a sibling sub-domain cannot plant or overwrite it.
SESSION_COOKIE_SECURE_NAME = "__Host-smecredit_session"
"""Cookie name over HTTPS."""
SESSION_COOKIE_HTTPONLY = True
"""Scripts never read the session cookie (limits what an XSS can steal)."""
SESSION_COOKIE_SAMESITE: Literal["lax", "strict"] = "lax"
"""Lax: sent on top-level navigation, not on cross-site POSTs (the CSRF vector)."""
SESSION_COOKIE_PATH = "/"
CSRF_HEADER_NAME = "X-CSRF-Token"
"""Header a state-changing request repeats the CSRF token in (double-submit)."""


def new_session_token() -> tuple[str, str]:
    """Create a session token.

    Returns:
        ``(token, digest)``: send ``token`` to the client (cookie), store only ``digest``.
    """
    token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    """Digest under which a session token is stored and looked up.

    Args:
        token: the token the client presented.

    Returns:
        SHA-256 hex digest (64 characters).
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_csrf_token() -> str:
    """Create a random CSRF token (bound to the session by the caller).

    Returns:
        A URL-safe random string.
    """
    return secrets.token_urlsafe(SESSION_TOKEN_BYTES)


def csrf_tokens_match(expected: str | None, presented: str | None) -> bool:
    """Constant-time comparison of the session's CSRF token and the request header's.

    Args:
        expected: the token bound to the session.
        presented: the token from the request header.

    Returns:
        True only when both are present and equal.
    """
    if not expected or not presented:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), presented.encode("utf-8"))


def session_cookie_name(*, secure: bool) -> str:
    """Name of the session cookie.

    Args:
        secure: whether the site is served over HTTPS (from settings).

    Returns:
        ``__Host-smecredit_session`` over HTTPS, ``smecredit_session`` otherwise.
    """
    return SESSION_COOKIE_SECURE_NAME if secure else SESSION_COOKIE_NAME


def session_cookie_options(
    *,
    secure: bool,
    max_age: int | None = None,
    samesite: Literal["lax", "strict"] = SESSION_COOKIE_SAMESITE,
) -> dict[str, Any]:
    """Keyword arguments for Starlette's ``Response.set_cookie`` (besides key and value).

    Args:
        secure: whether to set the Secure flag (decided by settings: True behind HTTPS).
        max_age: cookie lifetime in seconds; None for a browser-session cookie.
        samesite: ``"lax"`` (default) or ``"strict"``.

    Returns:
        ``httponly``, ``secure``, ``samesite``, ``path`` and ``max_age``.
    """
    return {
        "httponly": SESSION_COOKIE_HTTPONLY,
        "secure": secure,
        "samesite": samesite,
        "path": SESSION_COOKIE_PATH,
        "max_age": max_age,
    }
