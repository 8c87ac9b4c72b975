"""Versioned policy rules of credit decisions, and who reads the decision-support view.

``policy_rule_change`` keeps every change of a policy rule (enabled, kind, parameters) as
a new version, never edited. A seeded access policy gets this version's new defaults
(seeded databases only, as 0005 does): the decision-support view of an application and
the policy rules are the bank's own, never a partner's.
"""

import functools
import importlib
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

_policy = importlib.import_module("smecredit.migrations.0005_policy_defaults")

ADDED = [
    ("p", "partner", "*", "LoanApplication.decisionSupport", "read", "deny", ""),
    ("p", "partner", "*", "DecisionSupport*", "read", "deny", ""),
    ("p", "partner", "*", "PolicyCheck.*", "read", "deny", ""),
    ("p", "partner", "*", "CreditRule*", "read", "deny", ""),
    ("p", "viewer", "*", "DecisionSupport.probabilityOfDefault", "read", "deny", ""),
    ("p", "viewer", "*", "DecisionSupport.reasons", "read", "deny", ""),
]
#: Nothing of the seeded policy is taken back.
REMOVED: list[tuple[str, ...]] = []


class Migration(migrations.Migration):
    dependencies = [("smecredit", "0015_reports")]

    initial = False

    operations = [
        ops.CreateModel(
            name="PolicyRuleChange",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("version", fields.IntField(unique=True)),
                ("rule_code", fields.CharField(db_index=True, max_length=64)),
                ("source", fields.CharField(default="core", max_length=64)),
                ("enabled", fields.BooleanField(default=True)),
                ("kind", fields.CharField(max_length=8)),
                (
                    "params",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("author", fields.CharField(max_length=64)),
                ("note", fields.TextField(default="", unique=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "policy_rule_change",
                "app": "smecredit",
                "pk_attr": "id",
                "table_description": "One change of one policy rule of credit decisions: "
                "version ``version``, never edited.",
            },
            bases=["Model"],
        ),
        *[ops.RunSQL(_policy._insert(rule)) for rule in ADDED],
    ]
