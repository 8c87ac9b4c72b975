"""Report datasets on SQLite and PostgreSQL: row scope, masking, WITHHELD, aggregates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from smecredit import models
from smecredit.graphql.permissions import AUDIT_ACTION
from smecredit.sdk.reports import WITHHELD
from smecredit.security.policy import PolicyStore, parse_policy_text, set_policy_store
from smecredit.security.principal import Principal
from smecredit.services.reports.catalogue import CATALOGUE
from smecredit.services.reports.context import EngineContext, ReportColumnForbidden
from smecredit.services.reports.query import (
    DatasetUnknown,
    ReportColumnUnknown,
    ReportWhereInvalid,
)

pytestmark = pytest.mark.anyio

POLICY = """
p, risk_analyst, *, *, read, allow
p, risk_analyst, *, rows, all_branches, allow
p, viewer, *, *, read, allow
p, viewer, *, Firm.name, mask, allow, stars
p, viewer, *, Loan.outstandingPrincipal, read, deny
p, loan_officer, *, *, read, allow
p, admin, *, Firm.name, mask, allow, stars
p, admin, *, *, read, allow
"""


class Stars:
    name = "stars"

    def mask(self, value: str | None, **options: Any) -> str | None:
        return None if value is None else value[0] + "*" * (len(value) - 1)


class Plugins:
    masking_strategies = {"stars": Stars()}  # noqa: RUF012


@pytest.fixture
def policy() -> Iterator[None]:
    set_policy_store(PolicyStore(rules=parse_policy_text(POLICY)))
    yield
    set_policy_store(None)


def who(role: str, branch: str, name: str | None = None) -> Principal:
    return Principal(
        user_id=1, username=name or f"{role}-{branch}", roles=(role,), branch_code=branch
    )


def context(principal: Principal, **kw: Any) -> EngineContext:
    return EngineContext(principal, Plugins(), "en", dt.date(2026, 6, 30), "test_report", **kw)


async def seed(loans_per_branch: int = 7) -> None:
    n = 0
    for branch in ("B01", "B02"):
        firm = await models.Firm.create(
            uscc=f"9111000000000000{branch[-1]}X",
            name=f"Firm {branch} Ltd",
            industry_code="C13",
            region_code="110101",
            branch_code=branch,
        )
        for i in range(loans_per_branch):
            n += 1
            await models.Loan.create(
                loan_ref=f"L{n:04d}",
                firm_id=firm.id,
                product="operating" if i % 2 else "equipment",
                principal=Decimal("1000.10"),
                outstanding_principal=Decimal("100.01") * (i + 1),
                annual_rate=Decimal("0.050000"),
                term_months=12,
                repayment_method="equal_instalment",
                guarantee_type="credit",
                status="active",
                branch_code=branch,
                disbursed_on=dt.date(2026, 1, 1 + i),
            )


async def collect(ctx: EngineContext, *args: Any, **kw: Any) -> list[dict[str, Any]]:
    return [row async for row in ctx.rows(*args, **kw)]


async def test_rows_stream_in_batches_within_the_users_branch(db: Any, policy: None) -> None:
    await seed()
    ctx = context(who("loan_officer", "B01"), batch=3)
    rows = await collect(ctx, "loans", ["loan_ref", "branch_code", "balance", "disbursed_on"])
    assert [r["loan_ref"] for r in rows] == [f"L{i:04d}" for i in range(1, 8)]
    assert {r["branch_code"] for r in rows} == {"B01"}
    assert rows[2]["balance"] == Decimal("300.03")
    assert rows[0]["disbursed_on"] == dt.date(2026, 1, 1)
    everyone = await collect(context(who("risk_analyst", "B02"), batch=4), "loans", ["loan_id"])
    assert len(everyone) == 14


async def test_where_and_order_by_work_on_both_engines(db: Any, policy: None) -> None:
    await seed()
    ctx = context(who("risk_analyst", "HQ"), batch=2)
    rows = await collect(
        ctx,
        "loans",
        ["loan_ref", "balance"],
        where={
            "product": ["operating", "equipment"],
            "balance": (">", Decimal("250")),
            "disbursed_on": ("<=", dt.date(2026, 1, 6)),
            "branch_code": "B02",
        },
        order_by=["-balance", "loan_ref"],
    )
    assert [r["balance"] for r in rows] == [
        Decimal("600.06"),
        Decimal("500.05"),
        Decimal("400.04"),
        Decimal("300.03"),
    ]
    with pytest.raises(ReportColumnUnknown):
        await collect(ctx, "loans", ["nope"])
    with pytest.raises(ReportWhereInvalid):
        await collect(ctx, "loans", ["loan_id"], where={"balance": ("~", 1)})
    with pytest.raises(DatasetUnknown):
        await collect(ctx, "nowhere", ["loan_id"])


async def test_masked_and_denied_columns(db: Any, policy: None) -> None:
    await seed(1)
    ctx = context(who("viewer", "B01"))
    rows = await collect(ctx, "loans", ["firm_name", "balance", "principal"])
    assert rows == [
        {"firm_name": "F***********", "balance": WITHHELD, "principal": Decimal("1000.10")}
    ]
    for bad in (
        ctx.aggregate("loans", measures={"b": ("sum", "balance")}),
        ctx.aggregate("loans", group_by=("firm_name",), measures={"n": ("count", "*")}),
        ctx.aggregate("loans", measures={"n": ("count_distinct", "firm_name")}),
    ):
        with pytest.raises(ReportColumnForbidden):
            await bad
    with pytest.raises(ReportColumnForbidden):
        await collect(ctx, "loans", ["loan_id"], where={"firm_name": "x"})
    counted = await ctx.aggregate("loans", measures={"n": ("count", "firm_name")})
    assert counted == [{"n": 1}]


async def test_aggregates_run_in_the_database(db: Any, policy: None) -> None:
    await seed()
    ctx = context(who("risk_analyst", "HQ"))
    rows = await ctx.aggregate(
        "loans",
        group_by=("branch_code", "product"),
        measures={
            "n": ("count", "*"),
            "balance": ("sum", "balance"),
            "avg_rate": ("avg", "annual_rate"),
            "first": ("min", "disbursed_on"),
            "firms": ("count_distinct", "firm_id"),
        },
    )
    assert len(rows) == 4
    b01_equipment = rows[0]
    assert (b01_equipment["branch_code"], b01_equipment["product"]) == ("B01", "equipment")
    # loans 1, 3, 5, 7 of the branch: 100.01 * (1 + 3 + 5 + 7)
    assert b01_equipment["balance"] == Decimal("1600.16")
    assert b01_equipment["n"] == 4 and b01_equipment["firms"] == 1
    assert b01_equipment["first"] == dt.date(2026, 1, 1)
    assert abs(b01_equipment["avg_rate"] - Decimal("0.05")) < Decimal("0.000001")
    whole = await ctx.aggregate("loans", measures={"total": ("sum", "balance")})
    assert whole == [{"total": Decimal("100.01") * 28 * 2}]
    empty = await ctx.aggregate(
        "loans", group_by=("product",), measures={"n": ("count", "*")}, where={"status": "x"}
    )
    assert empty == []


async def test_an_unmasked_sensitive_read_is_audited_once_per_run(db: Any, policy: None) -> None:
    await seed(2)
    set_policy_store(
        PolicyStore(
            rules=parse_policy_text(POLICY + "p, viewer, *, Firm.name, mask, allow, stars\n")
        )
    )
    ctx = context(who("loan_officer", "B01", "officer-wang"))
    await collect(ctx, "loans", ["firm_name"])
    await collect(ctx, "firms", ["firm_name"])
    entries = await models.AuditLog.filter(action=AUDIT_ACTION, actor="officer-wang")
    assert [e.resource for e in entries] == ["Firm.name"]


async def test_every_dataset_reads_on_this_engine(db: Any, policy: None) -> None:
    await seed(1)
    ctx = context(who("risk_analyst", "HQ"))
    for name, data in CATALOGUE.items():
        await collect(ctx, name, [c.name for c in data.columns])
        if not data.computed:
            await ctx.aggregate(name, measures={"n": ("count", "*")})
    assert set(ctx.datasets()) >= {"loans", "classification_history", "applications", "firms"}


async def test_the_computed_model_monitoring_dataset(db: Any, policy: None) -> None:
    ctx = context(who("risk_analyst", "HQ"))
    assert await collect(ctx, "model_monitoring", ["model_name", "psi"]) == []
    with pytest.raises(ReportWhereInvalid):
        await ctx.aggregate("model_monitoring", measures={"n": ("count", "*")})
    with pytest.raises(ReportColumnUnknown):
        await collect(ctx, "model_monitoring", ["psi"], where={"nope": 1})
