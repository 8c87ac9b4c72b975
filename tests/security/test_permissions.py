"""Field-level permissions: the matrix of roles x guarded fields x query shapes.

Every guarded field is read directly, through an alias, a fragment, ``node(id)`` and a
nested path; the answer must be the clear value, the exact masked value, or null with a
FORBIDDEN error naming ``Type.field`` - whatever the shape of the query.
"""

from __future__ import annotations

from typing import Any

import pytest
from permissions_support import (
    Seeded,
    execute_as,
    isolated_security,
    principal,
    seed_two_branches,
)
from strawberry.relay import to_base64

from smecredit import models
from smecredit.graphql.permissions import guarded_field_keys
from smecredit.graphql.schema import build_schema
from smecredit.plugins import load_plugins

pytestmark = pytest.mark.anyio

__all__ = ["isolated_security"]  # the fixture, re-exported for pytest


def keep_ends(value: str, first: int, last: int) -> str:
    return value[:first] + "*" * (len(value) - first - last) + value[len(value) - last :]


def masked_name(value: str) -> str:
    return value[0] + "*" * (len(value) - 2) + value[-1]


CLEAR = "clear"
DENY = "deny"

#: role -> Person field -> expected: CLEAR, DENY, or (first, last) kept for identifiers.
PERSON_EXPECTATIONS: dict[str, dict[str, Any]] = {
    "admin": {"name": CLEAR, "idNumber": CLEAR, "phone": CLEAR},
    "loan_officer": {"name": "mask", "idNumber": (6, 4), "phone": (3, 4)},
    "approver": {"name": "mask", "idNumber": (6, 4), "phone": (3, 4)},
    "credit_committee": {"name": "mask", "idNumber": (6, 4), "phone": (3, 4)},
    "risk_analyst": {"name": "mask", "idNumber": (3, 4), "phone": (3, 4)},
    "compliance_auditor": {"name": "mask", "idNumber": (6, 4), "phone": (3, 4)},
    "viewer": {"name": "mask", "idNumber": (3, 4), "phone": (3, 4)},
    "partner": {"name": DENY, "idNumber": DENY, "phone": DENY},
}

_ATTR = {"name": "name", "idNumber": "id_number", "phone": "phone"}


def expected_value(role: str, field: str, clear: str) -> Any:
    rule = PERSON_EXPECTATIONS[role][field]
    if rule == CLEAR:
        return clear
    if rule == DENY:
        return DENY
    if rule == "mask":
        return masked_name(clear)
    return keep_ends(clear, *rule)


SHAPES = {
    "direct": (
        "query($firm: ID!) { firm(id: $firm) { representative { %s } } }",
        ("firm", "representative", "%s"),
    ),
    "alias": (
        "query($firm: ID!) { f: firm(id: $firm) { r: representative { x: %s } } }",
        ("f", "r", "x"),
    ),
    "fragment": (
        "query($firm: ID!) { firm(id: $firm) { ...F } }"
        " fragment F on Firm { representative { ...P } } fragment P on Person { %s }",
        ("firm", "representative", "%s"),
    ),
    "node": (
        "query($person: ID!) { node(id: $person) { ... on Person { %s } } }",
        ("node", "%s"),
    ),
    "nested": (
        "query($firm: ID!) { firm(id: $firm) { loans(first: 5) "
        "{ edges { node { firm { representative { %s } } } } } } }",
        ("firm", "loans", "edges", 0, "node", "firm", "representative", "%s"),
    ),
}


def dig(data: Any, path: tuple[Any, ...], field: str) -> Any:
    for step in path:
        if data is None:
            return None
        key = field if step == "%s" else step
        data = data[key]
    return data


@pytest.fixture(scope="module")
def plugins() -> Any:
    return load_plugins(None)


@pytest.fixture
async def world(db: Any, isolated_security: Any, plugins: Any) -> tuple[Any, Seeded]:
    schema = build_schema(db)
    return schema, await seed_two_branches()


@pytest.mark.parametrize("role", sorted(PERSON_EXPECTATIONS))
async def test_person_fields_matrix(world: Any, db: Any, plugins: Any, role: str) -> None:
    schema, seeded = world
    target = seeded.in_branch("B001")[0]
    variables = {
        "firm": to_base64("Firm", target.firm_id),
        "person": to_base64("Person", target.person_id),
    }
    for field in ("name", "idNumber", "phone"):
        clear = getattr(target, _ATTR[field])
        expected = expected_value(role, field, clear)
        for shape, (template, path) in SHAPES.items():
            used = {k: v for k, v in variables.items() if f"${k}" in template}
            result = await execute_as(schema, db, plugins, template % field, principal(role), used)
            value = dig(result.data, path, field)
            where = f"{role} {field} via {shape}"
            if expected == DENY:
                assert value is None, where
                assert result.errors, where
                codes = {(e.extensions or {}).get("code") for e in result.errors}
                assert codes == {"FORBIDDEN"}, (where, result.errors)
                named = " ".join(e.message for e in result.errors)
                assert f"Person.{field}" in named or "Firm.representative" in named, where
            else:
                assert result.errors is None, (where, result.errors)
                assert value == expected, where


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("admin", True),
        ("loan_officer", True),
        ("risk_analyst", True),
        ("credit_committee", True),
        ("viewer", False),
        ("partner", False),
    ],
)
async def test_score_internals(world: Any, db: Any, plugins: Any, role: str, visible: bool) -> None:
    schema, seeded = world
    target = seeded.in_branch("B001")[0]
    query = (
        "query($id: ID!) { firm(id: $id) "
        "{ name s: latestScore { reasons { feature } pd: probabilityOfDefault grade } } }"
    )
    result = await execute_as(
        schema, db, plugins, query, principal(role), {"id": to_base64("Firm", target.firm_id)}
    )
    assert result.data is not None and result.data["firm"]["name"]
    score = result.data["firm"]["s"]
    if visible:
        assert result.errors is None
        assert score["pd"] == 0.05 and score["reasons"][0]["feature"] == "debt_to_asset"
    else:
        assert score is None or (score["pd"] is None and score["reasons"] is None)
        messages = " ".join(e.message for e in result.errors or [])
        assert "Score.reasons" in messages or "Firm.latestScore" in messages


