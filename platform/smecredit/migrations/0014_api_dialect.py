"""One API dialect: the read rules of the renamed sign-in answers and the new catalogue types.

A seeded access policy gets this version's new defaults (seeded databases only, as 0005
does). Every mutation now answers a ``<Name>Result`` union, so the sign-in answers were
renamed to payloads: ``SignInResult`` -> ``SignInPayload``, ``RecoveryCodeResult`` ->
``RecoveryCodePayload``, and ``signOut`` answers ``SignOutPayload``. Every signed-in user
reads the texts of ``labels`` and ``languages`` (``Label``, ``LanguageOption``).
"""

import importlib

from tortoise import migrations
from tortoise.migrations import operations as ops

_policy = importlib.import_module("smecredit.migrations.0005_policy_defaults")

_ANONYMOUS_SIGN_IN = (
    "token",
    "mfaRequired",
    "expiresAt",
    "user",
    "mfaEnrollmentRequired",
    "passwordChangeRequired",
)

REMOVED = [
    *[
        ("p", "anonymous", "*", f"SignInResult.{f}", "read", "allow", "")
        for f in _ANONYMOUS_SIGN_IN
    ],
    ("p", "authenticated", "*", "SignInResult.*", "read", "allow", ""),
    ("p", "authenticated", "*", "RecoveryCodeResult.*", "read", "allow", ""),
]
ADDED = [
    *[
        ("p", "anonymous", "*", f"SignInPayload.{f}", "read", "allow", "")
        for f in _ANONYMOUS_SIGN_IN
    ],
    ("p", "anonymous", "*", "SignOutPayload.*", "read", "allow", ""),
    ("p", "authenticated", "*", "SignInPayload.*", "read", "allow", ""),
    ("p", "authenticated", "*", "RecoveryCodePayload.*", "read", "allow", ""),
    ("p", "authenticated", "*", "SignOutPayload.*", "read", "allow", ""),
    ("p", "authenticated", "*", "Label.*", "read", "allow", ""),
    ("p", "authenticated", "*", "LanguageOption.*", "read", "allow", ""),
]


class Migration(migrations.Migration):
    dependencies = [("smecredit", "0013_jobs")]

    initial = False

    operations = [
        *[ops.RunSQL(_policy._delete(rule)) for rule in REMOVED],
        *[ops.RunSQL(_policy._insert(rule)) for rule in ADDED],
    ]
