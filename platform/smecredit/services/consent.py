"""Consent to query personal, bureau or tax data about a firm (granted, expiring, revoked).

A consent-gated data source (``needs_consent = True``) is only ever asked about firms with a
consent that is valid at the time of the sync: granted, not yet expired, not revoked, and
of the source's scope (its ``consent_scope`` attribute, else its name).
"""

from __future__ import annotations

import datetime as dt
import re

from smecredit import models
from smecredit.domain.identity import IdentityError, validate_uscc
from smecredit.errors import InvalidInput, NotFound

__all__ = [
    "consent_scope_of",
    "consented_firms",
    "grant_consent",
    "revoke_consent",
]

_SCOPE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def consent_scope_of(source: object) -> str:
    """The consent scope a data source needs: ``consent_scope`` if it has one, else its name."""
    scope = getattr(source, "consent_scope", None) or getattr(source, "name", "")
    return str(scope)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime | None, name: str) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidInput(f"{name} must carry a time zone", code="INVALID_INPUT", field=name)
    return value


async def _firm(uscc: str) -> models.Firm:
    try:
        code = validate_uscc(uscc)
    except IdentityError as error:
        raise InvalidInput(str(error), code=error.code, field="uscc") from None
    firm = await models.Firm.get_or_none(uscc=code)
    if firm is None:
        raise NotFound(f"firm {code} not found", code="FIRM_NOT_FOUND")
    return firm


async def grant_consent(
    uscc: str,
    scope: str,
    *,
    granted_by: str,
    granted_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
    evidence_ref: str = "",
) -> models.Consent:
    """Record a firm's consent for ``scope``.

    Args:
        uscc: the firm.
        scope: what may be queried, e.g. ``bureau``, ``personal``, ``tax``.
        granted_by: who recorded the consent (user name).
        granted_at: when it was given (default now).
        expires_at: when it lapses (default never); must be after ``granted_at``.
        evidence_ref: reference of the signed authorisation.

    Raises:
        InvalidInput: a malformed USCC or scope, naive datetimes, or expiry before grant.
        NotFound: no such firm.
    """
    if not _SCOPE.match(scope):
        raise InvalidInput(
            f"consent scope {scope!r} must be lower-case letters, digits and _ (e.g. bureau)",
            code="INVALID_SCOPE",
            field="scope",
        )
    if not granted_by.strip():
        raise InvalidInput("granted_by must name who recorded the consent", field="grantedBy")
    granted = _aware(granted_at, "granted_at") or _now()
    expires = _aware(expires_at, "expires_at")
    if expires is not None and expires <= granted:
        raise InvalidInput(
            "expires_at must be after granted_at", code="INVALID_EXPIRY", field="expiresAt"
        )
    firm = await _firm(uscc)
    return await models.Consent.create(
        firm=firm,
        scope=scope,
        granted_at=granted,
        expires_at=expires,
        granted_by=granted_by.strip(),
        evidence_ref=evidence_ref,
    )


async def revoke_consent(uscc: str, scope: str, *, at: dt.datetime | None = None) -> int:
    """Revoke every consent of the firm for ``scope`` that is not revoked yet.

    Returns:
        How many consents were revoked (0 when none was in force).

    Raises:
        InvalidInput / NotFound: as :func:`grant_consent`.
    """
    firm = await _firm(uscc)
    when = _aware(at, "at") or _now()
    return await models.Consent.filter(firm=firm, scope=scope, revoked_at__isnull=True).update(
        revoked_at=when
    )


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
