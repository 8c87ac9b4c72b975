"""Sign-in, sessions and the second factor (TOTP, recovery codes).

Order of a sign-in: throttle first (per user and per address, before any hashing; only
failed attempts count), then the argon2 verification in a worker thread, against a dummy
hash when the user does not exist so unknown and known names take the same time. A user
enrolled in TOTP gets a session with ``mfa_verified`` false: it may only complete the
second step (or sign out) until :func:`verify_totp_code` or :func:`use_recovery_code`
succeeds. A user holding a role of ``SMECREDIT_MFA_REQUIRED_ROLES`` (production default:
administrators, approvers, committee, risk and compliance) who has no TOTP yet gets a
session that may only enrol (:func:`enroll_totp`, :func:`confirm_totp`) or sign out: the
second factor is enrolled at the first sign-in, before anything else. A user whose
password an administrator reset (``must_change_password``) gets, once any second factor is
passed or enrolled, a session that may only change the password or sign out
(:func:`is_password_change_pending`).

Sessions expire after ``SMECREDIT_SESSION_IDLE_SECONDS`` without use (default 8 h) and
``SMECREDIT_SESSION_ABSOLUTE_SECONDS`` after sign-in (default 24 h). Only the SHA-256 digest
of the token is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property

from argon2 import PasswordHasher
from tortoise.transactions import in_transaction

from smecredit.models.security import Session, User
from smecredit.security.errors import SecurityError
from smecredit.security.keys import decrypt_field, encrypt_field
from smecredit.security.operations import authorize
from smecredit.security.passwords import hash_password, needs_rehash, verify_password_async
from smecredit.security.principal import Principal
from smecredit.security.rate_limit import SignInThrottle, ThrottlePolicy
from smecredit.security.tokens import new_session_token, session_cookie_name, token_digest
from smecredit.security.totp import (
    generate_recovery_codes,
    hash_recovery_code,
    match_recovery_code,
    new_secret,
    provisioning_uri,
    verify_totp,
)
from smecredit.services import audit
from smecredit.services.accounts import hasher_for, revoke_user_sessions
from smecredit.services.session_events import announce_ended
from smecredit.settings import Settings

__all__ = [
    "AuthRuntime",
    "Clock",
    "InvalidCredentials",
    "MfaError",
    "SessionPolicy",
    "SignInOutcome",
    "TotpEnrollment",
    "authenticate",
    "confirm_totp",
    "enroll_totp",
    "is_mfa_enrollment_pending",
    "is_mfa_pending",
    "is_password_change_pending",
    "mfa_enrollment_required",
    "open_session",
    "principal_for",
    "revoke_all",
    "session_is_live",
    "sign_in",
    "sign_out",
    "throttle_policy_from_settings",
    "use_recovery_code",
    "verify_totp_code",
]

Clock = Callable[[], datetime]
#: last_seen_at is written at most this often (one UPDATE per minute, not per request).
TOUCH_INTERVAL = timedelta(seconds=60)
RECOVERY_CODES = 10


def _utcnow() -> datetime:
    return datetime.now(UTC)


class InvalidCredentials(SecurityError):
    """Wrong user name or password (deliberately not saying which)."""

    code = "INVALID_CREDENTIALS"


class MfaError(SecurityError):
    """A second-factor step failed or is not possible now; ``code`` says which."""

    code = "INVALID_MFA_CODE"


@dataclass(frozen=True)
class SessionPolicy:
    """Session lifetimes, in seconds."""

    idle_seconds: int = 8 * 3600
    absolute_seconds: int = 24 * 3600

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionPolicy:
        """Read ``SMECREDIT_SESSION_IDLE_SECONDS`` / ``SMECREDIT_SESSION_ABSOLUTE_SECONDS``.

        Args:
            settings: the platform settings.

        Returns:
            The policy.
        """
        return cls(
            idle_seconds=settings.session_idle_seconds,
            absolute_seconds=settings.session_absolute_seconds,
        )


def throttle_policy_from_settings(settings: Settings) -> ThrottlePolicy:
    """Sign-in limits from ``SMECREDIT_SIGNIN_*`` variables (defaults of :class:`ThrottlePolicy`).

    ``SMECREDIT_SIGNIN_PER_USER`` / ``_PER_ADDRESS`` (``limits`` notation, e.g. ``5/minute``),
    ``SMECREDIT_SIGNIN_LOCKOUT_FAILURES``, ``SMECREDIT_SIGNIN_LOCKOUT_SECONDS``.

    Args:
        settings: the platform settings.

    Returns:
        The policy.
    """
    base = ThrottlePolicy()
    return ThrottlePolicy(
        per_user=settings.signin_per_user or base.per_user,
        per_address=settings.signin_per_address or base.per_address,
        lockout_failures=settings.signin_lockout_failures or base.lockout_failures,
        lockout_seconds=settings.signin_lockout_seconds or base.lockout_seconds,
        failure_memory_seconds=base.failure_memory_seconds,
    )


@dataclass
class AuthRuntime:
    """Everything authentication needs for one application instance.

    Attributes:
        settings: the platform settings.
        throttle: the sign-in throttle (Redis-backed when ``settings.redis_url`` is set).
        policy: session lifetimes.
        clock: the current time (tests replace it to travel in time).
    """

    settings: Settings
    throttle: SignInThrottle
    policy: SessionPolicy
    clock: Clock = field(default=_utcnow)

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthRuntime:
        """Build the runtime for these settings.

        Args:
            settings: the platform settings.

        Returns:
            The runtime.
        """
        storage = settings.redis_url or "memory://"
        hasher_for(settings)  # fail at start-up on a test hash profile in production
        return cls(
            settings=settings,
            throttle=SignInThrottle(storage, policy=throttle_policy_from_settings(settings)),
            policy=SessionPolicy.from_settings(settings),
        )

    @property
    def hasher(self) -> PasswordHasher:
        """The password hasher (cheap only under the test profile)."""
        return hasher_for(self.settings)

    @cached_property
    def dummy_hash(self) -> str:
        """A hash checked for unknown users, so they cost as much time as real ones."""
        return hash_password("not-a-real-password-Zz9!", hasher=self.hasher)

    @property
    def secure_cookies(self) -> bool:
        """True when served over HTTPS: production, or ``SMECREDIT_TLS=1``."""
        return not self.settings.is_dev or self.settings.tls

    @property
    def cookie_name(self) -> str:
        """Name of the session cookie (``__Host-`` prefixed over HTTPS)."""
        return session_cookie_name(secure=self.secure_cookies)


@dataclass(frozen=True)
class SignInOutcome:
    """Result of a successful password step.

    Attributes:
        token: the opaque session token (send once; only its digest is stored).
        session: the new session row.
        user: the user.
        mfa_required: the session is limited until the TOTP step succeeds.
        mfa_enrollment_required: the session is limited until a second factor is enrolled
            (the user's role requires one and it has none yet).
        password_change_required: the session is limited until the password is changed
            (an administrator reset it); it comes after any second-factor step.
    """

    token: str
    session: Session
    user: User
    mfa_required: bool
    mfa_enrollment_required: bool = False
    password_change_required: bool = False


@dataclass(frozen=True)
class TotpEnrollment:
    """A TOTP secret waiting for confirmation.

    Attributes:
        secret: base32 secret, for manual entry in an authenticator app.
        otpauth_uri: the ``otpauth://`` URI to show as a QR code.
    """

    secret: str
    otpauth_uri: str


def principal_for(user: User, session: Session | None = None) -> Principal:
    """The :class:`Principal` resolvers see for a user (and session).

    Args:
        user: the user.
        session: the session, if the call comes through one.

    Returns:
        The principal.
    """
    return Principal(
        user_id=user.id,
        username=user.username,
        roles=tuple(user.roles or ()),
        branch_code=user.branch_code,
        mfa_verified=bool(session and session.mfa_verified),
        session_id=session.id if session else None,
        language=user.language,
    )


def is_mfa_pending(user: User, session: Session) -> bool:
    """True when the session still owes the second factor.

    Args:
        user: the session's user.
        session: the session.

    Returns:
        Whether only the second step (or sign-out) is allowed.
    """
    return bool(user.totp_enrolled) and not session.mfa_verified


def mfa_enrollment_required(settings: Settings, user: User) -> bool:
    """True when the user's roles require a second factor and it has none enrolled yet.

    Args:
        settings: the platform settings (``SMECREDIT_MFA_REQUIRED_ROLES``).
        user: the user.

    Returns:
        Whether the user must enrol before doing anything else.
    """
    return not user.totp_enrolled and not settings.mfa_roles.isdisjoint(user.roles or ())


def is_mfa_enrollment_pending(settings: Settings, user: User, session: Session) -> bool:
    """True when the session may only enrol a second factor (or sign out).

    A session that passed a second factor some other way (tests, tools) is not limited.

    Args:
        settings: the platform settings.
        user: the session's user.
        session: the session.

    Returns:
        Whether only ``enrollTotp``, ``confirmTotp`` and ``signOut`` are allowed.
    """
    return not session.mfa_verified and mfa_enrollment_required(settings, user)


def is_password_change_pending(user: User) -> bool:
    """True when the user's sessions may only change the password (or sign out).

    An administrator's reset sets it (:func:`smecredit.services.accounts.reset_password`);
    the user's own ``changePassword`` clears it.

    Args:
        user: the session's user.

    Returns:
        Whether only ``changePassword`` and ``signOut`` are allowed.
    """
    return bool(user.must_change_password)


def _totp_secret(user: User) -> str:
    """The user's TOTP secret in clear (stored encrypted at rest)."""
    secret = decrypt_field("app_user", "totp_secret", user.id, user.totp_secret)
    assert secret is not None
    return secret


async def open_session(
    runtime: AuthRuntime,
    user: User,
    *,
    address: str | None = None,
    user_agent: str | None = None,
    mfa_verified: bool = False,
) -> tuple[str, Session]:
    """Create a session for a user (after the password step, or in tests and tools).

    Args:
        runtime: the auth runtime.
        user: the user.
        address: client address.
        user_agent: client software.
        mfa_verified: whether a second factor was already passed.

    Returns:
        ``(token, session)``.
    """
    token, digest = new_session_token()
    now = runtime.clock()
    session = await Session.create(
        token_digest=digest,
        user=user,
        expires_at=now + timedelta(seconds=runtime.policy.absolute_seconds),
        last_seen_at=now,
        ip=address[:64] if address else None,
        user_agent=user_agent[:256] if user_agent else None,
        mfa_verified=mfa_verified,
    )
    return token, session


async def sign_in(
    runtime: AuthRuntime,
    username: str,
    password: str,
    *,
    address: str,
    user_agent: str | None = None,
) -> SignInOutcome:
    """The password step of a sign-in.

    Args:
        runtime: the auth runtime.
        username: the name typed.
        password: the password typed.
        address: the client's address (rate limiting, audit).
        user_agent: the client software.

    Returns:
        The outcome with the new session's token.

    Raises:
        TooManyAttempts: ``TOO_MANY_ATTEMPTS`` when throttled or locked.
        InvalidCredentials: ``INVALID_CREDENTIALS`` for a wrong name, password or an
            inactive account (indistinguishable on purpose).
    """
    name = username.strip().lower()[:64]
    try:
        await runtime.throttle.check(name, address)
    except SecurityError as exc:
        await audit.record(name, "auth.sign_in_throttled", f"User:{name}", source_address=address)
        raise exc
    try:
        user = await User.get_or_none(username=name)
        usable = user is not None and user.active
        stored = user.password_hash if usable and user is not None else runtime.dummy_hash
        matches = await verify_password_async(stored, password, hasher=runtime.hasher)
    except BaseException:
        await runtime.throttle.release(name, address)  # no verdict: the attempt is not counted
        raise
    if not (matches and usable and user is not None):
        await runtime.throttle.record_failure(name, address)
        await audit.record(name, "auth.sign_in_failed", f"User:{name}", source_address=address)
        raise InvalidCredentials("wrong user name or password")
    await runtime.throttle.record_success(name, address)
    updates: dict[str, object] = {"last_sign_in_at": runtime.clock()}
    if needs_rehash(user.password_hash, hasher=runtime.hasher):
        updates["password_hash"] = hash_password(password, hasher=runtime.hasher)
    await User.filter(id=user.id).update(**updates)
    token, session = await open_session(runtime, user, address=address, user_agent=user_agent)
    await audit.record(user.username, "auth.sign_in", f"User:{user.id}", source_address=address)
    return SignInOutcome(
        token=token,
        session=session,
        user=user,
        mfa_required=bool(user.totp_enrolled),
        mfa_enrollment_required=mfa_enrollment_required(runtime.settings, user),
        password_change_required=is_password_change_pending(user),
    )


async def authenticate(runtime: AuthRuntime, token: str | None) -> tuple[Session, User] | None:
    """Find the live session a token names.

    Args:
        runtime: the auth runtime.
        token: the token the client presented.

    Returns:
        ``(session, user)``, or None when the token is unknown, revoked, expired (idle or
        absolute) or its user is inactive.
    """
    if not token or len(token) > 256:
        return None
    session = await Session.get_or_none(token_digest=token_digest(token)).select_related("user")
    if session is None or session.revoked_at is not None:
        return None
    user: User = session.user
    now = runtime.clock()
    idle_end = session.last_seen_at + timedelta(seconds=runtime.policy.idle_seconds)
    if now >= session.expires_at or now >= idle_end or not user.active:
        return None
    if now - session.last_seen_at >= TOUCH_INTERVAL:
        await Session.filter(id=session.id).update(last_seen_at=now)
        session.last_seen_at = now
    return session, user


async def session_is_live(runtime: AuthRuntime, session_id: int) -> bool:
    """Whether a session is still usable (not revoked, not expired, its user active).

    Long-lived connections (websockets) re-check with this; it does not count as use.

    Args:
        runtime: the auth runtime.
        session_id: the session.

    Returns:
        True while the session may go on.
    """
    session = await Session.get_or_none(id=session_id).select_related("user")
    if session is None or session.revoked_at is not None or not session.user.active:
        return False
    now = runtime.clock()
    idle_end = session.last_seen_at + timedelta(seconds=runtime.policy.idle_seconds)
    return now < session.expires_at and now < idle_end


async def sign_out(
    session: Session, *, actor: Principal | str | None = None, address: str | None = None
) -> None:
    """Revoke one session (its live subscriptions end with it).

    Args:
        session: the session.
        actor: who signed out (for the audit log).
        address: for the audit log.
    """
    await Session.filter(id=session.id, revoked_at__isnull=True).update(revoked_at=_utcnow())
    await audit.record(actor, "auth.sign_out", f"Session:{session.id}", source_address=address)
    await announce_ended(session_ids=[session.id])


async def revoke_all(
    user: User, *, actor: Principal | str | None = None, address: str | None = None
) -> int:
    """Sign a user out everywhere.

    Args:
        user: the user.
        actor: who asked: the user (None or its own principal), or another principal
            that may take ``user.revoke_sessions``.
        address: for the audit log.

    Returns:
        The number of sessions revoked.

    Raises:
        PermissionDenied: ``FORBIDDEN`` for another principal without the operation.
    """
    if isinstance(actor, Principal) and actor.user_id != user.id:
        authorize(actor, "user.revoke_sessions")
    count = await revoke_user_sessions(user.id)
    await audit.record(
        actor if actor is not None else user.username,
        "auth.revoke_all",
        f"User:{user.id}",
        after={"revoked": count},
        source_address=address,
    )
    return count


async def _check_mfa_throttle(runtime: AuthRuntime, user: User, address: str) -> None:
    # A separate key space: 6-digit codes must not be guessable at the password rate of
    # another user name, and failures here lock the second factor, not the password.
    await runtime.throttle.check(f"mfa:{user.username}", address)


async def verify_totp_code(
    runtime: AuthRuntime, session: Session, user: User, code: str, *, address: str
) -> Session:
    """Complete the second step with a code from the authenticator app.

    Args:
        runtime: the auth runtime.
        session: the limited session from the password step.
        user: its user.
        code: the 6-digit code.
        address: the client's address.

    Returns:
        The session, now ``mfa_verified``.

    Raises:
        MfaError: ``MFA_NOT_ENROLLED`` or ``INVALID_MFA_CODE`` (wrong or replayed code).
        TooManyAttempts: when throttled.
    """
    if not user.totp_enrolled or not user.totp_secret:
        raise MfaError("this account has no authenticator app enrolled", code="MFA_NOT_ENROLLED")
    await _check_mfa_throttle(runtime, user, address)
    step = verify_totp(
        _totp_secret(user), code, last_used_step=user.totp_last_step, now=runtime.clock()
    )
    accepted = False
    if step is not None:
        # Conditional update: of two concurrent uses of one code, only one wins.
        last = user.totp_last_step
        query = User.filter(id=user.id)
        query = (
            query.filter(totp_last_step__isnull=True)
            if last is None
            else query.filter(totp_last_step=last)
        )
        accepted = bool(await query.update(totp_last_step=step))
    if not accepted:
        await runtime.throttle.record_failure(f"mfa:{user.username}", address)
        await audit.record(
            user.username, "auth.mfa_failed", f"User:{user.id}", source_address=address
        )
        raise MfaError("the code is wrong, expired or was already used")
    user.totp_last_step = step
    await runtime.throttle.record_success(f"mfa:{user.username}", address)
    await Session.filter(id=session.id).update(mfa_verified=True)
    session.mfa_verified = True
    await audit.record(
        user.username, "auth.mfa_verified", f"User:{user.id}", source_address=address
    )
    return session


async def use_recovery_code(
    runtime: AuthRuntime, session: Session, user: User, code: str, *, address: str
) -> int:
    """Complete the second step with a single-use recovery code.

    Args:
        runtime: the auth runtime.
        session: the limited session.
        user: its user.
        code: the recovery code as typed.
        address: the client's address.

    Returns:
        How many unused recovery codes remain.

    Raises:
        MfaError: ``MFA_NOT_ENROLLED`` or ``INVALID_MFA_CODE``.
        TooManyAttempts: when throttled.
    """
    if not user.totp_enrolled:
        raise MfaError("this account has no second factor enrolled", code="MFA_NOT_ENROLLED")
    await _check_mfa_throttle(runtime, user, address)
    async with in_transaction() as conn:
        fresh = await User.filter(id=user.id).using_db(conn).get()
        hashes: list[str | None] = list(fresh.recovery_code_hashes or [])
        index = match_recovery_code(code, hashes)
        updated = 0
        if index is not None:
            hashes[index] = None
            # Optimistic lock on version: the same code used twice at once succeeds once.
            updated = (
                await User.filter(id=user.id, version=fresh.version)
                .using_db(conn)
                .update(recovery_code_hashes=hashes, version=fresh.version + 1)
            )
    if not updated:
        await runtime.throttle.record_failure(f"mfa:{user.username}", address)
        await audit.record(
            user.username, "auth.mfa_failed", f"User:{user.id}", source_address=address
        )
        raise MfaError("the recovery code is wrong or was already used")
    user.recovery_code_hashes = hashes
    user.version = fresh.version + 1
    await runtime.throttle.record_success(f"mfa:{user.username}", address)
    await Session.filter(id=session.id).update(mfa_verified=True)
    session.mfa_verified = True
    await audit.record(
        user.username, "auth.recovery_code_used", f"User:{user.id}", source_address=address
    )
    return sum(1 for h in hashes if h is not None)


async def enroll_totp(
    runtime: AuthRuntime, user: User, *, address: str | None = None
) -> TotpEnrollment:
    """Start TOTP enrolment: a new secret, active only after :func:`confirm_totp`.

    Args:
        runtime: the auth runtime.
        user: the signed-in user.
        address: for the audit log.

    Returns:
        The secret and its ``otpauth://`` URI.

    Raises:
        MfaError: ``MFA_ALREADY_ENROLLED``.
    """
    if user.totp_enrolled:
        raise MfaError("an authenticator app is already enrolled", code="MFA_ALREADY_ENROLLED")
    secret = new_secret()
    # The shared secret is a credential: stored encrypted, bound to this user's row.
    sealed = encrypt_field("app_user", "totp_secret", user.id, secret) or secret
    await User.filter(id=user.id).update(totp_secret=sealed, totp_last_step=None)
    user.totp_secret = sealed
    user.totp_last_step = None
    await audit.record(
        user.username, "auth.totp_enrolment_started", f"User:{user.id}", source_address=address
    )
    return TotpEnrollment(secret=secret, otpauth_uri=provisioning_uri(secret, user.username))


async def confirm_totp(
    runtime: AuthRuntime, user: User, code: str, *, session: Session | None, address: str
) -> list[str]:
    """Activate the pending TOTP secret with a first code; returns recovery codes once.

    Args:
        runtime: the auth runtime.
        user: the signed-in user.
        code: a code from the app, proving it holds the secret.
        session: the current session (marked ``mfa_verified``).
        address: the client's address.

    Returns:
        Fresh recovery codes (only their digests are stored).

    Raises:
        MfaError: ``MFA_ALREADY_ENROLLED``, ``MFA_NOT_STARTED`` or ``INVALID_MFA_CODE``.
    """
    if user.totp_enrolled:
        raise MfaError("an authenticator app is already enrolled", code="MFA_ALREADY_ENROLLED")
    if not user.totp_secret:
        raise MfaError("start with enrollTotp", code="MFA_NOT_STARTED")
    await _check_mfa_throttle(runtime, user, address)
    step = verify_totp(
        _totp_secret(user), code, last_used_step=user.totp_last_step, now=runtime.clock()
    )
    if step is None:
        await runtime.throttle.record_failure(f"mfa:{user.username}", address)
        raise MfaError("the code is wrong or expired")
    await runtime.throttle.record_success(f"mfa:{user.username}", address)
    codes = generate_recovery_codes(RECOVERY_CODES)
    hashes: list[str | None] = [hash_recovery_code(c) for c in codes]
    await User.filter(id=user.id).update(
        totp_enrolled=True, totp_last_step=step, recovery_code_hashes=hashes
    )
    user.totp_enrolled = True
    user.totp_last_step = step
    user.recovery_code_hashes = hashes
    if session is not None:
        await Session.filter(id=session.id).update(mfa_verified=True)
        session.mfa_verified = True
    await audit.record(
        user.username, "auth.totp_enrolled", f"User:{user.id}", source_address=address
    )
    return codes
