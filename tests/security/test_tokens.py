from __future__ import annotations

import hashlib

from smecredit.security.tokens import (
    csrf_tokens_match,
    new_csrf_token,
    new_session_token,
    session_cookie_name,
    session_cookie_options,
    token_digest,
)


def test_session_token_and_digest() -> None:
    token, digest = new_session_token()
    assert len(token) >= 43  # 32 random bytes in base64url
    assert digest == hashlib.sha256(token.encode()).hexdigest() == token_digest(token)
    assert token not in digest
    other, other_digest = new_session_token()
    assert other != token and other_digest != digest


def test_cookie_options_follow_the_secure_setting() -> None:
    secure = session_cookie_options(secure=True, max_age=3600)
    assert secure == {
        "httponly": True,
        "secure": True,
        "samesite": "lax",
        "path": "/",
        "max_age": 3600,
    }
    assert session_cookie_options(secure=False)["secure"] is False
    assert session_cookie_options(secure=True, samesite="strict")["samesite"] == "strict"
    assert session_cookie_name(secure=True).startswith("__Host-")
    assert not session_cookie_name(secure=False).startswith("__Host-")


def test_csrf_tokens() -> None:
    token = new_csrf_token()
    assert csrf_tokens_match(token, token)
    assert not csrf_tokens_match(token, new_csrf_token())
    assert not csrf_tokens_match(None, token)
    assert not csrf_tokens_match(token, "")
