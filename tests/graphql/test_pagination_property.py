"""Property: walking every page of a connection yields each matching row once, in order.

Hypothesis draws a data set (firms with score histories, loans, warnings, with
deliberate ties on sort keys), a filter, an ordering and a page size; the walk
through the GraphQL schema must equal the answer computed in Python. Each
example runs on a fresh in-memory SQLite database inside its own event loop
(``asyncio.run``), so the test is a plain synchronous hypothesis test. One fixed
example also runs on every engine of the ``db`` fixture (PostgreSQL included).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portfolio_seed import classify, make_uscc
from strawberry.relay.utils import from_base64
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE

from smecredit import models
from smecredit.db import tortoise_config
from smecredit.graphql.context import Context
from smecredit.graphql.schema import build_schema
from smecredit.security.principal import Principal
from smecredit.settings import Settings, load_settings

MEMORY = load_settings({"SMECREDIT_DATABASE_URL": "sqlite://:memory:", "SMECREDIT_ENV": "dev"})
SCHEMA = build_schema(MEMORY)
HEAD_OFFICE = Principal(user_id=1, username="auditor", roles=("admin",), branch_code="HQ")
T0 = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)

LOAN_SORTS = ("ID_ASC", "DPD_DESC", "OUTSTANDING_DESC", "PRINCIPAL_DESC", "LOAN_REF_ASC")
FIRM_SORTS = ("ID_ASC", "NAME_ASC", "NAME_DESC", "USCC_ASC")
WARNING_SORTS = ("OPENED_DESC", "OPENED_ASC")


@dataclass
class FirmSpec:
    name: str
    status: str
    branch: str
    scores: list[tuple[str, int]]  # (grade, day offset): ties on the day are deliberate


@dataclass
class LoanSpec:
    firm: int
    loan_ref: str
    dpd: int
    principal_fen: int
    outstanding_fen: int
    status: str
    branch: str
    officer: str | None
    product: str


@dataclass
class WarningSpec:
    firm: int
    severity: str
    status: str
    hour: int


@dataclass
class Case:
    firms: list[FirmSpec]
    loans: list[LoanSpec]
    warnings: list[WarningSpec]
    entity: str
    filter: dict[str, Any] = field(default_factory=dict)
    sort: str | None = None
    page: int = 3


# -- strategies ---------------------------------------------------------------------------

names = st.text(alphabet="ABCDXYZ019", min_size=1, max_size=5)
money = st.sampled_from([100, 99_999, 100_000, 1_000_000, 123_456_789]) | st.integers(1, 10**12)
firm_specs = st.builds(
    FirmSpec,
    name=names,
    status=st.sampled_from(["active", "abnormal"]),
    branch=st.sampled_from(["B01", "B02"]),
    scores=st.lists(st.tuples(st.sampled_from("ABC"), st.integers(0, 2)), max_size=4),
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A filter value or None (absent), about half and half."""
    return st.one_of(st.none(), strategy)


@st.composite
def cases(draw: st.DrawFn, entity: str) -> Case:
    firms = draw(st.lists(firm_specs, min_size=2, max_size=8))
    n = len(firms)
    refs = draw(st.lists(names, min_size=0 if entity != "loans" else 2, max_size=20, unique=True))
    loans = [
        LoanSpec(
            firm=draw(st.integers(0, n - 1)),
            loan_ref=ref,
            dpd=draw(st.sampled_from([0, 0, 30, 91]) | st.integers(0, 400)),
            principal_fen=(p := draw(money)),
            outstanding_fen=draw(st.integers(0, p)),
            status=draw(st.sampled_from(["active", "overdue"])),
            branch=draw(st.sampled_from(["B01", "B02"])),
            officer=draw(st.sampled_from(["wang", "li", None])),
            product=draw(st.sampled_from(["operating", "equipment"])),
        )
        for ref in refs
    ]
    warnings = draw(
        st.lists(
            st.builds(
                WarningSpec,
                firm=st.integers(0, n - 1),
                severity=st.sampled_from(["red", "yellow"]),
                status=st.sampled_from(["open", "resolved"]),
                hour=st.integers(0, 5),
            ),
            min_size=0 if entity != "warnings" else 2,
            max_size=15,
        )
    )
    if entity == "loans":
        options = {
            "status": st.sampled_from(["ACTIVE", "OVERDUE"]),
            "classification": st.sampled_from(["NORMAL", "SPECIAL_MENTION", "SUBSTANDARD"]),
            "minDaysPastDue": st.integers(0, 120),
            "maxDaysPastDue": st.integers(120, 400),
            "branchCode": st.sampled_from(["B01", "B02"]),
            "officer": st.sampled_from(["wang", "li"]),
            "product": st.sampled_from(["operating", "equipment"]),
        }
        sort = draw(st.sampled_from((None, *LOAN_SORTS)))
    elif entity == "firms":
        options = {
            "nameContains": st.text(alphabet="abcxyz01", min_size=1, max_size=2),
            "status": st.sampled_from(["ACTIVE", "ABNORMAL"]),
            "branchCode": st.sampled_from(["B01", "B02"]),
            "grade": st.sampled_from("ABC"),
        }
        sort = draw(st.sampled_from((None, *FIRM_SORTS)))
    else:
        options = {
            "severity": st.sampled_from(["RED", "YELLOW"]),
            "status": st.sampled_from(["OPEN", "RESOLVED"]),
            "since": st.integers(0, 5),
        }
        sort = draw(st.sampled_from((None, *WARNING_SORTS)))
    # Each condition independently present or absent, so combinations are explored.
    chosen = {
        key: value for key in sorted(options) if (value := draw(maybe(options[key]))) is not None
    }
    if entity == "loans" and draw(st.booleans()):
        chosen = {}  # many cases without any filter: long walks over ties
    return Case(firms, loans, warnings, entity, chosen, sort, draw(st.integers(1, 7)))


