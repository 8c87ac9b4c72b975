"""GraphQL of close of business: start a run in the background, follow its progress.

``runCob`` claims the run of a business date at once (so ``COB_RUNNING`` and a refused
date answer the mutation itself) and closes the book in the background, batch by batch;
``cobRun`` / ``cobRuns`` read how far it got. Runs are the same rows the CLI and the
built-in schedule write (:mod:`smecredit.services.lending.cob`): one run at a time across
every process. The server's shutdown cancels a running close, which records it
``interrupted``; running the date again resumes it after its last committed batch.
"""

from __future__ import annotations

import datetime as dt
import logging

import strawberry

from smecredit import models
from smecredit.domain.errors import PreconditionFailed
from smecredit.errors import NotFound
from smecredit.graphql.auth import require_operation, require_user
from smecredit.graphql.jobs import supervisor_of
from smecredit.security.operations import authorize
from smecredit.services.jobs.kinds import start_cob
from smecredit.services.lending.cob import business_today, claim_run

__all__ = ["CobMutations", "CobQueries", "CobRunType"]

log = logging.getLogger(__name__)
#: The most runs ``cobRuns`` answers.
MAX_RUNS = 200


@strawberry.type(name="CobRun", description="One close-of-business run of a business date.")
class CobRunType:
    id: int
    business_date: dt.date
    status: str = strawberry.field(description="running, succeeded, failed or interrupted.")
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
        if self.status == "succeeded":
            return 1.0
        return min(1.0, self.loans / self.total_loans) if self.total_loans else 0.0

    @classmethod
    def from_model(cls, row: models.CobRun) -> CobRunType:
        return cls(
            id=row.id,
            business_date=row.business_date,
            status=row.status,
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


@strawberry.type
class CobQueries:
    @strawberry.field(description="One close-of-business run, to follow its progress.")
    async def cob_run(self, info: strawberry.Info, id: int) -> CobRunType:
        require_operation(info, "cob.view")
        row = await models.CobRun.get_or_none(id=id)
        if row is None:
            raise NotFound(f"COB run {id} not found", code="RUN_NOT_FOUND")
        return CobRunType.from_model(row)

    @strawberry.field(description="The latest close-of-business runs, newest business date first.")
    async def cob_runs(self, info: strawberry.Info, first: int = 20) -> list[CobRunType]:
        require_operation(info, "cob.view")
        rows = await models.CobRun.all().order_by("-business_date").limit(min(first, MAX_RUNS))
        return [CobRunType.from_model(row) for row in rows]


@strawberry.type
class CobMutations:
    @strawberry.mutation(
        description="Close the book for a business date (default: today) in the background; "
        "returns the run to poll with cobRun. COB_RUNNING while another run is alive (one at "
        "a time, across server processes); a date already closed returns its run unchanged; "
        "a failed or interrupted date is resumed after its last committed batch; a date "
        "after today is refused."
    )
    async def run_cob(
        self, info: strawberry.Info, business_date: dt.date | None = None
    ) -> CobRunType:
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
