"""Scores produced by risk models."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from smecredit.models.firms import Firm

__all__ = ["Score"]


class Score(Model):
    """One model's view of a firm's risk at a moment: PD, points, grade, reasons."""

    id = fields.IntField(primary_key=True)
    firm: fields.ForeignKeyRelation[Firm] = fields.ForeignKeyField(
        "smecredit.Firm", related_name="scores", on_delete=fields.CASCADE
    )
    model_name = fields.CharField(max_length=64)
    model_version = fields.CharField(max_length=32)
    probability_of_default = fields.FloatField()
    points = fields.IntField()
    grade = fields.CharField(max_length=4, db_index=True)
    reasons: Any = fields.JSONField(default=list)
    computed_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "score"
        indexes = (("firm_id", "computed_at"),)
