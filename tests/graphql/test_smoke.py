"""End-to-end smoke test of the GraphQL core over HTTP."""

from __future__ import annotations

import pytest
from helpers import gql

from smecredit.services import demo_fixtures

pytestmark = pytest.mark.anyio


async def test_firms_page_over_http(client) -> None:
    await demo_fixtures.load_fixtures()
    body = await gql(
        client,
        "{ firms(first: 5) { totalCount edges { node { id uscc name"
        " loans(first: 2) { edges { node { loanRef firm { name } } } }"
        " latestScore { grade } } } } }",
    )
    assert "errors" not in body, body
    assert body["data"]["firms"]["totalCount"] == 12
    assert len(body["data"]["firms"]["edges"]) == 5


async def test_healthz(client) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200 and r.json()["database"] is True
