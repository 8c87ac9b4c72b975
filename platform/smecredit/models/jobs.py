"""The one table of background work: every job the supervisor runs, whatever its kind."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

__all__ = ["Job"]


class Job(Model):
    """One background job (:mod:`smecredit.services.jobs`).

    The domain run a job drives (a COB run, a warning scan run, a sync run ...) keeps its
    domain results; this row is the record of the work itself: what it is, who started
    it, how far it got and how it ended. ``kind`` and ``state`` hold the values of
    :class:`~smecredit.domain.jobs.JobKind` and :class:`~smecredit.domain.jobs.JobState`.
    """

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=32, db_index=True)
    state = fields.CharField(max_length=16, default="queued", db_index=True)
    # Progress: units done of ``total`` (None: not known yet). The unit is the kind's:
    # loans for COB, firms for a scan, records for a sync, model fits for training.
    done = fields.IntField(default=0)
    total = fields.IntField(null=True)
    # Who started it: a username, or ``system`` for schedules and the platform's own work.
    started_by = fields.CharField(max_length=64, db_index=True)
    started_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)
    params: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    result: fields.JSONField[Any] = fields.JSONField(null=True)
    error_code = fields.CharField(max_length=64, null=True)
    error_message = fields.TextField(null=True)
    # The domain run row the job drives, when its kind has one (see domain.jobs.RUN_TYPES).
    run_id = fields.IntField(null=True)
    # Who asked for the job to be cancelled (set with the request, before it stops).
    cancelled_by = fields.CharField(max_length=64, null=True)
    # ``host:pid`` of the process that runs it (a distributed runner: the worker).
    owner = fields.CharField(max_length=200, null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "job"
        table_description = "Background work run by the job supervisor, of every kind."
