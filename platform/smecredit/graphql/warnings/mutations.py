"""GraphQL of the early-warning system: live push, scans, back-test, weights, lifecycle.

The mutations change rule settings and weights (read them through
:mod:`smecredit.graphql.warning_config`). ``proposeWarningWeights`` computes a proposal in
the background, like ``runWarningScan``: both answer at once with a row to poll.

``warningChanged`` delivers each new or changed warning the subscriber may see: every
message from the broadcaster names warning ids only, and the subscriber re-reads them
through :func:`~smecredit.security.row_scope.scoped` with their own context, so row scope and
field permissions apply exactly as for a query.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry import relay

from smecredit import models
from smecredit.errors import InvalidInput, NotFound
from smecredit.graphql.auth import require_operation, require_user
from smecredit.graphql.context import registry_of
from smecredit.graphql.scalars import parse_global_id
from smecredit.graphql.warning_config import (
    WeightProposal,
    WeightSetType,
)
from smecredit.graphql.warnings import WarningType
from smecredit.security.operations import authorize
from smecredit.security.row_scope import scoped
from smecredit.services.early_warning import backtest as backtest_service
from smecredit.services.early_warning import config as config_service
from smecredit.services.early_warning import lifecycle
from smecredit.services.early_warning.broadcast import get_broadcaster
from smecredit.services.early_warning.runs import fail_if_running, start_portfolio_run
from smecredit.services.early_warning.scan import scan_firms, scan_portfolio

__all__ = [
    "EarlyWarningMutations",
    "EarlyWarningQueries",
    "EarlyWarningSubscriptions",
    "running_proposals",
    "running_scans",
]

#: Roles that work warnings.
#: Background scan tasks (kept referenced so they are not garbage-collected mid-run).
running_scans: set[asyncio.Task[Any]] = set()
#: Background weight-proposal computations (same reason).
running_proposals: set[asyncio.Task[Any]] = set()


@strawberry.type(description="A warning that was opened or changed, pushed live.")
class WarningChange:
    kind: str = strawberry.field(
        description="opened, updated, escalated, resolved, acknowledged, in_progress, "
        "assigned, commented or dismissed."
    )
    warning: WarningType


@strawberry.type(name="WarningScanRun", description="One early-warning scan.")
class WarningScanRunType:
    db_id: int
    scope: str
    status: str
    author: str
    weight_version: int | None
    firms_scanned: int
    opened: int
    updated: int
    escalated: int
    resolved: int
    error: str | None
    started_at: dt.datetime
    finished_at: dt.datetime | None

    @classmethod
    def from_model(cls, row: models.WarningScanRun) -> WarningScanRunType:
        return cls(
            db_id=row.id,
            scope=row.scope,
            status=row.status,
            author=row.author,
            weight_version=row.weight_version,
            firms_scanned=row.firms_scanned,
            opened=row.opened,
            updated=row.updated,
            escalated=row.escalated,
            resolved=row.resolved,
            error=row.error,
            started_at=row.started_at,
            finished_at=row.finished_at,
        )


@strawberry.type(description="Effectiveness of one warning rule, severity or index level.")
class BacktestRow:
    rule: str
    kind: str = strawberry.field(description="severity, index or rule.")
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


@strawberry.type
class EarlyWarningQueries:
    @strawberry.field(description="Precision, recall, false alarms and lead time of warnings.")
    async def warning_backtest(
        self, info: strawberry.Info, horizon_days: int = 365
    ) -> WarningBacktest:
        require_operation(info, "warning_backtest.view")
        report = await backtest_service.run_backtest(horizon_days)
        rows = [
            BacktestRow(kind=kind, **vars(result))
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
    async def warning_scan_run(self, info: strawberry.Info, id: int) -> WarningScanRunType:
        require_operation(info, "warning_backtest.view")
        row = await models.WarningScanRun.get_or_none(id=id)
        if row is None:
            raise NotFound(f"scan run {id} not found")
        return WarningScanRunType.from_model(row)


@strawberry.type
class EarlyWarningMutations:
    @strawberry.mutation(
        description="Start a scan in the background (all firms, or the given ones); "
        "returns the run to poll with warningScanRun. SCAN_RUNNING when a portfolio scan "
        "is already running (only one at a time, across server processes)."
    )
    async def run_warning_scan(
        self, info: strawberry.Info, firm_ids: list[relay.GlobalID] | None = None
    ) -> WarningScanRunType:
        user = authorize(require_user(info), "warning.scan")
        settings = info.context.settings
        rules = registry_of(info.context).warning_rules
        ids = None if firm_ids is None else [parse_global_id(f, "Firm") for f in firm_ids]
        if ids is None:
            run = await start_portfolio_run(
                author=user.username, stale_after=settings.warning_scan_stale_after
            )
        else:
            run = await models.WarningScanRun.create(scope="firms", author=user.username)

        async def job() -> None:
            try:
                if ids is None:
                    await scan_portfolio(
                        author=user.username, settings=settings, rules=rules, run=run
                    )
                else:
                    await scan_firms(
                        ids, author=user.username, settings=settings, rules=rules, run=run
                    )
            except asyncio.CancelledError:  # the server stops: the run must not stay running
                await fail_if_running(run.id, "CancelledError: interrupted (server stopped)")
                raise
            except Exception as exc:
                # Recorded on the run (the client polls it); nobody awaits this task.
                await fail_if_running(run.id, f"{type(exc).__name__}: {exc}")

        task = asyncio.create_task(job())
        running_scans.add(task)
        task.add_done_callback(running_scans.discard)
        return WarningScanRunType.from_model(run)

    @strawberry.mutation(description="Put a warning in progress (someone works on it).")
    async def start_warning_progress(
        self, info: strawberry.Info, id: relay.GlobalID, expected_version: int | None = None
    ) -> WarningType:
        row = await lifecycle.start_progress(
            parse_global_id(id, "Warning"),
            label=f"Warning {id}",
            actor=require_user(info),
            expected_version=expected_version,
            settings=info.context.settings,
        )
        return WarningType.from_model(row)

    @strawberry.mutation(description="Assign a warning to an officer.")
    async def assign_warning(
        self,
        info: strawberry.Info,
        id: relay.GlobalID,
        assignee: str,
        expected_version: int | None = None,
    ) -> WarningType:
        row = await lifecycle.assign(
            parse_global_id(id, "Warning"),
            label=f"Warning {id}",
            assignee=assignee,
            actor=require_user(info),
            expected_version=expected_version,
            settings=info.context.settings,
        )
        return WarningType.from_model(row)

    @strawberry.mutation(description="Comment on a warning.")
    async def comment_warning(
        self, info: strawberry.Info, id: relay.GlobalID, body: str
    ) -> WarningType:
        db_id = parse_global_id(id, "Warning")
        await lifecycle.comment(
            db_id,
            label=f"Warning {id}",
            body=body,
            actor=require_user(info),
            settings=info.context.settings,
        )
        return WarningType.from_model(await models.Warning.get(id=db_id))

    @strawberry.mutation(
        description="Store a new version of a rule's thresholds and on/off switch "
        "(in force from the next scan)."
    )
    async def configure_warning_rule(
        self,
        info: strawberry.Info,
        code: str,
        thresholds: ThresholdsInput | None = None,
        enabled: bool | None = None,
        note: str = "",
    ) -> int:
        row = await config_service.set_indicator_config(
            code,
            thresholds=None if thresholds is None else vars(thresholds),
            enabled=enabled,
            actor=require_user(info),
            note=note,
            rules=registry_of(info.context).warning_rules,
        )
        return row.version

    @strawberry.mutation(
        description="Weights by AHP: one matrix across groups and one per group; refused "
        "with an explanation when a consistency ratio is 0.1 or more."
    )
    async def set_warning_weights_ahp(
        self,
        info: strawberry.Info,
        groups: list[str],
        group_matrix: list[list[float]],
        group_matrices: list[AhpGroupInput],
        note: str = "",
    ) -> WeightSetType:
        row = await config_service.set_ahp_weights(
            groups,
            group_matrix,
            {g.group: (g.labels, g.matrix) for g in group_matrices},
            actor=require_user(info),
            note=note,
            rules=registry_of(info.context).warning_rules,
        )
        return WeightSetType.from_model(row)

    @strawberry.mutation(description="Weights entered directly by an expert (any scale).")
    async def set_warning_weights_expert(
        self, info: strawberry.Info, groups: list[ExpertGroupInput], note: str = ""
    ) -> WeightSetType:
        user = require_user(info)
        for g in groups:
            if len(g.rule_codes) != len(g.rule_weights):
                raise InvalidInput(
                    f"group {g.group!r}: {len(g.rule_codes)} rule codes but "
                    f"{len(g.rule_weights)} weights",
                    code="INVALID_WEIGHTS",
                )
        row = await config_service.set_expert_weights(
            {g.group: g.weight for g in groups},
            {g.group: dict(zip(g.rule_codes, g.rule_weights, strict=True)) for g in groups},
            actor=user,
            note=note,
            rules=registry_of(info.context).warning_rules,
        )
        return WeightSetType.from_model(row)

    @strawberry.mutation(
        description="Re-estimate the weights from the back-test (logistic regression of "
        "default within horizonDays on the indicators) and store them as a proposal to "
        "accept or reject. Runs in the background: the answer is the proposal in status "
        "computing; poll warningWeightProposal until it is proposed or failed."
    )
    async def propose_warning_weights(
        self, info: strawberry.Info, horizon_days: int = 365
    ) -> WeightProposal:
        row = await backtest_service.start_proposal(
            horizon_days,
            actor=require_user(info),
            rules=registry_of(info.context).warning_rules,
        )
        task = asyncio.create_task(
            backtest_service.compute_proposal(row.id, rules=registry_of(info.context).warning_rules)
        )
        running_proposals.add(task)
        task.add_done_callback(running_proposals.discard)
        return WeightProposal.from_model(row)

    @strawberry.mutation(description="Accept re-estimated weights: in force from the next scan.")
    async def accept_weight_proposal(
        self, info: strawberry.Info, id: int, note: str | None = None
    ) -> WeightProposal:
        row = await backtest_service.accept_proposal(
            id,
            actor=require_user(info),
            note=note,
            rules=registry_of(info.context).warning_rules,
        )
        return WeightProposal.from_model(row)

    @strawberry.mutation(description="Reject re-estimated weights: the current ones stay.")
    async def reject_weight_proposal(
        self, info: strawberry.Info, id: int, note: str | None = None
    ) -> WeightProposal:
        row = await backtest_service.reject_proposal(id, actor=require_user(info), note=note)
        return WeightProposal.from_model(row)


@strawberry.type
class EarlyWarningSubscriptions:
    @strawberry.subscription(
        description="New and changed warnings, live, limited to what the subscriber may see."
    )
    async def warning_changed(self, info: strawberry.Info) -> AsyncGenerator[WarningChange, None]:
        bus = get_broadcaster(info.context.settings)
        async with bus.subscribe() as messages:
            async for message in messages:
                kinds: dict[int, str] = {}
                for wid, kind in message.get("changes", []):
                    kinds[int(wid)] = str(kind)  # the last change of a warning wins
                if not kinds:
                    continue
                rows = await scoped(info.context, models.Warning).filter(id__in=list(kinds))
                for row in sorted(rows, key=lambda r: r.id):
                    yield WarningChange(kind=kinds[row.id], warning=WarningType.from_model(row))
