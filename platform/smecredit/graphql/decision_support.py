"""GraphQL of the decision-support view (``LoanApplication.decisionSupport``) and the
versioned policy rules of credit decisions (``policyRules``, ``policyRuleVersions``,
``setPolicyRule``, ``grantPolicyException``).

The view reads as the application does (row scope) and field by field (the field policy:
partners never, viewers without PD and reasons; the shared legal representative of a
related firm is a ``Person``, masked as everywhere). The rules are read by the risk team,
approvers, the credit committee and auditors, and changed by risk analysts.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Annotated, Any, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from smecredit import models
from smecredit.errors import InvalidInput, PermissionDenied
from smecredit.graphql.auth import require_operation, require_user
from smecredit.graphql.decisions import DecisionOverrideType
from smecredit.graphql.firms import PersonType
from smecredit.graphql.lending.enums import label_in
from smecredit.graphql.pagination import Connection, SortSpec, paginate
from smecredit.graphql.results import Errors, guard
from smecredit.graphql.scalars import parse_global_id
from smecredit.i18n import language_of
from smecredit.security.row_scope import scoped
from smecredit.services import decision_support as service
from smecredit.services import policy_rules

__all__ = [
    "CreditRuleSetType",
    "CreditRuleType",
    "DecisionSupportMutations",
    "DecisionSupportQueries",
    "DecisionSupportType",
    "decision_support_of",
]

_CHANGES_SORT = SortSpec("version_desc", "version", descending=True)


@strawberry.enum(
    name="PolicyRuleKind", description="Hard: stands against approval; soft: a warning."
)
class PolicyRuleKind(enum.Enum):
    HARD = "hard"
    SOFT = "soft"


@strawberry.enum(
    name="PolicyCheckOutcome",
    description="PASS, FAIL, NOT_APPLICABLE (a fact it needs is missing), or EXCEPTION (it "
    "fails and an approver granted an exception).",
)
class PolicyCheckOutcome(enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    EXCEPTION = "exception"


def _zh(info: strawberry.Info) -> bool:
    return language_of(info.context) == "zh-CN"


@strawberry.type
class _NamedRule:
    """What a rule and its check share: the code, the kind and the rule's names."""

    code: str = strawberry.field(description="The rule's code, e.g. FIRM_TOO_YOUNG.")
    kind: PolicyRuleKind = strawberry.field(description="As set (the rule's own by default).")
    _names: strawberry.Private[tuple[str, str]]

    @strawberry.field(description="The rule's name in the caller's language.")
    def title(self, info: strawberry.Info) -> str:
        return self._names[0] if _zh(info) else self._names[1]

    @strawberry.field(description="The kind in the caller's language.")
    def kind_label(self, info: strawberry.Info) -> str:
        return label_in(info, "policyRuleKind", self.kind) or ""


@strawberry.type(name="PolicyCheck", description="One policy rule's check of an application.")
class PolicyCheckType(_NamedRule):
    outcome: PolicyCheckOutcome
    source: str = strawberry.field(description="core, or the plugin that registered the rule.")
    evidence: JSON = strawberry.field(
        description="The figures the rule read and its limits (amounts as strings)."
    )
    exception_reason: str | None = strawberry.field(
        description="Why the exception was granted (null: none)."
    )
    exception_by: str | None = strawberry.field(description="Who granted the exception.")
    _messages: strawberry.Private[tuple[str, str]]

    @strawberry.field(description="What the rule found, in the caller's language.")
    def message(self, info: strawberry.Info) -> str:
        return self._messages[0] if _zh(info) else self._messages[1]

    @strawberry.field(description="The outcome in the caller's language.")
    def outcome_label(self, info: strawberry.Info) -> str:
        return label_in(info, "policyCheckOutcome", self.outcome) or ""

    @classmethod
    def of(cls, check: service.PolicyCheck) -> PolicyCheckType:
        return cls(
            code=check.code,
            kind=PolicyRuleKind(check.kind),
            outcome=PolicyCheckOutcome(check.outcome),
            source=check.source,
            evidence=cast(JSON, dict(check.evidence)),
            exception_reason=check.exception_reason,
            exception_by=check.exception_by,
            _names=(check.name_zh, check.name_en),
            _messages=(check.message_zh, check.message_en),
        )


@strawberry.type(
    name="DecisionSupportRelatedParty",
    description="A firm sharing the applicant's legal representative, and what it owes us.",
)
class RelatedPartyType:
    firm_name: str
    link: str = strawberry.field(description="representative (or shareholder).")
    outstanding: Decimal = strawberry.field(description="Its outstanding principal, yuan.")
    _firm_id: strawberry.Private[int]
    _person_id: strawberry.Private[int | None]

    @strawberry.field(description="The person the firms share (personal data: masked by role).")
    async def shared_person(self, info: strawberry.Info) -> PersonType | None:
        if self._person_id is None:
            return None
        row = await info.context.loaders.person.load(self._person_id)
        return PersonType.from_model(row) if row else None


