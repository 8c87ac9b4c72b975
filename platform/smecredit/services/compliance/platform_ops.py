"""Checks of how the platform itself is run: close of business, audit chain, keys, second
factor, backups."""

from __future__ import annotations

import datetime as dt

from smecredit import models
from smecredit.domain.compliance import CheckOutcome, ComplianceCheck
from smecredit.domain.compliance import CheckStatus as S
from smecredit.services.compliance.base import CheckContext, Entry
from smecredit.settings import DEFAULT_COMPLIANCE_KEY_MAX_AGE, DEFAULT_MFA_REQUIRED_ROLES

__all__ = ["CHECKS", "COB_WINDOW_DAYS", "business_days"]

#: How far back the close-of-business check looks (at most; never before the first loan).
COB_WINDOW_DAYS = 90

COB = ComplianceCheck(
    "cob_every_business_day",
    "每个营业日均完成日终分类",
    "Classification run every business day",
    10,
    "A succeeded close-of-business run for every business day (Monday to Friday) from the "
    "first disbursement, at most 90 days back, to yesterday: any day missing fails.",
    "platform",
)
AUDIT = ComplianceCheck(
    "audit_chain",
    "审计链完整",
    "Audit chain intact",
    15,
    "The audit log's hash chain recomputes from the first row to the checkpoint "
    "(services.audit.verify): a broken or truncated chain fails.",
    "platform",
)
KEY_AGE = ComplianceCheck(
    "key_age",
    "数据加密密钥定期轮换",
    "Data key rotated in time",
    5,
    "The active encryption key was first recorded less than SMECREDIT_COMPLIANCE_KEY_MAX_AGE "
    "(365 days) ago: older is a warning (rotate it with smecredit keys rotate).",
    "platform",
)
MFA = ComplianceCheck(
    "mfa_policy",
    "密码与双因素认证策略生效",
    "Password and second-factor policy in force",
    10,
    "Production password hashing, a second factor required for every privileged role "
    "(admin, approver, credit_committee, risk_analyst, compliance_auditor), and every active "
    "user of those roles enrolled: any gap fails.",
    "platform",
)
BACKUP = ComplianceCheck(
    "backup_age",
    "备份时效",
    "Backup age",
    5,
    "The newest backup is younger than a day. Not applicable until the platform takes "
    "backups (the operations issue adds them).",
    "platform",
)


def business_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """Monday-to-Friday dates from ``first`` to ``last`` inclusive."""
    days = (last - first).days + 1
    return [d for i in range(max(days, 0)) if (d := first + dt.timedelta(i)).weekday() < 5]


async def cob_every_day(ctx: CheckContext) -> CheckOutcome:
    """A succeeded COB for each business day of the window."""
    earliest = (
        await models.Loan.filter(disbursed_on__isnull=False)
        .order_by("disbursed_on")
        .limit(1)
        .values_list("disbursed_on", flat=True)
    )
    if not earliest:
        return CheckOutcome.of(S.NOT_APPLICABLE, "no loan disbursed yet")
    first: dt.date = earliest[0]  # type: ignore[assignment]
    start = max(first, ctx.today - dt.timedelta(COB_WINDOW_DAYS))
    days = business_days(start, ctx.today - dt.timedelta(1))
    if not days:
        return CheckOutcome.of(S.NOT_APPLICABLE, "no business day closed yet")
    closed = set(
        await models.CobRun.filter(
            status="succeeded", business_date__gte=days[0], business_date__lte=days[-1]
        ).values_list("business_date", flat=True)
    )
    missing = [f"BusinessDate:{d.isoformat()}" for d in days if d not in closed]
    if missing:
        return CheckOutcome.of(
            S.FAIL, f"{len(missing)} of {len(days)} business days not closed", missing
        )
    return CheckOutcome.of(S.PASS, f"{len(days)} business days closed since {days[0]}")


async def audit_chain(ctx: CheckContext) -> CheckOutcome:
    """The audit chain verifies."""
    from smecredit.services import audit

    result = await audit.verify()
    if result.ok:
        return CheckOutcome.of(S.PASS, f"{result.checked} audit entries verified")
    evidence = [f"AuditEntry:{result.first_broken_seq}"] if result.first_broken_seq else []
    return CheckOutcome.of(S.FAIL, f"audit chain broken: {result.reason}", evidence)


async def key_age(ctx: CheckContext) -> CheckOutcome:
    """The active data key is younger than the bound."""
    from smecredit.security.keys import get_keyring

    active = get_keyring().active_key_id
    row = await models.KeyFingerprint.filter(purpose="encryption", key_id=active).first()
    if row is None:
        return CheckOutcome.of(S.NOT_APPLICABLE, f"key {active} is not recorded yet")
    limit: dt.timedelta = getattr(
        ctx.settings, "compliance_key_max_age", DEFAULT_COMPLIANCE_KEY_MAX_AGE
    )
    age = ctx.now - row.created_at
    message = f"key {active} in use for {age.days} days (limit {limit.days})"
    if age > limit:
        return CheckOutcome.of(S.WARNING, message, [f"Key:{active}"])
    return CheckOutcome.of(S.PASS, message)


async def mfa_policy(ctx: CheckContext) -> CheckOutcome:
    """Strong hashing, a second factor for privileged roles, every such user enrolled."""
    gaps: list[str] = []
    if getattr(ctx.settings, "argon2_profile", "production") != "production":
        gaps.append("SMECREDIT_ARGON2_PROFILE is not production")
    required = ctx.settings.mfa_roles
    unguarded = [r for r in DEFAULT_MFA_REQUIRED_ROLES if r not in required]
    if unguarded:
        gaps.append(f"no second factor required for {', '.join(unguarded)}")
    users = await models.User.filter(active=True, totp_enrolled=False).values_list("id", "roles")
    guarded = set(DEFAULT_MFA_REQUIRED_ROLES)
    offending = [f"User:{uid}" for uid, roles in users if guarded & set(roles or ())]
    if offending:
        gaps.append(f"{len(offending)} privileged users without a second factor")
    if gaps:
        return CheckOutcome.of(S.FAIL, "; ".join(gaps), offending)
    return CheckOutcome.of(S.PASS, "second factor required and enrolled for privileged roles")


async def backup_age(ctx: CheckContext) -> CheckOutcome:
    """Not applicable: the platform takes no backups yet."""
    return CheckOutcome.of(
        S.NOT_APPLICABLE, "backups do not exist yet (the operations issue adds them)"
    )


CHECKS: tuple[Entry, ...] = (
    (COB, cob_every_day),
    (AUDIT, audit_chain),
    (KEY_AGE, key_age),
    (MFA, mfa_policy),
    (BACKUP, backup_age),
)
