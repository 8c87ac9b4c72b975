"""Forwarded headers are believed only from ``SMECREDIT_TRUSTED_PROXIES``: neither the
per-address sign-in budget nor the audit trail's source address can be forged.

The in-process client's TCP peer is 127.0.0.1 (httpx's ASGI transport); the served path
(uvicorn's own proxy handling) is covered in ``tests/test_serve_end_to_end.py``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from helpers import gql

from smecredit import models
from smecredit.app import create_app
from smecredit.cli.core import uvicorn_options
from smecredit.security.http import forwarded_client
from smecredit.security.rate_limit import SignInThrottle, ThrottlePolicy
from smecredit.settings import Settings, SettingsError, load_settings

pytestmark = pytest.mark.anyio

FAILED_SIGN_IN = (
    'mutation($u: String!) { signIn(username: $u, password: "Wrong#Pass-0000") '
    "{ ... on SignInPayload { token } ... on BusinessError { code } } }"
)
FORGED = [
    {"X-Forwarded-For": "203.0.113.1"},
    {"X-Forwarded-For": "203.0.113.2, 203.0.113.3"},
    {"X-Real-IP": "198.51.100.4"},
    {"Forwarded": "for=192.0.2.5;proto=https"},
    {"X-Forwarded-For": "203.0.113.6", "X-Real-IP": "198.51.100.6", "Forwarded": "for=192.0.2.6"},
]


def _app(settings: Settings, **env: str) -> Any:
    app = create_app(load_settings({**settings.extra, **env}), manage_db=False)
    policy = ThrottlePolicy(per_user="100/minute", per_address=f"{len(FORGED)}/minute")
    app.state.auth.throttle = SignInThrottle("memory://", policy=policy)
    return app


async def _failed_sign_in(app: Any, n: int, headers: dict[str, str]) -> str:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        body = await gql(c, FAILED_SIGN_IN, {"u": f"ghost{n}"}, **headers)
    return str(body["data"]["signIn"]["code"])


async def _failure_addresses() -> set[str | None]:
    rows = await models.AuditLog.filter(action="auth.sign_in_failed").values_list(
        "source_address", flat=True
    )
    return set(rows)


async def test_forged_forwarded_headers_buy_no_budget_and_no_audit_address(db: Settings) -> None:
    app = _app(db)  # no trusted proxy
    codes = [await _failed_sign_in(app, n, h) for n, h in enumerate(FORGED)]
    assert codes == ["INVALID_CREDENTIALS"] * len(FORGED)
    # The budget of 127.0.0.1 is spent, whatever the next request claims to be.
    assert await _failed_sign_in(app, 99, {"X-Forwarded-For": "203.0.113.99"}) == (
        "TOO_MANY_ATTEMPTS"
    )
    assert await _failure_addresses() == {"127.0.0.1"}


async def test_a_trusted_proxy_names_the_client_it_saw(db: Settings) -> None:
    app = _app(db, SMECREDIT_TRUSTED_PROXIES="127.0.0.1,10.0.0.0/8")
    # The client wrote "1.1.1.1"; the proxies appended what they saw: the right-most hop
    # that is not a trusted proxy is the client.
    hops = {"X-Forwarded-For": "1.1.1.1, 203.0.113.50, 10.2.3.4"}
    assert await _failed_sign_in(app, 1, hops) == "INVALID_CREDENTIALS"
    # X-Real-IP and Forwarded are not believed even from a trusted proxy.
    assert await _failed_sign_in(app, 2, {"X-Real-IP": "198.51.100.9"}) == "INVALID_CREDENTIALS"
    assert await _failed_sign_in(app, 3, {"Forwarded": "for=192.0.2.9"}) == "INVALID_CREDENTIALS"
    assert await _failure_addresses() == {"203.0.113.50", "127.0.0.1"}


@pytest.mark.parametrize(
    ("peer", "header", "expected"),
    [
        ("127.0.0.1", "203.0.113.7", None),  # no trusted proxies at all
        ("198.51.100.1", "203.0.113.7", None),  # an untrusted peer
        ("10.0.0.5", "203.0.113.7", "203.0.113.7"),
        ("10.0.0.5", "203.0.113.7, 10.0.0.9", "203.0.113.7"),
        ("10.0.0.5", "forged, 203.0.113.7", "203.0.113.7"),
        ("10.0.0.5", "203.0.113.7, not-an-address", None),  # a broken chain: the peer
        ("10.0.0.5", "10.0.0.8, 10.0.0.9", None),  # only proxies: the peer
        ("10.0.0.5", "", None),
    ],
)
def test_forwarded_client(peer: str, header: str, expected: str | None) -> None:
    proxies = () if peer == "127.0.0.1" else ("10.0.0.0/8",)
    assert forwarded_client(peer, header, proxies) == expected


def test_uvicorn_trusts_exactly_the_configured_proxies() -> None:
    # uvicorn's own default (FORWARDED_ALLOW_IPS or 127.0.0.1) is never left in place.
    assert uvicorn_options(load_settings({})) == {
        "proxy_headers": False,
        "forwarded_allow_ips": [],
    }
    configured = load_settings({"SMECREDIT_TRUSTED_PROXIES": "10.0.0.5, 10.1.0.0/16"})
    assert uvicorn_options(configured) == {
        "proxy_headers": True,
        "forwarded_allow_ips": ["10.0.0.5", "10.1.0.0/16"],
    }


@pytest.mark.parametrize("value", ["*", "proxy.internal", "10.0.0.0/33"])
def test_trusted_proxies_must_be_addresses_or_networks(value: str) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings({"SMECREDIT_TRUSTED_PROXIES": value})
    assert str(err.value).startswith("SMECREDIT_TRUSTED_PROXIES")
