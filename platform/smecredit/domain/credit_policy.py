"""Credit policy: the suggested limit and the annual price band of an application.

Per grade of the master scale the policy holds a **limit factor** (the share of the
revenue-based cap that may be lent) and an **annual rate band** ``[rate_min, rate_max]``;
for the whole book a **revenue cap share**, a **rate ceiling** and, optionally, the inputs
of **risk-based pricing**.

Suggested limit::

    cap   = min(amount asked, revenue_cap_share x annual revenue)   (no revenue known: amount)
    limit = cap x limit_factor(grade), rounded down to the fen

Price band: the grade's band is the range an officer may quote. With risk-based pricing
the lower end is the firm's own cost of risk, a one-year view of what a yuan lent costs::

    risk rate = funding_rate + margin + PD x LGD

(``PD x LGD`` is the expected loss per yuan and year; ``funding_rate`` what the bank pays
for the money; ``margin`` operating cost and return). The band is then
``[clamp(risk rate, rate_min, rate_max), rate_max]``: two firms of one grade share the
ceiling, but the riskier one gets the higher floor, and no firm is quoted below its cost
of risk unless the grade's ceiling stops it (then the band closes at ``rate_max``). Without
risk-based pricing the band is the grade's band.

Every rate of a policy must lie in ``[0, rate_ceiling]``, and the ceiling itself in
``(0, LEGAL_RATE_CEILING]``. :data:`LEGAL_RATE_CEILING` (36%) is the line above which
interest is void under Chinese law and the hard bound of the platform;
:data:`DEFAULT_RATE_CEILING` (15%) is about four times the one-year Loan Prime Rate, the
judicial cap on private lending since 2020. A bank sets its own ceiling in the policy
(for instance when the LPR moves).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from smecredit.domain.errors import DomainError

__all__ = [
    "DEFAULT_CREDIT_POLICY",
    "DEFAULT_RATE_CEILING",
    "LEGAL_RATE_CEILING",
    "RATE_QUANTUM",
    "CreditPolicy",
    "CreditPolicyError",
    "CreditSuggestion",
    "GradeTerms",
    "RiskPricing",
]

#: No rate of any policy may exceed this (36% a year: interest above it is void).
LEGAL_RATE_CEILING = Decimal("0.36")
#: Ceiling of the default policy: about 4 x the one-year LPR (the private-lending cap).
DEFAULT_RATE_CEILING = Decimal("0.15")
#: Rates are kept to six decimal places (the precision of the rate columns).
RATE_QUANTUM = Decimal("0.000001")
_FEN = Decimal("0.01")
_ZERO = Decimal("0")
_ONE = Decimal("1")


class CreditPolicyError(DomainError):
    """An invalid credit policy, or a grade the policy does not cover.

    Attributes:
        code: ``INVALID_CREDIT_POLICY``, ``GRADE_NOT_COVERED`` or ``INVALID_AMOUNT``.
        problems: every problem found, one sentence each.
    """

    code = "INVALID_CREDIT_POLICY"

    def __init__(
        self, message: str, *, code: str | None = None, problems: Sequence[str] = ()
    ) -> None:
        super().__init__(message, code=code)
        self.problems = list(problems) or [message]


def _decimal(value: Any, what: str) -> Decimal:
    """``value`` as a finite Decimal (floats through their shortest repr)."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise CreditPolicyError(f"{what} must be a number, got {value!r}") from None
    if not number.is_finite():
        raise CreditPolicyError(f"{what} must be a finite number, got {value!r}")
    return number


@dataclass(frozen=True, slots=True)
class GradeTerms:
    """What the policy offers one grade.

    Attributes:
        limit_factor: share of the revenue-based cap that may be lent, in [0, 1].
        rate_min: lowest annual rate quoted to the grade.
        rate_max: highest annual rate quoted to the grade.
    """

    limit_factor: Decimal
    rate_min: Decimal
    rate_max: Decimal


