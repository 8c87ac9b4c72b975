"""Sign-in, sessions, TOTP and throttling over real HTTP against the ASGI app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pyotp
import pytest
from helpers import gql
from results_support import error_code, error_detail, error_message, on

from smecredit.models import Session, User
from smecredit.security.rate_limit import SignInThrottle, ThrottlePolicy
from smecredit.security.tokens import SESSION_COOKIE_NAME

pytestmark = pytest.mark.anyio

SIGN_IN_MFA = (
    "mutation($u: String!, $p: String!) { signIn(username: $u, password: $p) "
    + on("SignInPayload", "mfaRequired")
    + " }"
)

SIGN_IN = (
    "mutation($u: String!, $p: String!) { signIn(username: $u, password: $p) "
    + on("SignInPayload", "token mfaRequired expiresAt user { username roles branchCode }")
    + " }"
)
ME = "{ me { username roles branchCode } }"
VERIFY = "mutation($c: String!) { verifyTotp(code: $c) " + on("User", "username") + " }"
PROTECTED = "{ firms(first: 1) { totalCount } }"


def bearer(app: Any, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {token}"},
    )


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> dict[str, Any]:
    return await gql(client, SIGN_IN, {"u": username, "p": password})


async def password_step(app: Any, username: str, password: str) -> str:
    """Sign in as a browser would and return the session token from the cookie."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as browser:
        response = await browser.post(
            "/graphql",
            json={
                "query": SIGN_IN_MFA,
                "variables": {"u": username, "p": password},
            },
        )
        token = browser.cookies.get(SESSION_COOKIE_NAME)
    assert token, response.text
    return token


async def test_sign_in_returns_a_working_token_and_sets_a_hardened_cookie(
    app: Any, client_for: Any, anon_client: httpx.AsyncClient
) -> None:
    officer = await client_for("loan_officer", "HZ01")
    response = await anon_client.post(
        "/graphql",
        json={"query": SIGN_IN, "variables": {"u": officer.username, "p": officer.password}},
    )
    body = response.json()
    assert "errors" not in body, body
    result = body["data"]["signIn"]
    assert result["mfaRequired"] is False
    assert result["user"] == {
        "username": officer.username,
        "roles": ["loan_officer"],
        "branchCode": "HZ01",
    }
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE_NAME}=")
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "path=/" in lowered
    assert "secure" not in lowered  # plain-HTTP development server
    # The token works as a bearer token...
    async with bearer(app, result["token"]) as api:
        me = await gql(api, ME)
    assert me["data"]["me"]["username"] == officer.username
    # ...and the cookie works for browsers (the anon client kept it).
    me = await gql(anon_client, ME)
    assert me["data"]["me"]["username"] == officer.username
    # Only the digest is stored.
    assert not await Session.filter(token_digest=result["token"]).exists()


async def test_wrong_password_and_unknown_user_fail_alike(
    client_for: Any, anon_client: httpx.AsyncClient
) -> None:
    viewer = await client_for("viewer", "SH01")
    wrong = await sign_in(anon_client, viewer.username, "Not-The-Passw0rd!")
    unknown = await sign_in(anon_client, "nobody-here", "Not-The-Passw0rd!")
    assert error_code(wrong) == error_code(unknown) == "INVALID_CREDENTIALS"
    assert error_message(wrong) == error_message(unknown)
    assert "token" not in wrong["data"]["signIn"]


async def test_inactive_user_cannot_sign_in(
    client_for: Any, anon_client: httpx.AsyncClient
) -> None:
    viewer = await client_for("viewer")
    await User.filter(id=viewer.user_id).update(active=False)
    assert (
        error_code(await sign_in(anon_client, viewer.username, viewer.password))
        == "INVALID_CREDENTIALS"
    )
    assert error_code(await gql(viewer, PROTECTED)) == "UNAUTHENTICATED"


