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
import enum
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
from smecredit.domain.decision_overrides import Finding
from smecredit.domain.errors import DomainError
from smecredit.domain.loan_states import LoanState
from smecredit.graphql.auth import require_user
from smecredit.graphql.lending.enums import (
    FourEyesOperation,
    FourEyesRequestStatus,
    LoanClassification,
    OverrideKind,
    label_in,
)
from smecredit.graphql.lending.inputs import ClassOverride, ExpectedVersion
from smecredit.graphql.lending.loans import LoanType
from smecredit.graphql.lending.types import ApplicationResult, LoanApplicationType
from smecredit.graphql.nodes import scoped_nodes
from smecredit.graphql.pagination import Connection, SortSpec, paginate
from smecredit.graphql.results import BusinessError, Errors, guard
from smecredit.graphql.scalars import parse_global_id
from smecredit.i18n import language_of, translate
from smecredit.security.principal import Principal
from smecredit.security.row_scope import scoped
from smecredit.services.lending import decisions, four_eyes_requests

__all__ = [
    "ApprovalFindingType",
    "DecisionMutations",
    "DecisionOverrideType",
    "DecisionQueries",
    "FourEyesRequestFilter",
    "FourEyesRequestSort",
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
    kind: OverrideKind
    system_value: str | None = strawberry.field(description="What the system recommended.")
    decided_value: str = strawberry.field(description="What was decided.")
    reason: str
    actor: str = strawberry.field(description="Who decided.")
    at: dt.datetime
    approval_round: int

    @strawberry.field(description="The kind in the caller's language.")
    def kind_label(self, info: strawberry.Info) -> str:
        return label_in(info, "overrideKind", self.kind) or ""

    @strawberry.field(description="What the kind means, in words, in the caller's language.")
    def description(self, info: strawberry.Info) -> str:
        return label_in(info, "overrideKindText", self.kind) or ""

    @classmethod
    def from_model(cls, row: models.DecisionOverride) -> DecisionOverrideType:
        return cls(
            kind=OverrideKind(row.kind),
            system_value=row.system_value,
            decided_value=row.decided_value,
            reason=row.reason,
            actor=row.actor,
            at=row.at,
            approval_round=row.approval_round,
        )


@strawberry.type(
    name="ApprovalFinding",
    description="How approving now would depart from the recommendation (needs an "
    "override reason): the system's value and what would be decided.",
)
class ApprovalFindingType:
    kind: OverrideKind
    system_value: str | None = strawberry.field(description="What the system recommended.")
    decided_value: str = strawberry.field(description="What approving now would decide.")
    detail: str = strawberry.field(
        description="The finding in one sentence (English, for support; show `kindLabel` "
        "and `description` to people)."
    )

    @strawberry.field(description="The kind in the caller's language.")
    def kind_label(self, info: strawberry.Info) -> str:
        return label_in(info, "overrideKind", self.kind) or ""

    @strawberry.field(description="What the kind means, in words, in the caller's language.")
    def description(self, info: strawberry.Info) -> str:
        return label_in(info, "overrideKindText", self.kind) or ""

    @classmethod
    def of(cls, finding: Finding) -> ApprovalFindingType:
        return cls(
            kind=OverrideKind(finding.kind),
            system_value=finding.system_value,
            decided_value=finding.decided_value,
            detail=finding.text,
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
    #: catalogue key of the sentence, and the English the domain wrote (its ``detail``)
    _key: strawberry.Private[str]
    _detail: strawberry.Private[str]

    @strawberry.field(description="The rule in the caller's language.")
    def rule_label(self, info: strawberry.Info) -> str:
        return _rule_label(self.rule, language_of(info.context))

    @strawberry.field(description="The same, in words, in the caller's language.")
    def text(self, info: strawberry.Info) -> str:
        language = language_of(info.context)
        roles = translate("approvalRole.OR", language).join(
            translate(f"approvalRole.{r.upper()}", language, default=r) for r in self.roles
        )
        params = {
            "count": self.count,
            "roles": roles,
            "rule": _rule_label(self.rule, language),
            "detail": self._detail,
        }
        return translate(self._key, language, params, default=self._detail)


def _rule_label(rule: str, language: str) -> str:
    return translate(f"authorityRule.{rule.upper()}", language, default=rule)


@strawberry.type(
    name="FourEyesRequest", description="A change waiting for a second person's approval."
)
class FourEyesRequestType(relay.Node):
    db_id: relay.NodeID[int]
    operation: FourEyesOperation
    loan_id: relay.GlobalID = strawberry.field(description="The loan's global id.")
    loan_class: LoanClassification | None = strawberry.field(
        description="The class asked for (classification overrides)."
    )
    reason: str
    requested_by: str
    requested_at: dt.datetime
    status: FourEyesRequestStatus
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_reason: str | None

    @strawberry.field(description="The operation in the caller's language.")
    def operation_label(self, info: strawberry.Info) -> str:
        return label_in(info, "fourEyesOperation", self.operation) or ""

    @strawberry.field(description="The status in the caller's language.")
    def status_label(self, info: strawberry.Info) -> str:
        return label_in(info, "fourEyesRequestStatus", self.status) or ""

    @strawberry.field(description="The class asked for, in the caller's language.")
    def loan_class_label(self, info: strawberry.Info) -> str | None:
        return label_in(info, "loanClass", self.loan_class)

    @strawberry.field(description="The loan the request is about.")
    async def loan(self, info: strawberry.Info) -> LoanType | None:
        row = await scoped(info.context, models.Loan).get_or_none(id=int(self.loan_id.node_id))
        return LoanType.from_model(row) if row else None

    @classmethod
    def from_model(cls, row: models.FourEyesRequest) -> FourEyesRequestType:
        asked = (row.payload or {}).get("loan_class")
        return cls(
            db_id=row.id,
            operation=FourEyesOperation(row.operation),
            loan_id=relay.GlobalID("Loan", str(row.loan_id)),  # type: ignore[attr-defined]
            loan_class=LoanClassification(asked) if asked else None,
            reason=row.reason,
            requested_by=row.requested_by,
            requested_at=row.requested_at,
            status=FourEyesRequestStatus(row.status),
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            decision_reason=row.decision_reason,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[FourEyesRequestType | None]:
        return await scoped_nodes(info, models.FourEyesRequest, node_ids, cls.from_model)


@strawberry.input(description="Filters for four-eyes requests; all given conditions must hold.")
class FourEyesRequestFilter:
    status: FourEyesRequestStatus | None = strawberry.field(
        default=FourEyesRequestStatus.PENDING,
        description="Default PENDING (the requests waiting for a second person); null: any.",
    )
    loan_id: relay.GlobalID | None = None
    operation: FourEyesOperation | None = None


@strawberry.enum(description="Orderings of the four-eyes request list.")
class FourEyesRequestSort(enum.Enum):
    REQUESTED_ASC = "requested_asc"
    REQUESTED_DESC = "requested_desc"


_REQUEST_SORTS = {
    FourEyesRequestSort.REQUESTED_ASC: SortSpec("requested_asc", "id"),
    FourEyesRequestSort.REQUESTED_DESC: SortSpec("requested_desc", "id", descending=True),
}


def _refusal(error: DomainError) -> RequiredApprovalType:
    """The one line of an application that cannot be routed: the refusal, in words."""
    return RequiredApprovalType(
        rule=error.code, count=0, roles=[], _key=f"errors.{error.code}", _detail=str(error)
    )


async def application_overrides(application_id: int) -> list[DecisionOverrideType]:
    """The application's overrides, oldest first."""
    rows = await models.DecisionOverride.filter(application_id=application_id).order_by("id")
    return [DecisionOverrideType.from_model(r) for r in rows]


async def required_approvals_of(app: LoanApplicationType) -> list[RequiredApprovalType]:
    """What an application under review still needs (empty in any other state)."""
    if app.status.value != LoanState.UNDER_REVIEW.value:
        return []
    try:
        requirement = required_approvals(app.amount, app.risk_grade)
    except GradeMissing as missing:
        return [_refusal(missing)]
    except DomainError as error:  # above every authority: nobody can approve it
        return [_refusal(error)]
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
            _key="requiredApproval.MORE",
            _detail=texts[0],
        )
    ]
    if senior:
        out.append(
            RequiredApprovalType(
                rule=requirement.rule,
                count=senior,
                roles=sorted(requirement.senior_roles),
                _key="requiredApproval.SENIOR",
                _detail=f"{texts[1]} (role {roles_text(requirement.senior_roles)})",
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
        async def go() -> LoanApplicationType:
            row = await decisions.override_grade(
                parse_global_id(application_id, "LoanApplication"),
                require_user(info),
                grade,
                reason,
                expected_version=expected_version,
            )
            return LoanApplicationType.from_model(row)

        return await guard(go())  # type: ignore[return-value]

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
        self, info: strawberry.Info, request_id: relay.GlobalID
    ) -> FourEyesRequestResult:
        async def go() -> models.FourEyesRequest:
            key = parse_global_id(request_id, "FourEyesRequest")
            return await four_eyes_requests.approve_request(key, require_user(info))

        return await _request_result(go())  # type: ignore[return-value]

    @strawberry.mutation(description="Reject (or withdraw) a pending request, with a reason.")
    async def reject_four_eyes_request(
        self, info: strawberry.Info, request_id: relay.GlobalID, reason: str | None = None
    ) -> FourEyesRequestResult:
        async def go() -> models.FourEyesRequest:
            key = parse_global_id(request_id, "FourEyesRequest")
            return await four_eyes_requests.reject_request(key, require_user(info), reason)

        return await _request_result(go())  # type: ignore[return-value]


@strawberry.type(
    name="OverrideRate",
    description="How often decisions of one kind went against the recommendation, and the "
    "fate of the overridden loans.",
)
class OverrideRateType:
    kind: OverrideKind
    overridden: int = strawberry.field(description="Applications with this kind of override.")
    decided: int = strawberry.field(description="Applications decided (approved or beyond).")
    rate: float | None = strawberry.field(description="overridden / decided.")
    loans: int = strawberry.field(description="Overridden applications that became loans.")
    non_performing: int = strawberry.field(
        description="Of those loans: substandard or worse, or written off."
    )

    @strawberry.field(description="The kind in the caller's language.")
    def kind_label(self, info: strawberry.Info) -> str:
        return label_in(info, "overrideKind", self.kind) or ""

    @strawberry.field(description="What the kind means, in words, in the caller's language.")
    def description(self, info: strawberry.Info) -> str:
        return label_in(info, "overrideKindText", self.kind) or ""


@strawberry.type
class DecisionQueries:
    @strawberry.field(
        description="Override rates by kind within the caller's branches (risk, approval, "
        "committee, audit and admin roles)."
    )
    async def decision_override_rates(self, info: strawberry.Info) -> list[OverrideRateType]:
        rows = await decisions.override_rates(require_user(info))
        # the service's English description is replaced by the catalogued one
        return [
            OverrideRateType(
                **{k: v for k, v in row.items() if k not in ("kind", "description")},
                kind=OverrideKind(row["kind"]),
            )
            for row in rows
        ]

    @strawberry.field(
        description="Four-eyes requests within the caller's branches, paged (default: the "
        "pending ones, oldest first)."
    )
    async def four_eyes_requests(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: FourEyesRequestFilter | None = None,
        sort: FourEyesRequestSort | None = None,
    ) -> Connection[FourEyesRequestType]:
        filter = filter or FourEyesRequestFilter()
        qs = scoped(info.context, models.FourEyesRequest)
        if filter.status is not None:
            qs = qs.filter(status=filter.status.value)
        if filter.loan_id is not None:
            qs = qs.filter(loan_id=parse_global_id(filter.loan_id, "Loan"))
        if filter.operation is not None:
            qs = qs.filter(operation=filter.operation.value)
        return await paginate(
            qs,
            sort=_REQUEST_SORTS[sort or FourEyesRequestSort.REQUESTED_ASC],
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=FourEyesRequestType.from_model,
        )
