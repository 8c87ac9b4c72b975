"""The decision-support view on a seeded application; policy rules versioned and audited."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from decision_seed import AS_OF, MAKER, seed_application
from lending_support import principal

from smecredit import models
from smecredit.domain.errors import DomainError
from smecredit.errors import InvalidInput, PermissionDenied
from smecredit.plugins import PluginRegistry, load_plugins
from smecredit.sdk import PolicyFacts, PolicyOutcome, hookimpl
from smecredit.services import policy_rules
from smecredit.services.decision_support import DecisionSupport, decision_support, grant_exception
from smecredit.settings import Settings

pytestmark = pytest.mark.anyio
D = Decimal
CAPITAL = D("1000000")
ANALYST = principal("risk_analyst", name="ana")
APPROVER = principal("approver", name="appr1")


def _empty_registry() -> PluginRegistry:
    return load_plugins(Settings(), extra_plugins=(), entry_points=False)


async def _view(app: models.LoanApplication, registry: Any = None) -> DecisionSupport:
    return await decision_support(
        app, bank_capital=CAPITAL, as_of=AS_OF, registry=registry or _empty_registry()
    )


def _outcomes(view: DecisionSupport) -> dict[str, str]:
    return {c.code: c.outcome for c in view.checks}


async def test_the_view_gathers_score_checks_exposure_capacity_limit_peers(db: object) -> None:
    app = await seed_application()
    view = await _view(app)

    assert view.score is not None and view.score.score.grade == "C"
    assert view.rules_version == 0
    assert _outcomes(view) == {
        "ENFORCEMENT_OPEN": "fail",
        "TAX_ARREARS": "fail",
        "FIRM_TOO_YOUNG": "fail",
        "SINGLE_BORROWER_CONCENTRATION": "fail",  # 300k of 1m capital > 10%
        "GROUP_CONCENTRATION": "fail",  # 420k > 15%
        "RELATED_PARTY_EXPOSURE": "pass",  # 120k <= 10m
        "DEBT_SERVICE_COVERAGE": "pass",  # 40k a month against ~25.8k
        "TAXED_SALES_GROWTH": "fail",  # -25%
        "BUREAU_INQUIRIES": "fail",  # 9 > 6
        "BUREAU_OVERDUE": "pass",
    }
    young = next(c for c in view.checks if c.code == "FIRM_TOO_YOUNG")
    assert young.kind == "hard" and young.source == "core"
    assert young.evidence == {"firm_age_months": 7, "min_months": 24}
    assert "7" in young.message_zh and "7 months" in young.message_en
    arrears = next(c for c in view.checks if c.code == "TAX_ARREARS")
    assert arrears.evidence["tax_arrears"] == "8800.00"

    exposure = view.exposure
    assert (exposure.direct_before, exposure.direct_after) == (D("0"), D("300000.00"))
    assert (exposure.group_before, exposure.group_after) == (D("120000.00"), D("420000.00"))
    (related,) = exposure.related
    assert related.link == "representative" and related.outstanding == D("120000.00")

    capacity = view.capacity
    assert capacity.avg_monthly_cash_flow == D("40000.00")
    assert D("25800") < capacity.monthly_instalment < D("25900")
    assert capacity.dscr is not None and 1.5 < capacity.dscr < 1.6
    assert capacity.avg_monthly_taxed_sales == D("400000.00")

    limit = view.limit
    assert limit is not None and limit.suggested_limit == D("225000.00")
    assert (limit.grade, limit.limit_factor, limit.policy_version) == ("C", D("0.75"), 0)
    assert "limit factor 0.75" in limit.rule_en and "额度系数 0.75" in limit.rule_zh

    peers = {p.ratio: p for p in view.peers}
    # firm 3 is the only peer with figures: it is less indebted, more liquid, more profitable
    assert peers["debt_ratio"].value == 0.6 and peers["debt_ratio"].industry_percentile == 100.0
    assert peers["net_margin"].industry_percentile == 0.0
    assert peers["net_margin"].industry_peers == 1 and peers["net_margin"].region_peers == 1

    assert len(view.taxed_sales) == 24 and view.taxed_sales[-1].value == D("400000.00")
    assert [p.value for p in view.cash_flow] == [D("480000.00")]


async def _grant(app: models.LoanApplication, code: str, actor: Any, reason: str) -> Any:
    return await grant_exception(
        app.id,
        code,
        actor=actor,
        reason=reason,
        bank_capital=CAPITAL,
        registry=_empty_registry(),
        as_of=AS_OF,
    )


async def test_an_approved_exception_shows_exception(db: object) -> None:
    app = await seed_application()
    registry = _empty_registry()
    with pytest.raises(PermissionDenied):
        await _grant(app, "FIRM_TOO_YOUNG", ANALYST, "x")
    with pytest.raises(DomainError) as four_eyes:
        await _grant(app, "FIRM_TOO_YOUNG", principal("approver", name=MAKER.username), "x")
    assert four_eyes.value.code == "FOUR_EYES"
    with pytest.raises(DomainError) as passing:
        await _grant(app, "BUREAU_OVERDUE", APPROVER, "x")
    assert passing.value.code == "POLICY_RULE_NOT_FAILED"
    with pytest.raises(InvalidInput) as blank:
        await _grant(app, "FIRM_TOO_YOUNG", APPROVER, " ")
    assert blank.value.code == "REASON_REQUIRED"

    row = await _grant(app, "FIRM_TOO_YOUNG", APPROVER, "parent company of 10 years")
    assert (row.kind, row.decided_value) == ("policy_check", "exception")
    view = await _view(app, registry)
    young = next(c for c in view.checks if c.code == "FIRM_TOO_YOUNG")
    assert young.outcome == "exception"
    assert (young.exception_reason, young.exception_by) == ("parent company of 10 years", "appr1")
    assert _outcomes(view)["TAX_ARREARS"] == "fail"
    audited = await models.AuditLog.filter(action="policy_exception.grant").get()
    assert audited.resource == f"LoanApplication:{app.id}" and audited.actor == "appr1"


async def test_policy_rule_versions_are_audited_and_validated(db: object) -> None:
    registry = _empty_registry()
    first = await policy_rules.current_rules(registry=registry)
    assert first.version == 0 and all(a.setting.enabled for a in first.rules)

    changed = await policy_rules.set_rule(
        "FIRM_TOO_YOUNG",
        actor=ANALYST,
        note="start-ups programme",
        params={"min_months": 6},
        registry=registry,
    )
    assert changed.version == 1
    young = next(a for a in changed.rules if a.setting.code == "FIRM_TOO_YOUNG")
    assert young.setting.params == {"min_months": 6} and young.setting.kind == "hard"
    again = await policy_rules.set_rule(
        "FIRM_TOO_YOUNG", actor=ANALYST, note="soft for now", kind="soft", registry=registry
    )
    young = next(a for a in again.rules if a.setting.code == "FIRM_TOO_YOUNG")
    assert again.version == 2 and young.setting.kind == "soft"
    assert young.setting.params == {"min_months": 6}  # kept from version 1
    at_one = await policy_rules.current_rules(version=1, registry=registry)
    assert next(a for a in at_one.rules if a.setting.code == "FIRM_TOO_YOUNG").setting.kind == (
        "hard"
    )

    audits = await models.AuditLog.filter(action="policy_rule.change").order_by("id")
    assert [a.resource for a in audits] == [
        "PolicyRule:FIRM_TOO_YOUNG:1",
        "PolicyRule:FIRM_TOO_YOUNG:2",
    ]
    assert [c.version for c in await policy_rules.rule_changes()] == [2, 1]

    for kwargs, code, message in [
        ({"params": {"months": 3}}, "INVALID_POLICY_RULE", "has no parameter 'months'"),
        ({"params": {"min_months": "x"}}, "INVALID_POLICY_RULE", "min_months must be a number"),
        ({"kind": "medium"}, "INVALID_POLICY_RULE", "kind must be hard or soft"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            await policy_rules.set_rule(
                "FIRM_TOO_YOUNG", actor=ANALYST, note="n", registry=registry, **kwargs
            )
        assert refused.value.code == code and message in str(refused.value)
    with pytest.raises(InvalidInput) as unknown:
        await policy_rules.set_rule("NO_SUCH", actor=ANALYST, note="n", registry=registry)
    assert unknown.value.code == "UNKNOWN_POLICY_RULE"
    with pytest.raises(PermissionDenied):
        await policy_rules.set_rule(
            "FIRM_TOO_YOUNG", actor=principal("credit_committee"), note="n", registry=registry
        )
    assert await models.PolicyRuleChange.all().count() == 2  # refusals store nothing


class _CollateralRule:
    code = "COLLATERAL_REQUIRED"
    name_zh = "需要抵押"
    name_en = "Collateral required"
    kind = "soft"
    default_params: Mapping[str, Any] = MappingProxyType({"above": 100000})

    def evaluate(self, facts: PolicyFacts, params: Mapping[str, Any]) -> PolicyOutcome:
        if facts.amount > params["above"]:
            return PolicyOutcome(
                "fail", "需抵押", "collateral needed", {"amount": str(facts.amount)}
            )
        return PolicyOutcome("pass", "无需抵押", "no collateral needed")


class CollateralPlugin:
    @hookimpl
    def register_policy_rules(self) -> list[Any]:
        return [_CollateralRule()]


async def test_a_plugin_rule_appears_in_the_checks(db: object) -> None:
    registry = load_plugins(Settings(), extra_plugins=(CollateralPlugin(),), entry_points=False)
    assert set(registry.policy_rules) == {"COLLATERAL_REQUIRED"}
    app = await seed_application()
    view = await _view(app, registry)
    check = next(c for c in view.checks if c.code == "COLLATERAL_REQUIRED")
    assert (check.outcome, check.kind, check.source) == ("fail", "soft", "CollateralPlugin")
    assert check.evidence == {"amount": "300000.00"}
    assert list(_outcomes(view))[-1] == "COLLATERAL_REQUIRED"  # after the core's rules

    await policy_rules.set_rule(
        "COLLATERAL_REQUIRED",
        actor=ANALYST,
        note="raise the line",
        params={"above": 500000},
        registry=registry,
    )
    assert _outcomes(await _view(app, registry))["COLLATERAL_REQUIRED"] == "pass"
    await policy_rules.set_rule(
        "COLLATERAL_REQUIRED", actor=ANALYST, note="off", enabled=False, registry=registry
    )
    assert "COLLATERAL_REQUIRED" not in _outcomes(await _view(app, registry))
    stored = await models.PolicyRuleChange.filter(rule_code="COLLATERAL_REQUIRED").first()
    assert stored is not None and stored.source == "CollateralPlugin"


async def test_a_disbursed_applications_own_loan_is_not_counted_before(db: object) -> None:
    app = await seed_application()
    booked = await models.LoanApplication.exclude(id=app.id).get(loan_id__isnull=False)
    view = await _view(booked)
    # the loan it became is the "after", not the "before"; firm 1 (same representative)
    # owes nothing yet
    assert view.exposure.direct_before == D("0")
    assert view.exposure.direct_after == D("120000.00")
    assert view.exposure.group_before == D("0")
