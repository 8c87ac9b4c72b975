"""Background jobs: one supervisor, one job table, every kind of background work.

:mod:`.supervisor` runs jobs and records how they end; :mod:`.records` writes the job
table along the state machine of :mod:`smecredit.domain.jobs`; :mod:`.kinds` starts each
kind of work (COB, warning scans, weight proposals, syncs and their refresh, training)
through the supervisor; :mod:`.queries` reads jobs within the caller's row scope.
"""

from __future__ import annotations

from smecredit.services.jobs.supervisor import (
    InProcessRunner,
    JobControl,
    JobHandle,
    JobStopped,
    JobSupervisor,
    Runner,
    ShuttingDown,
    Work,
)

__all__ = [
    "InProcessRunner",
    "JobControl",
    "JobHandle",
    "JobStopped",
    "JobSupervisor",
    "Runner",
    "ShuttingDown",
    "Work",
]
