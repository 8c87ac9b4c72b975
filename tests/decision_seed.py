"""A submitted application with every kind of evidence the decision-support view reads.

Firm 1 applies for 300,000 at 6% over 12 months (graded C by the ``fixed`` champion:
limit 225,000). The facts are dated back from today (the GraphQL view reads as of today):
it is 7 months old, has an enforcement case, tax arrears, a cash-flow
statement and 24 months of taxed sales falling by a quarter; it shares its legal
representative with firm 2, which owes us 120,000. Firm 3 is a peer of the same industry
and region with a stronger statement.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from lending_support import FIXED_MODELS, NOW, book_loan, principal, seed_champion, seed_firm

from smecredit import models
from smecredit.domain.decision_support import month_back
from smecredit.domain.schedules import add_months
from smecredit.services.lending import applications
from smecredit.services.persons import upsert_person

__all__ = ["AS_OF", "MAKER", "REP_NAME", "seed_application"]

D = Decimal
AS_OF = dt.date.today()
MAKER = principal("loan_officer", name="officer")
REP_NAME = "王小明"
REP_ID = "11010519491231002X"


async def _statement(firm: models.Firm, **figures: str) -> None:
    await models.FinancialStatement.filter(firm_id=firm.id).update(
        **{k: D(v) for k, v in figures.items()}
    )


async def seed_application() -> models.LoanApplication:
    """Seed the firms and return the application, under review."""
    await seed_champion(0.015)
    person = await upsert_person({"name": REP_NAME, "id_number": REP_ID})
    firm = await seed_firm(1)
    firm.established_on = add_months(AS_OF, -7)
    firm.representative = person
    await firm.save()
    await _statement(
        firm,
        revenue="6000000",
        net_profit="300000",
        total_assets="4000000",
        total_liabilities="2400000",
        current_assets="1500000",
        current_liabilities="1000000",
        operating_cash_flow="480000",
    )
    await models.LegalCase.create(
        firm=firm,
        case_no="(2025)京0105执1234号",
        kind="enforcement",
        case_date=add_months(AS_OF, -2),
        amount=D("50000"),
        source="test",
        fetched_at=NOW,
    )
    for k in range(1, 25):
        await models.TaxRecord.create(
            firm=firm,
            month=month_back(AS_OF, k),
            taxable_sales=D("400000") if k <= 12 else D("533333.33"),
            tax_paid=D("10000"),
            arrears=D("8800") if k == 2 else D("0"),
            source="test",
            fetched_at=NOW,
        )
    await models.BureauSummary.filter(firm_id=firm.id).update(inquiries_6m=9, overdue_count=0)

    related = await seed_firm(2)
    related.representative = person
    await related.save()
    await book_loan(related, amount=D("120000.00"))

    peer = await seed_firm(3)
    await _statement(
        peer,
        revenue="8000000",
        net_profit="800000",
        total_assets="5000000",
        total_liabilities="1500000",
        current_assets="3000000",
        current_liabilities="1000000",
        operating_cash_flow="900000",
    )

    app = await applications.create_application(
        MAKER,
        firm_id=firm.id,
        product_code="SME-WC",
        amount=D("300000.00"),
        term_months=12,
        annual_rate=D("0.06"),
        repayment_method="equal_instalment",
    )
    await applications.submit(app.id, MAKER, at=NOW, scoring_models=FIXED_MODELS)
    await applications.start_review(app.id, principal("risk_analyst", name="ana"), at=NOW)
    return await models.LoanApplication.get(id=app.id)
