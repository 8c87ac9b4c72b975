"""Early warnings (R5): the warnings raised about firms, their history and comments, and the
versioned configuration and scans that raise them.

Rule thresholds and weights are versioned: a change adds a row with a higher version and
takes effect at the next scan, so every scan can say which configuration it used.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from smecredit.models.firms import Firm
from smecredit.models.lending import Loan

__all__ = [
    "ClassificationReview",
    "IndexSnapshot",
    "IndicatorConfig",
    "Warning",
    "WarningComment",
    "WarningEvent",
    "WarningScanRun",
    "WeightProposalRecord",
    "WeightSet",
]


class Warning(Model):
    """A warning produced by a rule. It moves open -> acknowledged -> resolved / dismissed."""

    id = fields.IntField(primary_key=True)
    firm: fields.ForeignKeyRelation[Firm] = fields.ForeignKeyField(
        "smecredit.Firm", related_name="warnings", on_delete=fields.CASCADE
    )
    loan: fields.ForeignKeyNullableRelation[Loan] = fields.ForeignKeyField(
        "smecredit.Loan", related_name="warnings", null=True, on_delete=fields.SET_NULL
    )
    rule_code = fields.CharField(max_length=64, db_index=True)
    severity = fields.CharField(max_length=8, db_index=True)
    observed_value = fields.FloatField(null=True)
    threshold = fields.FloatField(null=True)
    message = fields.TextField()
    status = fields.CharField(max_length=16, default="open", db_index=True)
    assignee = fields.CharField(max_length=64, null=True)
    resolution_note = fields.TextField(null=True)
    opened_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    acknowledged_at = fields.DatetimeField(null=True)
    resolved_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)
    # Early-warning lifecycle (issue 7): deadline by severity, when it was escalated for
    # being overdue, and the firm's composite index when the warning was last evaluated.
    due_at = fields.DatetimeField(null=True)
    escalated_at = fields.DatetimeField(null=True)
    index_value = fields.FloatField(null=True)

    class Meta:
        table = "warning"
        # Scans read a batch's active warnings by firm range and status.
        indexes = (("firm_id", "status"),)


class IndicatorConfig(Model):
    """One version of one rule's thresholds, parameters and on/off switch."""

    id = fields.IntField(primary_key=True)
    rule_code = fields.CharField(max_length=64, db_index=True)
    version = fields.IntField()
    #: blue, yellow, orange and red thresholds
    thresholds: fields.JSONField[dict[str, Any]] = fields.JSONField()
    params: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    enabled = fields.BooleanField(default=True)
    author = fields.CharField(max_length=64)
    note = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ew_indicator_config"
        unique_together = (("rule_code", "version"),)


class WeightSet(Model):
    """One version of the indicator weights (expert entry, AHP or an accepted proposal)."""

    id = fields.IntField(primary_key=True)
    version = fields.IntField(unique=True)
    method = fields.CharField(max_length=16)
    #: group name to weight, normalised
    group_weights: fields.JSONField[dict[str, Any]] = fields.JSONField()
    #: rule code to global weight, sums to 1
    indicator_weights: fields.JSONField[dict[str, Any]] = fields.JSONField()
    #: the pairwise matrices and consistency ratios behind an AHP set
    ahp_detail: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    author = fields.CharField(max_length=64)
    note = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ew_weight_set"


class WeightProposalRecord(Model):
    """Weights re-estimated from a back-test, waiting for an analyst's decision."""

    id = fields.IntField(primary_key=True)
    status = fields.CharField(max_length=12, default="proposed", db_index=True)
    based_on_version = fields.IntField(null=True)
    proposed: fields.JSONField[dict[str, Any]] = fields.JSONField()
    current: fields.JSONField[dict[str, Any]] = fields.JSONField()
    coefficients: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    horizon_days = fields.IntField()
    sample_size = fields.IntField(default=0)
    author = fields.CharField(max_length=64)
    decided_by = fields.CharField(max_length=64, null=True)
    decision_note = fields.TextField(null=True)
    decided_at = fields.DatetimeField(null=True)
    accepted_version = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ew_weight_proposal"


class WarningScanRun(Model):
    """One scan: which firms, which configuration, what it changed."""

    id = fields.IntField(primary_key=True)
    scope = fields.CharField(max_length=16)
    status = fields.CharField(max_length=12, default="running", db_index=True)
    author = fields.CharField(max_length=64, default="system")
    weight_version = fields.IntField(null=True)
    firms_scanned = fields.IntField(default=0)
    opened = fields.IntField(default=0)
    updated = fields.IntField(default=0)
    escalated = fields.IntField(default=0)
    resolved = fields.IntField(default=0)
    error = fields.TextField(null=True)
    started_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "ew_scan_run"


class WarningEvent(Model):
    """One step in a warning's history (opened, escalated, acknowledged, commented ...)."""

    id = fields.IntField(primary_key=True)
    warning: fields.ForeignKeyRelation[Warning] = fields.ForeignKeyField(
        "smecredit.Warning", related_name="events", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=24, db_index=True)
    from_status = fields.CharField(max_length=16, null=True)
    to_status = fields.CharField(max_length=16, null=True)
    severity = fields.CharField(max_length=8, null=True)
    observed_value = fields.FloatField(null=True)
    actor = fields.CharField(max_length=64, default="system")
    note = fields.TextField(null=True)
    scan_run_id = fields.IntField(null=True)
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "ew_warning_event"
        indexes = (("warning_id", "at"),)


class WarningComment(Model):
    """A note an officer adds to a warning."""

    id = fields.IntField(primary_key=True)
    warning: fields.ForeignKeyRelation[Warning] = fields.ForeignKeyField(
        "smecredit.Warning", related_name="comments", on_delete=fields.CASCADE
    )
    author = fields.CharField(max_length=64)
    body = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ew_warning_comment"


class ClassificationReview(Model):
    """A request to review a loan's five-category classification, raised by a red warning.

    The loan lifecycle reads the pending rows (status ``pending``) and closes them.
    """

    id = fields.IntField(primary_key=True)
    loan: fields.ForeignKeyRelation[Loan] = fields.ForeignKeyField(
        "smecredit.Loan", related_name="classification_reviews", on_delete=fields.CASCADE
    )
    warning: fields.ForeignKeyNullableRelation[Warning] = fields.ForeignKeyField(
        "smecredit.Warning",
        related_name="classification_reviews",
        null=True,
        on_delete=fields.SET_NULL,
    )
    current_classification = fields.CharField(max_length=16)
    status = fields.CharField(max_length=12, default="pending", db_index=True)
    reason = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "ew_classification_review"
        indexes = (("loan_id", "status"),)


class IndexSnapshot(Model):
    """A firm's composite early-warning index as computed by one scan (for back-tests)."""

    id = fields.IntField(primary_key=True)
    firm_id = fields.IntField(db_index=True)
    scan_run_id = fields.IntField(db_index=True)
    as_of = fields.DateField(db_index=True)
    index_value = fields.FloatField()
    level = fields.IntField(default=0)
    #: JSON text of rule code to the indicator's 0-100 score, for weight re-estimation
    scores = fields.TextField(default="{}")

    class Meta:
        table = "ew_index_snapshot"
