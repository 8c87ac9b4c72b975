"""GraphQL API of credit decisions: grades, overrides, approvals still needed, four eyes.

* ``overrideApplicationGrade`` - a risk analyst changes the grade the model gave (reason);
* ``LoanApplication.overrides`` / ``gradeOverride`` - decisions against the recommendation,
  each with the system's and the decided value;
* ``LoanApplication.requiredApprovals`` - the approvals still missing, in words;
* ``requestWriteOff``, ``requestClassificationOverride``, ``approveFourEyesRequest``,
  ``rejectFourEyesRequest``, ``fourEyesRequests`` - changes that wait for a second person.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from strawberry import relay

from smecredit import models
from smecredit.domain.authority import (
    ApprovalRecord,
    GradeMissing,
    approvals_missing,
    required_approvals,
    roles_text,
    still_needed,
)
from smecredit.domain.classification import LoanClass
from smecredit.domain.decision_overrides import OVERRIDE_KINDS
from smecredit.domain.errors import DomainError
from smecredit.domain.loan_states import LoanState
from smecredit.graphql.auth import require_user
from smecredit.graphql.lending.inputs import ClassOverride, ExpectedVersion
from smecredit.graphql.lending.types import ApplicationResult, LoanApplicationType
from smecredit.graphql.results import BusinessError, Errors, as_business_error, guard
from smecredit.graphql.scalars import parse_global_id
from smecredit.security.caller import signed_in
from smecredit.security.principal import Principal
from smecredit.security.row_scope import scoped
from smecredit.services.lending import decisions, four_eyes_requests

__all__ = [
    "DecisionMutations",
    "DecisionOverrideType",
    "DecisionQueries",
    "FourEyesRequestType",
    "OverrideRateType",
    "RequiredApprovalType",
    "application_overrides",
    "required_approvals_of",
]


@strawberry.type(
    name="DecisionOverride",
    description="A decision against the recommendation: the system's and the decided value.",
)
class DecisionOverrideType:
    kind: str = strawberry.field(
        description="grade, zero_limit, above_limit, rate_outside or policy_check."
    )
    description: str = strawberry.field(description="What the kind means, in words.")
    system_value: str | None = strawberry.field(description="What the system recommended.")
    decided_value: str = strawberry.field(description="What was decided.")
    reason: str
    actor: str = strawberry.field(description="Who decided.")
    at: dt.datetime
    approval_round: int

    @classmethod
    def from_model(cls, row: models.DecisionOverride) -> DecisionOverrideType:
        return cls(
            kind=row.kind,
            description=OVERRIDE_KINDS.get(row.kind, row.kind),
            system_value=row.system_value,
            decided_value=row.decided_value,
            reason=row.reason,
            actor=row.actor,
            at=row.at,
            approval_round=row.approval_round,
        )


@strawberry.type(
    name="RequiredApproval",
    description="Approvals an application still needs under the authority matrix.",
)
class RequiredApprovalType:
    rule: str = strawberry.field(
        description="The authority rule that applies, or GRADE_MISSING when it cannot be routed."
    )
    count: int = strawberry.field(description="How many more approvals.")
    roles: list[str] = strawberry.field(description="Roles whose approval counts.")
    text: str = strawberry.field(description="The same, in words.")


@strawberry.type(
    name="FourEyesRequest", description="A change waiting for a second person's approval."
)
class FourEyesRequestType:
    db_id: int
    operation: str = strawberry.field(description="loan.write_off or loan.override_classification.")
    loan_id: relay.GlobalID
    loan_class: str | None = strawberry.field(description="The class asked for (overrides).")
    reason: str
    requested_by: str
    requested_at: dt.datetime
    status: str = strawberry.field(description="pending, approved or rejected.")
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_reason: str | None

    @classmethod
    def from_model(cls, row: models.FourEyesRequest) -> FourEyesRequestType:
        return cls(
            db_id=row.id,
            operation=row.operation,
            loan_id=relay.GlobalID("Loan", str(row.loan_id)),  # type: ignore[attr-defined]
            loan_class=(row.payload or {}).get("loan_class"),
            reason=row.reason,
            requested_by=row.requested_by,
            requested_at=row.requested_at,
            status=row.status,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            decision_reason=row.decision_reason,
        )


async def application_overrides(application_id: int) -> list[DecisionOverrideType]:
    """The application's overrides, oldest first."""
    rows = await models.DecisionOverride.filter(application_id=application_id).order_by("id")
    return [DecisionOverrideType.from_model(r) for r in rows]


async def required_approvals_of(app: LoanApplicationType) -> list[RequiredApprovalType]:
    """What an application under review still needs (empty in any other state)."""
    if app.state != LoanState.UNDER_REVIEW.value:
        return []
    try:
        requirement = required_approvals(app.amount, app.risk_grade)
    except GradeMissing as missing:
        return [RequiredApprovalType(rule=missing.code, count=0, roles=[], text=str(missing))]
    except DomainError as error:  # above every authority: nobody can approve it
        return [RequiredApprovalType(rule=error.code, count=0, roles=[], text=str(error))]
    rows = await models.Approval.filter(application_id=app.db_id, round=app.approval_round)
    approvals = [ApprovalRecord(a.approver, frozenset(a.roles)) for a in rows]
    texts = still_needed(requirement, approvals, app.maker_id)
    if not texts:
        return []
    total, senior = approvals_missing(requirement, approvals, app.maker_id)
    out = [
        RequiredApprovalType(
            rule=requirement.rule,
            count=total,
            roles=sorted(requirement.allowed_roles),
            text=texts[0],
        )
    ]
    if senior:
        out.append(
            RequiredApprovalType(
                rule=requirement.rule,
                count=senior,
                roles=sorted(requirement.senior_roles),
                text=f"{texts[1]} (role {roles_text(requirement.senior_roles)})",
            )
        )
    return out


