"""GraphQL queries of the warnings: the warnings themselves, scan runs, back-tests, and the
configuration (rules, settings and weights in force, and their history).

``warningRules`` is the catalogue of rules registered by plugins (a bounded list);
``warningConfiguration`` what the next scan uses (rule settings and weights in force, who
set them and when); ``warningWeightSets`` the stored weight versions and
``warningWeightProposals`` the re-estimated weights with what was decided;
``warningScanRuns`` every scan, newest first. The mutations that change them live in
:mod:`smecredit.graphql.warnings.mutations`.
"""

from __future__ import annotations

import strawberry
from strawberry import relay

from smecredit import models
from smecredit.errors import NotFound
from smecredit.graphql.auth import require_operation, require_user
from smecredit.graphql.context import registry_of
from smecredit.graphql.pagination import Connection, SortSpec, paginate
from smecredit.graphql.scalars import parse_global_id
from smecredit.graphql.warnings.config_types import (
    BacktestRow,
    WarningBacktest,
    WarningBacktestGrouping,
    WarningConfiguration,
    WarningRuleType,
    WarningRuleWeight,
    WarningWeightMethod,
    WeightProposal,
    WeightProposalStatus,
    WeightSetType,
    config_state,
    group_weights,
    rule_setting,
)
from smecredit.graphql.warnings.types import (
    SCAN_RUN_SORTS,
    WarningFilter,
    WarningScanRunFilter,
    WarningScanRunSort,
    WarningScanRunType,
    WarningSort,
    WarningType,
    list_warnings,
)
from smecredit.security.row_scope import scoped
from smecredit.services.warnings import backtest as backtest_service

__all__ = ["WarningQueries"]

_NEWEST_FIRST = SortSpec("id_desc", "id", descending=True)
_VERSION_DESC = SortSpec("version_desc", "version", descending=True)


@strawberry.type
class WarningQueries:
    @strawberry.field(description="Warnings visible to the caller, newest first by default.")
    async def warnings(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: WarningFilter | None = None,
        sort: WarningSort | None = None,
    ) -> Connection[WarningType]:
        return await list_warnings(info, first=first, after=after, filter=filter, sort=sort)

    @strawberry.field(description="One warning by its global id.")
    async def warning(self, info: strawberry.Info, id: relay.GlobalID) -> WarningType:
        row = await scoped(info.context, models.Warning).get_or_none(
            id=parse_global_id(id, "Warning")
        )
        if row is None:
            raise NotFound(f"Warning {id} not found")
        return WarningType.from_model(row)

    @strawberry.field(description="Precision, recall, false alarms and lead time of warnings.")
    async def warning_backtest(
        self, info: strawberry.Info, horizon_days: int = 365
    ) -> WarningBacktest:
        require_operation(info, "warning_backtest.view")
        report = await backtest_service.run_backtest(horizon_days)
        rows = [
            BacktestRow(kind=WarningBacktestGrouping(kind), **vars(result))
            for kind, group in (
                ("severity", report.by_severity),
                ("index", report.by_index),
                ("rule", report.by_rule),
            )
            for result in group.values()
        ]
        return WarningBacktest(
            horizon_days=report.horizon_days, observation_end=report.observation_end, rows=rows
        )

    @strawberry.field(description="One scan run, to follow a background scan.")
    async def warning_scan_run(
        self, info: strawberry.Info, id: relay.GlobalID
    ) -> WarningScanRunType:
        require_operation(info, "warning_backtest.view")
        row = await models.WarningScanRun.get_or_none(id=parse_global_id(id, "WarningScanRun"))
        if row is None:
            raise NotFound(f"scan run {id} not found")
        return WarningScanRunType.from_model(row)

    @strawberry.field(description="Scan runs, newest first by default.")
    async def warning_scan_runs(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: WarningScanRunFilter | None = None,
        sort: WarningScanRunSort | None = None,
    ) -> Connection[WarningScanRunType]:
        require_operation(info, "warning_backtest.view")
        qs = models.WarningScanRun.all()
        if filter is not None:
            if filter.status:
                qs = qs.filter(status=filter.status.value)
            if filter.scope:
                qs = qs.filter(scope=filter.scope.value)
            if filter.since:
                qs = qs.filter(started_at__gte=filter.since)
        return await paginate(
            qs,
            sort=SCAN_RUN_SORTS[sort or WarningScanRunSort.STARTED_DESC],
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=WarningScanRunType.from_model,
        )

    @strawberry.field(description="Every warning rule the installed plugins register.")
    def warning_rules(self, info: strawberry.Info) -> list[WarningRuleType]:
        # A bounded catalogue (the rules of the installed plugins): a plain list.
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
        state = await config_state(info)
        config = state.config
        groups = {code: getattr(rule, "group", None) for code, rule in config.rules.items()}
        weight_set = state.weight_set
        return WarningConfiguration(
            rules=[rule_setting(code, state) for code in sorted(config.settings)],
            weight_version=config.weight_version,
            weight_method=WarningWeightMethod(weight_set.method if weight_set else "default"),
            weights=[
                WarningRuleWeight(rule=code, group=groups.get(code), weight=float(w))
                for code, w in sorted(config.weights.items())
            ],
            group_weights=group_weights(config.group_weights),
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

    @strawberry.field(description="Weight proposals, newest first, optionally of one status.")
    async def warning_weight_proposals(
        self,
        info: strawberry.Info,
        status: WeightProposalStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[WeightProposal]:
        require_operation(info, "warning_weights.view")
        qs = models.WeightProposalRecord.all()
        if status is not None:
            qs = qs.filter(status=status.value)
        return await paginate(
            qs,
            sort=_NEWEST_FIRST,
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=WeightProposal.from_model,
        )

    @strawberry.field(description="One weight proposal, e.g. to follow proposeWarningWeights.")
    async def warning_weight_proposal(
        self, info: strawberry.Info, id: relay.GlobalID
    ) -> WeightProposal:
        require_operation(info, "warning_weights.view")
        row = await models.WeightProposalRecord.get_or_none(
            id=parse_global_id(id, "WeightProposal")
        )
        if row is None:
            raise NotFound(f"weight proposal {id} not found")
        return WeightProposal.from_model(row)
