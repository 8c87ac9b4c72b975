"""GraphQL types of the warning configuration: rules, rule settings, weight sets, weight
proposals and back-tests, with the enumerations of their statuses and methods."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from smecredit import models
from smecredit.graphql.context import registry_of
from smecredit.graphql.warnings.types import guarded_nodes, rule_name
from smecredit.i18n import label, language_of
from smecredit.sdk import WarningRule, declared
from smecredit.services.warnings import config as config_service

__all__ = [
    "AhpGroupInput",
    "BacktestRow",
    "ExpertGroupInput",
    "ThresholdsInput",
    "WarningAhpMatrix",
    "WarningBacktest",
    "WarningBacktestGrouping",
    "WarningConfiguration",
    "WarningGroupWeight",
    "WarningRuleKind",
    "WarningRuleSettingType",
    "WarningRuleType",
    "WarningRuleWeight",
    "WarningThresholds",
    "WarningWeightMethod",
    "WeightEntry",
    "WeightProposal",
    "WeightProposalStatus",
    "WeightSetType",
    "config_state",
    "group_weights",
    "jsonable",
    "rule_setting",
]


@strawberry.enum(description="Where a weight proposal is.")
class WeightProposalStatus(enum.Enum):
    COMPUTING = "computing"
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    FAILED = "failed"


@strawberry.enum(description="How a set of warning weights was made.")
class WarningWeightMethod(enum.Enum):
    AHP = "ahp"
    EXPERT = "expert"
    REESTIMATED = "reestimated"
    DEFAULT = "default"


@strawberry.type(description="One indicator's weight now and as proposed.")
class WeightEntry:
    indicator: str
    current: float
    proposed: float
    coefficient: float | None = strawberry.field(
        default=None,
        description="Logistic-regression coefficient per standard deviation of the "
        "indicator's score (proposals only).",
    )


@strawberry.type(description="Indicator weights re-estimated from a back-test.")
class WeightProposal(relay.Node):
    db_id: relay.NodeID[int]
    status: WeightProposalStatus = strawberry.field(
        description="COMPUTING (poll until it changes), PROPOSED (waiting for a decision), "
        "ACCEPTED, REJECTED or FAILED (see error)."
    )
    weights: list[WeightEntry]
    accepted_version: int | None = strawberry.field(
        description="The version of the weight set made when it was accepted."
    )
    decided_by: str | None
    decision_note: str | None
    decided_at: dt.datetime | None
    error: str | None = strawberry.field(description="Why computing the proposal failed.")
    horizon_days: int
    sample_size: int = strawberry.field(description="Firms the regression learnt from.")
    based_on_version: int | None = strawberry.field(
        description="The weight set in force when it was proposed (null: the defaults)."
    )
    author: str
    created_at: dt.datetime

    @classmethod
    def from_model(cls, row: models.WeightProposalRecord) -> WeightProposal:
        failed = row.status == "failed"
        coefficients = row.coefficients or {}
        return cls(
            db_id=row.id,
            status=WeightProposalStatus(row.status),
            weights=[
                WeightEntry(
                    indicator=code,
                    current=float(row.current.get(code, 0.0)),
                    proposed=float(value),
                    coefficient=(float(coefficients[code]) if code in coefficients else None),
                )
                for code, value in sorted(row.proposed.items())
            ],
            accepted_version=row.accepted_version,
            decided_by=row.decided_by,
            # A failed computation keeps its reason in the decision note (no extra column).
            decision_note=None if failed else row.decision_note,
            decided_at=row.decided_at,
            error=row.decision_note if failed else None,
            horizon_days=row.horizon_days,
            sample_size=row.sample_size,
            based_on_version=row.based_on_version,
            author=row.author,
            created_at=row.created_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[WeightProposal | None]:
        return await guarded_nodes(
            info, models.WeightProposalRecord, node_ids, "warning_weights.view", cls.from_model
        )

    @strawberry.field(description="The status in the caller's language.")
    def status_label(self, info: strawberry.Info) -> str:
        return label("weightProposalStatus", self.status, language_of(info.context))


@strawberry.type(description="A weight of one group of rules.")
class WarningGroupWeight:
    group: str
    weight: float


@strawberry.type(description="One AHP pairwise comparison matrix of a weight set.")
class WarningAhpMatrix:
    name: str = strawberry.field(description="groups (across groups) or the group's name.")
    labels: list[str]
    matrix: list[list[float]]
    weights: list[float] = strawberry.field(description="The matrix's priority vector.")
    consistency_ratio: float
    lambda_max: float


@strawberry.type(name="WarningWeightSet", description="A stored version of the weights.")
class WeightSetType(relay.Node):
    db_id: relay.NodeID[int]
    version: int
    method: WarningWeightMethod = strawberry.field(description="AHP, EXPERT or REESTIMATED.")
    author: str
    note: str
    created_at: dt.datetime
    weights: list[WeightEntry] = strawberry.field(
        description="Rule weights (current = proposed = the stored weight)."
    )
    group_weights: list[WarningGroupWeight]
    consistency_ratios: list[float] = strawberry.field(
        description="CR of each AHP matrix, the group matrix first (empty for expert sets)."
    )
    ahp_matrices: list[WarningAhpMatrix] = strawberry.field(
        description="The AHP judgements behind the weights, the group matrix first "
        "(empty unless the method is AHP)."
    )
    _proposal_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: models.WeightSet) -> WeightSetType:
        detail = row.ahp_detail or {}
        # The group matrix first, then by group: PostgreSQL's JSONB keeps no key order.
        names = sorted(
            (k for k, v in detail.items() if isinstance(v, dict) and "cr" in v),
            key=lambda k: (k != "groups", k),
        )
        crs = [float(detail[name]["cr"]) for name in names]
        matrices = [
            WarningAhpMatrix(
                name=name,
                labels=[str(x) for x in v.get("labels", [])],
                matrix=[[float(x) for x in r] for r in v.get("matrix", [])],
                weights=[float(x) for x in v.get("weights", [])],
                consistency_ratio=float(v["cr"]),
                lambda_max=float(v.get("lambda_max", 0.0)),
            )
            for name, v in ((n, detail[n]) for n in names)
        ]
        proposal = detail.get("proposal")
        return cls(
            db_id=row.id,
            version=row.version,
            method=WarningWeightMethod(row.method),
            author=row.author,
            note=row.note,
            created_at=row.created_at,
            weights=[
                WeightEntry(indicator=k, current=float(v), proposed=float(v))
                for k, v in sorted(row.indicator_weights.items())
            ],
            group_weights=group_weights(row.group_weights),
            consistency_ratios=crs,
            ahp_matrices=matrices,
            _proposal_id=int(proposal) if isinstance(proposal, int) else None,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[WeightSetType | None]:
        return await guarded_nodes(
            info, models.WeightSet, node_ids, "warning_weights.view", cls.from_model
        )

    @strawberry.field(description="The method in the caller's language.")
    def method_label(self, info: strawberry.Info) -> str:
        return label("warningWeightMethod", self.method, language_of(info.context))

    @strawberry.field(
        description="The accepted proposal the weights come from (REESTIMATED sets; null "
        "when the caller may not read proposals)."
    )
    async def proposal(self, info: strawberry.Info) -> WeightProposal | None:
        if self._proposal_id is None:
            return None
        found = await WeightProposal.resolve_nodes(info=info, node_ids=[str(self._proposal_id)])
        return found[0]


def group_weights(weights: dict[str, Any]) -> list[WarningGroupWeight]:
    """Group weights, by group name."""
    return [WarningGroupWeight(group=g, weight=float(w)) for g, w in sorted(weights.items())]


@strawberry.type(description="Level thresholds: the value at which each severity is reached.")
class WarningThresholds:
    blue: float
    yellow: float
    orange: float
    red: float

    @classmethod
    def of(cls, values: Any) -> WarningThresholds:
        return cls(**{k: float(values[k]) for k in ("blue", "yellow", "orange", "red")})


@strawberry.enum(description="Whether a rule measures a figure or records an event.")
class WarningRuleKind(enum.Enum):
    QUANTITATIVE = "quantitative"
    QUALITATIVE = "qualitative"


@strawberry.enum(description="What a back-test row groups the warnings by.")
class WarningBacktestGrouping(enum.Enum):
    SEVERITY = "severity"
    INDEX = "index"
    RULE = "rule"


@strawberry.type(
    name="WarningRule", description="A warning rule registered by a plugin (its defaults)."
)
class WarningRuleType:
    code: str
    name: str = strawberry.field(description="The rule's name as its plugin declares it.")
    name_zh: str | None = strawberry.field(description="Its Chinese name, if declared.")
    group: str = strawberry.field(description="fundamentals, financial, market or credit.")
    kind: WarningRuleKind = strawberry.field(description="Quantitative or qualitative.")
    direction: str = strawberry.field(description="higher_is_worse or lower_is_worse.")
    inputs: list[str] = strawberry.field(description="The input columns the rule reads.")
    window_days: int | None = strawberry.field(
        description="How far back the evidence is looked at (0: the current state)."
    )
    default_thresholds: WarningThresholds
    default_weight: float | None = strawberry.field(
        description="The expert weight within its group, used until weights are stored."
    )
    default_params: JSON = strawberry.field(description="Rule parameters by default.")
    explanation: str | None = strawberry.field(
        description="Template of a warning's message ({value}, {level}, {threshold})."
    )
    plugin: str | None = strawberry.field(description="The plugin that registered it.")
    _rule: strawberry.Private[Any]

    @strawberry.field(description="The kind in the caller's language.")
    def kind_label(self, info: strawberry.Info) -> str:
        return label("warningRuleKind", self.kind, language_of(info.context))

    @classmethod
    def of(cls, rule: Any, plugin: str | None) -> WarningRuleType:
        weight = declared(rule, WarningRule, "default_weight")
        window = declared(rule, WarningRule, "window_days")
        return cls(
            code=rule.code,
            name=rule.name,
            name_zh=declared(rule, WarningRule, "name_zh"),
            group=rule.group,
            kind=WarningRuleKind(rule.kind),
            direction=rule.direction,
            inputs=[str(x) for x in rule.inputs],
            window_days=None if window is None else int(window),
            default_thresholds=WarningThresholds.of(rule.thresholds),
            default_weight=None if weight is None else float(weight),
            default_params=jsonable(declared(rule, WarningRule, "default_params") or {}),
            explanation=declared(rule, WarningRule, "explanation"),
            plugin=plugin,
            _rule=rule,
        )

    @strawberry.field(description="The rule's name in the caller's language.")
    def label(self, info: strawberry.Info) -> str:
        return rule_name(self.code, language_of(info.context), {self.code: self._rule})

    @strawberry.field(
        description="The rule's settings in force (used by the next scan): thresholds, "
        "switch and parameters, who stored them and when."
    )
    async def setting(self, info: strawberry.Info) -> WarningRuleSettingType | None:
        state = await config_state(info)
        return rule_setting(self.code, state) if self.code in state.config.settings else None


def jsonable(value: Any) -> Any:
    """``value`` with tuples and sets as lists and keys as strings (JSON-safe)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