@strawberry.type(
    name="DecisionSupportExposure",
    description="Outstanding principal before and after approving the amount in full, yuan: "
    "direct (the firm) and group (the firm and the firms sharing its representative).",
)
class ExposureType:
    direct_before: Decimal
    direct_after: Decimal
    group_before: Decimal
    group_after: Decimal
    bank_capital: Decimal | None = strawberry.field(
        description="The bank's net capital (setting SMECREDIT_BANK_CAPITAL; null: unset)."
    )
    direct_share_after: float | None = strawberry.field(
        description="directAfter / bankCapital (null without capital)."
    )
    group_share_after: float | None = strawberry.field(
        description="groupAfter / bankCapital (null without capital)."
    )
    related_parties: list[RelatedPartyType]


@strawberry.type(
    name="DecisionSupportCapacity",
    description="Repayment capacity: the monthly instalment of the loan asked for against "
    "the evidence of cash.",
)
class CapacityType:
    monthly_instalment: Decimal = strawberry.field(
        description="Average monthly debt service of the schedule asked for, yuan."
    )
    avg_monthly_cash_flow: Decimal | None = strawberry.field(
        description="Operating cash flow of the newest statement, per month."
    )
    avg_monthly_taxed_sales: Decimal | None = strawberry.field(
        description="Taxable sales of the last 12 filed months, per month."
    )
    dscr: float | None = strawberry.field(
        description="Debt service coverage: avgMonthlyCashFlow / monthlyInstalment."
    )
    sales_cover: float | None = strawberry.field(
        description="avgMonthlyTaxedSales / monthlyInstalment."
    )


@strawberry.type(
    name="DecisionSupportLimit",
    description="The credit policy's suggested limit and price band, and the terms that "
    "produced them.",
)
class LimitType:
    suggested_limit: Decimal
    rate_low: Decimal
    rate_high: Decimal
    risk_rate: Decimal | None
    policy_version: int = strawberry.field(description="The credit policy version (0: default).")
    grade: str
    limit_factor: Decimal | None
    revenue_cap_share: Decimal
    grade_rate_min: Decimal | None
    grade_rate_max: Decimal | None
    _rule: strawberry.Private[tuple[str, str]]

    @strawberry.field(description="The rule that produced them, in the caller's language.")
    def rule(self, info: strawberry.Info) -> str:
        return self._rule[0] if _zh(info) else self._rule[1]


@strawberry.type(
    name="DecisionSupportPeer",
    description="One key ratio of the firm as a percentile (0-100) of the newest annual "
    "statements of the other firms of its industry and of its region.",
)
class PeerType:
    ratio: str = strawberry.field(
        description="debt_ratio, current_ratio, net_margin or cash_flow_margin."
    )
    value: float | None
    industry_percentile: float | None
    industry_peers: int
    region_percentile: float | None
    region_peers: int
    higher_is_better: bool


@strawberry.type(name="DecisionSupportPoint", description="One point of a chart series.")
class PointType:
    period: str = strawberry.field(description="YYYY-MM, or the statement's period end.")
    value: Decimal | None


