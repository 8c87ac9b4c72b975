"""Administrators' password resets, and roles named in two languages.

* ``app_user.must_change_password``: set by an administrator's reset, cleared by the
  user's ``changePassword``; until then a session may only change the password or sign out.
* ``role.label`` / ``role.label_zh``: the short names the ``roles`` query shows; the roles
  seeded from ``fixtures/roles.json`` get theirs here (a label already set is kept).
* the policy: a session that must change its password is still anonymous to the field
  policy, and reads ``SignInResult.passwordChangeRequired`` (seeded rules only, as 0005).
"""

import importlib

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

_policy = importlib.import_module("smecredit.migrations.0005_policy_defaults")

#: The seeded roles' labels, as fixtures/roles.json holds them at this version.
LABELS = {
    "admin": ("Administrator", "系统管理员"),
    "loan_officer": ("Loan officer", "客户经理"),
    "risk_analyst": ("Risk analyst", "风险分析师"),
    "approver": ("Approver", "审批人"),
    "credit_committee": ("Credit committee member", "贷审会委员"),
    "compliance_auditor": ("Compliance auditor", "合规审计员"),
    "partner": ("Partner institution", "合作机构"),
    "viewer": ("Viewer", "只读用户"),
}
ADDED = [
    ("p", "anonymous", "*", "SignInResult.passwordChangeRequired", "read", "allow", ""),
]
REMOVED: list[tuple[str, ...]] = []


def _label(name: str, label: str, label_zh: str) -> str:
    q = _policy._quote
    return (
        f"UPDATE role SET label = {q(label)}, label_zh = {q(label_zh)} "
        f"WHERE name = {q(name)} AND label = '' AND label_zh = ''"
    )


class Migration(migrations.Migration):
    dependencies = [("smecredit", "0005_policy_defaults")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Role",
            name="label",
            field=fields.CharField(
                default="",
                description='Short English name shown in the interface ("Loan officer")',
                db_default="",
                max_length=64,
            ),
        ),
        ops.AddField(
            model_name="Role",
            name="label_zh",
            field=fields.CharField(
                default="",
                description='Short Chinese name shown in the interface ("客户经理")',
                db_default="",
                max_length=64,
            ),
        ),
        ops.AddField(
            model_name="User",
            name="must_change_password",
            field=fields.BooleanField(
                default=False,
                description=(
                    "Set by an administrator's password reset until the user changes the password"
                ),
                db_default=False,
            ),
        ),
        *[ops.RunSQL(_label(name, *labels)) for name, labels in LABELS.items()],
        *[ops.RunSQL(_policy._insert(rule)) for rule in ADDED],
    ]
