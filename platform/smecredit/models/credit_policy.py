"""The credit policy (limit and price by grade), what it suggested for each application, and
the versioned policy rules of credit decisions."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from smecredit.models.base import money_field
from smecredit.models.firms import Firm
from smecredit.models.lending import LoanApplication
from smecredit.models.scoring import Score

__all__ = ["ApplicationScoreRecord", "CreditPolicyVersion", "PolicyRuleChange"]


class CreditPolicyVersion(Model):
    """One version of the credit policy, never edited: a change adds a higher version.

    ``terms`` holds the policy as smecredit.domain.credit_policy.CreditPolicy.to_json
    writes it (grades in scale order, decimals as strings). The newest version is in
    force, version 0 being the built-in default that is never stored.
    """

    id = fields.IntField(primary_key=True)
    version = fields.IntField(unique=True)
    terms: Any = fields.JSONField()
    author = fields.CharField(max_length=64)
    note = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "credit_policy"


class ApplicationScoreRecord(Model):
    """A firm scored for an amount: the score, the suggested limit and price band.

    ``policy_version`` names the credit policy version that produced the limit and band.
    ``application`` is set when the scoring ran on submission of a credit application.
    """

    id = fields.IntField(primary_key=True)
    firm: fields.ForeignKeyRelation[Firm] = fields.ForeignKeyField(
        "smecredit.Firm", related_name="application_scores", on_delete=fields.CASCADE
    )
    score: fields.ForeignKeyRelation[Score] = fields.ForeignKeyField(
        "smecredit.Score", related_name="application_scores", on_delete=fields.CASCADE
    )
    application: fields.ForeignKeyNullableRelation[LoanApplication] = fields.ForeignKeyField(
        "smecredit.LoanApplication",
        related_name="scores",
        null=True,
        on_delete=fields.RESTRICT,
    )
    requested_amount = money_field()
    suggested_limit = money_field()
    rate_low = fields.DecimalField(max_digits=8, decimal_places=6)
    rate_high = fields.DecimalField(max_digits=8, decimal_places=6)
    #: the risk-based rate before the grade's band bounded it (null without pricing)
    risk_rate = fields.DecimalField(max_digits=8, decimal_places=6, null=True)
    policy_version = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "application_score"
        indexes = (("application_id", "id"),)


class PolicyRuleChange(Model):
    """One change of one policy rule of credit decisions: version ``version``, never edited.

    The policy rules in force at version N are, for each rule, its row of the highest
    version up to N (a rule without a row runs with its own defaults). ``params`` holds
    the rule's parameters as set (checked against the rule's defaults); ``source`` is
    ``core`` or the plugin that registered the rule.
    """

    id = fields.IntField(primary_key=True)
    version = fields.IntField(unique=True)
    rule_code = fields.CharField(max_length=64, db_index=True)
    source = fields.CharField(max_length=64, default="core")
    enabled = fields.BooleanField(default=True)
    kind = fields.CharField(max_length=8)
    params: Any = fields.JSONField(default=dict)
    author = fields.CharField(max_length=64)
    note = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "policy_rule_change"
