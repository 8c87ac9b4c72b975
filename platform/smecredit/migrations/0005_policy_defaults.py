"""Bring a seeded access policy up to the defaults of this version.

``schema/casbin/policy.csv`` only seeds an empty ``policy_rule`` table, so a database seeded
by an earlier version would keep its old defaults. This migration applies what changed, to
seeded rules only (``created_by = 'seed'``): rules an administrator added or removed stay as
they are. An empty table (a new database) is left empty: the first start seeds it.

* removed: the ``write`` rules (what a caller may do is the operations table now) and the
  narrow ``QuarantinedRecord.rawRecord`` denies (superseded by whole-type denies);
* added: the ``authenticated`` subject's own-account reads, the sign-in answers of a
  session owing its enrolment, partners' applications and products, the evidence kept from
  partners, the quarantine kept from credit and viewing roles.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

REMOVED = [
    ("p", "admin", "*", "*", "write", "allow", ""),
    ("p", "loan_officer", "*", "Firm.*", "write", "allow", ""),
    ("p", "loan_officer", "*", "Loan.*", "write", "allow", ""),
    ("p", "approver", "*", "Loan.*", "write", "allow", ""),
    *[
        ("p", role, "*", "QuarantinedRecord.rawRecord", "read", "deny", "")
        for role in (
            "loan_officer",
            "approver",
            "risk_analyst",
            "compliance_auditor",
            "viewer",
            "partner",
        )
    ],
]
ADDED = [
    ("p", "anonymous", "*", "SignInResult.mfaEnrollmentRequired", "read", "allow", ""),
    ("p", "anonymous", "*", "TotpEnrollment.*", "read", "allow", ""),
    *[
        ("p", "authenticated", "*", obj, "read", "allow", "")
        for obj in (
            "SignInResult.*",
            "User.*",
            "TotpEnrollment.*",
            "RecoveryCodes.*",
            "RecoveryCodeResult.*",
        )
    ],
    ("p", "partner", "*", "LoanApplication.*", "read", "allow", ""),
    ("p", "partner", "*", "Product.*", "read", "allow", ""),
    *[
        ("p", "partner", "*", f"Firm.{field}", "read", "deny", "")
        for field in (
            "taxRecords",
            "bureauSummaries",
            "legalCases",
            "registryEvents",
            "repaymentHistory",
            "timeline",
        )
    ],
    *[
        ("p", role, "*", obj, "read", "deny", "")
        for role in ("loan_officer", "approver", "viewer", "partner")
        for obj in ("QuarantinedRecord.*", "SyncRun.quarantinedRecords")
    ],
]

_COLUMNS = ("ptype", "v0", "v1", "v2", "v3", "v4", "v5")


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _matches(rule: tuple[str, ...]) -> str:
    return " AND ".join(f"{c} = {_quote(v)}" for c, v in zip(_COLUMNS, rule, strict=True))


def _delete(rule: tuple[str, ...]) -> str:
    return f"DELETE FROM policy_rule WHERE created_by = 'seed' AND {_matches(rule)}"


def _insert(rule: tuple[str, ...]) -> str:
    values = ", ".join(_quote(v) for v in rule)
    return (
        f"INSERT INTO policy_rule ({', '.join(_COLUMNS)}, created_by, created_at) "
        f"SELECT {values}, 'seed', CURRENT_TIMESTAMP "
        "WHERE EXISTS (SELECT 1 FROM policy_rule WHERE created_by = 'seed') "
        f"AND NOT EXISTS (SELECT 1 FROM policy_rule WHERE {_matches(rule)})"
    )


class Migration(migrations.Migration):
    dependencies = [("smecredit", "0004_accounts_keys")]

    initial = False

    operations = [
        *[ops.RunSQL(_insert(rule)) for rule in ADDED],
        *[ops.RunSQL(_delete(rule)) for rule in REMOVED],
    ]
