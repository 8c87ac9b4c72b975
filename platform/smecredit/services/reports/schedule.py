"""Scheduled reports (``SMECREDIT_REPORT_SCHEDULE``) and the retention purge.

Each entry (report, period, format, language) runs once per period as the platform's own
principal (``system``), with the report's default parameters: on the first round of a day
(``daily``), of a week starting Monday (``weekly``) or of a month (``monthly``) the server
is up. "Once" holds across processes: the run row carries the period's key
(``name:period:start``), which is unique, so a second server finds it taken and skips.

The same loop purges the artefacts past their retention (``SMECREDIT_REPORT_RETENTION``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from tortoise.exceptions import IntegrityError

from smecredit import models
from smecredit.security.operations import SYSTEM
from smecredit.services.jobs.supervisor import JobSupervisor
from smecredit.services.reports.runs import purge_expired, run_report
from smecredit.settings import ReportScheduleEntry, SettingsError

__all__ = [
    "POLL",
    "check_schedule",
    "period_start",
    "run_report_schedule",
    "schedule_key",
    "schedule_round",
]

log = logging.getLogger(__name__)

#: Seconds between two rounds of the loop.
POLL = 300.0


def period_start(period: str, day: dt.date) -> dt.date:
    """The first day of the ``daily``, ``weekly`` (Monday) or ``monthly`` period of ``day``."""
    if period == "weekly":
        return day - dt.timedelta(days=day.weekday())
    if period == "monthly":
        return day.replace(day=1)
    return day


def schedule_key(entry: ReportScheduleEntry, day: dt.date) -> str:
    """The key of ``entry``'s run for the period of ``day`` (unique on the run rows)."""
    name, period, _, _ = entry
    return f"{name}:{period}:{period_start(period, day).isoformat()}"


def check_schedule(entries: Sequence[ReportScheduleEntry], plugins: Any) -> None:
    """Refuse at start a schedule naming a report no plugin provides, or a format it lacks.

    Raises:
        SettingsError: naming ``SMECREDIT_REPORT_SCHEDULE`` and the entry.
    """
    types = getattr(plugins, "report_types", None) or {}
    for name, period, fmt, _ in entries:
        rtype = types.get(name)
        if rtype is None:
            raise SettingsError(
                f"SMECREDIT_REPORT_SCHEDULE: {name}:{period}: no installed plugin provides "
                f"the report {name!r} (installed: {', '.join(sorted(types)) or 'none'})"
            )
        if fmt not in rtype.formats:
            raise SettingsError(
                f"SMECREDIT_REPORT_SCHEDULE: {name}:{period}: {name} is offered as "
                f"{', '.join(rtype.formats)}, not {fmt}"
            )


async def schedule_round(
    entries: Sequence[ReportScheduleEntry],
    *,
    supervisor: JobSupervisor,
    plugins: Any,
    settings: Any,
    today: dt.date,
) -> list[models.ReportRun]:
    """Start the runs due for ``today``'s periods that no process started yet."""
    started: list[models.ReportRun] = []
    for entry in entries:
        key = schedule_key(entry, today)
        if await models.ReportRun.exists(schedule_key=key):
            continue
        name, _, fmt, language = entry
        try:
            run = await run_report(
                SYSTEM,
                name,
                {},
                fmt,
                language,
                supervisor=supervisor,
                plugins=plugins,
                settings=settings,
                today=today,
                schedule_key=key,
            )
        except IntegrityError:  # another process took this period a moment ago
            continue
        log.info("report schedule: started %s (run %s)", key, run.id)
        started.append(run)
    return started


async def run_report_schedule(
    entries: Sequence[ReportScheduleEntry],
    *,
    supervisor: JobSupervisor,
    plugins: Any,
    settings: Any,
    today: Callable[[], dt.date],
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    rounds: int | None = None,
) -> None:
    """Purge expired artefacts and start the due scheduled runs, every :data:`POLL` s."""
    done = 0
    while rounds is None or done < rounds:
        try:
            purged = await purge_expired(settings)
            if purged:
                log.info("report retention: %d artefacts deleted", purged)
            await schedule_round(
                entries, supervisor=supervisor, plugins=plugins, settings=settings, today=today()
            )
        except Exception:  # the loop must outlive a database hiccup
            log.exception("report schedule: round failed")
        done += 1
        if rounds is not None and done >= rounds:
            return
        await sleep(POLL)
