"""GraphQL enums of lending, each with its localized label (catalogue ``lending.json``).

Statuses, classes, methods and kinds are enums rather than free strings, so that a client
can switch on them; the text a person reads is the ``...Label`` field next to each,
``<kind>.<VALUE>`` in the catalogue (:func:`smecredit.i18n.label`). The Python values
are what the database stores.
"""

from __future__ import annotations

import enum
from typing import Any, TypeVar

import strawberry

from smecredit.domain.loan_states import Action, LoanState
from smecredit.i18n import label, language_of

__all__ = [
    "AllocationComponent",
    "ApplicationAction",
    "ApplicationStatus",
    "CobRunStatus",
    "FourEyesOperation",
    "FourEyesRequestStatus",
    "GuaranteeType",
    "InstalmentStatus",
    "LoanClassification",
    "LoanStatus",
    "OverrideKind",
    "RepaymentMethodEnum",
    "enum_of",
    "label_in",
]

E = TypeVar("E", bound=enum.Enum)


@strawberry.enum(name="ApplicationStatus", description="Where an application is in its lifecycle.")
class ApplicationStatus(enum.Enum):
    DRAFT = LoanState.DRAFT.value
    SUBMITTED = LoanState.SUBMITTED.value
    UNDER_REVIEW = LoanState.UNDER_REVIEW.value
    RETURNED = LoanState.RETURNED.value
    APPROVED = LoanState.APPROVED.value
    REJECTED = LoanState.REJECTED.value
    APPEALED = LoanState.APPEALED.value
    WITHDRAWN = LoanState.WITHDRAWN.value
    CANCELLED = LoanState.CANCELLED.value
    DISBURSED = LoanState.DISBURSED.value
    ACTIVE = LoanState.ACTIVE.value
    CLOSED = LoanState.CLOSED.value
    WRITTEN_OFF = LoanState.WRITTEN_OFF.value


@strawberry.enum(
    name="ApplicationAction",
    description="A lifecycle action, named like the mutation that takes it "
    "(REQUEST_WRITE_OFF: the write-off, made when its four-eyes request is approved).",
)
class ApplicationAction(enum.StrEnum):
    # A str enum: its values are the domain's ``Action`` values, so code that maps an
    # action to its operation (``Action(value)``) takes a member as it is.
    SUBMIT_APPLICATION = Action.SUBMIT.value
    START_REVIEW = Action.START_REVIEW.value
    RETURN_APPLICATION = Action.RETURN_FOR_CHANGES.value
    APPROVE_APPLICATION = Action.APPROVE.value
    REJECT_APPLICATION = Action.REJECT.value
    APPEAL_APPLICATION = Action.APPEAL.value
    WITHDRAW_APPLICATION = Action.WITHDRAW.value
    CANCEL_APPLICATION = Action.CANCEL.value
    UNDO_APPROVAL = Action.UNDO_APPROVAL.value
    DISBURSE_LOAN = Action.DISBURSE.value
    CONFIRM_DISBURSEMENT = Action.CONFIRM_DISBURSEMENT.value
    UNDO_DISBURSEMENT = Action.UNDO_DISBURSEMENT.value
    CLOSE_LOAN = Action.CLOSE.value
    REQUEST_WRITE_OFF = Action.WRITE_OFF.value
    UNDO_WRITE_OFF = Action.UNDO_WRITE_OFF.value


@strawberry.enum(name="LoanStatus", description="Where a booked loan is.")
class LoanStatus(enum.Enum):
    DISBURSED = "disbursed"
    ACTIVE = "active"
    OVERDUE = "overdue"  # books imported with their own overdue status
    CLOSED = "closed"
    WRITTEN_OFF = "written_off"
    REVERSED = "reversed"  # the disbursement was undone


@strawberry.enum(
    name="LoanClassification", description="Five-category loan classification (五级分类)."
)
class LoanClassification(enum.Enum):
    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"


@strawberry.enum(name="RepaymentMethod", description="How a loan is repaid.")
class RepaymentMethodEnum(enum.Enum):
    EQUAL_INSTALMENT = "equal_instalment"
    EQUAL_PRINCIPAL = "equal_principal"
    INTEREST_ONLY = "interest_only"


@strawberry.enum(name="GuaranteeType", description="What secures a loan.")
class GuaranteeType(enum.Enum):
    CREDIT = "credit"
    GUARANTEE = "guarantee"
    MORTGAGE = "mortgage"
    PLEDGE = "pledge"


@strawberry.enum(name="InstalmentStatus", description="How much of an instalment is paid.")
class InstalmentStatus(enum.Enum):
    PENDING = "pending"
    PARTIAL = "partial"
    PAID = "paid"


@strawberry.enum(
    name="AllocationComponent", description="The part of an instalment money was applied to."
)
class AllocationComponent(enum.Enum):
    PENALTY = "penalty"
    INTEREST = "interest"
    PRINCIPAL = "principal"


@strawberry.enum(name="CobRunStatus", description="Where a close-of-business run is.")
class CobRunStatus(enum.Enum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


@strawberry.enum(name="FourEyesRequestStatus", description="Where a four-eyes request is.")
class FourEyesRequestStatus(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@strawberry.enum(name="FourEyesOperation", description="The change a four-eyes request asks for.")
class FourEyesOperation(enum.Enum):
    WRITE_OFF = "loan.write_off"
    OVERRIDE_CLASSIFICATION = "loan.override_classification"


@strawberry.enum(name="OverrideKind", description="A kind of decision against the recommendation.")
class OverrideKind(enum.Enum):
    GRADE = "grade"
    ZERO_LIMIT = "zero_limit"
    ABOVE_LIMIT = "above_limit"
    RATE_OUTSIDE = "rate_outside"
    POLICY_CHECK = "policy_check"


def enum_of(kind: type[E], value: Any) -> E:
    """The member of ``kind`` whose stored value is ``value`` (members pass through)."""
    return value if isinstance(value, kind) else kind(value)


def label_in(info: strawberry.Info, kind: str, value: enum.Enum | None) -> str | None:
    """The label of ``value`` (key ``<kind>.<NAME>``) in the caller's language."""
    if value is None:
        return None
    return label(kind, value, language_of(info.context))
