"""Book training on the database: features as of the observation date, whatever came later."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from scoring_seed import seed_synthetic
from smecredit_source_synthetic.generator import observation_date

from smecredit import models
from smecredit.services.scoring.features import book_training_set

pytestmark = pytest.mark.anyio

OBS = observation_date()
_FETCHED = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)


async def test_evidence_after_the_observation_date_changes_no_feature(db: Any) -> None:
    await seed_synthetic(80, seed=9)
    before = await book_training_set([OBS], performance_months=12)
    by_firm = dict(zip(before.data.ids or [], before.data.rows, strict=True))
    labels = dict(zip(before.data.ids or [], before.data.y, strict=True))
    healthy = [firm_id for firm_id, y in labels.items() if y == 0][:5]
    assert healthy

    # What a collections team records after the date: missed instalments, lawsuits,
    # an abnormal-operation listing. None of it is known on the observation date.
    for firm_id in healthy:
        for k in range(1, 4):
            await models.RepaymentHistory.create(
                firm_id=firm_id,
                loan_ref=f"LATE{firm_id}",
                due_date=OBS + dt.timedelta(days=30 * k),
                paid_date=None,
                amount_due=Decimal("1000.00"),
                days_past_due=200,
                source="test",
                fetched_at=_FETCHED,
            )
        await models.LegalCase.create(
            firm_id=firm_id,
            case_no=f"(2025)沪01执{firm_id}号",
            case_date=OBS + dt.timedelta(days=40),
            kind="enforcement",
            amount=Decimal("500000.00"),
            source="test",
            fetched_at=_FETCHED,
        )

    after = await book_training_set([OBS], performance_months=12)
    rows_after = dict(zip(after.data.ids or [], after.data.rows, strict=True))
    assert rows_after == by_firm  # every feature of every firm, unchanged
    labels_after = dict(zip(after.data.ids or [], after.data.y, strict=True))
    assert all(labels_after[f] == 1 for f in healthy)  # the label sees the window
    assert after.data.dates is None and after.observation_dates == [OBS]
    assert after.window()["performance_months"] == 12