# -- seeding and expectations -------------------------------------------------------------


async def seed(case: Case) -> tuple[list[models.Firm], list[models.Loan], list[models.Warning]]:
    firms: list[models.Firm] = []
    newest: dict[int, str] = {}
    for i, spec in enumerate(case.firms):
        firm = await models.Firm.create(
            uscc=make_uscc(i + 1),
            name=spec.name,
            industry_code="C13",
            region_code="110101",
            branch_code=spec.branch,
            status=spec.status,
        )
        firms.append(firm)
        for grade, day in spec.scores:
            await models.Score.create(
                firm=firm,
                model_name="m",
                model_version="1",
                probability_of_default=0.1,
                points=500,
                grade=grade,
                computed_at=T0 + dt.timedelta(days=day),
            )
        if spec.scores:
            # The newest: greatest day, the later-inserted row among equals.
            best = max(range(len(spec.scores)), key=lambda k: (spec.scores[k][1], k))
            newest[firm.id] = spec.scores[best][0]
    firm_grade.clear()
    firm_grade.update(newest)
    loans = [
        await models.Loan.create(
            loan_ref=spec.loan_ref,
            firm=firms[spec.firm],
            product=spec.product,
            principal=Decimal(spec.principal_fen) / 100,
            annual_rate=Decimal("0.05"),
            term_months=12,
            repayment_method="interest_only",
            guarantee_type="credit",
            status=spec.status,
            classification=classify(spec.dpd),
            days_past_due=spec.dpd,
            outstanding_principal=Decimal(spec.outstanding_fen) / 100,
            branch_code=spec.branch,
            officer=spec.officer,
        )
        for spec in case.loans
    ]
    warnings = [
        await models.Warning.create(
            firm=firms[spec.firm],
            rule_code="R",
            severity=spec.severity,
            status=spec.status,
            message="m",
            opened_at=T0 + dt.timedelta(hours=spec.hour),
        )
        for spec in case.warnings
    ]
    return firms, loans, warnings


firm_grade: dict[int, str] = {}


def expected_ids(
    case: Case,
    firms: list[models.Firm],
    loans: list[models.Loan],
    warnings: list[models.Warning],
) -> list[int]:
    f = case.filter
    if case.entity == "loans":
        rows: list[Any] = [
            x
            for x in loans
            if f.get("status", x.status.upper()) == x.status.upper()
            and f.get("classification", x.classification.upper()) == x.classification.upper()
            and x.days_past_due >= f.get("minDaysPastDue", 0)
            and x.days_past_due <= f.get("maxDaysPastDue", 10**6)
            and f.get("branchCode", x.branch_code) == x.branch_code
            and f.get("officer", x.officer) == x.officer
            and f.get("product", x.product) == x.product
        ]
        keys = {
            "DPD_DESC": ("days_past_due", True),
            "OUTSTANDING_DESC": ("outstanding_principal", True),
            "PRINCIPAL_DESC": ("principal", True),
            "LOAN_REF_ASC": ("loan_ref", False),
        }
    elif case.entity == "firms":
        rows = [
            x
            for x in firms
            if f.get("nameContains", "").lower() in x.name.lower()
            and f.get("status", x.status.upper()) == x.status.upper()
            and f.get("branchCode", x.branch_code) == x.branch_code
            and ("grade" not in f or firm_grade.get(x.id) == f["grade"])
        ]
        keys = {
            "NAME_ASC": ("name", False),
            "NAME_DESC": ("name", True),
            "USCC_ASC": ("uscc", False),
        }
    else:
        since = T0 + dt.timedelta(hours=f.get("since", 0))
        rows = [
            x
            for x in warnings
            if f.get("severity", x.severity.upper()) == x.severity.upper()
            and f.get("status", x.status.upper()) == x.status.upper()
            and x.opened_at >= since
        ]
        keys = {"OPENED_DESC": ("opened_at", True), "OPENED_ASC": ("opened_at", False)}
        case_sort = case.sort or "OPENED_DESC"
        name, descending = keys[case_sort]
        rows.sort(key=lambda x: (getattr(x, name), x.id), reverse=descending)
        return [x.id for x in rows]
    if case.sort in keys:
        name, descending = keys[case.sort]
        rows.sort(key=lambda x: (getattr(x, name), x.id), reverse=descending)
    else:
        rows.sort(key=lambda x: x.id)
    return [x.id for x in rows]


