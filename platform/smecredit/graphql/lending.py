"""GraphQL API of the credit lifecycle: applications, approvals, loans' schedules and
repayments, close-of-business results, products, and status-change subscriptions.

Every mutation returns a union of the updated object and the business-rule errors, so a
client handles a refusal (``InvalidTransition``, ``NotAuthorized``, ``ReasonRequired``...)
as data with a stable ``code``; unexpected failures still surface as GraphQL errors.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import AsyncGenerator, Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry
from strawberry import relay
from tortoise import connections

from smecredit import models
from smecredit.domain.classification import LoanClass
from smecredit.domain.loan_states import DEFAULT_POLICY, LoanState, TransitionContext
from smecredit.domain.loan_states import allowed_actions as domain_allowed_actions
from smecredit.domain.products import ProductTerms
from smecredit.domain.schedules import RepaymentMethod, RescheduleTerms
from smecredit.graphql.auth import require_user
from smecredit.graphql.business_errors import BusinessError, Errors, as_business_error
from smecredit.graphql.loans import LoanType
from smecredit.graphql.pagination import Connection, SortSpec, paginate
from smecredit.graphql.scalars import parse_global_id
from smecredit.security.caller import signed_in
from smecredit.security.principal import Principal
from smecredit.security.row_scope import scoped
from smecredit.services.lending import applications as app_service
from smecredit.services.lending import disbursement, events
from smecredit.services.lending import products as product_service
from smecredit.services.lending import repayments as repayment_service

if TYPE_CHECKING:
    from smecredit.graphql.decisions import DecisionOverrideType, RequiredApprovalType
    from smecredit.graphql.firms import FirmType
    from smecredit.graphql.scoring import ApplicationScoreType

__all__ = [
    "ApplicationResult",
    "ClassOverride",
    "ExpectedVersion",
    "LendingMutations",
    "LendingQueries",
    "LendingSubscriptions",
    "LoanApplicationType",
    "loan_classification_history",
    "loan_repayments",
    "loan_schedule",
    "loan_transitions",
]

T = TypeVar("T")

# ---------------------------------------------------------------------------- errors


async def _guard(call: Awaitable[T]) -> T | BusinessError:
    try:
        return await call
    except Exception as exc:
        return as_business_error(exc)


# ---------------------------------------------------------------------------- types


@strawberry.type(name="Product", description="A loan product and the terms it allows.")
class ProductType:
    code: str
    name: str
    amount_min: Decimal
    amount_max: Decimal
    term_months_min: int
    term_months_max: int
    rate_min: Decimal
    rate_max: Decimal
    methods: list[str]
    grace_period_days: int
    penalty_multiplier: Decimal | None
    penalty_rate_absolute: Decimal | None
    active: bool
    version: int

    @classmethod
    def from_model(cls, row: models.Product) -> ProductType:
        return cls(
            code=row.code,
            name=row.name,
            amount_min=row.amount_min,
            amount_max=row.amount_max,
            term_months_min=row.term_months_min,
            term_months_max=row.term_months_max,
            rate_min=row.rate_min,
            rate_max=row.rate_max,
            methods=list(row.methods),
            grace_period_days=row.grace_period_days,
            penalty_multiplier=row.penalty_multiplier,
            penalty_rate_absolute=row.penalty_rate_absolute,
            active=row.active,
            version=row.version,
        )


@strawberry.type(name="Transition", description="One applied lifecycle action (the journal).")
class TransitionType:
    action: str
    from_state: str
    to_state: str
    actor: str
    at: dt.datetime
    reason: str | None

    @classmethod
    def from_model(cls, row: models.ApplicationTransition) -> TransitionType:
        return cls(
            action=row.action,
            from_state=row.from_state,
            to_state=row.to_state,
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


@strawberry.type(name="Instalment", description="One line of the active repayment schedule.")
class InstalmentType:
    number: int
    due_date: dt.date
    principal: Decimal
    interest: Decimal
    penalty_accrued: Decimal
    paid_principal: Decimal
    paid_interest: Decimal
    paid_penalty: Decimal
    status: str


@strawberry.type(name="AllocationLine", description="Money applied to one instalment component.")
class AllocationLineType:
    instalment: int
    component: str
    amount: Decimal


@strawberry.type(name="Repayment", description="A repayment received, or its reversal.")
class RepaymentType:
    db_id: int
    idempotency_key: str
    amount: Decimal
    received_on: dt.date
    allocation: list[AllocationLineType]
    credit_added: Decimal
    credit_balance_after: Decimal
    reversed_at: dt.datetime | None
    reversal_of_id: int | None

    @classmethod
    def from_model(cls, row: models.Repayment) -> RepaymentType:
        return cls(
            db_id=row.id,
            idempotency_key=row.idempotency_key,
            amount=row.amount,
            received_on=row.received_on,
            allocation=[
                AllocationLineType(
                    instalment=int(x["instalment"]),
                    component=x["component"],
                    amount=Decimal(x["amount"]),
                )
                for x in row.allocation
            ],
            credit_added=row.credit_added,
            credit_balance_after=row.credit_balance_after,
            reversed_at=row.reversed_at,
            reversal_of_id=row.reversal_of_id,  # type: ignore[attr-defined]
        )


@strawberry.type(name="ClassificationRecord", description="A loan's class when it changed.")
class ClassificationRecordType:
    as_of: dt.date
    dpd: int
    loan_class: str
    stage: int
    overridden: bool
    actor: str
    reason: str | None


@strawberry.type(name="LoanApplication", description="A credit application and its lifecycle.")
class LoanApplicationType(relay.Node):
    db_id: relay.NodeID[int]
    state: str
    amount: Decimal
    term_months: int
    annual_rate: Decimal
    repayment_method: str
    purpose: str
    guarantee_type: str
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
            state=row.state,
            amount=row.amount,
            term_months=row.term_months,
            annual_rate=row.annual_rate,
            repayment_method=row.repayment_method,
            purpose=row.purpose,
            guarantee_type=row.guarantee_type,
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

    @strawberry.field(description="The lifecycle journal, oldest first.")
    async def transitions(self) -> list[TransitionType]:
        rows = await models.ApplicationTransition.filter(application_id=self.db_id).order_by("id")
        return [TransitionType.from_model(r) for r in rows]

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

        grades = [o for o in await application_overrides(self.db_id) if o.kind == "grade"]
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

    @strawberry.field(description="Actions the caller could take now (a reason may be asked).")
    async def allowed_actions(self, info: strawberry.Info) -> list[str]:
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
        actions = domain_allowed_actions(LoanState(self.state), ctx, DEFAULT_POLICY)
        return [a.value for a in actions]


# ------------------------------------------------------------- Loan fields (by lazy ref)


async def loan_schedule(info: strawberry.Info, loan_id: int) -> list[InstalmentType]:
    """The loan's active schedule."""
    rows = await models.ScheduledInstalment.filter(loan_id=loan_id, active=True).order_by("number")
    return [
        InstalmentType(
            number=r.number,
            due_date=r.due_date,
            principal=r.principal,
            interest=r.interest,
            penalty_accrued=r.penalty_accrued,
            paid_principal=r.paid_principal,
            paid_interest=r.paid_interest,
            paid_penalty=r.paid_penalty,
            status=r.status,
        )
        for r in rows
    ]


