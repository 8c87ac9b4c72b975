"""GraphQL types and queries of the loans on the book: the loan, its schedule, repayments,
classification history, and the ``loans`` / ``loan`` queries."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from smecredit import models
from smecredit.errors import InvalidInput, NotFound
from smecredit.graphql.lending.enums import (
    AllocationComponent,
    GuaranteeType,
    InstalmentStatus,
    LoanClassification,
    LoanStatus,
    RepaymentMethodEnum,
    enum_of,
    label_in,
)
from smecredit.graphql.nodes import scoped_nodes
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
    "LoanClassification",
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

#: Histories and repayments read oldest first, like the journal they are.
_BY_ID = SortSpec("id_asc", "id")
_BY_AS_OF = SortSpec("as_of_asc", "as_of")


async def _page(
    info: strawberry.Info,
    queryset: QuerySet[Any],
    sort: SortSpec,
    first: int | None,
    after: str | None,
    to_node: Any,
) -> Any:
    """A page of a loan's own list (one query per loan: these are read one loan at a time)."""
    return await paginate(
        queryset,
        sort=sort,
        first=first,
        after=after,
        max_page_size=info.context.settings.max_page_size,
        to_node=to_node,
    )


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
    status: InstalmentStatus

    @strawberry.field(description="The status in the caller's language.")
    def status_label(self, info: strawberry.Info) -> str:
        return label_in(info, "instalmentStatus", self.status) or ""


@strawberry.type(name="AllocationLine", description="Money applied to one instalment component.")
class AllocationLineType:
    instalment: int
    component: AllocationComponent
    amount: Decimal

    @strawberry.field(description="The component in the caller's language.")
    def component_label(self, info: strawberry.Info) -> str:
        return label_in(info, "allocationComponent", self.component) or ""


@strawberry.type(name="Repayment", description="A repayment received, or its reversal.")
class RepaymentType(relay.Node):
    db_id: relay.NodeID[int]
    idempotency_key: str
    amount: Decimal
    received_on: dt.date
    allocation: list[AllocationLineType]
    credit_added: Decimal
    credit_balance_after: Decimal
    reversed_at: dt.datetime | None
    _reversal_of_id: strawberry.Private[int | None]
    _loan_id: strawberry.Private[int]

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
                    component=AllocationComponent(x["component"]),
                    amount=Decimal(x["amount"]),
                )
                for x in row.allocation
            ],
            credit_added=row.credit_added,
            credit_balance_after=row.credit_balance_after,
            reversed_at=row.reversed_at,
            _reversal_of_id=row.reversal_of_id,  # type: ignore[attr-defined]
            _loan_id=row.loan_id,  # type: ignore[attr-defined]
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[RepaymentType | None]:
        return await scoped_nodes(info, models.Repayment, node_ids, cls.from_model)

    @strawberry.field(description="The repayment this one reverses (null: not a reversal).")
    async def reversal_of(self, info: strawberry.Info) -> RepaymentType | None:
        if self._reversal_of_id is None:
            return None
        row = await scoped(info.context, models.Repayment).get_or_none(id=self._reversal_of_id)
        return RepaymentType.from_model(row) if row else None

    @strawberry.field(description="The repaid loan.")
    async def loan(self, info: strawberry.Info) -> LoanType | None:
        row = await scoped(info.context, models.Loan).get_or_none(id=self._loan_id)
        return LoanType.from_model(row) if row else None


@strawberry.type(name="ClassificationRecord", description="A loan's class when it changed.")
class ClassificationRecordType:
    as_of: dt.date
    dpd: int
    loan_class: LoanClassification
    stage: int
    overridden: bool
    actor: str
    reason: str | None

    @strawberry.field(description="The class in the caller's language (正常 ... 损失).")
    def class_label(self, info: strawberry.Info) -> str:
        return label_in(info, "loanClass", self.loan_class) or ""

    @classmethod
    def from_model(cls, row: models.ClassificationHistory) -> ClassificationRecordType:
        return cls(
            as_of=row.as_of,
            dpd=row.dpd,
            loan_class=LoanClassification(row.loan_class),
            stage=row.stage,
            overridden=row.overridden,
            actor=row.actor,
            reason=row.reason,
        )


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
            status=InstalmentStatus(r.status),
        )
        for r in rows
    ]


async def loan_repayments(
    info: strawberry.Info, loan_id: int, first: int | None = None, after: str | None = None
) -> Connection[RepaymentType]:
    """The loan's repayments and reversals, oldest first."""
    qs = models.Repayment.filter(loan_id=loan_id)
    return await _page(info, qs, _BY_ID, first, after, RepaymentType.from_model)  # type: ignore[no-any-return]


