"""GraphQL mutations of the warnings: the lifecycle steps, scans, rule settings and weights.

Every mutation answers a result union (``WarningResult``, ``WarningScanRunResult``,
``WarningRuleResult``, ``WarningWeightSetResult``, ``WeightProposalResult``): the object
it made or changed, or the typed error that refused it (see
:mod:`smecredit.graphql.results`). ``proposeWarningWeights`` computes a proposal in the
background, like ``runWarningScan``: both answer at once with a node to poll.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from strawberry import relay

from smecredit import models
from smecredit.errors import InvalidInput
from smecredit.graphql.auth import require_user
from smecredit.graphql.context import registry_of
from smecredit.graphql.jobs import supervisor_of
from smecredit.graphql.results import BusinessError, Conflict, Errors, guard
from smecredit.graphql.scalars import parse_global_id
from smecredit.graphql.warnings.config_types import (
    AhpGroupInput,
    ExpertGroupInput,
    ThresholdsInput,
    WarningRuleType,
    WeightProposal,
    WeightSetType,
)
from smecredit.graphql.warnings.types import WarningScanRunType, WarningType
from smecredit.security.operations import authorize
from smecredit.services.jobs.kinds import start_warning_scan, start_weight_proposal
from smecredit.services.warnings import backtest as backtest_service
from smecredit.services.warnings import config as config_service
from smecredit.services.warnings import lifecycle
from smecredit.services.warnings.runs import ScanAlreadyRunning, start_portfolio_run

__all__ = [
    "WarningMutations",
    "WarningResult",
    "WarningRuleResult",
    "WarningScanRunResult",
    "WarningWeightSetResult",
    "WeightProposalResult",
]

WarningResult = Annotated[WarningType | Errors, strawberry.union("WarningResult")]
WarningScanRunResult = Annotated[
    WarningScanRunType | Errors, strawberry.union("WarningScanRunResult")
]
WarningRuleResult = Annotated[WarningRuleType | Errors, strawberry.union("WarningRuleResult")]
WarningWeightSetResult = Annotated[
    WeightSetType | Errors, strawberry.union("WarningWeightSetResult")
]
WeightProposalResult = Annotated[WeightProposal | Errors, strawberry.union("WeightProposalResult")]


async def _scan_guard(call: Awaitable[WarningScanRunType]) -> WarningScanRunType | BusinessError:
    """:func:`guard`, answering a portfolio scan already running as the ``Conflict`` it is
    (a state of the platform, not a bad argument)."""
    answer = await guard(call)
    if isinstance(answer, BusinessError) and answer.code == ScanAlreadyRunning.code:
        return Conflict(code=answer.code, detail=answer.detail, params=answer.params)
    return answer


def _warning_step(
    info: strawberry.Info,
    id: relay.GlobalID,
    step: Callable[..., Awaitable[models.Warning]],
    **kwargs: Any,
) -> Awaitable[WarningType | BusinessError]:
    """One lifecycle step on warning ``id``, answered as a ``WarningResult``."""

    async def work() -> WarningType:
        row = await step(
            parse_global_id(id, "Warning"),
            label=f"Warning {id}",
            actor=require_user(info),
            settings=info.context.settings,
            **kwargs,
        )
        return WarningType.from_model(row)

    return guard(work())


@strawberry.type
class WarningMutations:
    # Through the warnings lifecycle, so each step lands in the warning's history, its audit
    # row commits with it, and it reaches live subscribers after the commit.
    @strawberry.mutation(
        description="Acknowledge an open warning (assigns it to you if unassigned)."
    )
    async def acknowledge_warning(
        self, info: strawberry.Info, id: relay.GlobalID, expected_version: int | None = None
    ) -> WarningResult:
        return await _warning_step(  # type: ignore[return-value]
            info, id, lifecycle.acknowledge, expected_version=expected_version
        )

    @strawberry.mutation(description="Resolve a warning whose cause was dealt with.")
    async def resolve_warning(
        self,
        info: strawberry.Info,
        id: relay.GlobalID,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> WarningResult:
        return await _warning_step(  # type: ignore[return-value]
            info, id, lifecycle.resolve, note=note, expected_version=expected_version
        )

    @strawberry.mutation(description="Dismiss a warning as a false alarm; a reason is required.")
    async def dismiss_warning(
        self,
        info: strawberry.Info,
        id: relay.GlobalID,
        reason: str,
        expected_version: int | None = None,
    ) -> WarningResult:
        return await _warning_step(  # type: ignore[return-value]
            info, id, lifecycle.dismiss, reason=reason, expected_version=expected_version
        )

    @strawberry.mutation(description="Put a warning in progress (someone works on it).")
    async def start_warning_progress(
        self, info: strawberry.Info, id: relay.GlobalID, expected_version: int | None = None
    ) -> WarningResult:
        return await _warning_step(  # type: ignore[return-value]
            info, id, lifecycle.start_progress, expected_version=expected_version
        )

    @strawberry.mutation(description="Assign a warning to an officer.")
    async def assign_warning(
        self,
        info: strawberry.Info,
        id: relay.GlobalID,
        assignee: str,
        expected_version: int | None = None,
    ) -> WarningResult:
        return await _warning_step(  # type: ignore[return-value]
            info, id, lifecycle.assign, assignee=assignee, expected_version=expected_version
        )

    @strawberry.mutation(description="Comment on a warning; answers the warning commented on.")
    async def comment_warning(
        self, info: strawberry.Info, id: relay.GlobalID, body: str
    ) -> WarningResult:
        async def work() -> WarningType:
            db_id = parse_global_id(id, "Warning")
            await lifecycle.comment(
                db_id,
                label=f"Warning {id}",
                body=body,
                actor=require_user(info),
                settings=info.context.settings,
            )
            return WarningType.from_model(await models.Warning.get(id=db_id))

        return await guard(work())  # type: ignore[return-value]

    @strawberry.mutation(
        description="Start a scan in the background (all firms, or the given ones); "
        "answers the run to poll with warningScanRun or node. SCAN_RUNNING (a Conflict) "
        "when a portfolio scan is already running (only one at a time, across server "
        "processes)."
    )
    async def run_warning_scan(
        self, info: strawberry.Info, firm_ids: list[relay.GlobalID] | None = None
    ) -> WarningScanRunResult:
        async def work() -> WarningScanRunType:
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

            # A job of the supervisor; a failure is recorded on the run and on the job.
            await start_warning_scan(
                supervisor_of(info.context),
                run,
                firm_ids=ids,
                author=user.username,
                started_by=user,
                settings=settings,
                rules=rules,
            )
            return WarningScanRunType.from_model(run)

        return await _scan_guard(work())  # type: ignore[return-value]

    @strawberry.mutation(
        description="Store a new version of a rule's thresholds and on/off switch "
        "(in force from the next scan); answers the rule with its new setting."
    )
    async def configure_warning_rule(
        self,
        info: strawberry.Info,
        code: str,
        thresholds: ThresholdsInput | None = None,
        enabled: bool | None = None,
        note: str = "",
    ) -> WarningRuleResult:
        async def work() -> WarningRuleType:
            registry = registry_of(info.context)
            await config_service.set_indicator_config(
                code,
                thresholds=None if thresholds is None else vars(thresholds),
                enabled=enabled,
                actor=require_user(info),
                note=note,
                rules=registry.warning_rules,
            )
            return WarningRuleType.of(
                registry.warning_rules[code], registry.owner("warning_rules", code)
            )

        return await guard(work())  # type: ignore[return-value]

    @strawberry.mutation(
        description="Weights by AHP: one matrix across groups and one per group; refused "
        "with INCONSISTENT_JUDGEMENTS, naming the matrix, its consistency ratio and the "
        "judgement to revisit, when a consistency ratio is 0.1 or more."
    )
    async def set_warning_weights_ahp(
        self,
        info: strawberry.Info,
        groups: list[str],
        group_matrix: list[list[float]],
        group_matrices: list[AhpGroupInput],
        note: str = "",
    ) -> WarningWeightSetResult:
        async def work() -> WeightSetType:
            row = await config_service.set_ahp_weights(
                groups,
                group_matrix,
                {g.group: (g.labels, g.matrix) for g in group_matrices},
                actor=require_user(info),
                note=note,
                rules=registry_of(info.context).warning_rules,
            )
            return WeightSetType.from_model(row)

        return await guard(work())  # type: ignore[return-value]

    @strawberry.mutation(description="Weights entered directly by an expert (any scale).")
    async def set_warning_weights_expert(
        self, info: strawberry.Info, groups: list[ExpertGroupInput], note: str = ""
    ) -> WarningWeightSetResult:
        async def work() -> WeightSetType:
            user = require_user(info)
            for g in groups:
                if len(g.rule_codes) != len(g.rule_weights):
                    raise InvalidInput(
                        f"group {g.group!r}: {len(g.rule_codes)} rule codes but "
                        f"{len(g.rule_weights)} weights",
                        code="INVALID_WEIGHTS",
                        field="groups",
                    )
            row = await config_service.set_expert_weights(
                {g.group: g.weight for g in groups},
                {g.group: dict(zip(g.rule_codes, g.rule_weights, strict=True)) for g in groups},
                actor=user,
                note=note,
                rules=registry_of(info.context).warning_rules,
            )
            return WeightSetType.from_model(row)

        return await guard(work())  # type: ignore[return-value]

    @strawberry.mutation(
        description="Re-estimate the weights from the back-test (logistic regression of "
        "default within horizonDays on the indicators) and store them as a proposal to "
        "accept or reject. Runs in the background: the answer is the proposal in status "
        "COMPUTING; poll warningWeightProposal (or node) until it is PROPOSED or FAILED."
    )
    async def propose_warning_weights(
        self, info: strawberry.Info, horizon_days: int = 365
    ) -> WeightProposalResult:
        async def work() -> WeightProposal:
            row = await backtest_service.start_proposal(
                horizon_days,
                actor=require_user(info),
                rules=registry_of(info.context).warning_rules,
            )
            await start_weight_proposal(
                supervisor_of(info.context),
                row,
                started_by=require_user(info),
                rules=registry_of(info.context).warning_rules,
            )
            return WeightProposal.from_model(row)

        return await guard(work())  # type: ignore[return-value]

    @strawberry.mutation(description="Accept re-estimated weights: in force from the next scan.")
    async def accept_weight_proposal(
        self, info: strawberry.Info, id: relay.GlobalID, note: str | None = None
    ) -> WeightProposalResult:
        async def work() -> WeightProposal:
            row = await backtest_service.accept_proposal(
                parse_global_id(id, "WeightProposal"),
                actor=require_user(info),
                note=note,
                rules=registry_of(info.context).warning_rules,
            )
            return WeightProposal.from_model(row)

        return await guard(work())  # type: ignore[return-value]

    @strawberry.mutation(description="Reject re-estimated weights: the current ones stay.")
    async def reject_weight_proposal(
        self, info: strawberry.Info, id: relay.GlobalID, note: str | None = None
    ) -> WeightProposalResult:
        async def work() -> WeightProposal:
            row = await backtest_service.reject_proposal(
                parse_global_id(id, "WeightProposal"), actor=require_user(info), note=note
            )
            return WeightProposal.from_model(row)

        return await guard(work())  # type: ignore[return-value]
