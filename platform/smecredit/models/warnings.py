"""Early-warning signals raised about firms (and optionally a specific loan)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from smecredit.models.firms import Firm
from smecredit.models.lending import Loan

__all__ = ["Warning"]


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