async def loan_repayments(info: strawberry.Info, loan_id: int) -> list[RepaymentType]:
    """The loan's repayments and reversals, oldest first."""
    rows = await models.Repayment.filter(loan_id=loan_id).order_by("id")
    return [RepaymentType.from_model(r) for r in rows]


async def loan_transitions(info: strawberry.Info, loan_id: int) -> list[TransitionType]:
    """Lifecycle transitions that involved the loan."""
    rows = await models.ApplicationTransition.filter(loan_id=loan_id).order_by("id")
    return [TransitionType.from_model(r) for r in rows]


async def loan_classification_history(
    info: strawberry.Info, loan_id: int
) -> list[ClassificationRecordType]:
    """The loan's classification changes, oldest first."""
    rows = await models.ClassificationHistory.filter(loan_id=loan_id).order_by("as_of", "id")
    return [
        ClassificationRecordType(
            as_of=r.as_of,
            dpd=r.dpd,
            loan_class=r.loan_class,
            stage=r.stage,
            overridden=r.overridden,
            actor=r.actor,
            reason=r.reason,
        )
        for r in rows
    ]


# ---------------------------------------------------------------------------- results

ApplicationResult = Annotated[LoanApplicationType | Errors, strawberry.union("ApplicationResult")]
RepaymentResult = Annotated[RepaymentType | Errors, strawberry.union("RepaymentResult")]
ProductResult = Annotated[ProductType | Errors, strawberry.union("ProductResult")]
LoanResult = Annotated[LoanType | Errors, strawberry.union("LoanResult")]


