"""Models of lending, one home for the credit lifecycle in the persistence layer.

* :mod:`.loans` - the loans on the book;
* :mod:`.lifecycle` - products, applications, approvals, schedules, repayments, COB runs;
* :mod:`.decisions` - decisions against the recommendation and four-eyes requests.
"""

from __future__ import annotations

from smecredit.models.lending.decisions import DecisionOverride, FourEyesRequest
from smecredit.models.lending.lifecycle import (
    ApplicationTransition,
    Approval,
    ClassificationHistory,
    CobRun,
    LoanApplication,
    Product,
    Repayment,
    RepaymentSchedule,
    ScheduledInstalment,
)
from smecredit.models.lending.loans import Loan

__all__ = [
    "ApplicationTransition",
    "Approval",
    "ClassificationHistory",
    "CobRun",
    "DecisionOverride",
    "FourEyesRequest",
    "Loan",
    "LoanApplication",
    "Product",
    "Repayment",
    "RepaymentSchedule",
    "ScheduledInstalment",
]
