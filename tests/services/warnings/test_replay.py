"""Replayed scans date warnings by their evidence; grades compare within the champion only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from warnings_support import AS_OF, FETCHED, NOW, MakeFirm

from smecredit import models
from smecredit.services.warnings.replay import month_ends, replay_scans, replayable_rules
from smecredit.services.warnings.scan import scan_firms

pytestmark = pytest.mark.anyio


def test_month_ends_cover_the_range_and_nothing_after_it() -> None:
    days = month_ends(dt.date(2025, 11, 15), dt.date(2026, 2, 27))
    assert days == [dt.date(2025, 11, 30), dt.date(2025, 12, 31), dt.date(2026, 1, 31)]
    assert month_ends(dt.date(2026, 2, 28), dt.date(2026, 2, 28)) == [dt.date(2026, 2, 28)]


def test_rules_on_current_balances_are_not_replayed(rules: dict[str, Any]) -> None:
    kept, skipped = replayable_rules(rules)
    assert skipped == ["EXPOSURE_CONCENTRATION", "LOAN_DPD"]
    assert {"TAX_SALES_DROP", "LEGAL_ACTION", "BUREAU_OVERDUE"} <= set(kept)


async def test_a_replayed_warning_opens_on_the_month_its_evidence_shows(
    db: Any, make_firm: MakeFirm, rules: dict[str, Any]
) -> None:
    firm = await make_firm(dpd=120)  # current arrears: never replayed into the past
    await models.LegalCase.create(
        firm=firm,
        case_no="(2026)浙0106民初20001号",
        kind="lawsuit_defendant",
        case_date=dt.date(2026, 4, 10),
        amount=Decimal("500000.00"),
        severity="high",
        source="test",
        fetched_at=FETCHED,
    )
    done = await replay_scans(dt.date(2026, 2, 1), AS_OF, rules=rules)
    assert done.dates[0] == dt.date(2026, 2, 28) and done.dates[-1] == AS_OF
    legal = await models.Warning.get(firm=firm, rule_code="LEGAL_ACTION")
    assert legal.opened_at.date() == dt.date(2026, 4, 30)
    assert not await models.Warning.filter(rule_code="LOAN_DPD").exists()


async def test_shadow_grades_of_a_challenger_are_no_downgrade(
    db: Any, make_firm: MakeFirm, rules: dict[str, Any]
) -> None:
    firm = await make_firm()
    for name, status in (("catboost", "champion"), ("scorecard", "challenger")):
        await models.ModelVersion.create(
            name=name,
            version="v1",
            status=status,
            master_scale=[["A", 0.05], ["G", None]],
            training_fingerprint="0" * 64,
            created_by="test",
        )
    at = NOW - dt.timedelta(hours=1)
    for name, grade in (("catboost", "B"), ("scorecard", "F")):
        await models.Score.create(
            firm=firm,
            model_name=name,
            model_version="v1",
            probability_of_default=0.1,
            points=500,
            grade=grade,
            computed_at=at,
        )
    await scan_firms(
        [firm.id], as_of=AS_OF, now=NOW, rules={"SCORE_DOWNGRADE": rules["SCORE_DOWNGRADE"]}
    )
    assert not await models.Warning.filter(rule_code="SCORE_DOWNGRADE").exists()
    # the champion's own grade falling is a downgrade
    await models.Score.create(
        firm=firm,
        model_name="catboost",
        model_version="v1",
        probability_of_default=0.3,
        points=450,
        grade="E",
        computed_at=NOW,
    )
    await scan_firms(
        [firm.id], as_of=AS_OF, now=NOW, rules={"SCORE_DOWNGRADE": rules["SCORE_DOWNGRADE"]}
    )
    assert await models.Warning.filter(rule_code="SCORE_DOWNGRADE").count() == 1


async def test_a_month_missing_from_the_tax_data_is_no_drop_in_sales(
    db: Any, make_firm: MakeFirm, rules: dict[str, Any]
) -> None:
    firm = await make_firm(sales_recent="100.00", sales_year_ago="100.00")
    dropped = await make_firm(sales_recent="50.00", sales_year_ago="100.00")
    await models.TaxRecord.filter(firm=firm, month="2026-04").delete()  # quarantined, say
    await models.TaxRecord.filter(firm=dropped, month="2026-04").delete()
    only_tax = {"TAX_SALES_DROP": rules["TAX_SALES_DROP"]}
    await scan_firms([firm.id, dropped.id], as_of=AS_OF, now=NOW, rules=only_tax)
    warnings = await models.Warning.filter(rule_code="TAX_SALES_DROP")
    assert [(w.firm_id, w.observed_value) for w in warnings] == [(dropped.id, 50.0)]  # type: ignore[attr-defined]
