"""Who is calling, and two operation-level guarantees: authentication and mutation audit.

* :func:`authenticate_context` resolves the caller of a request from the
  ``Authorization: Bearer <token>`` header or the session cookie into ``context.user``.
  A session that still owes its second factor leaves ``context.user`` None and sets
  ``context.extra["mfa_pending"]``; one that must first enrol a second factor (its role
  requires one, ``SMECREDIT_MFA_REQUIRED_ROLES``) sets
  ``context.extra["mfa_enrollment_pending"]``; one whose password an administrator reset
  sets ``context.extra["password_change_pending"]`` (after any second-factor step).
* :class:`AuthenticationGuard` refuses, before execution, any operation selecting a root
  field the caller may not reach: anonymous callers get ``ping``, ``me`` and ``signIn``;
  a session waiting for its second factor also gets ``verifyTotp``, ``useRecoveryCode``
  and ``signOut``; a session that must enrol gets ``enrollTotp``, ``confirmTotp`` and
  ``signOut``; a session that must change its password gets ``changePassword`` and
  ``signOut``. One rule says which (:func:`sign_in_step`). Everything else fails with
  ``UNAUTHENTICATED``, as does any operation on a websocket whose session has ended
  (:mod:`smecredit.graphql.session_watch`). Executions without a request (in-process:
  scripts, reports, tests) are trusted and not guarded.
* :class:`MutationAudit` appends one audit row per executed mutation field, naming the
  actor, the field and a keyed digest of the (redacted) arguments. A mutation whose
  service writes a richer row of its own (naming what changed) carries the
  :data:`AUDITED_BY_SERVICE` metadata: when it succeeds, that row is the only one. A
  mutation answering one of its result union's errors (``Forbidden``, ``InvalidArgument``
  ...) failed, whatever the client selected: its row says ``failed``.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    value_from_ast_untyped,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from starlette.requests import HTTPConnection, Request
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from smecredit.graphql.results import BusinessError
from smecredit.graphql.session_watch import SessionWatch, session_ended
from smecredit.security.caller import caller
from smecredit.security.http import client_address, trusted_proxies
from smecredit.security.operations import Unauthenticated
from smecredit.security.principal import Principal
from smecredit.services import audit
from smecredit.services.sessions import (
    AuthRuntime,
    authenticate,
    is_mfa_enrollment_pending,
    is_mfa_pending,
    is_password_change_pending,
    principal_for,
    session_is_live,
)

__all__ = [
    "ANONYMOUS_FIELDS",
    "AUDITED_BY_SERVICE",
    "MFA_ENROLLMENT_FIELDS",
    "MFA_PENDING_FIELDS",
    "PASSWORD_CHANGE_FIELDS",
    "SIGN_IN_STEP_FIELDS",
    "AuthenticationGuard",
    "MutationAudit",
    "Unauthenticated",
    "auth_runtime",
    "authenticate_context",
    "record_mutation_outcomes",
    "redact",
    "require_operation",
    "require_user",
    "root_fields",
    "sign_in_step",
]

log = logging.getLogger("smecredit.auth")

#: Root fields an anonymous caller may select, by operation type.
ANONYMOUS_FIELDS: dict[str, frozenset[str]] = {
    "query": frozenset({"ping", "me"}),
    "mutation": frozenset({"signIn"}),
    "subscription": frozenset(),
}
#: Root fields a session waiting for its second factor may select.
MFA_PENDING_FIELDS: dict[str, frozenset[str]] = {
    "query": frozenset({"ping", "me"}),
    "mutation": frozenset({"signIn", "verifyTotp", "useRecoveryCode", "signOut"}),
    "subscription": frozenset(),
}
#: Root fields a session that must first enrol a second factor may select.
MFA_ENROLLMENT_FIELDS: dict[str, frozenset[str]] = {
    "query": frozenset({"ping", "me"}),
    "mutation": frozenset({"signIn", "enrollTotp", "confirmTotp", "signOut"}),
    "subscription": frozenset(),
}
#: Root fields a session whose password an administrator reset may select.
PASSWORD_CHANGE_FIELDS: dict[str, frozenset[str]] = {
    "query": frozenset({"ping", "me"}),
    "mutation": frozenset({"signIn", "changePassword", "signOut"}),
    "subscription": frozenset(),
}
#: Every set of root fields :func:`sign_in_step` may answer (the document gate builds one
#: schema view per set).
SIGN_IN_STEP_FIELDS: tuple[Mapping[str, frozenset[str]], ...] = (
    ANONYMOUS_FIELDS,
    MFA_PENDING_FIELDS,
    MFA_ENROLLMENT_FIELDS,
    PASSWORD_CHANGE_FIELDS,
)
_INTROSPECTION = frozenset({"__typename", "__schema", "__type"})
#: Field metadata of a mutation whose service audits each change itself (with the details
#: the generic row lacks): ``@strawberry.mutation(metadata=AUDITED_BY_SERVICE)``. Failed and
#: refused calls, which the service never audits, still get the generic row.
AUDITED_BY_SERVICE: dict[str, bool] = {"smecredit.audited_by_service": True}
_SENSITIVE = re.compile(r"password|secret|token|code", re.IGNORECASE)
#: ``context.extra`` key: response keys of the root mutation fields that answered an error
#: member of their result union (-> its code), for :class:`MutationAudit`.
_UNION_ERRORS = "smecredit.mutation_union_errors"
_RECORDING_ATTR = "_smecredit_mutation_outcomes"


def auth_runtime(context: Any) -> AuthRuntime:
    """The request's :class:`AuthRuntime` (set by the app in ``context.extra["auth"]``)."""
    runtime = context.extra.get("auth")
    if runtime is None:  # a context built outside the app (scripts, tests)
        runtime = AuthRuntime.from_settings(context.settings)
        context.extra["auth"] = runtime
    return runtime  # type: ignore[no-any-return]