@dataclass(frozen=True, slots=True)
class RiskPricing:
    """Inputs of the risk-based rate ``funding_rate + margin + PD x LGD``.

    Attributes:
        lgd: loss given default, the share of an exposure lost when a borrower defaults.
        funding_rate: the bank's annual cost of funds.
        margin: operating cost and target return, annual.
    """

    lgd: Decimal
    funding_rate: Decimal
    margin: Decimal

    def rate_for(self, pd: float) -> Decimal:
        """The risk-based annual rate of a one-year PD (six decimal places)."""
        if not (0.0 <= pd <= 1.0) or math.isnan(pd):
            raise CreditPolicyError(f"a PD must lie between 0 and 1, got {pd!r}", code="INVALID_PD")
        cost = self.funding_rate + self.margin + Decimal(str(float(pd))) * self.lgd
        return cost.quantize(RATE_QUANTUM, ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class CreditSuggestion:
    """The policy's answer for one scored application.

    Attributes:
        limit: the most the policy suggests lending, in yuan (rounded down to the fen).
        rate_low: lowest annual rate to quote.
        rate_high: highest annual rate to quote.
        risk_rate: the risk-based rate before it was kept inside the grade's band (None
            without risk-based pricing).
    """

    limit: Decimal
    rate_low: Decimal
    rate_high: Decimal
    risk_rate: Decimal | None


@dataclass(frozen=True)
class CreditPolicy:
    """Limits and prices by grade (see the module docstring for the formulas).

    Attributes:
        grades: grade -> its terms, best grade first.
        revenue_cap_share: at most this share of annual revenue is lent, in [0, 1].
        rate_ceiling: no rate of the policy may exceed it, in (0, LEGAL_RATE_CEILING].
        pricing: risk-based pricing inputs; None quotes each grade's band as it is.
    """

    grades: Mapping[str, GradeTerms]
    revenue_cap_share: Decimal = Decimal("0.30")
    rate_ceiling: Decimal = DEFAULT_RATE_CEILING
    pricing: RiskPricing | None = None

    # ------------------------------------------------------------------ validation

    def problems(
        self, required_grades: Sequence[str], allowed_grades: Sequence[str] = ()
    ) -> list[str]:
        """Everything wrong with the policy, one sentence each (empty when it is valid).

        Args:
            required_grades: grades the policy must cover (those of the master scale).
            allowed_grades: further grades it may cover (of scales not in use yet).
        """
        out = [
            f"{what} must be a finite number, got {v}"
            for what, v in self._numbers()
            if not v.is_finite()
        ]
        if out:
            return out  # comparisons with NaN or infinity say nothing useful
        ceiling = self.rate_ceiling
        if not _ZERO < ceiling <= LEGAL_RATE_CEILING:
            out.append(
                f"the rate ceiling must be above 0 and at most {LEGAL_RATE_CEILING}, got {ceiling}"
            )
            ceiling = LEGAL_RATE_CEILING  # check the rates against the hard bound instead
        if not _ZERO <= self.revenue_cap_share <= _ONE:
            out.append(f"the revenue cap share must lie in [0, 1], got {self.revenue_cap_share}")
        missing = [g for g in required_grades if g not in self.grades]
        if missing:
            out.append(
                f"grade(s) {', '.join(missing)} of the master scale have no terms; "
                f"every grade of {', '.join(required_grades)} needs them"
            )
        known = set(required_grades) | set(allowed_grades)
        unknown = [g for g in self.grades if g not in known]
        if unknown:
            out.append(
                f"grade(s) {', '.join(unknown)} are not on the master scale "
                f"({', '.join(required_grades)})"
            )
        for grade, terms in self.grades.items():
            if not _ZERO <= terms.limit_factor <= _ONE:
                out.append(
                    f"grade {grade}: limit factor must lie in [0, 1], got {terms.limit_factor}"
                )
            for name, rate in (("rate_min", terms.rate_min), ("rate_max", terms.rate_max)):
                if not _ZERO <= rate <= ceiling:
                    out.append(f"grade {grade}: {name} must lie in [0, {ceiling}], got {rate}")
            if terms.rate_min > terms.rate_max:
                out.append(
                    f"grade {grade}: rate_min {terms.rate_min} is above rate_max {terms.rate_max}"
                )
        if self.pricing is not None:
            p = self.pricing
            if not _ZERO <= p.lgd <= _ONE:
                out.append(f"pricing: LGD must lie in [0, 1], got {p.lgd}")
            for name, rate in (("funding rate", p.funding_rate), ("margin", p.margin)):
                if not _ZERO <= rate <= ceiling:
                    out.append(f"pricing: {name} must lie in [0, {ceiling}], got {rate}")
        return out

    def _numbers(self) -> list[tuple[str, Decimal]]:
        found = [
            ("the revenue cap share", self.revenue_cap_share),
            ("the rate ceiling", self.rate_ceiling),
        ]
        for grade, t in self.grades.items():
            found += [
                (f"grade {grade}: limit factor", t.limit_factor),
                (f"grade {grade}: rate_min", t.rate_min),
                (f"grade {grade}: rate_max", t.rate_max),
            ]
        if self.pricing is not None:
            p = self.pricing
            found += [("pricing: LGD", p.lgd), ("pricing: funding rate", p.funding_rate)]
            found += [("pricing: margin", p.margin)]
        return found

    def validate(self, required_grades: Sequence[str], allowed_grades: Sequence[str] = ()) -> None:
        """Raise :class:`CreditPolicyError` listing every problem, if there is any."""
        found = self.problems(required_grades, allowed_grades)
        if found:
            raise CreditPolicyError("invalid credit policy: " + "; ".join(found), problems=found)

    # ---------------------------------------------------------------------- use

    def terms(self, grade: str) -> GradeTerms:
        """The terms of ``grade``.

        Raises:
            CreditPolicyError: ``GRADE_NOT_COVERED`` when the policy has none.
        """
        found = self.grades.get(grade)
        if found is None:
            raise CreditPolicyError(
                f"the credit policy has no terms for grade {grade!r} "
                f"(it covers {', '.join(self.grades)}); update the credit policy",
                code="GRADE_NOT_COVERED",
            )
        return found

    def suggest(
        self, *, grade: str, pd: float, amount: Decimal, annual_revenue: Decimal | None
    ) -> CreditSuggestion:
        """Suggested limit and price band for an application of ``amount`` yuan.

        Args:
            grade: the firm's grade on the master scale.
            pd: its one-year probability of default.
            amount: the amount asked for, yuan.
            annual_revenue: the firm's annual revenue, yuan (None when unknown).
        """
        if amount < 0:
            raise CreditPolicyError(
                f"the amount must not be negative, got {amount}", code="INVALID_AMOUNT"
            )
        terms = self.terms(grade)
        cap = amount
        if annual_revenue is not None:
            cap = min(amount, max(annual_revenue, _ZERO) * self.revenue_cap_share)
        limit = max((cap * terms.limit_factor).quantize(_FEN, ROUND_DOWN), _ZERO)
        low, high = terms.rate_min, terms.rate_max
        risk_rate = None
        if self.pricing is not None:
            risk_rate = self.pricing.rate_for(pd)
            low = min(max(risk_rate, terms.rate_min), terms.rate_max)
        return CreditSuggestion(
            limit=limit,
            rate_low=low.quantize(RATE_QUANTUM, ROUND_HALF_UP),
            rate_high=high.quantize(RATE_QUANTUM, ROUND_HALF_UP),
            risk_rate=risk_rate,
        )

    # ------------------------------------------------------------- (de)serialising

    def to_json(self) -> dict[str, Any]:
        """The policy as JSON (decimals as strings, grades as an ordered list)."""
        pricing = self.pricing
        return {
            "grades": [
                {
                    "grade": g,
                    "limit_factor": str(t.limit_factor),
                    "rate_min": str(t.rate_min),
                    "rate_max": str(t.rate_max),
                }
                for g, t in self.grades.items()
            ],
            "revenue_cap_share": str(self.revenue_cap_share),
            "rate_ceiling": str(self.rate_ceiling),
            "pricing": None
            if pricing is None
            else {
                "lgd": str(pricing.lgd),
                "funding_rate": str(pricing.funding_rate),
                "margin": str(pricing.margin),
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CreditPolicy:
        """Read :meth:`to_json` output back (numbers checked, ranges not: see validate).

        Raises:
            CreditPolicyError: a value is missing or not a number, or a grade repeats.
        """
        try:
            rows = list(data["grades"])
            grades: dict[str, GradeTerms] = {}
            for row in rows:
                grade = str(row["grade"])
                if grade in grades:
                    raise CreditPolicyError(f"grade {grade} appears twice in the credit policy")
                grades[grade] = GradeTerms(
                    limit_factor=_decimal(row["limit_factor"], f"grade {grade}: limit factor"),
                    rate_min=_decimal(row["rate_min"], f"grade {grade}: rate_min"),
                    rate_max=_decimal(row["rate_max"], f"grade {grade}: rate_max"),
                )
            raw = data.get("pricing")
            pricing = (
                None
                if raw is None
                else RiskPricing(
                    lgd=_decimal(raw["lgd"], "pricing: LGD"),
                    funding_rate=_decimal(raw["funding_rate"], "pricing: funding rate"),
                    margin=_decimal(raw["margin"], "pricing: margin"),
                )
            )
            return cls(
                grades=grades,
                revenue_cap_share=_decimal(data["revenue_cap_share"], "revenue cap share"),
                rate_ceiling=_decimal(data["rate_ceiling"], "rate ceiling"),
                pricing=pricing,
            )
        except (KeyError, TypeError) as error:
            raise CreditPolicyError(f"credit policy lacks or mistypes {error}") from None


def _terms(factor: str, low: str, high: str) -> GradeTerms:
    return GradeTerms(Decimal(factor), Decimal(low), Decimal(high))


#: The platform's starting policy for the default A-G scale: version 0, until the risk
#: team stores its own. LGD 45% is the Basel foundation value for senior unsecured claims.
DEFAULT_CREDIT_POLICY = CreditPolicy(
    grades={
        "A": _terms("1.00", "0.0350", "0.0450"),
        "B": _terms("0.90", "0.0450", "0.0550"),
        "C": _terms("0.75", "0.0550", "0.0700"),
        "D": _terms("0.60", "0.0700", "0.0900"),
        "E": _terms("0.40", "0.0900", "0.1100"),
        "F": _terms("0.20", "0.1100", "0.1300"),
        "G": _terms("0.00", "0.1300", "0.1500"),
    },
    revenue_cap_share=Decimal("0.30"),
    rate_ceiling=DEFAULT_RATE_CEILING,
    pricing=RiskPricing(
        lgd=Decimal("0.45"), funding_rate=Decimal("0.020"), margin=Decimal("0.015")
    ),
)
