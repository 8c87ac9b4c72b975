"""Policy rules of credit decisions: the facts of an application and what a rule says of them.

A :class:`PolicyRule` reads the :class:`PolicyFacts` the core gathers about one credit
application (the firm's age, open enforcement cases, tax arrears, exposures, cash flow ...)
and answers a :class:`PolicyOutcome`: ``pass``, ``fail`` or ``not_applicable`` (the facts it
needs are missing), with a message in Chinese and English and its evidence. A *hard* rule
that fails stands against approval; a *soft* rule that fails is a warning to weigh. The
risk team enables rules and sets their parameters (versioned in the core); a failed rule
with an approved exception shows ``exception`` in the decision-support view.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal, Protocol, runtime_checkable

__all__ = [
    "POLICY_OUTCOMES",
    "POLICY_RULE_KINDS",
    "PolicyFacts",
    "PolicyOutcome",
    "PolicyOutcomeValue",
    "PolicyRule",
    "PolicyRuleKind",
    "RelatedParty",
]

PolicyRuleKind = Literal["hard", "soft"]
PolicyOutcomeValue = Literal["pass", "fail", "not_applicable"]
#: The kinds of rule: a failed hard rule stands against approval, a soft one is a warning.
POLICY_RULE_KINDS: tuple[PolicyRuleKind, ...] = ("hard", "soft")
#: What a rule may answer (``exception`` is the core's: a failure with an approved exception).
POLICY_OUTCOMES: tuple[PolicyOutcomeValue, ...] = ("pass", "fail", "not_applicable")


@dataclass(frozen=True, slots=True)
class RelatedParty:
    """Another firm linked to the applicant through a person they share.

    Attributes:
        firm_id: the linked firm.
        firm_name: its registered name.
        link: ``representative`` (the same legal representative) or ``shareholder``.
        outstanding: its outstanding principal on our book, yuan.
    """

    firm_id: int
    firm_name: str
    link: str
    outstanding: Decimal


@dataclass(frozen=True, slots=True)
class PolicyFacts:
    """What the core knows about one application when the rules run (amounts in yuan).

    A fact the core could not establish is None; a rule that needs it answers
    ``not_applicable``.

    Attributes:
        application_id: the application.
        firm_id: the applying firm.
        as_of: the business date of the facts.
        amount: the amount asked for.
        term_months: the term asked for.
        annual_rate: the rate asked for.
        monthly_instalment: the level monthly instalment of the amount over the term.
        firm_age_months: whole months since the firm was established.
        open_enforcement_cases: enforcement cases (执行案件) of the firm in the window.
        tax_arrears: the largest tax arrears of the recent filings.
        direct_exposure: the firm's outstanding principal on our book before approval.
        group_exposure: the outstanding principal of the firm and its related parties.
        bank_capital: the bank's capital (net capital for concentration limits).
        related_parties: the firms linked through shared representatives or shareholders.
        avg_monthly_cash_flow: average monthly operating cash flow of the statements.
        avg_monthly_taxed_sales: average monthly taxable sales of the recent filings.
        taxed_sales_growth: taxable sales of the last 12 months over the 12 before, minus 1.
        bureau_inquiries_6m: credit-bureau inquiries of the last six months.
        bureau_overdue_count: overdue accounts at other lenders.
        extra: further facts by name (for plugins; the core leaves it empty).
    """

    application_id: int
    firm_id: int
    as_of: dt.date
    amount: Decimal
    term_months: int
    annual_rate: Decimal
    monthly_instalment: Decimal
    firm_age_months: int | None = None
    open_enforcement_cases: int = 0
    tax_arrears: Decimal | None = None
    direct_exposure: Decimal = Decimal("0")
    group_exposure: Decimal = Decimal("0")
    bank_capital: Decimal | None = None
    related_parties: tuple[RelatedParty, ...] = ()
    avg_monthly_cash_flow: Decimal | None = None
    avg_monthly_taxed_sales: Decimal | None = None
    taxed_sales_growth: float | None = None
    bureau_inquiries_6m: int | None = None
    bureau_overdue_count: int | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def direct_after(self) -> Decimal:
        """The firm's exposure if the application is approved in full."""
        return self.direct_exposure + self.amount

    @property
    def group_after(self) -> Decimal:
        """The group's exposure if the application is approved in full."""
        return self.group_exposure + self.amount


@dataclass(frozen=True, slots=True)
class PolicyOutcome:
    """What one rule says of one application.

    Attributes:
        outcome: ``pass``, ``fail`` or ``not_applicable``.
        message_zh: for people, in Chinese (name the figures).
        message_en: the same in English.
        evidence: machine-readable details: figures as strings, record ids, limits.
    """

    outcome: PolicyOutcomeValue
    message_zh: str
    message_en: str
    evidence: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class PolicyRule(Protocol):
    """A policy rule of credit decisions (a hard limit or a soft warning).

    Attributes:
        code: unique stable UPPER_SNAKE code, e.g. ``"FIRM_TOO_YOUNG"``.
        name_zh: the rule's name in Chinese.
        name_en: the rule's name in English.
        kind: ``hard`` or ``soft`` (the risk team may change it per version).
        default_params: the parameters and their defaults (numbers, strings or booleans);
            the risk team may set each of them, and only them, with a value of the same
            type.
    """

    code: str
    name_zh: str
    name_en: str
    kind: PolicyRuleKind
    default_params: Mapping[str, Any]

    def evaluate(self, facts: PolicyFacts, params: Mapping[str, Any]) -> PolicyOutcome:
        """The rule's outcome for ``facts`` under ``params`` (defaults merged in).

        Must be pure and quick: it runs whenever the decision-support view is read.
        """
        ...
