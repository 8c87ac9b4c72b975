"""GraphQL: read and change the Casbin policy at run time (admins)."""

from __future__ import annotations

import enum
from typing import Annotated

import strawberry
from strawberry import relay

from smecredit import models
from smecredit.graphql.auth import AUDITED_BY_SERVICE, require_operation, require_user
from smecredit.graphql.pagination import Connection, SortSpec, paginate
from smecredit.graphql.results import Errors, guard
from smecredit.security.caller import signed_in
from smecredit.security.operations import can
from smecredit.security.policy import get_policy_store
from smecredit.services import policies as policy_service

__all__ = [
    "PolicyFilter",
    "PolicyMutations",
    "PolicyQueries",
    "PolicyRuleResult",
    "PolicyRuleType",
    "PolicySort",
    "RemovePolicyPayload",
]


@strawberry.type(name="PolicyRule", description="One Casbin rule (see docs/permissions.md).")
class PolicyRuleType(relay.Node):
    db_id: relay.NodeID[int]
    ptype: str = strawberry.field(description="'p' (permission) or 'g' (role link).")
    values: list[str] = strawberry.field(
        description="p: subject, domain, object, act, effect, strategy - g: member, role, domain."
    )
    line: str = strawberry.field(description="The rule as a line of the policy CSV.")
    created_by: str

    @classmethod
    def from_model(cls, row: models.PolicyRule) -> PolicyRuleType:
        values = row.rule_values()
        return cls(
            db_id=row.id,
            ptype=row.ptype,
            values=values,
            line=", ".join((row.ptype, *values)),
            created_by=row.created_by,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[PolicyRuleType | None]:
        ids = [int(i) for i in node_ids]
        user = signed_in(info.context)
        # Only those who may read the policy reach its rules; to others they do not exist.
        if user is None or not can(user, "policy.view"):
            return [None for _ in ids]
        rows = {r.id: r for r in await models.PolicyRule.filter(id__in=ids)}
        return [cls.from_model(rows[i]) if i in rows else None for i in ids]


@strawberry.input(description="Filters for policy rules; all given conditions must hold.")
class PolicyFilter:
    ptype: str | None = strawberry.field(default=None, description="'p' or 'g'.")
    subject: str | None = strawberry.field(
        default=None, description="The first value: a p rule's subject, a g rule's member."
    )
    object_prefix: str | None = strawberry.field(
        default=None, description='A p rule\'s object starting with this, e.g. "Person.".'
    )


@strawberry.enum(description="Orderings of the policy rules.")
class PolicySort(enum.Enum):
    ID_ASC = "id_asc"
    ID_DESC = "id_desc"


_POLICY_SORTS = {
    PolicySort.ID_ASC: SortSpec("id_asc", "id"),
    PolicySort.ID_DESC: SortSpec("id_desc", "id", descending=True),
}


@strawberry.type(description="Outcome of removing a policy rule.")
class RemovePolicyPayload:
    removed: int = strawberry.field(description="How many stored rules were removed (1).")


PolicyRuleResult = Annotated[PolicyRuleType | Errors, strawberry.union("PolicyRuleResult")]
RemovePolicyResult = Annotated[RemovePolicyPayload | Errors, strawberry.union("RemovePolicyResult")]


@strawberry.type
class PolicyQueries:
    @strawberry.field(
        description="The access policy in force, oldest rule first (administrators, auditors)."
    )
    async def policies(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: PolicyFilter | None = None,
        sort: PolicySort | None = None,
    ) -> Connection[PolicyRuleType]:
        require_operation(info, "policy.view")
        store = get_policy_store()
        if store.loaded_from != "database":
            await store.load_from_db()
        qs = models.PolicyRule.all()
        if filter is not None:
            if filter.ptype:
                qs = qs.filter(ptype=filter.ptype)
            if filter.subject:
                qs = qs.filter(v0=filter.subject)
            if filter.object_prefix:
                qs = qs.filter(ptype__startswith="p", v2__startswith=filter.object_prefix)
        return await paginate(
            qs,
            sort=_POLICY_SORTS[sort or PolicySort.ID_ASC],
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=PolicyRuleType.from_model,
        )


@strawberry.type
class PolicyMutations:
    # The service's audit row names the rule; the generic mutation row would only repeat it.
    @strawberry.mutation(
        description="Add a policy rule; effective at once, audited. A rule that exists "
        "already answers the code POLICY_EXISTS.",
        metadata=AUDITED_BY_SERVICE,
    )
    async def add_policy(
        self, info: strawberry.Info, values: list[str], ptype: str = "p"
    ) -> PolicyRuleResult:
        actor = require_user(info)  # UNAUTHENTICATED stays a transport-level error

        async def go() -> PolicyRuleType:
            row = await policy_service.add_rule(
                ptype,
                values,
                actor=actor,
                strategies=getattr(info.context.plugins, "masking_strategies", None),
                source_address=info.context.extra.get("address"),
            )
            return PolicyRuleType.from_model(row)

        return await guard(go())  # type: ignore[return-value]

    @strawberry.mutation(
        description="Remove a policy rule; effective at once, audited. A rule that is not "
        "stored answers the code POLICY_NOT_FOUND.",
        metadata=AUDITED_BY_SERVICE,
    )
    async def remove_policy(
        self, info: strawberry.Info, values: list[str], ptype: str = "p"
    ) -> RemovePolicyResult:
        actor = require_user(info)

        async def go() -> RemovePolicyPayload:
            removed = await policy_service.remove_rule(
                ptype,
                values,
                actor=actor,
                source_address=info.context.extra.get("address"),
            )
            return RemovePolicyPayload(removed=removed)

        return await guard(go())  # type: ignore[return-value]
