from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('smecredit', '0007_dataflow')]

    initial = False

    operations = [
        ops.AddField(
            model_name='LoanApplication',
            name='system_grade',
            field=fields.CharField(null=True, max_length=1),
        ),
        ops.AddField(
            model_name='LoanApplication',
            name='grade_model_name',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='LoanApplication',
            name='grade_model_version',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.CreateModel(
            name='DecisionOverride',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('application', fields.ForeignKeyField('smecredit.LoanApplication', source_field='application_id', db_constraint=True, to_field='id', related_name='overrides', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharField(db_index=True, max_length=32)),
                ('system_value', fields.TextField(null=True, unique=False)),
                ('decided_value', fields.TextField(unique=False)),
                ('reason', fields.TextField(unique=False)),
                ('actor', fields.CharField(max_length=64)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('approval_round', fields.IntField(default=1)),
            ],
            options={'table': 'decision_override', 'app': 'smecredit', 'indexes': [Index(fields=['application_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A decision that departs from what the system recommended (never edited).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FourEyesRequest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('operation', fields.CharField(max_length=64)),
                ('loan', fields.ForeignKeyField('smecredit.Loan', source_field='loan_id', db_constraint=True, to_field='id', related_name='four_eyes_requests', on_delete=OnDelete.RESTRICT)),
                ('branch_code', fields.CharField(db_index=True, max_length=16)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('reason', fields.TextField(unique=False)),
                ('requested_by', fields.CharField(max_length=64)),
                ('requested_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharField(default='pending', db_index=True, max_length=12)),
                ('decided_by', fields.CharField(null=True, max_length=64)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decision_reason', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'four_eyes_request', 'app': 'smecredit', 'indexes': [Index(fields=['loan_id', 'status'])], 'pk_attr': 'id', 'table_description': 'A change one person requested that a second person must approve before it is made.'},
            bases=['Model'],
        ),
    ]