async def loan_transitions(
    info: strawberry.Info, loan_id: int, first: int | None = None, after: str | None = None
) -> Connection[TransitionType]:
    """Lifecycle transitions that involved the loan, oldest first."""
    from smecredit.graphql.lending.types import TransitionType

    qs = models.ApplicationTransition.filter(loan_id=loan_id)
    return await _page(info, qs, _BY_ID, first, after, TransitionType.from_model)  # type: ignore[no-any-return]


async def loan_classification_history(
    info: strawberry.Info, loan_id: int, first: int | None = None, after: str | None = None
) -> Connection[ClassificationRecordType]:
    """The loan's classification changes, oldest first."""
    qs = models.ClassificationHistory.filter(loan_id=loan_id)
    return await _page(info, qs, _BY_AS_OF, first, after, ClassificationRecordType.from_model)  # type: ignore[no-any-return]


RepaymentResult = Annotated[RepaymentType | Errors, strawberry.union("RepaymentResult")]


@strawberry.type(name="Loan", description="A loan on the lender's book.")
class LoanType(relay.Node):
    db_id: relay.NodeID[int]
    loan_ref: str
    product: str
    principal: Decimal
    annual_rate: Decimal
    term_months: int
    repayment_method: RepaymentMethodEnum
    purpose: str
    guarantee_type: GuaranteeType
    status: LoanStatus
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

    @strawberry.field(
        description="The classification in the caller's language (正常/关注/次级/可疑/损失, "
        "Normal ... Loss)."
    )
    def classification_label(self, info: strawberry.Info) -> str:
        return label_in(info, "loanClass", self.classification) or ""

    @strawberry.field(description="The status in the caller's language.")
    def status_label(self, info: strawberry.Info) -> str:
        return label_in(info, "loanStatus", self.status) or ""

    @strawberry.field(description="The guarantee type in the caller's language.")
    def guarantee_type_label(self, info: strawberry.Info) -> str:
        return label_in(info, "guaranteeType", self.guarantee_type) or ""

    @strawberry.field(description="The repayment method in the caller's language.")
    def repayment_method_label(self, info: strawberry.Info) -> str:
        return label_in(info, "repaymentMethod", self.repayment_method) or ""

    @classmethod
    def from_model(cls, row: models.Loan) -> LoanType:
        return cls(
            db_id=row.id,
            loan_ref=row.loan_ref,
            product=row.product,
            principal=row.principal,
            annual_rate=row.annual_rate,
            term_months=row.term_months,
            repayment_method=enum_of(RepaymentMethodEnum, row.repayment_method),
            purpose=row.purpose,
            guarantee_type=enum_of(GuaranteeType, row.guarantee_type),
            status=enum_of(LoanStatus, row.status),
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
        return await scoped_nodes(info, models.Loan, node_ids, cls.from_model)

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

    @strawberry.field(description="Repayments and reversals, oldest first, paged.")
    async def repayments(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[RepaymentType]:
        return await loan_repayments(info, self.db_id, first, after)

    @strawberry.field(description="Lifecycle transitions that involved this loan, oldest first.")
    async def transitions(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[TransitionType, strawberry.lazy("smecredit.graphql.lending.types")]]:
        return await loan_transitions(info, self.db_id, first, after)

    @strawberry.field(description="Classification changes, oldest first, paged.")
    async def classification_history(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[ClassificationRecordType]:
        return await loan_classification_history(info, self.db_id, first, after)


@strawberry.input(description="Filters for loans; all given conditions must hold.")
class LoanFilter:
    status: LoanStatus | None = None
    classification: LoanClassification | None = None
    min_days_past_due: int | None = None
    max_days_past_due: int | None = None
    branch_code: str | None = None
    officer: str | None = None
    product: str | None = strawberry.field(
        default=None,
        description=(
            "The product, exactly: the code a loan was booked under (WC-EI), a product's name "
            "(the loans booked under its code), or the name an imported loan carries (小微经营贷)."
        ),
    )


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


def product_matches(product: str) -> Q:
    """Loans of ``product``: booked under it as a code or a name, or under the code of the
    catalogue product so named (loans store the code; imported books store a name)."""
    named = Subquery(models.Product.filter(name=product).values("code"))
    return Q(product=product) | Q(product__in=named)


def filtered_loans(info: strawberry.Info, filter: LoanFilter | None) -> QuerySet[models.Loan]:
    """The loans the caller may see that match ``filter`` (no SQL yet)."""
    qs = scoped(info.context, models.Loan)
    if filter is not None:
        if filter.status:
            qs = qs.filter(status=filter.status.value)
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
            qs = qs.filter(product_matches(filter.product))
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
