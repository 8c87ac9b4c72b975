"""One table of background work: ``job``, every job the supervisor runs, whatever its kind."""

import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("smecredit", "0012_user_language")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Job",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("kind", fields.CharField(db_index=True, max_length=32)),
                ("state", fields.CharField(default="queued", db_index=True, max_length=16)),
                ("done", fields.IntField(default=0)),
                ("total", fields.IntField(null=True)),
                ("started_by", fields.CharField(db_index=True, max_length=64)),
                ("started_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "finished_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "params",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "result",
                    fields.JSONField(
                        null=True,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("error_code", fields.CharField(null=True, max_length=64)),
                ("error_message", fields.TextField(null=True, unique=False)),
                ("run_id", fields.IntField(null=True)),
                ("cancelled_by", fields.CharField(null=True, max_length=64)),
                ("owner", fields.CharField(null=True, max_length=200)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "job",
                "app": "smecredit",
                "pk_attr": "id",
                "table_description": "Background work run by the job supervisor, of every kind.",
            },
            bases=["Model"],
        ),
    ]
