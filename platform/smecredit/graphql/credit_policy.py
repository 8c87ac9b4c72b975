"""GraphQL of the credit policy: limits and price bands by grade, versioned.

Reading the policy is for the people who lend (officers, approvers, the committee, the
risk team, auditors); changing it is for a risk analyst or an administrator. A change
stores a new version, in force from the next application scored, and is audited.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Union

import strawberry
from strawberry import relay

from smecredit import models
from smecredit.domain.credit_policy import (
    DEFAULT_RATE_CEILING,
    LEGAL_RATE_CEILING,
    CreditPolicy,
    CreditPolicyError,
    GradeTerms,
    RiskPricing,
)
from smecredit.errors import InvalidInput, PermissionDenied
from smecredit.graphql.auth import require_operation, require_user
from smecredit.graphql.pagination import (
    Connection,
    Edge,
    SortSpec,
    connection_from_rows,
    encode_cursor,
    page_request,
)
from smecredit.graphql.results import BusinessError, Errors, as_business_error
from smecredit.services.scoring import credit_policy as policy_service

__all__ = [
    "CreditPolicyInput",
    "CreditPolicyMutations",
    "CreditPolicyQueries",
    "CreditPolicyResult",
    "CreditPolicyType",
    "InvalidCreditPolicy",
]

# Stored versions newest first; the built-in version 0 closes the last page.
_HISTORY_SORT = SortSpec("version_desc", "version", descending=True)


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
class CreditPolicyType(relay.Node):
    # The global id is keyed by the version number (0: the built-in default).
    key: relay.NodeID[int]
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
            key=active.version,
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

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[CreditPolicyType | None]:
        try:
            require_operation(info, "credit_policy.view")
        except PermissionDenied:
            return [None for _ in node_ids]  # out of reach answers like missing
        out: list[CreditPolicyType | None] = []
        for node_id in node_ids:
            found = await policy_service.policy_version(int(node_id))
            out.append(None if found is None else cls.from_active(found))
        return out


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

    @strawberry.field(
        description="Versions of the credit policy, newest first; the built-in version 0 "
        "comes last."
    )
    async def credit_policy_history(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[CreditPolicyType]:
        require_operation(info, "credit_policy.view")
        stored = models.CreditPolicyVersion.all()
        request = page_request(
            stored,
            sort=_HISTORY_SORT,
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
        )
        rows = await request.narrow(stored).order_by(*request.order()).limit(request.size + 1)

        async def count() -> int:
            return await stored.count() + 1  # and the built-in version

        conn = connection_from_rows(
            rows,
            request,
            to_node=lambda row: CreditPolicyType.from_active(policy_service.active_of(row)),
            count=count,
        )
        past_built_in = request.position is not None and request.position[0] <= 0
        if not conn.page_info.has_next_page and not past_built_in:
            if len(conn.edges) < request.size:
                built_in = CreditPolicyType.from_active(policy_service.BUILT_IN)
                cursor = encode_cursor(_HISTORY_SORT, 0, 0)
                conn.edges.append(Edge(cursor=cursor, node=built_in))
                conn.page_info.end_cursor = cursor
                conn.page_info.start_cursor = conn.edges[0].cursor
            elif request.size:
                conn.page_info.has_next_page = True  # the built-in version follows
        return conn


@strawberry.type(description="The credit policy breaks its rules: every problem is listed.")
class InvalidCreditPolicy(BusinessError):
    problems: list[str] = strawberry.field(
        description="Each problem, one sentence each (technical English)."
    )


# The policy's own refusal lists its problems, which the shared InvalidArgument cannot hold.
CreditPolicyResult = Annotated[
    Union[CreditPolicyType, InvalidCreditPolicy, Errors],  # noqa: UP007
    strawberry.union("CreditPolicyResult"),
]


def _refusal(exc: Exception) -> BusinessError:
    if getattr(exc, "code", None) == CreditPolicyError.code:
        params: dict[str, Any] = dict(getattr(exc, "params", None) or {})
        return InvalidCreditPolicy(
            code=CreditPolicyError.code,
            detail=str(exc),
            params=params,
            problems=[str(p) for p in params.get("problems") or [str(exc)]],
        )
    return as_business_error(exc)


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
    ) -> CreditPolicyResult:
        async def work() -> CreditPolicyType:
            actor = require_user(info)
            stored = await policy_service.set_policy(policy.to_domain(), actor=actor, note=note)
            return CreditPolicyType.from_active(stored)

        try:
            return await work()
        except Exception as exc:
            return _refusal(exc)  # type: ignore[return-value]
