"""Tortoise models of the platform, one module per domain.

Tortoise discovers models through this module, so every model is imported here.
"""

from __future__ import annotations

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
from smecredit.models.ingestion import Consent, QuarantinedRecord, SourceCheckpoint, SyncRun
from smecredit.models.loans import Loan
from smecredit.models.scoring import Score
from smecredit.models.warnings import Warning

__all__ = [
    "BureauSummary",
    "Consent",
    "FinancialStatement",
    "Firm",
    "LegalCase",
    "Loan",
    "Person",
    "QuarantinedRecord",
    "RegistryEvent",
    "RepaymentHistory",
    "Score",
    "SourceCheckpoint",
    "SyncRun",
    "TaxRecord",
    "Warning",
]
