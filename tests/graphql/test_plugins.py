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
from smecredit.sdk import GraphQLContribution, Operation, OperationScope, hookimpl
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


#: The rule of the test plugin's mutation in the authorisation table.
ECHO = Operation("plugin_hello.echo", frozenset({"admin"}), OperationScope.GLOBAL, "echo text")


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
        contributing(
            "hello",
            GraphQLContribution(
                query=HelloQuery, mutation=HelloMutation, operations={"pluginEcho": ECHO}
            ),
        ),
        contributing("broken", GraphQLContribution(query=NotStrawberry)),
    )
    extra = schema_contributions(registry)
    assert extra["extra_query"] == (HelloQuery,) and extra["extra_mutation"] == (HelloMutation,)
    schema = build_schema(Settings(), **extra)
    context = admin_context(registry)
    result = await schema.execute(
        '{ pluginHello(name: "bank") plugins { name status statusLabel hooks error } }',
        context_value=context,
    )
    assert result.errors is None
    assert result.data is not None
    assert result.data["pluginHello"] == "hello bank"
    by_name = {p["name"]: p for p in result.data["plugins"]}
    assert by_name["hello"] == {
        "name": "hello",
        "status": "ACTIVE",
        "statusLabel": "已启用",  # the context's language: the settings' default, zh-CN
        "hooks": ["graphql_types"],
        "error": None,
    }
    assert by_name["broken"]["status"] == "FAILED"
    assert "is not a strawberry type" in by_name["broken"]["error"]
    mutation = await schema.execute('mutation { pluginEcho(text: "x") }', context_value=context)
    assert mutation.errors is None and mutation.data == {"pluginEcho": "x"}


async def test_a_plugin_mutation_runs_only_under_its_rule() -> None:
    registry = registry_of(
        contributing(
            "hello",
            GraphQLContribution(mutation=HelloMutation, operations={"pluginEcho": ECHO}),
        )
    )
    schema = build_schema(Settings(), **schema_contributions(registry))
    viewer = SimpleNamespace(username="v", roles=("viewer",), branch_code="HQ")
    refused = await schema.execute(
        'mutation { pluginEcho(text: "x") }',
        context_value=Context(request=None, settings=Settings(), plugins=registry, user=viewer),
    )
    assert refused.errors and refused.errors[0].extensions["code"] == "FORBIDDEN"
    assert "echo text" in refused.errors[0].extensions["detail"]  # message: in zh-CN


async def test_a_plugin_mutation_without_a_rule_is_refused_to_everyone() -> None:
    @strawberry.type
    class Unruled:
        @strawberry.field
        def plugin_unruled(self) -> str:
            return "ran"

    registry = registry_of(contributing("unruled", GraphQLContribution(mutation=Unruled)))
    schema = build_schema(Settings(), **schema_contributions(registry))
    result = await schema.execute(
        "mutation { pluginUnruled }", context_value=admin_context(registry)
    )
    assert result.errors and result.errors[0].extensions["code"] == "FORBIDDEN"
    assert "no rule in the authorisation table" in result.errors[0].extensions["detail"]


async def test_a_plugin_rule_with_an_unknown_role_fails_that_plugin() -> None:
    bad = Operation("plugin_bad.echo", frozenset({"wizard"}), OperationScope.GLOBAL, "echo")
    registry = registry_of(
        contributing(
            "bad", GraphQLContribution(mutation=HelloMutation, operations={"pluginEcho": bad})
        )
    )
    assert schema_contributions(registry)["extra_mutation"] == ()
    info = registry.plugin("bad")
    assert info is not None and "unknown roles ['wizard']" in (info.error or "")


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
