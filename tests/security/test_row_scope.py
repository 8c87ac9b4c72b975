"""Row scope: a branch sees its own rows only (lists, node(id), nested); policy changes live."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import gql
from permissions_support import (
    execute_as,
    isolated_security,
    principal,
    seed_two_branches,
)
from strawberry.relay import to_base64

from smecredit import models
from smecredit.graphql.permissions import filter_record
from smecredit.graphql.schema import build_schema
from smecredit.plugins import load_plugins
from smecredit.security.policy import get_policy_store, subjects_of

pytestmark = pytest.mark.anyio

__all__ = ["isolated_security"]

LISTS = """{
  firms(first: 50) { totalCount edges { node { id branchCode } } }
  loans(first: 50) { totalCount edges { node { id branchCode firm { branchCode } } } }
  warnings(first: 50) { totalCount edges { node { id firm { branchCode } } } }
}"""


@pytest.fixture(scope="module")
def plugins() -> Any:
    return load_plugins(None)


@pytest.fixture
async def world(db: Any, isolated_security: Any, plugins: Any) -> tuple[Any, Any, Any]:
    return build_schema(db), plugins, await seed_two_branches()


@pytest.mark.parametrize("role", ["loan_officer", "viewer", "approver", "partner"])
async def test_branch_user_sees_only_its_branch(world: Any, db: Any, role: str) -> None:
    schema, plugins, seeded = world
    # Partners may not read warnings at all (a denied non-null field nulls the whole list).
    lists = LISTS if role != "partner" else LISTS.split("  warnings")[0] + "}"
    result = await execute_as(schema, db, plugins, lists, principal(role, "B001"))
    data = result.data
    assert data["firms"]["totalCount"] == 2
    assert {e["node"]["branchCode"] for e in data["firms"]["edges"]} == {"B001"}
    assert data["loans"]["totalCount"] == 2
    assert {e["node"]["branchCode"] for e in data["loans"]["edges"]} == {"B001"}
    if role != "partner":
        assert data["warnings"]["totalCount"] == 2
        assert {e["node"]["firm"]["branchCode"] for e in data["warnings"]["edges"]} == {"B001"}

    # node(id) and direct lookups of the other branch's rows: null, never the row.
    for other in seeded.in_branch("B002"):
        for type_name, db_id in (
            ("Firm", other.firm_id),
            ("Loan", other.loan_id),
            ("Warning", other.warning_id),
            ("Person", other.person_id),
        ):
            query = "query($id: ID!) { node(id: $id) { id } }"
            gid = to_base64(type_name, db_id)
            found = await execute_as(
                schema, db, plugins, query, principal(role, "B001"), {"id": gid}
            )
            assert found.data == {"node": None}, (type_name, found)
        firm = await execute_as(
            schema,
            db,
            plugins,
            "query($id: ID!) { firm(id: $id) { id } }",
            principal(role, "B001"),
            {"id": to_base64("Firm", other.firm_id)},
        )
        assert firm.data is None or firm.data.get("firm") is None


@pytest.mark.parametrize(
    ("role", "branch"),
    [("admin", "B001"), ("risk_analyst", "B001"), ("compliance_auditor", "B002"), ("viewer", "HQ")],
)
async def test_head_office_and_all_branch_roles_see_everything(
    world: Any, db: Any, role: str, branch: str
) -> None:
    schema, plugins, _ = world
    result = await execute_as(schema, db, plugins, LISTS, principal(role, branch))
    assert result.data["firms"]["totalCount"] == 4
    assert result.data["loans"]["totalCount"] == 4


async def test_anonymous_sees_no_rows(world: Any, db: Any) -> None:
    schema, plugins, _ = world
    result = await execute_as(schema, db, plugins, "{ firms(first: 5) { totalCount } }", None)
    # Refused outright by the authentication guard, or an empty list: never a row.
    firms = (result.data or {}).get("firms")
    assert firms is None or firms == {"totalCount": 0}


async def test_over_http_officer_gets_masked_and_scoped(
    world: Any, client_for: Any, anon_client: Any
) -> None:
    _, _, seeded = world
    officer = await client_for("loan_officer", "B002")
    body = await gql(
        officer, "{ firms(first: 10) { edges { node { representative { idNumber phone } } } } }"
    )
    assert "errors" not in body, body
    reps = [e["node"]["representative"] for e in body["data"]["firms"]["edges"]]
    expected = {(f.id_number[:6] + "*" * 8 + f.id_number[-4:]) for f in seeded.in_branch("B002")}
    assert {r["idNumber"] for r in reps} == expected
    assert all(r["phone"][3:7] == "****" for r in reps)
    anonymous = await gql(anon_client, "{ firms(first: 10) { totalCount } }")
    assert not (anonymous.get("data") or {}).get("firms")


async def test_policy_change_is_effective_without_restart_and_audited(world: Any, db: Any) -> None:
    schema, plugins, _ = world
    query = "{ firms(first: 1) { edges { node { uscc } } } }"
    viewer = principal("viewer", "B001")
    before = await execute_as(schema, db, plugins, query, viewer)
    uscc = before.data["firms"]["edges"][0]["node"]["uscc"]
    assert "*" not in uscc

    admin = principal("admin", "HQ")
    add = (
        "mutation($v: [String!]!) { addPolicy(values: $v) "
        "{ ... on PolicyRule { id line } ... on BusinessError { code } } }"
    )
    rule = ["viewer", "*", "Firm.uscc", "mask", "allow", "uscc"]
    added = await execute_as(schema, db, plugins, add, admin, {"v": rule})
    assert added.errors is None, added.errors
    assert added.data["addPolicy"]["line"] == "p, " + ", ".join(rule)

    after = await execute_as(schema, db, plugins, query, viewer)
    assert after.data["firms"]["edges"][0]["node"]["uscc"] == uscc[:6] + "*" * 8 + uscc[-4:]
    entries = await models.AuditLog.filter(action="policy.add").count()
    assert entries == 1

    # Non-admins cannot change the policy; the policies query lists the new rule.
    refused = await execute_as(
        schema,
        db,
        plugins,
        add,
        principal("loan_officer"),
        {"v": ["viewer", "*", "*", "read", "allow"]},
    )
    assert refused.errors is None and refused.data["addPolicy"]["code"] == "FORBIDDEN"
    listed = await execute_as(
        schema,
        db,
        plugins,
        '{ policies(first: 100, filter: {subject: "viewer", objectPrefix: "Firm."}) '
        "{ edges { node { id line } } } }",
        admin,
    )
    lines = {e["node"]["line"]: e["node"]["id"] for e in listed.data["policies"]["edges"]}
    assert "p, " + ", ".join(rule) in lines
    # Each rule is a node: node(id:) opens it for whoever may read the policy.
    rule_id = lines["p, " + ", ".join(rule)]
    node = "query($id: ID!) { node(id: $id) { ... on PolicyRule { line } } }"
    opened = await execute_as(schema, db, plugins, node, admin, {"id": rule_id})
    assert opened.data["node"] == {"line": "p, " + ", ".join(rule)}
    hidden = await execute_as(schema, db, plugins, node, viewer, {"id": rule_id})
    assert hidden.data["node"] is None

    # Removing it restores the clear value at once.
    remove = (
        "mutation($v: [String!]!) { removePolicy(values: $v) "
        "{ ... on RemovePolicyPayload { removed } } }"
    )
    removed = await execute_as(schema, db, plugins, remove, admin, {"v": rule})
    assert removed.data == {"removePolicy": {"removed": 1}}
    again = await execute_as(schema, db, plugins, query, viewer)
    assert again.data["firms"]["edges"][0]["node"]["uscc"] == uscc
    assert await models.AuditLog.filter(action="policy.remove").count() == 1


async def test_unknown_masking_strategy_is_refused(world: Any, db: Any) -> None:
    schema, plugins, _ = world
    add = (
        "mutation($v: [String!]!) { addPolicy(values: $v) "
        "{ ... on PolicyRule { id } ... on BusinessError { code } } }"
    )
    bad = ["viewer", "*", "Firm.name", "mask", "allow", "no_such_strategy"]
    result = await execute_as(schema, db, plugins, add, principal("admin", "HQ"), {"v": bad})
    assert result.errors is None and result.data["addPolicy"]["code"] == "UNKNOWN_MASKING_STRATEGY"


async def test_filter_record_applies_the_same_decisions_and_masking_is_idempotent(
    world: Any,
) -> None:
    _, plugins, seeded = world
    person = seeded.firms[0]
    record = {"name": person.name, "id_number": person.id_number, "phone": person.phone}
    officer = principal("loan_officer", "B001")
    once = filter_record(officer, None, "Person", record, plugins)
    assert once == {
        "name": person.name[0] + "*" + person.name[-1],
        "id_number": person.id_number[:6] + "*" * 8 + person.id_number[-4:],
        "phone": person.phone[:3] + "****" + person.phone[-4:],
    }
    assert filter_record(officer, None, "Person", once, plugins) == once  # idempotent
    assert filter_record(principal("partner"), None, "Person", record, plugins) == {}
    assert filter_record("admin", "HQ", "Person", record, plugins) == record
    # The decisions are the ones GraphQL uses.
    store = get_policy_store()
    assert store.decide(subjects_of(officer), "B001", "Person.idNumber").kind == "mask"
