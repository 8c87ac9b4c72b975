"""Running the compliance checks: a run, one result per check, the overall score.

:func:`open_run` records the run (audited, ``compliance.run``); :func:`execute_run` runs
every check of the catalogue, each in isolation (a check that raises is an ``error``
result, the others go on), and stores the results, the overall score and the run's end in
one transaction with its audit row. A run of the schedule carries its ``slot``: the
column is unique, so of several processes one alone opens a slot's run
(:func:`open_run` answers None to the others).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from smecredit import models
from smecredit.domain.compliance import CheckOutcome, CheckStatus, overall_score
from smecredit.security.operations import authorize
from smecredit.security.principal import Principal
from smecredit.services import audit
from smecredit.services.compliance.base import CheckContext
from smecredit.services.compliance.catalogue import CATALOGUE
from smecredit.services.transactions import atomic

__all__ = ["execute_run", "open_run", "run_checks"]

log = logging.getLogger(__name__)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def open_run(principal: Principal, *, slot: str | None = None) -> models.ComplianceRun | None:
    """Record a new run (``compliance.run``), audited; None when ``slot`` is taken."""
    authorize(principal, "compliance.run")

    async def work(conn: BaseDBAsyncClient) -> models.ComplianceRun:
        run = await models.ComplianceRun.create(
            started_by=principal.username, slot=slot, using_db=conn
        )
        await audit.record(
            principal,
            "compliance.run",
            f"ComplianceRun:{run.id}",
            after={"slot": slot},
            connection=conn,
        )
        return run

    try:
        return await atomic(work, what="opening a compliance run")
    except IntegrityError:
        if slot is None:
            raise
        return None  # another process opened this slot's run


async def _outcome(ctx: CheckContext, code: str, fn: Any) -> CheckOutcome:
    try:
        outcome: CheckOutcome = await fn(ctx)
    except Exception as exc:  # one broken check must not hide the others' results
        log.exception("compliance check %s failed", code)
        return CheckOutcome.of(CheckStatus.ERROR, f"{type(exc).__name__}: {exc}")
    return outcome


async def _checked(
    run: models.ComplianceRun,
    settings: Any,
    *,
    now: dt.datetime,
    progress: Callable[[int, int], None] | None,
) -> None:
    ctx = CheckContext(settings=settings, now=now)
    outcomes: list[tuple[Any, CheckOutcome]] = []
    for done, (check, fn) in enumerate(CATALOGUE):
        outcomes.append((check, await _outcome(ctx, check.code, fn)))
        if progress is not None:
            progress(done + 1, len(CATALOGUE))
    score = overall_score([(c.weight, o.status) for c, o in outcomes])

    async def work(conn: BaseDBAsyncClient) -> None:
        for check, outcome in outcomes:
            await models.ComplianceResult.create(
                run_id=run.id,
                check_code=check.code,
                status=outcome.status.value,
                weight=check.weight,
                score=outcome.score,
                message=outcome.message,
                evidence=list(outcome.evidence),
                offending=outcome.total,
                using_db=conn,
            )
        await (
            models.ComplianceRun.filter(id=run.id)
            .using_db(conn)
            .update(status="succeeded", finished_at=_utcnow(), overall_score=score)
        )
        await audit.record(
            run.started_by,
            "compliance.result",
            f"ComplianceRun:{run.id}",
            after={"overall_score": score, **{c.code: o.status.value for c, o in outcomes}},
            connection=conn,
        )

    await atomic(work, what=f"storing compliance run {run.id}")


async def execute_run(
    run: models.ComplianceRun,
    settings: Any,
    *,
    now: dt.datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> models.ComplianceRun:
    """Run every check for ``run`` and store its results and overall score.

    A run that cannot finish (the results cannot be stored, the server stops) is recorded
    ``failed`` with the reason, never left ``running``.
    """
    try:
        await _checked(run, settings, now=now or _utcnow(), progress=progress)
    except BaseException as exc:
        await models.ComplianceRun.filter(id=run.id).update(
            status="failed", finished_at=_utcnow(), error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    return await models.ComplianceRun.get(id=run.id)


async def run_checks(
    principal: Principal, settings: Any, *, now: dt.datetime | None = None
) -> models.ComplianceRun:
    """Open a run and execute it in the foreground (the CLI, tests)."""
    run = await open_run(principal)
    assert run is not None
    return await execute_run(run, settings, now=now)
