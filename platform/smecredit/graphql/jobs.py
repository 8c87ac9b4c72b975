"""GraphQL of background jobs: the ``jobs`` connection, ``job(id)``, ``jobProgress`` and
``cancelJob``.

Every kind of background work (COB, warning scans, weight proposals, syncs and their
refresh, training) is a :class:`JobType` row of the one job table, started through the
job supervisor (:mod:`smecredit.services.jobs`). Reads need ``job.view`` and see the
jobs of the caller's row scope (:mod:`smecredit.services.jobs.queries`); ``cancelJob``
needs ``job.cancel``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
from collections.abc import AsyncGenerator
from typing import Any, cast

import strawberry
from strawberry import relay
from strawberry.relay.types import GlobalIDValueError
from strawberry.scalars import JSON

from smecredit import models
from smecredit.domain.jobs import RUN_TYPES, JobKind, JobState, is_final
from smecredit.errors import InvalidInput
from smecredit.graphql.auth import AUDITED_BY_SERVICE, require_operation, require_user
from smecredit.graphql.nodes import nodes_in
from smecredit.graphql.pagination import Connection, SortSpec, paginate
from smecredit.graphql.results import error_message, guard, result_union
from smecredit.graphql.scalars import parse_global_id
from smecredit.i18n import label, language_of
from smecredit.services.jobs import JobSupervisor
from smecredit.services.jobs.queries import cancel_job, visible_job, visible_jobs

__all__ = [
    "JobFilter",
    "JobMutations",
    "JobQueries",
    "JobResult",
    "JobSort",
    "JobSubscriptions",
    "JobType",
    "supervisor_of",
]

JobKindType = strawberry.enum(JobKind, name="JobKind", description="What a background job does.")
JobStateType = strawberry.enum(
    JobState, name="JobState", description="Where a background job is in its life."
)

#: Seconds between two reads of a followed job's row (its progress when another process
#: runs it; this process's jobs also wake the subscription as they report).
WATCH_EVERY = 1.0

_standalone: JobSupervisor | None = None


def supervisor_of(context: Any) -> JobSupervisor:
    """The job supervisor of the application serving ``context``.

    A context outside an application (tools, tests executing the schema directly) gets
    one process-wide supervisor of its own, never a second per request.
    """
    request = getattr(context, "request", None)
    app = getattr(request, "app", None) if request is not None else None
    jobs = getattr(getattr(app, "state", None), "jobs", None)
    if isinstance(jobs, JobSupervisor):
        return jobs
    global _standalone
    if _standalone is None:
        _standalone = JobSupervisor()
    return _standalone


def _run_id(kind: JobKind, run_id: int | None) -> strawberry.ID | None:
    type_name = RUN_TYPES.get(kind)
    if run_id is None or type_name is None:
        return None
    return strawberry.ID(str(relay.GlobalID(type_name, str(run_id))))


@strawberry.type(name="Job", description="One piece of background work, of any kind.")
class JobType(relay.Node):
    db_id: relay.NodeID[int]
    kind: JobKindType  # type: ignore[valid-type]
    state: JobStateType  # type: ignore[valid-type]
    done: int = strawberry.field(description="Units of work done (the kind's unit).")
    total: int | None = strawberry.field(description="Units of work in all, when known.")
    started_by: str = strawberry.field(description="Who started it (system: the platform).")
    started_at: dt.datetime
    finished_at: dt.datetime | None
    params: JSON = strawberry.field(description="What the job was asked to do.")
    result: JSON | None = strawberry.field(description="What it did, once succeeded.")
    error_code: str | None = strawberry.field(
        description="Why it failed, was cancelled or interrupted (errors catalogue code)."
    )
    error_detail: str | None = strawberry.field(
        description="The technical text of that error (English, for logs and support)."
    )
    cancelled_by: str | None = strawberry.field(description="Who asked to cancel it.")
    run_id: strawberry.ID | None = strawberry.field(
        description="Global id of the domain run the job drives (a CobRun, WarningScanRun, "
        "WeightProposal, SyncRun or RefreshJob), when its kind has one."
    )

    @classmethod
    def from_model(cls, row: models.Job, live: Any = None) -> JobType:
        """The job of ``row``; ``live`` (its control in this process) has fresher progress."""
        kind = JobKind(row.kind)
        state = JobState(row.state)
        done, total = row.done, row.total
        if live is not None and not is_final(state):
            done, total = live.done, live.total
        return cls(
            db_id=row.id,
            kind=kind,
            state=state,
            done=done,
            total=total,
            started_by=row.started_by,
            started_at=row.started_at,
            finished_at=row.finished_at,
            params=cast(JSON, row.params or {}),
            result=cast(JSON, row.result),
            error_code=row.error_code,
            error_detail=row.error_message,
            cancelled_by=row.cancelled_by,
            run_id=_run_id(kind, row.run_id),
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[JobType | None]:
        return await nodes_in(visible_jobs(info.context.user), node_ids, cls.from_model)

    @strawberry.field(
        description="The domain run the job drives, through node(id:) (null: none, not "
        "visible to you, or its type is not yet reachable as a node)."
    )
    async def run(self, info: strawberry.Info) -> relay.Node | None:
        if self.run_id is None:
            return None
        from smecredit.graphql.schema import resolve_node_by_id  # the schema imports this module

        try:
            return await resolve_node_by_id(info, relay.GlobalID.from_id(str(self.run_id)))
        except InvalidInput:  # a run type that is no node of this schema (yet)
            return None

    @strawberry.field(description="Share of the work done, 0 to 1 (null: total unknown).")
    def progress(self) -> float | None:
        if self.state is JobState.SUCCEEDED:
            return 1.0
        if not self.total:
            return None
        return round(min(1.0, self.done / self.total), 4)

    @strawberry.field(description="The kind, in the caller's language.")
    def kind_label(self, info: strawberry.Info) -> str:
        return label("jobKind", self.kind, language_of(info.context))

    @strawberry.field(description="The state, in the caller's language.")
    def state_label(self, info: strawberry.Info) -> str:
        return label("jobState", self.state, language_of(info.context))

    @strawberry.field(description="Why it did not succeed, in the caller's language.")
    def error_message(self, info: strawberry.Info) -> str | None:
        if self.error_code is None:
            return None
        detail = self.error_detail or self.error_code
        return error_message(self.error_code, language_of(info.context), {}, detail)


JobResult = result_union("JobResult", JobType)


@strawberry.input(description="Filters for jobs; all given conditions must hold.")
class JobFilter:
    kind: JobKindType | None = None  # type: ignore[valid-type]
    state: JobStateType | None = None  # type: ignore[valid-type]
    started_by: str | None = strawberry.field(default=None, description="A username.")
    run: strawberry.ID | None = strawberry.field(
        default=None, description="The global id of the domain run the job drives."
    )


@strawberry.enum(description="Orderings of the job list.")
class JobSort(enum.Enum):
    NEWEST_FIRST = "newest_first"
    OLDEST_FIRST = "oldest_first"


_JOB_SORTS = {
    JobSort.NEWEST_FIRST: SortSpec("newest_first", "id", descending=True),
    JobSort.OLDEST_FIRST: SortSpec("oldest_first", "id"),
}


def _run_filter(value: str) -> tuple[list[str], int]:
    try:
        gid = relay.GlobalID.from_id(value)
    except GlobalIDValueError:
        raise InvalidInput("filter.run is not a global id", field="filter.run") from None
    kinds = [kind.value for kind, name in RUN_TYPES.items() if name == gid.type_name]
    if not kinds:
        raise InvalidInput("filter.run is not the id of a run a job drives", field="filter.run")
    return kinds, parse_global_id(gid, gid.type_name)


def _job_id(id: relay.GlobalID) -> int:
    return parse_global_id(id, "Job")


@strawberry.type
class JobQueries:
    @strawberry.field(description="Background jobs visible to the caller, newest first.")
    async def jobs(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: JobFilter | None = None,
        sort: JobSort | None = None,
    ) -> Connection[JobType]:
        user = require_operation(info, "job.view")
        qs = visible_jobs(user)
        if filter is not None:
            if filter.kind is not None:
                qs = qs.filter(kind=filter.kind.value)
            if filter.state is not None:
                qs = qs.filter(state=filter.state.value)
            if filter.started_by:
                qs = qs.filter(started_by=filter.started_by)
            if filter.run:
                kinds, run_id = _run_filter(str(filter.run))
                qs = qs.filter(kind__in=kinds, run_id=run_id)
        supervisor = supervisor_of(info.context)
        return await paginate(
            qs,
            sort=_JOB_SORTS[sort or JobSort.NEWEST_FIRST],
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=lambda row: JobType.from_model(row, supervisor.live(row.id)),
        )

    @strawberry.field(description="One background job by its global id.")
    async def job(self, info: strawberry.Info, id: relay.GlobalID) -> JobType:
        user = require_operation(info, "job.view")
        row = await visible_job(user, _job_id(id))
        return JobType.from_model(row, supervisor_of(info.context).live(row.id))


@strawberry.type
class JobMutations:
    @strawberry.mutation(
        description="Cancel a queued or running job: answers the job, cancelled once its work "
        "stopped. INVALID_TRANSITION for a job that already ended; PRECONDITION_FAILED for "
        "one another server process runs.",
        metadata=AUDITED_BY_SERVICE,
    )
    async def cancel_job(self, info: strawberry.Info, id: relay.GlobalID) -> JobResult:  # type: ignore[valid-type]
        async def work() -> JobType:
            row = await cancel_job(supervisor_of(info.context), _job_id(id), require_user(info))
            return JobType.from_model(row)

        return await guard(work())


@strawberry.type
class JobSubscriptions:
    @strawberry.subscription(
        description="A job as it progresses: its current state at once, then every change "
        "of its progress or state, ending with the job's final state."
    )
    async def job_progress(
        self, info: strawberry.Info, id: relay.GlobalID
    ) -> AsyncGenerator[JobType, None]:
        user = require_operation(info, "job.view")
        job_id = _job_id(id)
        supervisor = supervisor_of(info.context)
        row = await visible_job(user, job_id)
        last: tuple[Any, ...] | None = None
        async with supervisor.watching(job_id) as changed:
            while True:
                job = JobType.from_model(row, supervisor.live(job_id))
                seen = (job.state, job.done, job.total)
                if seen != last:
                    last = seen
                    yield job
                if is_final(job.state):
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), WATCH_EVERY)
                changed.clear()
                row = await models.Job.get(id=job_id)
