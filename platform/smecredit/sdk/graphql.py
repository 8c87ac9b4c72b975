"""GraphQL contributions and the authorisation helpers their resolvers use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from smecredit.security.operations import Operation, authorize, require_in_scope
from smecredit.security.operations import Scope as OperationScope

__all__ = ["GraphQLContribution", "Operation", "OperationScope", "authorize", "require_in_scope"]


@dataclass(frozen=True, slots=True)
class GraphQLContribution:
    """GraphQL fields a plugin adds, returned from the ``graphql_types()`` hook.

    Each attribute is a strawberry type (``@strawberry.type class ...``) whose fields are
    merged into the root type of the same role; field names must not clash with the core's
    or another plugin's.

    Every mutation field needs a rule in the platform's authorisation table: give it in
    ``operations`` (mutation field name, camelCase as served -> :class:`Operation`). A
    mutation without one is refused to every caller (``FORBIDDEN``). The resolver should
    check the operation again with the object's branch where it has one (SDK 1.2).

    Attributes:
        query: fields added to ``Query``.
        mutation: fields added to ``Mutation``.
        subscription: fields added to ``Subscription``.
        operations: the rule of each mutation field of ``mutation``.
    """

    query: type | None = None
    mutation: type | None = None
    subscription: type | None = None
    operations: Mapping[str, Operation] = field(default_factory=dict)