@strawberry.input(description="Product terms.")
class ProductTermsInput:
    amount_min: Decimal
    amount_max: Decimal
    term_months_min: int
    term_months_max: int
    rate_min: Decimal
    rate_max: Decimal
    methods: list[str]
    grace_period_days: int = 0
    penalty_multiplier: Decimal | None = Decimal("1.5")
    penalty_rate_absolute: Decimal | None = None

    def to_domain(self) -> ProductTerms:
        return ProductTerms(
            amount_min=self.amount_min,
            amount_max=self.amount_max,
            term_months_min=self.term_months_min,
            term_months_max=self.term_months_max,
            rate_min=self.rate_min,
            rate_max=self.rate_max,
            methods=frozenset(RepaymentMethod(m) for m in self.methods),
            grace_period_days=self.grace_period_days,
            penalty_multiplier=self.penalty_multiplier,
            penalty_rate_absolute=self.penalty_rate_absolute,
        )


@strawberry.input(description="A new credit application.")
class CreateApplicationInput:
    firm_id: relay.GlobalID
    product_code: str
    amount: Decimal
    term_months: int
    annual_rate: Decimal
    repayment_method: str
    purpose: str = ""
    guarantee_type: str = "credit"
    collateral_description: str = ""


@strawberry.enum(description="Five-category classes a risk officer may set by hand.")
class ClassOverride(enum.Enum):
    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"


#: The optimistic-lock argument of every mutation that changes an application, loan or product.
ExpectedVersion = Annotated[
    int | None,
    strawberry.argument(
        description=(
            "The version you read of the object the id names: if it changed since, the "
            "result is Conflict (code CONFLICT) and nothing changes."
        )
    ),
]


def _app_id(id: relay.GlobalID) -> int:
    return parse_global_id(id, "LoanApplication")


def _loan_id(id: relay.GlobalID) -> int:
    return parse_global_id(id, "Loan")


async def _application(
    info: strawberry.Info, id: relay.GlobalID, work: Any
) -> LoanApplicationType | BusinessError:
    async def go() -> LoanApplicationType:
        user = require_user(info)
        app_id = _app_id(id)
        return LoanApplicationType.from_model(await work(app_id, user))

    return await _guard(go())


async def _loan(
    info: strawberry.Info, id: relay.GlobalID, work: Any
) -> LoanApplicationType | BusinessError:
    async def go() -> LoanApplicationType:
        user = require_user(info)
        loan_id = _loan_id(id)
        return LoanApplicationType.from_model(await work(loan_id, user))

    return await _guard(go())


def _reasoned(
    service: Callable[..., Awaitable[Any]],
    reason: str | None,
    expected_version: int | None,
) -> Callable[[int, Principal], Awaitable[Any]]:
    """The work of a step that takes a reason: ``service(id, user, reason, expected_version=)``."""

    async def work(target: int, user: Principal) -> Any:
        return await service(target, user, reason, expected_version=expected_version)

    return work


