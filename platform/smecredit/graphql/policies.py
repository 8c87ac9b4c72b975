"""GraphQL: read and change the Casbin policy at run time (admins)."""

from __future__ import annotations

import strawberry

from smecredit import models
from smecredit.graphql.auth import AUDITED_BY_SERVICE, require_operation, require_user
from smecredit.security.policy import get_policy_store
from smecredit.services import policies as policy_service

__all__ = ["PolicyMutations", "PolicyQueries", "PolicyRuleType"]


@strawberry.type(name="PolicyRule", description="One Casbin rule (see docs/permissions.md).")
class PolicyRuleType:
    id: int
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
            id=row.id,
            ptype=row.ptype,
            values=values,
            line=", ".join((row.ptype, *values)),
            created_by=row.created_by,
        )


@strawberry.type
class PolicyQueries:
    @strawberry.field(description="The access policy in force (administrators, auditors).")
    async def policies(self, info: strawberry.Info) -> list[PolicyRuleType]:
        require_operation(info, "policy.view")
        store = get_policy_store()
        if store.loaded_from != "database":
            await store.load_from_db()
        return [PolicyRuleType.from_model(r) for r in await policy_service.list_rules()]


@strawberry.type
class PolicyMutations:
    # The service's audit row names the rule; the generic mutation row would only repeat it.
    @strawberry.mutation(
        description="Add a policy rule; effective at once, audited.", metadata=AUDITED_BY_SERVICE
    )
    async def add_policy(
        self, info: strawberry.Info, values: list[str], ptype: str = "p"
    ) -> PolicyRuleType:
        plugins = info.context.plugins
        row = await policy_service.add_rule(
            ptype,
            values,
            actor=require_user(info),
            strategies=getattr(plugins, "masking_strategies", None),
            source_address=info.context.extra.get("address"),
        )
        return PolicyRuleType.from_model(row)

    @strawberry.mutation(
        description="Remove a policy rule; effective at once, audited.",
        metadata=AUDITED_BY_SERVICE,
    )
    async def remove_policy(
        self, info: strawberry.Info, values: list[str], ptype: str = "p"
    ) -> bool:
        await policy_service.remove_rule(
            ptype,
            values,
            actor=require_user(info),
            source_address=info.context.extra.get("address"),
        )
        return True
