"""Each kind of background work, started through the job supervisor.

The GraphQL mutations and the application's schedules call these, so the same kind of
work is one job kind whoever starts it. Each function first does what must answer the
caller at once (claiming a run: ``COB_RUNNING``, ``SCAN_RUNNING``, ``SYNC_RUNNING`` are
refusals of the mutation itself, not failed jobs), then starts the rest as a job that
reports progress and ends with a small JSON result (the domain run row holds the rest).

Work that records its own failure instead of raising (a weight proposal, a refresh, a
training run) is made to raise :class:`~smecredit.domain.jobs.JobFailed` with the code
it recorded, so the job row carries the code too.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from smecredit import models
from smecredit.domain.jobs import JobFailed, JobKind
from smecredit.security.operations import SYSTEM
from smecredit.security.principal import Principal
from smecredit.services.jobs.supervisor import (
    JobControl,
    JobHandle,
    JobSupervisor,
    ShuttingDown,
)

__all__ = [
    "scheduled_backup",
    "scheduled_close",
    "scheduled_scan",
    "scheduled_sync",
    "start_cob",
    "start_compliance",
    "start_decision_feedback",
    "start_pending_refreshes",
    "start_refresh",
    "start_sync",
    "start_tracked",
    "start_warning_scan",
    "start_weight_proposal",
]

#: Seconds between two looks at the progress of work that counts it on its own object.
POLL_EVERY = 0.25


def _scan_result(summary: Any) -> dict[str, Any]:
    return {
        "firms": summary.firms,
        "opened": summary.opened,
        "updated": summary.updated,
        "escalated": summary.escalated,
        "resolved": summary.resolved,
        "reviews": getattr(summary, "reviews", 0),
    }


def _coded(text: str | None, default: str) -> JobFailed:
    """A recorded failure ``"CODE: message"`` (or a bare message) as a coded error."""
    head, sep, rest = (text or "").partition(":")
    if sep and head.strip().isupper() and " " not in head.strip():
        return JobFailed(rest.strip() or head, code=head.strip())
    return JobFailed(text or "the job failed", code=default)


# --------------------------------------------------------------------------- COB


async def start_cob(supervisor: JobSupervisor, claim: Any, principal: Principal) -> JobHandle:
    """Close the date of a claimed COB run (:func:`~smecredit.services.lending.cob.claim_run`)."""
    from smecredit.services.lending.cob import close_claimed

    run = claim.run

    async def work(control: JobControl) -> dict[str, Any]:
        total = run.total_loans or None
        control.progress(run.loans, total)
        summary = await close_claimed(
            claim, principal, progress=lambda done: control.progress(done, total)
        )
        control.progress(summary.loans, total or summary.loans)
        return {
            "business_date": summary.business_date,
            "loans": summary.loans,
            "changed": summary.changed,
            "penalties": summary.penalties,
            "history_rows": summary.history_rows,
        }

    return await supervisor.start(
        JobKind.COB,
        work,
        started_by=principal,
        params={"business_date": run.business_date},
        run_id=run.id,
    )


def scheduled_close(
    supervisor: JobSupervisor, *, stale_after: dt.timedelta
) -> Callable[[dt.date], Awaitable[Any]]:
    """The ``close`` of the COB schedule: each date closed as a job of the platform."""
    from smecredit.security.operations import authorize
    from smecredit.services.lending.cob import CobSummary, claim_run

    async def close(day: dt.date) -> Any:
        authorize(SYSTEM, "cob.run")
        claim = await claim_run(day, SYSTEM, stale_after=stale_after)
        if claim.skipped:
            return CobSummary(day, claim.run.loans, 0, 0, 0, skipped=True)
        handle = await start_cob(supervisor, claim, SYSTEM)
        result = await handle.outcome()
        return CobSummary(
            day, result["loans"], result["changed"], result["penalties"], result["history_rows"]
        )

    return close


# ------------------------------------------------------------------------ backups


def scheduled_backup(supervisor: JobSupervisor, *, settings: Any) -> Callable[[], Awaitable[Any]]:
    """The ``run`` of the backup schedule: one backup (then pruning) as a job of the platform."""
    from smecredit.security.operations import authorize
    from smecredit.services.backups.service import create_backup, prune_backups

    async def work(control: JobControl) -> dict[str, Any]:
        manifest = await create_backup(settings)
        pruned = prune_backups(settings, keep=manifest.name)
        control.progress(1, 1)
        return {"backup": manifest.name, "size": manifest.size, "pruned": len(pruned)}

    async def run() -> Any:
        authorize(SYSTEM, "backup.create")
        handle = await supervisor.start(JobKind.BACKUP, work, started_by=SYSTEM)
        result = await handle.outcome()
        if isinstance(result, BaseException):
            raise result
        return result["backup"]

    return run


# ------------------------------------------------------------------ warning scans


async def start_warning_scan(
    supervisor: JobSupervisor,
    run: models.WarningScanRun,
    *,
    firm_ids: Sequence[int] | None,
    author: str,
    started_by: Any,
    settings: Any,
    rules: Mapping[str, Any] | None,
) -> JobHandle:
    """Scan the portfolio (``firm_ids`` None, on a claimed run) or some firms."""
    from smecredit.services.warnings.runs import fail_if_running
    from smecredit.services.warnings.scan import scan_firms, scan_portfolio

    ids = None if firm_ids is None else list(firm_ids)

    async def work(control: JobControl) -> dict[str, Any]:
        try:
            if ids is None:
                summary = await scan_portfolio(
                    author=author,
                    settings=settings,
                    rules=rules,
                    run=run,
                    progress=lambda done, total: control.progress(done, total),
                )
            else:
                control.progress(0, len(ids))
                summary = await scan_firms(
                    ids, author=author, settings=settings, rules=rules, run=run
                )
        except asyncio.CancelledError:  # the server stops: the run must not stay running
            await fail_if_running(run.id, "CancelledError: interrupted (server stopped)")
            raise
        except Exception as exc:  # recorded on the run too (the client may poll it)
            await fail_if_running(run.id, f"{type(exc).__name__}: {exc}")
            raise
        control.progress(summary.firms, summary.firms if ids is None else len(ids))
        return _scan_result(summary)

    params: dict[str, Any] = {"scope": "portfolio" if ids is None else "firms"}
    if ids is not None:
        params["firms"] = len(ids)
    try:
        return await supervisor.start(
            JobKind.WARNING_SCAN, work, started_by=started_by, params=params, run_id=run.id
        )
    except ShuttingDown as refused:  # the claimed run must not hold the next scan back
        await fail_if_running(run.id, f"{refused.code}: {refused}")
        raise


def scheduled_scan(
    supervisor: JobSupervisor, *, settings: Any, rules: Mapping[str, Any] | None
) -> Callable[[models.WarningScanRun], Awaitable[Any]]:
    """The ``scan`` of the warning scan schedule: each claimed run scanned as a job."""

    async def scan(run: models.WarningScanRun) -> Any:
        handle = await start_warning_scan(
            supervisor,
            run,
            firm_ids=None,
            author=run.author,
            started_by=SYSTEM,
            settings=settings,
            rules=rules,
        )
        return await handle.outcome()

    return scan


async def start_weight_proposal(
    supervisor: JobSupervisor,
    proposal: models.WeightProposalRecord,
    *,
    started_by: Any,
    rules: Mapping[str, Any] | None,
) -> JobHandle:
    """Compute a ``computing`` weight proposal (:func:`~smecredit.services.warnings.
    backtest.start_proposal`)."""
    from smecredit.services.warnings.backtest import compute_proposal

    async def work(control: JobControl) -> dict[str, Any]:
        done = await compute_proposal(proposal.id, rules=rules)
        if done.status == "failed":
            raise _coded(done.decision_note, "PROPOSAL_FAILED")
        return {"status": done.status, "horizon_days": done.horizon_days}

    return await supervisor.start(
        JobKind.WEIGHT_PROPOSAL,
        work,
        started_by=started_by,
        params={"horizon_days": proposal.horizon_days},
        run_id=proposal.id,
    )


# ------------------------------------------------------------------------- syncs


def _sync_result(result: Any) -> dict[str, Any]:
    return {
        "status": result.status,
        "read": result.read,
        "accepted": result.accepted,
        "quarantined": result.quarantined,
        "refresh_job": result.refresh_job_id,
    }


async def _run_sync(
    supervisor: JobSupervisor,
    job: Any,
    control: JobControl,
    *,
    started_by: Any,
    settings: Any,
) -> Any:
    from smecredit.services.ingestion.sync import execute_sync

    def progress(p: Any) -> None:
        control.progress(p.done, p.total)

    # The refresh after the sync is a job of its own (its progress, its end, its errors).
    result = await execute_sync(job, progress=progress, refresh=False, platform_settings=settings)
    control.progress(result.read, result.read)
    if result.status == "failed":
        raise _coded(result.error, "SYNC_FAILED")
    if result.refresh_job_id is not None:
        await start_refresh(
            supervisor, result.refresh_job_id, started_by=started_by, settings=settings
        )
    return result


async def start_sync(
    supervisor: JobSupervisor, job: Any, *, started_by: Any, settings: Any
) -> JobHandle:
    """Run a prepared sync (:func:`~smecredit.services.ingestion.sync.prepare_sync`), then
    the rescoring and re-evaluation it queued, as a job of its own (:func:`start_refresh`)."""

    async def work(control: JobControl) -> dict[str, Any]:
        result = await _run_sync(supervisor, job, control, started_by=started_by, settings=settings)
        return _sync_result(result)

    return await supervisor.start(
        JobKind.SYNC,
        work,
        started_by=started_by,
        params={"source": job.run.source, "scope": job.scope},
        run_id=job.run.id,
    )


def scheduled_sync(supervisor: JobSupervisor) -> Callable[..., Awaitable[Any]]:
    """The ``run`` of the sync schedule: prepare (a live run refuses: ``SYNC_RUNNING``, no
    job), then sync as a job of the platform; answers the run's outcome like ``run_sync``."""
    from smecredit.services.ingestion.sync import prepare_sync

    async def run(registry: Any, name: str, **kwargs: Any) -> Any:
        settings = kwargs.pop("platform_settings", None)
        actor = kwargs.pop("actor", SYSTEM)
        job = await prepare_sync(registry, name, actor=actor, **kwargs)
        outcome: dict[str, Any] = {}

        async def work(control: JobControl) -> dict[str, Any]:
            result = await _run_sync(supervisor, job, control, started_by=actor, settings=settings)
            outcome["result"] = result
            return _sync_result(result)

        handle = await supervisor.start(
            JobKind.SYNC,
            work,
            started_by=actor,
            params={"source": name, "scope": job.scope, "scheduled": True},
            run_id=job.run.id,
        )
        # A failed sync is an outcome of the round (the run says why), not an error.
        with contextlib.suppress(JobFailed):
            await handle.outcome()
        if "result" in outcome:
            return outcome["result"]
        from smecredit.services.ingestion.results import SyncRunResult

        row = await models.SyncRun.get(id=job.run.id)
        return SyncRunResult(run_id=row.id, source=row.source, status=row.status, error=row.error)

    return run