@strawberry.type
class LendingMutations:
    @strawberry.mutation(description="Draft a credit application.")
    async def create_application(
        self, info: strawberry.Info, input: CreateApplicationInput
    ) -> ApplicationResult:
        async def go() -> LoanApplicationType:
            row = await app_service.create_application(
                require_user(info),
                firm_id=parse_global_id(input.firm_id, "Firm"),
                product_code=input.product_code,
                amount=input.amount,
                term_months=input.term_months,
                annual_rate=input.annual_rate,
                repayment_method=input.repayment_method,
                purpose=input.purpose,
                guarantee_type=input.guarantee_type,
                collateral_description=input.collateral_description,
            )
            return LoanApplicationType.from_model(row)

        return await _guard(go())  # type: ignore[return-value]

    @strawberry.mutation(
        description="Submit a complete draft or returned application; it is scored at once "
        "(see LoanApplication.score)."
    )
    async def submit_application(
        self, info: strawberry.Info, id: relay.GlobalID, expected_version: ExpectedVersion = None
    ) -> ApplicationResult:
        found = getattr(getattr(info.context, "plugins", None), "scoring_models", None)

        async def work(app_id: int, user: Principal) -> Any:
            return await app_service.submit(
                app_id, user, scoring_models=found or None, expected_version=expected_version
            )

        return await _application(info, id, work)  # type: ignore[return-value]

    @strawberry.mutation(description="Take a submitted or appealed application into review.")
    async def start_review(
        self,
        info: strawberry.Info,
        id: relay.GlobalID,
        expected_version: ExpectedVersion = None,
    ) -> ApplicationResult:
        async def work(app_id: int, user: Principal) -> Any:
            return await app_service.start_review(app_id, user, expected_version=expected_version)

        return await _application(info, id, work)  # type: ignore[return-value]

    @strawberry.mutation(description="Return an application to its maker (reason required).")
    async def return_application(
        self,
        info: strawberry.Info,
        id: relay.GlobalID,
        reason: str | None = None,
        expected_version: ExpectedVersion = None,
    ) -> ApplicationResult:
        step = _reasoned(app_service.return_for_changes, reason, expected_version)
        return await _application(info, id, step)  # type: ignore[return-value]

    @strawberry.mutation(
        description="Approve (the state moves once the authority is met). Approving against "
        "the recommendation (above the suggested limit, a grade whose limit is zero, a rate "
        "outside the price band, a failed policy check) needs overrideReason and is "
        "recorded in LoanApplication.overrides."
    )
    async def approve_application(
        self,
        info: strawberry.Info,
        id: relay.GlobalID,
        reason: str | None = None,
        override_reason: str | None = None,
        expected_version: ExpectedVersion = None,
    ) -> ApplicationResult:
        async def work(app_id: int, user: Principal) -> Any:
            return await app_service.approve(
                app_id,
                user,
                reason,
                override_reason=override_reason,
                expected_version=expected_version,
            )

        return await _application(info, id, work)  # type: ignore[return-value]

    @strawberry.mutation(description="Reject an application under review (reason required).")
    async def reject_application(
        self,
        info: strawberry.Info,
        id: relay.GlobalID,
        reason: str | None = None,
        expected_version: ExpectedVersion = None,
    ) -> ApplicationResult:
        step = _reasoned(app_service.reject, reason, expected_version)
        return await _application(info, id, step)  # type: ignore[return-value]

    @strawberry.mutation(description="Appeal a rejection (reason: the grounds).")
    async def appeal_application(
        self,
        info: strawberry.Info,
        id: relay.GlobalID,
        reason: str | None = None,
        expected_version: ExpectedVersion = None,
    ) -> ApplicationResult:
        step = _reasoned(app_service.appeal, reason, expected_version)
        return await _application(info, id, step)  # type: ignore[return-value]

    @strawberry.mutation(description="Withdraw an application before review (maker only).")
    async def withdraw_application(
        self,
        info: strawberry.Info,
        id: relay.GlobalID,
        reason: str | None = None,
        expected_version: ExpectedVersion = None,
    ) -> ApplicationResult:
        step = _reasoned(app_service.withdraw, reason, expected_version)
        return await _application(info, id, step)  # type: ignore[return-value]

    @strawberry.mutation(description="Cancel an approved application (reason required).")
    async def cancel_application(
        self,
        info: strawberry.Info,
        id: relay.GlobalID,
        reason: str | None = None,
        expected_version: ExpectedVersion = None,
    ) -> ApplicationResult:
        step = _reasoned(app_service.cancel, reason, expected_version)
        return await _application(info, id, step)  # type: ignore[return-value]

    @strawberry.mutation(description="Take an approval back; review starts a new round.")
    async def undo_approval(
        self,
        info: strawberry.Info,
        id: relay.GlobalID,
        reason: str | None = None,
        expected_version: ExpectedVersion = None,
    ) -> ApplicationResult:
        step = _reasoned(app_service.undo_approval, reason, expected_version)
        return await _application(info, id, step)  # type: ignore[return-value]

    @strawberry.mutation(description="Issue the payment order: the loan is booked as disbursed.")
    async def disburse_loan(
        self, info: strawberry.Info, id: relay.GlobalID, expected_version: ExpectedVersion = None
    ) -> ApplicationResult:
        async def work(app_id: int, user: Principal) -> Any:
            return await disbursement.disburse(app_id, user, expected_version=expected_version)

        return await _application(info, id, work)  # type: ignore[return-value]

    @strawberry.mutation(description="Funds arrived: the loan becomes active with its schedule.")
    async def confirm_disbursement(
        self,
        info: strawberry.Info,
        id: relay.GlobalID,
        disbursed_on: dt.date | None = None,
        first_due: dt.date | None = None,
        expected_version: ExpectedVersion = None,
    ) -> ApplicationResult:
        async def work(app_id: int, user: Principal) -> Any:
            return await disbursement.confirm_disbursement(
                app_id,
                user,
                disbursed_on=disbursed_on,
                first_due=first_due,
                expected_version=expected_version,
            )

        return await _application(info, id, work)  # type: ignore[return-value]

    @strawberry.mutation(description="Undo a disbursement (admin, reason required).")
    async def undo_disbursement(
        self,
        info: strawberry.Info,
        id: relay.GlobalID,
        reason: str | None = None,
        expected_version: ExpectedVersion = None,
    ) -> ApplicationResult:
        step = _reasoned(disbursement.undo_disbursement, reason, expected_version)
        return await _application(info, id, step)  # type: ignore[return-value]

    @strawberry.mutation(description="Post a repayment; the same key and content is applied once.")
    async def post_repayment(
        self,
        info: strawberry.Info,
        loan_id: relay.GlobalID,
        idempotency_key: str,
        amount: Decimal,
        received_on: dt.date | None = None,
    ) -> RepaymentResult:
        async def go() -> RepaymentType:
            user = require_user(info)
            lid = _loan_id(loan_id)
            row = await repayment_service.post_repayment(
                lid, user, idempotency_key=idempotency_key, amount=amount, received_on=received_on
            )
            return RepaymentType.from_model(row)

        return await _guard(go())  # type: ignore[return-value]

    @strawberry.mutation(description="Reverse a posted repayment (admin, reason required).")
    async def reverse_repayment(
        self, info: strawberry.Info, repayment_id: int, reason: str | None = None
    ) -> RepaymentResult:
        async def go() -> RepaymentType:
            user = require_user(info)
            row = await repayment_service.reverse_repayment(repayment_id, user, reason)
            return RepaymentType.from_model(row)

        return await _guard(go())  # type: ignore[return-value]

    @strawberry.mutation(description="Replace an active loan's schedule (reason required).")
    async def reschedule_loan(
        self,
        info: strawberry.Info,
        loan_id: relay.GlobalID,
        annual_rate: Decimal,
        term_months: int,
        method: str,
        reason: str | None = None,
        first_due: dt.date | None = None,
        expected_version: ExpectedVersion = None,
    ) -> LoanResult:
        async def go() -> Any:
            user = require_user(info)
            lid = _loan_id(loan_id)
            await disbursement.reschedule_loan(
                lid,
                user,
                RescheduleTerms(annual_rate, term_months, RepaymentMethod(method), first_due),
                reason,
                expected_version=expected_version,
            )
            return LoanType.from_model(await models.Loan.get(id=lid))

        return await _guard(go())  # type: ignore[return-value]

    @strawberry.mutation(description="Set a loan's class by hand (risk roles, reason required).")
    async def override_classification(
        self,
        info: strawberry.Info,
        loan_id: relay.GlobalID,
        loan_class: ClassOverride,
        reason: str | None = None,
        expected_version: ExpectedVersion = None,
    ) -> LoanResult:
        async def go() -> Any:
            user = require_user(info)
            lid = _loan_id(loan_id)
            row = await repayment_service.override_classification(
                lid, user, LoanClass(loan_class.value), reason, expected_version=expected_version
            )
            return LoanType.from_model(row)

        return await _guard(go())  # type: ignore[return-value]

    @strawberry.mutation(description="Reinstate a written-off loan (reason required).")
    async def undo_write_off(
        self,
        info: strawberry.Info,
        loan_id: relay.GlobalID,
        reason: str | None = None,
        expected_version: ExpectedVersion = None,
    ) -> ApplicationResult:
        step = _reasoned(disbursement.undo_write_off, reason, expected_version)
        return await _loan(info, loan_id, step)  # type: ignore[return-value]

    @strawberry.mutation(description="Close a fully repaid loan.")
    async def close_loan(
        self,
        info: strawberry.Info,
        loan_id: relay.GlobalID,
        expected_version: ExpectedVersion = None,
    ) -> ApplicationResult:
        async def work(lid: int, user: Principal) -> Any:
            return await disbursement.close_loan(lid, user, expected_version=expected_version)

        return await _loan(info, loan_id, work)  # type: ignore[return-value]

    @strawberry.mutation(description="Define a loan product (admin).")
    async def create_product(
        self, info: strawberry.Info, code: str, name: str, terms: ProductTermsInput
    ) -> ProductResult:
        async def go() -> ProductType:
            row = await product_service.create_product(
                require_user(info), code=code, name=name, terms=terms.to_domain()
            )
            return ProductType.from_model(row)

        return await _guard(go())  # type: ignore[return-value]

    @strawberry.mutation(description="Change a product's name, terms or availability (admin).")
    async def update_product(
        self,
        info: strawberry.Info,
        code: str,
        name: str | None = None,
        terms: ProductTermsInput | None = None,
        active: bool | None = None,
        expected_version: ExpectedVersion = None,
    ) -> ProductResult:
        async def go() -> ProductType:
            row = await product_service.update_product(
                require_user(info),
                code,
                name=name,
                terms=terms.to_domain() if terms else None,
                active=active,
                expected_version=expected_version,
            )
            return ProductType.from_model(row)

        return await _guard(go())  # type: ignore[return-value]


