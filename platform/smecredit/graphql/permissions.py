"""Field-level permissions: every object field's resolver is wrapped once, at schema build.

:func:`apply_field_permissions` walks graphql-core's type map after strawberry built the
schema and wraps each field's resolver with a check keyed ``"Type.field"`` - the names of
the type map, never the response path (which carries client aliases). So aliases,
fragments, ``node(id)``, nested paths and subscriptions all meet the same check.

The check is a dict lookup in the request's decision cache; a miss asks the
:class:`~smecredit.security.policy.PolicyStore` (itself cached per policy version). An
allowed field costs about a microsecond on top of its own resolver:

* allow - the resolver runs untouched (sync stays sync);
* deny - the resolver does not run; the field is null with a ``FORBIDDEN`` error naming
  ``Type.field`` (for a non-null field graphql-core nulls the parent, as the spec says);
* mask - the value passes through the policy's masking strategy from the plugin registry
  (``info.context.plugins.masking_strategies``); only String/ID fields can be masked, a
  mask decision on another type is treated as deny. A strategy that is not installed
  hides the whole value (fail closed);
* an unmasked read of a sensitive field (one some rule masks for someone) is recorded in
  the audit log once per request and field, not per row. The audit fails closed: when the
  row cannot be written the value is not given out (the field is null with an
  ``AUDIT_UNAVAILABLE`` error), and the failure is logged.

Root types (Query, Mutation, Subscription) are not wrapped: operations authorise
themselves (the operations table, row scope, service checks); connection plumbing
(``*Connection``, ``*Edge``, ``PageInfo``) and business errors (``BusinessError`` members of
result unions, which answer the caller's own request) carry no platform data and are not
wrapped either.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import strawberry
from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    default_field_resolver,
)

from smecredit.errors import ApiError
from smecredit.security.policy import (
    ALLOW,
    Decision,
    PolicyStore,
    get_policy_store,
    subjects_of,
)
from smecredit.services import audit

__all__ = [
    "AuditUnavailable",
    "FieldAccess",
    "FieldForbidden",
    "RequestPermissions",
    "apply_field_permissions",
    "effective_kind",
    "field_access",
    "field_key",
    "filter_record",
    "guarded_field_keys",
    "mask_value",
    "permissions_for",
]

log = logging.getLogger("smecredit.graphql.permissions")

_ORIGINALS_ATTR = "_smecredit_original_resolvers"
_STRING_SCALARS = frozenset({"String", "ID"})
AUDIT_ACTION = "sensitive_field.read_unmasked"


class FieldForbidden(ApiError):
    """The caller may not read this field (``FORBIDDEN``)."""

    code = "FORBIDDEN"


class AuditUnavailable(ApiError):
    """An unmasked read of personal data could not be audited, so it is refused
    (``AUDIT_UNAVAILABLE``): no one reads personal data the audit trail does not know of."""

    code = "AUDIT_UNAVAILABLE"


class RequestPermissions:
    """One caller's decisions for one request (or one subscription connection).

    Attributes:
        principal: the caller (None when anonymous: every field is denied).
        subjects: Casbin subjects of the caller.
        domain: the caller's branch code.
        decisions: ``"Type.field"`` -> :class:`Decision`, filled on first use.
        audited: fields already recorded as read unmasked in this request.
        version: the policy version the decisions belong to.
    """

    __slots__ = ("audited", "decisions", "domain", "principal", "store", "subjects", "version")

    def __init__(self, principal: Any, store: PolicyStore | None = None) -> None:
        self.principal = principal
        self.store = store or get_policy_store()
        self.subjects = subjects_of(principal)
        self.domain: str = getattr(principal, "branch_code", "") or ""
        self.decisions: dict[str, Decision] = {}
        self.audited: set[str] = set()
        self.version = self.store.version

    def decide(self, key: str) -> Decision:
        """The decision for ``key`` (``Type.field``), computed and cached on a miss."""
        decision = self.store.decide(self.subjects, self.domain, key)
        self.decisions[key] = decision
        return decision


def permissions_for(context: Any) -> RequestPermissions:
    """The request's :class:`RequestPermissions`, created (or refreshed) when needed."""
    perms = getattr(context, "permissions", None)
    store = get_policy_store()
    if (
        perms.__class__ is RequestPermissions
        and perms.version == store.version
        and perms.store is store
    ):
        return perms  # type: ignore[no-any-return]
    user = getattr(context, "user", None)
    fresh = RequestPermissions(user, store)
    if perms.__class__ is RequestPermissions:
        fresh.audited = perms.audited  # keep "audited once per request" across a reload
    # A context that cannot hold it (tests only) decides per call.
    with contextlib.suppress(AttributeError):
        context.permissions = fresh
    return fresh


