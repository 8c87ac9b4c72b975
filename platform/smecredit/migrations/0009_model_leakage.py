"""The leakage guard's flags on each model version, and who acknowledged them to promote."""

import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('smecredit', '0008_decisions')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ModelVersion',
            name='leakage_flags',
            field=fields.JSONField(
                default=list,
                db_default='[]',
                encoder=functools.partial(dumps, separators=(',', ':')),
                decoder=loads,
            ),
        ),
        ops.AddField(
            model_name='ModelVersion',
            name='leakage_acknowledgement',
            field=fields.JSONField(
                null=True,
                encoder=functools.partial(dumps, separators=(',', ':')),
                decoder=loads,
            ),
        ),
    ]
