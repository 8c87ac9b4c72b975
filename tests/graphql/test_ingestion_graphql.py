"""GraphQL ingestion API: start a sync in the background, poll it, quality, consent."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from ingestion_support import ListSource
from smecredit_source_synthetic.generator import generate_portfolio
from smecredit_source_synthetic.plugin import SyntheticSource

from smecredit.graphql.context import Context
from smecredit.graphql.schema import build_schema
from smecredit.plugins import PluginRegistry
from smecredit.security.principal import Principal

pytestmark = pytest.mark.anyio


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
  startSync(source: "synthetic", settings: $settings) { id status source }
}"""
POLL = """query($id: ID!) {
  syncRun(id: $id) {
    status done read accepted quarantined merged outliers missingRates
    quarantinedRecords(first: 5) { locator code field reason }
  }
}"""


async def test_start_sync_returns_at_once_and_progress_can_be_polled(db: Any) -> None:
    started = await _run(db, START, settings={"n_firms": 4, "dirt_rate": 0.1})
    run = started["startSync"]
    assert run["status"] == "running" and run["source"] == "synthetic"
    for _ in range(600):
        polled = (await _run(db, POLL, id=run["id"]))["syncRun"]
        if polled["status"] != "running":
            break
        await asyncio.sleep(0.05)
    assert polled["status"] == "succeeded"
    assert polled["read"] == polled["done"] == polled["accepted"] + polled["quarantined"]
    assert polled["quarantined"] > 0 and polled["quarantinedRecords"][0]["code"]
    assert "firm" in polled["missingRates"]

    listed = await _run(
        db, '{ syncRuns(source: "synthetic") { id } dataQuality { read runs { runId } } }'
    )
    assert listed["syncRuns"][0]["id"] == run["id"]
    assert listed["dataQuality"]["read"] == polled["read"]


async def test_start_sync_with_unknown_source_is_a_coded_error(db: Any) -> None:
    result = await _execute(db, 'mutation { startSync(source: "nope") { id } }')
    assert result.errors and result.errors[0].extensions["code"] == "UNKNOWN_SOURCE"


async def test_ingestion_needs_a_signed_in_user_with_a_role(db: Any) -> None:
    anonymous = await _execute(db, "{ syncRuns { id } }", user=None)
    assert anonymous.errors and anonymous.errors[0].extensions["code"] == "UNAUTHENTICATED"
    officer = Principal(user_id=2, username="o", roles=("loan_officer",), branch_code="HZ01")
    refused = await _execute(db, 'mutation { startSync(source: "synthetic") { id } }', user=officer)
    assert refused.errors and refused.errors[0].extensions["code"] == "FORBIDDEN"


async def test_grant_and_revoke_consent(db: Any) -> None:
    from smecredit.services.ingestion import run_sync

    firm = next(r for k, r in generate_portfolio(1, seed=2) if k == "firm")
    await run_sync(ListSource([("firm", firm)]))
    granted = await _run(
        db,
        'mutation($u: String!) { grantConsent(uscc: $u, scope: "bureau", evidenceRef: "doc-9") '
        "{ firmUscc scope revokedAt evidenceRef } }",
        u=firm["uscc"],
    )
    assert granted["grantConsent"] == {
        "firmUscc": firm["uscc"], "scope": "bureau", "revokedAt": None, "evidenceRef": "doc-9"
    }  # fmt: skip
    revoked = await _run(
        db, 'mutation($u: String!) { revokeConsent(uscc: $u, scope: "bureau") }', u=firm["uscc"]
    )
    assert revoked["revokeConsent"] == 1