async def start_refresh(
    supervisor: JobSupervisor,
    refresh_id: int,
    *,
    started_by: Any,
    settings: Any,
    stale: bool = False,
) -> JobHandle:
    """Rescore the firms a sync touched and re-evaluate their warnings.

    ``stale``: take over a refresh left ``running`` by a dead process.
    """
    from smecredit.services.ingestion.refresh import run_refresh

    job = await models.RefreshJob.get(id=refresh_id)

    async def work(control: JobControl) -> dict[str, Any]:
        control.progress(0, job.firms)
        done = await run_refresh(refresh_id, settings=settings, _stale=stale)
        if done.status == "failed":
            raise _coded(done.error, "REFRESH_FAILED")
        control.progress(done.firms, done.firms)
        return {
            "status": done.status,
            "scored": done.scored,
            "opened": done.opened,
            "updated": done.updated,
            "resolved": done.resolved,
        }

    params: dict[str, Any] = {"sync_run": job.run_id, "firms": job.firms}  # type: ignore[attr-defined]
    if stale:
        params["stale"] = True
    return await supervisor.start(
        JobKind.REFRESH, work, started_by=started_by, params=params, run_id=refresh_id
    )


async def start_pending_refreshes(
    supervisor: JobSupervisor, *, settings: Any, stale_after: dt.timedelta | None
) -> list[JobHandle]:
    """Run, as jobs of the platform and one at a time, the refreshes a dead process left
    pending or (past ``stale_after``) running; the server keeps this running from start."""
    pending = await models.RefreshJob.filter(status="pending").order_by("id")
    stale: list[models.RefreshJob] = []
    if stale_after is not None:
        cutoff = dt.datetime.now(dt.UTC) - stale_after
        stale = await models.RefreshJob.filter(status="running", started_at__lt=cutoff)
    taken_over = {row.id for row in stale}
    handles = []
    for row in [*pending, *stale]:  # one after the other, as a sync's own refresh would run
        handle = await start_refresh(
            supervisor, row.id, started_by=SYSTEM, settings=settings, stale=row.id in taken_over
        )
        await handle.wait()
        handles.append(handle)
    return handles


