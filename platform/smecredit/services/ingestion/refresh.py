"""Fresh data flows on: what a sync leaves behind for the next one and for the rest of the book.

* **since remembered** - a sync of an incremental source that read it to the end stores its
  start time as the source's ``next_since`` (:class:`~smecredit.models.SourceState`); the
  next sync that names no ``since`` starts from it (``full=True`` pulls everything).
* **rescoring and re-evaluation** - a run that inserted or changed rows of some firms
  queues a :class:`~smecredit.models.RefreshJob` in the transaction that ends the run;
  :func:`run_refresh` then scores those firms again with the champion (challengers in
  shadow) and re-evaluates their warnings (:func:`~smecredit.services.warnings.scan.
  scan_firms`). A job a dead process left ``pending`` or ``running`` is picked up by
  :func:`run_pending_refreshes` (the server runs it at start).

The job is the platform's own work (``system``), started by a sync the caller was allowed
to run; its end is audited (``source.refresh``) with its counts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from smecredit import models
from smecredit.domain.redaction import redact_personal
from smecredit.security.operations import SYSTEM
from smecredit.services import audit

__all__ = [
    "queue_refresh",
    "remember_since",
    "remembered_since",
    "run_pending_refreshes",
    "run_refresh",
]

log = logging.getLogger(__name__)

#: Firms looked up or scored per statement (well under every engine's parameter limit).
_CHUNK = 5000


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


async def remembered_since(source: str) -> str | None:
    """The ``since`` the next sync of ``source`` starts from (None: never completed)."""
    state = await models.SourceState.get_or_none(source=source)
    return state.next_since if state is not None else None


async def remember_since(
    conn: BaseDBAsyncClient, source: str, run: models.SyncRun, finished_at: dt.datetime
) -> None:
    """Store the start of ``run`` (which read ``source`` to the end) as its next ``since``."""
    since = run.started_at.astimezone(dt.UTC).isoformat()
    updated = (
        await models.SourceState.filter(source=source)
        .using_db(conn)
        .update(
            next_since=since,
            last_run_id=run.id,
            last_success_at=finished_at,
            updated_at=finished_at,
        )
    )
    if not updated:
        await models.SourceState.create(
            source=source,
            next_since=since,
            last_run_id=run.id,
            last_success_at=finished_at,
            using_db=conn,
        )


async def queue_refresh(
    conn: BaseDBAsyncClient,
    run: models.SyncRun,
    source: str,
    firm_ids: Iterable[int],
    usccs: Iterable[str],
) -> models.RefreshJob | None:
    """Queue the rescoring of the firms ``run`` touched (None when it touched none)."""
    ids = {int(i) for i in firm_ids}
    inserted = sorted(set(usccs))
    for chunk in _chunks(inserted):
        found = await models.Firm.filter(uscc__in=chunk).using_db(conn).values_list("id", flat=True)
        ids.update(int(i) for i in found)  # type: ignore[call-overload]
    if not ids:
        return None
    ordered = sorted(ids)
    return await models.RefreshJob.create(
        run_id=run.id, source=source, firm_ids=ordered, firms=len(ordered), using_db=conn
    )


async def _claim(job_id: int, now: dt.datetime, *, stale: bool) -> bool:
    statuses = ["pending", "running"] if stale else ["pending"]
    claimed = await models.RefreshJob.filter(id=job_id, status__in=statuses).update(
        status="running", started_at=now
    )
    return bool(claimed)


async def run_refresh(
    job_id: int,
    *,
    settings: Any = None,
    as_of: dt.date | None = None,
    rules: Any = None,
    available: Any = None,
    _stale: bool = False,
) -> models.RefreshJob:
    """Rescore the job's firms and re-evaluate their warnings; return the finished job.

    Scoring needs a champion model: without one the job records why it skipped scoring
    (``score_skipped``) and still re-evaluates the warnings. Any other failure ends the job
    ``failed`` with its error; the sync it follows is not affected. ``rules`` and
    ``available`` (model families) replace the installed plugins' (tests).
    """
    from smecredit.services.scoring.scoring import ScoringUnavailable, score_all
    from smecredit.services.warnings.scan import scan_firms

    now = dt.datetime.now(dt.UTC)
    if not await _claim(job_id, now, stale=_stale):
        return await models.RefreshJob.get(id=job_id)  # another process has it, or done
    job = await models.RefreshJob.get(id=job_id)
    run_id: int = job.run_id  # type: ignore[attr-defined]
    ids = [int(i) for i in job.firm_ids or []]
    changes: dict[str, Any] = {}
    try:
        scored = 0
        try:
            for chunk in _chunks(ids):
                scored += await score_all(as_of, firm_ids=chunk, workers=0, available=available)
        except ScoringUnavailable as unavailable:
            changes["score_skipped"] = str(unavailable)
        summary = await scan_firms(
            ids,
            as_of=as_of,
            author=f"sync-run:{run_id}",
            settings=settings,
            rules=rules,
        )
        changes.update(
            status="succeeded",
            scored=scored,
            scan_run_id=summary.run_id or None,
            opened=summary.opened,
            updated=summary.updated,
            resolved=summary.resolved,
        )
    except Exception as error:  # recorded on the job: the loop and the sync go on
        log.exception("refresh job %s failed", job_id)
        changes.update(status="failed", error=redact_personal(f"{type(error).__name__}: {error}"))
    changes["finished_at"] = dt.datetime.now(dt.UTC)
    async with in_transaction() as conn:
        await models.RefreshJob.filter(id=job_id).using_db(conn).update(**changes)
        await audit.record(
            SYSTEM,
            "source.refresh",
            f"RefreshJob:{job_id}",
            after={
                "run": run_id,
                "source": job.source,
                "firms": job.firms,
                **{k: v for k, v in changes.items() if k != "finished_at"},
            },
            connection=conn,
        )
    return await models.RefreshJob.get(id=job_id)


async def run_pending_refreshes(
    *, settings: Any = None, stale_after: dt.timedelta | None = None
) -> list[models.RefreshJob]:
    """Run the jobs left ``pending`` (and, past ``stale_after``, ``running``) by dead runs."""
    query = models.RefreshJob.filter(status="pending")
    stale: list[int] = []
    if stale_after is not None:
        cutoff = dt.datetime.now(dt.UTC) - stale_after
        found = await models.RefreshJob.filter(status="running", started_at__lt=cutoff).values_list(
            "id", flat=True
        )
        stale = [int(i) for i in found]  # type: ignore[call-overload]
    pending = [int(i) for i in await query.order_by("id").values_list("id", flat=True)]  # type: ignore[call-overload]
    done: list[models.RefreshJob] = []
    for job_id in [*pending, *stale]:
        with contextlib.suppress(Exception):
            done.append(await run_refresh(job_id, settings=settings, _stale=job_id in stale))
    return done
