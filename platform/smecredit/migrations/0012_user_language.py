"""A saved language per user.

``app_user.language``: the language the user chose with ``setMyLanguage`` (``zh-CN`` or
``en``); null (every existing user) follows the request's ``Accept-Language``.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("smecredit", "0011_permissions_query")]

    initial = False

    operations = [
        ops.AddField(
            model_name="User",
            name="language",
            field=fields.CharField(
                null=True,
                # no quote marks nor semicolons: SQLite keeps it in the DDL, unescaped
                description="Saved language preference, zh-CN or en (null follows Accept-Language)",
                max_length=8,
            ),
        ),
    ]
