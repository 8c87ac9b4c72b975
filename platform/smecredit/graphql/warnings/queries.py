"""GraphQL of the early-warning configuration: rules, settings and weights in force, and
their history.

``warningRules`` is the catalogue of rules registered by plugins; ``warningConfiguration``
what the next scan uses (rule settings and weights in force, who set them and when);
``warningWeightSets`` the stored weight versions and ``warningWeightProposals`` the
re-estimated weights with what was decided. The mutations that change them live in
:mod:`smecredit.graphql.early_warning`, which uses the types defined here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.scalars import JSON

from smecredit import models
from smecredit.errors import InvalidInput, NotFound
from smecredit.graphql.auth import require_operation, require_user
from smecredit.graphql.context import registry_of
from smecredit.graphql.pagination import Connection, SortSpec, paginate
from smecredit.sdk import WarningRule, declared
from smecredit.services.early_warning import config as config_service

__all__ = [
    "PROPOSAL_STATUSES",
    "WarningConfigQueries",
    "WarningConfiguration",
    "WarningRuleType",
    "WeightEntry",
    "WeightProposal",
    "WeightSetType",
]

#: Statuses of a weight proposal.
PROPOSAL_STATUSES = ("computing", "proposed", "accepted", "rejected", "failed")
_NEWEST_FIRST = SortSpec("id_desc", "id", descending=True)
_VERSION_DESC = SortSpec("version_desc", "version", descending=True)


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
class WeightProposal:
    db_id: int
    status: str = strawberry.field(
        description="computing (poll until it changes), proposed (waiting for a decision), "
        "accepted, rejected or failed (see error)."
    )
    weights: list[WeightEntry]
    accepted_version: int | None
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
            status=row.status,
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
class WeightSetType:
    version: int
    method: str = strawberry.field(description="ahp, expert or reestimated.")
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
        "(empty unless the method is ahp)."
    )
    proposal_id: int | None = strawberry.field(
        description="The accepted proposal the weights come from (reestimated sets)."
    )

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
            version=row.version,
            method=row.method,
            author=row.author,
            note=row.note,
            created_at=row.created_at,
            weights=[
                WeightEntry(indicator=k, current=float(v), proposed=float(v))
                for k, v in sorted(row.indicator_weights.items())
            ],
            group_weights=_group_weights(row.group_weights),
            consistency_ratios=crs,
            ahp_matrices=matrices,
            proposal_id=int(proposal) if isinstance(proposal, int) else None,
        )


def _group_weights(weights: dict[str, Any]) -> list[WarningGroupWeight]:
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


@strawberry.type(
    name="WarningRule", description="A warning rule registered by a plugin (its defaults)."
)
class WarningRuleType:
    code: str
    name: str
    name_zh: str | None
    group: str = strawberry.field(description="fundamentals, financial, market or credit.")
    kind: str = strawberry.field(description="quantitative or qualitative.")
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

    @classmethod
    def of(cls, rule: Any, plugin: str | None) -> WarningRuleType:
        weight = declared(rule, WarningRule, "default_weight")
        window = declared(rule, WarningRule, "window_days")
        return cls(
            code=rule.code,
            name=rule.name,
            name_zh=declared(rule, WarningRule, "name_zh"),
            group=rule.group,
            kind=rule.kind,
            direction=rule.direction,
            inputs=[str(x) for x in rule.inputs],
            window_days=None if window is None else int(window),
            default_thresholds=WarningThresholds.of(rule.thresholds),
            default_weight=None if weight is None else float(weight),
            default_params=_jsonable(declared(rule, WarningRule, "default_params") or {}),
            explanation=declared(rule, WarningRule, "explanation"),
            plugin=plugin,
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
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
    weight_method: str = strawberry.field(description="ahp, expert, reestimated or default.")
    weights: list[WarningRuleWeight] = strawberry.field(description="Rule weights in force.")
    group_weights: list[WarningGroupWeight]
    weight_set: WeightSetType | None = strawberry.field(
        description="The stored weight set in force (method, CRs, who set it and when)."
    )


@strawberry.type
class WarningConfigQueries:
    @strawberry.field(description="Every warning rule the installed plugins register.")
    def warning_rules(self, info: strawberry.Info) -> list[WarningRuleType]:
        require_user(info)
        registry = registry_of(info.context)
        rules = registry.warning_rules
        return [
            WarningRuleType.of(rules[code], registry.owner("warning_rules", code))
            for code in sorted(rules)
        ]

    @strawberry.field(description="Rule settings and weights in force (used by the next scan).")
    async def warning_configuration(self, info: strawberry.Info) -> WarningConfiguration:
        require_user(info)
        state = await config_service.config_in_force(registry_of(info.context).warning_rules)
        config = state.config
        settings = []
        for code in sorted(config.settings):
            setting = config.settings[code]
            row = state.rule_rows.get(code)
            settings.append(
                WarningRuleSettingType(
                    code=code,
                    enabled=setting.enabled,
                    thresholds=WarningThresholds.of(setting.thresholds),
                    params=_jsonable(setting.params),
                    version=setting.version,
                    author=row.author if row else None,
                    note=row.note if row else None,
                    changed_at=row.created_at if row else None,
                )
            )
        groups = {code: getattr(rule, "group", None) for code, rule in config.rules.items()}
        weight_set = state.weight_set
        return WarningConfiguration(
            rules=settings,
            weight_version=config.weight_version,
            weight_method=weight_set.method if weight_set else "default",
            weights=[
                WarningRuleWeight(rule=code, group=groups.get(code), weight=float(w))
                for code, w in sorted(config.weights.items())
            ],
            group_weights=_group_weights(config.group_weights),
            weight_set=WeightSetType.from_model(weight_set) if weight_set else None,
        )

    @strawberry.field(description="Stored weight sets, newest version first.")
    async def warning_weight_sets(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[WeightSetType]:
        require_operation(info, "warning_weights.view")
        return await paginate(
            models.WeightSet.all(),
            sort=_VERSION_DESC,
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=WeightSetType.from_model,
        )

    @strawberry.field(
        description="Weight proposals, newest first; status: " + ", ".join(PROPOSAL_STATUSES) + "."
    )
    async def warning_weight_proposals(
        self,
        info: strawberry.Info,
        status: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[WeightProposal]:
        require_operation(info, "warning_weights.view")
        qs = models.WeightProposalRecord.all()
        if status is not None:
            if status not in PROPOSAL_STATUSES:
                raise InvalidInput(
                    f"status {status!r} is not one of {', '.join(PROPOSAL_STATUSES)}"
                )
            qs = qs.filter(status=status)
        return await paginate(
            qs,
            sort=_NEWEST_FIRST,
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=WeightProposal.from_model,
        )

    @strawberry.field(description="One weight proposal, e.g. to follow proposeWarningWeights.")
    async def warning_weight_proposal(self, info: strawberry.Info, id: int) -> WeightProposal:
        require_operation(info, "warning_weights.view")
        row = await models.WeightProposalRecord.get_or_none(id=id)
        if row is None:
            raise NotFound(f"weight proposal {id} not found")
        return WeightProposal.from_model(row)
