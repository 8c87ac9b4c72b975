"""Who sees which jobs, and the cancel a person asks for.

Row scope of jobs (a job has no branch: it is work on the whole book):

* administrators and compliance auditors see every job;
* risk analysts see the jobs they started and the platform's own (``system``: schedules,
  refreshes after a scheduled sync), since they run the book's background work;
* everyone else sees only the jobs they started.

A job out of scope answers exactly as a missing one.
"""

from __future__ import annotations

from typing import Any

from tortoise.queryset import QuerySet

from smecredit import models
from smecredit.errors import NotFound
from smecredit.security.operations import SYSTEM, authorize
from smecredit.services.jobs.supervisor import JobSupervisor

__all__ = ["ALL_JOBS_ROLES", "SYSTEM_JOBS_ROLES", "cancel_job", "visible_job", "visible_jobs"]

#: Roles that see every job.
ALL_JOBS_ROLES = frozenset({"admin", "compliance_auditor", "system"})
#: Roles that also see the platform's own jobs (beside their own).
SYSTEM_JOBS_ROLES = frozenset({"risk_analyst"})


def visible_jobs(principal: Any) -> QuerySet[models.Job]:
    """The jobs ``principal`` may see (see the module docstring); none for nobody."""
    if principal is None:
        return models.Job.filter(id__lt=0)
    roles = set(getattr(principal, "roles", ()) or ())
    if roles & ALL_JOBS_ROLES:
        return models.Job.all()
    mine = [principal.username]
    if roles & SYSTEM_JOBS_ROLES:
        mine.append(SYSTEM.username)
    return models.Job.filter(started_by__in=mine)


async def visible_job(principal: Any, job_id: int) -> models.Job:
    """Job ``job_id`` if ``principal`` may see it.

    Raises:
        NotFound: ``NOT_FOUND``, for a missing job and for one out of scope alike.
    """
    row = await visible_jobs(principal).get_or_none(id=job_id)
    if row is None:
        raise NotFound(f"job {job_id} not found")
    return row


async def cancel_job(supervisor: JobSupervisor, job_id: int, principal: Any) -> models.Job:
    """Cancel a job the caller may see and cancel (``job.cancel``); audited.

    Raises:
        PermissionDenied: the caller may not cancel jobs.
        NotFound: no such job within the caller's scope.
        InvalidTransition: the job already ended.
        PreconditionFailed: another process runs it.
    """
    authorize(principal, "job.cancel")
    await visible_job(principal, job_id)
    return await supervisor.cancel(job_id, principal)
