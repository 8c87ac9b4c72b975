"""Seed a deterministic synthetic portfolio for GraphQL tests.

``seed_portfolio`` writes firms (most with a legal representative), their score
history, financial statements, loans and warnings, all with valid identity
codes, and returns what it wrote so tests can compute expected answers in
Python (``from portfolio_seed import seed_portfolio``).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from tortoise.transactions import in_transaction

from smecredit import models
from smecredit.domain.identity import id_number_check_char, uscc_check_char
from smecredit.services.persons import person_index

__all__ = [
    "BRANCHES",
    "GRADES",
    "INDUSTRIES",
    "PRODUCTS",
    "REGIONS",
    "Portfolio",
    "classify",
    "make_id_number",
    "make_uscc",
    "seed_portfolio",
]

INDUSTRIES = ("C13", "F51", "I65", "E47")
REGIONS = ("110101", "310115", "440305")
BRANCHES = ("B01", "B02", "B03")
GRADES = ("A", "B", "C", "D")
PRODUCTS = ("operating", "tax_linked", "equipment")
OFFICERS = ("wang", "li", None)
LOAN_STATUSES = ("active", "overdue", "closed")
SEVERITIES = ("red", "orange", "yellow", "blue")
WARNING_STATUSES = ("open", "acknowledged", "in_progress", "resolved", "dismissed")
RULES = ("DPD_30", "TAX_ARREARS", "COURT_CASE")
BASE_TIME = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def make_uscc(n: int) -> str:
    """A valid unified social credit code for serial number ``n``."""
    body = f"91110000{n:09d}"
    return body + uscc_check_char(body)


def make_id_number(n: int) -> str:
    """A valid resident ID number (born 1980-01-01) for serial number ``n``."""
    body = f"11010119800101{n % 1000:03d}"
    return body + id_number_check_char(body)


def classify(dpd: int) -> str:
    """Five-category label for days past due (the common bands)."""
    for floor, label in ((360, "loss"), (270, "doubtful"), (90, "substandard")):
        if dpd > floor:
            return label
    return "special_mention" if dpd > 0 else "normal"


@dataclass
class Portfolio:
    """Everything :func:`seed_portfolio` wrote."""

    firms: list[models.Firm] = field(default_factory=list)
    persons: list[models.Person] = field(default_factory=list)
    scores: list[models.Score] = field(default_factory=list)
    financials: list[models.FinancialStatement] = field(default_factory=list)
    loans: list[models.Loan] = field(default_factory=list)
    warnings: list[models.Warning] = field(default_factory=list)


async def seed_portfolio(
    *,
    firms: int = 20,
    loans: int = 40,
    warnings: int = 30,
    max_scores: int = 3,
    seed: int = 7,
) -> Portfolio:
    """Write a random but reproducible portfolio and return its rows."""
    rng = random.Random(seed)
    out = Portfolio()
    async with in_transaction() as conn:
        for i in range(firms):
            person = None
            if i % 5 != 4:
                id_number = make_id_number(i)
                person = await models.Person.create(
                    name=f"Rep {i}",
                    id_number=id_number,
                    id_number_index=person_index(id_number),
                    phone=f"138{i:08d}",
                    using_db=conn,
                )
                out.persons.append(person)
            firm = await models.Firm.create(
                uscc=make_uscc(i + 1),
                name=f"FIRM{rng.randrange(1000):03d}X{i:03d}",
                industry_code=rng.choice(INDUSTRIES),
                region_code=rng.choice(REGIONS),
                branch_code=rng.choice(BRANCHES),
                status=rng.choice(("active", "active", "abnormal")),
                employees=rng.randrange(1, 200),
                registered_capital=Decimal(rng.randrange(1, 10**7)) / 100,
                representative=person,
                using_db=conn,
            )
            out.firms.append(firm)
            for k in range(rng.randrange(max_scores + 1)):
                out.scores.append(
                    await models.Score.create(
                        firm=firm,
                        model_name="scorecard",
                        model_version="1",
                        probability_of_default=rng.random() / 5,
                        points=rng.randrange(300, 900),
                        grade=rng.choice(GRADES),
                        reasons=[],
                        # Some ties on computed_at: the higher id must win.
                        computed_at=BASE_TIME + dt.timedelta(days=rng.randrange(3) + k // 2),
                        using_db=conn,
                    )
                )
            for year in range(rng.randrange(3)):
                out.financials.append(
                    await models.FinancialStatement.create(
                        firm=firm,
                        period_end=dt.date(2021 + year, 12, 31),
                        period_type="annual",
                        revenue=Decimal(rng.randrange(10**8)) / 100,
                        total_assets=Decimal(rng.randrange(1, 10**8)) / 100,
                        total_liabilities=Decimal(rng.randrange(10**8)) / 100,
                        source="test",
                        fetched_at=BASE_TIME,
                        using_db=conn,
                    )
                )
        for j in range(loans):
            firm = rng.choice(out.firms)
            dpd = rng.choice((0, 0, rng.randrange(1, 500)))
            principal = Decimal(rng.randrange(10_000, 10**9)) / 100
            out.loans.append(
                await models.Loan.create(
                    loan_ref=f"L{rng.randrange(100):02d}{j:05d}",
                    firm=firm,
                    product=rng.choice(PRODUCTS),
                    principal=principal,
                    annual_rate=Decimal("0.0435"),
                    term_months=12,
                    repayment_method="equal_instalment",
                    guarantee_type="credit",
                    status=rng.choice(LOAN_STATUSES),
                    classification=classify(dpd),
                    days_past_due=dpd,
                    outstanding_principal=(principal * rng.randrange(101) / 100).quantize(
                        Decimal("0.01")
                    ),
                    branch_code=rng.choice(BRANCHES),
                    officer=rng.choice(OFFICERS),
                    using_db=conn,
                )
            )
        for _ in range(warnings):
            firm = rng.choice(out.firms)
            firm_loans = [x for x in out.loans if x.firm_id == firm.id]  # type: ignore[attr-defined]
            loan = rng.choice(firm_loans) if firm_loans and rng.random() < 0.5 else None
            out.warnings.append(
                await models.Warning.create(
                    firm=firm,
                    loan=loan,
                    rule_code=rng.choice(RULES),
                    severity=rng.choice(SEVERITIES),
                    status=rng.choice(WARNING_STATUSES),
                    message="seeded warning",
                    opened_at=BASE_TIME + dt.timedelta(hours=rng.randrange(48)),
                    using_db=conn,
                )
            )
    return out
