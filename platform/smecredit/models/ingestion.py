"""Ingestion bookkeeping: sync runs, quarantined records, resume checkpoints, consents."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from smecredit.models.firms import Firm

__all__ = [
    "REFRESH_STATUSES",
    "SYNC_STATUSES",
    "Consent",
    "QuarantinedRecord",
    "RefreshJob",
    "SourceCheckpoint",
    "SourceState",
    "SyncRun",
]

#: Life cycle of a sync run: ``partial`` finished with some records quarantined,
#: ``interrupted`` was stopped (cancelled, or its process died) and can be resumed.
SYNC_STATUSES = ("running", "succeeded", "partial", "failed", "interrupted")
#: Life cycle of the rescoring and warning re-evaluation that follows a sync.
REFRESH_STATUSES = ("pending", "running", "succeeded", "failed")


class SyncRun(Model):
    """One pull of one data source, with its data-quality counts.

    ``missing_rates`` maps record kind to field to the share of records in which the
    field was empty. ``outliers_by_field`` maps ``kind.field`` to the number of values
    flagged. ``flagged_by_code`` maps a plausibility code (``IMPLAUSIBLE_DATE``,
    ``FORMULA_TEXT``) to ``kind.field`` to the number of records flagged (kept, not
    quarantined); ``flags`` lists the first hundred (code, field, locator).
    ``skipped_firms`` lists (the first thousand of) the USCCs a consent-gated
    source was not asked about for lack of consent, ``skipped_count`` how many there were.
    ``notes`` keeps the source's own messages (warnings such as ignored columns), the first
    fifty, each with code, message and locator; personal data in them is masked.

    Liveness (:mod:`smecredit.services.ingestion.runs`): ``owner`` names the process running
    the run (``host:pid:token``), ``heartbeat_at`` is refreshed while it runs, and
    ``lock_key`` (unique, cleared when the run ends) lets one run at a time hold a request.
    ``checkpoint`` and ``resumed_from`` are stored encrypted (a source's position may name
    a person).
    """

    id = fields.IntField(primary_key=True)
    source = fields.CharField(max_length=64, db_index=True)
    kind = fields.CharField(max_length=32, null=True)
    scope = fields.CharField(max_length=255, default="")
    operation = fields.CharField(max_length=32, default="source.sync")
    actor = fields.CharField(max_length=128, default="system")
    file_name = fields.CharField(max_length=255, null=True)
    file_sha256 = fields.CharField(max_length=64, null=True)
    status = fields.CharField(max_length=16, default="running", db_index=True)
    started_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)
    owner = fields.CharField(max_length=128, null=True)
    heartbeat_at = fields.DatetimeField(null=True)
    lock_key = fields.CharField(max_length=330, null=True, unique=True)
    since = fields.CharField(max_length=64, null=True)
    resumed_from = fields.TextField(null=True)
    checkpoint = fields.TextField(null=True)
    read = fields.IntField(default=0)
    accepted = fields.IntField(default=0)
    quarantined = fields.IntField(default=0)
    merged = fields.IntField(default=0)
    duplicates = fields.IntField(default=0)
    outliers = fields.IntField(default=0)
    total = fields.IntField(null=True)
    done = fields.IntField(default=0)
    missing_rates: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    outliers_by_field: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    flagged_by_code: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    flags: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)
    skipped_firms: fields.JSONField[list[str]] = fields.JSONField(default=list)
    skipped_count = fields.IntField(default=0)
    notes: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)
    error = fields.TextField(null=True)

    class Meta:
        table = "sync_run"


class QuarantinedRecord(Model):
    """A record that failed validation at entry, kept whole so a person can fix it.

    ``raw_record`` is the record exactly as the source gave it, as JSON, **encrypted**
    (:mod:`smecredit.services.ingestion.quarantine`; associated data
    ``quarantined_record:raw_record:<key_ref>``; the column holds the blob as a JSON
    string): it may hold personal data anywhere, even in the wrong column. ``reason`` and
    ``locator`` have personal data masked.
    ``branch_code`` (the record's firm's branch, when known) puts the row in a branch for
    row scope; a row without one is seen only by roles that see every branch.
    """

    id = fields.IntField(primary_key=True)
    run: fields.ForeignKeyRelation[SyncRun] = fields.ForeignKeyField(
        "smecredit.SyncRun", related_name="quarantined_records", on_delete=fields.CASCADE
    )
    source = fields.CharField(max_length=64, db_index=True)
    locator = fields.CharField(max_length=255)
    kind = fields.CharField(max_length=32, null=True)
    field = fields.CharField(max_length=128, null=True)
    code = fields.CharField(max_length=64, db_index=True)
    reason = fields.TextField()
    # JSON holding the encrypted blob as a string (rows written before encryption hold the
    # record itself; the ingestion service seals them).
    raw_record: fields.JSONField[Any] = fields.JSONField(null=True)
    key_ref = fields.CharField(max_length=32, default="")
    branch_code = fields.CharField(max_length=16, null=True, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "quarantined_record"


class SourceCheckpoint(Model):
    """Where an unfinished sync of a source (and scope) resumes.

    The row is written in the same transaction as each batch, so after a crash it
    names exactly the last record that landed. ``position`` is stored encrypted.
    """

    id = fields.IntField(primary_key=True)
    source = fields.CharField(max_length=64)
    scope = fields.CharField(max_length=255, default="")
    position = fields.TextField()
    run: fields.ForeignKeyNullableRelation[SyncRun] = fields.ForeignKeyField(
        "smecredit.SyncRun", related_name="checkpoints", null=True, on_delete=fields.SET_NULL
    )
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "source_checkpoint"
        unique_together = (("source", "scope"),)


class Consent(Model):
    """A firm's consent to query a consent-gated source (bureau, personal, tax data).

    Valid at time t when granted_at <= t, t < expires_at (if set) and not revoked by t.
    ``evidence_ref`` points at the signed authorisation (document id, file hash).
    """

    id = fields.IntField(primary_key=True)
    firm: fields.ForeignKeyRelation[Firm] = fields.ForeignKeyField(
        "smecredit.Firm", related_name="consents", on_delete=fields.CASCADE
    )
    scope = fields.CharField(max_length=32, db_index=True)
    granted_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    granted_by = fields.CharField(max_length=64)
    evidence_ref = fields.CharField(max_length=255, default="")

    class Meta:
        table = "consent"


class SourceState(Model):
    """What the platform remembers of a source between runs.

    ``next_since`` is the ``since`` the next sync of an incremental source starts from: the
    start time of its last run that read the source to the end (``succeeded`` or
    ``partial``), so nothing that changed while that run was reading is missed.
    """

    id = fields.IntField(primary_key=True)
    source = fields.CharField(max_length=64, unique=True)
    next_since = fields.CharField(max_length=64, null=True)
    last_run: fields.ForeignKeyNullableRelation[SyncRun] = fields.ForeignKeyField(
        "smecredit.SyncRun", related_name="source_states", null=True, on_delete=fields.SET_NULL
    )
    last_success_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "source_state"


class RefreshJob(Model):
    """Rescoring and warning re-evaluation of the firms a sync brought new evidence about.

    Queued (``pending``) in the transaction that ends the sync run, so a process that dies
    before running it leaves it to be picked up (``run_pending_refreshes``). ``firm_ids``
    are the firms whose rows the run inserted or changed; ``scored`` how many got a new
    score (0 with ``score_skipped`` set when no champion model is installed), ``scan_run_id``
    the warning scan that re-evaluated them and ``opened``/``resolved`` what it changed.
    """

    id = fields.IntField(primary_key=True)
    run: fields.ForeignKeyRelation[SyncRun] = fields.ForeignKeyField(
        "smecredit.SyncRun", related_name="refresh_jobs", on_delete=fields.CASCADE
    )
    source = fields.CharField(max_length=64)
    status = fields.CharField(max_length=16, default="pending", db_index=True)
    firm_ids: fields.JSONField[list[int]] = fields.JSONField(default=list)
    firms = fields.IntField(default=0)
    scored = fields.IntField(default=0)
    score_skipped = fields.TextField(null=True)
    scan_run_id = fields.IntField(null=True)
    opened = fields.IntField(default=0)
    updated = fields.IntField(default=0)
    resolved = fields.IntField(default=0)
    error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "refresh_job"