@strawberry.type(
    name="DecisionSupport",
    description="What an approver weighs for one application: the score, the policy "
    "checks, exposure, repayment capacity, the suggested limit and price, peers and "
    "chart-ready series.",
)
class DecisionSupportType:
    as_of: dt.date
    grade: str | None = strawberry.field(description="The score's grade (null: not scored).")
    probability_of_default: float | None
    points: int | None
    reasons: JSON | None = strawberry.field(description="The score's reason codes.")
    policy_rules_version: int = strawberry.field(
        description="The version of the policy rules the checks ran under."
    )
    policy_checks: list[PolicyCheckType] = strawberry.field(
        description="Enabled rules, the core's (hard first) then the plugins'."
    )
    hard_failures: int = strawberry.field(description="Hard rules that fail without an exception.")
    exposure: ExposureType
    capacity: CapacityType
    suggestion: LimitType | None = strawberry.field(description="Null: not scored.")
    peers: list[PeerType]
    taxed_sales_series: list[PointType] = strawberry.field(
        description="Monthly taxable sales of the 24 complete months before asOf."
    )
    cash_flow_series: list[PointType] = strawberry.field(
        description="Operating cash flow of each statement, oldest first."
    )

    @classmethod
    def of(cls, view: service.DecisionSupport) -> DecisionSupportType:
        score = view.score.score if view.score is not None else None
        e, c, limit = view.exposure, view.capacity, view.limit
        capital = e.bank_capital

        def share(value: Decimal) -> float | None:
            return None if not capital else float(value / capital)

        return cls(
            as_of=view.as_of,
            grade=None if score is None else score.grade,
            probability_of_default=None if score is None else score.probability_of_default,
            points=None if score is None else score.points,
            reasons=None if score is None else score.reasons,
            policy_rules_version=view.rules_version,
            policy_checks=[PolicyCheckType.of(x) for x in view.checks],
            hard_failures=sum(1 for x in view.checks if x.kind == "hard" and x.outcome == "fail"),
            exposure=ExposureType(
                direct_before=e.direct_before,
                direct_after=e.direct_after,
                group_before=e.group_before,
                group_after=e.group_after,
                bank_capital=capital,
                direct_share_after=share(e.direct_after),
                group_share_after=share(e.group_after),
                related_parties=[
                    RelatedPartyType(
                        firm_name=p.firm_name,
                        link=p.link,
                        outstanding=p.outstanding,
                        _firm_id=p.firm_id,
                        _person_id=e.shared_person.get(p.firm_id),
                    )
                    for p in e.related
                ],
            ),
            capacity=CapacityType(
                monthly_instalment=c.monthly_instalment,
                avg_monthly_cash_flow=c.avg_monthly_cash_flow,
                avg_monthly_taxed_sales=c.avg_monthly_taxed_sales,
                dscr=c.dscr,
                sales_cover=c.sales_cover,
            ),
            suggestion=None
            if limit is None
            else LimitType(
                suggested_limit=limit.suggested_limit,
                rate_low=limit.rate_low,
                rate_high=limit.rate_high,
                risk_rate=limit.risk_rate,
                policy_version=limit.policy_version,
                grade=limit.grade,
                limit_factor=limit.limit_factor,
                revenue_cap_share=limit.revenue_cap_share,
                grade_rate_min=limit.grade_rate_min,
                grade_rate_max=limit.grade_rate_max,
                _rule=(limit.rule_zh, limit.rule_en),
            ),
            peers=[
                PeerType(
                    ratio=p.ratio,
                    value=p.value,
                    industry_percentile=p.industry_percentile,
                    industry_peers=p.industry_peers,
                    region_percentile=p.region_percentile,
                    region_peers=p.region_peers,
                    higher_is_better=p.higher_is_better,
                )
                for p in view.peers
            ],
            taxed_sales_series=[
                PointType(period=p.period, value=p.value) for p in view.taxed_sales
            ],
            cash_flow_series=[PointType(period=p.period, value=p.value) for p in view.cash_flow],
        )


async def decision_support_of(info: strawberry.Info, application_id: int) -> DecisionSupportType:
    """The view of one application the caller already reached (row scope applied)."""
    row = await scoped(info.context, models.LoanApplication).get(id=application_id)
    view = await service.decision_support(
        row,
        bank_capital=info.context.settings.bank_capital,
        registry=getattr(info.context, "plugins", None),
    )
    return DecisionSupportType.of(view)


# ------------------------------------------------------------------------ the policy rules


@strawberry.type(
    name="CreditRule",
    description="A policy rule of credit decisions with its setting in a version.",
)
class CreditRuleType(_NamedRule):
    enabled: bool
    params: JSON = strawberry.field(description="The parameters in force (defaults merged).")
    default_params: JSON = strawberry.field(description="The rule's own defaults.")
    source: str = strawberry.field(description="core, or the plugin that registered it.")


@strawberry.type(
    name="CreditRuleSet",
    description="The policy rules at one version (0: every rule with its own defaults).",
)
class CreditRuleSetType:
    version: int
    rules: list[CreditRuleType]

    @classmethod
    def of(cls, rule_set: policy_rules.RuleSet) -> CreditRuleSetType:
        return cls(
            version=rule_set.version,
            rules=[
                CreditRuleType(
                    code=a.setting.code,
                    kind=PolicyRuleKind(a.setting.kind),
                    enabled=a.setting.enabled,
                    params=cast(JSON, dict(a.setting.params)),
                    default_params=cast(JSON, dict(a.rule.default_params)),
                    source=a.source,
                    _names=(str(a.rule.name_zh), str(a.rule.name_en)),
                )
                for a in rule_set.rules
            ],
        )


