"""The policy-rule contract: :class:`PolicyRuleContract` and :func:`sample_facts`."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import ClassVar, get_args

from smecredit.sdk import (
    POLICY_OUTCOMES,
    PolicyFacts,
    PolicyOutcome,
    PolicyRule,
    PolicyRuleKind,
    RelatedParty,
)
from smecredit.testing.kit import CODE_RE, assert_implements

__all__ = ["PolicyRuleContract", "sample_facts"]


def sample_facts() -> list[PolicyFacts]:
    """Facts of a sound application, a troubled one and one the core knows little about."""
    sound = PolicyFacts(
        application_id=1,
        firm_id=1,
        as_of=dt.date(2026, 6, 30),
        amount=Decimal("500000.00"),
        term_months=12,
        annual_rate=Decimal("0.06"),
        monthly_instalment=Decimal("43033.00"),
        firm_age_months=60,
        open_enforcement_cases=0,
        tax_arrears=Decimal("0"),
        direct_exposure=Decimal("1000000.00"),
        group_exposure=Decimal("1000000.00"),
        bank_capital=Decimal("5000000000"),
        avg_monthly_cash_flow=Decimal("90000.00"),
        avg_monthly_taxed_sales=Decimal("900000.00"),
        taxed_sales_growth=0.08,
        bureau_inquiries_6m=1,
        bureau_overdue_count=0,
    )
    troubled = dataclasses.replace(
        sound,
        firm_age_months=5,
        open_enforcement_cases=3,
        tax_arrears=Decimal("25000.00"),
        group_exposure=Decimal("900000000.00"),
        related_parties=(RelatedParty(2, "关联公司", "representative", Decimal("899000000.00")),),
        avg_monthly_cash_flow=Decimal("-10000.00"),
        taxed_sales_growth=-0.6,
        bureau_inquiries_6m=15,
        bureau_overdue_count=4,
    )
    unknown = PolicyFacts(
        application_id=3,
        firm_id=3,
        as_of=dt.date(2026, 6, 30),
        amount=Decimal("0.00"),
        term_months=1,
        annual_rate=Decimal("0"),
        monthly_instalment=Decimal("0"),
    )
    return [sound, troubled, unknown]


class PolicyRuleContract:
    """Pytest base class: what every :class:`~smecredit.sdk.PolicyRule` must honour.

    Subclass it in a ``Test*`` class::

        class TestMyRuleContract(PolicyRuleContract):
            rule = MyRule()

    Attributes:
        rule: the rule under test.
        facts: the facts it is evaluated on (default: :func:`sample_facts`).
    """

    rule: ClassVar[PolicyRule]
    facts: ClassVar[list[PolicyFacts] | None] = None

    def cases(self) -> list[PolicyFacts]:
        """The facts in use."""
        return self.facts if self.facts is not None else sample_facts()

    def test_declares_identity(self) -> None:
        """An UPPER_SNAKE code, both names, a kind of hard or soft, parameters by name."""
        rule = self.rule
        assert_implements(rule, PolicyRule)
        assert isinstance(rule.code, str) and CODE_RE.match(rule.code), (
            f"code {rule.code!r} must be UPPER_SNAKE"
        )
        assert isinstance(rule.name_zh, str) and rule.name_zh.strip()
        assert isinstance(rule.name_en, str) and rule.name_en.strip()
        assert rule.kind in get_args(PolicyRuleKind), f"kind {rule.kind!r}"
        assert isinstance(rule.default_params, Mapping)
        for name, value in rule.default_params.items():
            assert isinstance(name, str) and name, "parameter names are text"
            assert isinstance(value, bool | int | float | str), (
                f"parameter {name}: {value!r} is not a number, text or boolean"
            )

    def test_answers_an_outcome_with_messages_for_every_case(self) -> None:
        """pass, fail or not_applicable, with a message in both languages, on every case."""
        for facts in self.cases():
            outcome = self.rule.evaluate(facts, dict(self.rule.default_params))
            assert isinstance(outcome, PolicyOutcome), f"{outcome!r} is not a PolicyOutcome"
            assert outcome.outcome in POLICY_OUTCOMES, f"outcome {outcome.outcome!r}"
            assert outcome.message_zh.strip() and outcome.message_en.strip()
            assert isinstance(outcome.evidence, Mapping)

    def test_is_pure(self) -> None:
        """The same facts and parameters give the same outcome."""
        for facts in self.cases():
            params = dict(self.rule.default_params)
            assert self.rule.evaluate(facts, params) == self.rule.evaluate(facts, params)
