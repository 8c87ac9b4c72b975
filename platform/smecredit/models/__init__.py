"""Tortoise models of the platform, one module per domain.

Tortoise discovers models through this module, so every model is imported here.
"""

from __future__ import annotations

from smecredit.models.compliance import ComplianceResult, ComplianceRun, DecisionAlert
from smecredit.models.credit_policy import (
    ApplicationScoreRecord,
    CreditPolicyVersion,
    PolicyRuleChange,
)
from smecredit.models.firms import (
    BureauSummary,
    FinancialStatement,
    Firm,
    LegalCase,
    Person,
    RegistryEvent,
    RepaymentHistory,
    TaxRecord,
)
from smecredit.models.ingestion import (
    Consent,
    QuarantinedRecord,
    RefreshJob,
    SourceCheckpoint,
    SourceState,
    SyncRun,
)
from smecredit.models.jobs import Job
from smecredit.models.lending import (
    ApplicationTransition,
    Approval,
    ClassificationHistory,
    CobRun,
    DecisionOverride,
    FourEyesRequest,
    Loan,
    LoanApplication,
    Product,
    Repayment,
    RepaymentSchedule,
    ScheduledInstalment,
)
from smecredit.models.model_registry import ModelPromotion, ModelVersion
from smecredit.models.policies import PolicyRule
from smecredit.models.reports import ReportRun
from smecredit.models.scoring import Score
from smecredit.models.security import (
    AuditCheckpoint,
    AuditLog,
    KeyFingerprint,
    Role,
    Session,
    User,
)
from smecredit.models.warnings import (
    ClassificationReview,
    IndexSnapshot,
    IndicatorConfig,
    Warning,
    WarningComment,
    WarningEvent,
    WarningScanRun,
    WeightProposalRecord,
    WeightSet,
)

__all__ = [
    "ApplicationScoreRecord",
    "ApplicationTransition",
    "Approval",
    "AuditCheckpoint",
    "AuditLog",
    "BureauSummary",
    "ClassificationHistory",
    "ClassificationReview",
    "CobRun",
    "ComplianceResult",
    "ComplianceRun",
    "Consent",
    "CreditPolicyVersion",
    "DecisionAlert",
    "DecisionOverride",
    "FinancialStatement",
    "Firm",
    "FourEyesRequest",
    "IndexSnapshot",
    "IndicatorConfig",
    "Job",
    "KeyFingerprint",
    "LegalCase",
    "Loan",
    "LoanApplication",
    "ModelPromotion",
    "ModelVersion",
    "Person",
    "PolicyRule",
    "PolicyRuleChange",
    "Product",
    "QuarantinedRecord",
    "RefreshJob",
    "RegistryEvent",
    "Repayment",
    "RepaymentHistory",
    "RepaymentSchedule",
    "ReportRun",
    "Role",
    "ScheduledInstalment",
    "Score",
    "Session",
    "SourceCheckpoint",
    "SourceState",
    "SyncRun",
    "TaxRecord",
    "User",
    "Warning",
    "WarningComment",
    "WarningEvent",
    "WarningScanRun",
    "WeightProposalRecord",
    "WeightSet",
]
