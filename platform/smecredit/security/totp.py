"""Time-based one-time passwords (RFC 6238, via pyotp) and single-use recovery codes.

Replay protection: :func:`verify_totp` returns the time-step the code belongs to; the caller
stores it on the account and passes it back next time as ``last_used_step``, so the same
code (or any older one) cannot be used twice, even inside its validity window.

QR codes are not rendered here (the ``qrcode`` package is not a dependency): the client
renders :func:`provisioning_uri` as a QR code itself.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import pyotp

__all__ = [
    "RECOVERY_CODE_ALPHABET",
    "TOTP_DIGITS",
    "TOTP_INTERVAL",
    "generate_recovery_codes",
    "hash_recovery_code",
    "match_recovery_code",
    "new_secret",
    "normalise_recovery_code",
    "provisioning_uri",
    "verify_totp",
]

TOTP_INTERVAL = 30
"""Seconds per time-step (the authenticator-app default)."""
TOTP_DIGITS = 6
"""Digits per code (the authenticator-app default)."""

# No 0/o, 1/l/i: codes are read off paper and typed by hand. 31 symbols x 12 = ~59 bits.
RECOVERY_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_GROUPS = 3
_RECOVERY_GROUP_LEN = 4
_CODE_RE = re.compile(rf"^\d{{{TOTP_DIGITS}}}$")


def new_secret() -> str:
    """Create a fresh base32 TOTP secret (160 bits, as RFC 4226 recommends).

    Returns:
        The secret to store (encrypted) on the account and show once to the user.
    """
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, account: str, issuer: str = "smecredit") -> str:
    """Build the ``otpauth://`` URI an authenticator app scans (as a QR code).

    Args:
        secret: the base32 secret.
        account: the user's login name, shown in the app.
        issuer: the service name shown in the app.

    Returns:
        The ``otpauth://totp/...`` URI.
    """
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL).provisioning_uri(
        name=account, issuer_name=issuer
    )


def verify_totp(
    secret: str,
    code: str,
    *,
    last_used_step: int | None,
    now: datetime | None = None,
    valid_window: int = 1,
) -> int | None:
    """Check a TOTP code, refusing replays.

    Args:
        secret: the account's base32 secret.
        code: what the user typed; spaces are ignored.
        last_used_step: the step returned by the last successful verification, or None.
        now: the current time (timezone-aware; tests pass a fixed clock).
        valid_window: steps accepted either side of the current one (clock drift).

    Returns:
        The matched time-step (store it as the new ``last_used_step``), or None when the code
        is wrong, malformed, outside the window, or not newer than ``last_used_step``.
    """
    code = code.replace(" ", "")
    if not _CODE_RE.fullmatch(code):
        return None
    moment = now if now is not None else datetime.now(UTC)
    current = int(moment.timestamp()) // TOTP_INTERVAL
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL)
    matched: int | None = None
    # Check every step in the window (no early exit) so timing does not reveal which matched.
    for step in range(current - valid_window, current + valid_window + 1):
        if step < 0:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code) and matched is None:
            matched = step
    if matched is None:
        return None
    if last_used_step is not None and matched <= last_used_step:
        return None
    return matched


def generate_recovery_codes(n: int = 10) -> list[str]:
    """Create single-use recovery codes shaped like ``abcd-efgh-jkmn``.

    Args:
        n: how many codes.

    Returns:
        The codes to show the user once; store only :func:`hash_recovery_code` of each.
    """
    codes = []
    for _ in range(n):
        groups = (
            "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(_RECOVERY_GROUP_LEN))
            for _ in range(_RECOVERY_GROUPS)
        )
        codes.append("-".join(groups))
    return codes


def normalise_recovery_code(code: str) -> str:
    """Canonical form of a typed recovery code: lower case, grouped by hyphens.

    Args:
        code: as typed (any case, with or without spaces and hyphens).

    Returns:
        The canonical ``xxxx-xxxx-xxxx`` form (or the cleaned string if it has another length).
    """
    bare = re.sub(r"[\s\-]", "", code).lower()
    if len(bare) != _RECOVERY_GROUPS * _RECOVERY_GROUP_LEN:
        return bare
    n = _RECOVERY_GROUP_LEN
    return "-".join(bare[i : i + n] for i in range(0, len(bare), n))


def hash_recovery_code(code: str) -> str:
    """Digest to store for a recovery code.

    A fast hash is enough: the codes are random with ~59 bits of entropy, unlike passwords.

    Args:
        code: the code, in any typed form.

    Returns:
        SHA-256 hex digest of the canonical form.
    """
    return hashlib.sha256(normalise_recovery_code(code).encode("utf-8")).hexdigest()


def match_recovery_code(code: str, hashes: Sequence[str | None]) -> int | None:
    """Find which stored recovery code was typed.

    The caller must then invalidate that slot (set it to None or delete it) so each code
    works once. Every slot is compared in constant time, without an early exit.

    Args:
        code: what the user typed.
        hashes: the stored digests; None marks an already used slot.

    Returns:
        The index of the matching slot, or None.
    """
    digest = hash_recovery_code(code)
    found: int | None = None
    for index, stored in enumerate(hashes):
        if stored is None:
            continue
        if hmac.compare_digest(stored, digest) and found is None:
            found = index
    return found
