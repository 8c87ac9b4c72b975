"""The second approver's check, inside the transaction of the change it approves.

A write-off, and a classification better than days past due imply, are made only as the
approval of a pending :class:`~smecredit.models.FourEyesRequest` filed by someone else
(the four-eyes rules ``requester-approves-*`` of :mod:`smecredit.domain.four_eyes`). The
change's own service calls :func:`second_approval` in its transaction, so the request is
marked approved exactly when the change is made.
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from smecredit.domain.errors import PreconditionFailed
from smecredit.domain.four_eyes import (
    FourEyesViolation,
    enforce,
    rules_for,
    second_approval_step,
)
from smecredit.errors import Conflict
from smecredit.models import FourEyesRequest
from smecredit.security.principal import Principal
from smecredit.services.lending.support import actor_id, now

__all__ = ["HOW_TO_REQUEST", "second_approval"]

#: How a person files each change that needs a second approver (quoted in refusals).
HOW_TO_REQUEST: dict[str, str] = {
    "loan.write_off": (
        "request it (requestWriteOff) and another credit committee member approves the "
        "request (approveFourEyesRequest)"
    ),
    "loan.override_classification": (
        "request it (requestClassificationOverride) and another risk analyst or credit "
        "committee member approves the request (approveFourEyesRequest)"
    ),
}


async def second_approval(
    operation: str,
    loan_id: int,
    principal: Principal,
    request: FourEyesRequest | None,
    conn: BaseDBAsyncClient,
) -> None:
    """Check that ``principal`` approves another person's pending request, and mark it.

    Raises:
        FourEyesViolation: no request, or the caller filed it (code ``FOUR_EYES``).
        PreconditionFailed: the request is for another change or loan.
        Conflict: the request was decided meanwhile.
    """
    step = second_approval_step(operation)
    if request is None:
        rule = rules_for(step)[0]
        raise FourEyesViolation(
            f"four eyes ({rule.name}): {rule.text}; {HOW_TO_REQUEST[operation]}"
        )
    if request.operation != operation or request.loan_id != loan_id:  # type: ignore[attr-defined]
        raise PreconditionFailed(f"request {request.id} is not for this change of loan {loan_id}")
    enforce(step, actor_id(principal), {"requester": request.requested_by})
    updated = (
        await FourEyesRequest.filter(id=request.id, status="pending")
        .using_db(conn)
        .update(status="approved", decided_by=actor_id(principal), decided_at=now())
    )
    if updated != 1:
        raise Conflict(f"request {request.id} was already decided", code="CONFLICT")
