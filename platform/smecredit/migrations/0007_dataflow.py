"""Fresh data flows on, and the evidence in view.

* ``source_state``: the ``since`` each incremental source starts its next sync from;
* ``refresh_job``: the rescoring and warning re-evaluation queued after a sync;
* ``imputed`` on every evidence table: the values filled in by a missing-value policy;
* a seeded access policy gets this version's new defaults (seeded databases only, as
  0005 does): a data source's settings schema is for administrators, and a viewer reads
  the free text of court cases and registry events redacted.
"""

import importlib

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

_policy = importlib.import_module("smecredit.migrations.0005_policy_defaults")

ADDED = [
    *[
        ("p", role, "*", "DataSource.settingsSchema", "read", "deny", "")
        for role in ("loan_officer", "approver", "risk_analyst", "compliance_auditor", "viewer")
    ],
    ("p", "viewer", "*", "LegalCase.description", "mask", "allow", "redact"),
    ("p", "viewer", "*", "RegistryEvent.description", "mask", "allow", "redact"),
]
REMOVED: list[tuple[str, ...]] = []


class Migration(migrations.Migration):
    dependencies = [('smecredit', '0006_password_reset')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RefreshJob',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('run', fields.ForeignKeyField('smecredit.SyncRun', source_field='run_id', db_constraint=True, to_field='id', related_name='refresh_jobs', on_delete=OnDelete.CASCADE)),
                ('source', fields.CharField(max_length=64)),
                ('status', fields.CharField(default='pending', db_index=True, max_length=16)),
                ('firm_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('firms', fields.IntField(default=0)),
                ('scored', fields.IntField(default=0)),
                ('score_skipped', fields.TextField(null=True, unique=False)),
                ('scan_run_id', fields.IntField(null=True)),
                ('opened', fields.IntField(default=0)),
                ('updated', fields.IntField(default=0)),
                ('resolved', fields.IntField(default=0)),
                ('error', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'refresh_job', 'app': 'smecredit', 'pk_attr': 'id', 'table_description': 'Rescoring and warning re-evaluation of the firms a sync brought new evidence about.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SourceState',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('source', fields.CharField(unique=True, max_length=64)),
                ('next_since', fields.CharField(null=True, max_length=64)),
                ('last_run', fields.ForeignKeyField('smecredit.SyncRun', source_field='last_run_id', null=True, db_constraint=True, to_field='id', related_name='source_states', on_delete=OnDelete.SET_NULL)),
                ('last_success_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'source_state', 'app': 'smecredit', 'pk_attr': 'id', 'table_description': 'What the platform remembers of a source between runs.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='BureauSummary',
            name='imputed',
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddField(
            model_name='FinancialStatement',
            name='imputed',
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddField(
            model_name='LegalCase',
            name='imputed',
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddField(
            model_name='RegistryEvent',
            name='imputed',
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddField(
            model_name='RepaymentHistory',
            name='imputed',
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddField(
            model_name='TaxRecord',
            name='imputed',
            field=fields.CharField(null=True, max_length=255),
        ),
        *[ops.RunSQL(_policy._insert(rule)) for rule in ADDED],
        *[ops.RunSQL(_policy._delete(rule)) for rule in REMOVED],
    ]
