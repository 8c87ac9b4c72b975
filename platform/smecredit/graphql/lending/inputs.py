"""GraphQL inputs and arguments of the credit lifecycle (applications, products, loans)."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry import relay

from smecredit.domain.products import ProductTerms
from smecredit.domain.schedules import RepaymentMethod
from smecredit.graphql.lending.enums import (
    ApplicationStatus,
    GuaranteeType,
    LoanClassification,
    RepaymentMethodEnum,
)
from smecredit.graphql.scalars import parse_global_id

__all__ = [
    "ApplicationFilter",
    "ApplicationSort",
    "ClassOverride",
    "CreateApplicationInput",
    "ExpectedVersion",
    "ProductTermsInput",
]


@strawberry.input(description="Product terms.")
class ProductTermsInput:
    amount_min: Decimal
    amount_max: Decimal
    term_months_min: int
    term_months_max: int
    rate_min: Decimal
    rate_max: Decimal
    methods: list[RepaymentMethodEnum]
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
            methods=frozenset(RepaymentMethod(m.value) for m in self.methods),
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
    repayment_method: RepaymentMethodEnum
    purpose: str = ""
    guarantee_type: GuaranteeType = GuaranteeType.CREDIT
    collateral_description: str = ""


#: The classes a risk officer may set by hand: every five-category class (one enum,
#: ``LoanClassification``, wherever a class is read or written).
ClassOverride = LoanClassification


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


@strawberry.input(description="Filters for applications; all given conditions must hold.")
class ApplicationFilter:
    status: ApplicationStatus | None = None
    branch_code: str | None = None
    maker_id: str | None = None


@strawberry.enum(description="Orderings of the application list.")
class ApplicationSort(enum.Enum):
    ID_ASC = "id_asc"
    UPDATED_ASC = "updated_asc"
    UPDATED_DESC = "updated_desc"


def _app_id(id: relay.GlobalID) -> int:
    return parse_global_id(id, "LoanApplication")


def _loan_id(id: relay.GlobalID) -> int:
    return parse_global_id(id, "Loan")
