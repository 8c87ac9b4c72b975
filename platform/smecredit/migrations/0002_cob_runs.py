from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('smecredit', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='CobRun',
            name='attempts',
            field=fields.IntField(default=1, db_default=1),
        ),
        ops.AddField(
            model_name='CobRun',
            name='error',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='CobRun',
            name='heartbeat_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='CobRun',
            name='last_firm_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='CobRun',
            name='owner',
            field=fields.CharField(null=True, max_length=200),
        ),
        # a finished COB run is "succeeded", as import and warning-scan runs are
        ops.RunSQL(
            "UPDATE cob_run SET status = 'succeeded' WHERE status = 'completed'",
            reverse_sql="UPDATE cob_run SET status = 'completed' WHERE status = 'succeeded'",
        ),
    ]