@strawberry.type(
    name="CreditRuleVersion",
    description="One change of one policy rule: the version it made, never edited.",
)
class CreditRuleVersionType(relay.Node):
    key: relay.NodeID[int]
    version: int
    rule_code: str
    source: str
    enabled: bool
    kind: PolicyRuleKind
    params: JSON
    author: str
    note: str
    created_at: dt.datetime

    @classmethod
    def from_model(cls, row: models.PolicyRuleChange) -> CreditRuleVersionType:
        return cls(
            key=row.version,
            version=row.version,
            rule_code=row.rule_code,
            source=row.source,
            enabled=row.enabled,
            kind=PolicyRuleKind(row.kind),
            params=row.params,
            author=row.author,
            note=row.note,
            created_at=row.created_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[CreditRuleVersionType | None]:
        try:
            require_operation(info, "policy_rule.view")
        except PermissionDenied:
            return [None for _ in node_ids]  # out of reach answers like missing
        rows = {
            r.version: r
            for r in await models.PolicyRuleChange.filter(version__in=[int(i) for i in node_ids])
        }
        return [cls.from_model(rows[int(i)]) if int(i) in rows else None for i in node_ids]


@strawberry.type
class DecisionSupportQueries:
    @strawberry.field(
        description="The policy rules of credit decisions in force (or at a version), each "
        "with its kind, parameters and source."
    )
    async def policy_rules(
        self, info: strawberry.Info, version: int | None = None
    ) -> CreditRuleSetType:
        require_operation(info, "policy_rule.view")
        rule_set = await policy_rules.current_rules(
            version=version, registry=getattr(info.context, "plugins", None)
        )
        return CreditRuleSetType.of(rule_set)

    @strawberry.field(description="Changes of the policy rules, newest version first.")
    async def policy_rule_versions(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[CreditRuleVersionType]:
        require_operation(info, "policy_rule.view")
        return await paginate(
            models.PolicyRuleChange.all(),
            sort=_CHANGES_SORT,
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=CreditRuleVersionType.from_model,
        )


@strawberry.input(description="A change of one policy rule; what is left out stays as it is.")
class SetPolicyRuleInput:
    code: str = strawberry.field(description="The rule (policyRules lists them).")
    note: str = strawberry.field(description="Why it changes (audited).")
    enabled: bool | None = None
    kind: PolicyRuleKind | None = None
    params: JSON | None = strawberry.field(
        default=None,
        description="Parameters to set, by name: each must be one of the rule's "
        "defaultParams, with a value of the same type.",
    )


@strawberry.input(description="An exception to a policy rule the application fails.")
class GrantPolicyExceptionInput:
    application_id: relay.GlobalID
    rule_code: str
    reason: str


SetPolicyRuleResult = Annotated[CreditRuleSetType | Errors, strawberry.union("SetPolicyRuleResult")]
GrantPolicyExceptionResult = Annotated[
    DecisionOverrideType | Errors, strawberry.union("GrantPolicyExceptionResult")
]


@strawberry.type
class DecisionSupportMutations:
    @strawberry.mutation(
        description="Change one policy rule of credit decisions (risk analysts): a new "
        "version, audited. Refused with UNKNOWN_POLICY_RULE or INVALID_POLICY_RULE naming "
        "the parameter at fault."
    )
    async def set_policy_rule(
        self, info: strawberry.Info, input: SetPolicyRuleInput
    ) -> SetPolicyRuleResult:
        async def go() -> CreditRuleSetType:
            params: Any = input.params
            if params is not None and not isinstance(params, dict):
                raise InvalidInput(
                    "params must be an object of parameter names and values",
                    code="INVALID_POLICY_RULE",
                    field="input.params",
                )
            rule_set = await policy_rules.set_rule(
                input.code.strip(),
                actor=require_user(info),
                note=input.note,
                enabled=input.enabled,
                kind=None if input.kind is None else input.kind.value,
                params=params,
                registry=getattr(info.context, "plugins", None),
            )
            return CreditRuleSetType.of(rule_set)

        return await guard(go())  # type: ignore[return-value]

    @strawberry.mutation(
        description="Grant an exception to a policy rule the application fails (approvers, "
        "the credit committee; never its maker), with a reason: recorded as a decision "
        "override and shown as EXCEPTION in decisionSupport."
    )
    async def grant_policy_exception(
        self, info: strawberry.Info, input: GrantPolicyExceptionInput
    ) -> GrantPolicyExceptionResult:
        async def go() -> DecisionOverrideType:
            row = await service.grant_exception(
                parse_global_id(input.application_id, "LoanApplication"),
                input.rule_code.strip(),
                actor=require_user(info),
                reason=input.reason,
                bank_capital=info.context.settings.bank_capital,
                registry=getattr(info.context, "plugins", None),
            )
            return DecisionOverrideType.from_model(row)

        return await guard(go())  # type: ignore[return-value]
