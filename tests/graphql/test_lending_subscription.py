"""``applicationStatusChanged`` yields each committed transition the caller may see."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from lending_support import BRANCH, principal, seed_firm, seed_product

from smecredit.graphql.context import Context
from smecredit.graphql.schema import build_schema
from smecredit.services.lending import applications, events
from smecredit.settings import Settings

pytestmark = pytest.mark.anyio

SUBSCRIPTION = (
    "subscription { applicationStatusChanged { action fromStatus toStatus toStatusLabel actor } }"
)


async def _first(stream: Any) -> Any:
    return await stream.__anext__()


async def test_subscription_sees_a_transition(db: Settings) -> None:
    await seed_product()
    firm = await seed_firm()
    officer = principal("loan_officer", name="officer")
    app = await applications.create_application(
        officer,
        firm_id=firm.id,
        product_code="SME-WC",
        amount=Decimal("50000.00"),
        term_months=12,
        annual_rate=Decimal("0.1"),
        repayment_method="equal_instalment",
    )
    schema = build_schema(db)
    watcher = principal("approver", name="watcher", branch=BRANCH)
    stream = await schema.subscribe(SUBSCRIPTION, context_value=Context(None, db, user=watcher))
    task = asyncio.create_task(_first(stream))
    for _ in range(100):
        if events.subscriber_count():
            break
        await asyncio.sleep(0.01)
    assert events.subscriber_count() == 1
    await applications.submit(app.id, officer)
    result = await asyncio.wait_for(task, 5)
    assert result.errors is None, result.errors
    assert result.data["applicationStatusChanged"] == {
        "action": "SUBMIT_APPLICATION",
        "fromStatus": "DRAFT",
        "toStatus": "SUBMITTED",
        "toStatusLabel": "Submitted",
        "actor": "officer",
    }
    await stream.aclose()
