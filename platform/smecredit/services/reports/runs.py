"""Running a report: authorise, validate, record the run, build and write it as a job.

:func:`run_report` is the one use case every caller goes through (GraphQL, the CLI, the
schedule). It refuses at once what the caller must hear about (``report.run`` and one of
the type's roles - an administrator is not implied; an unknown type, format or language;
a bad parameter), records the :class:`~smecredit.models.ReportRun` with its audit row in
one transaction, and starts a job of kind ``report`` through the supervisor.

The job builds the document through an
:class:`~smecredit.services.reports.context.EngineContext` and writes it to a temporary
file in the artefact directory, renamed into place only when everything was written: a
cancelled, interrupted or failed run deletes its temporary file, so it leaves no artefact.
The run row and the audit log say how it ended (``report.run_finished``); each download is
audited (``report.download``) where it is served (:func:`open_download`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import os
import secrets
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F
from tortoise.queryset import QuerySet

from smecredit import models
from smecredit.domain.jobs import JobKind
from smecredit.domain.report_params import parse_params
from smecredit.errors import ApiError, InvalidInput, NotFound, PermissionDenied, error_code
from smecredit.sdk.reports import ReportCancelled
from smecredit.security.operations import SYSTEM_ROLE, authorize, can
from smecredit.services import audit
from smecredit.services.jobs.supervisor import JobControl, JobSupervisor
from smecredit.services.reports.context import EngineContext
from smecredit.services.reports.formats import Cover, write_report
from smecredit.services.transactions import atomic

__all__ = [
    "LANGUAGES",
    "ReportExpired",
    "ReportFormatUnsupported",
    "ReportNotReady",
    "ReportRoleRequired",
    "ReportTypeUnknown",
    "cancel_run",
    "may_run",
    "open_download",
    "purge_expired",
    "report_type",
    "run_report",
    "visible_runs",
]

#: The languages a report is written in.
LANGUAGES = ("zh", "en")
_CHUNK = 1 << 16


class ReportTypeUnknown(NotFound):
    """No plugin provides a report of that name."""

    code = "REPORT_TYPE_UNKNOWN"


class ReportFormatUnsupported(InvalidInput):
    """The report type does not offer the requested format."""

    code = "REPORT_FORMAT_UNSUPPORTED"


class ReportRoleRequired(PermissionDenied):
    """The caller holds ``report.run`` but none of the report type's roles."""

    code = "REPORT_ROLE_REQUIRED"


class ReportNotReady(ApiError):
    """The run has not written its artefact (yet, or ever: it failed or was cancelled)."""

    code = "REPORT_NOT_READY"


class ReportExpired(ApiError):
    """The artefact passed its retention period and was deleted."""

    code = "REPORT_EXPIRED"


def report_type(plugins: Any, name: str) -> Any:
    """The registered report type ``name``.

    Raises:
        ReportTypeUnknown: ``REPORT_TYPE_UNKNOWN``.
    """
    found = (getattr(plugins, "report_types", None) or {}).get(name)
    if found is None:
        raise ReportTypeUnknown(f"no report named {name!r} is installed", name=name)
    return found


def may_run(principal: Any, rtype: Any) -> bool:
    """Whether ``principal`` may run ``rtype``: ``report.run`` and one of its roles (the
    platform's own principal runs the schedules the operator configured)."""
    if principal is None or not can(principal, "report.run"):
        return False
    roles = set(getattr(principal, "roles", ()) or ())
    return SYSTEM_ROLE in roles or bool(roles & set(rtype.roles))


def _title(rtype: Any, language: str) -> str:
    return str(rtype.title_zh if language == "zh" else rtype.title_en)


