"""Test helpers importable from any test module (``from helpers import gql``)."""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["gql"]


async def gql(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, **headers: str
) -> dict[str, Any]:
    """POST a GraphQL operation and return the decoded JSON body."""
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code in (200, 400), response.text
    body: dict[str, Any] = response.json()
    return body
