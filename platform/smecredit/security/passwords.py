"""Password hashing (argon2id) and the password policy.

Verification deliberately costs about 200 ms of CPU, so the async entry point
:func:`verify_password_async` runs it in a worker thread; callers must throttle sign-in
attempts *before* verifying (see :mod:`smecredit.security.rate_limit`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import anyio.to_thread
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from smecredit.security.errors import SecurityError

__all__ = [
    "COMMON_PASSWORDS",
    "COMMON_PASSWORDS_FILE",
    "MIN_PASSWORD_LENGTH",
    "PRODUCTION_PARAMS",
    "Argon2Params",
    "PasswordPolicyError",
    "check_password_policy",
    "common_passwords",
    "enforce_password_policy",
    "hash_password",
    "make_hasher",
    "needs_rehash",
    "verify_password",
    "verify_password_async",
]

MIN_PASSWORD_LENGTH = 12
"""Shortest accepted password, in characters."""


@dataclass(frozen=True, slots=True)
class Argon2Params:
    """Argon2id cost parameters.

    Attributes:
        time_cost: number of passes over memory.
        memory_cost: memory in KiB.
        parallelism: lanes (threads) per hash.
        hash_len: length of the raw hash in bytes.
        salt_len: length of the random salt in bytes.
    """

    time_cost: int
    memory_cost: int
    parallelism: int
    hash_len: int = 32
    salt_len: int = 16


# RFC 9106 section 4, second recommended option (t=3, 64 MiB, p=4): ~200 ms on one core,
# small enough for a server, expensive for an offline guesser.
PRODUCTION_PARAMS = Argon2Params(time_cost=3, memory_cost=64 * 1024, parallelism=4)


def make_hasher(params: Argon2Params = PRODUCTION_PARAMS) -> PasswordHasher:
    """Build an argon2id :class:`~argon2.PasswordHasher` with explicit parameters.

    Args:
        params: cost parameters; tests pass cheap ones.

    Returns:
        A hasher that always produces argon2id hashes.
    """
    return PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_cost,
        parallelism=params.parallelism,
        hash_len=params.hash_len,
        salt_len=params.salt_len,
        type=Type.ID,
    )


_DEFAULT_HASHER = make_hasher()


def hash_password(password: str, *, hasher: PasswordHasher | None = None) -> str:
    """Hash a password with argon2id.

    Args:
        password: the clear-text password.
        hasher: hasher to use; defaults to the production parameters.

    Returns:
        The PHC-formatted hash string (``$argon2id$v=19$m=...``), salt included.
    """
    return (hasher or _DEFAULT_HASHER).hash(password)


def verify_password(
    password_hash: str, password: str, *, hasher: PasswordHasher | None = None
) -> bool:
    """Check a password against a stored hash.

    Never raises for a wrong password or a malformed hash: both give ``False``, so a corrupt
    row cannot turn into a 500 that distinguishes users.

    Args:
        password_hash: the stored hash.
        password: the password the user typed.
        hasher: hasher to use (its parameters matter only for :func:`needs_rehash`).

    Returns:
        True when the password matches.
    """
    try:
        return (hasher or _DEFAULT_HASHER).verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password_async(
    password_hash: str, password: str, *, hasher: PasswordHasher | None = None
) -> bool:
    """Like :func:`verify_password` but in a worker thread, keeping the event loop free.

    Args:
        password_hash: the stored hash.
        password: the password the user typed.
        hasher: hasher to use.

    Returns:
        True when the password matches.
    """
    return await anyio.to_thread.run_sync(
        lambda: verify_password(password_hash, password, hasher=hasher)
    )


def needs_rehash(password_hash: str, *, hasher: PasswordHasher | None = None) -> bool:
    """Whether a stored hash was made with other parameters than the current ones.

    Call after a successful verification and store a fresh hash when it returns True.

    Args:
        password_hash: the stored hash.
        hasher: hasher holding the current parameters.

    Returns:
        True when the hash should be recomputed (also for a malformed hash).
    """
    try:
        return (hasher or _DEFAULT_HASHER).check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


# --- policy -----------------------------------------------------------------------------

# The passwords every guesser tries first, beside the shipped list of the 10,000 most
# common ones (COMMON_PASSWORDS_FILE): words of this platform and of Chinese users that
# such lists miss. Entries are compared after lower-casing and undoing common letter
# substitutions, and also as the "core" of a password once leading and trailing digits
# and symbols are removed (so "Password2024!" is refused).
COMMON_PASSWORDS: frozenset[str] = frozenset(
    {
        "password",
        "passw0rd",
        "passwd",
        "qwerty",
        "qwertyuiop",
        "qwerty123456",
        "asdfghjkl",
        "zxcvbnm",
        "qazwsx",
        "1q2w3e4r",
        "1q2w3e4r5t6y",
        "123456789012",
        "1234567890",
        "123123123123",
        "111111111111",
        "000000000000",
        "abc123",
        "abcdef",
        "abcdefghijkl",
        "letmein",
        "welcome",
        "admin",
        "administrator",
        "root",
        "iloveyou",
        "monkey",
        "dragon",
        "master",
        "sunshine",
        "princess",
        "football",
        "baseball",
        "superman",
        "trustno1",
        "changeme",
        "secret",
        "default",
        "login",
        "test",
        "guest",
        "woaini",
        "woaini1314",
        "aini1314",
        "zhangwei",
        "wangwei",
        "smecredit",
        "bank",
        "credit",
        "loan",
    }
)

_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_TRAILING_NOISE = re.compile(r"[\W\d_]+$")
_LEADING_NOISE = re.compile(r"^[\W\d_]+")


#: The 10,000 most common passwords (zxcvbn's list; its header names source and licence).
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parents[1] / "data" / "common_passwords.txt"


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@cache
def common_passwords() -> frozenset[str]:
    """:data:`COMMON_PASSWORDS` and the shipped list, normalised (read once)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    shipped = {_normalise(w.strip()) for w in lines if w.strip() and not w.startswith("#")}
    return frozenset(COMMON_PASSWORDS | shipped)


