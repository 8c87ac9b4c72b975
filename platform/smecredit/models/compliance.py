"""Compliance runs and their results, and the alerts of the feedback on decisions."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

__all__ = ["ComplianceResult", "ComplianceRun", "DecisionAlert"]


class ComplianceRun(Model):
    """One run of the compliance checks (:mod:`smecredit.services.compliance`).

    ``slot`` names the scheduled slot a run of the schedule belongs to (``2026-12-06T02:00Z``;
    unique, so of several server processes one alone runs a slot); null for a run on demand.
    ``overall_score`` is the weighted score, 0 to 100, of its scored results (null while
    running, or when every check was not applicable).
    """

    id = fields.IntField(primary_key=True)
    status = fields.CharField(max_length=12, default="running", db_index=True)
    started_by = fields.CharField(max_length=64)
    started_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)
    slot = fields.CharField(max_length=40, null=True, unique=True)
    overall_score = fields.FloatField(null=True)
    error = fields.TextField(null=True)

    class Meta:
        table = "compliance_run"


class ComplianceResult(Model):
    """The outcome of one check in one run (never edited).

    ``evidence`` lists the offending rows as ``Kind:id`` texts (at most
    :data:`~smecredit.domain.compliance.MAX_EVIDENCE`; ``offending`` counts them all).
    """

    id = fields.IntField(primary_key=True)
    run: fields.ForeignKeyRelation[ComplianceRun] = fields.ForeignKeyField(
        "smecredit.ComplianceRun", related_name="results", on_delete=fields.CASCADE
    )
    check_code = fields.CharField(max_length=64, db_index=True)
    status = fields.CharField(max_length=16)
    weight = fields.FloatField()
    score = fields.FloatField(null=True)
    message = fields.TextField(default="")
    evidence: fields.JSONField[list[str]] = fields.JSONField(default=list)
    offending = fields.IntField(default=0)

    class Meta:
        table = "compliance_result"
        unique_together = (("run", "check_code"),)


class DecisionAlert(Model):
    """A rate of decisions beyond its bound (:mod:`smecredit.domain.decision_feedback`).

    One open alert per ``kind`` and ``subject``: ``open_key`` is ``kind:subject`` while the
    alert is open or acknowledged and null once closed (unique), so a second scan updates
    the open alert instead of raising another. ``application_ids`` are the decisions
    behind it. ``response`` is what was changed in answer (criteria, parameters) and
    ``response_ref`` what it points at (a credit policy version, a rule version).
    """

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=32, db_index=True)
    subject = fields.CharField(max_length=128)
    value = fields.FloatField()
    bound = fields.FloatField()
    sample = fields.IntField(default=0)
    window_days = fields.IntField()
    status = fields.CharField(max_length=16, default="open", db_index=True)
    open_key = fields.CharField(max_length=170, null=True, unique=True)
    application_ids: fields.JSONField[list[int]] = fields.JSONField(default=list)
    raised_at = fields.DatetimeField()
    updated_at = fields.DatetimeField(auto_now=True)
    responded_by = fields.CharField(max_length=64, null=True)
    responded_at = fields.DatetimeField(null=True)
    response = fields.TextField(null=True)
    response_ref = fields.CharField(max_length=128, null=True)
    extra: Any = fields.JSONField(default=dict)

    class Meta:
        table = "decision_alert"
