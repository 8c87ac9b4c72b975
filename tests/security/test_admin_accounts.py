"""Administration over HTTP: password resets that force a change, reactivation, the roles.

A reset gives a one-time temporary password and ends the user's sessions; the next
sign-in stands at the same kind of sign-in step as a forced second-factor enrolment: the
session may do nothing but ``changePassword`` (or sign out) until the change succeeds.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pyotp
import pytest
from helpers import gql
from results_support import error_code, error_detail, error_message, on

from smecredit.app import create_app
from smecredit.models import AuditLog, User
from smecredit.security.operations import OPERATIONS
from smecredit.security.passwords import check_password_policy
from smecredit.security.principal import ROLES
from smecredit.settings import Settings, load_settings

pytestmark = pytest.mark.anyio

RESET = (
    "mutation($id: ID!, $p: String) { resetUserPassword(id: $id, temporaryPassword: $p) "
    + on(
        "ResetPasswordPayload",
        "temporaryPassword revokedSessions user { username mustChangePassword }",
    )
    + " }"
)
REACTIVATE = "mutation($id: ID!) { reactivateUser(id: $id) " + on("User", "username active") + " }"
DEACTIVATE = "mutation($id: ID!) { deactivateUser(id: $id) " + on("User", "active") + " }"
SIGN_IN = (
    "mutation($u: String!, $p: String!) { signIn(username: $u, password: $p) "
    + on(
        "SignInPayload",
        "token mfaRequired mfaEnrollmentRequired passwordChangeRequired user { username }",
    )
    + " }"
)
CHANGE = (
    "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) "
    + on("User", "username")
    + " }"
)
SIGN_OUT = "mutation { signOut { ... on SignOutPayload { sessionsClosed } } }"
ROLES_QUERY = (
    "{ roles { name label labelZh description descriptionZh "
    "operations { name description scope } } }"
)
PROTECTED = "{ firms(first: 1) { totalCount } }"
NEW_PASSWORD = "Fresh#Secret-8642"
CHOSEN = "Chosen#Temp-97531"
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _client(app: Any, token: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers
    )


async def _sign_in(app: Any, username: str, password: str) -> dict[str, Any]:
    async with _client(app) as anon:
        return await gql(anon, SIGN_IN, {"u": username, "p": password})


async def _id(client: httpx.AsyncClient) -> str:
    return str((await gql(client, "{ me { id } }"))["data"]["me"]["id"])


async def test_reset_forces_a_change_before_anything_else(
    app: Any, client: httpx.AsyncClient, client_for: Any
) -> None:
    officer = await client_for("loan_officer", "HZ01")
    body = await gql(client, RESET, {"id": await _id(officer)})
    reset = body["data"]["resetUserPassword"]
    temporary = reset["temporaryPassword"]
    assert reset["revokedSessions"] == 1
    assert reset["user"] == {"username": officer.username, "mustChangePassword": True}
    assert check_password_policy(temporary, username=officer.username) == []
    # The open session has ended, the old password is refused.
    assert error_code(await gql(officer, PROTECTED)) == "UNAUTHENTICATED"
    old = await _sign_in(app, officer.username, officer.password)
    assert error_code(old) == "INVALID_CREDENTIALS"

    result = (await _sign_in(app, officer.username, temporary))["data"]["signIn"]
    assert result["passwordChangeRequired"] is True and result["user"] is None
    assert result["mfaRequired"] is False and result["mfaEnrollmentRequired"] is False
    async with _client(app, result["token"]) as pending:
        for document in (
            PROTECTED,
            ROLES_QUERY,
            "mutation { signOutEverywhere { __typename } }",
            'mutation { scoreFirm(firmId: "RmlybTox") { __typename } }',
        ):
            refused = await gql(pending, document)
            assert error_code(refused) == "UNAUTHENTICATED", (document, refused)
            assert "changePassword" in refused["errors"][0]["message"]
        assert (await gql(pending, "{ me { username } }"))["data"]["me"] is None
        wrong = await gql(pending, CHANGE, {"c": "Not#The-Temp-123", "n": NEW_PASSWORD})
        assert error_code(wrong) == "WRONG_PASSWORD"
        weak = await gql(pending, CHANGE, {"c": temporary, "n": "password123"})
        assert error_code(weak) == "WEAK_PASSWORD"
        assert error_code(await gql(pending, PROTECTED)) == "UNAUTHENTICATED"
        changed = await gql(pending, CHANGE, {"c": temporary, "n": NEW_PASSWORD})
        assert changed == {"data": {"changePassword": {"username": officer.username}}}, changed
        # The same session is a full one now.
        assert "errors" not in await gql(pending, PROTECTED)
        me = await gql(pending, "{ me { username mustChangePassword } }")
        assert me["data"]["me"] == {"username": officer.username, "mustChangePassword": False}

    again = (await _sign_in(app, officer.username, NEW_PASSWORD))["data"]["signIn"]
    assert again["passwordChangeRequired"] is False
    assert again["user"] == {"username": officer.username}
    assert error_code(await _sign_in(app, officer.username, temporary)) == "INVALID_CREDENTIALS"

    # One audit row of the service, naming the administrator; no password in it.
    rows = await AuditLog.filter(action__startswith="user.reset_password").all()
    assert [(r.action, r.resource) for r in rows] == [
        ("user.reset_password", f"User:{officer.user_id}")
    ]
    assert rows[0].actor == client.username  # type: ignore[attr-defined]
    assert not await AuditLog.filter(action__startswith="mutation.resetUserPassword").exists()
    stored = await User.get(id=officer.user_id)
    assert temporary not in stored.password_hash and not stored.must_change_password


async def test_a_chosen_temporary_password_meets_the_password_rules(
    app: Any, client: httpx.AsyncClient, client_for: Any
) -> None:
    viewer = await client_for("viewer", "SH01")
    user_id = await _id(viewer)
    for weak in ("Password2024!", "short", f"{viewer.username}#Aa1"):
        body = await gql(client, RESET, {"id": user_id, "p": weak})
        assert error_code(body) == "WEAK_PASSWORD", (weak, body)
        assert error_detail(body).startswith("temporaryPassword refused"), body
    # Refused resets changed nothing: the session goes on.
    assert "errors" not in await gql(viewer, PROTECTED)
    body = await gql(client, RESET, {"id": user_id, "p": CHOSEN})
    assert body["data"]["resetUserPassword"]["temporaryPassword"] is None
    result = (await _sign_in(app, viewer.username, CHOSEN))["data"]["signIn"]
    assert result["passwordChangeRequired"] is True
    async with _client(app, result["token"]) as pending:
        # The temporary password is not an acceptable new one.
        assert (
            error_code(await gql(pending, CHANGE, {"c": CHOSEN, "n": CHOSEN})) == "PASSWORD_REUSED"
        )
        assert (await gql(pending, SIGN_OUT)) == {"data": {"signOut": {"sessionsClosed": 1}}}


@pytest.mark.parametrize("role", ["loan_officer", "approver", "compliance_auditor", "viewer"])
async def test_only_administrators_reset_and_reactivate(
    client: httpx.AsyncClient, client_for: Any, role: str
) -> None:
    other = await client_for(role, "HQ")
    target = await client_for("viewer", "HQ")
    target_id = await _id(target)
    for document in (RESET, REACTIVATE):
        body = await gql(other, document, {"id": target_id})
        assert error_code(body) == "FORBIDDEN", (role, document, body)
    stored = await User.get(id=target.user_id)
    assert not stored.must_change_password and stored.active
    assert "errors" not in await gql(target, PROTECTED)


async def test_an_administrator_does_not_reset_its_own_password(
    client: httpx.AsyncClient,
) -> None:
    body = await gql(client, RESET, {"id": await _id(client)})
    assert error_code(body) == "OWN_ACCOUNT" and "changePassword" in error_message(body)
    assert "errors" not in await gql(client, PROTECTED)


async def test_reactivation_lets_the_user_sign_in_again(
    app: Any, client: httpx.AsyncClient, client_for: Any
) -> None:
    approver = await client_for("approver", "HZ01")
    user_id = await _id(approver)
    assert error_code(await gql(client, REACTIVATE, {"id": user_id})) == "USER_ACTIVE"
    assert (await gql(client, DEACTIVATE, {"id": user_id}))["data"]["deactivateUser"] == {
        "active": False
    }
    refused = await _sign_in(app, approver.username, approver.password)
    assert error_code(refused) == "INVALID_CREDENTIALS"
    body = await gql(client, REACTIVATE, {"id": user_id})
    assert body["data"]["reactivateUser"] == {"username": approver.username, "active": True}
    result = (await _sign_in(app, approver.username, approver.password))["data"]["signIn"]
    assert result["user"] == {"username": approver.username}
    async with _client(app, result["token"]) as back:
        assert "errors" not in await gql(back, PROTECTED)
    actions = await AuditLog.filter(resource=f"User:{approver.user_id}").values_list(
        "action", flat=True
    )
    assert "user.reactivate" in actions and "mutation.reactivateUser" not in actions


def _granted(role: str) -> list[str]:
    return sorted(name for name, op in OPERATIONS.items() if role in op.roles)


async def test_roles_lists_every_role_in_both_languages_with_its_operations(
    client: httpx.AsyncClient, client_for: Any
) -> None:
    body = await gql(client, ROLES_QUERY)
    listed = {r["name"]: r for r in body["data"]["roles"]}
    assert set(listed) == set(ROLES)
    for name, role in listed.items():
        assert role["label"] and not _CJK.search(role["label"]), role
        assert _CJK.search(role["labelZh"]) and _CJK.search(role["descriptionZh"]), role
        assert role["description"] and not _CJK.search(role["description"]), role
        assert [op["name"] for op in role["operations"]] == _granted(name)
        assert all(
            op["description"] and op["scope"] in ("GLOBAL", "BRANCH") for op in role["operations"]
        )
    admin = {op["name"] for op in listed["admin"]["operations"]}
    assert {"user.reset_password", "user.reactivate", "role.view"} <= admin
    officer = {op["name"] for op in listed["loan_officer"]["operations"]}
    assert "firm.create" in officer and "user.reset_password" not in officer
    assert listed["viewer"]["operations"] == []
    assert listed["loan_officer"]["labelZh"] == "客户经理"
    # Compliance auditors read it too; other roles are refused.
    auditor = await client_for("compliance_auditor", "HQ")
    assert (await gql(auditor, ROLES_QUERY))["data"]["roles"] == body["data"]["roles"]
    officer_client = await client_for("loan_officer", "HZ01")
    assert error_code(await gql(officer_client, ROLES_QUERY)) == "FORBIDDEN"


@pytest.fixture
async def mfa_app(db: Settings) -> AsyncIterator[Any]:
    env = {
        **db.extra,
        "SMECREDIT_MFA_REQUIRED_ROLES": "approver",
        "SMECREDIT_SIGNIN_LOCKOUT_FAILURES": "2",
    }
    app = create_app(load_settings(env), manage_db=False)
    start = datetime.now(UTC)
    app.state.auth.clock = lambda: start
    yield app


async def test_the_second_factor_comes_first_then_the_password_change(mfa_app: Any) -> None:
    from conftest import authenticated_client

    admin = await authenticated_client(mfa_app, "admin", "HQ")
    approver = await authenticated_client(mfa_app, "approver", "HQ")
    async with admin, approver:
        # Locked out by failed sign-ins: the reset lifts the lock.
        for _ in range(2):
            await _sign_in(mfa_app, approver.username, "Wrong#Guess-12345")
        locked = await _sign_in(mfa_app, approver.username, approver.password)
        assert error_code(locked) == "TOO_MANY_ATTEMPTS", locked
        body = await gql(admin, RESET, {"id": str(await _id(approver))})
        temporary = body["data"]["resetUserPassword"]["temporaryPassword"]
    result = (await _sign_in(mfa_app, approver.username, temporary))["data"]["signIn"]
    assert result["mfaEnrollmentRequired"] is True and result["passwordChangeRequired"] is True
    async with _client(mfa_app, result["token"]) as pending:
        early = await gql(pending, CHANGE, {"c": temporary, "n": NEW_PASSWORD})
        assert (
            error_code(early) == "UNAUTHENTICATED" and "enrollTotp" in early["errors"][0]["message"]
        )
        enrol = "mutation { enrollTotp " + on("TotpEnrollment", "secret") + " }"
        secret = (await gql(pending, enrol))["data"]["enrollTotp"]
        code = pyotp.TOTP(secret["secret"]).at(mfa_app.state.auth.clock())
        confirmed = await gql(
            pending,
            "mutation($c: String!) { confirmTotp(code: $c) " + on("RecoveryCodes", "codes") + " }",
            {"c": code},
        )
        assert error_code(confirmed) is None and confirmed["data"]["confirmTotp"]["codes"]
        # Enrolled: the password change is what the session owes now.
        refused = await gql(pending, PROTECTED)
        assert error_code(refused) == "UNAUTHENTICATED"
        assert "changePassword" in refused["errors"][0]["message"]
        changed = await gql(pending, CHANGE, {"c": temporary, "n": NEW_PASSWORD})
        assert changed == {"data": {"changePassword": {"username": approver.username}}}, changed
        assert "errors" not in await gql(pending, PROTECTED)
