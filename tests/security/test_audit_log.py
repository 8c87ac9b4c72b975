"""The hash-chained audit log: appends, tamper detection, mutation auditing, access."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from helpers import gql
from results_support import error_code, on
from strawberry.relay import GlobalID
from tortoise import connections
from tortoise.transactions import in_transaction

from smecredit.models import AuditCheckpoint, AuditLog
from smecredit.security.policy import PolicyStore, set_policy_store
from smecredit.services import audit

pytestmark = pytest.mark.anyio


async def fill(n: int) -> None:
    for i in range(n):
        await audit.record(
            f"user{i}", "loan.approve", f"Loan:{i}", after={"i": i}, source_address="10.0.0.1"
        )


async def raw(sql: str) -> None:
    await connections.get("default").execute_script(sql)


async def test_appends_form_a_verified_chain(db: Any) -> None:
    await fill(5)
    rows = await AuditLog.all().order_by("seq")
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert all(rows[i].prev_hash == rows[i - 1].entry_hash for i in range(1, 5))
    checkpoint = await AuditCheckpoint.get(id=1)
    assert (checkpoint.last_seq, checkpoint.last_hash) == (5, rows[-1].entry_hash)
    result = await audit.verify()
    assert result.ok and result.checked == 5


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor", "'mallory'"),
        ("action", "'loan.reject'"),
        ("resource", "'Loan:999'"),
        ("at", "'2020-01-01T00:00:00.000000+00:00'"),
        ("source_address", "'192.0.2.1'"),
        ("change_digest", "'" + "0" * 64 + "'"),
        ("prev_hash", "'" + "1" * 64 + "'"),
        ("entry_hash", "'" + "2" * 64 + "'"),
    ],
)
@pytest.mark.parametrize("seq", [1, 3, 6])
async def test_verify_names_the_tampered_row(db: Any, column: str, value: str, seq: int) -> None:
    await fill(6)
    await raw(f"UPDATE audit_log SET {column} = {value} WHERE seq = {seq}")
    result = await audit.verify()
    assert not result.ok
    assert result.first_broken_seq == seq, result
    assert result.checked == seq - 1


async def test_deleting_the_last_row_is_caught_by_the_checkpoint(db: Any) -> None:
    await fill(4)
    await raw("DELETE FROM audit_log WHERE seq = 4")
    result = await audit.verify()
    assert (result.ok, result.first_broken_seq, result.problem) == (False, 4, "truncated")


async def test_deleting_a_middle_row_is_a_gap(db: Any) -> None:
    await fill(4)
    await raw("DELETE FROM audit_log WHERE seq = 2")
    result = await audit.verify()
    assert (result.ok, result.first_broken_seq, result.problem) == (False, 2, "seq_gap")


async def test_deleting_the_checkpoint_is_caught(db: Any) -> None:
    await fill(2)
    await raw("DELETE FROM audit_checkpoint")
    result = await audit.verify()
    assert not result.ok and result.problem == "checkpoint_missing"


async def test_audit_row_rolls_back_with_the_callers_transaction(db: Any) -> None:
    await fill(1)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with in_transaction() as conn:
            await audit.record("alice", "firm.update", "Firm:1", connection=conn)
            raise Boom
    assert await AuditLog.all().count() == 1
    await audit.record("alice", "firm.update", "Firm:1")
    assert (await audit.verify()).ok


async def test_concurrent_appends_stay_one_chain(db: Any) -> None:
    await asyncio.gather(*(audit.record(f"u{i}", "x.y", f"R:{i}") for i in range(25)))
    seqs = sorted(await AuditLog.all().values_list("seq", flat=True))
    assert seqs == list(range(1, 26))
    assert (await audit.verify()).ok


async def test_keyed_chain_detects_a_recomputed_plain_hash(db: Any) -> None:
    from dataclasses import replace

    from smecredit.security.audit_chain import compute_entry_hash, entry_fields

    settings = replace(db, audit_chain_key=b"secret-key-16-bytes!")
    audit.configure(settings)
    try:
        await fill(2)
        # An attacker rewrites row 2 and recomputes an unkeyed hash: still caught.
        row = await AuditLog.get(seq=2)
        forged = audit._to_entry(row)
        fields = {**entry_fields(forged), "actor": "mallory"}
        new_hash = compute_entry_hash(forged.prev_hash, fields)
        await raw(
            f"UPDATE audit_log SET actor = 'mallory', entry_hash = '{new_hash}' WHERE seq = 2"
        )
        await raw(f"UPDATE audit_checkpoint SET last_hash = '{new_hash}'")
        result = await audit.verify()
        assert not result.ok and result.first_broken_seq == 2
    finally:
        audit.configure(db)


async def actions() -> list[tuple[str, str]]:
    return [(r.actor, r.action) for r in await AuditLog.all().order_by("seq")]


async def test_every_executed_mutation_field_leaves_a_row(
    client: httpx.AsyncClient, client_for: Any, anon_client: httpx.AsyncClient
) -> None:
    admin_name = client.username  # type: ignore[attr-defined]
    create = (
        "mutation($i: CreateUserInput!) { createUser(input: $i) " + on("User", "username") + "}"
    )
    body = await gql(
        client,
        """mutation($a: CreateUserInput!, $b: CreateUserInput!) {
             one: createUser(input: $a) { ... on User { username } }
             two: createUser(input: $b) { ... on User { username } }
           }""",
        {
            "a": {
                "username": "ann",
                "password": "Strong#Pass-1234",
                "roles": ["viewer"],
                "branchCode": "SH01",
            },
            "b": {
                "username": "bea",
                "password": "Strong#Pass-5678",
                "roles": ["viewer"],
                "branchCode": "SH01",
            },
        },
    )
    assert body["data"] == {"one": {"username": "ann"}, "two": {"username": "bea"}}
    logged = await actions()
    assert logged.count((admin_name, "mutation.createUser")) == 2
    assert logged.count((admin_name, "user.create")) == 2
    body = await gql(
        client,
        create,
        {"i": {"username": "bob", "password": "weak", "roles": ["viewer"], "branchCode": "SH01"}},
    )
    assert error_code(body) == "WEAK_PASSWORD"
    assert (admin_name, "mutation.createUser.failed") in await actions()
    # A refused (unauthenticated) mutation is recorded too, as anonymous.
    await gql(anon_client, "mutation { signOutEverywhere { __typename } }")
    assert ("anonymous", "mutation.signOutEverywhere.refused") in await actions()
    # Sign-in success and failure are explicit security events.
    await gql(
        anon_client,
        'mutation { signIn(username: "ann", password: "nope-Nope-123") { __typename } }',
    )
    await gql(
        anon_client,
        'mutation { signIn(username: "ann", password: "Strong#Pass-1234") '
        + on("SignInPayload", "mfaRequired")
        + " }",
    )
    logged = await actions()
    assert ("ann", "auth.sign_in_failed") in logged and ("ann", "auth.sign_in") in logged
    assert ("ann", "mutation.signIn") in logged
    # The failed sign-in answered an error member (not selected): its row says so.
    assert ("anonymous", "mutation.signIn.failed") in logged
    assert (await audit.verify()).ok


async def test_no_secret_reaches_the_log(client: httpx.AsyncClient) -> None:
    password = "Strong#Pass-1234"
    await gql(
        client,
        "mutation($i: CreateUserInput!) { createUser(input: $i) { __typename } }",
        {"i": {"username": "cara", "password": password, "roles": ["viewer"], "branchCode": "HQ"}},
    )
    rows = await AuditLog.all().values_list("actor", "action", "resource", "change_digest")
    assert password not in repr(rows)
    from smecredit.graphql.auth import redact

    assert redact({"input": {"password": password, "username": "cara"}}) == {
        "input": {"password": "***", "username": "cara"}
    }


async def test_audit_log_query_is_for_auditors_and_admins(
    client: httpx.AsyncClient, client_for: Any
) -> None:
    await fill(3)
    auditor = await client_for("compliance_auditor")
    query = """query($after: String, $actor: String, $action: String, $since: DateTime) {
      auditLog(first: 2, after: $after,
               filter: {actor: $actor, action: $action, since: $since}) {
        totalCount edges { node { seq actor action resource entryHash } }
        pageInfo { hasNextPage endCursor }
      }
    }"""
    body = await gql(auditor, query, {"action": "loan.approve"})
    page = body["data"]["auditLog"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["seq"] for e in page["edges"]] == [3, 2]  # newest first
    body = await gql(
        auditor, query, {"action": "loan.approve", "after": page["pageInfo"]["endCursor"]}
    )
    assert [e["node"]["seq"] for e in body["data"]["auditLog"]["edges"]] == [1]
    body = await gql(auditor, query, {"actor": "user1"})
    assert [e["node"]["actor"] for e in body["data"]["auditLog"]["edges"]] == ["user1"]
    body = await gql(auditor, query, {"since": "2999-01-01T00:00:00Z"})
    assert body["data"]["auditLog"]["totalCount"] == 0
    body = await gql(auditor, query, {"action": "loan."})
    assert body["data"]["auditLog"]["totalCount"] == 3
    oldest = await gql(auditor, "{ auditLog(first: 1, sort: SEQ_ASC) { edges { node { seq } } } }")
    assert [e["node"]["seq"] for e in oldest["data"]["auditLog"]["edges"]] == [1]
    viewer = await client_for("viewer")
    assert error_code(await gql(viewer, query, {})) == "FORBIDDEN"
    assert "errors" not in await gql(client, query, {})


async def test_audit_verify_query_reports_the_broken_row(client: httpx.AsyncClient) -> None:
    await fill(3)
    await raw("UPDATE audit_log SET resource = 'Loan:0' WHERE seq = 2")
    body = await gql(client, "{ auditVerify { ok firstBrokenSeq problem reason } }")
    result = body["data"]["auditVerify"]
    assert result["ok"] is False and result["firstBrokenSeq"] == 2
    assert result["problem"] == "hash_mismatch"


@pytest.fixture
def own_policy_store() -> Iterator[None]:
    """A policy store of this test's own: the rules it changes must not outlive it."""
    set_policy_store(PolicyStore())
    yield
    set_policy_store(None)


