"""The second factor is mandatory for the roles ``SMECREDIT_MFA_REQUIRED_ROLES`` names, and
enrolled at the first sign-in: until then the session may only enrol it or sign out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pyotp
import pytest
from conftest import TEST_USER_PASSWORD
from helpers import gql
from results_support import error_code, on

from smecredit.app import create_app
from smecredit.models import Session, User
from smecredit.security.passwords import hash_password, make_hasher
from smecredit.services.accounts import TEST_PARAMS
from smecredit.settings import DEFAULT_MFA_REQUIRED_ROLES, Settings, SettingsError, load_settings

pytestmark = pytest.mark.anyio

SIGN_IN = (
    "mutation($u: String!, $p: String!) { signIn(username: $u, password: $p) "
    + on("SignInPayload", "token mfaRequired mfaEnrollmentRequired user { username }")
    + " }"
)
ENROL = "mutation { enrollTotp " + on("TotpEnrollment", "secret otpauthUri") + " }"
CONFIRM = "mutation($c: String!) { confirmTotp(code: $c) " + on("RecoveryCodes", "codes") + " }"
SIGN_OUT = "mutation { signOut { ... on SignOutPayload { sessionsClosed } } }"
PROTECTED = "{ firms(first: 1) { totalCount } }"
CREATE = (
    'mutation { createUser(input: {username: "x.y", password: "Strong#Pass-1234", '
    'roles: ["viewer"], branchCode: "HQ"}) { ... on User { username } } }'
)


def _client(app: Any, token: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers
    )


async def _user(role: str, name: str | None = None) -> User:
    return await User.create(
        username=name or f"mfa-{role.replace('_', '-')}",
        # Cheap to verify under any hasher (argon2 reads its parameters from the hash).
        password_hash=hash_password(TEST_USER_PASSWORD, hasher=make_hasher(TEST_PARAMS)),
        roles=[role],
        branch_code="HQ",
    )


async def _sign_in(app: Any, username: str) -> dict[str, Any]:
    async with _client(app) as anon:
        body = await gql(anon, SIGN_IN, {"u": username, "p": TEST_USER_PASSWORD})
    assert error_code(body) is None, body
    return body["data"]["signIn"]  # type: ignore[no-any-return]


@pytest.fixture
async def mfa_app(db: Settings) -> AsyncIterator[Any]:
    env = {**db.extra, "SMECREDIT_MFA_REQUIRED_ROLES": "admin,approver"}
    app = create_app(load_settings(env), manage_db=False)
    start = datetime.now(UTC)
    app.state.auth.clock = lambda: start
    yield app


def test_required_roles_by_mode() -> None:
    assert load_settings({"SMECREDIT_ENV": "prod"}).mfa_roles == set(DEFAULT_MFA_REQUIRED_ROLES)
    assert set(DEFAULT_MFA_REQUIRED_ROLES) == {
        "admin",
        "approver",
        "credit_committee",
        "risk_analyst",
        "compliance_auditor",
    }
    assert load_settings({}).mfa_roles == frozenset()  # make demo signs in with passwords
    chosen = load_settings({"SMECREDIT_MFA_REQUIRED_ROLES": "admin, viewer"})
    assert chosen.mfa_roles == {"admin", "viewer"}
    off = load_settings({"SMECREDIT_ENV": "prod", "SMECREDIT_MFA_REQUIRED_ROLES": "none"})
    assert off.mfa_roles == frozenset()
    with pytest.raises(SettingsError) as err:
        load_settings({"SMECREDIT_MFA_REQUIRED_ROLES": "admin,approvers"})
    assert str(err.value).startswith("SMECREDIT_MFA_REQUIRED_ROLES") and "approvers" in str(
        err.value
    )


async def test_enrolment_is_forced_at_first_sign_in(mfa_app: Any) -> None:
    await _user("admin")
    result = await _sign_in(mfa_app, "mfa-admin")
    assert result["mfaEnrollmentRequired"] is True and result["mfaRequired"] is False
    assert result["user"] is None and result["token"]
    async with _client(mfa_app, result["token"]) as pending:
        # Nothing but the enrolment (and signing out) until it is confirmed.
        for document in (PROTECTED, CREATE, "mutation { signOutEverywhere { __typename } }"):
            body = await gql(pending, document)
            assert error_code(body) == "UNAUTHENTICATED", (document, body)
            assert "enrollTotp" in body["errors"][0]["message"]
        assert (await gql(pending, "{ me { username } }"))["data"]["me"] is None
        enrolment = (await gql(pending, ENROL))["data"]["enrollTotp"]
        assert enrolment["otpauthUri"].startswith("otpauth://totp/")
        code = pyotp.TOTP(enrolment["secret"]).at(mfa_app.state.auth.clock())
        body = await gql(pending, CONFIRM, {"c": code})
        assert len(body["data"]["confirmTotp"]["codes"]) == 10, body
        # The same session is now complete.
        assert "errors" not in await gql(pending, PROTECTED)
        assert (await gql(pending, "{ me { username } }"))["data"]["me"] == {
            "username": "mfa-admin"
        }
    # From now on the admin signs in with the second factor.
    again = await _sign_in(mfa_app, "mfa-admin")
    assert again["mfaRequired"] is True and again["mfaEnrollmentRequired"] is False


async def test_a_session_owing_its_enrolment_or_its_code_can_sign_out(mfa_app: Any) -> None:
    await _user("approver")
    result = await _sign_in(mfa_app, "mfa-approver")
    async with _client(mfa_app, result["token"]) as pending:
        assert (await gql(pending, SIGN_OUT)) == {"data": {"signOut": {"sessionsClosed": 1}}}
    assert await Session.filter(revoked_at__isnull=True).count() == 0
    # Enrol, then a session owing the code signs out too.
    async with _client(mfa_app, (await _sign_in(mfa_app, "mfa-approver"))["token"]) as c:
        secret = (await gql(c, ENROL))["data"]["enrollTotp"]["secret"]
        await gql(c, CONFIRM, {"c": pyotp.TOTP(secret).at(mfa_app.state.auth.clock())})
    owing = await _sign_in(mfa_app, "mfa-approver")
    assert owing["mfaRequired"] is True
    async with _client(mfa_app, owing["token"]) as pending:
        assert (await gql(pending, SIGN_OUT)) == {"data": {"signOut": {"sessionsClosed": 1}}}


async def test_roles_not_named_sign_in_without_a_second_factor(mfa_app: Any) -> None:
    await _user("loan_officer")
    result = await _sign_in(mfa_app, "mfa-loan-officer")
    assert result["mfaEnrollmentRequired"] is False and result["mfaRequired"] is False
    assert result["user"] == {"username": "mfa-loan-officer"}


async def test_production_requires_the_second_factor_of_an_administrator(db: Settings) -> None:
    env = {k: v for k, v in db.extra.items() if k != "SMECREDIT_ARGON2_PROFILE"}
    app = create_app(load_settings({**env, "SMECREDIT_ENV": "prod"}), manage_db=False)
    await _user("admin", "prod-admin")
    result = await _sign_in(app, "prod-admin")
    assert result["mfaEnrollmentRequired"] is True and result["user"] is None
    async with _client(app, result["token"]) as pending:
        assert error_code(await gql(pending, PROTECTED)) == "UNAUTHENTICATED"


async def test_an_existing_session_of_a_newly_required_role_must_enrol(mfa_app: Any) -> None:
    # A session opened before the setting named the role (or before the role was given)
    # is limited as soon as it is used.
    from smecredit.services.sessions import open_session

    user = await _user("admin", "old-admin")
    token, _ = await open_session(mfa_app.state.auth, user)
    async with _client(mfa_app, token) as c:
        assert error_code(await gql(c, PROTECTED)) == "UNAUTHENTICATED"
