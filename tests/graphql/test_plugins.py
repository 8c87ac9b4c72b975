"""GraphQL side of plugins: the ``plugins`` query and plugin-contributed fields."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import strawberry

from smecredit.graphql.context import Context
from smecredit.graphql.plugin_fields import schema_contributions
from smecredit.graphql.schema import build_schema
from smecredit.plugins import PluginConflictError, PluginRegistry, load_plugins
from smecredit.sdk import GraphQLContribution, hookimpl
from smecredit.settings import Settings

pytestmark = pytest.mark.anyio


@strawberry.type
class HelloQuery:
    @strawberry.field
    def plugin_hello(self, name: str) -> str:
        return f"hello {name}"


@strawberry.type
class HelloMutation:
    @strawberry.field
    def plugin_echo(self, text: str) -> str:
        return text


@strawberry.type
class PingQuery:  # clashes with the core's health field
    @strawberry.field
    def ping(self) -> str:
        return "plugin ping"


class NotStrawberry:
    pass


def contributing(plugin_name: str, *contributions: object) -> object:
    class Plugin:
        @hookimpl
        def graphql_types(self) -> list[Any]:
            return list(contributions)

    Plugin.__name__ = plugin_name
    return Plugin()


# In-process execution is trusted by the authentication guard; field permissions still
# apply, so the context carries an administrator.
ADMIN = SimpleNamespace(username="plugin-test-admin", roles=("admin",), branch_code="HQ")


def admin_context(registry: PluginRegistry) -> Context:
    return Context(request=None, settings=Settings(), plugins=registry, user=ADMIN)


def registry_of(*plugins: object) -> PluginRegistry:
    return load_plugins(Settings(), extra_plugins=plugins, entry_points=False)


async def test_plugin_fields_are_merged_and_the_plugins_query_reports_status() -> None:
    registry = registry_of(
        contributing("hello", GraphQLContribution(query=HelloQuery, mutation=HelloMutation)),
        contributing("broken", GraphQLContribution(query=NotStrawberry)),
    )
    extra = schema_contributions(registry)
    assert extra["extra_query"] == (HelloQuery,) and extra["extra_mutation"] == (HelloMutation,)
    schema = build_schema(Settings(), **extra)
    context = admin_context(registry)
    result = await schema.execute(
        '{ pluginHello(name: "bank") plugins { name status hooks error } }',
        context_value=context,
    )
    assert result.errors is None
    assert result.data is not None
    assert result.data["pluginHello"] == "hello bank"
    by_name = {p["name"]: p for p in result.data["plugins"]}
    assert by_name["hello"] == {
        "name": "hello",
        "status": "ACTIVE",
        "hooks": ["graphql_types"],
        "error": None,
    }
    assert by_name["broken"]["status"] == "FAILED"
    assert "is not a strawberry type" in by_name["broken"]["error"]
    mutation = await schema.execute('mutation { pluginEcho(text: "x") }', context_value=context)
    assert mutation.errors is None and mutation.data == {"pluginEcho": "x"}


async def test_objects_with_query_attributes_are_accepted() -> None:
    class Bare:
        query = HelloQuery

    registry = registry_of(contributing("bare", Bare()))
    assert schema_contributions(registry)["extra_query"] == (HelloQuery,)


@pytest.mark.parametrize(
    ("plugins", "message"),
    [
        (
            [
                contributing("first", GraphQLContribution(query=HelloQuery)),
                contributing("second", GraphQLContribution(query=HelloQuery)),
            ],
            "'pluginHello' is defined by plugins 'first' and 'second'",
        ),
        (
            [contributing("pinger", GraphQLContribution(query=PingQuery))],
            "'ping' is defined by the core and by plugin 'pinger'",
        ),
    ],
)
async def test_clashing_fields_stop_start_up(plugins: list[object], message: str) -> None:
    registry = registry_of(*plugins)
    with pytest.raises(PluginConflictError, match=message) as caught:
        schema_contributions(registry)
    assert caught.value.code == "PLUGIN_CONFLICT"


async def test_the_app_factory_merges_plugin_fields() -> None:
    from smecredit.app import create_app

    registry = registry_of(contributing("hello", GraphQLContribution(query=HelloQuery)))
    app = create_app(Settings(), manage_db=False, plugins=registry)
    assert app.state.plugins is registry
    result = await app.state.schema.execute(
        '{ pluginHello(name: "a") }', context_value=admin_context(registry)
    )
    assert result.errors is None and result.data == {"pluginHello": "hello a"}
