"""Concurrent repayment postings on PostgreSQL (row locks + idempotency keys)."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest
from lending_support import book_loan, principal, seed_firm

from smecredit import models
from smecredit.errors import Conflict
from smecredit.security.operations import SYSTEM
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


async def _repay_while(
    loan_ids: list[int], done: asyncio.Future[object], poster: int
) -> list[tuple[object, bool]]:
    """Post small repayments round the loans until ``done``: every answer (errors
    included) and whether COB was still running when it came."""
    answers: list[tuple[object, bool]] = []
    n = 0
    while not done.done() or n < len(loan_ids):
        loan_id = loan_ids[n % len(loan_ids)]
        n += 1
        key = f"race-{poster}-{n}"
        try:
            answer: object = await repayments.post_repayment(
                loan_id, OFFICER, idempotency_key=key, amount=Decimal("35.17")
            )
        except Exception as exc:  # every failure is reported, none is expected
            answer = exc
        answers.append((answer, not done.done()))
    return answers


async def test_cob_racing_repayments_neither_deadlocks_nor_breaks_the_ledger(
    db: object, postgres_only: None
) -> None:
    from smecredit.services.lending import cob

    loan_ids = []
    for n in range(1, 4):
        firm = await seed_firm(n)
        for _ in range(2):
            loan_ids.append((await book_loan(firm)).loan_id)
    # every instalment due by then is overdue: COB charges penalty on each business day
    start = dt.date(2026, 6, 1)
    end = start + dt.timedelta(days=20)
    closing = asyncio.ensure_future(cob.run_cob_range(start, end, SYSTEM, batch_size=2))
    posters = [asyncio.ensure_future(_repay_while(loan_ids, closing, p)) for p in range(4)]
    await asyncio.wait([closing, *posters])
    closing.result()  # no deadlock or serialization failure surfaced in COB
    answers = [a for p in posters for a in p.result()]
    assert [a for a, _ in answers if isinstance(a, Exception)] == []
    assert sum(during for _, during in answers) > 0  # they did race
    runs = await models.CobRun.all().values_list("status", flat=True)
    assert len(runs) == (end - start).days + 1 and set(runs) == {"succeeded"}
    assert await verify_ledger() == []