# ---------------------------------------------------------------------------- queries


@strawberry.input(description="Filters for applications; all given conditions must hold.")
class ApplicationFilter:
    state: str | None = None
    branch_code: str | None = None
    maker_id: str | None = None


_APPLICATION_SORT = SortSpec("id_asc", "id")


@strawberry.type
class LendingQueries:
    @strawberry.field(description="Applications waiting for an action the caller can take.")
    async def approval_queue(self, info: strawberry.Info) -> list[LoanApplicationType]:
        user = signed_in(info.context)
        if user is None:
            return []
        rows = await app_service.approval_queue(user)
        visible = set(
            await scoped(info.context, models.LoanApplication)
            .filter(id__in=[r.id for r in rows])
            .values_list("id", flat=True)
        )
        return [LoanApplicationType.from_model(r) for r in rows if r.id in visible]

    @strawberry.field(description="One application by its global id.")
    async def application(
        self, info: strawberry.Info, id: relay.GlobalID
    ) -> LoanApplicationType | None:
        row = await scoped(info.context, models.LoanApplication).get_or_none(id=_app_id(id))
        return LoanApplicationType.from_model(row) if row else None

    @strawberry.field(description="Applications visible to the caller, paged.")
    async def applications(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: ApplicationFilter | None = None,
    ) -> Connection[LoanApplicationType]:
        qs = scoped(info.context, models.LoanApplication)
        if filter is not None:
            if filter.state:
                qs = qs.filter(state=filter.state)
            if filter.branch_code:
                qs = qs.filter(branch_code=filter.branch_code)
            if filter.maker_id:
                qs = qs.filter(maker_id=filter.maker_id)
        return await paginate(
            qs,
            sort=_APPLICATION_SORT,
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=LoanApplicationType.from_model,
        )

    @strawberry.field(description="Loan products (active ones unless asked otherwise).")
    async def products(self, include_inactive: bool = False) -> list[ProductType]:
        qs = models.Product.all() if include_inactive else models.Product.filter(active=True)
        return [ProductType.from_model(p) for p in await qs.order_by("code")]


# ---------------------------------------------------------------------------- subscriptions


@strawberry.type(name="ApplicationStatusChange", description="A committed lifecycle transition.")
class ApplicationStatusChangeType:
    application_id: relay.GlobalID
    action: str
    from_state: str
    to_state: str
    actor: str
    at: dt.datetime


@strawberry.type
class LendingSubscriptions:
    @strawberry.subscription(description="Status changes of applications the caller may see.")
    async def application_status_changed(
        self, info: strawberry.Info, id: relay.GlobalID | None = None
    ) -> AsyncGenerator[ApplicationStatusChangeType, None]:
        user = require_user(info)
        wanted = _app_id(id) if id is not None else None
        async for change in events.subscribe():
            if wanted is not None and change.application_id != wanted:
                continue
            if not user.is_head_office and change.branch_code != user.branch_code:
                continue
            yield ApplicationStatusChangeType(
                application_id=relay.GlobalID("LoanApplication", str(change.application_id)),
                action=change.action,
                from_state=change.from_state,
                to_state=change.to_state,
                actor=change.actor,
                at=change.at,
            )
