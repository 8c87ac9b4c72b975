"""Consent to query personal, bureau or tax data about a firm (granted, expiring, revoked).

A consent-gated data source (``needs_consent = True``) is only ever asked about firms with a
consent that is valid at the time of the sync: granted, not yet expired, not revoked, and
of the source's scope (its ``consent_scope`` attribute, else its name).

Recording and revoking consents are ``consent.grant`` / ``consent.revoke`` in the operations
table, on firms within the caller's branches: a firm outside answers ``FIRM_NOT_FOUND``
exactly as an unknown code does. Each change is audited in its transaction.
"""

from __future__ import annotations

import datetime as dt
import re

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from smecredit import models
from smecredit.domain.identity import IdentityError, validate_uscc
from smecredit.errors import InvalidInput, NotFound
from smecredit.sdk import DataSource, declared
from smecredit.security.operations import authorize
from smecredit.security.principal import Principal
from smecredit.security.row_scope import scoped_rows
from smecredit.services import audit

__all__ = [
    "consent_scope_of",
    "consented_firms",
    "grant_consent",
    "revoke_consent",
]

_SCOPE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def consent_scope_of(source: object) -> str:
    """The consent scope a data source needs: ``consent_scope`` if it has one, else its name."""
    scope = declared(source, DataSource, "consent_scope") or getattr(source, "name", "")
    return str(scope)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime | None, name: str) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidInput(f"{name} must carry a time zone", code="INVALID_INPUT", field=name)
    return value


async def _firm(uscc: str, actor: Principal, conn: BaseDBAsyncClient) -> models.Firm:
    try:
        code = validate_uscc(uscc)
    except IdentityError as error:
        raise InvalidInput(str(error), code=error.code, field="uscc") from None
    firm = await scoped_rows(actor, models.Firm).filter(uscc=code).using_db(conn).first()
    if firm is None:
        raise NotFound(f"firm {code} not found", code="FIRM_NOT_FOUND")
    return firm


async def grant_consent(
    uscc: str,
    scope: str,
    *,
    actor: Principal,
    granted_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
    evidence_ref: str = "",
) -> models.Consent:
    """Record a firm's consent for ``scope`` (``consent.grant``), audited.

    Args:
        uscc: the firm.
        scope: what may be queried, e.g. ``bureau``, ``personal``, ``tax``.
        actor: who records the consent (its user name is stored as ``granted_by``).
        granted_at: when it was given (default now).
        expires_at: when it lapses (default never); must be after ``granted_at``.
        evidence_ref: reference of the signed authorisation.

    Raises:
        PermissionDenied: the actor may not record consents.
        InvalidInput: a malformed USCC or scope, naive datetimes, or expiry before grant.
        NotFound: ``FIRM_NOT_FOUND``, no such firm within the actor's branches.
    """
    authorize(actor, "consent.grant")
    if not _SCOPE.match(scope):
        raise InvalidInput(
            f"consent scope {scope!r} must be lower-case letters, digits and _ (e.g. bureau)",
            code="INVALID_SCOPE",
            field="scope",
        )
    granted = _aware(granted_at, "granted_at") or _now()
    expires = _aware(expires_at, "expires_at")
    if expires is not None and expires <= granted:
        raise InvalidInput(
            "expires_at must be after granted_at", code="INVALID_EXPIRY", field="expiresAt"
        )
    async with in_transaction() as conn:
        firm = await _firm(uscc, actor, conn)
        consent = await models.Consent.create(
            firm=firm,
            scope=scope,
            granted_at=granted,
            expires_at=expires,
            granted_by=actor.username,
            evidence_ref=evidence_ref,
            using_db=conn,
        )
        await audit.record(
            actor,
            "consent.grant",
            f"Firm:{firm.id}",
            after={"consent": consent.id, "scope": scope, "expires_at": str(expires)},
            connection=conn,
        )
        return consent


async def revoke_consent(
    uscc: str, scope: str, *, actor: Principal, at: dt.datetime | None = None
) -> int:
    """Revoke every consent of the firm for ``scope`` that is not revoked yet (audited).

    Returns:
        How many consents were revoked (0 when none was in force).

    Raises:
        PermissionDenied / InvalidInput / NotFound: as :func:`grant_consent`.
    """
    authorize(actor, "consent.revoke")
    when = _aware(at, "at") or _now()
    async with in_transaction() as conn:
        firm = await _firm(uscc, actor, conn)
        revoked = (
            await models.Consent.filter(firm=firm, scope=scope, revoked_at__isnull=True)
            .using_db(conn)
            .update(revoked_at=when)
        )
        await audit.record(
            actor,
            "consent.revoke",
            f"Firm:{firm.id}",
            after={"scope": scope, "revoked": revoked},
            connection=conn,
        )
        return int(revoked)


async def consented_firms(scope: str, at: dt.datetime | None = None) -> set[str]:
    """USCCs of the firms with a consent of ``scope`` valid at ``at`` (default now).

    Valid means granted at or before ``at``, not expired at ``at`` and not revoked at ``at``
    (a revocation dated later does not yet count).
    """
    when = at or _now()
    rows = await models.Consent.filter(scope=scope, granted_at__lte=when).values_list(
        "firm__uscc", "expires_at", "revoked_at"
    )
    return {
        uscc
        for uscc, expires, revoked in rows
        if (expires is None or expires > when) and (revoked is None or revoked > when)
    }
