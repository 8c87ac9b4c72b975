"""Reports: ``report_run`` (one row per report run, and its artefact) and the read rules of
the report types in GraphQL.

A seeded access policy gets this version's new defaults (seeded databases only, as 0005
does): every signed-in user reads the report catalogue and the runs the report service
shows them (``ReportTypeInfo``, ``ReportParamInfo``, ``ReportRun``); which runs a user sees
is the service's row rule (own runs, or all with ``report.view_all``). The platform's own
principal (``system``), which runs the scheduled reports, reads every field with personal
data masked, as a compliance auditor does.
"""

import functools
import importlib
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

_policy = importlib.import_module("smecredit.migrations.0005_policy_defaults")

ADDED = [
    *[
        ("p", "authenticated", "*", f"{type_name}.*", "read", "allow", "")
        for type_name in ("ReportTypeInfo", "ReportParamInfo", "ReportRun")
    ],
    # the platform's own principal runs scheduled reports: it reads as an auditor does
    ("p", "system", "*", "*", "read", "allow", ""),
    ("p", "system", "*", "Person.name", "mask", "allow", "person_name"),
    ("p", "system", "*", "Person.idNumber", "mask", "allow", "id_number"),
    ("p", "system", "*", "Person.phone", "mask", "allow", "mobile"),
]
#: Nothing of the seeded policy is taken back.
REMOVED: list[tuple[str, ...]] = []


class Migration(migrations.Migration):
    dependencies = [("smecredit", "0014_api_dialect")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ReportRun",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("job_id", fields.IntField(null=True, db_index=True)),
                ("report_name", fields.CharField(db_index=True, max_length=64)),
                (
                    "params",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("format", fields.CharField(max_length=8)),
                ("language", fields.CharField(max_length=8)),
                ("requested_by", fields.CharField(db_index=True, max_length=64)),
                ("branch_code", fields.CharField(default="HQ", max_length=16)),
                ("state", fields.CharField(default="queued", db_index=True, max_length=16)),
                ("content_hash", fields.CharField(null=True, max_length=64)),
                ("file_sha256", fields.CharField(null=True, max_length=64)),
                ("size", fields.BigIntField(null=True)),
                ("path", fields.CharField(null=True, max_length=255)),
                ("error_code", fields.CharField(null=True, max_length=64)),
                ("schedule_key", fields.CharField(null=True, unique=True, max_length=128)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "finished_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "expires_at",
                    fields.DatetimeField(
                        null=True, db_index=True, auto_now=False, auto_now_add=False
                    ),
                ),
                ("downloads", fields.IntField(default=0)),
            ],
            options={
                "table": "report_run",
                "app": "smecredit",
                "pk_attr": "id",
                "table_description": (
                    "Report runs: what was asked, by whom, and the artefact written."
                ),
            },
            bases=["Model"],
        ),
        *[ops.RunSQL(_policy._insert(rule)) for rule in ADDED],
    ]
