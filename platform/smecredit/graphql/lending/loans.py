"""GraphQL types and queries for loans."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from tortoise.queryset import QuerySet

from smecredit import models
from smecredit.errors import InvalidInput, NotFound
from smecredit.graphql.pagination import Connection, SortSpec, paginate
from smecredit.graphql.results import Errors
from smecredit.graphql.scalars import parse_global_id
from smecredit.security.row_scope import scoped

if TYPE_CHECKING:
    from smecredit.graphql.firms import FirmType
    from smecredit.graphql.lending.types import TransitionType

__all__ = [
    "AllocationLineType",
    "ClassificationRecordType",
    "InstalmentType",
    "LoanFilter",
    "LoanQueries",
    "LoanSort",
    "LoanType",
    "RepaymentResult",
    "RepaymentType",
    "filtered_loans",
    "list_loans",
    "loan_classification_history",
    "loan_repayments",
    "loan_schedule",
    "loan_sort",
    "loan_transitions",
]

CLASSIFICATION_LABELS = {
    "normal": "正常",
    "special_mention": "关注",
    "substandard": "次级",
    "doubtful": "可疑",
    "loss": "损失",
}


@strawberry.enum(description="Five-category loan classification (五级分类).")
class LoanClassification(enum.Enum):
    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"


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
    from smecredit.graphql.lending.types import TransitionType

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


RepaymentResult = Annotated[RepaymentType | Errors, strawberry.union("RepaymentResult")]


@strawberry.type(name="Loan", description="A loan on the lender's book.")
class LoanType(relay.Node):
    db_id: relay.NodeID[int]
    loan_ref: str
    product: str
    principal: Decimal
    annual_rate: Decimal
    term_months: int
    repayment_method: str
    purpose: str
    guarantee_type: str
    status: str
    classification: LoanClassification
    days_past_due: int
    outstanding_principal: Decimal
    branch_code: str
    officer: str | None
    applied_on: dt.date | None
    approved_on: dt.date | None
    disbursed_on: dt.date | None
    maturity_on: dt.date | None
    closed_on: dt.date | None
    version: int
    _firm_id: strawberry.Private[int]

    @strawberry.field(description="Chinese label of the classification (正常/关注/次级/可疑/损失).")
    def classification_label(self) -> str:
        return CLASSIFICATION_LABELS[self.classification.value]

    @classmethod
    def from_model(cls, row: models.Loan) -> LoanType:
        return cls(
            db_id=row.id,
            loan_ref=row.loan_ref,
            product=row.product,
            principal=row.principal,
            annual_rate=row.annual_rate,
            term_months=row.term_months,
            repayment_method=row.repayment_method,
            purpose=row.purpose,
            guarantee_type=row.guarantee_type,
            status=row.status,
            classification=LoanClassification(row.classification),
            days_past_due=row.days_past_due,
            outstanding_principal=row.outstanding_principal,
            branch_code=row.branch_code,
            officer=row.officer,
            applied_on=row.applied_on,
            approved_on=row.approved_on,
            disbursed_on=row.disbursed_on,
            maturity_on=row.maturity_on,
            closed_on=row.closed_on,
            version=row.version,
            _firm_id=row.firm_id,  # type: ignore[attr-defined]
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[LoanType | None]:
        ids = [int(i) for i in node_ids]
        rows = {x.id: x for x in await scoped(info.context, models.Loan).filter(id__in=ids)}
        return [cls.from_model(rows[i]) if i in rows else None for i in ids]

    @strawberry.field(description="The borrowing firm.")
    async def firm(
        self, info: strawberry.Info
    ) -> Annotated[FirmType, strawberry.lazy("smecredit.graphql.firms")]:
        from smecredit.graphql.firms import FirmType

        row = await info.context.loaders.firm.load(self._firm_id)
        return FirmType.from_model(row)

    @strawberry.field(description="Open warnings about the borrowing firm.")
    async def open_warning_count(self, info: strawberry.Info) -> int | None:
        return int(await info.context.loaders.open_warning_count.load(self._firm_id))

    # Lifecycle fields (issue 5), resolved below.
    @strawberry.field(description="The active repayment schedule.")
    async def schedule(self, info: strawberry.Info) -> list[InstalmentType]:
        return await loan_schedule(info, self.db_id)

    @strawberry.field(description="Repayments and reversals, oldest first.")
    async def repayments(self, info: strawberry.Info) -> list[RepaymentType]:
        return await loan_repayments(info, self.db_id)

    @strawberry.field(description="Lifecycle transitions that involved this loan.")
    async def transitions(
        self, info: strawberry.Info
    ) -> list[Annotated[TransitionType, strawberry.lazy("smecredit.graphql.lending.types")]]:
        return await loan_transitions(info, self.db_id)

    @strawberry.field(description="Classification changes, oldest first.")
    async def classification_history(self, info: strawberry.Info) -> list[ClassificationRecordType]:
        return await loan_classification_history(info, self.db_id)


@strawberry.input(description="Filters for loans; all given conditions must hold.")
class LoanFilter:
    status: str | None = None
    classification: LoanClassification | None = None
    min_days_past_due: int | None = None
    max_days_past_due: int | None = None
    branch_code: str | None = None
    officer: str | None = None
    product: str | None = None


@strawberry.enum(description="Orderings of the loan list.")
class LoanSort(enum.Enum):
    ID_ASC = "id_asc"
    DPD_DESC = "dpd_desc"
    OUTSTANDING_DESC = "outstanding_desc"
    PRINCIPAL_DESC = "principal_desc"
    LOAN_REF_ASC = "loan_ref_asc"


_LOAN_SORTS = {
    LoanSort.ID_ASC: SortSpec("id_asc", "id"),
    LoanSort.DPD_DESC: SortSpec("dpd_desc", "days_past_due", descending=True),
    LoanSort.OUTSTANDING_DESC: SortSpec(
        "outstanding_desc", "outstanding_principal", descending=True
    ),
    LoanSort.PRINCIPAL_DESC: SortSpec("principal_desc", "principal", descending=True),
    LoanSort.LOAN_REF_ASC: SortSpec("loan_ref_asc", "loan_ref"),
}


def loan_sort(sort: LoanSort | None) -> SortSpec:
    """The ordering of ``sort`` (default: by id)."""
    return _LOAN_SORTS[sort or LoanSort.ID_ASC]


def filtered_loans(info: strawberry.Info, filter: LoanFilter | None) -> QuerySet[models.Loan]:
    """The loans the caller may see that match ``filter`` (no SQL yet)."""
    qs = scoped(info.context, models.Loan)
    if filter is not None:
        if filter.status:
            qs = qs.filter(status=filter.status)
        if filter.classification:
            qs = qs.filter(classification=filter.classification.value)
        if (
            filter.min_days_past_due is not None
            and filter.max_days_past_due is not None
            and filter.min_days_past_due > filter.max_days_past_due
        ):
            raise InvalidInput(
                "minDaysPastDue must not exceed maxDaysPastDue", code="INVALID_INPUT"
            )
        if filter.min_days_past_due is not None:
            qs = qs.filter(days_past_due__gte=filter.min_days_past_due)
        if filter.max_days_past_due is not None:
            qs = qs.filter(days_past_due__lte=filter.max_days_past_due)
        if filter.branch_code:
            qs = qs.filter(branch_code=filter.branch_code)
        if filter.officer:
            qs = qs.filter(officer=filter.officer)
        if filter.product:
            qs = qs.filter(product=filter.product)
    return qs


async def list_loans(
    info: strawberry.Info,
    *,
    first: int | None,
    after: str | None,
    filter: LoanFilter | None,
    sort: LoanSort | None,
) -> Connection[LoanType]:
    return await paginate(
        filtered_loans(info, filter),
        sort=loan_sort(sort),
        first=first,
        after=after,
        max_page_size=info.context.settings.max_page_size,
        to_node=LoanType.from_model,
    )


@strawberry.type
class LoanQueries:
    @strawberry.field(description="Loans visible to the caller, paged.")
    async def loans(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: LoanFilter | None = None,
        sort: LoanSort | None = None,
    ) -> Connection[LoanType]:
        return await list_loans(info, first=first, after=after, filter=filter, sort=sort)

    @strawberry.field(description="One loan by its global id.")
    async def loan(self, info: strawberry.Info, id: relay.GlobalID) -> LoanType:
        row = await scoped(info.context, models.Loan).get_or_none(id=parse_global_id(id, "Loan"))
        if row is None:
            raise NotFound(f"Loan {id} not found")
        return LoanType.from_model(row)
