"""HTTP and GraphQL hardening: query limits, batching, CSRF, body size, headers, prod mode."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from helpers import gql

from smecredit.models import User
from smecredit.services.sessions import open_session
from smecredit.settings import Settings, load_settings

pytestmark = pytest.mark.anyio

SIGN_IN_MFA = (
    "mutation($u: String!, $p: String!) { signIn(username: $u, password: $p) "
    "{ ... on SignInPayload { mfaRequired } } }"
)


def error_messages(body: dict[str, Any]) -> str:
    return " | ".join(e["message"] for e in body.get("errors") or [])


def make_app(settings: Settings, **extra: str) -> Any:
    from smecredit.app import create_app

    env = {k: v for k, v in settings.extra.items() if k != "SMECREDIT_ARGON2_PROFILE"}
    env.update(extra)
    return create_app(load_settings(env), manage_db=False)


async def signed_in(app: Any, role: str = "admin") -> httpx.AsyncClient:
    # No password hashing: production parameters would cost 200 ms per user.
    user = await User.create(
        username=f"h-{role}", password_hash="x", roles=[role], branch_code="HQ"
    )
    token, _ = await open_session(app.state.auth, user, mfa_verified=True)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.fixture
async def prod_client(db: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = make_app(db, SMECREDIT_ENV="prod")
    async with await signed_in(app) as c:
        yield c


async def test_alias_overloading_is_refused(client: httpx.AsyncClient) -> None:
    query = "{ " + " ".join(f"a{i}: ping" for i in range(40)) + " }"
    body = await gql(client, query)
    assert body.get("data") is None and "aliases" in error_messages(body).lower()


async def test_field_duplication_is_refused(client: httpx.AsyncClient) -> None:
    body = await gql(client, "{ " + "ping " * 5000 + "}")
    assert body.get("data") is None and "token" in error_messages(body).lower()


async def test_directive_overloading_is_refused(client: httpx.AsyncClient) -> None:
    body = await gql(client, "{ ping " + "@include(if: true) " * 50 + "}")
    assert body.get("data") is None
    assert "can only be used once" in error_messages(body)


async def test_circular_fragments_are_refused(client: httpx.AsyncClient) -> None:
    query = "{ ...A } fragment A on Query { ping ...B } fragment B on Query { ping ...A }"
    body = await gql(client, query)
    assert body.get("data") is None
    assert "Cannot spread fragment 'A' within itself" in error_messages(body)


async def test_deep_queries_are_refused(client: httpx.AsyncClient) -> None:
    inner = "name"
    for _ in range(6):
        inner = f"firm {{ loans {{ edges {{ node {{ {inner} }} }} }} }}"
    body = await gql(client, f"{{ loans {{ edges {{ node {{ {inner} }} }} }} }}")
    assert body.get("data") is None and "exceeds maximum operation depth" in error_messages(body)


async def test_batched_requests_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json=[{"query": "{ ping }"}, {"query": "{ ping }"}])
    assert response.status_code == 400
    assert "batching" in response.text.lower()


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        (
            "application/x-www-form-urlencoded",
            "query=mutation%20%7B%20signOutEverywhere%20%7B%20__typename%20%7D%20%7D",
        ),
        (
            "multipart/form-data; boundary=x",
            '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n'
            "mutation { signOutEverywhere { __typename } }\r\n--x--\r\n",
        ),
        ("text/plain", '{"query": "mutation { signOutEverywhere { __typename } }"}'),
        (None, '{"query": "mutation { signOutEverywhere { __typename } }"}'),
    ],
)
async def test_csrf_form_posts_are_refused(
    client: httpx.AsyncClient, content_type: str | None, content: str
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await client.post("/graphql", content=content.encode(), headers=headers)
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    # The session survived: nothing was executed.
    assert "errors" not in await gql(client, "{ me { username } }")


async def test_get_never_runs_mutations(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql", params={"query": "mutation { signOutEverywhere { __typename } }"}
    )
    assert response.status_code in (400, 405)
    assert "errors" not in await gql(client, "{ me { username } }")


async def test_foreign_origins_are_refused_unless_allowed(db: Settings) -> None:
    app = make_app(db, SMECREDIT_CORS_ORIGINS="https://app.example.cn")
    async with await signed_in(app) as c:
        evil = await c.post(
            "/graphql", json={"query": "{ ping }"}, headers={"origin": "https://evil.example"}
        )
        assert evil.status_code == 403
        good = await c.post(
            "/graphql", json={"query": "{ ping }"}, headers={"origin": "https://app.example.cn"}
        )
        assert good.status_code == 200
        assert good.headers["access-control-allow-origin"] == "https://app.example.cn"
        same = await c.post(
            "/graphql", json={"query": "{ ping }"}, headers={"origin": "http://testserver"}
        )
        assert same.status_code == 200
        preflight = await c.options(
            "/graphql",
            headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
        )
        assert "access-control-allow-origin" not in preflight.headers


async def test_oversized_bodies_are_refused(client: httpx.AsyncClient) -> None:
    big = '{"query": "{ ping }", "variables": {"x": "' + "a" * (1024 * 1024 + 10) + '"}}'
    response = await client.post(
        "/graphql", content=big.encode(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        for _ in range(20):
            yield b" " * (64 * 1024)

    response = await client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_security_headers_on_every_response(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get("/healthz"),
        await client.post("/graphql", json={"query": "{ ping }"}),
    ):
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" not in response.headers  # plain HTTP


async def test_hsts_only_behind_tls(db: Settings) -> None:
    tls = make_app(db, SMECREDIT_TLS="1")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=tls), base_url="http://t") as c:
        assert "max-age=" in (await c.get("/healthz")).headers["strict-transport-security"]
    proxied = make_app(db, SMECREDIT_TRUSTED_PROXIES="127.0.0.1")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=proxied), base_url="http://t"
    ) as c:
        response = await c.get("/healthz", headers={"x-forwarded-proto": "https"})
        assert "strict-transport-security" in response.headers
    untrusted = make_app(db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=untrusted), base_url="http://t"
    ) as c:
        response = await c.get("/healthz", headers={"x-forwarded-proto": "https"})
        assert "strict-transport-security" not in response.headers


async def test_secure_cookie_over_tls(db: Settings, client_for: Any) -> None:
    app = make_app(db, SMECREDIT_TLS="1", SMECREDIT_ARGON2_PROFILE="test")
    officer = await client_for("loan_officer", "HZ01")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://t") as c:
        response = await c.post(
            "/graphql",
            json={
                "query": SIGN_IN_MFA,
                "variables": {"u": officer.username, "p": officer.password},
            },
        )
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("__host-smecredit_session=")
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


async def test_production_refuses_introspection_suggestions_get_and_graphiql(
    prod_client: httpx.AsyncClient,
) -> None:
    body = await gql(prod_client, "{ __schema { types { name } } }")
    assert body.get("data") is None and "introspection" in error_messages(body).lower()
    body = await gql(prod_client, "{ firmz }")
    assert "Cannot query field" in error_messages(body)
    assert "Did you mean" not in error_messages(body)
    response = await prod_client.get("/graphql", params={"query": "{ ping }"})
    assert response.status_code == 405
    response = await prod_client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 405 and "graphiql" not in response.text.lower()


async def test_development_shows_suggestions(client: httpx.AsyncClient) -> None:
    body = await gql(client, "{ pin }")
    assert "Did you mean" in error_messages(body)


async def test_unexpected_errors_carry_no_trace(
    prod_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smecredit.services import audit

    async def broken() -> Any:
        raise RuntimeError("secret internals at /srv/app/db.py line 42")

    monkeypatch.setattr(audit, "verify", broken)
    response = await prod_client.post("/graphql", json={"query": "{ auditVerify { ok } }"})
    text = response.text
    assert "secret internals" not in text and "Traceback" not in text and "db.py" not in text
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL_ERROR"
