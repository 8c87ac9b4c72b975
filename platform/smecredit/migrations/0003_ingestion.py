from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('smecredit', '0002_cob_runs')]

    initial = False

    operations = [
        ops.AddField(
            model_name='QuarantinedRecord',
            name='branch_code',
            field=fields.CharField(null=True, db_index=True, max_length=16),
        ),
        ops.AddField(
            model_name='QuarantinedRecord',
            name='key_ref',
            field=fields.CharField(default='', max_length=32),
        ),
        ops.AddField(
            model_name='SyncRun',
            name='actor',
            field=fields.CharField(default='system', max_length=128),
        ),
        ops.AddField(
            model_name='SyncRun',
            name='file_name',
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddField(
            model_name='SyncRun',
            name='file_sha256',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='SyncRun',
            name='flagged_by_code',
            field=fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='SyncRun',
            name='flags',
            field=fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='SyncRun',
            name='heartbeat_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='SyncRun',
            name='lock_key',
            field=fields.CharField(null=True, unique=True, max_length=330),
        ),
        ops.AddField(
            model_name='SyncRun',
            name='operation',
            field=fields.CharField(default='source.sync', max_length=32),
        ),
        ops.AddField(
            model_name='SyncRun',
            name='owner',
            field=fields.CharField(null=True, max_length=128),
        ),
    ]