def _bearer(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


async def authenticate_context(
    context: Any, runtime: AuthRuntime, *, cookie_on_get: bool = False
) -> None:
    """Fill ``context.user`` (and the session details in ``context.extra``) for a request.

    The bearer header wins over the cookie. The cookie is ignored on GET requests, which
    browsers send cross-site on top-level navigation (SameSite=Lax), unless the caller
    established that this GET came from the platform's own pages (``cookie_on_get``: a
    report download checks ``Sec-Fetch-Site: same-origin``).

    Args:
        context: the GraphQL context (``request`` set).
        runtime: the app's auth runtime.
        cookie_on_get: accept the session cookie on a GET request.
    """
    context.extra["auth"] = runtime
    conn = context.request
    if conn is None:
        return
    context.extra["address"] = client_address(conn, trusted_proxies(runtime.settings))
    # Service audit rows written while this request is served name the same address.
    audit.request_address.set(context.extra["address"])
    token = _bearer(conn)
    if token is None and (
        cookie_on_get or not (isinstance(conn, Request) and conn.method == "GET")
    ):
        token = conn.cookies.get(runtime.cookie_name)
    if token is None:
        return
    found = await authenticate(runtime, token)
    if found is None:
        return
    session, user = found
    context.extra["session"] = session
    context.extra["session_user"] = user
    if isinstance(conn, WebSocket):
        # The connection outlives this check: it ends when the session does.
        session_id = session.id
        context.extra["session_watch"] = SessionWatch(
            session_id, user.id, lambda: session_is_live(runtime, session_id)
        )
    if is_mfa_pending(user, session):
        context.extra["mfa_pending"] = True
        return
    if is_mfa_enrollment_pending(runtime.settings, user, session):
        context.extra["mfa_enrollment_pending"] = True
        return
    if is_password_change_pending(user):
        context.extra["password_change_pending"] = True
        return
    context.user = principal_for(user, session)


def require_user(info: Any) -> Principal:
    """The signed-in caller, or ``UNAUTHENTICATED``.

    Args:
        info: the resolver's info.

    Returns:
        The principal.
    """
    return caller(info.context)


def require_operation(info: Any, name: str) -> Principal:
    """The signed-in caller, if the authorisation table lets it take operation ``name``.

    Args:
        info: the resolver's info.
        name: the operation (``security/operations.py``), e.g. ``"audit.view"``.

    Returns:
        The principal.

    Raises:
        Unauthenticated: nobody is signed in.
        PermissionDenied: ``FORBIDDEN``, naming the operation and the roles it needs.
    """
    return caller(info.context, name)


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def _walk(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    seen: set[str],
) -> Iterator[tuple[str, str]]:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            key = selection.alias.value if selection.alias else selection.name.value
            yield key, selection.name.value
        elif isinstance(selection, InlineFragmentNode):
            yield from _walk(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in seen or name not in fragments:
                continue  # validation rejects cycles, this only keeps the walk finite
            yield from _walk(fragments[name].selection_set, fragments, seen | {name})


def root_fields(document: DocumentNode, operation_name: str | None) -> list[tuple[str, str]]:
    """The root fields an operation selects, through fragments: ``(response key, field)``.

    Args:
        document: the parsed document.
        operation_name: the operation to run (None when the document has one).

    Returns:
        The fields in document order (duplicates kept).
    """
    operation = _operation(document, operation_name)
    if operation is None:
        return []
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return list(_walk(operation.selection_set, fragments, set()))


def sign_in_step(context: Any) -> tuple[Mapping[str, frozenset[str]], str]:
    """Where a caller without a principal stands: the root fields it may select, and what
    it must do next (the one rule behind the guard and the document gate).

    Returns:
        ``(root fields by operation type, what to do first)``.
    """
    extra = getattr(context, "extra", {})
    if extra.get("mfa_pending"):
        return MFA_PENDING_FIELDS, "complete the second sign-in step (verifyTotp) first"
    if extra.get("mfa_enrollment_pending"):
        return MFA_ENROLLMENT_FIELDS, "enrol a second factor first (enrollTotp, then confirmTotp)"
    if extra.get("password_change_pending"):
        return (
            PASSWORD_CHANGE_FIELDS,
            "an administrator reset your password: change it first (changePassword)",
        )
    return ANONYMOUS_FIELDS, "sign in first"


class AuthenticationGuard(SchemaExtension):
    """Refuses operations selecting root fields the caller may not reach (``UNAUTHENTICATED``)."""

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        context = ec.context
        # In-process executions (no request: scripts, reports, tests) are trusted code.
        from_network = getattr(context, "request", None) is not None
        ended = from_network and session_ended(context)
        signed_in = getattr(context, "user", None) is not None
        if from_network and ec.graphql_document and (ended or not signed_in):
            op_type = ec.operation_type.value
            fields_by_op, message = sign_in_step(context)
            allowed = frozenset() if ended else fields_by_op.get(op_type, frozenset())
            if ended:
                message = "this session has ended: sign in again"
            fields = root_fields(ec.graphql_document, ec.operation_name)
            denied = sorted(
                {name for _, name in fields if name not in allowed and name not in _INTROSPECTION}
            )
            if denied:
                error = Unauthenticated(f"{message}: {', '.join(denied)} needs a signed-in user")
                if op_type == "subscription":
                    # strawberry subscribes whatever the result says: only raising stops it.
                    raise error
                ec.result = GraphQLExecutionResult(
                    data=None,
                    errors=[
                        GraphQLError(
                            error.message, original_error=error, extensions={"code": error.code}
                        )
                    ],
                )
        yield


def redact(value: Any) -> Any:
    """Arguments with secrets (passwords, codes, tokens) replaced, for the audit digest.

    Args:
        value: JSON-like variables.

    Returns:
        A copy with sensitive values replaced by ``"***"``.
    """
    if isinstance(value, dict):
        return {k: "***" if _SENSITIVE.search(str(k)) else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def _field_arguments(
    document: DocumentNode, operation_name: str | None, key: str, variables: dict[str, Any]
) -> dict[str, Any]:
    operation = _operation(document, operation_name)
    if operation is None:
        return {}
    for selection in operation.selection_set.selections:
        if isinstance(selection, FieldNode):
            field_key = selection.alias.value if selection.alias else selection.name.value
            if field_key == key:
                return {
                    a.name.value: value_from_ast_untyped(a.value, variables)
                    for a in selection.arguments or ()
                }
    return {}


def _audited_by_service(schema: Any, field_name: str) -> bool:
    # build_schema names the root type "Mutation" (merge_types).
    field = schema.get_field_for_type(field_name, "Mutation") if schema is not None else None
    metadata = getattr(field, "metadata", None) or {}
    return all(metadata.get(k) == v for k, v in AUDITED_BY_SERVICE.items())


def _note_union_error(info: Any, result: Any) -> None:
    if isinstance(result, BusinessError):
        extra = getattr(info.context, "extra", None)
        if isinstance(extra, dict):
            extra.setdefault(_UNION_ERRORS, {})[info.path.key] = result.code


async def _noted_later(info: Any, pending: Any) -> Any:
    result = await pending
    _note_union_error(info, result)
    return result


def _recording(resolve: Any) -> Any:
    # Positional-only: a mutation may well have an argument called ``source`` or ``info``.
    def recording(source: Any, info: Any, /, **kwargs: Any) -> Any:
        result = resolve(source, info, **kwargs)
        if inspect.isawaitable(result):
            return _noted_later(info, result)
        _note_union_error(info, result)
        return result

    recording.__wrapped__ = resolve  # type: ignore[attr-defined]
    return recording


def record_mutation_outcomes(schema: Any) -> None:
    """Wrap the root mutation fields of ``schema`` once so that an answer which is a
    result union's error is noted for the audit row (only the Mutation type: no cost to
    queries). Idempotent."""
    core = getattr(schema, "_schema", None)
    mutation = getattr(core, "mutation_type", None)
    if mutation is None or getattr(schema, _RECORDING_ATTR, False):
        return
    from graphql import default_field_resolver

    for gfield in mutation.fields.values():
        gfield.resolve = _recording(gfield.resolve or default_field_resolver)
    setattr(schema, _RECORDING_ATTR, True)


class MutationAudit(SchemaExtension):
    """Appends one audit row per executed (or refused) root mutation field.

    Successful mutations marked :data:`AUDITED_BY_SERVICE` are left to their service's row;
    a field that answered an error member of its result union failed.
    """

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        # Wrapped at the first execution (a schema extension has no build hook), before
        # this execution resolves anything.
        record_mutation_outcomes(self.execution_context.schema)
        yield
        ec = self.execution_context
        if ec.graphql_document is None:
            return
        try:
            if ec.operation_type != OperationType.MUTATION:
                return
        except RuntimeError:
            return
        context = ec.context
        result = ec.result
        errors = list(getattr(result, "errors", None) or [])
        data = getattr(result, "data", None)
        failed_keys = {e.path[0] for e in errors if e.path}
        failed_keys |= set(getattr(context, "extra", {}).get(_UNION_ERRORS, {}))
        refused = data is None and bool(errors) and not failed_keys
        principal = getattr(context, "user", None)
        session_user = getattr(context, "extra", {}).get("session_user")
        actor: str | Principal
        if principal is not None:
            actor = principal
        elif session_user is not None:
            actor = session_user.username
        else:
            actor = "anonymous" if getattr(context, "request", None) is not None else "system"
        address = getattr(context, "extra", {}).get("address")
        for key, name in root_fields(ec.graphql_document, ec.operation_name):
            outcome = "refused" if refused else ("failed" if key in failed_keys else "ok")
            if outcome == "ok" and _audited_by_service(ec.schema, name):
                continue  # the service wrote the row, naming what changed
            action = f"mutation.{name}" if outcome == "ok" else f"mutation.{name}.{outcome}"
            arguments = redact(
                _field_arguments(ec.graphql_document, ec.operation_name, key, ec.variables or {})
            )
            try:
                await audit.record(
                    actor,
                    action,
                    f"Mutation.{name}",
                    after={"arguments": arguments, "outcome": outcome},
                    source_address=address,
                )
            except Exception:  # the response is already decided; never lose it to the log
                log.exception("could not write the audit row of mutation %s", name)
