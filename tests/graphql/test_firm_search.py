"""The firm list's search (name or USCC prefix) and open-warning level filters, over HTTP.

Real requests against the ASGI app, on SQLite and (when its URL is set) PostgreSQL: the
answers are compared with the same conditions computed in Python over the seeded rows.
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import gql
from portfolio_seed import Portfolio, seed_portfolio
from strawberry.relay.utils import from_base64

from smecredit import models

pytestmark = pytest.mark.anyio

OPEN_STATUSES = ("open", "acknowledged", "in_progress")


def dbid(global_id: str) -> int:
    return int(from_base64(global_id)[1])


@pytest.fixture
async def portfolio(db: Any) -> Portfolio:
    return await seed_portfolio(firms=24, loans=30, warnings=60, seed=14)


async def firm_ids(client: Any, condition: dict[str, Any], page: int = 7) -> list[int]:
    """Every firm the filter answers, page by page (keyset cursors)."""
    ids: list[int] = []
    after: str | None = None
    query = (
        "query($f: FirmFilter, $after: String, $first: Int) "
        "{ firms(first: $first, after: $after, filter: $f) "
        "{ edges { node { id } } pageInfo { hasNextPage endCursor } } }"
    )
    while True:
        body = await gql(client, query, {"f": condition, "after": after, "first": page})
        assert "errors" not in body, body
        conn = body["data"]["firms"]
        ids += [dbid(e["node"]["id"]) for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            return ids
        after = conn["pageInfo"]["endCursor"]


def expected(p: Portfolio, predicate: Any) -> list[int]:
    return [f.id for f in sorted(p.firms, key=lambda f: f.id) if predicate(f)]


async def test_search_matches_part_of_the_name_in_any_case(
    client: Any, portfolio: Portfolio
) -> None:
    firm = portfolio.firms[5]
    part = firm.name[2:6]
    got = await firm_ids(client, {"search": part.lower()})
    assert firm.id in got
    assert got == expected(
        portfolio,
        lambda f: part.lower() in f.name.lower() or f.uscc.startswith(part.upper()),
    )


async def test_search_matches_a_uscc_prefix_ignoring_blanks_and_case(
    client: Any, portfolio: Portfolio
) -> None:
    firm = portfolio.firms[7]
    prefix = firm.uscc[:12]
    typed = f"{prefix[:4]} {prefix[4:8]}-{prefix[8:]}".lower()
    got = await firm_ids(client, {"search": typed})
    assert got == expected(portfolio, lambda f: f.uscc.startswith(prefix))
    assert firm.id in got
    # The whole code finds exactly that firm.
    assert await firm_ids(client, {"search": firm.uscc}) == [firm.id]


async def test_search_combines_with_other_filters_and_blank_means_no_filter(
    client: Any, portfolio: Portfolio
) -> None:
    firm = portfolio.firms[2]
    got = await firm_ids(client, {"search": firm.uscc[:10], "branchCode": firm.branch_code})
    assert got == expected(
        portfolio,
        lambda f: f.uscc.startswith(firm.uscc[:10]) and f.branch_code == firm.branch_code,
    )
    assert await firm_ids(client, {"search": "   "}) == expected(portfolio, lambda f: True)
    assert await firm_ids(client, {"search": "no such firm anywhere"}) == []


async def test_search_longer_than_60_characters_is_refused_naming_it(client: Any) -> None:
    body = await gql(
        client,
        "query($f: FirmFilter) { firms(first: 5, filter: $f) { totalCount } }",
        {"f": {"search": "x" * 61}},
    )
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["extensions"]["field"] == "filter.search"
    ok = await gql(
        client,
        "query($f: FirmFilter) { firms(first: 5, filter: $f) { totalCount } }",
        {"f": {"search": "x" * 60}},
    )
    assert "errors" not in ok, ok


@pytest.mark.parametrize("level", ["RED", "ORANGE", "YELLOW", "BLUE"])
async def test_warning_level_keeps_firms_with_an_open_warning_of_that_level(
    client: Any, portfolio: Portfolio, level: str
) -> None:
    def warned(f: models.Firm) -> bool:
        return any(
            w.firm_id == f.id  # type: ignore[attr-defined]
            and w.severity == level.lower()
            and w.status in OPEN_STATUSES
            for w in portfolio.warnings
        )

    got = await firm_ids(client, {"warningLevel": level})
    assert got == expected(portfolio, warned)
    assert got, "the seed gives every level an open warning somewhere"
    # A closed warning alone does not count.
    closed_only = [
        f
        for f in portfolio.firms
        if not warned(f)
        and any(
            w.firm_id == f.id and w.severity == level.lower()  # type: ignore[attr-defined]
            for w in portfolio.warnings
        )
    ]
    assert not {f.id for f in closed_only} & set(got)


async def test_warning_level_and_search_together(client: Any, portfolio: Portfolio) -> None:
    red = await firm_ids(client, {"warningLevel": "RED"})
    firm = next(f for f in portfolio.firms if f.id in red)
    got = await firm_ids(client, {"warningLevel": "RED", "search": firm.name})
    assert firm.id in got
    assert set(got) <= set(red)


async def test_search_respects_the_branch_scope(client_for: Any, portfolio: Portfolio) -> None:
    firm = portfolio.firms[4]
    other = next(b for b in {f.branch_code for f in portfolio.firms} if b != firm.branch_code)
    officer = await client_for("loan_officer", other)
    got = await firm_ids(officer, {"search": firm.uscc})
    assert got == []
