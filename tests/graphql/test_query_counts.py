"""N+1 freedom: a page costs the same number of SQL statements for 10 rows and for 100."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import count_statements, gql
from portfolio_seed import seed_portfolio

pytestmark = pytest.mark.anyio

LOAN_PAGE = """
query($first: Int!) {
  loans(first: $first) {
    edges { node {
      id loanRef principal outstandingPrincipal classification daysPastDue
      openWarningCount
      firm { name uscc latestScore { grade points } }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

FIRM_PAGE = """
query($first: Int!) {
  firms(first: $first) {
    edges { node {
      id uscc name
      representative { name idNumber }
      latestScore { grade computedAt }
      financials { periodEnd revenue debtToAssetRatio }
      openWarningCount
    } }
  }
}
"""

FIRM_CONNECTIONS_PAGE = """
query($first: Int!) {
  firms(first: $first) {
    edges { node {
      id
      loans(first: 3, sort: DPD_DESC) {
        totalCount pageInfo { hasNextPage } edges { node { loanRef firm { name } } }
      }
      activeLoans: loans(first: 2, filter: {status: ACTIVE}) { edges { node { loanRef } } }
      warnings(first: 2) { totalCount edges { node { severity loan { loanRef } } } }
      scores(first: 2) { totalCount edges { node { grade points } } }
    } }
  }
}
"""

WARNING_PAGE = """
query($first: Int!) {
  warnings(first: $first) {
    edges { node { id severity firm { name latestScore { grade } } loan { loanRef } } }
  }
}
"""


async def statements_for(client: Any, query: str, first: int, field: str) -> list[str]:
    await gql(client, query, {"first": first})  # warm-up: session lookups, caches
    with count_statements() as counter:
        body = await gql(client, query, {"first": first})
    assert "errors" not in body, body
    assert len(body["data"][field]["edges"]) == first
    return counter.statements


@pytest.fixture
async def big_portfolio(db: Any) -> Any:
    return await seed_portfolio(firms=110, loans=130, warnings=160, seed=11)


@pytest.mark.parametrize(
    ("query", "field"), [(LOAN_PAGE, "loans"), (FIRM_PAGE, "firms"), (WARNING_PAGE, "warnings")]
)
async def test_page_costs_constant_statements(
    client: Any, big_portfolio: Any, query: str, field: str
) -> None:
    small = await statements_for(client, query, 10, field)
    large = await statements_for(client, query, 100, field)
    assert len(small) == len(large), (small, large)
    # One page SELECT plus one per loader (firm, latest score, warnings count,
    # person, financials, loan), whatever else the security layer adds per request.
    data_statements = [
        s
        for s in large
        if any(
            f'FROM "{t}"' in s
            for t in ("loan", "firm", "score", "warning", "person", "financial_statement")
        )
    ]
    print(f"{field}: {len(small)} statements for 10 rows, {len(large)} for 100", end=", ")
    print(f"{len(data_statements)} of them on the data tables")
    assert len(data_statements) <= 5, data_statements


async def test_firm_connections_cost_constant_statements(client: Any, big_portfolio: Any) -> None:
    """A firm's loans, warnings and scores in a page of firms: batched across the firms."""
    small = await statements_for(client, FIRM_CONNECTIONS_PAGE, 10, "firms")
    large = await statements_for(client, FIRM_CONNECTIONS_PAGE, 100, "firms")
    assert len(small) == len(large), (small, large)
    data_statements = [
        s for s in large if any(f'FROM "{t}"' in s for t in ("loan", "firm", "score", "warning"))
    ]
    # The firm page; per nested connection (two of loans: their filters differ) one page
    # query and, for totalCount, one COUNT; one each for the firm and loan loaders.
    assert len(data_statements) == 1 + 4 + 3 + 2, data_statements


async def test_counter_sees_every_statement(client: Any, big_portfolio: Any) -> None:
    """The counter itself works: a field without a loader is one SELECT per row."""
    query = (
        "query($first: Int!) { loans(first: $first) { edges { node { schedule { number } } } } }"
    )
    small = await statements_for(client, query, 10, "loans")
    large = await statements_for(client, query, 100, "loans")
    assert len(large) - len(small) == 90  # the schedule SELECT of each extra loan
