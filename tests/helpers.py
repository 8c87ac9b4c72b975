"""Test helpers importable from any test module (``from helpers import gql``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from smecredit.security.principal import Principal

__all__ = ["StatementCounter", "count_statements", "gql", "principal"]


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


class StatementCounter(logging.Handler):
    """Counts the SQL statements Tortoise's clients log (one record per statement)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # Statement records are "%s: %s" (sql, values); connection set-up logs differ.
        if record.msg == "%s: %s" and record.args:
            self.statements.append(str(record.args[0]))  # type: ignore[index]


@contextmanager
def count_statements() -> Iterator[StatementCounter]:
    logger = logging.getLogger("tortoise.db_client")
    counter = StatementCounter()
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(old_level)
