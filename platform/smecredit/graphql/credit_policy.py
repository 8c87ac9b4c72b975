"""GraphQL of the credit policy: limits and price bands by grade, versioned.

Reading the policy is for the people who lend (officers, approvers, the committee, the
risk team, auditors); changing it is for a risk analyst or an administrator. A change
stores a new version, in force from the next application scored, and is audited.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from smecredit.domain.credit_policy import (
    DEFAULT_RATE_CEILING,
    LEGAL_RATE_CEILING,
    CreditPolicy,
    CreditPolicyError,
    GradeTerms,
    RiskPricing,
)
from smecredit.errors import InvalidInput
from smecredit.graphql.auth import require_operation, require_user
from smecredit.services.scoring import credit_policy as policy_service

__all__ = [
    "CreditPolicyInput",
    "CreditPolicyMutations",
    "CreditPolicyQueries",
    "CreditPolicyType",
]

_MAX_HISTORY = 100


@strawberry.type(name="CreditPolicyGrade", description="What the credit policy offers a grade.")
class CreditPolicyGradeType:
    grade: str
    limit_factor: Decimal = strawberry.field(
        description="Share of the revenue-based cap that may be lent, 0 to 1."
    )
    rate_min: Decimal = strawberry.field(description="Lowest annual rate quoted to the grade.")
    rate_max: Decimal = strawberry.field(description="Highest annual rate quoted to the grade.")


@strawberry.type(
    name="RiskPricing",
    description="Risk-based rate = fundingRate + margin + PD x lgd; it sets the band's floor.",
)
class RiskPricingType:
    lgd: Decimal = strawberry.field(description="Loss given default, 0 to 1.")
    funding_rate: Decimal = strawberry.field(description="Annual cost of funds.")
    margin: Decimal = strawberry.field(description="Annual operating cost and return.")


@strawberry.type(
    name="CreditPolicy",
    description=(
        "Suggested limit = min(amount, revenueCapShare x annual revenue) x the grade's "
        "limitFactor; price band = [max(rateMin, risk-based rate) capped at rateMax, rateMax]."
    ),
)
class CreditPolicyType:
    version: int = strawberry.field(description="0 is the built-in default.")
    author: str
    note: str
    created_at: dt.datetime | None = strawberry.field(description="Null for the default.")
    revenue_cap_share: Decimal = strawberry.field(
        description="At most this share of annual revenue is lent, 0 to 1."
    )
    rate_ceiling: Decimal = strawberry.field(description="No rate of the policy may exceed it.")
    legal_rate_ceiling: Decimal = strawberry.field(
        description="The hard bound of any ceiling (36% a year)."
    )
    pricing: RiskPricingType | None = strawberry.field(
        description="Null: each grade's band is quoted as it is."
    )
    grades: list[CreditPolicyGradeType] = strawberry.field(description="Best grade first.")

    @classmethod
    def from_active(cls, active: policy_service.ActivePolicy) -> CreditPolicyType:
        p = active.policy
        return cls(
            version=active.version,
            author=active.author,
            note=active.note,
            created_at=active.created_at,
            revenue_cap_share=p.revenue_cap_share,
            rate_ceiling=p.rate_ceiling,
            legal_rate_ceiling=LEGAL_RATE_CEILING,
            pricing=None
            if p.pricing is None
            else RiskPricingType(
                lgd=p.pricing.lgd, funding_rate=p.pricing.funding_rate, margin=p.pricing.margin
            ),
            grades=[
                CreditPolicyGradeType(
                    grade=g, limit_factor=t.limit_factor, rate_min=t.rate_min, rate_max=t.rate_max
                )
                for g, t in p.grades.items()
            ],
        )


@strawberry.input(description="The terms of one grade.")
class CreditPolicyGradeInput:
    grade: str
    limit_factor: Decimal
    rate_min: Decimal
    rate_max: Decimal


@strawberry.input(description="Inputs of the risk-based rate.")
class RiskPricingInput:
    lgd: Decimal
    funding_rate: Decimal
    margin: Decimal


@strawberry.input(description="A complete credit policy (every grade of the master scale).")
class CreditPolicyInput:
    grades: list[CreditPolicyGradeInput]
    revenue_cap_share: Decimal
    rate_ceiling: Decimal = DEFAULT_RATE_CEILING
    pricing: RiskPricingInput | None = None

    def to_domain(self) -> CreditPolicy:
        """The domain policy (ranges are checked by the service)."""
        grades: dict[str, GradeTerms] = {}
        for g in self.grades:
            name = g.grade.strip()
            if name in grades:
                raise InvalidInput(
                    f"grade {name} appears twice in the credit policy",
                    code=CreditPolicyError.code,
                    problems=[f"grade {name} appears twice"],
                )
            grades[name] = GradeTerms(g.limit_factor, g.rate_min, g.rate_max)
        p = self.pricing
        return CreditPolicy(
            grades=grades,
            revenue_cap_share=self.revenue_cap_share,
            rate_ceiling=self.rate_ceiling,
            pricing=None if p is None else RiskPricing(p.lgd, p.funding_rate, p.margin),
        )


@strawberry.type
class CreditPolicyQueries:
    @strawberry.field(
        description="The credit policy in force, or one version of it (null when unknown)."
    )
    async def credit_policy(
        self, info: strawberry.Info, version: int | None = None
    ) -> CreditPolicyType | None:
        require_operation(info, "credit_policy.view")
        if version is None:
            active = await policy_service.current_policy()
        else:
            found = await policy_service.policy_version(version)
            if found is None:
                return None
            active = found
        return CreditPolicyType.from_active(active)

    @strawberry.field(description="Stored versions of the credit policy, newest first, then 0.")
    async def credit_policy_history(
        self, info: strawberry.Info, first: int = 20
    ) -> list[CreditPolicyType]:
        require_operation(info, "credit_policy.view")
        if not 1 <= first <= _MAX_HISTORY:
            raise InvalidInput(f"first must lie between 1 and {_MAX_HISTORY}, got {first}")
        rows = await policy_service.policy_history(first)
        return [CreditPolicyType.from_active(a) for a in rows[:first]]


@strawberry.type
class CreditPolicyMutations:
    @strawberry.mutation(
        description=(
            "Store a new version of the credit policy (risk analysts and administrators); "
            "in force from the next application scored. Refused with every problem listed "
            "in extensions.problems: rates outside [0, rateCeiling], rateMin above rateMax, "
            "factors outside [0, 1], a grade of the master scale missing."
        )
    )
    async def set_credit_policy(
        self, info: strawberry.Info, policy: CreditPolicyInput, note: str
    ) -> CreditPolicyType:
        actor = require_user(info)
        stored = await policy_service.set_policy(policy.to_domain(), actor=actor, note=note)
        return CreditPolicyType.from_active(stored)