def field_key(type_name: str, field_name: str) -> str:
    """The policy object of a field: ``"Type.field"`` with GraphQL names."""
    return f"{type_name}.{field_name}"


def _is_string_field(field: GraphQLField) -> bool:
    output = field.type
    if isinstance(output, GraphQLNonNull):
        output = output.of_type
    return not isinstance(output, GraphQLList) and getattr(output, "name", None) in _STRING_SCALARS


def mask_value(value: Any, decision: Decision, plugins: Any) -> Any:
    """Apply a mask decision to one value (None stays None).

    A strategy missing from the registry hides the whole value: never fail open.
    """
    if value is None:
        return None
    strategies = getattr(plugins, "masking_strategies", None) or {}
    strategy = strategies.get(decision.strategy or "")
    text = str(value)
    if strategy is None:
        log.warning("masking strategy %r is not installed: hiding the value", decision.strategy)
        return "*" * len(text)
    return strategy.mask(text, **dict(decision.options))


def _source_address(context: Any) -> str | None:
    request = getattr(context, "request", None)
    client = getattr(request, "client", None)
    return getattr(client, "host", None)


async def _audit_unmasked(key: str, info: GraphQLResolveInfo, value: Any) -> Any:
    if inspect.isawaitable(value):
        value = await value
    operation = info.operation.name.value if info.operation.name else None
    try:
        await audit.record(
            getattr(info.context, "user", None),
            AUDIT_ACTION,
            key,
            after={"operation": operation, "path": [str(p) for p in info.path.as_list()]},
            source_address=_source_address(info.context),
        )
    except Exception as exc:
        # Fail closed: the read is refused, and the next row of this request tries again
        # (the field is not marked audited), so no value escapes an unwritten audit row.
        log.exception("could not audit the unmasked read of %s: refusing it", key)
        perms = getattr(info.context, "permissions", None)
        if perms.__class__ is RequestPermissions:
            perms.audited.discard(key)
        raise AuditUnavailable(
            f"the read of {key} cannot be audited now, so it is refused", field=key
        ) from exc
    return value


async def _mask_later(value: Awaitable[Any], decision: Decision, plugins: Any) -> Any:
    return mask_value(await value, decision, plugins)


def effective_kind(decision: Decision, maskable: bool) -> str:
    """What the guard does with ``decision`` on a field: ``allow``, ``mask`` or ``deny``.

    A mask decision on a field that is not text (``String``/``ID``) is a deny: the one rule
    both the resolver guard and the ``myPermissions`` answer follow.
    """
    if decision.kind == "mask" and not maskable:
        return "deny"
    return decision.kind


def _guard(key: str, resolve: Callable[..., Any], maskable: bool) -> Callable[..., Any]:
    def guarded(source: Any, info: GraphQLResolveInfo, **kwargs: Any) -> Any:
        perms = getattr(info.context, "permissions", None)
        if perms.__class__ is not RequestPermissions or perms.version != perms.store.version:
            perms = permissions_for(info.context)
        decision = perms.decisions.get(key)
        if decision is None:
            decision = perms.decide(key)
        if decision is ALLOW:
            return resolve(source, info, **kwargs)
        if effective_kind(decision, maskable) == "deny":
            raise FieldForbidden(f"not allowed to read {key}", field=key)
        value = resolve(source, info, **kwargs)
        if decision.kind == "mask":
            plugins = getattr(info.context, "plugins", None)
            if inspect.isawaitable(value):
                return _mask_later(value, decision, plugins)
            return mask_value(value, decision, plugins)
        if decision.audited and key not in perms.audited:
            perms.audited.add(key)
            return _audit_unmasked(key, info, value)
        return value

    guarded.__wrapped__ = resolve  # type: ignore[attr-defined]
    return guarded


def _is_guarded_type(gtype: GraphQLObjectType, roots: set[str]) -> bool:
    name = gtype.name
    if name.startswith("__") or name in roots or name == "PageInfo":
        return False
    # A business error (a member of a mutation's result union) answers the caller's own
    # request and holds no platform data: whoever may call the mutation reads it.
    if any(i.name == "BusinessError" for i in gtype.interfaces):
        return False
    return not (name.endswith("Connection") or name.endswith("Edge"))


def _root_names(core: Any) -> set[str]:
    """The names of the root types (Query, Mutation, Subscription) of a graphql-core schema."""
    return {
        t.name
        for t in (core.query_type, core.mutation_type, core.subscription_type)
        if t is not None
    }


