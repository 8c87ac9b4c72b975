"""User accounts: creation by administrators, roles and branch, passwords, deactivation.

Passwords are hashed with argon2id. ``SMECREDIT_ARGON2_PROFILE=test`` selects cheap
parameters so test suites stay fast; it is refused in production. Production also refuses
the published demo passwords (:func:`published_passwords`) for any account.

Who may manage accounts is the authorisation table's rule (``user.create``,
``user.set_roles``, ``user.deactivate``, ``user.reactivate``, ``user.reset_password``):
the operator's shell acts as :data:`~smecredit.security.operations.SYSTEM`.

An administrator's password reset (:func:`reset_password`) sets a temporary password,
signs the user out everywhere and sets ``must_change_password``: the user's next sessions
stand at the same kind of sign-in step as one owing its second-factor enrolment
(:func:`smecredit.graphql.auth.sign_in_step`) and may only ``changePassword`` (with the
temporary password as the current one) or sign out.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from smecredit.errors import PermissionDenied
from smecredit.i18n import LANGUAGES
from smecredit.models.security import Role, Session, User
from smecredit.security.errors import SecurityError
from smecredit.security.operations import SYSTEM, authorize
from smecredit.security.passwords import (
    PRODUCTION_PARAMS,
    Argon2Params,
    check_password_policy,
    enforce_password_policy,
    hash_password,
    make_hasher,
    verify_password_async,
)
from smecredit.security.principal import ROLES, Principal
from smecredit.security.rate_limit import SignInThrottle
from smecredit.services import audit
from smecredit.services.session_events import announce_ended
from smecredit.settings import Settings

__all__ = [
    "DEMO_USERS_FIXTURE",
    "ENV_ARGON2_PROFILE",
    "PUBLISHED_PASSWORDS_FILE",
    "ROLES_FIXTURE",
    "TEST_PARAMS",
    "AccountError",
    "DemoLogin",
    "PasswordReset",
    "change_password",
    "create_user",
    "deactivate_user",
    "find_user",
    "hasher_for",
    "list_users",
    "new_temporary_password",
    "published_passwords",
    "reactivate_user",
    "reset_password",
    "revoke_user_sessions",
    "role_names",
    "seed_demo_users",
    "seed_roles",
    "set_language",
    "set_roles",
]

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
ROLES_FIXTURE = FIXTURES / "roles.json"
DEMO_USERS_FIXTURE = FIXTURES / "demo_users.json"
#: The demo passwords, shipped inside the package too (an installed platform has no
#: fixtures folder); a test keeps it equal to the demo users' passwords.
PUBLISHED_PASSWORDS_FILE = Path(__file__).resolve().parents[1] / "data" / "published_passwords.txt"
ENV_ARGON2_PROFILE = "SMECREDIT_ARGON2_PROFILE"
#: Cheap argon2id parameters for test suites only (a hash costs well under a millisecond).
TEST_PARAMS = Argon2Params(time_cost=1, memory_cost=1024, parallelism=1)
_USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_BRANCH_RE = re.compile(r"^[A-Z0-9]{2,16}$")
#: Letters and digits of a generated temporary password: none that read alike (0/O, 1/l/I).
_TEMPORARY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"


class AccountError(SecurityError):
    """An account operation was refused; ``code`` says why."""

    code = "ACCOUNT_ERROR"


@cache
def _hasher(params: Argon2Params) -> PasswordHasher:
    return make_hasher(params)


def hasher_for(settings: Settings) -> PasswordHasher:
    """The password hasher for these settings.

    Args:
        settings: the platform settings.

    Returns:
        The production hasher, or the cheap test one when ``SMECREDIT_ARGON2_PROFILE=test``.

    Raises:
        AccountError: ``INSECURE_CONFIGURATION`` when the test profile is asked for in prod.
    """
    if settings.argon2_profile == "test":
        if not settings.is_dev:
            raise AccountError(
                f"{ENV_ARGON2_PROFILE}=test is refused in production (weak password hashes)",
                code="INSECURE_CONFIGURATION",
            )
        return _hasher(TEST_PARAMS)
    return _hasher(PRODUCTION_PARAMS)


def _now() -> datetime:
    return datetime.now(UTC)


@cache
def _published() -> frozenset[str]:
    shipped = PUBLISHED_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    found = {line.strip() for line in shipped if line.strip() and not line.startswith("#")}
    if DEMO_USERS_FIXTURE.exists():
        demo = json.loads(DEMO_USERS_FIXTURE.read_text(encoding="utf-8"))
        found.update(str(item["password"]) for item in demo)
    return frozenset(found)


def published_passwords(settings: Settings) -> frozenset[str]:
    """Passwords refused for every account: the published demo ones, in production.

    Development keeps them usable (``make demo`` seeds the demo users with them).

    Args:
        settings: the platform settings.

    Returns:
        The passwords (empty in development).
    """
    return frozenset() if settings.is_dev else _published()


def _normalise_username(username: str) -> str:
    return username.strip().lower()


def _check_username(username: str) -> str:
    name = _normalise_username(username)
    if not _USERNAME_RE.fullmatch(name):
        raise AccountError(
            f"user name {username!r} must be 2-64 characters: lower-case letters, digits, "
            "'.', '_' or '-', starting with a letter or digit",
            code="INVALID_USERNAME",
        )
    return name


def _check_branch(branch_code: str) -> str:
    code = branch_code.strip().upper()
    if not _BRANCH_RE.fullmatch(code):
        raise AccountError(
            f"branch code {branch_code!r} must be 2-16 upper-case letters or digits, e.g. HQ",
            code="INVALID_BRANCH",
        )
    return code


async def seed_roles(path: Path | None = None) -> int:
    """Insert or update the roles listed in ``fixtures/roles.json``.

    Args:
        path: another fixture file.

    Returns:
        The number of roles created.
    """
    data: list[dict[str, str]] = json.loads((path or ROLES_FIXTURE).read_text(encoding="utf-8"))
    created = 0
    for item in data:
        defaults = {
            "label": item.get("label", ""),
            "label_zh": item.get("label_zh", ""),
            "description": item.get("description", ""),
            "description_zh": item.get("description_zh", ""),
        }
        _, was_created = await Role.update_or_create(defaults=defaults, name=item["name"])
        created += int(was_created)
    return created


async def role_names() -> set[str]:
    """Names of the roles users may hold (seeding the fixture roles on first use).

    Returns:
        The role names.
    """
    names: set[str] = {str(n) for n in await Role.all().values_list("name", flat=True)}
    if not names:
        await seed_roles()
        names = {str(n) for n in await Role.all().values_list("name", flat=True)}
    return names or set(ROLES)


async def _check_roles(roles: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(r.strip() for r in roles if r.strip()))
    if not wanted:
        raise AccountError("a user needs at least one role", code="INVALID_ROLE")
    known = await role_names()
    unknown = [r for r in wanted if r not in known]
    if unknown:
        raise AccountError(
            f"unknown role(s) {', '.join(unknown)}; known roles: {', '.join(sorted(known))}",
            code="UNKNOWN_ROLE",
        )
    return wanted


async def find_user(ref: int | str) -> User:
    """Find a user by database id or user name.

    Args:
        ref: the id, or the user name.

    Returns:
        The user.

    Raises:
        AccountError: ``USER_NOT_FOUND``.
    """
    if isinstance(ref, int):
        user = await User.get_or_none(id=ref)
    else:
        user = await User.get_or_none(username=_normalise_username(ref))
    if user is None:
        raise AccountError(f"no user {ref!r}", code="USER_NOT_FOUND")
    return user


async def list_users(*, include_inactive: bool = True) -> list[User]:
    """All users, by user name.

    Args:
        include_inactive: also list deactivated users.

    Returns:
        The users.
    """
    query = User.all() if include_inactive else User.filter(active=True)
    return await query.order_by("username")


def _snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "roles": list(user.roles),
        "branch_code": user.branch_code,
        "active": user.active,
        "must_change_password": user.must_change_password,
    }


async def create_user(
    username: str,
    password: str,
    *,
    roles: Sequence[str],
    branch_code: str,
    settings: Settings,
    actor: Principal,
    display_name: str = "",
    source_address: str | None = None,
) -> User:
    """Create an account (operation ``user.create``: administrators and the operator).

    Args:
        username: the login name (normalised to lower case).
        password: the initial password; must meet the password policy (and, in production,
            not be a published demo password).
        roles: role names (at least one, each known).
        branch_code: the user's branch (``HQ`` for head office).
        settings: the platform settings (hash parameters).
        actor: who creates the account (a principal, or ``SYSTEM`` for the operator's CLI).
        display_name: the name shown in the interface.
        source_address: the administrator's address, for the audit log.

    Returns:
        The new user.

    Raises:
        PermissionDenied: ``FORBIDDEN`` unless the actor may take ``user.create``.
        AccountError: ``INVALID_USERNAME``, ``INVALID_BRANCH``, ``UNKNOWN_ROLE`` or
            ``USERNAME_TAKEN``.
        PasswordPolicyError: ``WEAK_PASSWORD`` on field ``password``, naming every broken
            rule.
    """
    authorize(actor, "user.create")
    name = _check_username(username)
    branch = _check_branch(branch_code)
    checked_roles = await _check_roles(roles)
    enforce_password_policy(
        password, username=name, known=published_passwords(settings), field="password"
    )
    if await User.exists(username=name):
        raise AccountError(f"user name {name!r} is already taken", code="USERNAME_TAKEN")
    password_hash = hash_password(password, hasher=hasher_for(settings))
    try:
        async with in_transaction() as conn:
            user = await User.create(
                username=name,
                display_name=display_name.strip() or name,
                password_hash=password_hash,
                roles=checked_roles,
                branch_code=branch,
                password_changed_at=_now(),
                using_db=conn,
            )
            await audit.record(
                actor,
                "user.create",
                f"User:{user.id}",
                after=_snapshot(user),
                source_address=source_address,
                connection=conn,
            )
    except IntegrityError:
        raise AccountError(f"user name {name!r} is already taken", code="USERNAME_TAKEN") from None
    return user


async def revoke_user_sessions(user_id: int, *, except_session_id: int | None = None) -> int:
    """Revoke every live session of a user; their live subscriptions end with them.

    Args:
        user_id: the user.
        except_session_id: a session to keep (the caller's own).

    Returns:
        How many sessions were revoked.
    """
    query = Session.filter(user_id=user_id, revoked_at__isnull=True)
    if except_session_id is not None:
        query = query.exclude(id=except_session_id)
    count = int(await query.update(revoked_at=_now()))
    await announce_ended(user_id=user_id, except_session_id=except_session_id)
    return count


async def change_password(
    user: User,
    current_password: str,
    new_password: str,
    *,
    settings: Settings,
    keep_session_id: int | None = None,
    source_address: str | None = None,
) -> None:
    """Change one's own password; other sessions of the user are signed out.

    After an administrator's reset, ``current_password`` is the temporary password, and the
    change ends the forced-change state (``must_change_password``).

    Args:
        user: the account.
        current_password: proves the person at the keyboard knows it.
        new_password: must meet the policy and differ from the current one.
        settings: the platform settings.
        keep_session_id: the session making the change (kept signed in).
        source_address: the client's address, for the audit log.

    Raises:
        AccountError: ``WRONG_PASSWORD`` or ``PASSWORD_REUSED``.
        PasswordPolicyError: ``WEAK_PASSWORD`` on field ``newPassword``.
    """
    hasher = hasher_for(settings)
    if not await verify_password_async(user.password_hash, current_password, hasher=hasher):
        await audit.record(
            user.username,
            "user.password_change_failed",
            f"User:{user.id}",
            source_address=source_address,
        )
        raise AccountError("the current password is wrong", code="WRONG_PASSWORD")
    if new_password == current_password:
        raise AccountError(
            "the new password must differ from the current one", code="PASSWORD_REUSED"
        )
    enforce_password_policy(
        new_password,
        username=user.username,
        known=published_passwords(settings),
        field="newPassword",
    )
    new_hash = hash_password(new_password, hasher=hasher)
    async with in_transaction() as conn:
        await (
            User.filter(id=user.id)
            .using_db(conn)
            .update(
                password_hash=new_hash,
                password_changed_at=_now(),
                must_change_password=False,
                version=user.version + 1,
            )
        )
        await audit.record(
            user.username,
            "user.password_change",
            f"User:{user.id}",
            after={"was_temporary": user.must_change_password},
            source_address=source_address,
            connection=conn,
        )
    user.password_hash = new_hash
    user.must_change_password = False
    user.version += 1
    await revoke_user_sessions(user.id, except_session_id=keep_session_id)


async def _other_active_admins(user_id: int) -> int:
    admins = await User.filter(active=True).exclude(id=user_id).values_list("roles", flat=True)
    return sum(1 for roles in admins if isinstance(roles, list) and "admin" in roles)


async def set_roles(
    user: User,
    roles: Sequence[str],
    *,
    actor: Principal,
    branch_code: str | None = None,
    source_address: str | None = None,
) -> User:
    """Replace a user's roles, and optionally move the user to another branch.

    Args:
        user: the account.
        roles: the new role names.
        actor: the administrator (``SYSTEM`` for the operator's CLI).
        branch_code: the new branch, or None to keep it.
        source_address: for the audit log.

    Returns:
        The updated user.

    Raises:
        PermissionDenied: ``FORBIDDEN`` unless the actor may take ``user.set_roles``.
        AccountError: ``UNKNOWN_ROLE``, ``INVALID_BRANCH`` or ``LAST_ADMIN`` (removing the
            admin role from the last active administrator).
    """
    authorize(actor, "user.set_roles")
    checked = await _check_roles(roles)
    branch = _check_branch(branch_code) if branch_code is not None else user.branch_code
    demoting = "admin" in user.roles and "admin" not in checked and user.active
    if demoting and not await _other_active_admins(user.id):
        raise AccountError("this is the last active administrator", code="LAST_ADMIN")
    before = _snapshot(user)
    async with in_transaction() as conn:
        user.roles = checked
        user.branch_code = branch
        user.version += 1
        await user.save(using_db=conn, update_fields=["roles", "branch_code", "version"])
        await audit.record(
            actor,
            "user.set_roles",
            f"User:{user.id}",
            before=before,
            after=_snapshot(user),
            source_address=source_address,
            connection=conn,
        )
    # Sessions carry no copy of the roles (they are read per request), so no revocation.
    return user


async def deactivate_user(
    user: User, *, actor: Principal, source_address: str | None = None
) -> User:
    """Deactivate an account and sign it out everywhere (rows are kept for the audit trail).

    Args:
        user: the account.
        actor: the administrator (``SYSTEM`` for the operator's CLI).
        source_address: for the audit log.

    Returns:
        The updated user.

    Raises:
        PermissionDenied: ``FORBIDDEN`` unless the actor may take ``user.deactivate``.
        AccountError: ``LAST_ADMIN``.
    """
    authorize(actor, "user.deactivate")
    if "admin" in user.roles and user.active and not await _other_active_admins(user.id):
        raise AccountError("this is the last active administrator", code="LAST_ADMIN")
    before = _snapshot(user)
    async with in_transaction() as conn:
        user.active = False
        user.version += 1
        await user.save(using_db=conn, update_fields=["active", "version"])
        await audit.record(
            actor,
            "user.deactivate",
            f"User:{user.id}",
            before=before,
            after=_snapshot(user),
            source_address=source_address,
            connection=conn,
        )
    await revoke_user_sessions(user.id)
    return user


def new_temporary_password(username: str, *, known: Iterable[str] = ()) -> str:
    """A random temporary password that meets the password policy.

    Four groups of four letters and digits (about 95 bits), joined by ``-`` so it is easy
    to read out and type once; drawn again in the rare case the policy refuses one.

    Args:
        username: the account's user name (a password must not contain it).
        known: further passwords to refuse (the published ones).

    Returns:
        The password.
    """
    while True:
        groups = ("".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(4)) for _ in range(4))
        candidate = "-".join(groups)
        if not check_password_policy(candidate, username=username, known=known):
            return candidate


@dataclass(frozen=True)
class PasswordReset:
    """The outcome of :func:`reset_password`.

    Attributes:
        user: the account, now owing a password change.
        temporary_password: the generated password, to hand to the user once; None when
            the administrator chose it (it is never stored in clear, nor shown again).
        revoked_sessions: how many of the user's sessions were ended.
    """

    user: User
    temporary_password: str | None
    revoked_sessions: int


async def reset_password(
    user: User,
    *,
    settings: Settings,
    actor: Principal,
    temporary_password: str | None = None,
    source_address: str | None = None,
    throttle: SignInThrottle | None = None,
) -> PasswordReset:
    """Give a user a one-time temporary password and force a change at the next sign-in.

    The user's sessions end (in the same transaction as the new password and its audit
    row); the next session may only ``changePassword`` or sign out until the change.

    Args:
        user: the account.
        settings: the platform settings (hash parameters, published passwords).
        actor: the administrator (``SYSTEM`` for the operator's CLI).
        temporary_password: the password to set; None generates one
            (:func:`new_temporary_password`). A chosen one meets the password policy.
        source_address: for the audit log.
        throttle: the sign-in throttle, whose lock-out of the user (after failed sign-ins)
            is lifted so the temporary password works at once.

    Returns:
        The reset, with the generated password (shown once).

    Raises:
        PermissionDenied: ``FORBIDDEN`` unless the actor may take ``user.reset_password``.
        AccountError: ``OWN_ACCOUNT`` for the actor's own account (``changePassword`` is
            for that, and proves the current password).
        PasswordPolicyError: ``WEAK_PASSWORD`` on field ``temporaryPassword``.
    """
    authorize(actor, "user.reset_password")
    if actor.user_id == user.id:
        raise AccountError(
            "you cannot reset your own password: change it with changePassword",
            code="OWN_ACCOUNT",
        )
    known = published_passwords(settings)
    generated = temporary_password is None
    if temporary_password is None:
        temporary_password = new_temporary_password(user.username, known=known)
    else:
        enforce_password_policy(
            temporary_password, username=user.username, known=known, field="temporaryPassword"
        )
    password_hash = hash_password(temporary_password, hasher=hasher_for(settings))
    before = _snapshot(user)
    async with in_transaction() as conn:
        user.password_hash = password_hash
        user.password_changed_at = _now()
        user.must_change_password = True
        user.version += 1
        await user.save(
            using_db=conn,
            update_fields=[
                "password_hash",
                "password_changed_at",
                "must_change_password",
                "version",
            ],
        )
        revoked = await (
            Session.filter(user_id=user.id, revoked_at__isnull=True)
            .using_db(conn)
            .update(revoked_at=_now())
        )
        await audit.record(
            actor,
            "user.reset_password",
            f"User:{user.id}",
            before=before,
            after={**_snapshot(user), "generated": generated, "revoked_sessions": revoked},
            source_address=source_address,
            connection=conn,
        )
    # Live subscriptions of the ended sessions stop once the revocation is committed.
    await announce_ended(user_id=user.id)
    if throttle is not None:
        await throttle.unlock(user.username)
    return PasswordReset(
        user=user,
        temporary_password=temporary_password if generated else None,
        revoked_sessions=int(revoked),
    )


async def reactivate_user(
    user: User, *, actor: Principal, source_address: str | None = None
) -> User:
    """Let a deactivated user sign in again (with the password it had, unless reset).

    Args:
        user: the account.
        actor: the administrator (``SYSTEM`` for the operator's CLI).
        source_address: for the audit log.

    Returns:
        The updated user.

    Raises:
        PermissionDenied: ``FORBIDDEN`` unless the actor may take ``user.reactivate``.
        AccountError: ``USER_ACTIVE`` when the user is not deactivated.
    """
    authorize(actor, "user.reactivate")
    if user.active:
        raise AccountError(f"user {user.username} is already active", code="USER_ACTIVE")
    before = _snapshot(user)
    async with in_transaction() as conn:
        user.active = True
        user.version += 1
        await user.save(using_db=conn, update_fields=["active", "version"])
        await audit.record(
            actor,
            "user.reactivate",
            f"User:{user.id}",
            before=before,
            after=_snapshot(user),
            source_address=source_address,
            connection=conn,
        )
    return user


async def set_language(
    user: User, language: str, *, actor: Principal, source_address: str | None = None
) -> User:
    """Save ``user``'s language preference (``account.set_language``: one's own account).

    The preference wins over the request's ``Accept-Language`` from the next request on
    (the principal carries it, :func:`smecredit.services.sessions.principal_for`).

    Args:
        user: the account.
        language: a supported language (``zh-CN`` or ``en``).
        actor: who asks: the user itself.
        source_address: for the audit log.

    Returns:
        The updated user.

    Raises:
        PermissionDenied: ``FORBIDDEN`` when the actor is somebody else.
        AccountError: ``UNSUPPORTED_LANGUAGE`` for a language the platform does not speak.
    """
    authorize(actor, "account.set_language")
    if actor.user_id != user.id:
        raise PermissionDenied("you may only choose the language of your own account")
    if language not in LANGUAGES:
        raise AccountError(
            f"language {language!r} is not one of {', '.join(LANGUAGES)}",
            code="UNSUPPORTED_LANGUAGE",
        )
    before = {"language": user.language}
    async with in_transaction() as conn:
        user.language = language
        user.version += 1
        await user.save(using_db=conn, update_fields=["language", "version"])
        await audit.record(
            actor,
            "account.set_language",
            f"User:{user.id}",
            before=before,
            after={"language": language},
            source_address=source_address,
            connection=conn,
        )
    return user


@dataclass(frozen=True)
class DemoLogin:
    """A demo account's login, printed by ``smecredit demo seed``."""

    username: str
    password: str
    roles: tuple[str, ...]
    branch_code: str
    created: bool


async def seed_demo_users(settings: Settings, path: Path | None = None) -> list[DemoLogin]:
    """Create the demo accounts of ``fixtures/demo_users.json`` that do not exist yet.

    The passwords in that file are for demonstrations only and are published.

    Args:
        settings: the platform settings.
        path: another fixture file.

    Returns:
        Every demo login (created now or before).
    """
    await seed_roles()
    data: list[dict[str, Any]] = json.loads(
        (path or DEMO_USERS_FIXTURE).read_text(encoding="utf-8")
    )
    logins: list[DemoLogin] = []
    for item in data:
        roles = tuple(item["roles"])
        exists = await User.exists(username=item["username"])
        if not exists:
            await create_user(
                item["username"],
                item["password"],
                roles=roles,
                branch_code=item["branch_code"],
                display_name=item.get("display_name", ""),
                settings=settings,
                actor=SYSTEM,
            )
        logins.append(
            DemoLogin(
                username=item["username"],
                password=item["password"],
                roles=roles,
                branch_code=item["branch_code"],
                created=not exists,
            )
        )
    return logins
