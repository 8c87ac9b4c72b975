"""Parse and validate each document within the caller's budget, against the caller's view.

:class:`DocumentGate` takes over strawberry's parse and validation steps (it replaces
``ParserCache``, ``ValidationCache`` and ``MaxTokensLimiter``):

* **Budgets.** A caller who is not signed in (or still owes the second factor) may run
  only ``ping``, ``me`` and ``signIn`` (see :mod:`smecredit.graphql.auth`), so its
  documents are held to :data:`RESTRICTED_BUDGET` (a few hundred tokens); everybody else
  to :data:`FULL_BUDGET`. The parser stops at the budget, so an oversized document costs
  what its first tokens cost.
* **Views.** A restricted caller's document is validated against a *view* of the schema
  that holds only the root fields it may select and the types they reach (``User``,
  ``SignInResult``...). Whatever it sends - unknown fields, type conditions, variable
  types, arguments - the errors can only name what that view holds: probing with a word
  list tells it nothing about the rest of the schema. A root field outside its set is
  refused as ``UNAUTHENTICATED`` whether the field exists or not.
* **No suggestions in production.** Validation runs with graphql-core's
  ``hide_suggestions`` outside development (field, argument, type and enum-value
  suggestions), and :class:`HiddenSuggestionsExecutionContext` does the same for the
  coercion of variables at execution; :func:`strip_suggestions` removes whatever text of
  the kind remains (strawberry's own messages) as a last line.
* **Off the event loop.** Large documents are parsed and validated in a worker thread,
  so that a burst of them delays other requests by thread switches (milliseconds)
  instead of whole validations.

Parse and validation results are cached (LRU) by document text, budget and view: clients
repeat a handful of documents.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from threading import Lock
from typing import Any

import strawberry
from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSyntaxError,
    parse,
    validate,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types.graphql import OperationType

from smecredit.graphql.auth import (
    SIGN_IN_STEP_FIELDS,
    Unauthenticated,
    root_fields,
    sign_in_step,
)

__all__ = [
    "FULL_BUDGET",
    "OFFLOAD_CHARS",
    "RESTRICTED_BUDGET",
    "DocumentBudget",
    "DocumentGate",
    "HiddenSuggestionsExecutionContext",
    "SchemaViews",
    "budget_for",
    "restricted_fields",
    "strip_suggestions",
]

_VIEWS_ATTR = "_smecredit_views"
_INTROSPECTION = frozenset({"__typename", "__schema", "__type"})
#: Distinct (document, budget) parses and (document, view) validations kept.
CACHE_SIZE = 256
#: Documents longer than this are parsed and validated in a worker thread.
OFFLOAD_CHARS = 4096
_SUGGESTION = re.compile(r"\s*Did you mean\b[^?]*\?")


@dataclass(frozen=True)
class DocumentBudget:
    """How much document a caller may send.

    Attributes:
        max_tokens: lexical tokens (comments included) of the document.
        max_chars: characters of the document text.
    """

    max_tokens: int
    max_chars: int


#: Signed-in callers (the web client's largest document is well under 1,000 tokens).
FULL_BUDGET = DocumentBudget(max_tokens=4000, max_chars=256 * 1024)
#: Callers who may only run ``ping``, ``me`` and ``signIn``.
RESTRICTED_BUDGET = DocumentBudget(max_tokens=300, max_chars=4096)


def strip_suggestions(message: str) -> str:
    """``message`` without "Did you mean ...?" sentences."""
    return _SUGGESTION.sub("", message)


def restricted_fields(context: Any) -> Mapping[str, frozenset[str]] | None:
    """The root fields a network caller may select, or None when it may select any.

    In-process executions (no request) are trusted code and get the whole schema.
    """
    if getattr(context, "request", None) is None or getattr(context, "user", None) is not None:
        return None
    return sign_in_step(context)[0]


def budget_for(context: Any) -> DocumentBudget:
    """The document budget of the caller behind ``context``."""
    return FULL_BUDGET if restricted_fields(context) is None else RESTRICTED_BUDGET


def _view(core: GraphQLSchema, allowed: Mapping[str, frozenset[str]]) -> GraphQLSchema:
    def root(gtype: GraphQLObjectType | None, op: str) -> GraphQLObjectType | None:
        if gtype is None:
            return None
        fields = {n: f for n, f in gtype.fields.items() if n in allowed.get(op, frozenset())}
        return GraphQLObjectType(gtype.name, fields) if fields else None

    query = root(core.query_type, "query")
    assert query is not None, "a restricted view needs at least one query field"
    # graphql-core collects the types these roots reach (and the interfaces they implement).
    return GraphQLSchema(
        query=query,
        mutation=root(core.mutation_type, "mutation"),
        subscription=root(core.subscription_type, "subscription"),
        directives=core.directives,
    )


class SchemaViews:
    """The full schema and one restricted view per set of allowed root fields."""

    def __init__(self, core: GraphQLSchema) -> None:
        self.full = core
        self._views: dict[int, GraphQLSchema] = {}
        for allowed in SIGN_IN_STEP_FIELDS:
            self._views[id(allowed)] = _view(core, allowed)
        # Kept with the schema it belongs to: one process builds many schemas (tests).
        self._validated = _LRU(CACHE_SIZE)

    def validate(
        self,
        allowed: Mapping[str, frozenset[str]] | None,
        document: DocumentNode,
        query: str,
        rules: tuple[type[ASTValidationRule], ...],
        hide_suggestions: bool,
    ) -> list[GraphQLError]:
        """Validation errors of ``document`` (text ``query``) for a caller allowed ``allowed``."""
        schema = self.for_fields(allowed)
        key = (id(schema), query, rules, hide_suggestions)
        errors = self._validated.get(key)
        if errors is None:
            errors = validate(schema, document, rules, hide_suggestions=hide_suggestions)
            self._validated.put(key, errors)
        # A fresh list: the caller's error processing may drop or add errors.
        return list(errors)

    def for_fields(self, allowed: Mapping[str, frozenset[str]] | None) -> GraphQLSchema:
        """The schema a caller allowed ``allowed`` validates against."""
        if allowed is None:
            return self.full
        view = self._views.get(id(allowed))
        if view is None:
            view = self._views[id(allowed)] = _view(self.full, allowed)
        return view

    @staticmethod
    def attach(schema: strawberry.Schema) -> SchemaViews:
        """Build the views of ``schema`` (once) and keep them on it."""
        views = getattr(schema, _VIEWS_ATTR, None)
        if views is None:
            views = SchemaViews(schema._schema)
            setattr(schema, _VIEWS_ATTR, views)
        return views  # type: ignore[no-any-return]


class _LRU:
    """A small thread-safe LRU (parses and validations run in worker threads too)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[Any, Any] = OrderedDict()
        self.lock = Lock()

    def get(self, key: Any) -> Any:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: Any, value: Any) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_parsed = _LRU(CACHE_SIZE)


