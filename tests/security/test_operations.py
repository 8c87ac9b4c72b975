"""The authorisation table of operations: complete, consistent, and what GraphQL enforces.

* every mutation of the built schema (plugins' included) has a rule, every rule names known
  roles, and the lifecycle steps have exactly the lifecycle's own roles;
* every ``smecredit`` command is either read-only or takes an operation, and says which;
* the role x mutation matrix over real HTTP: each role is refused (``FORBIDDEN``, naming the
  operation) exactly the mutations whose operation it does not hold, and let through the
  others (which then fail or succeed on their own merits, never with the table's refusal).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import click
import pytest
from helpers import gql
from operations_support import call_document, operation_error

from smecredit.cli import cli
from smecredit.domain.loan_states import DEFAULT_PERMISSIONS
from smecredit.graphql.operation_rules import mutation_operations
from smecredit.graphql.plugin_fields import schema_contributions
from smecredit.graphql.schema import build_schema
from smecredit.plugins import load_plugins
from smecredit.security.operations import (
    COMMAND_OPERATIONS,
    LIFECYCLE_OPERATIONS,
    MUTATION_OPERATIONS,
    OPERATIONS,
    READ_ONLY_COMMANDS,
    SYSTEM,
    Scope,
    authorize,
    operation,
)
from smecredit.security.principal import ROLES
from smecredit.settings import Settings

pytestmark = pytest.mark.anyio


def _schema_with_plugins() -> Any:
    settings = Settings()
    return build_schema(settings, **schema_contributions(load_plugins(settings)))


def test_every_mutation_of_the_built_schema_has_a_rule() -> None:
    unruled = [name for name, op in mutation_operations(_schema_with_plugins()).items() if not op]
    assert unruled == [], f"mutations without a rule in security/operations.py: {unruled}"


def test_the_table_names_only_known_operations_and_roles() -> None:
    assert set(MUTATION_OPERATIONS.values()) <= set(OPERATIONS)
    assert set(COMMAND_OPERATIONS.values()) <= set(OPERATIONS)
    known = {*ROLES, "system"}
    for op in OPERATIONS.values():
        assert op.roles <= known, op
        if op.scope in (Scope.PUBLIC, Scope.SELF):
            assert not op.roles, f"{op.name}: a {op.scope} operation takes no roles"
        else:
            assert op.roles, f"{op.name}: nobody may take it"


def test_lifecycle_steps_take_the_lifecycle_roles() -> None:
    for action, name in LIFECYCLE_OPERATIONS.items():
        assert operation(name).roles == DEFAULT_PERMISSIONS[action], name
        assert operation(name).scope is Scope.BRANCH


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        else:
            yield " ".join((*prefix, name)), command


def test_every_command_is_read_only_or_takes_its_operation() -> None:
    seen: set[str] = set()
    for words, command in _commands(cli):
        seen.add(words)
        assert (words in COMMAND_OPERATIONS) != (words in READ_ONLY_COMMANDS), (
            f"smecredit {words}: list it once, in COMMAND_OPERATIONS or READ_ONLY_COMMANDS"
        )
        if words in COMMAND_OPERATIONS:
            source = inspect.getsource(command.callback)
            assert f'"{COMMAND_OPERATIONS[words]}"' in source, (
                f"smecredit {words} must act through its operation "
                f"{COMMAND_OPERATIONS[words]} (as_platform or acting_user)"
            )
    assert seen >= set(COMMAND_OPERATIONS) | READ_ONLY_COMMANDS


def test_the_platform_runs_its_commands_and_no_user_can_be_the_platform() -> None:
    for words, name in COMMAND_OPERATIONS.items():
        op = operation(name)
        if "system" in op.roles:
            assert authorize(SYSTEM, name) is SYSTEM
        else:  # four-eyes steps need a person: the command takes --as USER
            source = inspect.getsource(dict(_commands(cli))[words].callback)
            assert "acting_user" in source, words
    assert "system" not in ROLES


# ----------------------------------------------------------------- the matrix, over HTTP

#: Mutations that end the caller's session, or change how it is answered (the saved
#: language): each gets a fresh client.
_ENDS_SESSION = frozenset({"signOut", "signOutEverywhere", "setMyLanguage"})


def _matrix_cases(mutation: Any) -> list[tuple[str, str]]:
    names = sorted(
        n for n in mutation.fields if operation(MUTATION_OPERATIONS[n]).scope is not Scope.PUBLIC
    )
    return [(role, name) for role in ROLES for name in names]


def _refused_by_table(body: dict[str, Any], field: str, op_name: str) -> bool:
    error = operation_error(body, field)
    if error is None or error["code"] != "FORBIDDEN":
        return False
    if error.get("union"):
        return str(error["message"]).startswith(f"you may not {operation(op_name).description}")
    return (error.get("extensions") or {}).get("operation") == op_name


async def test_role_by_mutation_matrix_over_http(app: Any, client_for: Any) -> None:
    schema = app.state.schema._schema
    mutation = schema.mutation_type
    clients = {role: await client_for(role, "HQ") for role in ROLES}
    wrong: list[str] = []
    for role, name in _matrix_cases(mutation):
        op_name = MUTATION_OPERATIONS[name]
        client = await client_for(role, "HQ") if name in _ENDS_SESSION else clients[role]
        body = await gql(client, call_document("mutation", name, mutation.fields[name]))
        refused = _refused_by_table(body, name, op_name)
        allowed = operation(op_name).scope is Scope.SELF or role in operation(op_name).roles
        if refused == allowed:
            verdict = "refused" if refused else "let through"
            wrong.append(f"{role} x {name} ({op_name}): {verdict}: {body}")
    assert wrong == [], "\n".join(wrong)


async def test_anonymous_callers_reach_no_mutation_but_signing_in(anon_client: Any) -> None:
    schema = build_schema(Settings())._schema
    for name, field in schema.mutation_type.fields.items():
        body = await gql(anon_client, call_document("mutation", name, field))
        code = (operation_error(body, name) or {}).get("code")
        if name == "signIn":
            assert code != "UNAUTHENTICATED", body
        else:
            assert code == "UNAUTHENTICATED", (name, body)


def test_the_operations_page_is_generated_from_the_table() -> None:
    from pathlib import Path

    from smecredit.security.operations_doc import render_operations_markdown

    page = Path(__file__).resolve().parents[2] / "docs" / "authorisation.md"
    assert page.read_text(encoding="utf-8") == render_operations_markdown(), (
        "docs/authorisation.md is stale: run "
        "`python -m smecredit.security.operations_doc docs/authorisation.md`"
    )
