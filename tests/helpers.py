"""Test helpers importable from any test module (``from helpers import gql``)."""

from __future__ import annotations

from typing import Any

import httpx

from smecredit.security.principal import Principal

__all__ = ["gql", "principal"]


def principal(username: str, *roles: str, branch: str = "HQ", user_id: int = 1) -> Principal:
    """A principal for calling services directly (head office unless ``branch`` says)."""
    return Principal(user_id=user_id, username=username, roles=roles, branch_code=branch)


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