async def test_audit_entries_masked_for_auditors_and_denied_to_officers(
    world: Any, db: Any, plugins: Any
) -> None:
    from smecredit.services import audit

    schema, _ = world
    await audit.record("someone", "test.event", "thing", source_address="203.0.113.77")
    query = "{ auditLog(first: 10) { edges { node { action sourceAddress } } } }"

    def addresses(result: Any) -> set[Any]:
        edges = result.data["auditLog"]["edges"]
        return {e["node"]["sourceAddress"] for e in edges if e["node"]["action"] == "test.event"}

    admin = await execute_as(schema, db, plugins, query, principal("admin", "HQ"))
    assert admin.errors is None and addresses(admin) == {"203.0.113.77"}
    auditor = await execute_as(schema, db, plugins, query, principal("compliance_auditor", "HQ"))
    assert auditor.errors is None and addresses(auditor) == {"203" + "*" * 9}
    officer = await execute_as(schema, db, plugins, query, principal("loan_officer", "B001"))
    assert officer.data is None or not officer.data.get("auditLog")


async def test_every_guarded_field_has_a_decision_for_every_role(world: Any) -> None:
    # Default-deny: a field no rule mentions is denied, so new fields are safe by default.
    from smecredit.security.policy import get_policy_store, subjects_of

    schema, _ = world
    keys = guarded_field_keys(schema)
    assert "Person.idNumber" in keys and "Firm.representative" in keys
    assert not any(k.startswith(("Query.", "Mutation.", "__")) for k in keys)
    store = get_policy_store()
    partner = subjects_of(principal("partner"))
    assert store.decide(partner, "B001", "Some.newField").kind == "deny"
    admin = subjects_of(principal("admin"))
    assert all(store.decide(admin, "B001", k).kind == "allow" for k in keys)


async def test_unmasked_sensitive_reads_are_audited_once_per_request(
    world: Any, db: Any, plugins: Any
) -> None:
    schema, seeded = world
    query = "{ firms(first: 10) { edges { node { representative { idNumber name } } } } }"
    before = await models.AuditLog.filter(action="sensitive_field.read_unmasked").count()
    result = await execute_as(schema, db, plugins, query, principal("admin", "HQ"))
    assert result.errors is None
    ids = {e["node"]["representative"]["idNumber"] for e in result.data["firms"]["edges"]}
    assert ids == {f.id_number for f in seeded.firms}
    rows = await models.AuditLog.filter(action="sensitive_field.read_unmasked").order_by("seq")
    assert len(rows) - before == 2  # Person.idNumber and Person.name: once each, not per row
    assert {r.resource for r in rows[before:]} == {"Person.idNumber", "Person.name"}
    # A masked read is not audited.
    await execute_as(schema, db, plugins, query, principal("loan_officer", "B001"))
    assert await models.AuditLog.filter(action="sensitive_field.read_unmasked").count() == len(rows)


async def test_a_failing_audit_write_hides_the_personal_data(
    world: Any, db: Any, plugins: Any, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    """Audit fails closed: an unmasked read that cannot be recorded is not given out."""
    from smecredit.graphql import permissions

    schema, seeded = world
    query = "{ firms(first: 10) { edges { node { id representative { idNumber } } } } }"

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("audit database unreachable")

    monkeypatch.setattr(permissions.audit, "record", broken)
    with caplog.at_level("ERROR", logger="smecredit.graphql.permissions"):
        result = await execute_as(schema, db, plugins, query, principal("admin", "HQ"))
    assert result.errors, result
    assert {e.extensions["code"] for e in result.errors} == {"AUDIT_UNAVAILABLE"}
    assert {e.path[-1] for e in result.errors} == {"idNumber"}
    # every row's value is withheld (not just the first), the rest of the answer is there
    edges = result.data["firms"]["edges"]
    assert edges and all(e["node"]["representative"]["idNumber"] is None for e in edges)
    assert {e["node"]["id"] for e in edges} == {to_base64("Firm", f.firm_id) for f in seeded.firms}
    shown = repr(result.data)
    assert not any(f.id_number in shown for f in seeded.firms)
    assert "could not audit the unmasked read of Person.idNumber" in caplog.text
    # once the audit log answers again, the read is served and recorded
    monkeypatch.undo()
    again = await execute_as(schema, db, plugins, query, principal("admin", "HQ"))
    assert again.errors is None
    assert await models.AuditLog.filter(
        action="sensitive_field.read_unmasked", resource="Person.idNumber"
    ).exists()
