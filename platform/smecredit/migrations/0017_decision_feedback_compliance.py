"""Compliance checks of the platform and feedback on decisions (issue 15).

``compliance_run`` and ``compliance_result``: each run of the compliance checks and one
result per check (status, score, evidence); ``decision_alert``: the alerts of the feedback
on decisions, one open per kind and subject (``open_key``, unique while open). A seeded
access policy gets the partner's refusal of the new types.
"""

import functools
import importlib
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

_json = functools.partial(dumps, separators=(",", ":"))
_policy = importlib.import_module("smecredit.migrations.0005_policy_defaults")

#: Seeded access policies get the partner's refusals of the new types (as 0014 does).
REMOVED: list[tuple[str, ...]] = []
ADDED = [
    ("p", "partner", "*", "Compliance*", "read", "deny", ""),
    ("p", "partner", "*", "DecisionAlert*", "read", "deny", ""),
    ("p", "partner", "*", "DecisionFeedbackPayload.*", "read", "deny", ""),
    ("p", "partner", "*", "AlertDecision.*", "read", "deny", ""),
]


def _pk() -> fields.IntField:
    return fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)


class Migration(migrations.Migration):
    dependencies = [("smecredit", "0016_policy_rules")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ComplianceRun",
            fields=[
                ("id", _pk()),
                ("status", fields.CharField(default="running", db_index=True, max_length=12)),
                ("started_by", fields.CharField(max_length=64)),
                ("started_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "finished_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("slot", fields.CharField(null=True, unique=True, max_length=40)),
                ("overall_score", fields.FloatField(null=True)),
                ("error", fields.TextField(null=True, unique=False)),
            ],
            options={
                "table": "compliance_run",
                "app": "smecredit",
                "pk_attr": "id",
                "table_description": "One run of the compliance checks.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ComplianceResult",
            fields=[
                ("id", _pk()),
                (
                    "run",
                    fields.ForeignKeyField(
                        "smecredit.ComplianceRun",
                        source_field="run_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="results",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("check_code", fields.CharField(db_index=True, max_length=64)),
                ("status", fields.CharField(max_length=16)),
                ("weight", fields.FloatField()),
                ("score", fields.FloatField(null=True)),
                ("message", fields.TextField(default="", unique=False)),
                ("evidence", fields.JSONField(default=list, encoder=_json, decoder=loads)),
                ("offending", fields.IntField(default=0)),
            ],
            options={
                "table": "compliance_result",
                "app": "smecredit",
                "unique_together": (("run", "check_code"),),
                "pk_attr": "id",
                "table_description": "The outcome of one check in one run (never edited).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="DecisionAlert",
            fields=[
                ("id", _pk()),
                ("kind", fields.CharField(db_index=True, max_length=32)),
                ("subject", fields.CharField(max_length=128)),
                ("value", fields.FloatField()),
                ("bound", fields.FloatField()),
                ("sample", fields.IntField(default=0)),
                ("window_days", fields.IntField()),
                ("status", fields.CharField(default="open", db_index=True, max_length=16)),
                ("open_key", fields.CharField(null=True, unique=True, max_length=170)),
                (
                    "application_ids",
                    fields.JSONField(default=list, encoder=_json, decoder=loads),
                ),
                ("raised_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("responded_by", fields.CharField(null=True, max_length=64)),
                (
                    "responded_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("response", fields.TextField(null=True, unique=False)),
                ("response_ref", fields.CharField(null=True, max_length=128)),
                ("extra", fields.JSONField(default=dict, encoder=_json, decoder=loads)),
            ],
            options={
                "table": "decision_alert",
                "app": "smecredit",
                "pk_attr": "id",
                "table_description": "A rate of decisions beyond its bound.",
            },
            bases=["Model"],
        ),
        *[ops.RunSQL(_policy._insert(rule)) for rule in ADDED],
    ]
