"""A firm's loans, warnings and scores inside a page of firms: batched, same answers.

The connections nested in a list are fetched for every firm of the page at once; these
tests check that each firm still gets its own page, in its own order, after its own
cursor, limited to the rows the caller may see.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from helpers import gql
from portfolio_seed import Portfolio, seed_portfolio
from strawberry.relay.utils import from_base64, to_base64

from smecredit import models

pytestmark = pytest.mark.anyio


def dbid(global_id: str) -> int:
    return int(from_base64(global_id)[1])


@pytest.fixture
async def portfolio(db: Any) -> Portfolio:
    # Few firms, many rows: most firms have more loans and warnings than one page.
    return await seed_portfolio(firms=12, loans=90, warnings=120, max_scores=6, seed=5)


def expected_loans(
    p: Portfolio, firm_id: int, branch: str | None, status: str | None
) -> list[models.Loan]:
    rows = [
        x
        for x in p.loans
        if x.firm_id == firm_id  # type: ignore[attr-defined]
        and (branch is None or x.branch_code == branch)
        and (status is None or x.status == status)
    ]
    # OUTSTANDING_DESC: the amount as a number (not as text), then the id, both descending.
    return sorted(rows, key=lambda x: (x.outstanding_principal, x.id), reverse=True)


def expected_warnings(p: Portfolio, firm_id: int, severity: str | None) -> list[models.Warning]:
    rows = [
        w
        for w in p.warnings
        if w.firm_id == firm_id  # type: ignore[attr-defined]
        and (severity is None or w.severity == severity)
    ]
    return sorted(rows, key=lambda w: (w.opened_at, w.id))  # OPENED_ASC


def expected_scores(p: Portfolio, firm_id: int) -> list[models.Score]:
    rows = [s for s in p.scores if s.firm_id == firm_id]  # type: ignore[attr-defined]
    return sorted(rows, key=lambda s: (s.computed_at, s.id), reverse=True)


PAGE = """
query {
  firms(first: 100) { edges { node {
    id branchCode
    activeLoans: loans(first: 2, sort: OUTSTANDING_DESC, filter: {status: ACTIVE}) {
      totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
      edges { cursor node { id outstandingPrincipal } }
    }
    allLoans: loans(first: 3, sort: OUTSTANDING_DESC) {
      totalCount pageInfo { hasNextPage } edges { node { id } }
    }
    redWarnings: warnings(first: 2, sort: OPENED_ASC, filter: {severity: RED}) {
      totalCount pageInfo { hasNextPage } edges { node { id } }
    }
    warnings(first: 3, sort: OPENED_ASC) {
      totalCount pageInfo { hasNextPage } edges { node { id } }
    }
    scores(first: 2) { totalCount pageInfo { hasNextPage } edges { node { points computedAt } } }
  } } }
}
"""


def check_page(conn: dict[str, Any], expected: list[Any], size: int) -> None:
    assert [dbid(e["node"]["id"]) for e in conn["edges"]] == [r.id for r in expected[:size]]
    assert conn["pageInfo"]["hasNextPage"] == (len(expected) > size)
    assert conn["totalCount"] == len(expected)


async def check_firm_page(client: Any, p: Portfolio, branch: str | None) -> int:
    body = await gql(client, PAGE)
    assert "errors" not in body, body
    nodes = [e["node"] for e in body["data"]["firms"]["edges"]]
    visible = [f for f in p.firms if branch is None or f.branch_code == branch]
    assert sorted(dbid(n["id"]) for n in nodes) == sorted(f.id for f in visible)
    for node in nodes:
        firm_id = dbid(node["id"])
        check_page(node["activeLoans"], expected_loans(p, firm_id, branch, "active"), 2)
        assert node["activeLoans"]["pageInfo"]["hasPreviousPage"] is False
        check_page(node["allLoans"], expected_loans(p, firm_id, branch, None), 3)
        check_page(node["redWarnings"], expected_warnings(p, firm_id, "red"), 2)
        check_page(node["warnings"], expected_warnings(p, firm_id, None), 3)
        scores = expected_scores(p, firm_id)
        conn = node["scores"]
        assert [(e["node"]["points"]) for e in conn["edges"]] == [s.points for s in scores[:2]]
        assert conn["pageInfo"]["hasNextPage"] == (len(scores) > 2)
        assert conn["totalCount"] == len(scores)
    return len(nodes)


async def test_each_firm_gets_its_own_pages(client: Any, portfolio: Portfolio) -> None:
    assert await check_firm_page(client, portfolio, None) == len(portfolio.firms)
    # The seed gives most firms more than a page of each, so hasNextPage is exercised.
    assert sum(len(expected_loans(portfolio, f.id, None, None)) > 3 for f in portfolio.firms) > 3


async def test_row_scope_applies_inside_the_batch(
    client_for: Callable[..., Any], portfolio: Portfolio
) -> None:
    # Loans carry their own branch: a branch user sees only the firm's loans of that branch.
    branch = "B01"
    officer = await client_for("loan_officer", branch)
    assert await check_firm_page(officer, portfolio, branch) > 0
    hidden = [
        x
        for x in portfolio.loans
        if x.branch_code != branch
        and any(f.id == x.firm_id and f.branch_code == branch for f in portfolio.firms)  # type: ignore[attr-defined]
    ]
    assert hidden, "the seed must put some loans of B01 firms in other branches"


async def walk_firm_loans(client: Any, firm_id: int, size: int) -> list[int]:
    """Every active loan of one firm, following its own cursors."""
    query = """query($id: ID!, $after: String, $first: Int!) { firm(id: $id) {
      loans(first: $first, after: $after, sort: OUTSTANDING_DESC, filter: {status: ACTIVE}) {
        pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { id } } } } }"""
    ids: list[int] = []
    after: str | None = None
    for _ in range(100):  # a cursor that does not advance must fail, not loop forever
        body = await gql(
            client, query, {"id": to_base64("Firm", firm_id), "after": after, "first": size}
        )
        assert "errors" not in body, body
        conn = body["data"]["firm"]["loans"]
        assert conn["pageInfo"]["hasPreviousPage"] == (after is not None)
        ids += [dbid(e["node"]["id"]) for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            return ids
        after = conn["pageInfo"]["endCursor"]
    raise AssertionError(f"the pages of firm {firm_id} never end: {ids[:20]}")


async def test_cursors_continue_each_firm(client: Any, portfolio: Portfolio) -> None:
    for firm in portfolio.firms:
        expected = [x.id for x in expected_loans(portfolio, firm.id, None, "active")]
        assert await walk_firm_loans(client, firm.id, 2) == expected


async def test_a_cursor_continues_every_firm_of_a_page(client: Any, portfolio: Portfolio) -> None:
    # One cursor for the whole page: each firm continues after the same (amount, id) position.
    first = await gql(
        client,
        "{ firms(first: 100) { edges { node { id loans(first: 1, sort: OUTSTANDING_DESC) "
        "{ pageInfo { endCursor } edges { node { id } } } } } } }",
    )
    loans = {x.id: x for x in portfolio.loans}
    tops = [
        (loans[dbid(n["loans"]["edges"][0]["node"]["id"])], n["loans"]["pageInfo"]["endCursor"])
        for n in (e["node"] for e in first["data"]["firms"]["edges"])
        if n["loans"]["edges"]
    ]
    # The middle one: some firms have loans on both sides of it.
    tops.sort(key=lambda t: (t[0].outstanding_principal, t[0].id))
    top, cursor = tops[len(tops) // 2]
    body = await gql(
        client,
        "query($after: String) { firms(first: 100) { edges { node { id "
        "loans(first: 2, after: $after, sort: OUTSTANDING_DESC) { edges { node { id } } } } } } }",
        {"after": cursor},
    )
    assert "errors" not in body, body
    for node in (e["node"] for e in body["data"]["firms"]["edges"]):
        rest = [
            x.id
            for x in expected_loans(portfolio, dbid(node["id"]), None, None)
            if (x.outstanding_principal, x.id) < (top.outstanding_principal, top.id)
        ]
        assert [dbid(e["node"]["id"]) for e in node["loans"]["edges"]] == rest[:2]


async def test_bad_arguments_fail_the_field_alone(client: Any, portfolio: Portfolio) -> None:
    body = await gql(
        client,
        "{ firms(first: 3) { edges { node { id loans(first: 500) { totalCount } "
        "scores(first: 1) { totalCount } } } } }",
    )
    assert {e["extensions"]["code"] for e in body["errors"]} == {"PAGE_TOO_LARGE"}
    assert {e["path"][-1] for e in body["errors"]} == {"loans"}
    bad = await gql(
        client,
        "{ firms(first: 2) { edges { node { "
        'warnings(first: 1, after: "nope") { totalCount } } } } }',
    )
    assert {e["extensions"]["code"] for e in bad["errors"]} == {"BAD_CURSOR"}
    assert {e["path"][-1] for e in bad["errors"]} == {"warnings"}
