"""What a caller may see and do: the read rules of the ``myPermissions`` answer.

A seeded access policy gets this version's new defaults (seeded databases only, as 0005
does): every signed-in user reads its own ``myPermissions`` and ``allowedActions`` answers
(``MyPermissions``, ``TypePermissions``, ``FieldPermission``, ``OperationPermission``,
``AllowedAction``). Roles that read ``*`` had them already; a partner, which reads only
what is listed, had not.
"""

import importlib

from tortoise import migrations
from tortoise.migrations import operations as ops

_policy = importlib.import_module("smecredit.migrations.0005_policy_defaults")

ADDED = [
    ("p", "authenticated", "*", f"{type_name}.*", "read", "allow", "")
    for type_name in (
        "MyPermissions",
        "TypePermissions",
        "FieldPermission",
        "OperationPermission",
        "AllowedAction",
    )
]
REMOVED: list[tuple[str, ...]] = []


class Migration(migrations.Migration):
    dependencies = [("smecredit", "0010_cob_jobs")]

    initial = False

    operations = [ops.RunSQL(_policy._insert(rule)) for rule in ADDED]
