"""What the signed-in caller may see and do: ``myPermissions`` and ``allowedActions(id:)``.

Nothing here keeps a list of its own. Field visibility is what the resolvers' guard does
(:func:`smecredit.graphql.permissions.field_access`, over the same Casbin decisions and
masking rule); operations are the authorisation table
(:data:`smecredit.security.operations.MUTATION_OPERATIONS` and each operation's roles);
the actions on one object are the object's own ``allowedActions`` field (for loan
applications: the lifecycle state machine), reached through ``node(id:)`` so the row
scope applies, and kept only where the table lets the caller take the operation.

An allowed action is named by the mutation that takes it, exactly as the schema spells the
field (``approveApplication``, ``startReview``), so a client calls what it was told.
"""

from __future__ import annotations

import enum
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types.base import get_object_definition

from smecredit.domain.loan_states import Action as LifecycleAction
from smecredit.graphql.accounts import OperationScope
from smecredit.graphql.auth import require_user
from smecredit.graphql.permissions import field_access, permissions_for
from smecredit.security.operations import (
    LIFECYCLE_OPERATIONS,
    MUTATION_OPERATIONS,
    OPERATIONS,
)

__all__ = [
    "AllowedActionType",
    "FieldAccessKind",
    "FieldPermissionType",
    "MyPermissionsType",
    "OperationPermissionType",
    "PermissionQueries",
    "TypePermissionsType",
]


@strawberry.enum(name="FieldAccess", description="What the caller meets on a field.")
class FieldAccessKind(enum.Enum):
    VISIBLE = "visible"
    MASKED = "masked"
    DENIED = "denied"


_KINDS = {"allow": FieldAccessKind.VISIBLE, "mask": FieldAccessKind.MASKED}


@strawberry.type(name="FieldPermission", description="One field as the caller meets it.")
class FieldPermissionType:
    field: str = strawberry.field(description="The GraphQL field name.")
    access: FieldAccessKind = strawberry.field(
        description="VISIBLE, MASKED (through the strategy) or DENIED (null and FORBIDDEN)."
    )
    strategy: str | None = strawberry.field(
        description="The masking strategy (MASKED only), e.g. person_name."
    )


@strawberry.type(name="TypePermissions", description="The fields of one type for the caller.")
class TypePermissionsType:
    type_name: str = strawberry.field(description="The GraphQL type name.")
    fields: list[FieldPermissionType] = strawberry.field(description="Every field of the type.")


@strawberry.type(
    name="OperationPermission", description="One mutation and whether you may call it."
)
class OperationPermissionType:
    mutation: str = strawberry.field(description="The mutation field name.")
    operation: str = strawberry.field(description="Its operation in the authorisation table.")
    scope: OperationScope = strawberry.field(description="PUBLIC, SELF, GLOBAL or BRANCH.")
    allowed: bool = strawberry.field(
        description="Whether your roles allow it (a branch operation: on your branches only)."
    )


@strawberry.type(name="MyPermissions", description="What the signed-in user may see and do.")
class MyPermissionsType:
    roles: list[str] = strawberry.field(description="Your roles.")
    branch_code: str | None = strawberry.field(description="Your branch (null: none).")
    types: list[TypePermissionsType] = strawberry.field(
        description="Every type the field policy covers, field by field."
    )
    operations: list[OperationPermissionType] = strawberry.field(
        description="Every mutation of this API, and whether you may call it."
    )


@strawberry.type(name="AllowedAction", description="One action you may take on an object now.")
class AllowedActionType:
    mutation: str = strawberry.field(
        description="The mutation that takes the action, as the schema names the field "
        "(e.g. submitApplication, approveApplication): call it with the object's id."
    )
    operation: str = strawberry.field(description="Its operation in the authorisation table.")
    scope: OperationScope = strawberry.field(description="Where the operation applies.")


def _mutations_of(schema: Any) -> list[str]:
    core = getattr(schema, "_schema", schema)
    mutation_type = core.mutation_type
    return sorted(mutation_type.fields) if mutation_type is not None else []


async def _object_actions(node: Any, info: strawberry.Info) -> list[str]:
    """The node's own ``allowedActions`` answer (empty for types that have none)."""
    definition = get_object_definition(type(node))
    field = None if definition is None else definition.get_field("allowed_actions")
    resolver = None if field is None else field.base_resolver
    if resolver is None:
        return []
    call: Any = resolver.wrapped_func  # the method itself: (self, info)
    result = call(node, info)
    if hasattr(result, "__await__"):
        result = await result
    return list(result)


def _operation_of(value: Any) -> str:
    """The operation of one ``allowedActions`` value of a node: a lifecycle action
    (``submit``) or already the mutation's name (``submitApplication``)."""
    raw = value.value if isinstance(value, enum.Enum) else value
    if raw in MUTATION_OPERATIONS:
        return MUTATION_OPERATIONS[raw]
    try:
        return LIFECYCLE_OPERATIONS.get(LifecycleAction(raw)) or ""
    except ValueError:  # not an action this API knows: nothing to allow
        return ""


@strawberry.type
class PermissionQueries:
    @strawberry.field(
        description="What you may see (each type's fields: visible, masked or denied) and do "
        "(each mutation), from the same policy and table that enforce them."
    )
    def my_permissions(self, info: strawberry.Info) -> MyPermissionsType:
        user = require_user(info)
        perms = permissions_for(info.context)
        by_type: dict[str, list[FieldPermissionType]] = {}
        for entry in field_access(info.schema, perms):
            by_type.setdefault(entry.type_name, []).append(
                FieldPermissionType(
                    field=entry.field_name,
                    access=_KINDS.get(entry.kind, FieldAccessKind.DENIED),
                    strategy=entry.strategy,
                )
            )
        operations = []
        for name in _mutations_of(info.schema):
            op = OPERATIONS.get(MUTATION_OPERATIONS.get(name, ""))
            if op is None:  # no rule: the operation guard refuses it (fail closed)
                continue
            operations.append(
                OperationPermissionType(
                    mutation=name,
                    operation=op.name,
                    scope=OperationScope(op.scope.value),
                    allowed=op.allows(user),
                )
            )
        return MyPermissionsType(
            roles=list(user.roles),
            branch_code=user.branch_code or None,
            types=[TypePermissionsType(type_name=t, fields=f) for t, f in by_type.items()],
            operations=operations,
        )

    @strawberry.field(
        description="The actions you may take on the object now (null: no such object in "
        "your scope). Objects with a lifecycle (loan applications) answer their allowed "
        "transitions; others answer an empty list."
    )
    async def allowed_actions(
        self, info: strawberry.Info, id: relay.GlobalID
    ) -> list[AllowedActionType] | None:
        from smecredit.graphql.schema import resolve_node_by_id  # the schema imports us

        user = require_user(info)
        # node(id:)'s own path: the id is validated and the row scope applies.
        node = await resolve_node_by_id(info, id)
        if node is None:
            return None
        mutations = _mutations_of(info.schema)
        out: list[AllowedActionType] = []
        seen: set[str] = set()
        for value in await _object_actions(node, info):
            op = OPERATIONS.get(_operation_of(value))
            if op is None or not op.allows(user):
                continue
            # A lifecycle action may be taken by more than one mutation: one entry each.
            for name in mutations:
                if MUTATION_OPERATIONS.get(name) == op.name and name not in seen:
                    seen.add(name)
                    out.append(
                        AllowedActionType(
                            mutation=name,
                            operation=op.name,
                            scope=OperationScope(op.scope.value),
                        )
                    )
        return out
