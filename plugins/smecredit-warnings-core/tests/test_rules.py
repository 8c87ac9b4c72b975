"""The built-in indicators: values, levels, registration through the plugin system."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from smecredit_warnings_core import plugin
from smecredit_warnings_core.rules import RULES, rule_by_code

from smecredit.plugins import load_plugins
from smecredit.sdk import ColumnarWarningRule, WarningRule


def _columns(**overrides: list[object]) -> dict[str, np.ndarray]:
    n = len(next(iter(overrides.values())))
    base: dict[str, np.ndarray] = {"firm_id": np.arange(n)}
    for name, values in overrides.items():
        dtype = object if name == "industry_code" else float
        base[name] = np.asarray(values, dtype=dtype)
    return base


def test_every_rule_is_a_columnar_warning_rule_with_unique_code() -> None:
    assert len({r.code for r in RULES}) == len(RULES)
    assert {r.group for r in RULES} == {"fundamentals", "financial", "market", "credit"}
    assert {r.kind for r in RULES} == {"quantitative", "qualitative"}
    for rule in RULES:
        assert isinstance(rule, ColumnarWarningRule)
        assert isinstance(rule, WarningRule)
        th = [rule.thresholds[k] for k in ("blue", "yellow", "orange", "red")]
        assert th == sorted(th) and len(set(th)) == 4


def test_sales_drop_levels_and_missing_history() -> None:
    rule = rule_by_code("TAX_SALES_DROP")
    out = rule.evaluate_columns(
        _columns(
            tax_sales_recent=[100, 69, 39, 50, 10], tax_sales_year_ago=[100, 100, 100, 0, np.nan]
        )
    )
    assert out.levels.tolist() == [0, 2, 4, 0, 0]
    assert out.values[1] == pytest.approx(31.0)
    assert np.isnan(out.values[3]) and np.isnan(out.values[4])


def test_dpd_carries_the_loan_and_thresholds_can_be_overridden() -> None:
    rule = rule_by_code("LOAN_DPD")
    cols = _columns(max_dpd=[0, 45, 120], max_dpd_loan_id=[-1, 7, 9])
    assert rule.evaluate_columns(cols).levels.tolist() == [0, 2, 4]
    assert rule.evaluate_columns(cols).loan_ids.tolist() == [-1, 7, 9]
    strict = {"blue": 10, "yellow": 20, "orange": 40, "red": 200}
    assert rule.evaluate_columns(cols, thresholds=strict).levels.tolist() == [0, 3, 3]


def test_industry_alert_prefix_match_from_params() -> None:
    rule = rule_by_code("INDUSTRY_ALERT")
    cols = _columns(industry_code=["C1711", "F51", "C18"])
    assert rule.evaluate_columns(cols).levels.tolist() == [0, 0, 0]
    out = rule.evaluate_columns(cols, params={"alert_industries": ["C17"]})
    assert out.levels.tolist() == [2, 0, 0]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=2, allow_nan=False), min_size=1, max_size=20))
def test_columnar_and_row_evaluation_agree(ratios: list[float]) -> None:
    rule = rule_by_code("DEBT_TO_ASSET")
    frame = [
        {"firm_uscc": str(i), "total_assets": 100.0, "total_liabilities": r * 100.0}
        for i, r in enumerate(ratios)
    ]
    rows = rule.evaluate(frame)
    cols = rule.evaluate_columns(
        _columns(total_assets=[100.0] * len(ratios), total_liabilities=[r * 100 for r in ratios])
    )
    names = ["", "blue", "yellow", "orange", "red"]
    assert [r.level or "" for r in rows] == [names[int(x)] for x in cols.levels]
    for result in rows:
        assert (result.level is None) == (result.message == "")


def test_plugin_registers_every_rule() -> None:
    registry = load_plugins(None, extra_plugins=[plugin], entry_points=False)
    assert set(registry.warning_rules) == {r.code for r in RULES}
