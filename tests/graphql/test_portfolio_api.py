"""The portfolio query over HTTP: figures reconcile with plain SQL on the seeded rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from helpers import gql
from portfolio_seed import BRANCHES, Portfolio, seed_portfolio
from tortoise import connections

from smecredit import models

pytestmark = pytest.mark.anyio

QUERY = """
query($asOf: Date, $months: Int) {
  portfolio(asOf: $asOf, months: $months) {
    asOf live balance count nplBalance nplRatio
    classes { classification count balance }
    dpdBuckets { bucket minDays maxDays count balance }
    warningsByLevel { severity count }
    trend { monthEnd balance count nplRatio }
  }
}
"""
ON_BOOK = "('disbursed', 'active', 'overdue')"
OPEN = "('open', 'acknowledged', 'in_progress')"


async def rows(sql: str) -> list[dict[str, Any]]:
    return list(await connections.get("default").execute_query_dict(sql))


def cents(value: Any) -> Decimal:
    """A SQL sum as money (SQLite sums decimals as floats)."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


def where_branch(branch: str | None, column: str = "branch_code") -> str:
    return "" if branch is None else f" AND {column} = '{branch}'"


async def expected(branch: str | None) -> dict[str, Any]:
    """The live figures, by plain SQL."""
    book = await rows(
        "SELECT COUNT(*) AS n, COALESCE(SUM(outstanding_principal), 0) AS bal FROM loan "
        f"WHERE status IN {ON_BOOK}{where_branch(branch)}"
    )
    npl = await rows(
        "SELECT COALESCE(SUM(outstanding_principal), 0) AS bal FROM loan "
        f"WHERE status IN {ON_BOOK} AND classification IN ('substandard', 'doubtful', 'loss')"
        f"{where_branch(branch)}"
    )
    classes = await rows(
        "SELECT classification AS c, COUNT(*) AS n, SUM(outstanding_principal) AS bal FROM loan "
        f"WHERE status IN {ON_BOOK}{where_branch(branch)} GROUP BY classification"
    )
    buckets = await rows(
        "SELECT CASE WHEN days_past_due <= 0 THEN 'CURRENT' WHEN days_past_due <= 30 THEN "
        "'DAYS_1_30' WHEN days_past_due <= 60 THEN 'DAYS_31_60' WHEN days_past_due <= 90 "
        "THEN 'DAYS_61_90' ELSE 'OVER_90' END AS b, COUNT(*) AS n FROM loan "
        f"WHERE status IN {ON_BOOK}{where_branch(branch)} GROUP BY 1"
    )
    warnings = await rows(
        "SELECT w.severity AS s, COUNT(*) AS n FROM warning w JOIN firm f ON f.id = w.firm_id "
        f"WHERE w.status IN {OPEN}{where_branch(branch, 'f.branch_code')} GROUP BY w.severity"
    )
    return {
        "count": book[0]["n"],
        "balance": cents(book[0]["bal"]),
        "npl": cents(npl[0]["bal"]),
        "classes": {r["c"].upper(): (r["n"], cents(r["bal"])) for r in classes},
        "buckets": {r["b"]: r["n"] for r in buckets},
        "warnings": {r["s"].upper(): r["n"] for r in warnings},
    }


def check(answer: dict[str, Any], want: dict[str, Any]) -> None:
    assert answer["live"] is True
    assert answer["count"] == want["count"]
    assert Decimal(answer["balance"]) == want["balance"]
    assert Decimal(answer["nplBalance"]) == want["npl"]
    ratio = (want["npl"] / want["balance"]) if want["balance"] else Decimal(0)
    assert abs(Decimal(answer["nplRatio"]) - ratio) < Decimal("0.000001")
    assert [c["classification"] for c in answer["classes"]] == [
        "NORMAL",
        "SPECIAL_MENTION",
        "SUBSTANDARD",
        "DOUBTFUL",
        "LOSS",
    ]
    for c in answer["classes"]:
        n, bal = want["classes"].get(c["classification"], (0, Decimal(0)))
        assert (c["count"], Decimal(c["balance"])) == (n, bal)
    assert {b["bucket"]: b["count"] for b in answer["dpdBuckets"]} == {
        k: want["buckets"].get(k, 0)
        for k in ("CURRENT", "DAYS_1_30", "DAYS_31_60", "DAYS_61_90", "OVER_90")
    }
    assert {w["severity"]: w["count"] for w in answer["warningsByLevel"]} == {
        k: want["warnings"].get(k, 0) for k in ("RED", "ORANGE", "YELLOW", "BLUE")
    }


@pytest.fixture
async def book(db: Any) -> Portfolio:
    return await seed_portfolio(firms=16, loans=50, warnings=40, seed=11)


