"""GraphQL of the compliance checks: the catalogue, runs with their results, a run on demand.

``runComplianceChecks`` opens a run at once and runs the checks in the background as a job
(``COMPLIANCE_CHECK``); ``complianceRun`` / ``complianceRuns`` (or ``node(id:)``) read the
runs, their results and overall score. Who may run them is ``compliance.run``, who may read
them ``compliance.view`` (the risk and compliance roles).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated

import strawberry
from strawberry import relay

from smecredit import models
from smecredit.domain.compliance import CheckStatus, ComplianceCheck
from smecredit.errors import NotFound
from smecredit.graphql.auth import require_operation, require_user
from smecredit.graphql.jobs import supervisor_of
from smecredit.graphql.lending.enums import label_in
from smecredit.graphql.nodes import nodes_for_operation
from smecredit.graphql.pagination import Connection, SortSpec, paginate
from smecredit.graphql.results import Errors, guard
from smecredit.graphql.scalars import parse_global_id
from smecredit.security.operations import authorize
from smecredit.services.compliance.catalogue import CATALOGUE, CHECKS
from smecredit.services.compliance.runs import open_run
from smecredit.services.jobs.kinds import start_compliance

__all__ = [
    "ComplianceMutations",
    "ComplianceQueries",
    "ComplianceRunResult",
    "ComplianceRunType",
]

ComplianceStatus = strawberry.enum(
    CheckStatus, name="ComplianceStatus", description="How a compliance check ended."
)


@strawberry.enum(description="Where a compliance run is.")
class ComplianceRunStatus(enum.Enum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@strawberry.type(name="ComplianceCheck", description="One rule of the compliance catalogue.")
class ComplianceCheckType:
    code: str
    title_zh: str
    title_en: str
    weight: float = strawberry.field(description="Its weight in the overall score.")
    method: str = strawberry.field(description="How it decides (docs/compliance.md).")
    group: str

    @classmethod
    def of(cls, check: ComplianceCheck) -> ComplianceCheckType:
        return cls(
            code=check.code,
            title_zh=check.title_zh,
            title_en=check.title_en,
            weight=check.weight,
            method=check.method,
            group=check.group,
        )


@strawberry.type(name="ComplianceResult", description="The outcome of one check in one run.")
class ComplianceResultType:
    check_code: str
    title_zh: str
    title_en: str
    status: ComplianceStatus  # type: ignore[valid-type]
    weight: float
    score: float | None = strawberry.field(description="0 to 100; null when not applicable.")
    message: str
    evidence: list[str] = strawberry.field(
        description="The offending rows as Kind:id (at most 50; offending counts them all)."
    )
    offending: int

    @strawberry.field(description="The status in the caller's language.")
    def status_label(self, info: strawberry.Info) -> str:
        return label_in(info, "complianceStatus", self.status) or ""

    @classmethod
    def from_model(cls, row: models.ComplianceResult) -> ComplianceResultType:
        check = CHECKS.get(row.check_code)
        return cls(
            check_code=row.check_code,
            title_zh=check.title_zh if check else row.check_code,
            title_en=check.title_en if check else row.check_code,
            status=CheckStatus(row.status),
            weight=row.weight,
            score=row.score,
            message=row.message,
            evidence=list(row.evidence or []),
            offending=row.offending,
        )


@strawberry.type(name="ComplianceRun", description="One run of the compliance checks.")
class ComplianceRunType(relay.Node):
    db_id: relay.NodeID[int]
    status: ComplianceRunStatus
    started_by: str = strawberry.field(description="Who started it (system: the schedule).")
    started_at: dt.datetime
    finished_at: dt.datetime | None
    slot: str | None = strawberry.field(description="The scheduled slot it ran for, if any.")
    overall_score: float | None = strawberry.field(
        description="Weighted score of the results, 0 to 100 (not applicable ones left out)."
    )
    error: str | None

    @strawberry.field(description="The status in the caller's language.")
    def status_label(self, info: strawberry.Info) -> str:
        return label_in(info, "complianceRunStatus", self.status) or ""

    @strawberry.field(description="One result per check, in catalogue order.")
    async def results(self) -> list[ComplianceResultType]:
        order = {c.code: i for i, (c, _) in enumerate(CATALOGUE)}
        rows = await models.ComplianceResult.filter(run_id=self.db_id)
        rows.sort(key=lambda r: order.get(r.check_code, len(order)))
        return [ComplianceResultType.from_model(r) for r in rows]

    @classmethod
    def from_model(cls, row: models.ComplianceRun) -> ComplianceRunType:
        return cls(
            db_id=row.id,
            status=ComplianceRunStatus(row.status),
            started_by=row.started_by,
            started_at=row.started_at,
            finished_at=row.finished_at,
            slot=row.slot,
            overall_score=row.overall_score,
            error=row.error,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[ComplianceRunType | None]:
        return await nodes_for_operation(
            info, "compliance.view", models.ComplianceRun.all(), node_ids, cls.from_model
        )


ComplianceRunResult = Annotated[ComplianceRunType | Errors, strawberry.union("ComplianceRunResult")]


@strawberry.input(description="Filters for compliance runs; all given conditions must hold.")
class ComplianceRunFilter:
    status: ComplianceRunStatus | None = None
    since: dt.datetime | None = strawberry.field(
        default=None, description="Runs started at or after this time."
    )


_NEWEST_FIRST = SortSpec("started_desc", "id", descending=True)


@strawberry.type
class ComplianceQueries:
    @strawberry.field(description="The catalogue of compliance checks, with method and weight.")
    def compliance_checks(self, info: strawberry.Info) -> list[ComplianceCheckType]:
        require_operation(info, "compliance.view")
        return [ComplianceCheckType.of(c) for c, _ in CATALOGUE]

    @strawberry.field(description="One compliance run with its results.")
    async def compliance_run(self, info: strawberry.Info, id: relay.GlobalID) -> ComplianceRunType:
        require_operation(info, "compliance.view")
        row = await models.ComplianceRun.get_or_none(id=parse_global_id(id, "ComplianceRun"))
        if row is None:
            raise NotFound(f"compliance run {id} not found", code="RUN_NOT_FOUND")
        return ComplianceRunType.from_model(row)

    @strawberry.field(description="Compliance runs, newest first (the history of the checks).")
    async def compliance_runs(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: ComplianceRunFilter | None = None,
    ) -> Connection[ComplianceRunType]:
        require_operation(info, "compliance.view")
        qs = models.ComplianceRun.all()
        if filter is not None:
            if filter.status is not None:
                qs = qs.filter(status=filter.status.value)
            if filter.since is not None:
                qs = qs.filter(started_at__gte=filter.since)
        return await paginate(
            qs,
            sort=_NEWEST_FIRST,
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=ComplianceRunType.from_model,
        )


@strawberry.type
class ComplianceMutations:
    @strawberry.mutation(
        description="Run every compliance check now, in the background (a COMPLIANCE_CHECK "
        "job); returns the run to poll with complianceRun."
    )
    async def run_compliance_checks(self, info: strawberry.Info) -> ComplianceRunResult:
        async def work() -> ComplianceRunType:
            user = authorize(require_user(info), "compliance.run")
            run = await open_run(user)
            assert run is not None  # a run on demand has no slot to lose
            await start_compliance(
                supervisor_of(info.context), run, started_by=user, settings=info.context.settings
            )
            return ComplianceRunType.from_model(run)

        return await guard(work())  # type: ignore[return-value]
