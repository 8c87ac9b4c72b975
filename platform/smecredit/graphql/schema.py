"""Assemble the strawberry schema from the per-domain Query/Mutation classes."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import strawberry
from strawberry import relay
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from smecredit.graphql.errors import DomainAwareMaskErrors
from smecredit.graphql.firms import FirmMutations, FirmQueries
from smecredit.graphql.loans import LoanQueries
from smecredit.graphql.warnings import WarningMutations, WarningQueries
from smecredit.settings import Settings

__all__ = ["CORE_MUTATIONS", "CORE_QUERIES", "CORE_SUBSCRIPTIONS", "build_schema"]


@strawberry.type
class NodeQueries:
    # An explicit resolver rather than relay.node(): that helper mutates its field
    # when a schema is built, so a second build in the same process would fail.
    @strawberry.field(description="Fetch any object by its global id (null when not visible).")
    async def node(self, info: strawberry.Info, id: relay.GlobalID) -> relay.Node | None:
        try:
            return await id.resolve_node(info, required=False)  # type: ignore[no-any-return]
        except (KeyError, ValueError):
            return None


@strawberry.type
class HealthQueries:
    @strawberry.field(description="Always 'ok': lets clients check that the API answers.")
    def ping(self) -> str:
        return "ok"


CORE_QUERIES: list[type] = [NodeQueries, HealthQueries, FirmQueries, LoanQueries, WarningQueries]
CORE_MUTATIONS: list[type] = [FirmMutations, WarningMutations]
CORE_SUBSCRIPTIONS: list[type] = []

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 4000


def build_schema(
    settings: Settings,
    *,
    extra_query: Sequence[type] = (),
    extra_mutation: Sequence[type] = (),
    extra_subscription: Sequence[type] = (),
) -> strawberry.Schema:
    """Build the schema: core types plus whatever plugins contribute."""
    query = merge_types("Query", tuple(CORE_QUERIES) + tuple(extra_query))
    mutations = tuple(CORE_MUTATIONS) + tuple(extra_mutation)
    subscriptions = tuple(CORE_SUBSCRIPTIONS) + tuple(extra_subscription)
    extensions: list[Any] = [
        partial(QueryDepthLimiter, max_depth=MAX_DEPTH),
        partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES),
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        DomainAwareMaskErrors,
    ]
    if not settings.is_dev:
        from strawberry.extensions import DisableIntrospection

        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=query,
        mutation=merge_types("Mutation", mutations) if mutations else None,
        subscription=merge_types("Subscription", subscriptions) if subscriptions else None,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=not settings.is_dev),
    )


def schema_sdl(settings: Settings) -> str:
    """The schema as SDL, as committed in ``schema/schema.graphql`` (no third-party plugins)."""
    return build_schema(settings).as_str() + "\n"
