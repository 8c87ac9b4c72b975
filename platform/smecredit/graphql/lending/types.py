"""GraphQL object types of the credit lifecycle: products, applications, approvals,
the transition journal, and the mutation result unions.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from tortoise import connections

from smecredit import models
from smecredit.domain.loan_states import DEFAULT_POLICY, LoanState, TransitionContext
from smecredit.domain.loan_states import allowed_actions as domain_allowed_actions
from smecredit.graphql.lending.enums import (
    ApplicationAction,
    ApplicationStatus,
    GuaranteeType,
    RepaymentMethodEnum,
    enum_of,
    label_in,
)
from smecredit.graphql.lending.loans import LoanType
from smecredit.graphql.nodes import nodes_in
from smecredit.graphql.pagination import Connection, SortSpec, paginate
from smecredit.graphql.results import Errors
from smecredit.i18n import label, language_of
from smecredit.security.caller import signed_in
from smecredit.security.row_scope import scoped
from smecredit.services.lending import applications as app_service
from smecredit.services.lending import disbursement

if TYPE_CHECKING:
    from smecredit.graphql.decision_support import DecisionSupportType
    from smecredit.graphql.decisions import (
        ApprovalFindingType,
        DecisionOverrideType,
        RequiredApprovalType,
    )
    from smecredit.graphql.firms import FirmType
    from smecredit.graphql.scoring import ApplicationScoreType

#: The journal reads in the order it was written.
_JOURNAL_ORDER = SortSpec("id_asc", "id")

__all__ = [
    "ApplicationResult",
    "ApprovalType",
    "LoanApplicationType",
    "LoanResult",
    "ProductResult",
    "ProductType",
    "SubmissionCheckType",
    "TransitionType",
]


@strawberry.type(
    name="SubmissionCheck",
    description="One check an application must pass before it is submitted (and that an "
    "approval checks again as a policy check).",
)
class SubmissionCheckType:
    code: str = strawberry.field(
        description="FIRM_IDENTITY, FINANCIAL_STATEMENT, BUREAU_SUMMARY, CONSENT (the "
        "firm's consent to bureau queries: grantConsent) or TERMS."
    )
    passed: bool
    missing: list[str] = strawberry.field(
        description="What is missing, one sentence each (English, for support; show `label` "
        "to people); empty when it passes."
    )

    @strawberry.field(description="The check in the caller's language.")
    def label(self, info: strawberry.Info) -> str:
        return label(  # the catalogue's key submissionCheck.<code>
            "submissionCheck", self.code, language_of(info.context)
        )


@strawberry.type(name="Product", description="A loan product and the terms it allows.")
class ProductType(relay.Node):
    db_id: relay.NodeID[int]
    code: str
    name: str
    amount_min: Decimal
    amount_max: Decimal
    term_months_min: int
    term_months_max: int
    rate_min: Decimal
    rate_max: Decimal
    methods: list[RepaymentMethodEnum]
    grace_period_days: int
    penalty_multiplier: Decimal | None
    penalty_rate_absolute: Decimal | None
    active: bool
    version: int

    @classmethod
    def from_model(cls, row: models.Product) -> ProductType:
        return cls(
            db_id=row.id,
            code=row.code,
            name=row.name,
            amount_min=row.amount_min,
            amount_max=row.amount_max,
            term_months_min=row.term_months_min,
            term_months_max=row.term_months_max,
            rate_min=row.rate_min,
            rate_max=row.rate_max,
            methods=[RepaymentMethodEnum(m) for m in row.methods],
            grace_period_days=row.grace_period_days,
            penalty_multiplier=row.penalty_multiplier,
            penalty_rate_absolute=row.penalty_rate_absolute,
            active=row.active,
            version=row.version,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[ProductType | None]:
        # The catalogue is not bound to a branch: every signed-in caller reads it.
        return await nodes_in(models.Product.all(), node_ids, cls.from_model)

    @strawberry.field(description="The repayment methods offered, in the caller's language.")
    def method_labels(self, info: strawberry.Info) -> list[str]:
        return [label_in(info, "repaymentMethod", m) or "" for m in self.methods]


@strawberry.type(name="Transition", description="One applied lifecycle action (the journal).")
class TransitionType:
    action: ApplicationAction
    from_status: ApplicationStatus
    to_status: ApplicationStatus
    actor: str
    at: dt.datetime
    reason: str | None

    @strawberry.field(description="The action in the caller's language.")
    def action_label(self, info: strawberry.Info) -> str:
        return label_in(info, "applicationAction", self.action) or ""

    @strawberry.field(description="The status before, in the caller's language.")
    def from_status_label(self, info: strawberry.Info) -> str:
        return label_in(info, "applicationStatus", self.from_status) or ""

    @strawberry.field(description="The status after, in the caller's language.")
    def to_status_label(self, info: strawberry.Info) -> str:
        return label_in(info, "applicationStatus", self.to_status) or ""

    @classmethod
    def from_model(cls, row: models.ApplicationTransition) -> TransitionType:
        return cls(
            action=ApplicationAction(row.action),
            from_status=ApplicationStatus(row.from_state),
            to_status=ApplicationStatus(row.to_state),
            actor=row.actor,
            at=row.at,
            reason=row.reason,
        )


@strawberry.type(name="Approval", description="An approval in an approval round.")
class ApprovalType:
    approver: str
    roles: list[str]
    at: dt.datetime
    reason: str | None
    round: int


@strawberry.type(name="LoanApplication", description="A credit application and its lifecycle.")
class LoanApplicationType(relay.Node):
    db_id: relay.NodeID[int]
    status: ApplicationStatus
    amount: Decimal
    term_months: int
    annual_rate: Decimal
    repayment_method: RepaymentMethodEnum
    purpose: str
    guarantee_type: GuaranteeType
    collateral_description: str
    maker_id: str
    branch_code: str
    risk_grade: str | None = strawberry.field(
        description="The decided grade the authority matrix routes on: the model's "
        "(systemGrade) unless a risk analyst overrode it (gradeOverride)."
    )
    system_grade: str | None = strawberry.field(
        description="The grade the champion model gave on submission (null: not scored)."
    )
    grade_model: str | None = strawberry.field(
        description="The champion that graded it: model family and version."
    )
    approval_round: int
    appeals_used: int
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    version: int
    _firm_id: strawberry.Private[int]
    _product_id: strawberry.Private[int]
    _loan_id: strawberry.Private[int | None]
    _rejected_at: strawberry.Private[dt.datetime | None]

    @classmethod
    def from_model(cls, row: models.LoanApplication) -> LoanApplicationType:
        return cls(
            db_id=row.id,
            status=ApplicationStatus(row.state),
            amount=row.amount,
            term_months=row.term_months,
            annual_rate=row.annual_rate,
            repayment_method=enum_of(RepaymentMethodEnum, row.repayment_method),
            purpose=row.purpose,
            guarantee_type=enum_of(GuaranteeType, row.guarantee_type),
            collateral_description=row.collateral_description,
            maker_id=row.maker_id,
            branch_code=row.branch_code,
            risk_grade=row.risk_grade,
            system_grade=row.system_grade,
            grade_model=(
                f"{row.grade_model_name} {row.grade_model_version}"
                if row.grade_model_name
                else None
            ),
            approval_round=row.approval_round,
            appeals_used=row.appeals_used,
            submitted_at=row.submitted_at,
            decided_at=row.decided_at,
            version=row.version,
            _firm_id=row.firm_id,  # type: ignore[attr-defined]
            _product_id=row.product_id,  # type: ignore[attr-defined]
            _loan_id=row.loan_id,  # type: ignore[attr-defined]
            _rejected_at=row.rejected_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[LoanApplicationType | None]:
        ids = [int(i) for i in node_ids]
        rows = {
            x.id: x for x in await scoped(info.context, models.LoanApplication).filter(id__in=ids)
        }
        return [cls.from_model(rows[i]) if i in rows else None for i in ids]

    @strawberry.field(description="The status in the caller's language.")
    def status_label(self, info: strawberry.Info) -> str:
        return label_in(info, "applicationStatus", self.status) or ""

    @strawberry.field(description="The guarantee type in the caller's language.")
    def guarantee_type_label(self, info: strawberry.Info) -> str:
        return label_in(info, "guaranteeType", self.guarantee_type) or ""

    @strawberry.field(description="The repayment method in the caller's language.")
    def repayment_method_label(self, info: strawberry.Info) -> str:
        return label_in(info, "repaymentMethod", self.repayment_method) or ""

    @strawberry.field(description="The applying firm.")
    async def firm(
        self, info: strawberry.Info
    ) -> Annotated[FirmType, strawberry.lazy("smecredit.graphql.firms")]:
        from smecredit.graphql.firms import FirmType

        return FirmType.from_model(await info.context.loaders.firm.load(self._firm_id))

    @strawberry.field(description="The product applied for.")
    async def product(self) -> ProductType:
        return ProductType.from_model(await models.Product.get(id=self._product_id))

    @strawberry.field(description="The booked loan, once disbursed.")
    async def loan(self, info: strawberry.Info) -> LoanType | None:
        if self._loan_id is None:
            return None
        row = await scoped(info.context, models.Loan).get_or_none(id=self._loan_id)
        return LoanType.from_model(row) if row else None

    @strawberry.field(
        description="The score made on submission: grade, PD, reasons, suggested limit and "
        "price band (null when no champion model could score it)."
    )
    async def score(
        self,
    ) -> Annotated[ApplicationScoreType, strawberry.lazy("smecredit.graphql.scoring")] | None:
        from smecredit.graphql.scoring import application_score_of

        return await application_score_of(self.db_id)

    @strawberry.field(
        description="The lifecycle journal (the application's history), oldest first, paged."
    )
    async def transitions(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[TransitionType]:
        return await paginate(
            models.ApplicationTransition.filter(application_id=self.db_id),
            sort=_JOURNAL_ORDER,
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=TransitionType.from_model,
        )

    @strawberry.field(description="Approvals of the current round.")
    async def approvals(self) -> list[ApprovalType]:
        rows = await models.Approval.filter(
            application_id=self.db_id, round=self.approval_round
        ).order_by("id")
        return [
            ApprovalType(
                approver=r.approver, roles=list(r.roles), at=r.at, reason=r.reason, round=r.round
            )
            for r in rows
        ]

    @strawberry.field(
        description="Decisions against the recommendation (grade overrides, approvals above "
        "the suggested limit ...), each with the system's and the decided value."
    )
    async def overrides(
        self,
    ) -> list[Annotated[DecisionOverrideType, strawberry.lazy("smecredit.graphql.decisions")]]:
        from smecredit.graphql.decisions import application_overrides

        return await application_overrides(self.db_id)

    @strawberry.field(
        description="The analyst's change of the model's grade now in force (null: none)."
    )
    async def grade_override(
        self,
    ) -> Annotated[DecisionOverrideType, strawberry.lazy("smecredit.graphql.decisions")] | None:
        from smecredit.graphql.decisions import application_overrides

        grades = [o for o in await application_overrides(self.db_id) if o.kind.value == "grade"]
        return grades[-1] if grades and grades[-1].decided_value == self.risk_grade else None

    @strawberry.field(
        description="Approvals still needed while under review (levels, roles, in words); "
        "rule GRADE_MISSING when the application has no grade to route on."
    )
    async def required_approvals(
        self,
    ) -> list[Annotated[RequiredApprovalType, strawberry.lazy("smecredit.graphql.decisions")]]:
        from smecredit.graphql.decisions import required_approvals_of

        return await required_approvals_of(self)

    @strawberry.field(
        description="The checks before submission, each passed or with what is missing "
        "(identity, evidence of the last year, consent, terms), as they stand now: a draft "
        "or returned application is submitted only when every one passes, and an approval "
        "with one failing goes against the recommendation."
    )
    async def submission_checks(self) -> list[SubmissionCheckType]:
        row = await models.LoanApplication.get(id=self.db_id)
        return [
            SubmissionCheckType(code=c.code, passed=c.passed, missing=list(c.missing))
            for c in await app_service.submission_checks(row)
        ]

    @strawberry.field(
        description="How approving now would go against the recommendation (above the "
        "suggested limit, a zero limit, a rate outside the price band, a failed policy "
        "check): each needs approveApplication's overrideReason. Empty when an approval "
        "would follow the recommendation, and outside review."
    )
    async def approval_findings(
        self,
    ) -> list[Annotated[ApprovalFindingType, strawberry.lazy("smecredit.graphql.decisions")]]:
        from smecredit.graphql.decisions import ApprovalFindingType

        if self.status not in (ApplicationStatus.UNDER_REVIEW,):
            return []
        row = await models.LoanApplication.get(id=self.db_id)
        return [ApprovalFindingType.of(f) for f in await app_service.approval_findings(row)]

    @strawberry.field(
        description="What an approver weighs: score, policy checks (pass / fail / exception "
        "with evidence), exposure before and after, repayment capacity, the suggested limit "
        "and price with their rule, peers and chart series (as of today)."
    )
    async def decision_support(
        self, info: strawberry.Info
    ) -> (
        Annotated[DecisionSupportType, strawberry.lazy("smecredit.graphql.decision_support")] | None
    ):
        # nullable: the field policy denies it to some roles, which must not null the parent
        from smecredit.graphql.decision_support import decision_support_of

        return await decision_support_of(info, self.db_id)

    @strawberry.field(
        description="Actions the caller could take now, named like their mutations (a reason "
        "may be asked)."
    )
    async def allowed_actions(self, info: strawberry.Info) -> list[ApplicationAction]:
        user = signed_in(info.context)
        if user is None:
            return []
        approvals = await models.Approval.filter(
            application_id=self.db_id, round=self.approval_round
        )
        from smecredit.domain.authority import ApprovalRecord

        product = await models.Product.get(id=self._product_id)
        outstanding: Decimal | None = None
        has_repayments = False
        if self._loan_id is not None:
            loan = await models.Loan.get(id=self._loan_id)
            outstanding = await disbursement.loan_balance_due(
                loan, dt.date.today(), connections.get("default")
            )
            has_repayments = await models.Repayment.filter(
                loan_id=self._loan_id, reversed_at__isnull=True, reversal_of_id__isnull=True
            ).exists()
        ctx = TransitionContext(
            actor_id=user.username,
            actor_roles=frozenset(user.roles),
            now=dt.datetime.now(dt.UTC),
            maker_id=self.maker_id,
            disburser_id=await app_service.disburser_of(
                await models.LoanApplication.get(id=self.db_id)
            ),
            approvals=tuple(ApprovalRecord(a.approver, frozenset(a.roles)) for a in approvals),
            amount=self.amount,
            risk_grade=self.risk_grade,
            rejected_at=self._rejected_at,
            appeals_used=self.appeals_used,
            product_max_amount=product.amount_max,
            outstanding=outstanding,
            has_repayments=has_repayments,
        )
        actions = domain_allowed_actions(LoanState(self.status.value), ctx, DEFAULT_POLICY)
        return [ApplicationAction(a.value) for a in actions]


ApplicationResult = Annotated[LoanApplicationType | Errors, strawberry.union("ApplicationResult")]
ProductResult = Annotated[ProductType | Errors, strawberry.union("ProductResult")]
LoanResult = Annotated[LoanType | Errors, strawberry.union("LoanResult")]