async def test_idle_and_absolute_expiry(app: Any, client_for: Any) -> None:
    analyst = await client_for("risk_analyst")
    assert "errors" not in await gql(analyst, PROTECTED)
    runtime = app.state.auth
    start = datetime.now(UTC)
    # Used within the idle window: still valid (and last_seen_at moves on).
    runtime.clock = lambda: start + timedelta(hours=7)
    assert "errors" not in await gql(analyst, PROTECTED)
    # Idle for more than 8 hours after that use: expired.
    runtime.clock = lambda: start + timedelta(hours=15, seconds=1)
    assert error_code(await gql(analyst, PROTECTED)) == "UNAUTHENTICATED"
    # Absolute lifetime: a fresh session whose expires_at has passed is refused.
    runtime.clock = lambda: datetime.now(UTC)
    other = await client_for("risk_analyst")
    assert "errors" not in await gql(other, PROTECTED)
    await Session.filter(id=other.session_id).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    assert error_code(await gql(other, PROTECTED)) == "UNAUTHENTICATED"


async def test_sign_out_revokes_the_session_and_clears_the_cookie(client_for: Any) -> None:
    approver = await client_for("approver", "HZ01")
    response = await approver.post(
        "/graphql",
        json={"query": "mutation { signOut { ... on SignOutPayload { sessionsClosed } } }"},
    )
    assert response.json() == {"data": {"signOut": {"sessionsClosed": 1}}}
    assert "max-age=0" in response.headers["set-cookie"].lower()
    assert error_code(await gql(approver, PROTECTED)) == "UNAUTHENTICATED"
    row = await Session.get(id=approver.session_id)
    assert row.revoked_at is not None


async def test_sign_out_everywhere_revokes_only_that_users_sessions(
    app: Any, client_for: Any, anon_client: httpx.AsyncClient
) -> None:
    officer = await client_for("loan_officer", "HZ01")
    bystander = await client_for("loan_officer", "HZ01")
    second = (await sign_in(anon_client, officer.username, officer.password))["data"]["signIn"][
        "token"
    ]
    body = await gql(
        officer, "mutation { signOutEverywhere { ... on SignOutPayload { sessionsClosed } } }"
    )
    assert body["data"]["signOutEverywhere"] == {"sessionsClosed": 2}
    async with bearer(app, second) as other_device:
        assert error_code(await gql(other_device, PROTECTED)) == "UNAUTHENTICATED"
    assert error_code(await gql(officer, PROTECTED)) == "UNAUTHENTICATED"
    assert "errors" not in await gql(bystander, PROTECTED)


async def test_admin_revokes_a_users_sessions(client: httpx.AsyncClient, client_for: Any) -> None:
    viewer = await client_for("viewer")
    me = await gql(client, "{ users(first: 50) { edges { node { id username } } } }")
    node_id = next(
        e["node"]["id"]
        for e in me["data"]["users"]["edges"]
        if e["node"]["username"] == viewer.username
    )
    body = await gql(
        client,
        "mutation($id: ID!) { revokeUserSessions(id: $id) "
        + on("RevokeSessionsPayload", "sessionsClosed user { username }")
        + " }",
        {"id": node_id},
    )
    assert body["data"]["revokeUserSessions"] == {
        "sessionsClosed": 1,
        "user": {"username": viewer.username},
    }
    assert error_code(await gql(viewer, PROTECTED)) == "UNAUTHENTICATED"


async def test_unauthenticated_callers_reach_only_sign_in_and_ping(
    anon_client: httpx.AsyncClient, app: Any
) -> None:
    assert await gql(anon_client, "{ ping }") == {"data": {"ping": "ok"}}
    assert await gql(anon_client, "{ me { username } }") == {"data": {"me": None}}
    for query in (
        PROTECTED,
        "{ ping firms(first: 1) { totalCount } }",
        "{ ...F } fragment F on Query { firms(first: 1) { totalCount } }",
        "{ ... on Query { users(first: 1) { totalCount } } }",
        "mutation { signOutEverywhere { __typename } }",
        "{ auditVerify { ok } }",
    ):
        body = await gql(anon_client, query)
        assert error_code(body) == "UNAUTHENTICATED", (query, body)
        assert body["data"] is None
    async with bearer(app, "forged-token") as forged:
        assert error_code(await gql(forged, PROTECTED)) == "UNAUTHENTICATED"


