"""Builders shared by the compliance and decision-feedback tests."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from lending_support import NOW, seed_firm, seed_product

from smecredit import models

__all__ = [
    "NOW",
    "add_application",
    "add_loan",
    "decide",
    "seed_firm",
    "seed_overrides",
    "seed_product",
]

_refs = itertools.count(1)


async def add_loan(
    firm: models.Firm,
    *,
    rate: str = "0.12",
    product: str = "SME-WC",
    outstanding: str = "100000.00",
    disbursed_on: dt.date | None = dt.date(2026, 1, 5),
    status: str = "active",
) -> models.Loan:
    """A booked loan, written directly (the checks read the book, not the lifecycle)."""
    return await models.Loan.create(
        loan_ref=f"L{next(_refs):06d}",
        firm=firm,
        product=product,
        principal=Decimal(outstanding),
        annual_rate=Decimal(rate),
        term_months=12,
        repayment_method="equal_principal",
        guarantee_type="credit",
        status=status,
        outstanding_principal=Decimal(outstanding),
        branch_code=firm.branch_code,
        disbursed_on=disbursed_on,
    )


async def add_application(
    firm: models.Firm, *, maker: str = "officer", grade: str | None = "C", **kw: Any
) -> models.LoanApplication:
    product = await seed_product()
    return await models.LoanApplication.create(
        firm=firm,
        product=product,
        amount=Decimal("100000.00"),
        term_months=12,
        annual_rate=Decimal("0.12"),
        repayment_method="equal_principal",
        branch_code=firm.branch_code,
        maker_id=maker,
        maker_username=maker,
        risk_grade=grade,
        state=kw.pop("state", "approved"),
        **kw,
    )


async def decide(
    application: models.LoanApplication,
    action: str,
    actor: str,
    *,
    to_state: str | None = None,
    at: dt.datetime = NOW,
) -> models.ApplicationTransition:
    """A journal row of the lifecycle (approve, reject, appeal, disburse ...)."""
    target = to_state or {"approve": "approved", "reject": "rejected", "appeal": "appealed"}.get(
        action, "active"
    )
    return await models.ApplicationTransition.create(
        application=application,
        action=action,
        from_state="under_review",
        to_state=target,
        actor=actor,
        at=at,
    )


async def seed_overrides(approver: str, n: int, overridden: int) -> list[int]:
    """``n`` applications approved by ``approver``, the first ``overridden`` against the
    system's grade; their ids."""
    firm = await models.Firm.first() or await seed_firm(1)
    ids = []
    for i in range(n):
        app = await add_application(firm)
        await decide(app, "approve", approver)
        if i < overridden:
            await models.DecisionOverride.create(
                application=app,
                kind="grade",
                system_value="D",
                decided_value="C",
                reason="knows the firm",
                actor=approver,
                at=NOW,
            )
        ids.append(app.id)
    return ids
