"""COB as a job: the loans on the book when a run started (progress) and who started it."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("smecredit", "0009_model_leakage")]

    initial = False

    operations = [
        ops.AddField(
            model_name="CobRun",
            name="total_loans",
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name="CobRun",
            name="started_by",
            field=fields.CharField(null=True, max_length=64),
        ),
    ]