def _shown(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json_params(params: Mapping[str, Any]) -> dict[str, str]:
    return {name: _shown(value) for name, value in params.items()}


async def run_report(
    principal: Any,
    name: str,
    raw_params: Mapping[str, Any],
    fmt: str,
    language: str,
    *,
    supervisor: JobSupervisor,
    plugins: Any,
    settings: Any,
    today: dt.date,
    schedule_key: str | None = None,
    options: Mapping[str, str] | None = None,
) -> models.ReportRun:
    """Check and record a report run and start its job; the run row as created.

    Raises:
        PermissionDenied: ``FORBIDDEN`` without ``report.run``.
        ReportRoleRequired: ``REPORT_ROLE_REQUIRED`` without one of the type's roles.
        ReportTypeUnknown, ReportFormatUnsupported, InvalidInput: the request is wrong.
        DomainError: ``REPORT_PARAM_*`` naming the parameter.
    """
    authorize(principal, "report.run")
    rtype = report_type(plugins, name)
    if not may_run(principal, rtype):
        raise ReportRoleRequired(
            f"report {name} is for {', '.join(rtype.roles)}; you hold none of these roles",
            report=name,
        )
    if fmt not in rtype.formats:
        raise ReportFormatUnsupported(
            f"report {name} is offered as {', '.join(rtype.formats)}, not {fmt!r}", format=fmt
        )
    if language not in LANGUAGES:
        raise InvalidInput(
            f"language {language!r} is not zh or en",
            code="REPORT_LANGUAGE_INVALID",
            language=language,
        )
    params = parse_params(rtype.params, raw_params, today=today)

    async def record(conn: BaseDBAsyncClient) -> models.ReportRun:
        run = await models.ReportRun.create(
            report_name=name,
            params=_json_params(params),
            format=fmt,
            language=language,
            requested_by=str(principal.username)[:64],
            branch_code=str(principal.branch_code)[:16],
            schedule_key=schedule_key,
            using_db=conn,
        )
        await audit.record(
            principal,
            "report.run_requested",
            f"ReportRun:{run.id}",
            after={"report": name, "params": run.params, "format": fmt, "language": language},
            connection=conn,
        )
        return run

    run = await atomic(record, what="recording the report run")
    work = _work(run, rtype, params, principal, plugins, settings, today, options or {})
    handle = await supervisor.start(
        JobKind.REPORT,
        work,
        started_by=principal,
        params={"report": name, "format": fmt, **run.params},
        run_id=run.id,
    )
    await models.ReportRun.filter(id=run.id).update(job_id=handle.id)
    run.job_id = handle.id
    return run


def _work(
    run: models.ReportRun,
    rtype: Any,
    params: Mapping[str, Any],
    principal: Any,
    plugins: Any,
    settings: Any,
    today: dt.date,
    options: Mapping[str, str],
) -> Callable[[JobControl], Awaitable[dict[str, Any]]]:
    async def work(control: JobControl) -> dict[str, Any]:
        directory = Path(settings.reports_path)
        directory.mkdir(parents=True, exist_ok=True)
        temp = directory / f".{run.id}-{secrets.token_hex(6)}.part"
        context = EngineContext(
            principal,
            plugins,
            run.language,
            today,
            run.report_name,
            options=options,
            on_progress=control.progress,
            cancelled=lambda: control.cancelled_by is not None,
        )
        await models.ReportRun.filter(id=run.id).update(state="running")
        try:
            document = await rtype.build(context, dict(params))
            cover = Cover(
                title=_title(rtype, run.language),
                report_name=run.report_name,
                parameters=tuple(
                    (_param_title(rtype, n, run.language), v) for n, v in run.params.items()
                ),
                generated_at=dt.datetime.now(dt.UTC),
                generated_by=str(principal.username),
            )
            with temp.open("wb") as out:
                content_hash = await write_report(
                    document,
                    run.format,
                    out,
                    cover=cover,
                    language=run.language,
                    checkpoint=context.checkpoint,
                    settings=settings,
                )
            await context.checkpoint()
            digest, size = _file_digest(temp)
            final = f"{run.id}-{run.report_name}.{run.format}"
            os.replace(temp, directory / final)
        except (ReportCancelled, asyncio.CancelledError):
            _discard(temp)
            state = "cancelled" if control.cancelled_by is not None else "interrupted"
            await _end(run, principal, state, error=state.upper())
            raise asyncio.CancelledError(state) from None
        except BaseException as exc:
            _discard(temp)
            await _end(run, principal, "failed", error=error_code(exc) or "JOB_FAILED")
            raise
        now = dt.datetime.now(dt.UTC)
        await _end(
            run,
            principal,
            "succeeded",
            content_hash=content_hash,
            file_sha256=digest,
            size=size,
            path=final,
            expires_at=now + settings.report_retention,
        )
        return {"report_run": run.id, "size": size, "content_hash": content_hash}

    return work


def _param_title(rtype: Any, name: str, language: str) -> str:
    for param in rtype.params:
        if param.name == name:
            return str(param.title_zh if language == "zh" else param.title_en)
    return name


def _file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _discard(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


async def _end(
    run: models.ReportRun, principal: Any, state: str, *, error: str | None = None, **changes: Any
) -> None:
    """Record how the run ended, with its audit row, in one transaction (shielded: a
    cancellation arriving now must not leave the row ``running``)."""

    async def finish(conn: BaseDBAsyncClient) -> None:
        await (
            models.ReportRun.filter(id=run.id)
            .using_db(conn)
            .update(state=state, error_code=error, finished_at=dt.datetime.now(dt.UTC), **changes)
        )
        await audit.record(
            principal,
            "report.run_finished",
            f"ReportRun:{run.id}",
            after={
                "report": run.report_name,
                "state": state,
                "error": error,
                **{
                    k: v for k, v in changes.items() if k in ("content_hash", "file_sha256", "size")
                },
            },
            connection=conn,
        )

    await asyncio.shield(atomic(finish, what="recording the end of the report run"))


def visible_runs(principal: Any) -> QuerySet[models.ReportRun]:
    """The runs ``principal`` may see: its own, or all with ``report.view_all``."""
    if principal is None:
        return models.ReportRun.filter(id__in=[])
    if can(principal, "report.view_all"):
        return models.ReportRun.all()
    return models.ReportRun.filter(requested_by=principal.username)


async def get_run(principal: Any, run_id: int) -> models.ReportRun:
    """The run ``run_id`` if ``principal`` may see it.

    Raises:
        NotFound: ``NOT_FOUND`` for a run that does not exist or is someone else's.
    """
    run = await visible_runs(principal).get_or_none(id=run_id)
    if run is None:
        raise NotFound(f"no report run {run_id}")
    return run


async def cancel_run(supervisor: Any, principal: Any, run_id: int) -> models.ReportRun:
    """Stop a queued or running report: its author, or whoever may cancel jobs (audited).

    The run's job ends cancelled and its partial file is removed (:func:`run_report`), so a
    cancelled run leaves no artefact. A credit committee member or a compliance auditor has
    no ``job.cancel``: the report they started is still theirs to stop.

    Raises:
        NotFound: no such run among the caller's (as :func:`get_run`).
        PermissionDenied: someone else's run, for a caller without ``job.cancel``.
        InvalidTransition: the run already ended (``INVALID_TRANSITION``, from the job).
    """
    authorize(principal, "report.run")
    run = await get_run(principal, run_id)
    if run.requested_by != principal.username:
        authorize(principal, "job.cancel")
    if run.job_id is None:
        raise NotFound(f"report run {run_id} has no job")
    await supervisor.cancel(run.job_id, principal)
    return await models.ReportRun.get(id=run.id)


async def open_download(
    principal: Any, run_id: int, settings: Any, *, source_address: str | None = None
) -> tuple[models.ReportRun, Path]:
    """The run and its file, counted and audited as one download.

    Raises:
        NotFound: not the caller's to see.
        ReportExpired: ``REPORT_EXPIRED``: deleted by the retention purge (or due to be).
        ReportNotReady: ``REPORT_NOT_READY``: not written (yet).
    """
    run = await get_run(principal, run_id)
    now = dt.datetime.now(dt.UTC)
    if run.state == "expired" or (run.expires_at is not None and run.expires_at <= now):
        raise ReportExpired(f"report run {run_id} expired and its file was deleted")
    path = Path(settings.reports_path) / (run.path or "")
    if run.state != "succeeded" or not run.path or not path.is_file():
        raise ReportNotReady(f"report run {run_id} is {run.state}: it has no file")

    async def count(conn: BaseDBAsyncClient) -> None:
        # F(): concurrent downloads all count.
        await models.ReportRun.filter(id=run.id).using_db(conn).update(downloads=F("downloads") + 1)
        await audit.record(
            principal,
            "report.download",
            f"ReportRun:{run.id}",
            after={"report": run.report_name, "file_sha256": run.file_sha256},
            source_address=source_address,
            connection=conn,
        )

    await atomic(count, what="recording the report download")
    run.downloads += 1
    return run, path


async def purge_expired(settings: Any, *, now: dt.datetime | None = None) -> int:
    """Delete the artefacts past their retention; the number of runs expired (audited)."""
    moment = now or dt.datetime.now(dt.UTC)
    due = await models.ReportRun.filter(state="succeeded", expires_at__lte=moment)
    directory = Path(settings.reports_path)
    for run in due:
        if run.path:
            _discard(directory / run.path)
    if not due:
        return 0

    async def expire(conn: BaseDBAsyncClient) -> None:
        ids = [run.id for run in due]
        await models.ReportRun.filter(id__in=ids).using_db(conn).update(state="expired")
        await audit.record(None, "report.purge", "ReportRun", after={"runs": ids}, connection=conn)

    await atomic(expire, what="expiring report runs")
    return len(due)
