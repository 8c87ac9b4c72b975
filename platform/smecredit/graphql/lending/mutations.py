"""GraphQL mutations of the credit lifecycle: applications, approvals, loans, repayments and
products.

Every mutation returns a union of the updated object and the business-rule errors, so a
client handles a refusal (``InvalidTransition``, ``Forbidden``, ``ReasonRequired``...)
as data with a stable ``code``; unexpected failures still surface as GraphQL errors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import strawberry
from strawberry import relay

from smecredit import models
from smecredit.domain.classification import LoanClass
from smecredit.domain.schedules import RepaymentMethod, RescheduleTerms
from smecredit.graphql.auth import require_user
from smecredit.graphql.lending.enums import RepaymentMethodEnum
from smecredit.graphql.lending.inputs import (
    ClassOverride,
    CreateApplicationInput,
    ExpectedVersion,
    ProductTermsInput,
    _app_id,
    _loan_id,
)
from smecredit.graphql.lending.loans import LoanType, RepaymentResult, RepaymentType
from smecredit.graphql.lending.types import (
    ApplicationResult,
    LoanApplicationType,
    LoanResult,
    ProductResult,
    ProductType,
)
from smecredit.graphql.results import BusinessError, guard
from smecredit.graphql.scalars import parse_global_id
from smecredit.security.principal import Principal
from smecredit.services.lending import applications as app_service
from smecredit.services.lending import disbursement
from smecredit.services.lending import products as product_service
from smecredit.services.lending import repayments as repayment_service

__all__ = ["LendingMutations"]


async def _application(
    info: strawberry.Info, id: relay.GlobalID, work: Any
) -> LoanApplicationType | BusinessError:
    async def go() -> LoanApplicationType:
        user = require_user(info)
        app_id = _app_id(id)
        return LoanApplicationType.from_model(await work(app_id, user))

    return await guard(go())


async def _loan(
    info: strawberry.Info, id: relay.GlobalID, work: Any
) -> LoanApplicationType | BusinessError:
    async def go() -> LoanApplicationType:
        user = require_user(info)
        loan_id = _loan_id(id)
        return LoanApplicationType.from_model(await work(loan_id, user))

    return await guard(go())


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
                repayment_method=input.repayment_method.value,
                purpose=input.purpose,
                guarantee_type=input.guarantee_type.value,
                collateral_description=input.collateral_description,
            )
            return LoanApplicationType.from_model(row)

        return await guard(go())  # type: ignore[return-value]

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

        return await guard(go())  # type: ignore[return-value]

    @strawberry.mutation(description="Reverse a posted repayment (admin, reason required).")
    async def reverse_repayment(
        self, info: strawberry.Info, repayment_id: relay.GlobalID, reason: str | None = None
    ) -> RepaymentResult:
        async def go() -> RepaymentType:
            user = require_user(info)
            row = await repayment_service.reverse_repayment(
                parse_global_id(repayment_id, "Repayment"), user, reason
            )
            return RepaymentType.from_model(row)

        return await guard(go())  # type: ignore[return-value]

    @strawberry.mutation(description="Replace an active loan's schedule (reason required).")
    async def reschedule_loan(
        self,
        info: strawberry.Info,
        loan_id: relay.GlobalID,
        annual_rate: Decimal,
        term_months: int,
        method: RepaymentMethodEnum,
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
                RescheduleTerms(annual_rate, term_months, RepaymentMethod(method.value), first_due),
                reason,
                expected_version=expected_version,
            )
            return LoanType.from_model(await models.Loan.get(id=lid))

        return await guard(go())  # type: ignore[return-value]

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

        return await guard(go())  # type: ignore[return-value]

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

        return await guard(go())  # type: ignore[return-value]

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

        return await guard(go())  # type: ignore[return-value]


# ---------------------------------------------------------------------------- queries
