"""Assemble the strawberry schema from the per-domain Query/Mutation classes."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import strawberry
from graphql import ASTValidationRule
from strawberry import relay
from strawberry.extensions import AddValidationRules
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule
from strawberry.relay.types import GlobalIDValueError
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from smecredit.errors import InvalidInput
from smecredit.graphql.accounts import AccountMutations, AccountQueries, AuditQueries
from smecredit.graphql.arguments import apply_argument_checks
from smecredit.graphql.auth import AuthenticationGuard, MutationAudit
from smecredit.graphql.cob import CobMutations, CobQueries
from smecredit.graphql.compliance import ComplianceMutations, ComplianceQueries
from smecredit.graphql.credit_policy import CreditPolicyMutations, CreditPolicyQueries
from smecredit.graphql.decision_alerts import DecisionAlertMutations, DecisionAlertQueries
from smecredit.graphql.decision_support import DecisionSupportMutations, DecisionSupportQueries
from smecredit.graphql.decisions import DecisionMutations, DecisionQueries
from smecredit.graphql.documents import (
    FULL_BUDGET,
    DocumentGate,
    HiddenSuggestionsExecutionContext,
    SchemaViews,
)
from smecredit.graphql.errors import DomainAwareMaskErrors
from smecredit.graphql.firms import FirmMutations, FirmQueries
from smecredit.graphql.ingestion import IngestionMutations, IngestionQueries
from smecredit.graphql.jobs import JobMutations, JobQueries, JobSubscriptions
from smecredit.graphql.labels import LabelQueries
from smecredit.graphql.lending.loans import LoanQueries
from smecredit.graphql.lending.mutations import LendingMutations
from smecredit.graphql.lending.queries import LendingQueries
from smecredit.graphql.lending.subscriptions import LendingSubscriptions
from smecredit.graphql.my_permissions import PermissionQueries
from smecredit.graphql.operation_rules import apply_operation_rules
from smecredit.graphql.permissions import apply_field_permissions
from smecredit.graphql.plugins import PluginQueries
from smecredit.graphql.policies import PolicyMutations, PolicyQueries
from smecredit.graphql.portfolio import PortfolioQueries
from smecredit.graphql.reports import ReportMutations, ReportQueries
from smecredit.graphql.scoring import ScoringMutations, ScoringQueries
from smecredit.graphql.warnings.mutations import WarningMutations
from smecredit.graphql.warnings.queries import WarningQueries
from smecredit.graphql.warnings.subscriptions import WarningSubscriptions
from smecredit.settings import Settings

__all__ = [
    "CORE_MUTATIONS",
    "CORE_QUERIES",
    "CORE_SUBSCRIPTIONS",
    "build_schema",
    "resolve_node_by_id",
    "schema_sdl",
]


async def resolve_node_by_id(info: strawberry.Info, id: relay.GlobalID) -> relay.Node | None:
    """The object ``id`` names, if visible to the caller (its type's row scope applies).

    Raises:
        InvalidInput: ``INVALID_ID`` when the id is malformed.
    """
    try:
        node_type = id.resolve_type(info)
    except GlobalIDValueError:
        raise InvalidInput(
            f"{id} is not an object id: {id.type_name!r} is not a type of this API",
            code="INVALID_ID",
        ) from None
    # Core node types key on integers; a non-numeric key cannot name a row.
    if node_type.__module__.startswith("smecredit.graphql.") and not id.node_id.isdigit():
        raise InvalidInput(
            f"{id} is not a valid {id.type_name} id (its key must be a number)",
            code="INVALID_ID",
        )
    return await id.resolve_node(info, required=False)  # type: ignore[no-any-return]


@strawberry.type
class NodeQueries:
    # An explicit resolver rather than relay.node(): that helper mutates its field
    # when a schema is built, so a second build in the same process would fail.
    @strawberry.field(
        description=(
            "Fetch any object by its global id: null when it does not exist or is not "
            "visible to you, INVALID_ID when the id is malformed."
        )
    )
    async def node(self, info: strawberry.Info, id: relay.GlobalID) -> relay.Node | None:
        return await resolve_node_by_id(info, id)


@strawberry.type
class HealthQueries:
    @strawberry.field(description="Always 'ok': lets clients check that the API answers.")
    def ping(self) -> str:
        return "ok"


#: The core's root types, one class per domain, in schema order.
CORE_QUERIES: list[type] = [
    NodeQueries,
    HealthQueries,
    FirmQueries,
    LoanQueries,
    PortfolioQueries,
    WarningQueries,
    AccountQueries,
    AuditQueries,
    PluginQueries,
    PermissionQueries,
    LabelQueries,
    PolicyQueries,
    LendingQueries,
    CobQueries,
    ScoringQueries,
    IngestionQueries,
    CreditPolicyQueries,
    DecisionSupportQueries,
    DecisionQueries,
    JobQueries,
    ComplianceQueries,
    DecisionAlertQueries,
    ReportQueries,
]
CORE_MUTATIONS: list[type] = [
    FirmMutations,
    WarningMutations,
    AccountMutations,
    PolicyMutations,
    LendingMutations,
    CobMutations,
    IngestionMutations,
    ScoringMutations,
    CreditPolicyMutations,
    DecisionSupportMutations,
    DecisionMutations,
    JobMutations,
    ComplianceMutations,
    DecisionAlertMutations,
    ReportMutations,
]
CORE_SUBSCRIPTIONS: list[type] = [LendingSubscriptions, WarningSubscriptions, JobSubscriptions]

MAX_DEPTH = 10
MAX_ALIASES = 30
#: Tokens of a signed-in caller's document (anonymous callers get far fewer: see
#: :mod:`smecredit.graphql.documents`).
MAX_TOKENS = FULL_BUDGET.max_tokens


def build_schema(
    settings: Settings,
    *,
    extra_query: Sequence[type] = (),
    extra_mutation: Sequence[type] = (),
    extra_subscription: Sequence[type] = (),
    budgets: bool = True,
) -> strawberry.Schema:
    """Build the schema: core types plus whatever plugins contribute.

    ``budgets=False`` lifts the anonymous document budget (benchmarks only).
    """
    query = merge_types("Query", tuple(CORE_QUERIES) + tuple(extra_query))
    mutations = tuple(CORE_MUTATIONS) + tuple(extra_mutation)
    subscriptions = tuple(CORE_SUBSCRIPTIONS) + tuple(extra_subscription)
    # The depth and alias rules are the QueryDepthLimiter and MaxAliasesLimiter rules,
    # built once here: those extensions make a new rule class per request, which
    # would defeat ValidationCache (it keys on the rule classes).
    limits: list[type[ASTValidationRule]] = [
        max_depth_rule(MAX_DEPTH, None),
        max_aliases_rule(MAX_ALIASES),
    ]
    hide_suggestions = not settings.is_dev
    extensions: list[Any] = [
        partial(AddValidationRules, limits),
        # Parse within the caller's token budget, validate against the caller's view of
        # the schema (anonymous callers see only ping, me and signIn), both cached.
        partial(DocumentGate, hide_suggestions=hide_suggestions, budgets=budgets),
        partial(DomainAwareMaskErrors, hide_suggestions=hide_suggestions),
        # Refuse unauthenticated operations before execution, then audit every mutation.
        AuthenticationGuard,
        MutationAudit,
    ]
    if not settings.is_dev:
        from strawberry.extensions import DisableIntrospection

        extensions.append(DisableIntrospection)
    schema = strawberry.Schema(
        query=query,
        mutation=merge_types("Mutation", mutations) if mutations else None,
        subscription=merge_types("Subscription", subscriptions) if subscriptions else None,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=hide_suggestions),
        execution_context_class=HiddenSuggestionsExecutionContext if hide_suggestions else None,
    )
    SchemaViews.attach(schema)
    # Every argument checked by its type and the table of graphql.arguments. Applied
    # first, so that the permission and operation checks below wrap it and run before.
    apply_argument_checks(schema)
    # Field-level permissions: every object field's resolver checked once per request.
    apply_field_permissions(schema)
    # Operation rules: every mutation refused unless the authorisation table allows it.
    apply_operation_rules(schema)
    return schema


def schema_sdl(settings: Settings) -> str:
    """The schema as SDL, as committed in ``schema/schema.graphql`` (no third-party plugins)."""
    return build_schema(settings).as_str() + "\n"
