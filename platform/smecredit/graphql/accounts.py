"""GraphQL for accounts and sessions (sign-in, TOTP, users, roles) and the audit trail."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from strawberry import relay

from smecredit import models
from smecredit.errors import InvalidInput
from smecredit.graphql.auth import (
    AUDITED_BY_SERVICE,
    Unauthenticated,
    auth_runtime,
    require_operation,
    require_user,
)
from smecredit.graphql.labels import Language
from smecredit.graphql.pagination import Connection, SortSpec, paginate
from smecredit.graphql.results import BusinessError, Errors, guard
from smecredit.graphql.scalars import parse_global_id
from smecredit.i18n import language_of
from smecredit.security.audit_chain import format_timestamp
from smecredit.security.caller import signed_in
from smecredit.security.operations import can
from smecredit.security.row_scope import scoped
from smecredit.security.tokens import session_cookie_options
from smecredit.services import accounts, audit, sessions
from smecredit.services.roles import RoleDescription, list_roles, operation_text
from smecredit.services.sessions import principal_for

__all__ = [
    "AccountMutations",
    "AccountQueries",
    "AuditEntryType",
    "AuditLogFilter",
    "AuditLogSort",
    "AuditQueries",
    "Language",
    "OperationScope",
    "ResetPasswordPayload",
    "RoleOperationType",
    "RoleType",
    "SignInPayload",
    "SignInResult",
    "SignOutPayload",
    "UserResult",
    "UserType",
]


@strawberry.enum(description="Where an operation of the authorisation table applies.")
class OperationScope(enum.Enum):
    PUBLIC = "public"
    SELF = "self"
    GLOBAL = "global"
    BRANCH = "branch"


def _language(value: str | None) -> Language | None:
    try:
        return Language(value) if value else None
    except ValueError:  # a value written by hand in the database: no preference
        return None


@strawberry.type(name="User", description="A platform user (no secrets are ever exposed).")
class UserType(relay.Node):
    db_id: relay.NodeID[int]
    username: str
    display_name: str
    roles: list[str]
    branch_code: str
    active: bool
    totp_enrolled: bool
    language: Language | None = strawberry.field(
        description=(
            "The saved language preference (setMyLanguage): it wins over the request's "
            "Accept-Language; null follows the request."
        )
    )
    must_change_password: bool = strawberry.field(
        description=(
            "True after an administrator's password reset, until the user changes the "
            "password (its sessions may do nothing else meanwhile)."
        )
    )
    created_at: dt.datetime
    last_sign_in_at: dt.datetime | None

    @classmethod
    def from_model(cls, row: models.User) -> UserType:
        return cls(
            db_id=row.id,
            username=row.username,
            display_name=row.display_name,
            roles=list(row.roles or []),
            branch_code=row.branch_code,
            active=row.active,
            totp_enrolled=row.totp_enrolled,
            language=_language(getattr(row, "language", None)),
            must_change_password=row.must_change_password,
            created_at=row.created_at,
            last_sign_in_at=row.last_sign_in_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[UserType | None]:
        user = signed_in(info.context)
        ids = [int(i) for i in node_ids]
        if user is None:
            return [None for _ in ids]
        # Users see themselves; those who may list users (the table's user.view) everyone.
        visible = ids if can(user, "user.view") else [i for i in ids if i == user.user_id]
        rows = {u.id: u for u in await scoped(info.context, models.User).filter(id__in=visible)}
        return [cls.from_model(rows[i]) if i in rows else None for i in ids]


@strawberry.type(description="Outcome of the password step of a sign-in.")
class SignInPayload:
    token: str = strawberry.field(
        description="Session token for API clients (browsers use the HttpOnly cookie instead)."
    )
    mfa_required: bool = strawberry.field(
        description="True when verifyTotp (or useRecoveryCode) must follow before anything else."
    )
    mfa_enrollment_required: bool = strawberry.field(
        description=(
            "True when the user's role requires a second factor and none is enrolled yet: "
            "enrollTotp then confirmTotp must follow before anything else (signOut aside)."
        )
    )
    password_change_required: bool = strawberry.field(
        description=(
            "True when an administrator reset the password: changePassword (with the "
            "temporary password as the current one) must follow before anything else "
            "(signOut aside), after any second-factor step."
        )
    )
    expires_at: dt.datetime
    user: UserType | None = strawberry.field(
        description=(
            "The user, once fully signed in (null while the second step, the enrolment "
            "of a second factor or a password change is pending)."
        )
    )


@strawberry.type(description="A new authenticator-app secret, waiting for confirmTotp.")
class TotpEnrollment:
    secret: str
    otpauth_uri: str = strawberry.field(description="Show this as a QR code.")


@strawberry.type(description="Recovery codes: shown once, each works once.")
class RecoveryCodes:
    codes: list[str]


@strawberry.type(description="Outcome of a recovery-code sign-in step.")
class RecoveryCodePayload:
    user: UserType
    remaining_recovery_codes: int


@strawberry.type(description="Outcome of signing out: how many sessions ended.")
class SignOutPayload:
    sessions_closed: int = strawberry.field(description="How many sessions were ended.")


@strawberry.type(description="Outcome of ending every session of a user (administrators).")
class RevokeSessionsPayload:
    user: UserType
    sessions_closed: int = strawberry.field(description="How many sessions were ended.")


@strawberry.input(description="A new account.")
class CreateUserInput:
    username: str
    password: str
    roles: list[str]
    branch_code: str
    display_name: str = ""


@strawberry.type(description="Outcome of an administrator's password reset.")
class ResetPasswordPayload:
    user: UserType
    temporary_password: str | None = strawberry.field(
        description=(
            "The generated one-time password, shown this once (hand it to the user, who must "
            "change it at the next sign-in); null when the administrator chose it."
        )
    )
    revoked_sessions: int = strawberry.field(description="How many sessions were ended.")


@strawberry.type(
    name="RoleOperation",
    description="An operation of the authorisation table a role may take.",
)
class RoleOperationType:
    name: str = strawberry.field(description="The operation, e.g. firm.create.")
    description: str = strawberry.field(
        description="What it does, e.g. create firms (in the caller's language)."
    )
    scope: OperationScope = strawberry.field(
        description="Where it applies: GLOBAL, or BRANCH (objects of the caller's branches)."
    )


@strawberry.type(name="Role", description="A role users may hold.")
class RoleType:
    name: str = strawberry.field(description="What createUser and setUserRoles take.")
    label: str = strawberry.field(description="Short name, in the caller's language.")
    label_zh: str = strawberry.field(
        description="Short Chinese name (zh-CN).",
        deprecation_reason="label answers in the caller's language (Accept-Language).",
    )
    description: str = strawberry.field(
        description="What the role is for, in the caller's language."
    )
    description_zh: str = strawberry.field(
        description="What the role is for, in Chinese.",
        deprecation_reason="description answers in the caller's language (Accept-Language).",
    )
    operations: list[RoleOperationType] = strawberry.field(
        description=(
            "What the role may do, from the authorisation table (every signed-in user may "
            "also manage their own account and sessions)."
        )
    )

    @classmethod
    def from_role(cls, role: RoleDescription, language: str | None) -> RoleType:
        chinese = language == "zh-CN"
        return cls(
            name=role.name,
            label=role.label_zh if chinese else role.label,
            label_zh=role.label_zh,
            description=(role.description_zh or role.description) if chinese else role.description,
            description_zh=role.description_zh,
            operations=[
                RoleOperationType(
                    name=op.name,
                    description=operation_text(op.name, op.description, language),
                    scope=OperationScope(op.scope.value),
                )
                for op in role.operations
            ],
        )


@strawberry.type(name="AuditEntry", description="One row of the hash-chained audit trail.")
class AuditEntryType:
    seq: int = strawberry.field(description="Position in the chain (1, 2, ...), not an id.")
    actor: str
    action: str
    resource: str
    at: str
    source_address: str | None
    change_digest: str
    prev_hash: str
    entry_hash: str

    @classmethod
    def from_model(cls, row: models.AuditLog) -> AuditEntryType:
        return cls(
            seq=row.seq,
            actor=row.actor,
            action=row.action,
            resource=row.resource,
            at=row.at,
            source_address=row.source_address,
            change_digest=row.change_digest,
            prev_hash=row.prev_hash,
            entry_hash=row.entry_hash,
        )


@strawberry.type(description="Result of checking the audit chain.")
class AuditVerification:
    ok: bool
    first_broken_seq: int | None
    problem: str | None
    reason: str
    checked: int


@strawberry.input(description="Filters for the audit trail; all given conditions must hold.")
class AuditLogFilter:
    actor: str | None = strawberry.field(default=None, description="Exactly this actor.")
    action: str | None = strawberry.field(
        default=None,
        description='Exactly this action; ending in a dot, a prefix ("user." for every '
        "user action).",
    )
    since: dt.datetime | None = strawberry.field(
        default=None, description="At or after this instant (with a time zone)."
    )


@strawberry.enum(description="Orderings of the audit trail.")
class AuditLogSort(enum.Enum):
    SEQ_DESC = "seq_desc"
    SEQ_ASC = "seq_asc"


_AUDIT_SORTS = {
    AuditLogSort.SEQ_DESC: SortSpec("seq_desc", "seq", descending=True),
    AuditLogSort.SEQ_ASC: SortSpec("seq_asc", "seq"),
}

SignInResult = Annotated[SignInPayload | Errors, strawberry.union("SignInResult")]
UserResult = Annotated[UserType | Errors, strawberry.union("UserResult")]
RecoveryCodeResult = Annotated[RecoveryCodePayload | Errors, strawberry.union("RecoveryCodeResult")]
SignOutResult = Annotated[SignOutPayload | Errors, strawberry.union("SignOutResult")]
TotpEnrollmentResult = Annotated[TotpEnrollment | Errors, strawberry.union("TotpEnrollmentResult")]
RecoveryCodesResult = Annotated[RecoveryCodes | Errors, strawberry.union("RecoveryCodesResult")]
ResetPasswordResult = Annotated[
    ResetPasswordPayload | Errors, strawberry.union("ResetPasswordResult")
]
RevokeSessionsResult = Annotated[
    RevokeSessionsPayload | Errors, strawberry.union("RevokeSessionsResult")
]


def _address(info: strawberry.Info) -> str:
    return str(info.context.extra.get("address") or "unknown")


def _user_agent(info: strawberry.Info) -> str | None:
    request = info.context.request
    return request.headers.get("user-agent") if request is not None else None


async def _current_user(info: strawberry.Info) -> models.User:
    principal = require_user(info)
    user = info.context.extra.get("session_user")
    if user is None or user.id != principal.user_id:
        user = await accounts.find_user(principal.user_id)
    return user  # type: ignore[no-any-return]


async def _user_at_step(info: strawberry.Info, step: str) -> models.User:
    # A signed-in user, or a session whose sign-in step (``step``, a flag the
    # authentication set) is what it must do before anything else (no principal yet).
    if info.context.user is None and info.context.extra.get(step):
        return _pending(info)[1]
    return await _current_user(info)


def _require_step(info: strawberry.Info, step: str) -> None:
    # Who is calling, before the guarded work: a caller that is neither signed in nor at
    # ``step`` is refused at the transport level (UNAUTHENTICATED), not as a result member.
    if not (info.context.user is None and info.context.extra.get(step)):
        require_user(info)


def _step_done(info: strawberry.Info, step: str, user: models.User) -> None:
    # The step was what this session owed: it is a full session from now on.
    session = info.context.extra.get("session")
    if info.context.user is None and session is not None:
        info.context.extra.pop(step, None)
        info.context.user = principal_for(user, session)


def _pending(info: strawberry.Info) -> tuple[models.Session, models.User]:
    session = info.context.extra.get("session")
    user = info.context.extra.get("session_user")
    if session is None or user is None:
        raise Unauthenticated("sign in with a password first")
    return session, user


def _set_cookie(info: strawberry.Info, token: str) -> None:
    runtime = auth_runtime(info.context)
    response = info.context.response
    if response is None or not hasattr(response, "set_cookie"):
        return
    response.set_cookie(
        runtime.cookie_name,
        token,
        **session_cookie_options(
            secure=runtime.secure_cookies, max_age=runtime.policy.absolute_seconds
        ),
    )


def _clear_cookie(info: strawberry.Info) -> None:
    runtime = auth_runtime(info.context)
    response = info.context.response
    if response is None or not hasattr(response, "delete_cookie"):
        return
    options = session_cookie_options(secure=runtime.secure_cookies)
    response.delete_cookie(
        runtime.cookie_name,
        path=options["path"],
        secure=options["secure"],
        httponly=options["httponly"],
        samesite=options["samesite"],
    )


@strawberry.type
class AccountQueries:
    @strawberry.field(description="The signed-in user, or null.")
    async def me(self, info: strawberry.Info) -> UserType | None:
        if signed_in(info.context) is None:
            return None
        return UserType.from_model(await _current_user(info))

    @strawberry.field(description="All users, by user name (administrators only).")
    async def users(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        include_inactive: bool = True,
    ) -> Connection[UserType]:
        require_operation(info, "user.view")
        qs = scoped(info.context, models.User)
        if not include_inactive:
            qs = qs.filter(active=True)
        return await paginate(
            qs,
            sort=SortSpec("username_asc", "username"),
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=UserType.from_model,
        )

    @strawberry.field(
        description=(
            "Every role users may hold (a bounded catalogue, so a plain list), with its "
            "name and description in the caller's language and the operations it may take "
            "(administrators and compliance auditors)."
        )
    )
    async def roles(self, info: strawberry.Info) -> list[RoleType]:
        actor = require_operation(info, "role.view")
        language = language_of(info.context)
        return [RoleType.from_role(role, language) for role in await list_roles(actor)]


@strawberry.type
class AuditQueries:
    @strawberry.field(
        description="The audit trail, newest first by default (compliance auditors and "
        "administrators)."
    )
    async def audit_log(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: AuditLogFilter | None = None,
        sort: AuditLogSort | None = None,
    ) -> Connection[AuditEntryType]:
        require_operation(info, "audit.view")
        qs = models.AuditLog.all()
        if filter is not None:
            if filter.actor:
                qs = qs.filter(actor=filter.actor)
            if filter.action:
                # "user." matches every user action; anything else is exact.
                action = filter.action
                qs = (
                    qs.filter(action__startswith=action)
                    if action.endswith(".")
                    else qs.filter(action=action)
                )
            if filter.since is not None:
                if filter.since.tzinfo is None:
                    raise InvalidInput(
                        "since must carry a time zone, e.g. 2024-05-01T00:00:00Z",
                        field="filter.since",
                    )
                qs = qs.filter(at__gte=format_timestamp(filter.since))
        return await paginate(
            qs,
            sort=_AUDIT_SORTS[sort or AuditLogSort.SEQ_DESC],
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=AuditEntryType.from_model,
        )

    @strawberry.field(description="Check the audit chain (compliance auditors and administrators).")
    async def audit_verify(self, info: strawberry.Info) -> AuditVerification:
        require_operation(info, "audit.view")
        result = await audit.verify()
        return AuditVerification(
            ok=result.ok,
            first_broken_seq=result.first_broken_seq,
            problem=result.problem,
            reason=result.reason,
            checked=result.checked,
        )


async def _on_user(
    info: strawberry.Info,
    id: relay.GlobalID,
    work: Callable[[models.User, Any], Awaitable[models.User]],
) -> UserType | BusinessError:
    """An administrator's step on the user ``id`` names, answered as a ``UserResult``."""
    actor = require_user(info)  # UNAUTHENTICATED stays a transport-level error

    async def go() -> UserType:
        user = await accounts.find_user(parse_global_id(id, "User"))
        return UserType.from_model(await work(user, actor))

    return await guard(go())


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        description="Sign in with a password; sets the session cookie and returns the token. "
        "A wrong name or password answers InvalidArgument INVALID_CREDENTIALS, too many "
        "attempts TOO_MANY_ATTEMPTS."
    )
    async def sign_in(self, info: strawberry.Info, username: str, password: str) -> SignInResult:
        async def go() -> SignInPayload:
            runtime = auth_runtime(info.context)
            outcome = await sessions.sign_in(
                runtime, username, password, address=_address(info), user_agent=_user_agent(info)
            )
            _set_cookie(info, outcome.token)
            info.context.extra["session"] = outcome.session
            info.context.extra["session_user"] = outcome.user
            user = None
            pending = (
                outcome.mfa_required
                or outcome.mfa_enrollment_required
                or outcome.password_change_required
            )
            if not pending:
                info.context.user = principal_for(outcome.user, outcome.session)
                user = UserType.from_model(outcome.user)
            return SignInPayload(
                token=outcome.token,
                mfa_required=outcome.mfa_required,
                mfa_enrollment_required=outcome.mfa_enrollment_required,
                password_change_required=outcome.password_change_required,
                expires_at=outcome.session.expires_at,
                user=user,
            )

        return await guard(go())  # type: ignore[return-value]

    @strawberry.mutation(description="Second sign-in step: a code from the authenticator app.")
    async def verify_totp(self, info: strawberry.Info, code: str) -> UserResult:
        session, user = _pending(info)

        async def go() -> UserType:
            runtime = auth_runtime(info.context)
            await sessions.verify_totp_code(runtime, session, user, code, address=_address(info))
            info.context.user = principal_for(user, session)
            return UserType.from_model(user)

        return await guard(go())  # type: ignore[return-value]

    @strawberry.mutation(description="Second sign-in step with a single-use recovery code.")
    async def use_recovery_code(self, info: strawberry.Info, code: str) -> RecoveryCodeResult:
        session, user = _pending(info)

        async def go() -> RecoveryCodePayload:
            runtime = auth_runtime(info.context)
            remaining = await sessions.use_recovery_code(
                runtime, session, user, code, address=_address(info)
            )
            info.context.user = principal_for(user, session)
            return RecoveryCodePayload(
                user=UserType.from_model(user), remaining_recovery_codes=remaining
            )

        return await guard(go())  # type: ignore[return-value]

    @strawberry.mutation(description="End this session.")
    async def sign_out(self, info: strawberry.Info) -> SignOutResult:
        session, user = _pending(info)

        async def go() -> SignOutPayload:
            await sessions.sign_out(session, actor=user.username, address=_address(info))
            _clear_cookie(info)
            return SignOutPayload(sessions_closed=1)

        return await guard(go())  # type: ignore[return-value]

    @strawberry.mutation(description="End every session of the signed-in user.")
    async def sign_out_everywhere(self, info: strawberry.Info) -> SignOutResult:
        require_user(info)

        async def go() -> SignOutPayload:
            user = await _current_user(info)
            count = await sessions.revoke_all(user, address=_address(info))
            _clear_cookie(info)
            return SignOutPayload(sessions_closed=count)

        return await guard(go())  # type: ignore[return-value]

    @strawberry.mutation(description="Start enrolling an authenticator app (TOTP).")
    async def enroll_totp(self, info: strawberry.Info) -> TotpEnrollmentResult:
        _require_step(info, "mfa_enrollment_pending")

        async def go() -> TotpEnrollment:
            user = await _user_at_step(info, "mfa_enrollment_pending")
            enrolment = await sessions.enroll_totp(
                auth_runtime(info.context), user, address=_address(info)
            )
            return TotpEnrollment(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri)

        return await guard(go())  # type: ignore[return-value]

    @strawberry.mutation(description="Confirm the authenticator app; returns recovery codes once.")
    async def confirm_totp(self, info: strawberry.Info, code: str) -> RecoveryCodesResult:
        _require_step(info, "mfa_enrollment_pending")

        async def go() -> RecoveryCodes:
            user = await _user_at_step(info, "mfa_enrollment_pending")
            session = info.context.extra.get("session")
            codes = await sessions.confirm_totp(
                auth_runtime(info.context), user, code, session=session, address=_address(info)
            )
            _step_done(info, "mfa_enrollment_pending", user)
            return RecoveryCodes(codes=codes)

        return await guard(go())  # type: ignore[return-value]

    @strawberry.mutation(
        description=(
            "Change one's own password (other sessions are signed out). After an "
            "administrator's reset the current password is the temporary one, and this "
            "session is fully signed in once the change succeeds. A wrong current password "
            "answers InvalidArgument WRONG_PASSWORD."
        )
    )
    async def change_password(
        self, info: strawberry.Info, current_password: str, new_password: str
    ) -> UserResult:
        _require_step(info, "password_change_pending")

        async def go() -> UserType:
            user = await _user_at_step(info, "password_change_pending")
            session = info.context.extra.get("session")
            principal = info.context.user
            keep = session.id if session is not None else principal and principal.session_id
            await accounts.change_password(
                user,
                current_password,
                new_password,
                settings=info.context.settings,
                keep_session_id=keep,
                source_address=_address(info),
            )
            _step_done(info, "password_change_pending", user)
            return UserType.from_model(user)

        return await guard(go())  # type: ignore[return-value]

    @strawberry.mutation(
        description=(
            "Save the language you read the platform in: it wins over the request's "
            "Accept-Language from the next request on (every signed-in user, audited)."
        ),
        metadata=AUDITED_BY_SERVICE,
    )
    async def set_my_language(self, info: strawberry.Info, language: Language) -> UserResult:
        principal = require_user(info)

        async def go() -> UserType:
            user = await _current_user(info)
            user = await accounts.set_language(
                user, language.value, actor=principal, source_address=_address(info)
            )
            return UserType.from_model(user)

        return await guard(go())  # type: ignore[return-value]

    @strawberry.mutation(description="Create an account (administrators only).")
    async def create_user(self, info: strawberry.Info, input: CreateUserInput) -> UserResult:
        actor = require_user(info)  # the service checks user.create

        async def go() -> UserType:
            user = await accounts.create_user(
                input.username,
                input.password,
                roles=input.roles,
                branch_code=input.branch_code,
                display_name=input.display_name,
                settings=info.context.settings,
                actor=actor,
                source_address=_address(info),
            )
            return UserType.from_model(user)

        return await guard(go())  # type: ignore[return-value]

    @strawberry.mutation(
        description="Replace a user's roles and optionally branch (administrators)."
    )
    async def set_user_roles(
        self,
        info: strawberry.Info,
        id: relay.GlobalID,
        roles: list[str],
        branch_code: str | None = None,
    ) -> UserResult:
        async def work(user: models.User, actor: Any) -> models.User:
            return await accounts.set_roles(
                user, roles, branch_code=branch_code, actor=actor, source_address=_address(info)
            )

        return await _on_user(info, id, work)  # type: ignore[return-value]

    @strawberry.mutation(description="Deactivate a user and end their sessions (administrators).")
    async def deactivate_user(self, info: strawberry.Info, id: relay.GlobalID) -> UserResult:
        async def work(user: models.User, actor: Any) -> models.User:
            return await accounts.deactivate_user(user, actor=actor, source_address=_address(info))

        return await _on_user(info, id, work)  # type: ignore[return-value]

    @strawberry.mutation(
        description=(
            "Reset a user's password (administrators): a one-time temporary password "
            "(generated and returned once, or chosen and checked by the password rules), the "
            "user's sessions ended, and a password change forced at the next sign-in."
        ),
        metadata=AUDITED_BY_SERVICE,
    )
    async def reset_user_password(
        self,
        info: strawberry.Info,
        id: relay.GlobalID,
        temporary_password: str | None = None,
    ) -> ResetPasswordResult:
        actor = require_user(info)  # the service checks user.reset_password

        async def go() -> ResetPasswordPayload:
            user = await accounts.find_user(parse_global_id(id, "User"))
            reset = await accounts.reset_password(
                user,
                settings=info.context.settings,
                actor=actor,
                temporary_password=temporary_password,
                source_address=_address(info),
                throttle=auth_runtime(info.context).throttle,
            )
            return ResetPasswordPayload(
                user=UserType.from_model(reset.user),
                temporary_password=reset.temporary_password,
                revoked_sessions=reset.revoked_sessions,
            )

        return await guard(go())  # type: ignore[return-value]

    @strawberry.mutation(
        description="Let a deactivated user sign in again (administrators).",
        metadata=AUDITED_BY_SERVICE,
    )
    async def reactivate_user(self, info: strawberry.Info, id: relay.GlobalID) -> UserResult:
        async def work(user: models.User, actor: Any) -> models.User:
            return await accounts.reactivate_user(user, actor=actor, source_address=_address(info))

        return await _on_user(info, id, work)  # type: ignore[return-value]

    @strawberry.mutation(description="End every session of a user (administrators).")
    async def revoke_user_sessions(
        self, info: strawberry.Info, id: relay.GlobalID
    ) -> RevokeSessionsResult:
        actor = require_user(info)  # the service checks user.revoke_sessions

        async def go() -> RevokeSessionsPayload:
            user = await accounts.find_user(parse_global_id(id, "User"))
            count = await sessions.revoke_all(user, actor=actor, address=_address(info))
            return RevokeSessionsPayload(user=UserType.from_model(user), sessions_closed=count)

        return await guard(go())  # type: ignore[return-value]
