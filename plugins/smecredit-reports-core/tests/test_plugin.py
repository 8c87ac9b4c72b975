"""The plugin loads as the platform loads it and registers every report type."""

from __future__ import annotations

from importlib.metadata import entry_points

from smecredit_reports_core import plugin

from smecredit.testing import plugin_manager_for


def test_registers_the_eleven_report_types() -> None:
    registry = plugin_manager_for(plugin)
    assert all(info.status == "active" for info in registry.plugins), registry.plugins
    assert set(registry.report_types) == {
        "portfolio_overview", "five_category", "portfolio_at_risk", "npl_trend_vintage",
        "expected_credit_loss", "inclusive_smb_lending", "warning_effectiveness",
        "model_performance", "data_quality", "decision_analysis", "compliance_checks",
    }  # fmt: skip
    categories = {r.category for r in registry.report_types.values()}
    assert categories <= {
        "portfolio",
        "risk",
        "models",
        "data",
        "decisions",
        "compliance",
        "regulatory",
    }


def test_is_installed_under_the_smecredit_entry_point_group() -> None:
    names = {ep.name: ep.value for ep in entry_points(group="smecredit")}
    assert names.get("reports_core") == "smecredit_reports_core.plugin"
