"""Plugin entry point: registers the built-in report types."""

from __future__ import annotations

from smecredit.sdk import ReportType, hookimpl
from smecredit_reports_core import __version__
from smecredit_reports_core.types.compliance_checks import ComplianceChecks
from smecredit_reports_core.types.data_quality import DataQuality
from smecredit_reports_core.types.decision_analysis import DecisionAnalysis
from smecredit_reports_core.types.expected_credit_loss import ExpectedCreditLoss
from smecredit_reports_core.types.five_category import FiveCategory
from smecredit_reports_core.types.inclusive_smb_lending import InclusiveSmbLending
from smecredit_reports_core.types.model_performance import ModelPerformance
from smecredit_reports_core.types.npl_trend_vintage import NplTrendVintage
from smecredit_reports_core.types.portfolio_at_risk import PortfolioAtRisk
from smecredit_reports_core.types.portfolio_overview import PortfolioOverview
from smecredit_reports_core.types.warning_effectiveness import WarningEffectiveness

__all__ = ["REPORT_TYPES", "SMECREDIT_SDK", "__version__", "register_report_types"]

SMECREDIT_SDK = "1.4"

#: Every built-in report type, in catalogue order.
REPORT_TYPES: tuple[ReportType, ...] = (
    PortfolioOverview(),
    FiveCategory(),
    PortfolioAtRisk(),
    NplTrendVintage(),
    ExpectedCreditLoss(),
    InclusiveSmbLending(),
    WarningEffectiveness(),
    ModelPerformance(),
    DataQuality(),
    DecisionAnalysis(),
    ComplianceChecks(),
)


@hookimpl
def register_report_types() -> list[ReportType]:
    """The built-in report types, one object per name."""
    return list(REPORT_TYPES)