FourEyesRequestResult = Annotated[
    FourEyesRequestType | Errors, strawberry.union("FourEyesRequestResult")
]


async def _request_result(work: object) -> FourEyesRequestType | BusinessError:
    row = await guard(work)  # type: ignore[arg-type]
    if isinstance(row, BusinessError):
        return row
    return FourEyesRequestType.from_model(row)


@strawberry.type
class DecisionMutations:
    @strawberry.mutation(
        description="Change the risk grade the model gave an application (risk analyst, "
        "reason required): recorded as an override; approvals of the round no longer stand."
    )
    async def override_application_grade(
        self,
        info: strawberry.Info,
        application_id: relay.GlobalID,
        grade: str,
        reason: str | None = None,
        expected_version: ExpectedVersion = None,
    ) -> ApplicationResult:
        try:
            row = await decisions.override_grade(
                parse_global_id(application_id, "LoanApplication"),
                require_user(info),
                grade,
                reason,
                expected_version=expected_version,
            )
        except Exception as exc:
            return as_business_error(exc)  # type: ignore[return-value]
        return LoanApplicationType.from_model(row)

    @strawberry.mutation(
        description="Ask for an active loan to be written off; another credit committee "
        "member approves the request (four eyes)."
    )
    async def request_write_off(
        self,
        info: strawberry.Info,
        loan_id: relay.GlobalID,
        reason: str | None = None,
        expected_version: ExpectedVersion = None,
    ) -> FourEyesRequestResult:
        user: Principal = require_user(info)
        return await _request_result(  # type: ignore[return-value]
            four_eyes_requests.request_write_off(
                parse_global_id(loan_id, "Loan"), user, reason, expected_version=expected_version
            )
        )

    @strawberry.mutation(
        description="Ask for a loan's class to be set by hand; a class better than days "
        "past due imply needs this request and another person's approval (four eyes)."
    )
    async def request_classification_override(
        self,
        info: strawberry.Info,
        loan_id: relay.GlobalID,
        loan_class: ClassOverride,
        reason: str | None = None,
        expected_version: ExpectedVersion = None,
    ) -> FourEyesRequestResult:
        user = require_user(info)
        return await _request_result(  # type: ignore[return-value]
            four_eyes_requests.request_classification_override(
                parse_global_id(loan_id, "Loan"),
                user,
                LoanClass(loan_class.value),
                reason,
                expected_version=expected_version,
            )
        )

    @strawberry.mutation(
        description="Approve another person's pending request: the change is made now."
    )
    async def approve_four_eyes_request(
        self, info: strawberry.Info, request_id: int
    ) -> FourEyesRequestResult:
        user = require_user(info)
        return await _request_result(  # type: ignore[return-value]
            four_eyes_requests.approve_request(request_id, user)
        )

    @strawberry.mutation(description="Reject (or withdraw) a pending request, with a reason.")
    async def reject_four_eyes_request(
        self, info: strawberry.Info, request_id: int, reason: str | None = None
    ) -> FourEyesRequestResult:
        user = require_user(info)
        return await _request_result(  # type: ignore[return-value]
            four_eyes_requests.reject_request(request_id, user, reason)
        )


@strawberry.type(
    name="OverrideRate",
    description="How often decisions of one kind went against the recommendation, and the "
    "fate of the overridden loans.",
)
class OverrideRateType:
    kind: str
    description: str
    overridden: int = strawberry.field(description="Applications with this kind of override.")
    decided: int = strawberry.field(description="Applications decided (approved or beyond).")
    rate: float | None = strawberry.field(description="overridden / decided.")
    loans: int = strawberry.field(description="Overridden applications that became loans.")
    non_performing: int = strawberry.field(
        description="Of those loans: substandard or worse, or written off."
    )


@strawberry.type
class DecisionQueries:
    @strawberry.field(
        description="Override rates by kind within the caller's branches (risk, approval, "
        "committee, audit and admin roles)."
    )
    async def decision_override_rates(self, info: strawberry.Info) -> list[OverrideRateType]:
        rows = await decisions.override_rates(require_user(info))
        return [OverrideRateType(**row) for row in rows]

    @strawberry.field(description="Requests waiting for a second approver, oldest first.")
    async def four_eyes_requests(
        self, info: strawberry.Info, loan_id: relay.GlobalID | None = None
    ) -> list[FourEyesRequestType]:
        user = signed_in(info.context)
        if user is None:
            return []
        lid = parse_global_id(loan_id, "Loan") if loan_id is not None else None
        rows = await four_eyes_requests.pending_requests(user, loan_id=lid)
        visible = set(
            await scoped(info.context, models.FourEyesRequest)
            .filter(id__in=[r.id for r in rows])
            .values_list("id", flat=True)
        )
        return [FourEyesRequestType.from_model(r) for r in rows if r.id in visible]
