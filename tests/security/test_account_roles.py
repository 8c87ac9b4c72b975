"""Every role can sign in with a token and manage its own second factor over HTTP.

The answers of the account mutations (``SignInPayload``, ``User``, ``TotpEnrollment``,
``RecoveryCodes``, ``RecoveryCodePayload``: members of their result unions) are read under
the field policy of the user who just signed in; a role without rules for them (the
partner's, which lists only what it may read) used to get its own token refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pyotp
import pytest
from conftest import TEST_USER_PASSWORD
from helpers import gql
from results_support import error_code, on

from smecredit.models import User
from smecredit.security.passwords import hash_password
from smecredit.security.principal import ROLES

pytestmark = pytest.mark.anyio

SIGN_IN = (
    "mutation($u: String!, $p: String!) { signIn(username: $u, password: $p) "
    + on(
        "SignInPayload",
        "token mfaRequired expiresAt "
        "user { id username displayName roles branchCode active totpEnrolled createdAt }",
    )
    + " }"
)
ME = "{ me { username roles branchCode totpEnrolled lastSignInAt } }"
ENROL = "mutation { enrollTotp " + on("TotpEnrollment", "secret otpauthUri") + " }"
CONFIRM = "mutation($c: String!) { confirmTotp(code: $c) " + on("RecoveryCodes", "codes") + " }"
VERIFY = "mutation($c: String!) { verifyTotp(code: $c) " + on("User", "username roles") + " }"
RECOVER = (
    "mutation($c: String!) { useRecoveryCode(code: $c) "
    + on("RecoveryCodePayload", "remainingRecoveryCodes user { username }")
    + " }"
)


def _client(app: Any, token: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers
    )


def _clean(body: dict[str, Any], role: str, step: str) -> dict[str, Any]:
    assert error_code(body) is None, (role, step, body)
    return body["data"]  # type: ignore[no-any-return]


async def _sign_in(app: Any, username: str) -> dict[str, Any]:
    async with _client(app) as anon:
        return await gql(anon, SIGN_IN, {"u": username, "p": TEST_USER_PASSWORD})


async def test_every_role_signs_in_with_a_token_and_enrols_a_second_factor(app: Any) -> None:
    hasher = app.state.auth.hasher
    start = datetime.now(UTC)
    for role in ROLES:
        app.state.auth.clock = lambda: start
        name = f"who-{role.replace('_', '-')}"
        branch = "HQ" if role in ("admin", "risk_analyst", "compliance_auditor") else "HZ01"
        await User.create(
            username=name,
            password_hash=hash_password(TEST_USER_PASSWORD, hasher=hasher),
            roles=[role],
            branch_code=branch,
        )
        result = _clean(await _sign_in(app, name), role, "signIn")["signIn"]
        assert result["token"] and result["mfaRequired"] is False, role
        assert result["user"]["username"] == name and result["user"]["roles"] == [role]
        async with _client(app, result["token"]) as me:
            assert _clean(await gql(me, ME), role, "me")["me"]["username"] == name
            enrolment = _clean(await gql(me, ENROL), role, "enrollTotp")["enrollTotp"]
            totp = pyotp.TOTP(enrolment["secret"])
            codes = _clean(await gql(me, CONFIRM, {"c": totp.at(start)}), role, "confirm")
            recovery = codes["confirmTotp"]["codes"]
        # Signing in again now needs the second factor; both ways of giving it answer.
        pending = _clean(await _sign_in(app, name), role, "signIn (2)")["signIn"]
        assert pending["token"] and pending["mfaRequired"] is True and pending["user"] is None
        async with _client(app, pending["token"]) as second:
            body = await gql(second, RECOVER, {"c": recovery[0]})
            assert _clean(body, role, "useRecoveryCode")["useRecoveryCode"]["user"] == {
                "username": name
            }
        pending = _clean(await _sign_in(app, name), role, "signIn (3)")["signIn"]
        later = start + timedelta(seconds=30)  # the enrolment's code is spent
        app.state.auth.clock = lambda at=later: at
        async with _client(app, pending["token"]) as second:
            body = await gql(second, VERIFY, {"c": totp.at(later)})
            assert _clean(body, role, "verifyTotp")["verifyTotp"]["username"] == name