async def test_portfolio_reconciles_for_head_office(client: Any, book: Portfolio) -> None:
    body = await gql(client, QUERY)
    assert "errors" not in body, body
    answer = body["data"]["portfolio"]
    check(answer, await expected(None))
    assert answer["count"] > 0
    assert len(answer["trend"]) == 12
    # money is a decimal string, never a float
    assert isinstance(answer["balance"], str)


async def test_a_branch_caller_sees_its_branch_book(client_for: Any, book: Portfolio) -> None:
    branch = BRANCHES[0]
    officer = await client_for("loan_officer", branch)
    body = await gql(officer, QUERY)
    assert "errors" not in body, body
    check(body["data"]["portfolio"], await expected(branch))
    risk = await client_for("risk_analyst", branch)
    body = await gql(risk, QUERY)
    check(body["data"]["portfolio"], await expected(None))


async def test_partner_reads_none_of_it(client_for: Any, book: Portfolio) -> None:
    partner = await client_for("partner", BRANCHES[0])
    body = await gql(partner, "{ portfolio { balance count } }")
    assert body.get("errors"), body
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
    # and the client knows it beforehand (the dashboard leaves the book out)
    for caller, kind in ((partner, "DENIED"), (await client_for("viewer", BRANCHES[0]), "VISIBLE")):
        perms = await gql(
            caller, "{ myPermissions { types { typeName fields { field access } } } }"
        )
        types = {t["typeName"]: t["fields"] for t in perms["data"]["myPermissions"]["types"]}
        assert {f["field"]: f["access"] for f in types["Portfolio"]}["balance"] == kind


async def test_trend_and_a_past_day_follow_the_history(client: Any, db: Any) -> None:
    firm = await models.Firm.create(
        uscc="911100000000000017", name="Trend Co", industry_code="C13", region_code="110101",
        branch_code="B01",
    )  # fmt: skip

    async def make(ref: str, amount: str, cls: str, dpd: int, on: dt.date) -> models.Loan:
        return await models.Loan.create(
            loan_ref=ref, firm=firm, product="operating", principal=Decimal(amount),
            annual_rate=Decimal("0.05"), term_months=12, repayment_method="equal_instalment",
            guarantee_type="credit", status="active", classification=cls, days_past_due=dpd,
            outstanding_principal=Decimal(amount), branch_code="B01", disbursed_on=on,
        )  # fmt: skip

    a = await make("T1", "300.00", "substandard", 45, dt.date(2024, 1, 15))
    b = await make("T2", "100.00", "normal", 0, dt.date(2024, 2, 10))
    for loan, on, cls, dpd in (
        (a, dt.date(2024, 1, 15), "normal", 0),
        (b, dt.date(2024, 2, 10), "normal", 0),
        (a, dt.date(2024, 3, 12), "substandard", 45),
    ):
        await models.ClassificationHistory.create(
            loan=loan, as_of=on, dpd=dpd, loan_class=cls, stage=1, actor="cob"
        )
    body = await gql(client, QUERY, {"asOf": "2024-03-31", "months": 4})
    assert "errors" not in body, body
    p = body["data"]["portfolio"]
    assert (p["asOf"], p["live"], p["count"]) == ("2024-03-31", False, 2)
    assert Decimal(p["nplRatio"]) == Decimal("0.75")
    assert [(t["monthEnd"], t["count"], Decimal(t["balance"])) for t in p["trend"]] == [
        ("2023-12-31", 0, Decimal(0)),
        ("2024-01-31", 1, Decimal(300)),
        ("2024-02-29", 2, Decimal(400)),
        ("2024-03-31", 2, Decimal(400)),
    ]
    assert [Decimal(t["nplRatio"]) for t in p["trend"]] == [0, 0, 0, Decimal("0.75")]
    # February, rebuilt: loan a was still normal
    feb = (await gql(client, QUERY, {"asOf": "2024-02-29", "months": 1}))["data"]["portfolio"]
    assert (feb["count"], Decimal(feb["nplRatio"])) == (2, 0)
    assert next(d for d in feb["dpdBuckets"] if d["bucket"] == "CURRENT")["count"] == 2


async def test_arguments_are_bounded(client: Any, db: Any) -> None:
    body = await gql(client, "{ portfolio(months: 0) { count } }")
    assert body["errors"][0]["extensions"]["code"] in {"INVALID_INPUT", "INVALID_ARGUMENT"}
    body = await gql(client, '{ portfolio(asOf: "1900-01-01") { count } }')
    assert body["errors"], body


async def test_anonymous_callers_get_no_book(anon_client: Any, book: Portfolio) -> None:
    body = await gql(anon_client, "{ portfolio { balance count } }")
    assert body.get("errors"), body
    assert not (body.get("data") or {}).get("portfolio")