async def enrol(client: httpx.AsyncClient, app: Any) -> tuple[str, list[str]]:
    body = await gql(
        client, "mutation { enrollTotp " + on("TotpEnrollment", "secret otpauthUri") + " }"
    )
    enrolment = body["data"]["enrollTotp"]
    assert enrolment["otpauthUri"].startswith("otpauth://totp/")
    secret = enrolment["secret"]
    code = pyotp.TOTP(secret).at(app.state.auth.clock())
    body = await gql(
        client,
        "mutation($c: String!) { confirmTotp(code: $c) " + on("RecoveryCodes", "codes") + " }",
        {"c": code},
    )
    codes = body["data"]["confirmTotp"]["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    return secret, codes


async def test_totp_second_step_and_replay_rejection(
    app: Any, client_for: Any, anon_client: httpx.AsyncClient
) -> None:
    user = await client_for("approver", "HZ01")
    start = datetime.now(UTC)
    app.state.auth.clock = lambda: start
    secret, _ = await enrol(user, app)
    async with bearer(app, await password_step(app, user.username, user.password)) as pending:
        # Limited until the second step: everything else is refused.
        body = await gql(pending, PROTECTED)
        assert (
            error_code(body) == "UNAUTHENTICATED" and "verifyTotp" in body["errors"][0]["message"]
        )
        # The code used for enrolment is spent: replay refused.
        replay = pyotp.TOTP(secret).at(start)
        body = await gql(pending, VERIFY, {"c": replay})
        assert error_code(body) == "INVALID_MFA_CODE"
        later = start + timedelta(seconds=30)
        app.state.auth.clock = lambda: later
        code = pyotp.TOTP(secret).at(later)
        body = await gql(pending, VERIFY, {"c": code})
        assert body["data"]["verifyTotp"]["username"] == user.username
        assert "errors" not in await gql(pending, PROTECTED)
    # The same code on another session is a replay too.
    async with bearer(app, await password_step(app, user.username, user.password)) as pending:
        body = await gql(pending, VERIFY, {"c": code})
        assert error_code(body) == "INVALID_MFA_CODE"


async def test_recovery_codes_work_once(
    app: Any, client_for: Any, anon_client: httpx.AsyncClient
) -> None:
    user = await client_for("credit_committee")
    _, codes = await enrol(user, app)
    use = (
        "mutation($c: String!) { useRecoveryCode(code: $c) "
        + on("RecoveryCodePayload", "remainingRecoveryCodes user { username }")
        + " }"
    )
    token = await password_step(app, user.username, user.password)
    async with bearer(app, token) as pending:
        body = await gql(pending, use, {"c": codes[3].upper()})
        assert body["data"]["useRecoveryCode"]["remainingRecoveryCodes"] == 9
        assert "errors" not in await gql(pending, PROTECTED)
    token = await password_step(app, user.username, user.password)
    async with bearer(app, token) as pending:
        assert error_code(await gql(pending, use, {"c": codes[3]})) == "INVALID_MFA_CODE"
        assert error_code(await gql(pending, PROTECTED)) == "UNAUTHENTICATED"


async def test_lock_out_after_repeated_failures(
    app: Any, client_for: Any, anon_client: httpx.AsyncClient
) -> None:
    policy = ThrottlePolicy(per_user="100/minute", per_address="100/minute", lockout_failures=3)
    app.state.auth.throttle = SignInThrottle("memory://", policy=policy)
    victim = await client_for("viewer")
    for _ in range(3):
        assert (
            error_code(await sign_in(anon_client, victim.username, "Wrong-Passw0rd!"))
            == "INVALID_CREDENTIALS"
        )
    body = await sign_in(anon_client, victim.username, victim.password)
    assert error_code(body) == "TOO_MANY_ATTEMPTS"
    assert "locked" in error_detail(body)
    await app.state.auth.throttle.unlock(victim.username)
    assert error_code(await sign_in(anon_client, victim.username, victim.password)) is None


async def test_per_address_limit_spans_user_names(app: Any, anon_client: httpx.AsyncClient) -> None:
    policy = ThrottlePolicy(per_user="100/minute", per_address="3/minute")
    app.state.auth.throttle = SignInThrottle("memory://", policy=policy)
    for i in range(3):
        assert (
            error_code(await sign_in(anon_client, f"guess-{i}", "Wrong-Passw0rd!"))
            == "INVALID_CREDENTIALS"
        )
    body = await sign_in(anon_client, "guess-x", "Wrong-Passw0rd!")
    assert error_code(body) == "TOO_MANY_ATTEMPTS"
    assert "address" in error_detail(body)


async def test_only_failed_sign_ins_count_against_the_throttle(
    app: Any, client_for: Any, anon_client: httpx.AsyncClient
) -> None:
    policy = ThrottlePolicy(per_user="3/minute", per_address="3/minute")
    app.state.auth.throttle = SignInThrottle("memory://", policy=policy)
    officer = await client_for("loan_officer", "HZ01")
    for _ in range(6):  # twice the budget, all correct
        body = await sign_in(anon_client, officer.username, officer.password)
        assert error_code(body) is None, body
    for _ in range(3):
        body = await sign_in(anon_client, officer.username, "Wrong#Pass-0000")
        assert error_code(body) == "INVALID_CREDENTIALS"
    body = await sign_in(anon_client, officer.username, officer.password)
    assert error_code(body) == "TOO_MANY_ATTEMPTS"


async def test_sign_in_payload_says_the_second_step_is_due(
    app: Any, client_for: Any, anon_client: httpx.AsyncClient
) -> None:
    user = await client_for("risk_analyst")
    await enrol(user, app)
    body = await sign_in(anon_client, user.username, user.password)
    assert body["data"]["signIn"]["mfaRequired"] is True
    assert body["data"]["signIn"]["user"] is None
    assert body["data"]["signIn"]["token"]


async def test_anonymous_subscriptions_are_refused(app: Any) -> None:
    from starlette.requests import Request

    from smecredit.graphql.context import Context

    request = Request({"type": "http", "method": "POST", "headers": [], "client": ("10.0.0.9", 1)})
    context = Context(request=request, settings=app.state.settings)
    stream = await app.state.schema.subscribe(
        "subscription { applicationStatusChanged { __typename } }", context_value=context
    )
    first = await stream.__anext__()
    await stream.aclose()
    assert first.errors and first.errors[0].extensions["code"] == "UNAUTHENTICATED"


def test_throttle_storage_and_limits_follow_settings() -> None:
    from smecredit.services.sessions import AuthRuntime
    from smecredit.settings import load_settings

    base = {"SMECREDIT_ARGON2_PROFILE": "test"}
    memory = AuthRuntime.from_settings(load_settings(base))
    assert "Memory" in type(memory.throttle._storage).__name__
    shared = AuthRuntime.from_settings(
        load_settings(
            {
                **base,
                "SMECREDIT_REDIS_URL": "redis://127.0.0.1:6379/15",
                "SMECREDIT_SIGNIN_LOCKOUT_FAILURES": "4",
                "SMECREDIT_SESSION_IDLE_SECONDS": "900",
            }
        )
    )
    assert "Redis" in type(shared.throttle._storage).__name__
    assert shared.throttle.policy.lockout_failures == 4
    assert shared.policy.idle_seconds == 900 and shared.policy.absolute_seconds == 24 * 3600


async def test_totp_secret_is_encrypted_at_rest(app: Any, client_for: Any) -> None:
    from smecredit.models import User

    user = await client_for("risk_analyst")
    secret, _ = await enrol(user, app)
    stored = (await User.get(id=user.user_id)).totp_secret
    assert stored and secret not in stored and stored.startswith("v1:")