def apply_field_permissions(schema: strawberry.Schema, *, enforce: bool = True) -> int:
    """Wrap every guarded field's resolver with its permission check (idempotent).

    Args:
        schema: the built strawberry schema.
        enforce: False restores the original resolvers (benchmarks only: never in a
            served schema).

    Returns:
        The number of fields wrapped (0 when ``enforce`` is False).
    """
    core = schema._schema
    originals: dict[tuple[str, str], Any] = getattr(schema, _ORIGINALS_ATTR, None) or {}
    roots = _root_names(core)
    wrapped = 0
    for gtype in core.type_map.values():
        if not isinstance(gtype, GraphQLObjectType) or not _is_guarded_type(gtype, roots):
            continue
        for name, gfield in gtype.fields.items():
            slot = (gtype.name, name)
            if slot not in originals:
                originals[slot] = gfield.resolve
            original = originals[slot]
            if not enforce:
                gfield.resolve = original
                continue
            gfield.resolve = _guard(
                field_key(gtype.name, name),
                original or default_field_resolver,
                _is_string_field(gfield),
            )
            wrapped += 1
    setattr(schema, _ORIGINALS_ATTR, originals)
    return wrapped


def guarded_field_keys(schema: strawberry.Schema) -> list[str]:
    """Every ``Type.field`` the permission layer guards in ``schema``, sorted."""
    core = schema._schema
    roots = _root_names(core)
    return sorted(
        field_key(t.name, f)
        for t in core.type_map.values()
        if isinstance(t, GraphQLObjectType) and _is_guarded_type(t, roots)
        for f in t.fields
    )


class FieldAccess:
    """One guarded field as one caller meets it (see :func:`field_access`).

    Attributes:
        type_name: the GraphQL type.
        field_name: the GraphQL field.
        kind: ``allow``, ``mask`` or ``deny`` - what the guard does, not the raw rule.
        strategy: the masking strategy (mask only).
    """

    __slots__ = ("field_name", "kind", "strategy", "type_name")

    def __init__(self, type_name: str, field_name: str, kind: str, strategy: str | None) -> None:
        self.type_name = type_name
        self.field_name = field_name
        self.kind = kind
        self.strategy = strategy


def field_access(schema: Any, perms: RequestPermissions) -> list[FieldAccess]:
    """Every guarded field of ``schema`` with what the guard does for ``perms``' caller.

    Computed from the same decisions (:meth:`RequestPermissions.decide`) and the same
    mask-or-deny rule (:func:`effective_kind`) the resolvers' guard uses, so the answer a
    client reads cannot drift from what it meets.

    Args:
        schema: a strawberry schema or graphql-core schema.
        perms: the caller's decisions.
    """
    core = getattr(schema, "_schema", schema)
    roots = _root_names(core)
    out: list[FieldAccess] = []
    for gtype in sorted(core.type_map.values(), key=lambda t: t.name):
        if not isinstance(gtype, GraphQLObjectType) or not _is_guarded_type(gtype, roots):
            continue
        for name, gfield in gtype.fields.items():
            key = field_key(gtype.name, name)
            decision = perms.decisions.get(key) or perms.decide(key)
            kind = effective_kind(decision, _is_string_field(gfield))
            out.append(
                FieldAccess(gtype.name, name, kind, decision.strategy if kind == "mask" else None)
            )
    return out


_SNAKE = re.compile(r"_([a-z0-9])")


def _camel(name: str) -> str:
    return _SNAKE.sub(lambda m: m.group(1).upper(), name)


def filter_record(
    subject: Any,
    domain: str | None,
    type_name: str,
    record: Mapping[str, Any],
    plugins: Any,
    *,
    store: PolicyStore | None = None,
) -> dict[str, Any]:
    """Apply the field decisions of ``type_name`` to one row (reports, exports, audit views).

    Keys may be GraphQL names (``idNumber``) or Python names (``id_number``): the policy
    object is ``type_name`` + the camelCase name. Denied keys are left out; masked values
    pass through their strategy (non-text values that a rule masks are left out too).

    Args:
        subject: a principal, a subject name (role or ``user:<name>``), or a sequence of them.
        domain: the branch code (default: the principal's branch).
        type_name: the GraphQL type of the row, e.g. ``"Person"``.
        record: the row.
        plugins: the plugin registry (for masking strategies).
        store: the policy store (default: the process-wide one).

    Returns:
        A new dict with what the subject may see.
    """
    store = store or get_policy_store()
    if isinstance(subject, str):
        subjects: tuple[str, ...] = (subject,)
        branch = domain or ""
    elif isinstance(subject, Sequence):
        subjects = tuple(subject)
        branch = domain or ""
    else:
        subjects = subjects_of(subject)
        branch = domain or getattr(subject, "branch_code", "") or ""
    out: dict[str, Any] = {}
    for name, value in record.items():
        decision = store.decide(subjects, branch, field_key(type_name, _camel(name)))
        if decision.kind == "allow":
            out[name] = value
        elif decision.kind == "mask" and (value is None or isinstance(value, str)):
            out[name] = mask_value(value, decision, plugins)
    return out
