"""Known passwords are refused: the published demo passwords in production, and a shipped
list of the 10,000 most common passwords always."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from helpers import gql
from results_support import on

from smecredit.app import create_app
from smecredit.models import User
from smecredit.security.passwords import (
    check_password_policy,
    common_passwords,
    hash_password,
    make_hasher,
)
from smecredit.services.accounts import DEMO_USERS_FIXTURE, TEST_PARAMS, published_passwords
from smecredit.services.sessions import open_session
from smecredit.settings import Settings, load_settings

pytestmark = pytest.mark.anyio

DEMO_PASSWORDS = [u["password"] for u in json.loads(DEMO_USERS_FIXTURE.read_text("utf-8"))]
CREATE = "mutation($i: CreateUserInput!) { createUser(input: $i) " + on("User", "username") + " }"
CHANGE = (
    "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) "
    + on("User", "username")
    + " }"
)
CURRENT = "Current#Pass-9753"


@pytest.fixture
async def prod_admin(db: Settings) -> AsyncIterator[httpx.AsyncClient]:
    env = {k: v for k, v in db.extra.items() if k != "SMECREDIT_ARGON2_PROFILE"}
    app = create_app(load_settings({**env, "SMECREDIT_ENV": "prod"}), manage_db=False)
    # A cheap hash verifies under any hasher: argon2 reads its parameters from the hash.
    user = await User.create(
        username="prod-admin",
        password_hash=hash_password(CURRENT, hasher=make_hasher(TEST_PARAMS)),
        roles=["admin"],
        branch_code="HQ",
    )
    token, _ = await open_session(app.state.auth, user, mfa_verified=True)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        yield client


def _refusal(body: dict[str, Any]) -> dict[str, Any]:
    """The union error a mutation answered; ``field`` is the argument its detail names."""
    assert "errors" not in body, body
    (error,) = body["data"].values()
    assert "code" in error, body
    return {"field": error["detail"].split(" refused:")[0], **error}


def test_the_shipped_list_matches_the_demo_fixture() -> None:
    prod = load_settings({"SMECREDIT_ENV": "prod"})
    assert published_passwords(prod) == frozenset(DEMO_PASSWORDS)
    assert published_passwords(load_settings({})) == frozenset()  # make demo seeds them


async def test_production_refuses_every_demo_password_in_create_user(
    prod_admin: httpx.AsyncClient,
) -> None:
    for n, password in enumerate(DEMO_PASSWORDS):
        account = {
            "username": f"new-user-{n}",
            "password": password,
            "roles": ["loan_officer"],
            "branchCode": "HZ01",
        }
        refusal = _refusal(await gql(prod_admin, CREATE, {"i": account}))
        assert refusal["code"] == "WEAK_PASSWORD" and refusal["field"] == "password", refusal
        assert "published" in refusal["message"], refusal
    assert not await User.filter(username__startswith="new-user-").exists()


async def test_production_refuses_demo_passwords_in_change_password(
    prod_admin: httpx.AsyncClient,
) -> None:
    # Also with the decorations people add to a password they were given.
    for password in (DEMO_PASSWORDS[0], DEMO_PASSWORDS[1] + "!", DEMO_PASSWORDS[2].upper()):
        refusal = _refusal(await gql(prod_admin, CHANGE, {"c": CURRENT, "n": password}))
        assert refusal["code"] == "WEAK_PASSWORD" and refusal["field"] == "newPassword"
    body = await gql(prod_admin, CHANGE, {"c": CURRENT, "n": "Quiet#Harbour-7731"})
    assert body["data"]["changePassword"] == {"username": "prod-admin"}, body


async def test_production_refuses_demo_and_common_passwords_as_temporary_ones(
    prod_admin: httpx.AsyncClient,
) -> None:
    from strawberry.relay import to_base64

    user = await User.create(
        username="reset-me",
        password_hash=hash_password(CURRENT, hasher=make_hasher(TEST_PARAMS)),
        roles=["viewer"],
        branch_code="HQ",
    )
    reset = (
        "mutation($id: ID!, $p: String) { resetUserPassword(id: $id, temporaryPassword: $p) "
        + on("ResetPasswordPayload", "temporaryPassword")
        + " }"
    )
    for password in (DEMO_PASSWORDS[0], DEMO_PASSWORDS[3] + "!", "Mustang#2024"):
        body = await gql(prod_admin, reset, {"id": to_base64("User", user.id), "p": password})
        refusal = _refusal(body)
        assert refusal["code"] == "WEAK_PASSWORD" and refusal["field"] == "temporaryPassword"
    assert not (await User.get(id=user.id)).must_change_password


@pytest.mark.parametrize(
    "password", ["Mustang#2024", "Shadow-2024!", "!!Jordan23!!", "Qazwsx1234$%"]
)
def test_common_passwords_from_the_shipped_list_are_refused(password: str) -> None:
    assert "password is too common" in check_password_policy(password)


def test_the_shipped_list_is_loaded() -> None:
    listed = common_passwords()
    assert len(listed) >= 10_000 and {"123456", "mustang", "woaini1314"} <= listed
    assert not any(w.startswith("#") for w in listed)
