"""Account management over HTTP: creation by admins, roles, passwords, deactivation, demo users."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import gql
from results_support import error_code, on

from smecredit.models import Role, User
from smecredit.security.passwords import check_password_policy
from smecredit.security.principal import ROLES
from smecredit.services import accounts

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
CREATE = (
    "mutation($i: CreateUserInput!) { createUser(input: $i) "
    + on("User", "id username roles branchCode active")
    + " }"
)
SIGN_IN = (
    "mutation($u: String!, $p: String!) { signIn(username: $u, password: $p) "
    + on("SignInPayload", "token user { username }")
    + " }"
)


def new_user(username: str, **over: Any) -> dict[str, Any]:
    return {
        "username": username,
        "password": "Strong#Pass-1234",
        "roles": ["loan_officer"],
        "branchCode": "HZ01",
        **over,
    }


async def test_admin_creates_a_user_who_can_sign_in(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    body = await gql(client, CREATE, {"i": new_user("Li.Wei", displayName="李伟")})
    assert body["data"]["createUser"]["username"] == "li.wei"
    assert body["data"]["createUser"]["roles"] == ["loan_officer"]
    stored = await User.get(username="li.wei")
    assert stored.password_hash.startswith("$argon2id$")
    assert "Strong#Pass-1234" not in stored.password_hash
    body = await gql(anon_client, SIGN_IN, {"u": "LI.WEI", "p": "Strong#Pass-1234"})
    assert body["data"]["signIn"]["user"] == {"username": "li.wei"}


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"password": "short"}, "WEAK_PASSWORD"),
        ({"password": "Password2024!"}, "WEAK_PASSWORD"),
        ({"password": "Zhang.San-2024!", "username": "zhang.san"}, "WEAK_PASSWORD"),
        ({"roles": ["superuser"]}, "UNKNOWN_ROLE"),
        ({"roles": []}, "INVALID_ROLE"),
        ({"branchCode": "hz 01!"}, "INVALID_BRANCH"),
        ({"username": "has space"}, "INVALID_USERNAME"),
    ],
)
async def test_create_user_validation(
    client: httpx.AsyncClient, override: dict[str, Any], code: str
) -> None:
    body = await gql(
        client,
        CREATE,
        {
            "i": new_user("zhang.san", **override)
            if "username" not in override
            else new_user(**override)
        },
    )
    assert error_code(body) == code, body
    assert not await User.filter(username="zhang.san").exists()


async def test_duplicate_user_name_is_refused(client: httpx.AsyncClient) -> None:
    assert error_code(await gql(client, CREATE, {"i": new_user("dup")})) is None
    assert error_code(await gql(client, CREATE, {"i": new_user("DUP")})) == "USERNAME_TAKEN"


@pytest.mark.parametrize("role", ["loan_officer", "viewer", "compliance_auditor", "partner"])
async def test_only_admins_manage_users(client_for: Any, role: str) -> None:
    other = await client_for(role, "HZ01")
    assert error_code(await gql(other, CREATE, {"i": new_user("x.y")})) == "FORBIDDEN"
    assert error_code(await gql(other, "{ users { totalCount } }")) == "FORBIDDEN"
    assert not await User.filter(username="x.y").exists()


async def test_set_roles_and_branch(client: httpx.AsyncClient, client_for: Any) -> None:
    officer = await client_for("loan_officer", "HZ01")
    me = await gql(officer, "{ me { id roles branchCode } }")
    user_id = me["data"]["me"]["id"]
    body = await gql(
        client,
        'mutation($id: ID!) { setUserRoles(id: $id, roles: ["approver", "viewer"], '
        'branchCode: "WH01") { ... on User { roles branchCode } } }',
        {"id": user_id},
    )
    assert body["data"]["setUserRoles"] == {"roles": ["approver", "viewer"], "branchCode": "WH01"}
    # Roles are read per request: the open session sees them at once.
    me = await gql(officer, "{ me { roles branchCode } }")
    assert me["data"]["me"] == {"roles": ["approver", "viewer"], "branchCode": "WH01"}


async def test_last_admin_cannot_be_demoted_or_deactivated(client: httpx.AsyncClient) -> None:
    me = await gql(client, "{ me { id } }")
    admin_id = me["data"]["me"]["id"]
    body = await gql(
        client,
        'mutation($id: ID!) { setUserRoles(id: $id, roles: ["viewer"]) '
        + on("User", "roles")
        + " }",
        {"id": admin_id},
    )
    assert error_code(body) == "LAST_ADMIN"
    body = await gql(
        client,
        "mutation($id: ID!) { deactivateUser(id: $id) " + on("User", "active") + " }",
        {"id": admin_id},
    )
    assert error_code(body) == "LAST_ADMIN"


async def test_deactivation_ends_the_users_sessions(
    client: httpx.AsyncClient, client_for: Any
) -> None:
    viewer = await client_for("viewer", "SH01")
    user_id = (await gql(viewer, "{ me { id } }"))["data"]["me"]["id"]
    body = await gql(
        client,
        "mutation($id: ID!) { deactivateUser(id: $id) " + on("User", "active") + " }",
        {"id": user_id},
    )
    assert body["data"]["deactivateUser"] == {"active": False}
    assert error_code(await gql(viewer, "{ firms { totalCount } }")) == "UNAUTHENTICATED"


async def test_change_password(app: Any, client_for: Any, anon_client: httpx.AsyncClient) -> None:
    officer = await client_for("loan_officer", "HZ01")
    other_session = (
        await gql(anon_client, SIGN_IN, {"u": officer.username, "p": officer.password})
    )["data"]["signIn"]["token"]
    change = (
        "mutation($c: String!, $n: String!) "
        "{ changePassword(currentPassword: $c, newPassword: $n) "
        + on("User", "username mustChangePassword")
        + " }"
    )
    assert (
        error_code(await gql(officer, change, {"c": "Wrong-Passw0rd!", "n": "New#Secret-9876"}))
        == "WRONG_PASSWORD"
    )
    assert (
        error_code(await gql(officer, change, {"c": officer.password, "n": "weakweak"}))
        == "WEAK_PASSWORD"
    )
    assert (await gql(officer, change, {"c": officer.password, "n": "New#Secret-9876"}))[
        "data"
    ] == {"changePassword": {"username": officer.username, "mustChangePassword": False}}
    # This session goes on; the other one is signed out; the new password works.
    assert "errors" not in await gql(officer, "{ me { username } }")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://t",
        headers={"Authorization": f"Bearer {other_session}"},
    ) as other:
        assert error_code(await gql(other, "{ firms { totalCount } }")) == "UNAUTHENTICATED"
    assert (
        error_code(await gql(anon_client, SIGN_IN, {"u": officer.username, "p": officer.password}))
        == "INVALID_CREDENTIALS"
    )
    assert (
        error_code(await gql(anon_client, SIGN_IN, {"u": officer.username, "p": "New#Secret-9876"}))
        is None
    )


async def test_users_query_pages_for_admins(client: httpx.AsyncClient, client_for: Any) -> None:
    for role in ("viewer", "partner", "approver"):
        await client_for(role, "HZ01")
    body = await gql(
        client,
        "{ users(first: 2) { totalCount edges { node { username } } pageInfo { hasNextPage } } }",
    )
    page = body["data"]["users"]
    assert page["totalCount"] == 4 and len(page["edges"]) == 2 and page["pageInfo"]["hasNextPage"]


def test_role_fixture_lists_every_role_in_two_languages() -> None:
    roles = json.loads((ROOT / "fixtures" / "roles.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in roles] == list(ROLES)
    assert all(r["description"] and r["description_zh"] for r in roles)
    assert next(r for r in roles if r["name"] == "loan_officer")["description_zh"].startswith(
        "客户经理"
    )


def test_demo_users_cover_every_role_with_valid_logins() -> None:
    from smecredit_source_synthetic.catalog import REGIONS

    branches = {r.branch_code for r in REGIONS} | {"HQ"}
    users = json.loads((ROOT / "fixtures" / "demo_users.json").read_text(encoding="utf-8"))
    # Every role, each once, but for the second people four eyes needs (a disbursement
    # checker beside the officer, a second committee member).
    assert sorted({r for u in users for r in u["roles"]}) == sorted(ROLES)
    seconds = sorted(u["username"] for u in users if u["username"] in {"checker.hz", "committee.b"})
    assert len(users) == len(ROLES) + len(seconds)
    for u in users:
        assert check_password_policy(u["password"], username=u["username"]) == [], u["username"]
        assert u["branch_code"] in branches, u


async def test_seed_demo_users_is_idempotent_and_logins_work(
    db: Any, app: Any, anon_client: httpx.AsyncClient
) -> None:
    logins = await accounts.seed_demo_users(db)
    assert all(x.created for x in logins) and await Role.all().count() == len(ROLES)
    again = await accounts.seed_demo_users(db)
    assert not any(x.created for x in again)
    assert await User.all().count() == len(logins)
    for login in logins[:3]:
        body = await gql(anon_client, SIGN_IN, {"u": login.username, "p": login.password})
        assert body["data"]["signIn"]["user"] == {"username": login.username}, body


async def test_test_hash_profile_is_refused_in_production(db: Any) -> None:
    from dataclasses import replace

    prod = replace(db, env="prod")
    with pytest.raises(accounts.AccountError) as caught:
        accounts.hasher_for(prod)
    assert caught.value.code == "INSECURE_CONFIGURATION"