def _parse(query: str, budget: DocumentBudget) -> DocumentNode:
    key = (query, budget)
    document = _parsed.get(key)
    if document is None:
        document = parse(query, max_tokens=budget.max_tokens, max_source_length=budget.max_chars)
        _parsed.put(key, document)
    return document  # type: ignore[no-any-return]


def _refusal(
    document: DocumentNode, operation_name: str | None, context: Any
) -> GraphQLError | None:
    allowed = restricted_fields(context)
    if allowed is None:
        return None
    # The same rule and words as AuthenticationGuard, answered before validation so that
    # an unknown field and an existing one answer alike.
    denied: set[str] = set()
    for definition in document.definitions:
        operation = getattr(definition, "operation", None)
        name = getattr(getattr(definition, "name", None), "value", None)
        if operation is None or (operation_name is not None and name != operation_name):
            continue
        permitted = allowed.get(operation.value, frozenset())
        denied.update(
            field
            for _, field in root_fields(document, name)
            if field not in permitted and field not in _INTROSPECTION
        )
    if not denied:
        return None
    step = sign_in_step(context)[1]
    error = Unauthenticated(f"{step}: {', '.join(sorted(denied))} needs a signed-in user")
    return GraphQLError(error.message, original_error=error, extensions={"code": error.code})


class DocumentGate(SchemaExtension):
    """Parses within the caller's budget and validates against the caller's view.

    Args:
        hide_suggestions: validate without "Did you mean" suggestions (production).
        budgets: False gives every caller the full budget and keeps parsing and validation
            on the event loop (benchmarks only: the "before" of ``benchmarks/``).
    """

    def __init__(self, *, hide_suggestions: bool, budgets: bool = True) -> None:
        super().__init__()
        self.hide_suggestions = hide_suggestions
        self.budgets = budgets
        self.offload_chars = OFFLOAD_CHARS if budgets else None
        self.refusal: GraphQLError | None = None

    def _offload(self, query: str) -> bool:
        return self.offload_chars is not None and len(query) > self.offload_chars

    async def on_parse(self) -> AsyncIterator[None]:  # type: ignore[override]
        ec = self.execution_context
        if ec.graphql_document is None and ec.query:
            budget = budget_for(ec.context) if self.budgets else FULL_BUDGET
            query = ec.query
            try:
                if self._offload(query):
                    ec.graphql_document = await asyncio.to_thread(_parse, query, budget)
                else:
                    ec.graphql_document = _parse(query, budget)
            except GraphQLSyntaxError as error:
                if self.hide_suggestions:
                    error.message = strip_suggestions(error.message)
                raise
        yield

    async def on_validate(self) -> AsyncIterator[None]:  # type: ignore[override]
        ec = self.execution_context
        document = ec.graphql_document
        if document is not None and ec.pre_execution_errors is None:
            context = ec.context
            refusal = _refusal(document, ec.operation_name, context)
            if refusal is not None:
                self.refusal = refusal
                if ec.operation_type is OperationType.SUBSCRIPTION:
                    ec.pre_execution_errors = [refusal]
                else:
                    # Refused at execution, without running it, so that MutationAudit
                    # records the refusal as for any other refused mutation.
                    ec.pre_execution_errors = []
            else:
                views = SchemaViews.attach(ec.schema)
                rules = (
                    *ec.validation_rules,
                    MaybeNullValidationRule,
                    OneOfInputValidationRule,
                )
                query = ec.query or ""
                arguments = (
                    restricted_fields(context),
                    document,
                    query,
                    rules,
                    self.hide_suggestions,
                )
                if self._offload(query):
                    ec.pre_execution_errors = await asyncio.to_thread(views.validate, *arguments)
                else:
                    ec.pre_execution_errors = views.validate(*arguments)
        yield

    def on_execute(self) -> Iterator[None]:
        if self.refusal is not None:
            # The document was not validated: it must never reach graphql-core's executor.
            self.execution_context.result = GraphQLExecutionResult(data=None, errors=[self.refusal])
        yield


class HiddenSuggestionsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Coerces variables without "Did you mean" text (enum values, input fields)."""

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs["hide_suggestions"] = True
        return super().build(*args, **kwargs)
