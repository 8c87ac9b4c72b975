"""COB covers the imported book: DPD from repayment history, written-off loans are losses,
no loan 90+ days past due stays 正常, and the LOAN_DPD warning says the loan's own DPD."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from smecredit_source_synthetic.plugin import SyntheticSource
from warnings_support import rules

from smecredit import models
from smecredit.domain.classification import LoanClass, class_for_dpd
from smecredit.domain.delinquency import RecordedInstalment, recorded_days_past_due
from smecredit.security.operations import SYSTEM
from smecredit.services.demo import close_today, seed_demo
from smecredit.services.lending import cob
from smecredit.services.warnings.scan import scan_portfolio

pytestmark = pytest.mark.anyio
__all__ = ["rules"]  # the fixture, used by name

FIRMS = 150


async def _seed() -> dt.date:
    registry = SimpleNamespace(data_sources={"synthetic": SyntheticSource()})
    await seed_demo(FIRMS, seed=11, dirt_rate=0.0, registry=registry)
    await close_today()  # as `smecredit demo seed` ends
    return cob.business_today()


async def _book() -> list[models.Loan]:
    return await models.Loan.filter(status__in=cob.CLOSED_STATUSES).order_by("id")


async def _recorded(day: dt.date) -> dict[str, int]:
    """Each imported loan's DPD on ``day``, worked out here from its history rows."""
    history: dict[str, list[RecordedInstalment]] = defaultdict(list)
    for r in await models.RepaymentHistory.all():
        history[r.loan_ref].append(
            RecordedInstalment(
                r.due_date, Decimal(r.amount_due), Decimal(r.amount_paid), r.paid_date
            )
        )
    return {ref: recorded_days_past_due(rows, day) for ref, rows in history.items()}


async def test_demo_seed_closes_the_imported_book_for_today(db: Any, rules: dict[str, Any]) -> None:
    today = await _seed()
    run = await models.CobRun.get(business_date=today)
    book = await _book()
    assert run.status == "succeeded" and run.started_by == "system"
    assert run.loans == run.total_loans == len(book) > 100
    expected = await _recorded(today)
    late = [loan for loan in book if loan.days_past_due > 90]
    written_off = [loan for loan in book if loan.status == "written_off"]
    assert late and written_off, "the sample must hold 90+ DPD and written-off loans"
    for loan in book:
        assert loan.days_past_due == expected.get(loan.loan_ref, 0), loan.loan_ref
        cls = LoanClass(loan.classification)
        # contagion may only make it worse than its own DPD says
        assert cls.rank >= class_for_dpd(loan.days_past_due).rank, loan.loan_ref
        if loan.days_past_due > 90:
            assert cls is not LoanClass.NORMAL and loan.ifrs9_stage == 3
    for loan in written_off:
        assert (loan.classification, loan.ifrs9_stage) == ("loss", 3)
    history = await models.ClassificationHistory.filter(loan_id=late[0].id, as_of=today)
    assert [h.actor for h in history] == ["cob"]

    # the warning reads the DPD COB wrote: same number on the warning and on the loan
    await scan_portfolio(as_of=today, rules={"LOAN_DPD": rules["LOAN_DPD"]}, escalate=False)
    warnings = await models.Warning.filter(rule_code="LOAN_DPD").prefetch_related("loan")
    assert warnings
    for warning in warnings:
        loan = warning.loan
        assert loan is not None and warning.observed_value == loan.days_past_due
        assert f"{loan.days_past_due} days past due" in warning.message
    red = {w.loan_id for w in warnings if w.severity == "red"}  # type: ignore[attr-defined]
    assert red and all(loan.classification != "normal" for loan in book if loan.id in red)

    # closing again changes nothing; the next day every overdue loan is a day later
    again = await cob.run_cob(today, SYSTEM, force=True)
    assert (again.changed, again.history_rows) == (0, 0)
    await cob.run_cob(today + dt.timedelta(days=1), SYSTEM)
    for loan in await models.Loan.filter(id__in=[x.id for x in late]):
        before = next(x for x in late if x.id == loan.id)
        assert loan.days_past_due == before.days_past_due + 1


async def test_a_booked_loan_written_off_is_a_loss_whatever_its_override(db: Any) -> None:
    from concurrency_support import seed_book

    await seed_book(2, first_due=dt.date(2026, 3, 1))
    loan = await models.Loan.filter(status="active").order_by("id").first()
    assert loan is not None
    await models.Loan.filter(id=loan.id).update(
        status="written_off", classification="special_mention", classification_overridden=True
    )
    await cob.run_cob(dt.date(2026, 6, 1), SYSTEM)
    fresh = await models.Loan.get(id=loan.id)
    assert (fresh.classification, fresh.ifrs9_stage) == ("loss", 3)


async def test_an_imported_loan_in_default_pulls_the_debtors_booked_loan_down(db: Any) -> None:
    from concurrency_support import seed_book

    day = dt.date(2026, 6, 1)
    (booked_id,) = await seed_book(1, first_due=dt.date(2026, 7, 1))  # not due yet: current
    booked = await models.Loan.get(id=booked_id)
    imported = await models.Loan.create(
        loan_ref="IMP-0001",
        firm_id=booked.firm_id,  # type: ignore[attr-defined]
        product="流动资金贷款",
        principal=Decimal("50000.00"),
        annual_rate=Decimal("0.08"),
        term_months=12,
        repayment_method="interest_only",
        guarantee_type="credit",
        status="active",
        outstanding_principal=Decimal("50000.00"),
        branch_code="B01",
        days_past_due=3,  # what the source said on its own data date
    )
    common = {"firm_id": booked.firm_id, "loan_ref": "IMP-0001", "source": "legacy"}  # type: ignore[attr-defined]
    fetched = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    await models.RepaymentHistory.create(
        **common,
        fetched_at=fetched,
        due_date=dt.date(2025, 12, 10),
        paid_date=dt.date(2025, 12, 10),
        amount_due=Decimal("333.33"),
        amount_paid=Decimal("333.33"),
    )
    await models.RepaymentHistory.create(
        **common,
        fetched_at=fetched,
        due_date=dt.date(2026, 1, 10),
        amount_due=Decimal("333.33"),
        amount_paid=Decimal("100.00"),  # partly paid: still owed
    )
    await cob.run_cob(day, SYSTEM)
    imported = await models.Loan.get(id=imported.id)
    booked = await models.Loan.get(id=booked_id)
    assert imported.days_past_due == (day - dt.date(2026, 1, 10)).days == 142
    assert (imported.classification, imported.ifrs9_stage) == ("substandard", 3)
    # the debtor rule: the booked loan, current itself, is non-performing with its debtor
    assert (booked.days_past_due, booked.classification, booked.ifrs9_stage) == (
        0,
        "substandard",
        3,
    )
