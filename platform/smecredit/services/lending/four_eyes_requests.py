"""Changes that wait for a second approver: request, approve, reject.

One person files a :class:`~smecredit.models.FourEyesRequest` (a write-off, or a
classification better than days past due imply); another person holding the change's
role approves it, which makes the change in the same transaction as the request is marked
approved (:mod:`smecredit.services.lending.second_approval`), or rejects it with a reason.
The requester may neither approve nor (being the same pair of eyes) reject it; they may
withdraw it, which is a rejection of their own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from smecredit.domain.classification import LoanClass
from smecredit.domain.errors import PreconditionFailed, ReasonRequired
from smecredit.domain.loan_states import LoanState
from smecredit.errors import Conflict, NotFound
from smecredit.models import FourEyesRequest, Loan
from smecredit.security.operations import authorize, in_scope
from smecredit.security.principal import Principal
from smecredit.security.row_scope import scoped_rows
from smecredit.services.lending.support import actor_id, audit, check_version, lock, now
from smecredit.services.transactions import atomic

__all__ = [
    "approve_request",
    "pending_requests",
    "reject_request",
    "request_classification_override",
    "request_write_off",
]


def _reason(reason: str | None, what: str) -> str:
    why = (reason or "").strip()
    if not why:
        raise ReasonRequired(f"{what} needs a reason")
    return why


async def _file(
    operation: str,
    loan_id: int,
    principal: Principal,
    reason: str,
    payload: dict[str, Any],
    expected_version: int | None,
) -> FourEyesRequest:
    at = now()

    async def work(conn: BaseDBAsyncClient) -> FourEyesRequest:
        loan = await lock(Loan, loan_id, conn)
        if loan is None or not in_scope(principal, loan.branch_code):
            raise NotFound(f"loan {loan_id} not found")
        check_version(loan, expected_version, f"loan {loan_id}")
        if loan.status != LoanState.ACTIVE.value:
            raise PreconditionFailed(
                f"only an active loan can be changed this way, not one that is {loan.status}"
            )
        pending = FourEyesRequest.filter(loan_id=loan_id, operation=operation, status="pending")
        if await pending.using_db(conn).exists():
            raise Conflict(
                f"loan {loan_id} already has a pending request of this kind: approve or "
                "reject it first",
                code="CONFLICT",
            )
        request = await FourEyesRequest.create(
            operation=operation,
            loan_id=loan_id,
            branch_code=loan.branch_code,
            payload=payload,
            reason=reason,
            requested_by=actor_id(principal),
            requested_at=at,
            using_db=conn,
        )
        await audit(
            principal,
            f"{operation}.request",
            f"Loan:{loan_id}",
            after={"request": request.id, "reason": reason, **payload},
            connection=conn,
        )
        return request

    return await atomic(work, what=f"filing a {operation} request for loan {loan_id}")


async def request_write_off(
    loan_id: int,
    principal: Principal,
    reason: str | None,
    *,
    expected_version: int | None = None,
) -> FourEyesRequest:
    """Ask for an active loan to be written off; another committee member approves it.

    Raises:
        PermissionDenied: the caller may not write loans off (``loan.write_off``).
        ReasonRequired, NotFound, PreconditionFailed (not active), Conflict (a pending
        request exists, or the loan is not at ``expected_version``).
    """
    authorize(principal, "loan.write_off")
    why = _reason(reason, "a write-off")
    return await _file("loan.write_off", loan_id, principal, why, {}, expected_version)


async def request_classification_override(
    loan_id: int,
    principal: Principal,
    loan_class: LoanClass | str,
    reason: str | None,
    *,
    expected_version: int | None = None,
) -> FourEyesRequest:
    """Ask for a loan's class to be set by hand; another risk officer approves it.

    Needed for a class better than the loan's days past due imply (a worse one is set at
    once with :func:`smecredit.services.lending.repayments.override_classification`).
    """
    authorize(principal, "loan.override_classification")
    why = _reason(reason, "a classification override")
    payload = {"loan_class": LoanClass(loan_class).value}
    return await _file(
        "loan.override_classification", loan_id, principal, why, payload, expected_version
    )


async def _pending(request_id: int, principal: Principal) -> FourEyesRequest:
    authorize(principal, "four_eyes.decide")
    request = await FourEyesRequest.get_or_none(id=request_id)
    if request is None or not in_scope(principal, request.branch_code):
        raise NotFound(f"request {request_id} not found")
    if request.status != "pending":
        raise PreconditionFailed(f"request {request_id} was already {request.status}")
    return request


async def approve_request(
    request_id: int, principal: Principal, *, at: dt.datetime | None = None
) -> FourEyesRequest:
    """Approve another person's pending request: the change is made now, by the caller.

    Raises:
        PermissionDenied: the caller holds neither ``four_eyes.decide`` nor the change's
            own role.
        FourEyesViolation: the caller filed the request (code ``FOUR_EYES``).
        NotFound, PreconditionFailed (decided already), and the change's own errors.
    """
    request = await _pending(request_id, principal)
    loan_id: int = request.loan_id  # type: ignore[attr-defined]
    # Imported here: both services import this module's sibling, second_approval.
    from smecredit.services.lending import disbursement, repayments

    if request.operation == "loan.write_off":
        await disbursement.write_off(loan_id, principal, request.reason, at=at, request=request)
    else:
        await repayments.override_classification(
            loan_id,
            principal,
            LoanClass(request.payload["loan_class"]),
            request.reason,
            as_of=(at or now()).date(),
            request=request,
        )
    return await FourEyesRequest.get(id=request_id)


async def reject_request(
    request_id: int, principal: Principal, reason: str | None
) -> FourEyesRequest:
    """Reject a pending request (or withdraw one's own), with a reason; nothing changes.

    Raises:
        PermissionDenied: the caller may not decide requests, or lacks the change's role.
        ReasonRequired, NotFound, PreconditionFailed (decided already), Conflict (decided
        meanwhile).
    """
    request = await _pending(request_id, principal)
    authorize(principal, request.operation)
    why = _reason(reason, "rejecting a request")

    async def work(conn: BaseDBAsyncClient) -> FourEyesRequest:
        updated = (
            await FourEyesRequest.filter(id=request_id, status="pending")
            .using_db(conn)
            .update(
                status="rejected",
                decided_by=actor_id(principal),
                decided_at=now(),
                decision_reason=why,
            )
        )
        if updated != 1:
            raise Conflict(f"request {request_id} was decided meanwhile", code="CONFLICT")
        await audit(
            principal,
            f"{request.operation}.reject_request",
            f"Loan:{request.loan_id}",  # type: ignore[attr-defined]
            after={"request": request_id, "reason": why},
            connection=conn,
        )
        return await FourEyesRequest.filter(id=request_id).using_db(conn).get()

    return await atomic(work, what=f"rejecting request {request_id}")


async def pending_requests(
    principal: Principal, *, loan_id: int | None = None, limit: int = 100
) -> list[FourEyesRequest]:
    """Pending requests within the caller's branches, oldest first."""
    query = scoped_rows(principal, FourEyesRequest).filter(status="pending")
    if loan_id is not None:
        query = query.filter(loan_id=loan_id)
    return await query.order_by("id").limit(limit)
