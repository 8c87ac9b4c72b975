"""GraphQL ingestion API: start a sync in the background, poll it, quality, consent."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from ingestion_support import ListSource
from permissions_support import isolated_security
from smecredit_source_synthetic.generator import generate_portfolio
from smecredit_source_synthetic.plugin import SyntheticSource
from strawberry.relay import to_base64

from smecredit.graphql.context import Context
from smecredit.graphql.schema import build_schema
from smecredit.plugins import PluginRegistry
from smecredit.security.principal import Principal

pytestmark = pytest.mark.anyio
__all__ = ["isolated_security"]  # the fixture, re-exported for pytest


ADMIN = Principal(user_id=1, username="root", roles=("admin",), branch_code="HQ")


async def _execute(db: Any, query: str, user: Any = ADMIN, **variables: Any) -> Any:
    schema = build_schema(db)
    registry = PluginRegistry(data_sources={"synthetic": SyntheticSource()})
    context = Context(request=None, settings=db, plugins=registry, user=user)
    return await schema.execute(query, variable_values=variables, context_value=context)


async def _run(db: Any, query: str, **variables: Any) -> dict[str, Any]:
    result = await _execute(db, query, **variables)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


START = """mutation($settings: JSON) {
  startSync(source: "synthetic", settings: $settings) {
    __typename ... on SyncRun { id status statusLabel operation source }
    ... on BusinessError { code message }
  }
}"""
POLL = """query($id: ID!) {
  syncRun(id: $id) {
    status done read accepted quarantined merged outliers missingRates
    quarantinedRecords(first: 5) {
      totalCount edges { node { id locator code codeLabel field reason } }
    }
    refreshJob { status firms }
    statusLabel
  }
}"""


async def test_start_sync_returns_at_once_and_progress_can_be_polled(db: Any) -> None:
    started = await _run(db, START, settings={"n_firms": 4, "dirt_rate": 0.1})
    run = started["startSync"]
    assert run["__typename"] == "SyncRun", run
    assert run["status"] == "RUNNING" and run["source"] == "synthetic"
    assert (run["statusLabel"], run["operation"]) == ("Running", "SOURCE_SYNC")
    for _ in range(600):
        polled = (await _run(db, POLL, id=run["id"]))["syncRun"]
        refresh = polled["refreshJob"]
        if polled["status"] != "RUNNING" and refresh and refresh["status"] == "SUCCEEDED":
            break  # the sync, then the rescoring and re-evaluation of its new firms
        await asyncio.sleep(0.05)
    assert polled["status"] == "PARTIAL"  # finished, with dirty records quarantined
    assert polled["statusLabel"] == "Partial (records quarantined)"
    assert polled["refreshJob"] == {"status": "SUCCEEDED", "firms": 4}
    assert polled["read"] == polled["done"] == polled["accepted"] + polled["quarantined"]
    quarantine = polled["quarantinedRecords"]
    assert polled["quarantined"] > 0 and quarantine["totalCount"] == polled["quarantined"]
    first = quarantine["edges"][0]["node"]
    assert first["code"] and first["codeLabel"]
    assert "firm" in polled["missingRates"]
    node = await _run(db, "query($id: ID!) { node(id: $id) { id } }", id=first["id"])
    assert node["node"] == {"id": first["id"]}

    listed = await _run(
        db,
        '{ syncRuns(filter: {source: "synthetic", status: PARTIAL}) '
        "{ totalCount edges { node { id } } } "
        "dataQuality { read runs { runId status } } }",
    )
    assert [e["node"]["id"] for e in listed["syncRuns"]["edges"]] == [run["id"]]
    assert listed["dataQuality"]["read"] == polled["read"]
    assert listed["dataQuality"]["runs"][0] == {"runId": run["id"], "status": "PARTIAL"}
    none = await _run(db, "{ syncRuns(filter: {status: FAILED}) { totalCount } }")
    assert none["syncRuns"]["totalCount"] == 0


async def test_start_sync_with_unknown_source_is_a_coded_error(db: Any) -> None:
    result = await _execute(
        db, 'mutation { startSync(source: "nope") { __typename ... on BusinessError { code } } }'
    )
    assert result.errors is None, result.errors
    assert result.data["startSync"] == {"__typename": "InvalidArgument", "code": "UNKNOWN_SOURCE"}


async def test_ingestion_needs_a_signed_in_user_with_a_role(db: Any) -> None:
    anonymous = await _execute(db, "{ syncRuns { totalCount } }", user=None)
    assert anonymous.errors and anonymous.errors[0].extensions["code"] == "UNAUTHENTICATED"
    officer = Principal(user_id=2, username="o", roles=("loan_officer",), branch_code="HZ01")
    refused = await _execute(
        db,
        'mutation { startSync(source: "synthetic") { __typename ... on BusinessError { code } } }',
        user=officer,
    )
    assert refused.data["startSync"] == {"__typename": "Forbidden", "code": "FORBIDDEN"}


async def test_grant_and_revoke_consent(db: Any) -> None:
    from smecredit.services.ingestion.sync import run_sync

    firm = next(r for k, r in generate_portfolio(1, seed=2) if k == "firm")
    await run_sync(ListSource([("firm", firm)]))
    granted = await _run(
        db,
        'mutation($u: String!) { grantConsent(uscc: $u, scope: "bureau", evidenceRef: "doc-9") '
        "{ ... on Consent { id firmUscc scope revokedAt evidenceRef } } }",
        u=firm["uscc"],
    )
    consent = granted["grantConsent"]
    assert consent.pop("id")
    assert consent == {
        "firmUscc": firm["uscc"], "scope": "bureau", "revokedAt": None, "evidenceRef": "doc-9"
    }  # fmt: skip
    revoke = (
        'mutation($u: String!) { revokeConsent(uscc: $u, scope: "bureau") '
        "{ __typename ... on RevokeConsentPayload { revoked } ... on BusinessError { code } } }"
    )
    revoked = await _run(db, revoke, u=firm["uscc"])
    assert revoked["revokeConsent"] == {"__typename": "RevokeConsentPayload", "revoked": 1}
    other = next(r for k, r in generate_portfolio(1, seed=3) if k == "firm")  # not stored
    missing = await _run(db, revoke, u=other["uscc"])
    assert missing["revokeConsent"]["code"] == "FIRM_NOT_FOUND"


# --- the quarantine: data roles only, in scope, personal values masked per Person.* ---

QUARANTINE = """query($id: ID!) {
  syncRun(id: $id) {
    status flaggedByCode fileName actor
    quarantinedRecords(first: 10) {
      edges { node { locator code field reason branchCode rawRecord } }
    }
  }
}"""


def _valid_id(n: int) -> str:
    from smecredit.domain.identity import id_number_check_char

    body = f"11010519850612{n:03d}"
    return body + id_number_check_char(body)


@pytest.fixture
async def quarantined_run(db: Any, isolated_security: Any) -> dict[str, Any]:
    """A run whose quarantine holds personal data in its place and in the wrong places."""
    from smecredit.services.ingestion.sync import run_sync

    firm_a, firm_b = (r for k, r in generate_portfolio(2, seed=21) if k == "firm")
    firm_a = {**firm_a, "branch_code": "BJ01"}
    wrong_phone = _valid_id(7)  # an ID number typed into the phone column
    bad_firm = {
        **firm_b,
        "branch_code": "SH01",
        "representative": {"name": "张三丰", "id_number": _valid_id(3), "phone": wrong_phone},
    }
    tax = {
        "firm_uscc": firm_a["uscc"],
        "month": "2026-01",
        "taxable_sales": "100.00",
        "tax_paid": "3.00",
        "arrears": "0.00",
        "note": "call 13812345678",  # an unknown column, holding a mobile number
    }
    source = ListSource([("firm", firm_a), ("firm", bad_firm), ("tax_record", tax)])
    result = await run_sync(source, batch_size=10)
    assert result.quarantined == 2
    return {
        "run": relay_id(result.run_id),
        "id": _valid_id(3),
        "wrong_phone": wrong_phone,
        "mobile": "13812345678",
        "name": "张三丰",
    }


def relay_id(run_id: int) -> str:
    from strawberry.relay import to_base64

    return to_base64("SyncRun", run_id)


async def _as(db: Any, role: str, query: str, branch: str = "HQ", **variables: Any) -> Any:
    from smecredit.plugins import load_plugins

    schema = build_schema(db)
    user = Principal(user_id=9, username=f"{role}-x", roles=(role,), branch_code=branch)
    context = Context(request=None, settings=db, plugins=load_plugins(None), user=user)
    return await schema.execute(query, variable_values=variables, context_value=context)


def _records(result: Any) -> dict[str, dict[str, Any]]:
    assert result.errors is None, result.errors
    rows = [e["node"] for e in result.data["syncRun"]["quarantinedRecords"]["edges"]]
    return {row["code"]: row for row in rows}


async def test_admin_reads_the_raw_record_in_clear_and_is_audited(
    db: Any, quarantined_run: dict[str, Any]
) -> None:
    from smecredit import models

    before = await models.AuditLog.filter(action="sensitive_field.read_unmasked").count()
    rows = _records(await _as(db, "admin", QUARANTINE, id=quarantined_run["run"]))
    firm = rows["BAD_FORMAT"]
    assert firm["rawRecord"]["representative"]["id_number"] == quarantined_run["id"]
    assert firm["rawRecord"]["representative"]["name"] == quarantined_run["name"]
    assert rows["SCHEMA_VIOLATION"]["rawRecord"]["note"] == "call 13812345678"
    assert (firm["branchCode"], rows["SCHEMA_VIOLATION"]["branchCode"]) == ("SH01", "BJ01")
    # The stored reason never holds the value in clear, even for an administrator.
    assert quarantined_run["wrong_phone"] not in firm["reason"]
    audited = await models.AuditLog.filter(action="sensitive_field.read_unmasked").count()
    assert audited - before == 1  # once per request, not per record


@pytest.mark.parametrize("role", ["risk_analyst", "compliance_auditor"])
async def test_data_roles_read_the_raw_record_masked(
    db: Any, quarantined_run: dict[str, Any], role: str
) -> None:
    import json

    rows = _records(await _as(db, role, QUARANTINE, id=quarantined_run["run"]))
    assert set(rows) == {"BAD_FORMAT", "SCHEMA_VIOLATION"}
    text = json.dumps([r["rawRecord"] for r in rows.values()], ensure_ascii=False)
    for secret in ("id", "wrong_phone", "mobile", "name"):
        assert quarantined_run[secret] not in text, secret
    rep = rows["BAD_FORMAT"]["rawRecord"]["representative"]
    assert rep["id_number"][:3] == quarantined_run["id"][:3] and "*" in rep["id_number"]
    assert rep["name"].startswith("张") and "*" in rep["name"]
    assert rows["SCHEMA_VIOLATION"]["rawRecord"]["tax_paid"] == "3.00"  # the rest as given


@pytest.mark.parametrize("role", ["loan_officer", "approver", "viewer", "partner"])
async def test_other_roles_cannot_read_the_quarantine(
    db: Any, quarantined_run: dict[str, Any], role: str
) -> None:
    query = """query($id: ID!) { syncRun(id: $id) {
      quarantinedRecords(first: 10) { edges { node { code rawRecord } } } } }"""
    result = await _as(db, role, query, branch="BJ01", id=quarantined_run["run"])
    assert result.errors
    assert {(e.extensions or {}).get("code") for e in result.errors} == {"FORBIDDEN"}
    assert not (result.data or {}).get("syncRun", {}).get("quarantinedRecords")
    # nor through node(id:): out of reach answers like missing
    from smecredit import models

    row = await models.QuarantinedRecord.filter(branch_code="BJ01").first()
    assert row is not None
    node = await _as(
        db, role, "query($id: ID!) { node(id: $id) { id } }", branch="BJ01",
        id=to_base64("QuarantinedRecord", row.id),
    )  # fmt: skip
    assert node.errors is None and node.data == {"node": None}
    admin = await _as(
        db, "admin", "query($id: ID!) { node(id: $id) { ... on QuarantinedRecord { code } } }",
        id=to_base64("QuarantinedRecord", row.id),
    )  # fmt: skip
    assert admin.data == {"node": {"code": row.code}}


async def test_quarantine_rows_are_filed_under_their_firms_branch(
    db: Any, quarantined_run: dict[str, Any]
) -> None:
    from smecredit import models
    from smecredit.security.row_scope import scoped_rows

    def officer(branch: str) -> Principal:
        return Principal(user_id=3, username="o", roles=("loan_officer",), branch_code=branch)

    rows = scoped_rows(officer("BJ01"), models.QuarantinedRecord)
    assert await rows.values_list("code", flat=True) == ["SCHEMA_VIOLATION"]
    rows = scoped_rows(officer("SH01"), models.QuarantinedRecord)
    assert await rows.values_list("code", flat=True) == ["BAD_FORMAT"]
    assert not await scoped_rows(officer("GZ01"), models.QuarantinedRecord).exists()