@strawberry.type(name="WarningRuleSetting", description="A rule's settings in force.")
class WarningRuleSettingType:
    code: str
    enabled: bool
    thresholds: WarningThresholds
    params: JSON
    version: int = strawberry.field(description="Stored version; 0 = the plugin's defaults.")
    author: str | None = strawberry.field(description="Who stored this version.")
    note: str | None
    changed_at: dt.datetime | None


_STATE_KEY = "warnings.config_in_force"


async def config_state(info: strawberry.Info) -> config_service.ConfigInForce:
    """The configuration in force, read once per request (every rule's setting shares it)."""
    extra = info.context.extra
    state = extra.get(_STATE_KEY)
    if state is None:
        state = extra[_STATE_KEY] = await config_service.config_in_force(
            registry_of(info.context).warning_rules
        )
    return state  # type: ignore[no-any-return]


def rule_setting(code: str, state: config_service.ConfigInForce) -> WarningRuleSettingType:
    """The setting in force of rule ``code``, with who stored it."""
    setting = state.config.settings[code]
    row = state.rule_rows.get(code)
    return WarningRuleSettingType(
        code=code,
        enabled=setting.enabled,
        thresholds=WarningThresholds.of(setting.thresholds),
        params=jsonable(setting.params),
        version=setting.version,
        author=row.author if row else None,
        note=row.note if row else None,
        changed_at=row.created_at if row else None,
    )


