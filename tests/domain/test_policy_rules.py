"""The core's policy rules: each passes and fails on its facts; parameters are checked."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smecredit.domain.policy_rules import (
    BUILT_IN_RULES,
    PolicyRuleError,
    check_kind,
    check_params,
    evaluate_rule,
    settings_of,
    with_exception,
)
from smecredit.sdk import PolicyFacts, PolicyOutcome, PolicyRule, RelatedParty
from smecredit.testing import PolicyRuleContract

D = Decimal
BASE = PolicyFacts(
    application_id=1,
    firm_id=1,
    as_of=dt.date(2026, 6, 30),
    amount=D("500000"),
    term_months=12,
    annual_rate=D("0.06"),
    monthly_instalment=D("43000"),
    firm_age_months=60,
    open_enforcement_cases=0,
    tax_arrears=D("0"),
    direct_exposure=D("1000000"),
    group_exposure=D("1000000"),
    bank_capital=D("100000000"),
    avg_monthly_cash_flow=D("80000"),
    avg_monthly_taxed_sales=D("900000"),
    taxed_sales_growth=0.05,
    bureau_inquiries_6m=2,
    bureau_overdue_count=0,
)


def _run(code: str, facts: PolicyFacts, **params: Any) -> PolicyOutcome:
    rule = BUILT_IN_RULES[code]
    return evaluate_rule(rule, facts, check_params(rule, params))


#: code -> facts that make the rule fail
FAILING: dict[str, PolicyFacts] = {
    "ENFORCEMENT_OPEN": dataclasses.replace(BASE, open_enforcement_cases=1),
    "TAX_ARREARS": dataclasses.replace(BASE, tax_arrears=D("1200.50")),
    "FIRM_TOO_YOUNG": dataclasses.replace(BASE, firm_age_months=11),
    # 9.6m + 0.5m = 10.1m of 100m capital > 10%
    "SINGLE_BORROWER_CONCENTRATION": dataclasses.replace(BASE, direct_exposure=D("9600000")),
    "GROUP_CONCENTRATION": dataclasses.replace(BASE, group_exposure=D("14600000")),
    "RELATED_PARTY_EXPOSURE": dataclasses.replace(
        BASE,
        related_parties=(
            RelatedParty(2, "甲公司", "representative", D("6000000")),
            RelatedParty(3, "乙公司", "representative", D("4000000.01")),
        ),
    ),
    "DEBT_SERVICE_COVERAGE": dataclasses.replace(BASE, avg_monthly_cash_flow=D("50000")),
    "TAXED_SALES_GROWTH": dataclasses.replace(BASE, taxed_sales_growth=-0.35),
    "BUREAU_INQUIRIES": dataclasses.replace(BASE, bureau_inquiries_6m=7),
    "BUREAU_OVERDUE": dataclasses.replace(BASE, bureau_overdue_count=2),
}


def test_every_built_in_rule_has_a_failing_case_and_is_a_policy_rule() -> None:
    assert set(FAILING) == set(BUILT_IN_RULES)
    for rule in BUILT_IN_RULES.values():
        assert isinstance(rule, PolicyRule)
        assert rule.kind in ("hard", "soft") and rule.name_zh and rule.name_en
    hard = [c for c, r in BUILT_IN_RULES.items() if r.kind == "hard"]
    assert hard == list(BUILT_IN_RULES)[: len(hard)]  # hard rules first


@pytest.mark.parametrize("code", list(BUILT_IN_RULES))
def test_each_rule_passes_on_sound_facts(code: str) -> None:
    outcome = _run(code, BASE)
    assert outcome.outcome == "pass", outcome
    assert outcome.message_zh and outcome.message_en and outcome.evidence


@pytest.mark.parametrize("code", list(BUILT_IN_RULES))
def test_each_rule_fails_on_its_failing_facts(code: str) -> None:
    outcome = _run(code, FAILING[code])
    assert outcome.outcome == "fail", outcome
    assert outcome.evidence


def test_messages_name_the_figures() -> None:
    outcome = _run("TAX_ARREARS", FAILING["TAX_ARREARS"])
    assert "1200.50" in outcome.message_zh and "1200.50" in outcome.message_en
    young = _run("FIRM_TOO_YOUNG", FAILING["FIRM_TOO_YOUNG"])
    assert young.evidence == {"firm_age_months": 11, "min_months": 24}


def test_params_move_the_line() -> None:
    assert _run("FIRM_TOO_YOUNG", FAILING["FIRM_TOO_YOUNG"], min_months=6).outcome == "pass"
    assert _run("ENFORCEMENT_OPEN", FAILING["ENFORCEMENT_OPEN"], max_cases=1).outcome == "pass"
    assert _run("DEBT_SERVICE_COVERAGE", BASE, min_dscr=2).outcome == "fail"


@pytest.mark.parametrize(
    ("code", "facts"),
    [
        ("TAX_ARREARS", dataclasses.replace(BASE, tax_arrears=None)),
        ("FIRM_TOO_YOUNG", dataclasses.replace(BASE, firm_age_months=None)),
        ("SINGLE_BORROWER_CONCENTRATION", dataclasses.replace(BASE, bank_capital=None)),
        ("GROUP_CONCENTRATION", dataclasses.replace(BASE, bank_capital=D("0"))),
        ("DEBT_SERVICE_COVERAGE", dataclasses.replace(BASE, avg_monthly_cash_flow=None)),
        ("DEBT_SERVICE_COVERAGE", dataclasses.replace(BASE, monthly_instalment=D("0"))),
        ("TAXED_SALES_GROWTH", dataclasses.replace(BASE, taxed_sales_growth=None)),
        ("BUREAU_INQUIRIES", dataclasses.replace(BASE, bureau_inquiries_6m=None)),
        ("BUREAU_OVERDUE", dataclasses.replace(BASE, bureau_overdue_count=None)),
    ],
)
def test_missing_facts_are_not_applicable(code: str, facts: PolicyFacts) -> None:
    assert _run(code, facts).outcome == "not_applicable"


@given(
    direct=st.decimals(min_value=0, max_value=10**9, places=2),
    amount=st.decimals(min_value=0, max_value=10**8, places=2),
    capital=st.decimals(min_value=1, max_value=10**10, places=2),
    share=st.floats(min_value=0, max_value=1),
)
def test_single_borrower_fails_exactly_above_the_share(
    direct: Decimal, amount: Decimal, capital: Decimal, share: float
) -> None:
    facts = dataclasses.replace(BASE, direct_exposure=direct, amount=amount, bank_capital=capital)
    outcome = _run("SINGLE_BORROWER_CONCENTRATION", facts, max_share=share)
    expected = "fail" if (direct + amount) / capital > Decimal(str(share)) else "pass"
    assert outcome.outcome == expected


def test_group_exposure_counts_the_amount_asked() -> None:
    facts = dataclasses.replace(BASE, group_exposure=D("14500000"), amount=D("500000"))
    assert _run("GROUP_CONCENTRATION", facts).outcome == "pass"  # exactly 15%
    facts = dataclasses.replace(facts, amount=D("500000.01"))
    assert _run("GROUP_CONCENTRATION", facts).outcome == "fail"


def test_unknown_and_mistyped_params_are_refused_naming_them() -> None:
    rule = BUILT_IN_RULES["FIRM_TOO_YOUNG"]
    with pytest.raises(PolicyRuleError, match="FIRM_TOO_YOUNG has no parameter 'months'"):
        check_params(rule, {"months": 3})
    with pytest.raises(PolicyRuleError, match="min_months must be a number"):
        check_params(rule, {"min_months": "ten"})
    with pytest.raises(PolicyRuleError, match="min_months must be a whole number"):
        check_params(rule, {"min_months": 2.5})
    with pytest.raises(PolicyRuleError, match="must not be negative"):
        check_params(rule, {"min_months": -1})
    with pytest.raises(PolicyRuleError, match="finite"):
        check_params(BUILT_IN_RULES["DEBT_SERVICE_COVERAGE"], {"min_dscr": float("nan")})
    assert check_params(rule, {"min_months": 12.0}) == {"min_months": 12}
    # a growth floor may be negative: its default is
    growth = BUILT_IN_RULES["TAXED_SALES_GROWTH"]
    assert check_params(growth, {"min_growth": -0.5}) == {"min_growth": -0.5}
    with pytest.raises(PolicyRuleError, match="kind must be hard or soft"):
        check_kind("FIRM_TOO_YOUNG", "medium")


def test_a_failed_rule_with_an_approved_exception_shows_exception() -> None:
    assert with_exception("fail", True) == "exception"
    assert with_exception("fail", False) == "fail"
    assert with_exception("pass", True) == "pass"
    assert with_exception("not_applicable", True) == "not_applicable"


def test_a_raising_rule_is_one_unusable_check() -> None:
    class Broken:
        code = "BROKEN"
        name_zh = name_en = "broken"
        kind = "soft"
        default_params: Mapping[str, Any] = MappingProxyType({})

        def evaluate(self, facts: PolicyFacts, params: Any) -> PolicyOutcome:
            raise ZeroDivisionError("oops")

    outcome = evaluate_rule(Broken(), BASE, {})
    assert outcome.outcome == "not_applicable" and "ZeroDivisionError" in outcome.message_en


def test_settings_merge_stored_values_over_defaults() -> None:
    rules = {"FIRM_TOO_YOUNG": BUILT_IN_RULES["FIRM_TOO_YOUNG"]}
    (default,) = settings_of(rules, {})
    assert default.enabled and default.kind == "hard" and default.params == {"min_months": 24}
    stored = {"FIRM_TOO_YOUNG": {"enabled": False, "kind": "soft", "params": {"min_months": 6}}}
    (changed,) = settings_of(rules, stored)
    assert not changed.enabled and changed.kind == "soft" and changed.params == {"min_months": 6}


@pytest.mark.parametrize("code", list(BUILT_IN_RULES))
def test_the_core_rules_honour_the_plugin_contract(code: str) -> None:
    contract = type("TestContract", (PolicyRuleContract,), {"rule": BUILT_IN_RULES[code]})()
    for name in dir(contract):
        if name.startswith("test_"):
            getattr(contract, name)()


def test_the_contract_catches_a_rule_that_answers_nonsense() -> None:
    class Lazy:
        code = "lazy rule"
        name_zh = name_en = "lazy"
        kind = "medium"
        default_params: Mapping[str, Any] = MappingProxyType({"limit": [1]})

        def evaluate(self, facts: PolicyFacts, params: Any) -> Any:
            return "fine"

    contract = type("TestContract", (PolicyRuleContract,), {"rule": Lazy()})()
    with pytest.raises(AssertionError, match="UPPER_SNAKE"):
        contract.test_declares_identity()
    with pytest.raises(AssertionError, match="not a PolicyOutcome"):
        contract.test_answers_an_outcome_with_messages_for_every_case()
