"""Versioned rule settings and weights: AHP through the service, expert entry, audit."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import principal
from warnings_support import AS_OF, NOW, MakeFirm

from smecredit import models
from smecredit.domain.ahp import AhpError
from smecredit.errors import ApiError
from smecredit.services.warnings.config import (
    active_config,
    set_ahp_weights,
    set_expert_weights,
    set_indicator_config,
)
from smecredit.services.warnings.scan import scan_firms

pytestmark = pytest.mark.anyio

# Saaty's textbook matrix: weights 0.637 / 0.258 / 0.105, CR 0.033.
TEXTBOOK_3: list[list[float]] = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]


async def test_ahp_weights_from_the_textbook_matrix_are_stored_and_used(
    db: Any, rules: dict[str, Any]
) -> None:
    stored = await set_ahp_weights(
        ["credit", "financial", "fundamentals"],
        TEXTBOOK_3,
        {
            "credit": (["LOAN_DPD", "BUREAU_OVERDUE", "SCORE_DOWNGRADE"], TEXTBOOK_3),
            "financial": (["TAX_SALES_DROP", "DEBT_TO_ASSET"], [[1.0, 1.0], [1.0, 1.0]]),
            "fundamentals": (["LEGAL_ACTION"], [[1.0]]),
        },
        actor=principal("analyst", "risk_analyst"),
        rules=rules,
    )
    assert stored.version == 1 and stored.method == "ahp"
    assert stored.group_weights["credit"] == pytest.approx(0.637, abs=1e-3)
    assert stored.indicator_weights["LOAN_DPD"] == pytest.approx(0.637 * 0.637, abs=1e-3)
    assert stored.indicator_weights["DEBT_TO_ASSET"] == pytest.approx(0.258 / 2, abs=1e-3)
    assert stored.ahp_detail["groups"]["cr"] == pytest.approx(0.033, abs=1e-3)
    config = await active_config(rules)
    assert config.weight_version == 1
    assert config.weights["LEGAL_ACTION"] == pytest.approx(0.105, abs=1e-3)
    assert "INDUSTRY_ALERT" not in config.weights  # left out: weight 0 in the index


async def test_inconsistent_judgements_are_refused_with_the_matrix_named(
    db: Any, rules: dict[str, Any]
) -> None:
    cyclic: list[list[float]] = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    with pytest.raises(AhpError) as caught:
        await set_ahp_weights(
            ["credit", "financial", "fundamentals"],
            TEXTBOOK_3,
            {"credit": (["LOAN_DPD", "BUREAU_OVERDUE", "SCORE_DOWNGRADE"], cyclic)},
            actor=principal("analyst", "risk_analyst"),
            rules=rules,
        )
    assert caught.value.code == "INCONSISTENT_JUDGEMENTS"
    assert "group 'credit'" in caught.value.message and "CR = " in caught.value.message
    assert await models.WeightSet.all().count() == 0


async def test_expert_weights_refuse_a_rule_in_the_wrong_group(
    db: Any, rules: dict[str, Any]
) -> None:
    with pytest.raises(ApiError) as caught:
        await set_expert_weights(
            {"credit": 1},
            {"credit": {"DEBT_TO_ASSET": 1}},
            actor=principal("a", "risk_analyst"),
            rules=rules,
        )
    assert caught.value.code == "WRONG_GROUP"
    ws = await set_expert_weights(
        {"credit": 60, "financial": 40},
        {"credit": {"LOAN_DPD": 3, "BUREAU_OVERDUE": 1}, "financial": {"DEBT_TO_ASSET": 1}},
        actor=principal("a", "risk_analyst"),
        rules=rules,
    )
    assert ws.indicator_weights == pytest.approx(
        {"LOAN_DPD": 0.45, "BUREAU_OVERDUE": 0.15, "DEBT_TO_ASSET": 0.4}
    )


async def test_threshold_change_is_versioned_and_applies_at_the_next_scan(
    db: Any, make_firm: MakeFirm, rules: dict[str, Any]
) -> None:
    rules = {"LOAN_DPD": rules["LOAN_DPD"]}
    firm = await make_firm(dpd=20)
    await scan_firms([firm.id], as_of=AS_OF, now=NOW, rules=rules)
    assert (await models.Warning.get(rule_code="LOAN_DPD")).severity == "blue"
    with pytest.raises(ApiError) as caught:
        await set_indicator_config(
            "LOAN_DPD",
            thresholds={"blue": 5, "yellow": 3, "orange": 30, "red": 60},
            actor=principal("a", "risk_analyst"),
            rules=rules,
        )
    assert caught.value.code == "INVALID_THRESHOLDS"
    row = await set_indicator_config(
        "LOAN_DPD",
        thresholds={"blue": 1, "yellow": 10, "orange": 15, "red": 60},
        actor=principal("risk_head", "risk_analyst"),
        rules=rules,
    )
    assert (row.version, row.author) == (1, "risk_head")
    await scan_firms([firm.id], as_of=AS_OF, now=NOW, rules=rules)
    assert (await models.Warning.get(rule_code="LOAN_DPD")).severity == "orange"
    off = await set_indicator_config(
        "LOAN_DPD", enabled=False, actor=principal("risk_head", "risk_analyst"), rules=rules
    )
    assert off.version == 2 and off.thresholds["yellow"] == 10  # unchanged parts carry over
    assert (await active_config(rules)).enabled == []
    audit = await models.AuditLog.filter(action="warning_rule.configure").count()
    assert audit == 2