@strawberry.type(description="One rule's weight in the composite index.")
class WarningRuleWeight:
    rule: str
    group: str | None
    weight: float


@strawberry.type(description="What the next scan uses: rule settings and weights in force.")
class WarningConfiguration:
    rules: list[WarningRuleSettingType]
    weight_version: int | None = strawberry.field(
        description="The weight set in force; null while the rules' default weights apply."
    )
    weight_method: WarningWeightMethod = strawberry.field(
        description="AHP, EXPERT, REESTIMATED or DEFAULT."
    )
    weights: list[WarningRuleWeight] = strawberry.field(description="Rule weights in force.")
    group_weights: list[WarningGroupWeight]
    weight_set: WeightSetType | None = strawberry.field(
        description="The stored weight set in force (method, CRs, who set it and when)."
    )

    @strawberry.field(description="The weight method in the caller's language.")
    def weight_method_label(self, info: strawberry.Info) -> str:
        return label("warningWeightMethod", self.weight_method, language_of(info.context))


@strawberry.type(description="Effectiveness of one warning rule, severity or index level.")
class BacktestRow:
    rule: str
    kind: WarningBacktestGrouping = strawberry.field(description="Severity, index or rule.")
    firms: int
    defaults: int
    warned: int
    hits: int
    false_alarms: int
    immature: int
    precision: float | None
    recall: float | None
    false_alarm_rate: float | None
    median_lead_days: float | None

    @strawberry.field(description="The grouping in the caller's language.")
    def kind_label(self, info: strawberry.Info) -> str:
        return label("warningBacktestGrouping", self.kind, language_of(info.context))


@strawberry.type(description="Back-test of the warnings against later defaults.")
class WarningBacktest:
    horizon_days: int
    observation_end: dt.date
    rows: list[BacktestRow]


@strawberry.input(description="Level thresholds of a warning rule.")
class ThresholdsInput:
    blue: float
    yellow: float
    orange: float
    red: float


@strawberry.input(description="AHP judgements among the rules of one group.")
class AhpGroupInput:
    group: str
    labels: list[str] = strawberry.field(description="Rule codes, in matrix order.")
    matrix: list[list[float]] = strawberry.field(description="Reciprocal pairwise matrix.")


@strawberry.input(description="Expert weights of the rules of one group.")
class ExpertGroupInput:
    group: str
    weight: float
    rule_codes: list[str]
    rule_weights: list[float]
