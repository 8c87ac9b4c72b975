"""Booking the loan: disbursement, confirmation, undo, close, write-off, rescheduling.

The loan's ``status`` follows its application's lifecycle state once booked
(``disbursed``, ``active``, ``closed``, ``written_off``); an undone disbursement leaves the
loan row in status ``reversed`` (rows are never deleted) and frees the application to be
disbursed again.

Every step takes ``expected_version``, the version the caller read of the row it names:
the application for the steps taking an application id, the loan for those taking a loan
id. When that row moved on meanwhile the step fails with ``CONFLICT`` and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from smecredit.domain.errors import PreconditionFailed, ReasonRequired
from smecredit.domain.loan_states import Action, LoanState, TransitionResult
from smecredit.domain.schedules import (
    Instalment,
    RepaymentMethod,
    RescheduleTerms,
    add_months,
    build_schedule,
    reschedule,
)
from smecredit.errors import NotFound
from smecredit.models import (
    ClassificationHistory,
    FourEyesRequest,
    Loan,
    LoanApplication,
    Product,
    Repayment,
    RepaymentSchedule,
    ScheduledInstalment,
)
from smecredit.security.operations import LIFECYCLE_OPERATIONS, authorize, in_scope
from smecredit.security.principal import Principal
from smecredit.security.row_scope import scoped_rows
from smecredit.services.lending.applications import ContextFacts, run_transition
from smecredit.services.lending.second_approval import second_approval
from smecredit.services.lending.support import (
    actor_id,
    audit,
    check_version,
    dec,
    lock,
    now,
    update_versioned,
)
from smecredit.services.transactions import atomic

__all__ = [
    "application_of_loan",
    "close_loan",
    "confirm_disbursement",
    "disburse",
    "loan_balance_due",
    "reschedule_loan",
    "undo_disbursement",
    "undo_write_off",
    "write_off",
]

_ZERO = Decimal("0.00")


async def application_of_loan(
    loan_id: int, principal: Principal, action: Action
) -> LoanApplication:
    """The application that booked ``loan_id``, for ``principal`` to take ``action`` on.

    The role is checked first, so that whether a loan exists is only ever answered to
    someone who may act on it; then the loan must be within the caller's branches.

    Raises:
        PermissionDenied: the caller's roles may not take ``action``.
        NotFound: the loan is unknown, outside the caller's branches, or was not booked
            through an application (the same answer).
    """
    authorize(principal, LIFECYCLE_OPERATIONS[action])
    application = await scoped_rows(principal, LoanApplication).filter(loan_id=loan_id).first()
    if application is None:
        raise NotFound(f"loan {loan_id} not found or not booked through an application")
    return application


async def _loan(application: LoanApplication, conn: BaseDBAsyncClient) -> Loan:
    loan_id = application.loan_id  # type: ignore[attr-defined]
    loan = await lock(Loan, loan_id, conn) if loan_id is not None else None
    if loan is None:
        raise PreconditionFailed(f"application {application.id} has no booked loan")
    return loan


async def _instalments(loan_id: int, conn: BaseDBAsyncClient) -> list[ScheduledInstalment]:
    return (
        await ScheduledInstalment.filter(loan_id=loan_id, active=True)
        .using_db(conn)
        .order_by("due_date", "number")
    )


async def loan_balance_due(loan: Loan, as_of: dt.date, conn: BaseDBAsyncClient) -> Decimal:
    """Principal outstanding plus interest and penalty unpaid on instalments due by ``as_of``."""
    owed = dec(loan.outstanding_principal)
    for row in await _instalments(loan.id, conn):
        if row.due_date <= as_of:
            owed += dec(row.interest) - dec(row.paid_interest)
            owed += dec(row.penalty_accrued) - dec(row.paid_penalty)
    return owed


async def _write_schedule(
    loan: Loan, instalments: list[Instalment], reason: str, conn: BaseDBAsyncClient
) -> RepaymentSchedule:
    number = await RepaymentSchedule.filter(loan_id=loan.id).using_db(conn).count() + 1
    schedule = await RepaymentSchedule.create(
        loan_id=loan.id, number=number, active=True, reason=reason, using_db=conn
    )
    await ScheduledInstalment.bulk_create(
        [
            ScheduledInstalment(
                schedule_id=schedule.id,
                loan_id=loan.id,
                number=i.number,
                due_date=i.due_date,
                principal=i.principal,
                interest=i.interest,
            )
            for i in instalments
        ],
        using_db=conn,
    )
    return schedule


async def _deactivate_schedules(loan_id: int, conn: BaseDBAsyncClient) -> None:
    await RepaymentSchedule.filter(loan_id=loan_id, active=True).using_db(conn).update(active=False)
    await (
        ScheduledInstalment.filter(loan_id=loan_id, active=True).using_db(conn).update(active=False)
    )


async def disburse(
    application_id: int,
    principal: Principal,
    *,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> LoanApplication:
    """Issue the payment order: book the loan row in status ``disbursed``."""

    async def effect(
        application: LoanApplication, result: TransitionResult, conn: BaseDBAsyncClient
    ) -> dict[str, Any]:
        product = (
            await Product.filter(id=application.product_id)  # type: ignore[attr-defined]
            .using_db(conn)
            .get()
        )
        attempt = await _attempts(application.id, conn)
        loan = await Loan.create(
            loan_ref=f"LA{application.id:08d}-{attempt + 1}",
            firm_id=application.firm_id,  # type: ignore[attr-defined]
            product=product.code,
            principal=application.amount,
            annual_rate=application.annual_rate,
            term_months=application.term_months,
            repayment_method=application.repayment_method,
            purpose=application.purpose,
            guarantee_type=application.guarantee_type,
            status=LoanState.DISBURSED.value,
            outstanding_principal=_ZERO,
            branch_code=application.branch_code,
            officer=application.maker_id,
            applied_on=(application.submitted_at or result.at).date(),
            approved_on=(application.decided_at or result.at).date(),
            using_db=conn,
        )
        return {"loan_id": loan.id}

    return await run_transition(
        application_id,
        Action.DISBURSE,
        principal,
        at=at,
        effect=effect,
        expected_version=expected_version,
    )


async def _attempts(application_id: int, conn: BaseDBAsyncClient) -> int:
    # loan_ref must stay unique across re-disbursements after an undo
    from smecredit.models import ApplicationTransition

    return (
        await ApplicationTransition.filter(
            application_id=application_id, action=Action.DISBURSE.value
        )
        .using_db(conn)
        .count()
    )


async def confirm_disbursement(
    application_id: int,
    principal: Principal,
    *,
    disbursed_on: dt.date | None = None,
    first_due: dt.date | None = None,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> LoanApplication:
    """Funds arrived: activate the loan, build its schedule, start classification."""
    at = at or now()
    on = disbursed_on or at.date()
    due = first_due or add_months(on, 1)

    async def effect(
        application: LoanApplication, result: TransitionResult, conn: BaseDBAsyncClient
    ) -> dict[str, Any]:
        loan = await _loan(application, conn)
        instalments = build_schedule(
            dec(loan.principal),
            dec(loan.annual_rate),
            loan.term_months,
            RepaymentMethod(loan.repayment_method),
            due,
        )
        await _deactivate_schedules(loan.id, conn)
        await _write_schedule(loan, instalments, "disbursement", conn)
        await update_versioned(
            loan,
            conn,
            status=LoanState.ACTIVE.value,
            outstanding_principal=dec(loan.principal),
            disbursed_on=on,
            maturity_on=instalments[-1].due_date,
            classification="normal",
            days_past_due=0,
            ifrs9_stage=1,
            current_since=on,
        )
        await ClassificationHistory.create(
            loan_id=loan.id,
            as_of=on,
            dpd=0,
            loan_class="normal",
            stage=1,
            actor=result.actor_id,
            reason="disbursed",
            using_db=conn,
        )
        return {}

    return await run_transition(
        application_id,
        Action.CONFIRM_DISBURSEMENT,
        principal,
        at=at,
        effect=effect,
        expected_version=expected_version,
    )


async def _has_repayments(application: LoanApplication, conn: BaseDBAsyncClient) -> dict[str, Any]:
    loan_id = application.loan_id  # type: ignore[attr-defined]
    if loan_id is None:
        return {"has_repayments": False}
    live = Repayment.filter(loan_id=loan_id, reversed_at__isnull=True, reversal_of_id__isnull=True)
    return {"has_repayments": await live.using_db(conn).exists()}


async def undo_disbursement(
    application_id: int,
    principal: Principal,
    reason: str | None,
    *,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> LoanApplication:
    """Take back a bounced payment order, or an active loan without live repayments."""

    async def effect(
        application: LoanApplication, result: TransitionResult, conn: BaseDBAsyncClient
    ) -> dict[str, Any]:
        loan = await _loan(application, conn)
        await _deactivate_schedules(loan.id, conn)
        await update_versioned(loan, conn, status="reversed", outstanding_principal=_ZERO)
        return {"loan_id": None}

    return await run_transition(
        application_id,
        Action.UNDO_DISBURSEMENT,
        principal,
        reason=reason,
        at=at,
        facts=_has_repayments,
        effect=effect,
        expected_version=expected_version,
    )


def _loan_at_version(
    expected_version: int | None, more: ContextFacts | None = None
) -> ContextFacts | None:
    """Facts that first refuse a stale loan version (before the state machine is asked)."""
    if expected_version is None:
        return more

    async def facts(application: LoanApplication, conn: BaseDBAsyncClient) -> dict[str, Any]:
        loan = await _loan(application, conn)
        check_version(loan, expected_version, f"loan {loan.id}")
        return await more(application, conn) if more else {}

    return facts


def _mirror(state: LoanState, **extra: Any) -> Any:
    async def effect(
        application: LoanApplication, result: TransitionResult, conn: BaseDBAsyncClient
    ) -> dict[str, Any]:
        loan = await _loan(application, conn)
        await update_versioned(loan, conn, status=state.value, **extra)
        return {}

    return effect


async def close_loan(
    loan_id: int,
    principal: Principal,
    *,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> LoanApplication:
    """Close a fully repaid loan (principal, due interest and penalty all paid)."""
    at = at or now()
    application = await application_of_loan(loan_id, principal, Action.CLOSE)

    async def facts(app: LoanApplication, conn: BaseDBAsyncClient) -> dict[str, Any]:
        loan = await _loan(app, conn)
        return {"outstanding": await loan_balance_due(loan, at.date(), conn)}

    return await run_transition(
        application.id,
        Action.CLOSE,
        principal,
        at=at,
        facts=_loan_at_version(expected_version, facts),
        effect=_mirror(LoanState.CLOSED, closed_on=at.date()),
    )


async def write_off(
    loan_id: int,
    principal: Principal,
    reason: str | None,
    *,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
    request: FourEyesRequest | None = None,
) -> LoanApplication:
    """Write an active loan off (credit committee, reason required); balances are kept.

    A write-off needs a second approver (four eyes): it is made only as the approval of a
    pending ``request`` filed by someone else
    (:mod:`smecredit.services.lending.four_eyes_requests`).

    Raises:
        FourEyesViolation: no request, or the caller filed it (code ``FOUR_EYES``).
    """
    application = await application_of_loan(loan_id, principal, Action.WRITE_OFF)
    at = at or now()
    mirror = _mirror(LoanState.WRITTEN_OFF)

    async def effect(
        app: LoanApplication, result: TransitionResult, conn: BaseDBAsyncClient
    ) -> dict[str, Any]:
        await second_approval("loan.write_off", loan_id, principal, request, conn)
        return dict(await mirror(app, result, conn))

    return await run_transition(
        application.id,
        Action.WRITE_OFF,
        principal,
        reason=reason,
        at=at,
        facts=_loan_at_version(expected_version),
        effect=effect,
    )


async def undo_write_off(
    loan_id: int,
    principal: Principal,
    reason: str | None,
    *,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> LoanApplication:
    """Reinstate a written-off loan (documented undo, reason required)."""
    application = await application_of_loan(loan_id, principal, Action.UNDO_WRITE_OFF)
    return await run_transition(
        application.id,
        Action.UNDO_WRITE_OFF,
        principal,
        reason=reason,
        at=at,
        facts=_loan_at_version(expected_version),
        effect=_mirror(LoanState.ACTIVE),
    )


async def reschedule_loan(
    loan_id: int,
    principal: Principal,
    terms: RescheduleTerms,
    reason: str | None,
    *,
    as_of: dt.date | None = None,
    expected_version: int | None = None,
) -> RepaymentSchedule:
    """Replace an active loan's schedule for its outstanding principal (kept as history).

    Interest and penalty already due must be paid first: they are not carried into the new
    schedule.

    Raises:
        PermissionDenied: the caller may not reschedule (``loan.reschedule``).
        NotFound: no such loan within the caller's branches.
        ReasonRequired: no reason given.
        PreconditionFailed: the loan is not active, nothing is outstanding, or amounts due
            before ``as_of`` are unpaid.
        Conflict: the loan is not at ``expected_version``.
    """
    authorize(principal, "loan.reschedule")
    if not reason or not reason.strip():
        raise ReasonRequired("rescheduling needs a reason")
    day = as_of or now().date()
    why = reason.strip()

    async def work(conn: BaseDBAsyncClient) -> RepaymentSchedule:
        # lock order: the loan, then its instalments
        loan = await lock(Loan, loan_id, conn)
        if loan is None or not in_scope(principal, loan.branch_code):
            raise NotFound(f"loan {loan_id} not found")
        check_version(loan, expected_version, f"loan {loan_id}")
        if loan.status != LoanState.ACTIVE.value:
            raise PreconditionFailed(f"only an active loan can be rescheduled, not {loan.status}")
        rows = await _instalments(loan.id, conn)
        for row in rows:
            unpaid = (
                dec(row.principal)
                - dec(row.paid_principal)
                + dec(row.interest)
                - dec(row.paid_interest)
                + dec(row.penalty_accrued)
                - dec(row.paid_penalty)
            )
            if row.due_date <= day and unpaid > 0:
                raise PreconditionFailed(
                    f"instalment {row.number} due {row.due_date} still owes {unpaid}: "
                    "settle amounts already due before rescheduling"
                )
        outstanding = dec(loan.outstanding_principal)
        if outstanding <= 0:
            raise PreconditionFailed("nothing is outstanding: close the loan instead")
        existing = [
            Instalment(r.number, r.due_date, _ZERO, dec(r.principal), dec(r.interest), _ZERO, _ZERO)
            for r in rows
        ]
        new = reschedule(existing, outstanding, day, terms)
        await _deactivate_schedules(loan.id, conn)
        schedule = await _write_schedule(loan, new, why, conn)
        await update_versioned(
            loan,
            conn,
            annual_rate=terms.annual_rate,
            term_months=terms.term_months,
            repayment_method=str(terms.method),
            maturity_on=new[-1].due_date,
        )
        # in the same transaction: no reschedule without its audit row
        await audit(
            principal,
            "loan.reschedule",
            f"Loan:{loan_id}",
            after={"schedule": schedule.number, "reason": why, "by": actor_id(principal)},
            connection=conn,
        )
        return schedule

    return await atomic(work, what=f"rescheduling loan {loan_id}")
