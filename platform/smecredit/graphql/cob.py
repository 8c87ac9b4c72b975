"""GraphQL of close of business: start a run in the background, follow its progress.

``runCob`` claims the run of a business date at once (so ``COB_RUNNING`` and a refused
date answer the mutation itself, as typed errors of ``CobRunResult``) and closes the book
in the background, batch by batch; ``cobRun`` / ``cobRuns`` (or ``node(id:)``) read how far
it got. Runs are the same rows the CLI and the built-in schedule write
(:mod:`smecredit.services.lending.cob`): one run at a time across every process. The
server's shutdown cancels a running close, which records it ``interrupted``; running the
date again resumes it after its last committed batch.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from strawberry import relay

from smecredit import models
from smecredit.domain.errors import PreconditionFailed
from smecredit.errors import NotFound
from smecredit.graphql.auth import require_operation, require_user
from smecredit.graphql.jobs import supervisor_of
from smecredit.graphql.lending.enums import CobRunStatus, label_in
from smecredit.graphql.nodes import nodes_in
from smecredit.graphql.pagination import Connection, SortSpec, paginate
from smecredit.graphql.results import Errors, guard
from smecredit.graphql.scalars import parse_global_id
from smecredit.security.caller import signed_in
from smecredit.security.operations import authorize, can
from smecredit.services.jobs.kinds import start_cob
from smecredit.services.lending.cob import business_today, claim_run

__all__ = [
    "CobMutations",
    "CobQueries",
    "CobRunFilter",
    "CobRunResult",
    "CobRunSort",
    "CobRunType",
]

log = logging.getLogger(__name__)


@strawberry.type(name="CobRun", description="One close-of-business run of a business date.")
class CobRunType(relay.Node):
    db_id: relay.NodeID[int]
    business_date: dt.date
    status: CobRunStatus
    loans: int = strawberry.field(description="Loans closed so far.")
    total_loans: int = strawberry.field(
        description="Loans on the book (active or written off) when the run last started."
    )
    changed: int = strawberry.field(description="Loans whose DPD, class or stage changed.")
    penalties: int = strawberry.field(description="Instalments charged penalty interest.")
    history_rows: int = strawberry.field(description="Classification history rows written.")
    attempts: int
    started_by: str | None = strawberry.field(description="Who started it (system: CLI, schedule).")
    error: str | None = strawberry.field(description="Why it failed or was interrupted.")
    started_at: dt.datetime
    heartbeat_at: dt.datetime | None
    finished_at: dt.datetime | None

    @strawberry.field(description="Share of the book closed, 0 to 1.")
    def progress(self) -> float:
        if self.status is CobRunStatus.SUCCEEDED:
            return 1.0
        return min(1.0, self.loans / self.total_loans) if self.total_loans else 0.0

    @strawberry.field(description="The status in the caller's language.")
    def status_label(self, info: strawberry.Info) -> str:
        return label_in(info, "cobRunStatus", self.status) or ""

    @classmethod
    def from_model(cls, row: models.CobRun) -> CobRunType:
        return cls(
            db_id=row.id,
            business_date=row.business_date,
            status=CobRunStatus(row.status),
            loans=row.loans,
            total_loans=row.total_loans,
            changed=row.changed,
            penalties=row.penalties,
            history_rows=row.history_rows,
            attempts=row.attempts,
            started_by=row.started_by,
            error=row.error,
            started_at=row.started_at,
            heartbeat_at=row.heartbeat_at,
            finished_at=row.finished_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[CobRunType | None]:
        # Runs are not bound to a branch; who may not view them finds none (as missing).
        if not can(signed_in(info.context), "cob.view"):
            return [None for _ in node_ids]
        return await nodes_in(models.CobRun.all(), node_ids, cls.from_model)


CobRunResult = Annotated[CobRunType | Errors, strawberry.union("CobRunResult")]


@strawberry.input(description="Filters for close-of-business runs; all given conditions must hold.")
class CobRunFilter:
    status: CobRunStatus | None = None
    since: dt.date | None = strawberry.field(
        default=None, description="Business dates on or after this day."
    )


@strawberry.enum(description="Orderings of the close-of-business run list.")
class CobRunSort(enum.Enum):
    BUSINESS_DATE_DESC = "business_date_desc"
    BUSINESS_DATE_ASC = "business_date_asc"


_RUN_SORTS = {
    CobRunSort.BUSINESS_DATE_DESC: SortSpec("business_date_desc", "business_date", descending=True),
    CobRunSort.BUSINESS_DATE_ASC: SortSpec("business_date_asc", "business_date"),
}


@strawberry.type
class CobQueries:
    @strawberry.field(description="One close-of-business run, to follow its progress.")
    async def cob_run(self, info: strawberry.Info, id: relay.GlobalID) -> CobRunType:
        require_operation(info, "cob.view")
        row = await models.CobRun.get_or_none(id=parse_global_id(id, "CobRun"))
        if row is None:
            raise NotFound(f"COB run {id} not found", code="RUN_NOT_FOUND")
        return CobRunType.from_model(row)

    @strawberry.field(
        description="Close-of-business runs, paged (default: newest business date first)."
    )
    async def cob_runs(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: CobRunFilter | None = None,
        sort: CobRunSort | None = None,
    ) -> Connection[CobRunType]:
        require_operation(info, "cob.view")
        qs = models.CobRun.all()
        if filter is not None:
            if filter.status is not None:
                qs = qs.filter(status=filter.status.value)
            if filter.since is not None:
                qs = qs.filter(business_date__gte=filter.since)
        return await paginate(
            qs,
            sort=_RUN_SORTS[sort or CobRunSort.BUSINESS_DATE_DESC],
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=CobRunType.from_model,
        )


def _answers_errors(resolver: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """The resolver, answering its coded refusals as the typed errors of its result union.

    A decorator rather than a ``guard(work())`` body, so the resolver's body stays as the
    job supervisor will take it over.
    """

    @functools.wraps(resolver)
    async def guarded(*args: Any, **kwargs: Any) -> Any:
        return await guard(resolver(*args, **kwargs))

    return guarded


@strawberry.type
class CobMutations:
    @strawberry.mutation(
        description="Close the book for a business date (default: today) in the background; "
        "returns the run to poll with cobRun. COB_RUNNING while another run is alive (one at "
        "a time, across server processes); a date already closed returns its run unchanged; "
        "a failed or interrupted date is resumed after its last committed batch; a date "
        "after today is refused."
    )
    @_answers_errors
    async def run_cob(
        self, info: strawberry.Info, business_date: dt.date | None = None
    ) -> CobRunResult:
        user = authorize(require_user(info), "cob.run")
        settings = info.context.settings
        today = business_today(settings)
        day = business_date or today
        if day > today:  # closing it would also refuse every earlier date (COB moves forward)
            raise PreconditionFailed(f"business date {day} is not over yet (today is {today})")
        claim = await claim_run(day, user, stale_after=settings.cob_stale_after)
        if not claim.skipped:
            # A job of the supervisor: close_claimed records a failure or an interruption
            # on the run itself, the job row records how the work ended.
            await start_cob(supervisor_of(info.context), claim, user)
        return CobRunType.from_model(claim.run)
