"""Writes stay in the caller's scope (issue 11, "what was seen"), over real HTTP.

* viewers, partners and branch officers cannot create a firm in another branch, move a firm
  to another branch, record a consent for another branch's firm, or dismiss warnings;
* moving a firm between branches is an administrator's action, audited;
* linking a representative by ID number never changes, nor reveals, a person known only in
  another branch;
* a duplicate unified social credit code answers the same wherever the other firm is.
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import gql
from permissions_support import make_id_number, make_uscc
from results_support import error_code, error_detail, error_message, on
from strawberry.relay.utils import to_base64

from smecredit import models
from smecredit.services.persons import decrypt_person, person_index

pytestmark = pytest.mark.anyio

CREATE = (
    "mutation($input: CreateFirmInput!) { createFirm(input: $input) "
    + on("Firm", "id branchCode representative { id name }")
    + " }"
)
UPDATE = (
    "mutation($input: UpdateFirmInput!) { updateFirm(input: $input) "
    + on("Firm", "branchCode version")
    + " }"
)
GRANT = (
    'mutation($u: String!) { grantConsent(uscc: $u, scope: "bureau") '
    "{ ... on Consent { scope } ... on BusinessError { code } } }"
)
DISMISS = (
    'mutation($id: ID!) { dismissWarning(id: $id, reason: "noise") '
    "{ ... on Warning { status } ... on BusinessError { code } } }"
)


def firm_input(n: int, branch: str, **extra: Any) -> dict[str, Any]:
    return {
        "uscc": make_uscc(n),
        "name": f"企业{n}",
        "industryCode": "C13",
        "regionCode": "310105",
        "branchCode": branch,
        **extra,
    }


def code_of(body: dict[str, Any]) -> str | None:
    return error_code(body)


async def test_firms_are_created_only_in_the_callers_branch(client_for: Any) -> None:
    for role in ("viewer", "partner", "loan_officer"):
        caller = await client_for(role, "B001")
        body = await gql(caller, CREATE, {"input": firm_input(900, "B002")})
        assert code_of(body) == "FORBIDDEN", (role, body)
    assert not await models.Firm.filter(uscc=make_uscc(900)).exists()
    officer = await client_for("loan_officer", "B001")
    body = await gql(officer, CREATE, {"input": firm_input(901, "B001")})
    assert body["data"]["createFirm"]["branchCode"] == "B001"
    # a partner's branch is its institution code: it creates the firms it supplies there
    partner = await client_for("partner", "P-ACME")
    body = await gql(partner, CREATE, {"input": firm_input(902, "P-ACME")})
    assert body["data"]["createFirm"]["branchCode"] == "P-ACME"


async def test_moving_a_firm_is_an_administrators_audited_action(client_for: Any) -> None:
    officer = await client_for("loan_officer", "B001")
    created = (await gql(officer, CREATE, {"input": firm_input(910, "B001")}))["data"]
    firm_id = created["createFirm"]["id"]
    moved = await gql(officer, UPDATE, {"input": {"id": firm_id, "branchCode": "B002"}})
    assert code_of(moved) == "FORBIDDEN" and "move firms" in error_detail(moved)
    row = await models.Firm.get(uscc=make_uscc(910))
    assert (row.branch_code, row.version) == ("B001", 1)
    # the same branch again is no move
    same = await gql(officer, UPDATE, {"input": {"id": firm_id, "branchCode": "B001"}})
    assert same["data"]["updateFirm"] == {"branchCode": "B001", "version": 2}
    admin = await client_for("admin", "HQ")
    done = await gql(admin, UPDATE, {"input": {"id": firm_id, "branchCode": "B002"}})
    assert done["data"]["updateFirm"]["branchCode"] == "B002"
    audited = await models.AuditLog.filter(action="firm.transfer", resource=f"Firm:{row.id}")
    assert len(audited) == 1 and audited[0].actor == admin.username
    assert audited[0].source_address == "127.0.0.1"  # the request's, though the service wrote it
    # and the officer of B001 no longer sees it: it answers as a missing firm
    gone = await gql(officer, UPDATE, {"input": {"id": firm_id, "name": "x"}})
    assert code_of(gone) == "NOT_FOUND"


async def test_consents_and_warning_steps_stay_in_scope(client_for: Any) -> None:
    admin = await client_for("admin", "HQ")
    await gql(admin, CREATE, {"input": firm_input(920, "B002")})
    firm = await models.Firm.get(uscc=make_uscc(920))
    warning = await models.Warning.create(
        firm=firm, rule_code="LOAN_DPD", severity="red", message="overdue", status="open"
    )
    officer = await client_for("loan_officer", "B001")
    out_of_scope = await gql(officer, GRANT, {"u": make_uscc(920)})
    unknown = await gql(officer, GRANT, {"u": make_uscc(929)})
    codes = [body["data"]["grantConsent"]["code"] for body in (out_of_scope, unknown)]
    assert codes == ["FIRM_NOT_FOUND", "FIRM_NOT_FOUND"]
    assert not await models.Consent.filter(firm_id=firm.id).exists()
    wid = to_base64("Warning", warning.id)
    for role in ("viewer", "partner"):
        caller = await client_for(role, "B002")
        assert code_of(await gql(caller, DISMISS, {"id": wid})) == "FORBIDDEN", role
    assert code_of(await gql(officer, DISMISS, {"id": wid})) == "NOT_FOUND"
    assert (await models.Warning.get(id=warning.id)).status == "open"
    own = await client_for("loan_officer", "B002")
    body = await gql(own, DISMISS, {"id": wid})
    assert body["data"]["dismissWarning"]["status"] == "DISMISSED"


async def test_a_person_of_another_branch_is_never_overwritten_nor_revealed(
    client_for: Any,
) -> None:
    id_number = make_id_number(77)
    admin = await client_for("admin", "HQ")
    theirs = {"name": "王五福", "idNumber": id_number, "phone": "13912340077"}
    await gql(admin, CREATE, {"input": firm_input(930, "B002", representative=theirs)})
    person = await models.Person.get(id_number_index=person_index(id_number))
    officer = await client_for("loan_officer", "B001")
    mine = {"name": "李四光", "idNumber": id_number, "phone": "13700000001"}
    body = await gql(officer, CREATE, {"input": firm_input(931, "B001", representative=mine)})
    linked = body["data"]["createFirm"]["representative"]
    assert linked["id"] != to_base64("Person", person.id)
    # the person of B002 keeps its name and phone, for every branch
    kept = decrypt_person(await models.Person.get(id=person.id))
    assert (kept.name, kept.phone) == ("王五福", "13912340077")
    # the officer's firm has the representative as the officer entered it
    created = await models.Firm.get(uscc=make_uscc(931)).prefetch_related("representative")
    entered = decrypt_person(created.representative)  # type: ignore[arg-type]
    assert (entered.name, entered.id_number, entered.phone) == ("李四光", id_number, "13700000001")
    # within the caller's own branch, the same ID number is the same person: updated in place
    again = {"name": "李四光", "idNumber": id_number, "phone": "13700000002"}
    body = await gql(officer, CREATE, {"input": firm_input(932, "B001", representative=again)})
    assert body["data"]["createFirm"]["representative"]["id"] == linked["id"]


async def test_a_duplicate_code_answers_the_same_wherever_the_other_firm_is(
    client_for: Any,
) -> None:
    admin = await client_for("admin", "HQ")
    await gql(admin, CREATE, {"input": firm_input(940, "B002")})
    await gql(admin, CREATE, {"input": firm_input(941, "B001")})
    officer = await client_for("loan_officer", "B001")
    elsewhere = await gql(officer, CREATE, {"input": firm_input(940, "B001")})
    here = await gql(officer, CREATE, {"input": firm_input(941, "B001")})
    assert code_of(elsewhere) == code_of(here) == "DUPLICATE_USCC"
    blank = error_detail(elsewhere).replace(make_uscc(940), "<USCC>")
    assert blank == error_detail(here).replace(make_uscc(941), "<USCC>")
    assert error_message(elsewhere).replace(make_uscc(940), "<USCC>") == error_message(
        here
    ).replace(make_uscc(941), "<USCC>")
    assert "B002" not in str(elsewhere) and "企业940" not in str(elsewhere)
