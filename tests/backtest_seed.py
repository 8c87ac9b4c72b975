"""A small book with known outcomes for the PD back-test tests (service, GraphQL, CLI).

Twenty firms scored on 2025-01-02 by one version whose master scale is ``LOW`` (< 5%)
then ``HIGH``: ten LOW at PD 1% (one defaults), ten HIGH at PD 20% (four default). One
more score, made after the as-of date, must not count.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from smecredit import models

__all__ = ["AS_OF", "seed_backtest"]

AS_OF = dt.date(2025, 1, 31)
_SCORED = dt.datetime(2025, 1, 2, 10, tzinfo=dt.UTC)


async def seed_backtest() -> models.ModelVersion:
    """Write the book; return the version tested."""
    version = await models.ModelVersion.create(
        name="scorecard",
        version="v1",
        status="champion",
        master_scale=[["LOW", 0.05], ["HIGH", None]],
        training_fingerprint="0" * 64,
        created_by="test",
    )
    for n in range(20):
        firm = await models.Firm.create(
            uscc=f"9131000000000{n:04d}X",
            name=f"F{n}",
            industry_code="C13",
            region_code="310000",
            branch_code="B01",
        )
        high = n >= 10
        await models.Score.create(
            firm=firm,
            model_name="scorecard",
            model_version="v1",
            probability_of_default=0.2 if high else 0.01,
            points=500,
            grade="HIGH" if high else "LOW",
            computed_at=_SCORED,
        )
        if n == 0:  # scored again after the as-of date: the back-test ignores it
            await models.Score.create(
                firm=firm,
                model_name="scorecard",
                model_version="v1",
                probability_of_default=0.5,
                points=400,
                grade="HIGH",
                computed_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
            )
        defaulted = n in (0, 10, 11, 12, 13)
        await models.RepaymentHistory.create(
            firm=firm,
            loan_ref=f"L{n}",
            due_date=dt.date(2025, 6, 30),
            paid_date=None if defaulted else dt.date(2025, 6, 30),
            amount_due=Decimal("1000.00"),
            days_past_due=120 if defaulted else 0,
            source="test",
            fetched_at=_SCORED,
        )
    return version
