"""Loan product terms and the check of an application against them.

Rates are nominal annual fractions (``Decimal("0.0435")`` = 4.35 %). The penalty (罚息) rate
is either a multiple of the contract rate (default 1.5x, the common practice of a 50 %
surcharge) or an absolute annual rate; exactly one of the two is set.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from smecredit.domain.errors import DomainError
from smecredit.domain.schedules import FEN, RepaymentMethod

__all__ = [
    "InvalidProductTerms",
    "ProductTerms",
    "TermViolation",
    "validate_application_terms",
]


class InvalidProductTerms(DomainError):
    """A product definition is inconsistent (e.g. minimum above maximum)."""

    code = "INVALID_PRODUCT_TERMS"


@dataclass(frozen=True, slots=True)
class ProductTerms:
    """What a loan product allows.

    Attributes:
        amount_min: smallest amount, inclusive.
        amount_max: largest amount, inclusive.
        term_months_min: shortest term, inclusive.
        term_months_max: longest term, inclusive.
        rate_min: lowest nominal annual rate, inclusive.
        rate_max: highest nominal annual rate, inclusive.
        methods: repayment methods offered.
        grace_period_days: days after a due date before penalty interest starts.
        penalty_multiplier: penalty rate as a multiple of the contract rate.
        penalty_rate_absolute: penalty rate as an absolute annual rate.
    """

    amount_min: Decimal
    amount_max: Decimal
    term_months_min: int
    term_months_max: int
    rate_min: Decimal
    rate_max: Decimal
    methods: frozenset[RepaymentMethod]
    grace_period_days: int = 0
    penalty_multiplier: Decimal | None = Decimal("1.5")
    penalty_rate_absolute: Decimal | None = None

    def __post_init__(self) -> None:
        problems = []
        if not 0 < self.amount_min <= self.amount_max:
            problems.append(
                f"amounts need 0 < min <= max, got {self.amount_min}..{self.amount_max}"
            )
        if not 1 <= self.term_months_min <= self.term_months_max:
            problems.append(
                f"terms need 1 <= min <= max, got {self.term_months_min}..{self.term_months_max}"
            )
        if not 0 <= self.rate_min <= self.rate_max < 1:
            problems.append(f"rates need 0 <= min <= max < 1, got {self.rate_min}..{self.rate_max}")
        if not self.methods:
            problems.append("at least one repayment method is needed")
        if self.grace_period_days < 0:
            problems.append(f"grace period days cannot be negative, got {self.grace_period_days}")
        if (self.penalty_multiplier is None) == (self.penalty_rate_absolute is None):
            problems.append("set exactly one of penalty_multiplier and penalty_rate_absolute")
        elif (self.penalty_multiplier or 0) < 0 or (self.penalty_rate_absolute or 0) < 0:
            problems.append("the penalty rate cannot be negative")
        if problems:
            raise InvalidProductTerms("; ".join(problems))

    def penalty_rate_for(self, contract_rate: Decimal) -> Decimal:
        """The annual penalty rate that applies to a loan at ``contract_rate``."""
        if self.penalty_rate_absolute is not None:
            return self.penalty_rate_absolute
        assert self.penalty_multiplier is not None  # __post_init__ guarantees one is set
        return contract_rate * self.penalty_multiplier


@dataclass(frozen=True, slots=True)
class TermViolation:
    """One way an application breaks its product's terms.

    Attributes:
        code: stable code, e.g. ``AMOUNT_ABOVE_MAX``.
        field: the application field at fault (``amount``, ``term_months``, ``rate``,
            ``method``).
        message: what is wrong, for a person.
    """

    code: str
    field: str
    message: str


def validate_application_terms(
    terms: ProductTerms,
    amount: Decimal,
    term_months: int,
    rate: Decimal,
    method: RepaymentMethod | str,
) -> list[TermViolation]:
    """List every way an application breaks the product's terms (empty when it fits).

    Codes: ``AMOUNT_NOT_IN_FEN``, ``AMOUNT_BELOW_MIN``, ``AMOUNT_ABOVE_MAX``,
    ``TERM_BELOW_MIN``, ``TERM_ABOVE_MAX``, ``RATE_BELOW_MIN``, ``RATE_ABOVE_MAX``,
    ``METHOD_NOT_ALLOWED``.
    """
    out: list[TermViolation] = []

    def add(code: str, field: str, message: str) -> None:
        out.append(TermViolation(code, field, message))

    if amount != amount.quantize(FEN):
        add("AMOUNT_NOT_IN_FEN", "amount", f"amount {amount} has more than two decimal places")
    if amount < terms.amount_min:
        add(
            "AMOUNT_BELOW_MIN", "amount", f"amount {amount} is below the minimum {terms.amount_min}"
        )
    if amount > terms.amount_max:
        add(
            "AMOUNT_ABOVE_MAX", "amount", f"amount {amount} is above the maximum {terms.amount_max}"
        )
    if term_months < terms.term_months_min:
        add(
            "TERM_BELOW_MIN",
            "term_months",
            f"term of {term_months} months is below the minimum {terms.term_months_min}",
        )
    if term_months > terms.term_months_max:
        add(
            "TERM_ABOVE_MAX",
            "term_months",
            f"term of {term_months} months is above the maximum {terms.term_months_max}",
        )
    if rate < terms.rate_min:
        add("RATE_BELOW_MIN", "rate", f"rate {rate} is below the minimum {terms.rate_min}")
    if rate > terms.rate_max:
        add("RATE_ABOVE_MAX", "rate", f"rate {rate} is above the maximum {terms.rate_max}")
    allowed = _method_names(terms.methods)
    if str(method) not in allowed:
        add(
            "METHOD_NOT_ALLOWED",
            "method",
            f"repayment method {method!s} is not offered; choose one of {', '.join(allowed)}",
        )
    return out


def _method_names(methods: Collection[RepaymentMethod]) -> list[str]:
    return sorted(str(m) for m in methods)
