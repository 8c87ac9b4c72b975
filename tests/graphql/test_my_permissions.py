"""myPermissions and allowedActions(id:) over HTTP: the answer agrees with what happens.

Table-driven against the real policy (schema/casbin/policy.csv) and the real operations
table: for a viewer, a loan officer and an administrator, the answer's claim about a field
(visible, masked, denied) and a mutation (allowed or not) is checked by reading the field
and calling the mutation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from helpers import gql
from lending_support import seed_firm, seed_product
from strawberry.relay import GlobalID

from smecredit import models
from smecredit.services.persons import person_index

pytestmark = pytest.mark.anyio

ID_NUMBER = "110101199003077777"
PERMISSIONS = """{ myPermissions {
  roles
  types { typeName fields { field access strategy } }
  operations { mutation operation allowed }
} }"""
FIRM = """query($id: ID!) { node(id: $id) { ... on Firm {
  name representative { idNumber } latestScore { grade probabilityOfDefault }
} } }"""


def gid(type_name: str, pk: int) -> str:
    return str(GlobalID(type_name, str(pk)))


async def _firm_with_score() -> models.Firm:
    person = await models.Person.create(
        name="Zhang San", id_number=ID_NUMBER, id_number_index=person_index(ID_NUMBER)
    )
    firm = await seed_firm(branch="HQ")
    firm.representative = person
    await firm.save()
    await models.Score.create(
        firm=firm,
        model_name="fixed",
        model_version="1",
        probability_of_default=0.042,
        points=640,
        grade="B",
        reasons=[],
        computed_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
    )
    return firm


def _access(answer: dict[str, Any], type_name: str, field: str) -> dict[str, Any]:
    for t in answer["types"]:
        if t["typeName"] == type_name:
            for f in t["fields"]:
                if f["field"] == field:
                    return f  # type: ignore[no-any-return]
    raise AssertionError(f"{type_name}.{field} is not in the answer")


def _operation(answer: dict[str, Any], mutation: str) -> dict[str, Any]:
    (row,) = [o for o in answer["operations"] if o["mutation"] == mutation]
    return row  # type: ignore[no-any-return]


def _refused(body: dict[str, Any]) -> bool:
    """Whether a mutation's answer is the operation guard's refusal (either dialect)."""
    codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
    data = body.get("data") or {}
    member = next(iter(data.values()), None) if data else None
    typename = member.get("__typename") if isinstance(member, dict) else None
    return "FORBIDDEN" in codes or typename == "Forbidden"


#: role -> (Score.probabilityOfDefault, Person.idNumber, {mutation: allowed})
EXPECTED = {
    "viewer": ("DENIED", "MASKED", {"scoreFirm": False, "createProduct": False}),
    "loan_officer": ("VISIBLE", "MASKED", {"scoreFirm": True, "createProduct": False}),
    "admin": ("VISIBLE", "VISIBLE", {"scoreFirm": True, "createProduct": True}),
}

CALLS = {
    # an unknown firm: the allowed roles get past the guard and meet NOT_FOUND
    "scoreFirm": (
        "mutation($id: ID!) { r: scoreFirm(firmId: $id) { __typename ... on Score { grade } } }",
        {"id": gid("Firm", 999_999)},
    ),
    # invalid terms: the allowed roles get past the guard and meet a validation error
    "createProduct": (
        'mutation { r: createProduct(code: "X", name: "x", terms: {amountMin: "10", '
        'amountMax: "1", termMonthsMin: 12, termMonthsMax: 1, rateMin: "0.1", '
        'rateMax: "0.01", methods: [EQUAL_PRINCIPAL]}) { __typename } }',
        {},
    ),
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
async def test_answer_agrees_with_what_happens(db: object, client_for: Any, role: str) -> None:
    firm = await _firm_with_score()
    client = await client_for(role, "HQ")
    body = await gql(client, PERMISSIONS)
    assert "errors" not in body, body
    answer = body["data"]["myPermissions"]
    assert answer["roles"] == [role]
    pd_access, id_access, mutations = EXPECTED[role]

    read = await gql(client, FIRM, {"id": gid("Firm", firm.id)})
    node = read["data"]["node"]
    forbidden = {
        tuple(e["path"]) for e in read.get("errors") or [] if e["extensions"]["code"] == "FORBIDDEN"
    }

    claim = _access(answer, "Score", "probabilityOfDefault")
    assert claim["access"] == pd_access
    # a denied field never nulls its parent: the score is there, only its PD is null
    assert node["latestScore"]["grade"] == "B"
    if pd_access == "DENIED":
        assert node["latestScore"]["probabilityOfDefault"] is None
        assert ("node", "latestScore", "probabilityOfDefault") in forbidden
    else:
        assert node["latestScore"]["probabilityOfDefault"] == pytest.approx(0.042)

    claim = _access(answer, "Person", "idNumber")
    assert claim["access"] == id_access
    seen = node["representative"]["idNumber"]
    if id_access == "MASKED":
        assert claim["strategy"] == "id_number" and seen != ID_NUMBER and "*" in seen
    else:
        assert claim["strategy"] is None and seen == ID_NUMBER

    for mutation, allowed in mutations.items():
        assert _operation(answer, mutation)["allowed"] is allowed
        query, variables = CALLS[mutation]
        outcome = await gql(client, query, variables)
        assert _refused(outcome) is not allowed, (mutation, outcome)


async def test_every_field_answer_matches_the_guard(db: object, client_for: Any) -> None:
    """Each field a viewer reads on a firm is null-with-FORBIDDEN exactly when DENIED."""
    firm = await _firm_with_score()
    viewer = await client_for("viewer", "HQ")
    answer = (await gql(viewer, PERMISSIONS))["data"]["myPermissions"]
    score_fields = [
        f["field"] for t in answer["types"] if t["typeName"] == "Score" for f in t["fields"]
    ]
    read = await gql(
        viewer,
        "query($id: ID!) { node(id: $id) { ... on Firm { latestScore { "
        # object fields need a selection (a score's reasons)
        + " ".join("reasons { feature }" if f == "reasons" else f for f in score_fields)
        + " } } } }",
        {"id": gid("Firm", firm.id)},
    )
    denied = {e["path"][-1] for e in read.get("errors") or []}
    claimed = {f for f in score_fields if _access(answer, "Score", f)["access"] == "DENIED"}
    assert claimed == denied == {"probabilityOfDefault", "reasons"}
    assert read["data"]["node"]["latestScore"] is not None


ACTIONS = "query($id: ID!) { allowedActions(id: $id) { mutation operation scope } }"


def app_schema_mutations() -> list[str]:
    from smecredit.graphql.schema import build_schema
    from smecredit.settings import Settings

    return list(build_schema(Settings())._schema.mutation_type.fields)


async def test_allowed_actions_follow_the_lifecycle(db: object, client_for: Any) -> None:
    await seed_product()
    firm = await seed_firm(branch="B01")
    officer = await client_for("loan_officer", "B01")
    approver = await client_for("approver", "B01")
    other_branch = await client_for("loan_officer", "B02")
    created = await gql(
        officer,
        "mutation($input: CreateApplicationInput!) { r: createApplication(input: $input) {"
        " ... on LoanApplication { id } } }",
        {
            "input": {
                "firmId": gid("Firm", firm.id),
                "productCode": "SME-WC",
                "amount": "120000.00",
                "termMonths": 12,
                "annualRate": "0.12",
                "repaymentMethod": "EQUAL_PRINCIPAL",
            }
        },
    )
    app_id = created["data"]["r"]["id"]

    # draft: the maker may submit (or withdraw); the approver has nothing to do yet
    draft = (await gql(officer, ACTIONS, {"id": app_id}))["data"]["allowedActions"]
    by_mutation = {a["mutation"]: a for a in draft}
    # named exactly as the mutation field the client then calls
    assert by_mutation["submitApplication"] == {
        "mutation": "submitApplication",
        "operation": "application.submit",
        "scope": "BRANCH",
    }
    mutation_fields = set(app_schema_mutations())
    assert set(by_mutation) <= mutation_fields
    assert (await gql(approver, ACTIONS, {"id": app_id}))["data"]["allowedActions"] == []
    # out of the caller's branch: as if it did not exist
    assert (await gql(other_branch, ACTIONS, {"id": app_id}))["data"]["allowedActions"] is None

    submitted = await gql(
        officer,
        "mutation($id: ID!) { r: submitApplication(id: $id) { __typename "
        "... on LoanApplication { status } } }",
        {"id": app_id},
    )
    assert submitted["data"]["r"].get("status") == "SUBMITTED", submitted

    # submitted: the maker can no longer submit; the approver may start the review
    after = {
        a["mutation"]
        for a in (await gql(officer, ACTIONS, {"id": app_id}))["data"]["allowedActions"]
    }
    assert "submitApplication" not in after
    review = (await gql(approver, ACTIONS, {"id": app_id}))["data"]["allowedActions"]
    assert {
        "mutation": "startReview",
        "operation": "application.start_review",
        "scope": "BRANCH",
    } in review


async def test_anonymous_callers_get_no_answer(anon_client: Any) -> None:
    body = await gql(anon_client, PERMISSIONS)
    assert body.get("data") is None or body["data"].get("myPermissions") is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_no_non_null_field_can_be_denied_to_a_role_that_reads_its_type() -> None:
    """A denied field never nulls its parent: every field the policy can deny is nullable.

    Checked for each default role against the real policy, with the guard's own rule
    (:func:`effective_kind`). A type wholly denied to a role is left out: that role never
    reaches such an object (the field leading to it is denied, and so nullable).
    """
    from graphql import GraphQLNonNull

    from smecredit.graphql.permissions import RequestPermissions, field_access
    from smecredit.graphql.schema import build_schema
    from smecredit.security.policy import PolicyStore
    from smecredit.security.principal import ROLES, Principal
    from smecredit.settings import Settings

    schema = build_schema(Settings())
    core = schema._schema
    store = PolicyStore()
    offending: list[str] = []
    for role in sorted(ROLES):
        perms = RequestPermissions(Principal(1, "u", (role,), "HQ"), store)
        entries = field_access(schema, perms)
        readable = {e.type_name for e in entries if e.kind != "deny"}
        for e in entries:
            gfield = core.type_map[e.type_name].fields[e.field_name]  # type: ignore[union-attr]
            if (
                e.kind == "deny"
                and e.type_name in readable
                and isinstance(gfield.type, GraphQLNonNull)
            ):
                offending.append(f"{role}: {e.type_name}.{e.field_name}")
    assert offending == []
