"""Turn the GraphQL fields plugins contribute into ``build_schema`` arguments.

Plugins return :class:`smecredit.sdk.GraphQLContribution` objects from the
``graphql_types()`` hook; :func:`schema_contributions` checks them and groups them by root
type::

    schema = build_schema(settings, **schema_contributions(registry))

strawberry's ``merge_types`` only *warns* when two types define the same field and lets the
last one win, so clashes are caught here instead: a field contributed by two plugins, or
clashing with a core field, stops start-up with ``PLUGIN_CONFLICT`` naming both owners. A
contribution that is not a strawberry type, or whose mutation rules
(``GraphQLContribution.operations``) the authorisation table refuses, is a bug of that
plugin alone: the plugin is marked failed and the others keep their fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from strawberry.schema.name_converter import NameConverter
from strawberry.types.base import has_object_definition

from smecredit.plugins import PluginConflictError, PluginRegistry
from smecredit.security.operations import OperationError, register_operations

__all__ = ["ROLES", "field_names", "schema_contributions"]

#: GraphQLContribution attribute -> build_schema keyword.
ROLES: Mapping[str, str] = {
    "query": "extra_query",
    "mutation": "extra_mutation",
    "subscription": "extra_subscription",
}


def field_names(strawberry_type: type) -> list[str]:
    """The GraphQL field names a strawberry type contributes (camelCase, as served)."""
    definition = strawberry_type.__strawberry_definition__  # type: ignore[attr-defined]
    # build_schema keeps strawberry's default naming (auto camelCase).
    converter = NameConverter()
    return [converter.from_field(f) for f in definition.fields]


def _core_types() -> dict[str, Sequence[type]]:
    from smecredit.graphql import schema

    return {
        "query": schema.CORE_QUERIES,
        "mutation": schema.CORE_MUTATIONS,
        "subscription": schema.CORE_SUBSCRIPTIONS,
    }


def schema_contributions(
    registry: PluginRegistry, *, core: Mapping[str, Iterable[type]] | None = None
) -> dict[str, tuple[type, ...]]:
    """Group the active plugins' GraphQL types by root type, refusing clashes.

    Args:
        registry: the loaded plugins.
        core: the core's types per role (``query``/``mutation``/``subscription``), whose
            field names plugins may not reuse; default the ones of
            :mod:`smecredit.graphql.schema`.

    Returns:
        ``{"extra_query": (...), "extra_mutation": (...), "extra_subscription": (...)}``.

    Raises:
        PluginConflictError: a field name is contributed twice (``PLUGIN_CONFLICT``).
    """
    core_types = _core_types() if core is None else core
    owners: dict[tuple[str, str], str] = {}
    for role in ROLES:
        for core_type in core_types.get(role, ()):
            for name in field_names(core_type):
                owners[(role, name)] = "the core"

    grouped: dict[str, list[type]] = {keyword: [] for keyword in ROLES.values()}
    for plugin_name, contributions in list(registry.graphql_contributions.items()):
        chosen = _plugin_types(registry, plugin_name, contributions)
        if chosen is None or not _register_operations(registry, plugin_name, contributions):
            continue
        for role, strawberry_type in chosen:
            for name in field_names(strawberry_type):
                owner = owners.get((role, name))
                if owner is not None:
                    raise PluginConflictError(_clash(role, name, owner, plugin_name))
                owners[(role, name)] = plugin_name
            grouped[ROLES[role]].append(strawberry_type)
    return {keyword: tuple(types) for keyword, types in grouped.items()}


def _clash(role: str, name: str, owner: str, plugin_name: str) -> str:
    if owner == plugin_name:
        by = f"twice by plugin {plugin_name!r}"
    elif owner == "the core":
        by = f"by the core and by plugin {plugin_name!r}"
    else:
        by = f"by plugins {owner!r} and {plugin_name!r}"
    return (
        f"GraphQL {role} field {name!r} is defined {by}; disable one of the plugins with "
        "SMECREDIT_PLUGINS_DISABLED or rename the field"
    )


def _register_operations(
    registry: PluginRegistry, plugin_name: str, contributions: Iterable[object]
) -> bool:
    """Add the rules of a plugin's mutations to the authorisation table (False: refused)."""
    for contribution in contributions:
        operations = dict(getattr(contribution, "operations", None) or {})
        try:
            register_operations(
                operations.values(), {field: op.name for field, op in operations.items()}
            )
        except (OperationError, AttributeError) as error:
            registry.fail(plugin_name, f"graphql_types: operations: {error}")
            return False
    return True


def _plugin_types(
    registry: PluginRegistry, plugin_name: str, contributions: Iterable[object]
) -> list[tuple[str, type]] | None:
    chosen: list[tuple[str, type]] = []
    for contribution in contributions:
        for role in ROLES:
            value = getattr(contribution, role, None)
            if value is None:
                continue
            if not isinstance(value, type) or not has_object_definition(value):
                registry.fail(
                    plugin_name,
                    f"graphql_types: {role} {value!r} is not a strawberry type "
                    "(decorate the class with @strawberry.type)",
                )
                return None
            chosen.append((role, value))
    return chosen
