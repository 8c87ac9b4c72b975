"""Accounts, roles, sessions, the append-only audit log and the fingerprints of the keys
the database's encrypted data depends on."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from smecredit.models.base import TimestampedModel

__all__ = ["AuditCheckpoint", "AuditLog", "KeyFingerprint", "Role", "Session", "User"]


class Role(Model):
    """A role users can hold (a Casbin subject). Seeded from fixtures/roles.json."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)
    #: Short English name shown in the interface ("Loan officer")
    label = fields.CharField(max_length=64, default="", db_default="")
    #: Short Chinese name shown in the interface ("客户经理")
    label_zh = fields.CharField(max_length=64, default="", db_default="")
    description = fields.TextField(default="")
    description_zh = fields.TextField(default="")

    class Meta:
        table = "role"


class User(TimestampedModel):
    """A person who signs in to the platform.

    Passwords are stored as argon2id hashes only. Roles are a JSON list of role names
    (validated against the role table by the accounts service).
    """

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    display_name = fields.CharField(max_length=128, default="")
    password_hash = fields.CharField(max_length=255)
    roles: list[str] = fields.JSONField(default=list)  # type: ignore[assignment]
    branch_code = fields.CharField(max_length=16, db_index=True)
    active = fields.BooleanField(default=True)
    #: Base32 TOTP secret (to be encrypted at rest by the field-crypto layer)
    totp_secret = fields.TextField(null=True)
    #: Time-step of the last accepted TOTP code (replay protection)
    totp_last_step = fields.BigIntField(null=True)
    totp_enrolled = fields.BooleanField(default=False)
    #: SHA-256 digests of unused recovery codes, null for a used slot
    recovery_code_hashes: list[str | None] = fields.JSONField(default=list)  # type: ignore[assignment]
    password_changed_at = fields.DatetimeField(null=True)
    # The next sessions may only change the password (changePassword) or sign out.
    #: Set by an administrator's password reset until the user changes the password
    must_change_password = fields.BooleanField(default=False, db_default=False)
    last_sign_in_at = fields.DatetimeField(null=True)
    #: Saved language preference, zh-CN or en (null follows Accept-Language)
    language = fields.CharField(max_length=8, null=True)

    class Meta:
        table = "app_user"


class Session(Model):
    """A signed-in session. Only the SHA-256 digest of its token is stored."""

    id = fields.IntField(primary_key=True)
    token_digest = fields.CharField(max_length=64, unique=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "smecredit.User", related_name="sessions", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    #: Absolute end of the session, whatever the activity
    expires_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    ip = fields.CharField(max_length=64, null=True)
    user_agent = fields.CharField(max_length=256, null=True)
    mfa_verified = fields.BooleanField(default=False)

    class Meta:
        table = "user_session"


class AuditLog(Model):
    """One entry of the hash-chained audit log. Never updated or deleted by the platform.

    ``at`` is kept as the exact UTC ISO text that was hashed, so verification does not
    depend on how a database round-trips timestamps (it sorts like the time itself).
    """

    id = fields.BigIntField(primary_key=True)
    seq = fields.BigIntField(unique=True)
    actor = fields.CharField(max_length=128, db_index=True)
    action = fields.CharField(max_length=128, db_index=True)
    resource = fields.CharField(max_length=256)
    at = fields.CharField(max_length=40, db_index=True)
    source_address = fields.CharField(max_length=64, null=True)
    change_digest = fields.CharField(max_length=64)
    prev_hash = fields.CharField(max_length=64)
    entry_hash = fields.CharField(max_length=64)

    class Meta:
        table = "audit_log"


class AuditCheckpoint(Model):
    """The last (seq, hash) of the audit chain, kept apart to detect deleted tail rows."""

    id = fields.IntField(primary_key=True)
    last_seq = fields.BigIntField(default=0)
    last_hash = fields.CharField(max_length=64)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "audit_checkpoint"


class KeyFingerprint(Model):
    """A key this database's encrypted data depends on, by fingerprint (never the key).

    Written the first time the platform opens the database with a key; a key file whose
    key under the same id has another fingerprint is refused at start-up (``KEY_MISMATCH``),
    and no new key is ever made under a recorded id.
    """

    id = fields.IntField(primary_key=True)
    #: ``encryption`` or ``blind_index``
    purpose = fields.CharField(max_length=32)
    key_id = fields.CharField(max_length=32)
    #: HMAC-SHA256 of a fixed label under the key (security.crypto.Keyring.fingerprints)
    fingerprint = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "key_fingerprint"
        unique_together = (("purpose", "key_id"),)