# ---------------------------------------------------------------------- training


async def start_tracked(
    supervisor: JobSupervisor,
    kind: JobKind,
    work: Callable[[], Awaitable[Any]],
    *,
    figures: Callable[[], tuple[int, int | None]],
    failure: Callable[[], tuple[str, str] | None],
    result: Callable[[], Any],
    started_by: Any,
    params: Mapping[str, Any] | None = None,
) -> JobHandle:
    """Run work that keeps its own progress and outcome on an object of its own.

    Training counts its model fits on its in-memory record from a worker thread and
    records a failure there instead of raising: this reads ``figures()`` (done, total)
    every :data:`POLL_EVERY` seconds while ``work()`` runs, then raises
    :class:`JobFailed` with ``failure()`` (code, message) if it names one, else answers
    ``result()``.
    """

    async def body(control: JobControl) -> Any:
        task = asyncio.ensure_future(work())
        try:
            while not task.done():
                control.progress(*figures())
                await asyncio.wait({task}, timeout=POLL_EVERY)
        except asyncio.CancelledError:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            raise
        task.result()
        control.progress(*figures())
        failed = failure()
        if failed is not None:
            raise JobFailed(failed[1], code=failed[0])
        return result()

    return await supervisor.start(kind, body, started_by=started_by, params=params)


