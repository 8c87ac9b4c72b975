"""The write side of the GraphQL core: firm and warning mutations and their error codes."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from helpers import gql, principal
from portfolio_seed import make_id_number, make_uscc
from results_support import answer, on, on_typed, refusal
from strawberry.relay.utils import to_base64

from smecredit import models
from smecredit.services import firms as firm_service
from smecredit.services.persons import person_index

pytestmark = pytest.mark.anyio

CREATE = (
    "mutation($input: CreateFirmInput!) { createFirm(input: $input) "
    + on_typed(
        "Firm",
        "id uscc name industryCode version registeredCapital status statusLabel "
        "representative { name idNumber phone }",
    )
    + " }"
)

UPDATE = (
    "mutation($input: UpdateFirmInput!) { updateFirm(input: $input) "
    + on_typed("Firm", "id name employees version representative { name idNumber }")
    + " }"
)


def firm_input(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "uscc": make_uscc(501),
        "name": "  Hangzhou Test Trading Co.  ",
        "industryCode": "f51",
        "regionCode": "330106",
        "branchCode": "B01",
        "registeredCapital": "1000000.50",
        "representative": {
            "name": "Zhang San",
            "idNumber": make_id_number(7),
            "phone": "13812345678",
        },
    }
    data.update(overrides)
    return data


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    """The refusal: a top-level error, or the error member a result union answered (shaped
    like one: its technical ``detail`` as ``message``, its ``code`` in ``extensions``)."""
    if body.get("errors"):
        error: dict[str, Any] = body["errors"][0]
        return error
    (value,) = body["data"].values()
    assert isinstance(value, dict) and "code" in value, body
    return {"message": value["detail"], "extensions": {"code": value["code"]}}


async def test_create_firm_normalises_and_stores(client: Any, db: Any) -> None:
    body = await gql(client, CREATE, {"input": firm_input(uscc=make_uscc(501).lower())})
    assert "errors" not in body, body
    firm = body["data"]["createFirm"]
    assert firm["status"] == "ACTIVE" and firm["statusLabel"] == "Active"
    assert firm["uscc"] == make_uscc(501)
    assert firm["name"] == "Hangzhou Test Trading Co."
    assert firm["industryCode"] == "F51"
    assert firm["version"] == 1
    assert firm["registeredCapital"] == "1000000.50"
    assert firm["representative"]["idNumber"] == make_id_number(7)
    row = await models.Firm.get(uscc=make_uscc(501)).prefetch_related("representative")
    assert row.representative is not None
    assert row.representative.id_number_index == person_index(make_id_number(7))


@pytest.mark.parametrize(
    ("overrides", "code", "words"),
    [
        ({"uscc": make_uscc(501)[:-1] + "0"}, "INVALID_USCC", "unified social credit code"),
        ({"uscc": "123"}, "INVALID_USCC", "18 characters"),
        (
            {"representative": {"name": "Li Si", "idNumber": "110101198001010000"}},
            "INVALID_ID_NUMBER",
            "ID number",
        ),
        ({"industryCode": "99"}, "INVALID_INDUSTRY_CODE", "industry_code"),
        ({"regionCode": "33"}, "INVALID_REGION_CODE", "region_code"),
        ({"name": "   "}, "INVALID_INPUT", "name"),
    ],
)
async def test_create_firm_rejects_bad_input(
    client: Any, db: Any, overrides: dict[str, Any], code: str, words: str
) -> None:
    error = error_of(await gql(client, CREATE, {"input": firm_input(**overrides)}))
    assert error["extensions"]["code"] == code
    assert words.lower() in error["message"].lower()
    assert await models.Firm.all().count() == 0
    # Nothing half-written: the representative is not kept either.
    assert await models.Person.all().count() == 0


async def test_a_status_outside_the_enum_is_refused_before_anything_runs(
    client: Any, db: Any
) -> None:
    body = await gql(client, CREATE, {"input": firm_input(status="bankrupt")})
    assert body["errors"] and "FirmStatus" in body["errors"][0]["message"], body
    assert await models.Firm.all().count() == 0


async def test_duplicate_uscc(client: Any, db: Any) -> None:
    assert "errors" not in await gql(client, CREATE, {"input": firm_input()})
    error = error_of(await gql(client, CREATE, {"input": firm_input(name="Other")}))
    assert error["extensions"]["code"] == "DUPLICATE_USCC"
    assert make_uscc(501) in error["message"]


async def test_update_firm_with_optimistic_lock(client: Any, db: Any) -> None:
    created = (await gql(client, CREATE, {"input": firm_input()}))["data"]["createFirm"]
    body = await gql(
        client,
        UPDATE,
        {
            "input": {
                "id": created["id"],
                "expectedVersion": 1,
                "name": "Renamed Co.",
                "employees": 12,
                "representative": {"name": "Wang Wu", "idNumber": make_id_number(8)},
            }
        },
    )
    assert "errors" not in body, body
    updated = body["data"]["updateFirm"]
    assert updated["name"] == "Renamed Co."
    assert updated["employees"] == 12
    assert updated["version"] == 2
    assert updated["representative"] == {"name": "Wang Wu", "idNumber": make_id_number(8)}
    stale = await gql(
        client, UPDATE, {"input": {"id": created["id"], "expectedVersion": 1, "name": "Late"}}
    )
    error = error_of(stale)
    assert error["extensions"]["code"] == "CONFLICT"
    assert "version 2" in error["message"]
    assert (await models.Firm.get(uscc=make_uscc(501))).name == "Renamed Co."
    # Without expectedVersion the update applies to whatever is current.
    ok = await gql(client, UPDATE, {"input": {"id": created["id"], "name": "Latest"}})
    assert ok["data"]["updateFirm"]["version"] == 3


async def test_update_firm_errors(client: Any, db: Any) -> None:
    created = (await gql(client, CREATE, {"input": firm_input()}))["data"]["createFirm"]
    missing = await gql(client, UPDATE, {"input": {"id": to_base64("Firm", 9999), "name": "Ghost"}})
    assert error_of(missing)["extensions"]["code"] == "NOT_FOUND"
    wrong_type = await gql(client, UPDATE, {"input": {"id": to_base64("Loan", 1), "name": "X"}})
    assert error_of(wrong_type)["extensions"]["code"] == "NOT_FOUND"
    bad_person = await gql(
        client,
        UPDATE,
        {"input": {"id": created["id"], "representative": {"name": "A", "idNumber": "1"}}},
    )
    assert error_of(bad_person)["extensions"]["code"] == "INVALID_ID_NUMBER"
    assert (await models.Firm.get(uscc=make_uscc(501))).version == 1


UPDATE_ALL = (
    "mutation($input: UpdateFirmInput!) { updateFirm(input: $input) "
    + on(
        "Firm",
        "name industryCode regionCode branchCode status establishedOn registeredCapital "
        "employees version representative { name }",
    )
    + " }"
)


async def test_update_firm_null_clears_and_omitted_keeps(client: Any, db: Any) -> None:
    created = await gql(
        client, CREATE, {"input": firm_input(employees=40, establishedOn="2015-06-01")}
    )
    firm_id = created["data"]["createFirm"]["id"]
    before = {
        "name": "Hangzhou Test Trading Co.",
        "industryCode": "F51",
        "regionCode": "330106",
        "branchCode": "B01",
        "status": "ACTIVE",
        "establishedOn": "2015-06-01",
        "registeredCapital": "1000000.50",
        "employees": 40,
        "representative": {"name": "Zhang San"},
    }
    # Only employees is sent, as null: it is cleared, everything else stays.
    body = await gql(client, UPDATE_ALL, {"input": {"id": firm_id, "employees": None}})
    assert "errors" not in body, body
    assert body["data"]["updateFirm"] == {**before, "employees": None, "version": 2}
    body = await gql(
        client,
        UPDATE_ALL,
        {
            "input": {
                "id": firm_id,
                "registeredCapital": None,
                "establishedOn": None,
                "representative": None,
            }
        },
    )
    assert "errors" not in body, body
    cleared = {"employees": None, "registeredCapital": None, "establishedOn": None}
    assert body["data"]["updateFirm"] == {
        **before,
        **cleared,
        "representative": None,
        "version": 3,
    }
    row = await models.Firm.get(uscc=make_uscc(501))
    assert (row.employees, row.registered_capital, row.established_on) == (None, None, None)
    assert row.representative_id is None  # type: ignore[attr-defined]
    # An input naming no field changes nothing but the version.
    body = await gql(client, UPDATE_ALL, {"input": {"id": firm_id}})
    assert body["data"]["updateFirm"]["name"] == before["name"]
    assert body["data"]["updateFirm"]["employees"] is None


@pytest.mark.parametrize(
    ("field", "column"),
    [
        ("name", "name"),
        ("industryCode", "industry_code"),
        ("regionCode", "region_code"),
        ("branchCode", "branch_code"),
        ("status", "status"),
    ],
)
async def test_update_firm_refuses_null_for_required_fields(
    client: Any, db: Any, field: str, column: str
) -> None:
    created = (await gql(client, CREATE, {"input": firm_input()}))["data"]["createFirm"]
    body = await gql(client, UPDATE, {"input": {"id": created["id"], field: None, "employees": 3}})
    error = error_of(body)
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert column in error["message"] and "null" in error["message"]
    row = await models.Firm.get(uscc=make_uscc(501))
    assert (row.version, row.employees) == (1, None)  # nothing applied


async def _warning(status: str = "open") -> models.Warning:
    firm = await firm_service.create_firm(
        {
            "uscc": make_uscc(777),
            "name": "Warned Co.",
            "industry_code": "C13",
            "region_code": "110101",
            "branch_code": "B01",
        },
        actor=principal("seeder", "admin"),
    )
    return await models.Warning.create(
        firm=firm, rule_code="DPD_30", severity="red", message="30 days overdue", status=status
    )


ACK = (
    "mutation($id: ID!) { acknowledgeWarning(id: $id) "
    + on_typed("Warning", "status acknowledgedAt version")
    + " }"
)
RESOLVE = (
    "mutation($id: ID!, $note: String) { resolveWarning(id: $id, note: $note) "
    + on_typed("Warning", "status resolutionNote resolvedAt version")
    + " }"
)
DISMISS = (
    "mutation($id: ID!, $reason: String!, $v: Int) "
    "{ dismissWarning(id: $id, reason: $reason, expectedVersion: $v) "
    + on_typed("Warning", "status resolutionNote version")
    + " }"
)


async def test_warning_lifecycle(client: Any, db: Any) -> None:
    warning = await _warning()
    wid = to_base64("Warning", warning.id)
    acked = answer(await gql(client, ACK, {"id": wid}), "acknowledgeWarning")
    assert acked["status"] == "ACKNOWLEDGED"
    assert acked["acknowledgedAt"] is not None
    again = refusal(await gql(client, ACK, {"id": wid}), "acknowledgeWarning")
    assert (again["__typename"], again["code"]) == ("InvalidTransition", "INVALID_TRANSITION")
    assert "acknowledged" in again["detail"]
    resolved = answer(await gql(client, RESOLVE, {"id": wid, "note": "paid up"}), "resolveWarning")
    assert resolved["status"] == "RESOLVED"
    assert resolved["resolutionNote"] == "paid up"
    closed = refusal(await gql(client, DISMISS, {"id": wid, "reason": "noise"}), "dismissWarning")
    assert closed["code"] == "INVALID_TRANSITION"
    row = await models.Warning.get(id=warning.id)
    assert row.status == "resolved"
    assert row.version == 3


async def test_dismiss_needs_reason_and_current_version(client: Any, db: Any) -> None:
    warning = await _warning()
    wid = to_base64("Warning", warning.id)
    for reason in ("", "   "):
        error = refusal(await gql(client, DISMISS, {"id": wid, "reason": reason}), "dismissWarning")
        assert (error["__typename"], error["code"]) == ("ReasonRequired", "REASON_REQUIRED")
        assert "reason" in error["detail"]
    stale = refusal(
        await gql(client, DISMISS, {"id": wid, "reason": "dup", "v": 7}), "dismissWarning"
    )
    assert (stale["__typename"], stale["code"]) == ("Conflict", "CONFLICT")
    ok = await gql(client, DISMISS, {"id": wid, "reason": " duplicate of #12 ", "v": 1})
    assert answer(ok, "dismissWarning") == {
        "__typename": "Warning",
        "status": "DISMISSED",
        "resolutionNote": "duplicate of #12",
        "version": 2,
    }
    missing = refusal(
        await gql(client, ACK, {"id": to_base64("Warning", 4242)}), "acknowledgeWarning"
    )
    assert missing["code"] == "NOT_FOUND"


async def test_unexpected_errors_are_masked_and_logged(
    client: Any, db: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(firm_service, "create_firm", explode)
    with caplog.at_level(logging.ERROR, logger="smecredit.graphql"):
        response = await client.post(
            "/graphql", json={"query": CREATE, "variables": {"input": firm_input()}}
        )
    text = response.text
    assert "secret internals" not in text
    assert "Traceback" not in text and "RuntimeError" not in text
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["message"] == "Unexpected error."
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL_ERROR"}
    # ... but the operator sees it in the log.
    logged = [r for r in caplog.records if r.name == "smecredit.graphql"]
    assert logged and "secret internals" in str(logged[0].exc_info[1])  # type: ignore[index]