def graphql_filter(case: Case) -> dict[str, Any]:
    out = dict(case.filter)
    if case.entity == "warnings" and "since" in out:
        out["since"] = (T0 + dt.timedelta(hours=out["since"])).isoformat()
    return out


async def walk(case: Case) -> tuple[list[int], int]:
    """Follow endCursor through every page; return the ids seen and totalCount."""
    enum_types = {"loans": "LoanSort", "firms": "FirmSort", "warnings": "WarningSort"}
    filter_types = {"loans": "LoanFilter", "firms": "FirmFilter", "warnings": "WarningFilter"}
    query = (
        f"query($first: Int!, $after: String, $filter: {filter_types[case.entity]}, "
        f"$sort: {enum_types[case.entity]}) {{ {case.entity}(first: $first, after: $after, "
        "filter: $filter, sort: $sort) { totalCount edges { node { id } } "
        "pageInfo { hasNextPage endCursor } } }"
    )
    seen: list[int] = []
    after: str | None = None
    total = -1
    for _ in range(60):  # 20 rows at 1 per page at most: more means a loop
        result = await SCHEMA.execute(
            query,
            variable_values={
                "first": case.page,
                "after": after,
                "filter": graphql_filter(case),
                "sort": case.sort,
            },
            context_value=Context(request=None, settings=MEMORY, user=HEAD_OFFICE),
        )
        assert result.errors is None, result.errors
        assert result.data is not None
        conn = result.data[case.entity]
        total = conn["totalCount"]
        assert len(conn["edges"]) <= case.page
        seen += [int(from_base64(e["node"]["id"])[1]) for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            return seen, total
        assert conn["edges"], "a page claiming a successor must not be empty"
        after = conn["pageInfo"]["endCursor"]
    raise AssertionError("pagination did not terminate")


async def check(case: Case) -> None:
    firms, loans, warnings = await seed(case)
    # Read back so Python compares what the database stores (quantised decimals...).
    firms = [await models.Firm.get(id=x.id) for x in firms]
    loans = [await models.Loan.get(id=x.id) for x in loans]
    warnings = [await models.Warning.get(id=x.id) for x in warnings]
    expected = expected_ids(case, firms, loans, warnings)
    seen, total = await walk(case)
    assert len(seen) == len(set(seen)), "a row was returned twice"
    assert seen == expected
    assert total == len(expected)


async def run_on_fresh_sqlite(case: Case) -> None:
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(MEMORY))
    try:
        await Tortoise.generate_schemas()
        await check(case)
    finally:
        await Tortoise.close_connections()
        EXECUTOR_CACHE.clear()


@pytest.mark.parametrize("entity", ["loans", "firms", "warnings"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_walking_pages_yields_each_match_once_in_order(entity: str, data: st.DataObject) -> None:
    case = data.draw(cases(entity), label="case")
    asyncio.run(run_on_fresh_sqlite(case))


def fixed_cases() -> list[Case]:
    firms = [
        FirmSpec("BETA", "active", "B01", [("A", 0), ("C", 1)]),
        FirmSpec("ALPHA", "active", "B02", [("C", 1), ("A", 1)]),  # tie: later row wins
        FirmSpec("BETA", "abnormal", "B01", []),
        FirmSpec("ZED0", "active", "B02", [("C", 2)]),
    ]
    amounts = [1000, 900, 1000, 100_000, 99_999_999_999, 900, 5]
    loans = [
        LoanSpec(i % 4, f"R{9 - i}", (i * 37) % 120, fen, fen // 2, "active", "B01", None, "p")
        for i, fen in enumerate(amounts)
    ]
    warnings = [WarningSpec(i % 4, "red", "open", i % 3) for i in range(8)]
    out = [
        Case(firms, loans, warnings, "loans", {}, sort, page=2)
        for sort in ("OUTSTANDING_DESC", "PRINCIPAL_DESC", "DPD_DESC", "LOAN_REF_ASC")
    ]
    out.append(Case(firms, loans, warnings, "firms", {"grade": "C"}, "NAME_DESC", page=1))
    out.append(Case(firms, loans, warnings, "warnings", {"since": 1}, "OPENED_DESC", page=3))
    out.append(Case(firms, loans, warnings, "warnings", {}, "OPENED_ASC", page=2))
    return out


@pytest.mark.anyio
async def test_fixed_example_on_every_engine(db: Settings) -> None:
    for case in fixed_cases():
        await Tortoise.generate_schemas(safe=True)
        await check(case)
        for model in (models.Warning, models.Loan, models.Score, models.Firm):
            await model.all().delete()
