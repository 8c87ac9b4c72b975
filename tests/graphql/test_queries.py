"""The read side of the GraphQL core: lists, filters, sorts, lookups, nested fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from helpers import gql
from portfolio_seed import Portfolio, seed_portfolio
from strawberry.relay.utils import from_base64, to_base64

from smecredit import models

pytestmark = pytest.mark.anyio


def gid(type_name: str, db_id: int) -> str:
    return to_base64(type_name, db_id)


def dbid(global_id: str) -> int:
    return int(from_base64(global_id)[1])


def newest_score(p: Portfolio, firm_id: int) -> models.Score | None:
    rows = [s for s in p.scores if s.firm_id == firm_id]  # type: ignore[attr-defined]
    return max(rows, key=lambda s: (s.computed_at, s.id), default=None)


def open_count(p: Portfolio, firm_id: int) -> int:
    open_statuses = ("open", "acknowledged", "in_progress")
    return sum(
        1
        for w in p.warnings
        if w.firm_id == firm_id and w.status in open_statuses  # type: ignore[attr-defined]
    )


async def walk(client: Any, field: str, args: str, selection: str, page: int = 7) -> list[Any]:
    """Every node of a connection, following endCursor page by page."""
    nodes: list[Any] = []
    after: str | None = None
    while True:
        query = (
            f"query($after: String) {{ {field}(first: {page}, after: $after{args}) "
            f"{{ edges {{ node {{ {selection} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
        )
        body = await gql(client, query, {"after": after})
        assert "errors" not in body, body
        conn = body["data"][field]
        nodes += [e["node"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            return nodes
        after = conn["pageInfo"]["endCursor"]


@pytest.fixture
async def portfolio(db: Any) -> Portfolio:
    return await seed_portfolio(firms=24, loans=60, warnings=40)


async def test_firm_filters_match_python(client: Any, portfolio: Portfolio) -> None:
    firm = portfolio.firms[3]
    cases: list[tuple[str, Any]] = [
        (f'industryCode: "{firm.industry_code}"', lambda f: f.industry_code == firm.industry_code),
        (f'regionCode: "{firm.region_code}"', lambda f: f.region_code == firm.region_code),
        (f'branchCode: "{firm.branch_code}"', lambda f: f.branch_code == firm.branch_code),
        ("status: ABNORMAL", lambda f: f.status == "abnormal"),
        # Case-insensitive substring of the name.
        (f'nameContains: "{firm.name[-4:].lower()}"', lambda f: firm.name[-4:] in f.name),
    ]
    for grade in ("A", "B", "C", "D"):
        cases.append(
            (
                f'grade: "{grade}"',
                lambda f, g=grade: (
                    (s := newest_score(portfolio, f.id)) is not None and s.grade == g
                ),
            )
        )
    for condition, predicate in cases:
        got = await walk(client, "firms", f", filter: {{{condition}}}", "id uscc")
        expected = [f.id for f in sorted(portfolio.firms, key=lambda f: f.id) if predicate(f)]
        assert [dbid(n["id"]) for n in got] == expected, condition
    # Several grades are someone's newest, so the grade filter was really exercised.
    newest = [newest_score(portfolio, f.id) for f in portfolio.firms]
    assert len({s.grade for s in newest if s is not None}) >= 2


async def test_firm_sorts(client: Any, portfolio: Portfolio) -> None:
    by_name = await walk(client, "firms", ", sort: NAME_DESC", "id name")
    assert [dbid(n["id"]) for n in by_name] == [
        f.id for f in sorted(portfolio.firms, key=lambda f: (f.name, f.id), reverse=True)
    ]
    by_uscc = await walk(client, "firms", ", sort: USCC_ASC", "uscc")
    assert [n["uscc"] for n in by_uscc] == sorted(f.uscc for f in portfolio.firms)


async def test_firm_nested_fields(client: Any, portfolio: Portfolio) -> None:
    nodes = await walk(
        client,
        "firms",
        "",
        "id representative { name idNumber } latestScore { grade computedAt } "
        "financials { periodEnd debtToAssetRatio } openWarningCount "
        "loans(first: 100) { totalCount edges { node { id firm { id } } } } "
        "warnings(first: 100) { edges { node { id firm { id } } } } "
        "scores(first: 100) { totalCount edges { node { grade } } }",
        page=10,
    )
    assert len(nodes) == len(portfolio.firms)
    by_id = {f.id: f for f in portfolio.firms}
    persons = {p.id: p for p in portfolio.persons}
    for node in nodes:
        firm = by_id[dbid(node["id"])]
        rep_id = firm.representative_id  # type: ignore[attr-defined]
        if rep_id is None:
            assert node["representative"] is None
        else:
            assert node["representative"]["idNumber"] == persons[rep_id].id_number
        newest = newest_score(portfolio, firm.id)
        assert (node["latestScore"] or {}).get("grade") == (newest.grade if newest else None)
        statements = [s for s in portfolio.financials if s.firm_id == firm.id]  # type: ignore[attr-defined]
        assert [s["periodEnd"] for s in node["financials"]] == sorted(
            (s.period_end.isoformat() for s in statements), reverse=True
        )
        assert node["openWarningCount"] == open_count(portfolio, firm.id)
        loans = sorted(x.id for x in portfolio.loans if x.firm_id == firm.id)  # type: ignore[attr-defined]
        assert [dbid(e["node"]["id"]) for e in node["loans"]["edges"]] == loans
        assert node["loans"]["totalCount"] == len(loans)
        assert all(dbid(e["node"]["firm"]["id"]) == firm.id for e in node["loans"]["edges"])
        warnings = [w for w in portfolio.warnings if w.firm_id == firm.id]  # type: ignore[attr-defined]
        assert {dbid(e["node"]["id"]) for e in node["warnings"]["edges"]} == {
            w.id for w in warnings
        }
        history = [s for s in portfolio.scores if s.firm_id == firm.id]  # type: ignore[attr-defined]
        assert node["scores"]["totalCount"] == len(history)
        if history:
            assert node["scores"]["edges"][0]["node"]["grade"] == newest.grade  # type: ignore[union-attr]


async def test_loan_filters_and_sorts(client: Any, portfolio: Portfolio) -> None:
    loans = portfolio.loans
    cases: list[tuple[str, Any]] = [
        ("status: OVERDUE", lambda x: x.status == "overdue"),
        ("classification: SUBSTANDARD", lambda x: x.classification == "substandard"),
        ("minDaysPastDue: 1", lambda x: x.days_past_due >= 1),
        ("minDaysPastDue: 30, maxDaysPastDue: 300", lambda x: 30 <= x.days_past_due <= 300),
        ('branchCode: "B02"', lambda x: x.branch_code == "B02"),
        ('officer: "wang"', lambda x: x.officer == "wang"),
        ('product: "equipment"', lambda x: x.product == "equipment"),
    ]
    for condition, predicate in cases:
        got = await walk(client, "loans", f", filter: {{{condition}}}", "id")
        assert [dbid(n["id"]) for n in got] == [x.id for x in loans if predicate(x)], condition
    assert any(x.classification == "substandard" for x in loans)
    sorts = {
        "DPD_DESC": lambda x: (x.days_past_due, x.id),
        "OUTSTANDING_DESC": lambda x: (x.outstanding_principal, x.id),
        "PRINCIPAL_DESC": lambda x: (x.principal, x.id),
    }
    for sort, key in sorts.items():
        got = await walk(client, "loans", f", sort: {sort}", "id principal")
        assert [dbid(n["id"]) for n in got] == [x.id for x in sorted(loans, key=key, reverse=True)]
    got = await walk(client, "loans", ", sort: LOAN_REF_ASC", "loanRef")
    assert [n["loanRef"] for n in got] == sorted(x.loan_ref for x in loans)


async def test_loan_page_with_nested_firm(client: Any, portfolio: Portfolio) -> None:
    body = await gql(
        client,
        "{ loans(first: 100) { totalCount edges { node { id principal classification "
        "classificationLabel openWarningCount firm { uscc latestScore { grade } } } } } }",
    )
    assert "errors" not in body, body
    assert body["data"]["loans"]["totalCount"] == len(portfolio.loans)
    firms = {f.id: f for f in portfolio.firms}
    for edge, loan in zip(body["data"]["loans"]["edges"], portfolio.loans, strict=True):
        node = edge["node"]
        assert dbid(node["id"]) == loan.id
        assert Decimal(node["principal"]) == loan.principal
        assert node["firm"]["uscc"] == firms[loan.firm_id].uscc  # type: ignore[attr-defined]
        assert node["openWarningCount"] == open_count(portfolio, loan.firm_id)  # type: ignore[attr-defined]
        newest = newest_score(portfolio, loan.firm_id)  # type: ignore[attr-defined]
        assert (node["firm"]["latestScore"] or {}).get("grade") == (
            newest.grade if newest else None
        )


async def test_warning_filters_and_sorts(client: Any, portfolio: Portfolio) -> None:
    warnings = portfolio.warnings
    since = sorted(w.opened_at for w in warnings)[len(warnings) // 2]
    cases: list[tuple[str, Any]] = [
        ("severity: RED", lambda w: w.severity == "red"),
        ("status: OPEN", lambda w: w.status == "open"),
        ('ruleCode: "TAX_ARREARS"', lambda w: w.rule_code == "TAX_ARREARS"),
        (f'since: "{since.isoformat()}"', lambda w: w.opened_at >= since),
    ]
    newest_first = sorted(warnings, key=lambda w: (w.opened_at, w.id), reverse=True)
    for condition, predicate in cases:
        got = await walk(client, "warnings", f", filter: {{{condition}}}", "id")
        assert [dbid(n["id"]) for n in got] == [w.id for w in newest_first if predicate(w)], (
            condition
        )
    oldest = await walk(client, "warnings", ", sort: OPENED_ASC", "id")
    assert [dbid(n["id"]) for n in oldest] == [w.id for w in reversed(newest_first)]
    linked = next(w for w in warnings if w.loan_id is not None)  # type: ignore[attr-defined]
    body = await gql(
        client,
        "query($id: ID!) { warning(id: $id) { firm { id } loan { id } } }",
        {"id": gid("Warning", linked.id)},
    )
    assert body["data"]["warning"] == {
        "firm": {"id": gid("Firm", linked.firm_id)},  # type: ignore[attr-defined]
        "loan": {"id": gid("Loan", linked.loan_id)},  # type: ignore[attr-defined]
    }


async def test_lookups_by_id_and_uscc(client: Any, portfolio: Portfolio) -> None:
    firm, loan, warning = portfolio.firms[5], portfolio.loans[7], portfolio.warnings[2]
    body = await gql(
        client,
        "query($f: ID!, $l: ID!, $w: ID!, $u: String!) {"
        " firm(id: $f) { uscc } loan(id: $l) { loanRef } warning(id: $w) { ruleCode }"
        " firmByUscc(uscc: $u) { id } }",
        {
            "f": gid("Firm", firm.id),
            "l": gid("Loan", loan.id),
            "w": gid("Warning", warning.id),
            "u": firm.uscc.lower(),
        },
    )
    assert body["data"] == {
        "firm": {"uscc": firm.uscc},
        "loan": {"loanRef": loan.loan_ref},
        "warning": {"ruleCode": warning.rule_code},
        "firmByUscc": {"id": gid("Firm", firm.id)},
    }
    missing = await gql(client, "query($u: String!) { firmByUscc(uscc: $u) { id } }", {"u": "X"})
    assert missing["data"]["firmByUscc"] is None


@pytest.mark.parametrize("field", ["firm", "loan", "warning"])
async def test_unknown_id_is_not_found(client: Any, portfolio: Portfolio, field: str) -> None:
    type_name = field.capitalize()
    body = await gql(
        client, f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}", {"id": gid(type_name, 99999)}
    )
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert type_name in body["errors"][0]["message"]


async def test_node_resolves_every_type(client: Any, portfolio: Portfolio) -> None:
    person = portfolio.persons[0]
    ids = {
        "Firm": portfolio.firms[0].id,
        "Loan": portfolio.loans[0].id,
        "Warning": portfolio.warnings[0].id,
        "Person": person.id,
    }
    for type_name, db_id in ids.items():
        body = await gql(
            client,
            "query($id: ID!) { node(id: $id) { __typename id "
            "... on Person { name } ... on Firm { uscc } } }",
            {"id": gid(type_name, db_id)},
        )
        assert "errors" not in body, body
        assert body["data"]["node"]["__typename"] == type_name
        assert body["data"]["node"]["id"] == gid(type_name, db_id)
    missing = await gql(
        client, "query($id: ID!) { node(id: $id) { id } }", {"id": gid("Loan", 99999)}
    )
    assert missing == {"data": {"node": None}}


@pytest.mark.parametrize(
    "bad_id",
    [to_base64("Nope", 1), to_base64("Firm", "abc"), to_base64("Edge", 1), "not-base64!"],
)
async def test_node_malformed_id_is_a_clear_error(
    client: Any, portfolio: Portfolio, bad_id: str
) -> None:
    body = await gql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": bad_id})
    error = body["errors"][0]
    assert error["message"] != "Unexpected error."
    assert error["extensions"]["code"] == "INVALID_ID"
    assert "id" in error["message"].lower()


async def test_page_cap_and_bad_cursor(client: Any, portfolio: Portfolio) -> None:
    for field in ("firms", "loans", "warnings"):
        body = await gql(client, f"{{ {field}(first: 101) {{ edges {{ cursor }} }} }}")
        assert body["errors"][0]["extensions"]["code"] == "PAGE_TOO_LARGE"
        assert "100" in body["errors"][0]["message"]
        ok = await gql(client, f"{{ {field}(first: 100) {{ edges {{ cursor }} }} }}")
        assert "errors" not in ok
    nested = await gql(
        client, "{ firms(first: 1) { edges { node { loans(first: 500) { totalCount } } } } }"
    )
    assert nested["errors"][0]["extensions"]["code"] == "PAGE_TOO_LARGE"
    negative = await gql(client, "{ loans(first: -1) { totalCount } }")
    assert negative["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    page = await gql(client, "{ loans(first: 2, sort: DPD_DESC) { pageInfo { endCursor } } }")
    dpd_cursor = page["data"]["loans"]["pageInfo"]["endCursor"]
    import base64
    import json

    def forge(payload: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()

    bad_cursors = [
        ("garbage!!", "loans", ""),
        (dpd_cursor, "loans", ", sort: PRINCIPAL_DESC"),  # another ordering's cursor
        (forge(["dpd_desc", "ten", 3]), "loans", ", sort: DPD_DESC"),  # key of the wrong type
        (forge(["principal_desc", {"n": "NaN"}, 3]), "loans", ", sort: PRINCIPAL_DESC"),
        (forge(["opened_desc", {"dt": "yesterday"}, 3]), "warnings", ""),
        (forge(["name_asc", None, 3]), "firms", ", sort: NAME_ASC"),
        (forge(["id_asc", None, "x"]), "firms", ""),
    ]
    for cursor, field, args in bad_cursors:
        body = await gql(
            client,
            f"query($c: String) {{ {field}(first: 2, after: $c{args}) {{ totalCount }} }}",
            {"c": cursor},
        )
        assert body["errors"][0]["extensions"]["code"] == "BAD_CURSOR", (cursor, body)
        assert "cursor" in body["errors"][0]["message"]


async def test_dpd_range_must_be_ordered(client: Any, portfolio: Portfolio) -> None:
    body = await gql(
        client, "{ loans(filter: {minDaysPastDue: 10, maxDaysPastDue: 5}) { totalCount } }"
    )
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert "minDaysPastDue" in body["errors"][0]["message"]
