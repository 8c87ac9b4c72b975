"""Concurrent repayment postings on PostgreSQL (row locks + idempotency keys)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from lending_support import book_loan, principal, seed_firm

from smecredit import models
from smecredit.errors import Conflict
from smecredit.services.lending import repayments
from smecredit.services.lending.ledger import verify_ledger

pytestmark = pytest.mark.anyio
OFFICER = principal("loan_officer", name="officer")


@pytest.fixture
def postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("concurrency is only meaningful on PostgreSQL (SQLite serialises writers)")


async def _post_with_retry(loan_id: int, key: str, amount: Decimal) -> models.Repayment:
    for _ in range(20):
        try:
            return await repayments.post_repayment(
                loan_id, OFFICER, idempotency_key=key, amount=amount
            )
        except Conflict:
            await asyncio.sleep(0.01)
    raise AssertionError(f"posting {key} kept conflicting")


async def test_fifty_concurrent_postings_keep_the_ledger(db: object, postgres_only: None) -> None:
    app = await book_loan(await seed_firm())
    loan_id = app.loan_id
    amount = Decimal("997.31")
    results = await asyncio.gather(
        *(_post_with_retry(loan_id, f"c-{i}", amount) for i in range(50))
    )
    assert len({r.id for r in results}) == 50
    assert await models.Repayment.filter(loan_id=loan_id).count() == 50
    loan = await models.Loan.get(id=loan_id)
    rows = await models.Repayment.filter(loan_id=loan_id)
    principal_paid = sum(
        (Decimal(x["amount"]) for r in rows for x in r.allocation if x["component"] == "principal"),
        Decimal(0),
    )
    assert loan.outstanding_principal == Decimal("120000.00") - principal_paid
    assert await verify_ledger() == []


async def test_same_key_ten_times_concurrently_posts_once(db: object, postgres_only: None) -> None:
    app = await book_loan(await seed_firm())
    results = await asyncio.gather(
        *(_post_with_retry(app.loan_id, "same", Decimal("500.00")) for _ in range(10))
    )
    assert len({r.id for r in results}) == 1
    assert await models.Repayment.filter(loan_id=app.loan_id).count() == 1
    assert await verify_ledger() == []
