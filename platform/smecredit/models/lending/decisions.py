"""Decisions against the recommendation, and changes waiting for a second approver."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from smecredit.models.lending.lifecycle import LoanApplication
from smecredit.models.lending.loans import Loan

__all__ = ["DecisionOverride", "FourEyesRequest"]


class DecisionOverride(Model):
    """A decision that departs from what the system recommended (never edited).

    ``kind`` is one of smecredit.domain.decision_overrides.OVERRIDE_KINDS (``grade``,
    ``above_limit``, ``zero_limit``, ``rate_outside``, ``policy_check``); the system's
    and the decided value are kept as text so that override rates, and what became of the
    overridden loans, can be reported.
    """

    id = fields.IntField(primary_key=True)
    application: fields.ForeignKeyRelation[LoanApplication] = fields.ForeignKeyField(
        "smecredit.LoanApplication", related_name="overrides", on_delete=fields.RESTRICT
    )
    kind = fields.CharField(max_length=32, db_index=True)
    system_value = fields.TextField(null=True)
    decided_value = fields.TextField()
    reason = fields.TextField()
    actor = fields.CharField(max_length=64)
    at = fields.DatetimeField()
    approval_round = fields.IntField(default=1)

    class Meta:
        table = "decision_override"
        indexes = (("application_id", "id"),)


class FourEyesRequest(Model):
    """A change one person requested that a second person must approve before it is made.

    ``operation`` is ``loan.write_off`` or ``loan.override_classification``; ``payload``
    holds what was asked (``{"loan_class": ...}``). ``status``: ``pending``, ``approved``
    (the change was made by ``decided_by``) or ``rejected``.
    """

    id = fields.IntField(primary_key=True)
    operation = fields.CharField(max_length=64)
    loan: fields.ForeignKeyRelation[Loan] = fields.ForeignKeyField(
        "smecredit.Loan", related_name="four_eyes_requests", on_delete=fields.RESTRICT
    )
    branch_code = fields.CharField(max_length=16, db_index=True)
    payload: Any = fields.JSONField(default=dict)
    reason = fields.TextField()
    requested_by = fields.CharField(max_length=64)
    requested_at = fields.DatetimeField()
    status = fields.CharField(max_length=12, default="pending", db_index=True)
    decided_by = fields.CharField(max_length=64, null=True)
    decided_at = fields.DatetimeField(null=True)
    decision_reason = fields.TextField(null=True)

    class Meta:
        table = "four_eyes_request"
        indexes = (("loan_id", "status"),)