# ----------------------------------------------------- compliance and decision feedback


async def start_compliance(
    supervisor: JobSupervisor, run: models.ComplianceRun, *, started_by: Any, settings: Any
) -> JobHandle:
    """Run the checks of a run opened by :func:`~smecredit.services.compliance.runs.open_run`."""
    from smecredit.services.compliance.runs import execute_run

    async def work(control: JobControl) -> dict[str, Any]:
        done = await execute_run(run, settings, progress=control.progress)
        return {"overall_score": done.overall_score, "status": done.status}

    params = {"slot": run.slot} if run.slot else {}
    return await supervisor.start(
        JobKind.COMPLIANCE_CHECK, work, started_by=started_by, params=params, run_id=run.id
    )


async def start_decision_feedback(
    supervisor: JobSupervisor, *, started_by: Principal, settings: Any
) -> JobHandle:
    """Scan the decisions for drift beyond the bounds, raising decision alerts."""
    from smecredit.services.decision_feedback import scan_decisions

    async def work(control: JobControl) -> dict[str, Any]:
        summary = await scan_decisions(started_by, settings)
        return {
            "decisions": summary.decisions,
            "raised": summary.raised,
            "refreshed": summary.refreshed,
            "alert_ids": list(summary.alert_ids),
        }

    return await supervisor.start(JobKind.DECISION_FEEDBACK, work, started_by=started_by)
