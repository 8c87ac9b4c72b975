"""Report runs: one row per report someone (or a schedule) ran, and where its file is."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

__all__ = ["ReportRun"]


class ReportRun(Model):
    """One run of a report type (:mod:`smecredit.services.reports.runs`).

    The job (:class:`~smecredit.models.Job`, kind ``report``) is the record of the work;
    this row is the report's: what was asked, by whom, and the artefact once written.
    ``state`` follows the job's (``queued`` ... ``succeeded``, ``failed``, ``cancelled``,
    ``interrupted``) and becomes ``expired`` when the retention purge deletes the file.
    """

    id = fields.IntField(primary_key=True)
    job_id = fields.IntField(null=True, db_index=True)
    report_name = fields.CharField(max_length=64, db_index=True)
    params: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    format = fields.CharField(max_length=8)
    language = fields.CharField(max_length=8)
    requested_by = fields.CharField(max_length=64, db_index=True)
    # The requester's branch: who may see the run is decided by it and by report.view_all.
    branch_code = fields.CharField(max_length=16, default="HQ")
    state = fields.CharField(max_length=16, default="queued", db_index=True)
    # SHA-256 of the report's data (format-independent) and of the file itself.
    content_hash = fields.CharField(max_length=64, null=True)
    file_sha256 = fields.CharField(max_length=64, null=True)
    size = fields.BigIntField(null=True)
    # Relative to the artefact directory (SMECREDIT_REPORT_DIR).
    path = fields.CharField(max_length=255, null=True)
    error_code = fields.CharField(max_length=64, null=True)
    # A scheduled run: ``name:period:start`` of the period it ran for (unique: once each).
    schedule_key = fields.CharField(max_length=128, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True, db_index=True)
    downloads = fields.IntField(default=0)

    class Meta:
        table = "report_run"
        table_description = "Report runs: what was asked, by whom, and the artefact written."