async def test_a_policy_change_is_audited_once(
    own_policy_store: None, client: httpx.AsyncClient
) -> None:
    """The policy service's row (naming the rule) is the only one; no generic duplicate."""
    admin_name = client.username  # type: ignore[attr-defined]
    rule = ["viewer", "*", "Firm.uscc", "mask", "allow", "uscc"]
    line = "p, " + ", ".join(rule)
    add = "mutation($v: [String!]!) { addPolicy(values: $v) " + on("PolicyRule", "id line") + " }"
    remove = (
        "mutation($v: [String!]!) { removePolicy(values: $v) "
        + on("RemovePolicyPayload", "removed")
        + " }"
    )

    before = await AuditLog.all().count()
    body = await gql(client, add, {"v": rule})
    assert body["data"]["addPolicy"]["line"] == line, body
    rows = await AuditLog.filter(seq__gt=before).order_by("seq")
    assert [(r.actor, r.action) for r in rows] == [(admin_name, "policy.add")]
    rule_id = GlobalID.from_id(body["data"]["addPolicy"]["id"]).node_id
    assert rows[0].resource == f"policy:{rule_id}"
    assert rows[0].source_address  # kept from the generic row it replaces

    before = await AuditLog.all().count()
    body = await gql(client, remove, {"v": rule})
    assert body["data"] == {"removePolicy": {"removed": 1}}, body
    rows = await AuditLog.filter(seq__gt=before).order_by("seq")
    assert [(r.actor, r.action) for r in rows] == [(admin_name, "policy.remove")]

    # A refused change: the service wrote nothing, so the generic row is the one.
    before = await AuditLog.all().count()
    body = await gql(client, remove, {"v": rule})
    assert error_code(body) == "POLICY_NOT_FOUND"
    rows = await AuditLog.filter(seq__gt=before).order_by("seq")
    assert [(r.actor, r.action) for r in rows] == [(admin_name, "mutation.removePolicy.failed")]
    assert (await audit.verify()).ok