def _candidates(password: str) -> set[str]:
    lowered = _normalise(password)
    core = _LEADING_NOISE.sub("", _TRAILING_NOISE.sub("", lowered))
    return {c for c in (lowered, lowered.translate(_LEET), core, core.translate(_LEET)) if c}


def _on_list(password: str, listed: frozenset[str]) -> bool:
    return not _candidates(password).isdisjoint(listed)


def _character_classes(password: str) -> int:
    has_lower = any(c.islower() for c in password)
    has_upper = any(c.isupper() for c in password)
    has_digit = any(c.isdigit() for c in password)
    # Anything else (punctuation, spaces, CJK characters) counts as "other".
    has_other = any(not (c.islower() or c.isupper() or c.isdigit()) for c in password)
    return sum((has_lower, has_upper, has_digit, has_other))


def check_password_policy(
    password: str, *, username: str | None = None, known: Iterable[str] = ()
) -> list[str]:
    """List the reasons a password is refused.

    Rules: at least :data:`MIN_PASSWORD_LENGTH` characters; at least 3 of the 4 character
    classes (lower case, upper case, digits, other); must not contain the user name (for
    names of 3 characters or more, case-insensitive); must not be a common password
    (:func:`common_passwords`) nor one of ``known`` (e.g. the published demo passwords,
    which production refuses), compared alike.

    Args:
        password: the proposed password.
        username: the account's user name, if known.
        known: further passwords to refuse (published ones).

    Returns:
        Human-readable reasons; an empty list means the password is acceptable.
    """
    reasons: list[str] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        reasons.append(
            f"password must be at least {MIN_PASSWORD_LENGTH} characters long "
            f"(it has {len(password)})"
        )
    classes = _character_classes(password)
    if classes < 3:
        reasons.append(
            "password must mix at least 3 of: lower-case letters, upper-case letters, digits, "
            f"other characters (it has {classes})"
        )
    if username:
        name = _normalise(username).strip()
        if len(name) >= 3 and name in _normalise(password):
            reasons.append("password must not contain the user name")
    if _on_list(password, common_passwords()):
        reasons.append("password is too common")
    published = frozenset(c for k in known for c in _candidates(k))
    if published and _on_list(password, published):
        reasons.append("password is a published (demo) password: choose one nobody else knows")
    return reasons


class PasswordPolicyError(SecurityError):
    """The proposed password breaks the policy.

    Attributes:
        reasons: every rule the password breaks, human-readable.
        field: the argument that carried the password (``password``, ``newPassword``).
    """

    code = "WEAK_PASSWORD"

    def __init__(self, reasons: list[str], *, field: str = "password") -> None:
        super().__init__(
            f"{field} refused: " + "; ".join(reasons),
            params={"field": field, "reasons": "; ".join(reasons)},
        )
        self.reasons = list(reasons)
        self.field = field

    @property
    def extensions(self) -> dict[str, Any]:
        """GraphQL ``extensions``: the code, the field and every reason."""
        return {"code": self.code, "field": self.field, "reasons": self.reasons}


def enforce_password_policy(
    password: str,
    *,
    username: str | None = None,
    known: Iterable[str] = (),
    field: str = "password",
) -> None:
    """Raise :class:`PasswordPolicyError` unless the password meets the policy.

    Args:
        password: the proposed password.
        username: the account's user name, if known.
        known: further passwords to refuse (see :func:`check_password_policy`).
        field: the argument that carried the password, named by the error.

    Raises:
        PasswordPolicyError: ``WEAK_PASSWORD`` with every reason the password is refused.
    """
    reasons = check_password_policy(password, username=username, known=known)
    if reasons:
        raise PasswordPolicyError(reasons, field=field)
