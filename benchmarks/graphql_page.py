"""Benchmark: a 100-loan GraphQL page over HTTP against the same data fetched by raw ORM.

Run from the repository root::

    .venv/bin/python benchmarks/graphql_page.py [--repeat 50] [--firms 1000] [--loans 2000]

It seeds a fresh SQLite database in a temporary folder (firms, loans, score
history, warnings), signs a user in, then in one process measures

(a) POST /graphql of the page query (loan fields, firm name and USCC, the
    firm's latest score grade, openWarningCount) through httpx's ASGITransport
    into the real Starlette app (no socket: this measures the app, not TCP);
(b) the ORM queries a hand-written endpoint would run for the same data
    (loan page, firms by id, latest scores, open-warning counts) building the
    same dicts.

and prints both medians and their ratio (target: at most 3).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

PAGE_QUERY = """
query LoanPage($first: Int!) {
  loans(first: $first) {
    edges { node {
      id loanRef product principal outstandingPrincipal status classification daysPastDue
      branchCode officer
      firm { name uscc latestScore { grade } }
      openWarningCount
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

OPEN_STATUSES = ("open", "acknowledged", "in_progress")


def _uscc(n: int) -> str:
    from smecredit.domain.identity import uscc_check_char

    body = f"91330000{n:09d}"
    return body + uscc_check_char(body)


async def seed(firms: int, loans: int, rng: random.Random) -> None:
    """Bulk-insert a synthetic portfolio."""
    from tortoise.transactions import in_transaction

    from smecredit import models

    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    async with in_transaction() as conn:
        await models.Firm.bulk_create(
            [
                models.Firm(
                    uscc=_uscc(i + 1),
                    name=f"Benchmark Trading Co. {i:04d}",
                    industry_code=rng.choice(("C13", "F51", "I65")),
                    region_code="330106",
                    branch_code=rng.choice(("B01", "B02", "B03")),
                )
                for i in range(firms)
            ],
            batch_size=500,
            using_db=conn,
        )
        firm_ids = [f.id for f in await models.Firm.all().using_db(conn).only("id")]
        await models.Score.bulk_create(
            [
                models.Score(
                    firm_id=fid,
                    model_name="scorecard",
                    model_version="1",
                    probability_of_default=rng.random() / 5,
                    points=rng.randrange(300, 900),
                    grade=rng.choice("ABCD"),
                    reasons=[],
                    computed_at=base + dt.timedelta(days=k),
                )
                for fid in firm_ids
                for k in range(3)
            ],
            batch_size=500,
            using_db=conn,
        )
        await models.Loan.bulk_create(
            [
                models.Loan(
                    loan_ref=f"BL{j:07d}",
                    firm_id=rng.choice(firm_ids),
                    product="operating",
                    principal=Decimal(rng.randrange(10**6, 10**9)) / 100,
                    annual_rate=Decimal("0.0435"),
                    term_months=12,
                    repayment_method="equal_instalment",
                    guarantee_type="credit",
                    status="active",
                    classification="normal",
                    days_past_due=0,
                    outstanding_principal=Decimal(rng.randrange(10**6)) / 100,
                    branch_code="B01",
                    officer="wang",
                )
                for j in range(loans)
            ],
            batch_size=500,
            using_db=conn,
        )
        await models.Warning.bulk_create(
            [
                models.Warning(
                    firm_id=rng.choice(firm_ids),
                    rule_code="DPD_30",
                    severity=rng.choice(("red", "orange", "yellow")),
                    status=rng.choice(("open", "acknowledged", "resolved")),
                    message="benchmark warning",
                    opened_at=base,
                )
                for _ in range(firms * 3 // 2)
            ],
            batch_size=500,
            using_db=conn,
        )


async def sign_in(app: Any) -> str:
    """A bearer token of a fresh head-office analyst."""
    from smecredit.models import User
    from smecredit.security.passwords import hash_password
    from smecredit.services.sessions import open_session

    runtime = app.state.auth
    user = await User.create(
        username="bench",
        display_name="bench",
        password_hash=hash_password("Bench#Pass-97531", hasher=runtime.hasher),
        roles=["admin"],
        branch_code="HQ",
    )
    token, _ = await open_session(runtime, user, mfa_verified=True)
    return str(token)


async def orm_page(first: int) -> list[dict[str, Any]]:
    """The same page by hand: 4 queries and plain dicts."""
    from tortoise.functions import Count

    from smecredit import models
    from smecredit.graphql.dataloaders import latest_scores

    loans = await models.Loan.all().order_by("id").limit(first + 1)
    loans = loans[:first]
    firm_ids = list({x.firm_id for x in loans})  # type: ignore[attr-defined]
    firms = {f.id: f for f in await models.Firm.filter(id__in=firm_ids)}
    grades = {
        s.firm_id: s.grade  # type: ignore[attr-defined]
        for s in await latest_scores(models.Score.filter(firm_id__in=firm_ids))
    }
    counts = {
        r["firm_id"]: r["n"]
        for r in await models.Warning.filter(firm_id__in=firm_ids, status__in=OPEN_STATUSES)
        .group_by("firm_id")
        .annotate(n=Count("id"))
        .values("firm_id", "n")
    }
    out = []
    for x in loans:
        firm = firms[x.firm_id]  # type: ignore[attr-defined]
        out.append(
            {
                "id": x.id,
                "loanRef": x.loan_ref,
                "product": x.product,
                "principal": str(x.principal),
                "outstandingPrincipal": str(x.outstanding_principal),
                "status": x.status.upper(),
                "classification": x.classification.upper(),
                "daysPastDue": x.days_past_due,
                "branchCode": x.branch_code,
                "officer": x.officer,
                "firm": {
                    "name": firm.name,
                    "uscc": firm.uscc,
                    "latestScore": {"grade": grades[firm.id]} if firm.id in grades else None,
                },
                "openWarningCount": counts.get(firm.id, 0),
            }
        )
    return out


async def main(args: argparse.Namespace) -> int:
    import httpx
    from tortoise import Tortoise

    from smecredit.app import create_app
    from smecredit.db import tortoise_config
    from smecredit.settings import load_settings

    folder = Path(tempfile.mkdtemp(prefix="smecredit-bench-"))
    settings = load_settings(
        {
            "SMECREDIT_DATABASE_URL": f"sqlite://{folder}/bench.sqlite3",
            "SMECREDIT_ENV": "dev",
            "SMECREDIT_ARGON2_PROFILE": "test",
        }
    )
    await Tortoise.init(config=tortoise_config(settings))
    await Tortoise.generate_schemas()
    rng = random.Random(20240601)
    started = time.perf_counter()
    await seed(args.firms, args.loans, rng)
    print(
        f"seeded {args.firms} firms, {args.loans} loans, {3 * args.firms} scores, "
        f"{args.firms * 3 // 2} warnings in {time.perf_counter() - started:.1f}s"
    )
    app = create_app(settings, manage_db=False)
    token = await sign_in(app)
    transport = httpx.ASGITransport(app=app)
    body = {"query": PAGE_QUERY, "variables": {"first": args.page}}
    graphql_times: list[float] = []
    orm_times: list[float] = []
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://bench",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        # Warm-up (and a check that both paths give the same page).
        response = (await client.post("/graphql", json=body)).json()
        assert "errors" not in response, response
        edges = response["data"]["loans"]["edges"]
        by_hand = await orm_page(args.page)
        assert len(edges) == len(by_hand) == args.page
        for edge, row in zip(edges, by_hand, strict=True):
            assert edge["node"]["firm"] == row["firm"], (edge, row)
            assert edge["node"]["openWarningCount"] == row["openWarningCount"]
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            response = await client.post("/graphql", json=body)
            response.json()
            graphql_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            await orm_page(args.page)
            orm_times.append(time.perf_counter() - t0)
    await Tortoise.close_connections()
    gq = statistics.median(graphql_times) * 1000
    orm = statistics.median(orm_times) * 1000
    print(f"transport: httpx.ASGITransport (in-process ASGI, no socket); {args.repeat} repetitions")
    print(f"GraphQL over HTTP, median: {gq:.2f} ms")
    print(f"raw ORM + dicts,   median: {orm:.2f} ms")
    print(f"ratio: {gq / orm:.2f} (target <= 3)")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--firms", type=int, default=1000)
    parser.add_argument("--loans", type=int, default=2000)
    parser.add_argument("--page", type=int, default=100)
    sys.exit(asyncio.run(main(parser.parse_args())))
