"""The plugin contract is complete: every hook is documented and has a test (datasette style)."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from smecredit import hookspecs
from smecredit.hookdocs import hook_functions, render_hooks_markdown
from smecredit.plugins import REGISTRATION_HOOKS

ROOT = Path(__file__).resolve().parents[1]
HOOKS_PAGE = ROOT / "docs" / "hooks.md"

#: Each hook -> (test file relative to the repo root, test function that exercises it).
#: Adding a hookspec without an entry here fails test_every_hook_has_a_test.
PLUGINS_TESTS = "tests/test_plugins.py"
HOOK_TESTS: dict[str, tuple[str, str]] = {
    "register_data_sources": (
        PLUGINS_TESTS,
        "test_async_fetch_and_build_work_through_the_registry",
    ),
    "register_scoring_models": (PLUGINS_TESTS, "test_every_registration_hook_fills_its_registry"),
    "register_masking_strategies": (
        "plugins/smecredit-masking-cn/tests/test_plugin.py",
        "test_entry_point_registers_every_strategy",
    ),
    "register_report_types": (
        PLUGINS_TESTS,
        "test_async_fetch_and_build_work_through_the_registry",
    ),
    "register_warning_rules": (PLUGINS_TESTS, "test_warning_rules_conflict_on_their_code"),
    "register_policy_rules": (
        "tests/services/test_decision_support.py",
        "test_a_plugin_rule_appears_in_the_checks",
    ),
    "graphql_types": (
        "tests/graphql/test_plugins.py",
        "test_plugin_fields_are_merged_and_the_plugins_query_reports_status",
    ),
    "startup": (PLUGINS_TESTS, "test_startup_and_shutdown_run_sync_and_async_implementations"),
    "shutdown": (
        PLUGINS_TESTS,
        "test_a_failing_startup_withdraws_the_plugin_and_the_rest_keep_serving",
    ),
}

HOOK_NAMES = [f.__name__ for f in hook_functions()]


def test_the_hook_list_is_what_the_loader_knows() -> None:
    assert HOOK_NAMES == [
        "register_data_sources",
        "register_scoring_models",
        "register_masking_strategies",
        "register_report_types",
        "register_warning_rules",
        "register_policy_rules",
        "graphql_types",
        "startup",
        "shutdown",
    ]
    assert set(REGISTRATION_HOOKS) == {n for n in HOOK_NAMES if n.startswith("register_")}
    assert set(HOOK_NAMES) <= set(hookspecs.__all__)


def test_every_hook_has_a_test() -> None:
    assert set(HOOK_TESTS) == set(HOOK_NAMES), "map every hookspec to its test in HOOK_TESTS"
    for hook, (path, function) in HOOK_TESTS.items():
        source = (ROOT / path).read_text(encoding="utf-8")
        defined = {
            node.name
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        assert function in defined, f"{hook}: no test {function} in {path}"
        assert hook in source, f"{hook}: {path} never implements or names the hook"


@pytest.mark.parametrize("function", hook_functions(), ids=lambda f: f.__name__)
def test_every_hook_has_a_full_docstring(function: object) -> None:
    doc = inspect.getdoc(function) or ""
    assert "Returns:" in doc, "say what the implementation returns"
    assert re.search(r"\bCalled\b", doc), "say when the core calls the hook"
    parameters = inspect.signature(function).parameters  # type: ignore[arg-type]
    if parameters:
        assert "Args:" in doc
        for name in parameters:
            assert f"{name}:" in doc, f"argument {name} is not documented"


@pytest.mark.parametrize("function", hook_functions(), ids=lambda f: f.__name__)
def test_no_hook_is_firstresult_or_historic(function: object) -> None:
    # Implementations may be async; a coroutine is never None, so firstresult would let the
    # first async implementation win silently (DESIGN.md). Historic hooks replay on
    # registration, which the per-plugin isolation does not expect.
    options = getattr(function, f"{hookspecs.PROJECT_NAME}_spec")
    assert not options.get("firstresult") and not options.get("historic")


def test_docs_hooks_page_is_generated_from_the_hookspecs() -> None:
    page = HOOKS_PAGE.read_text(encoding="utf-8")
    for name in HOOK_NAMES:
        assert f"## `{name}`" in page, f"{name} is not documented in docs/hooks.md"
    assert page == render_hooks_markdown(), (
        "docs/hooks.md is stale: run `python -m smecredit.hookdocs docs/hooks.md`"
    )


def test_sdk_version_is_major_minor() -> None:
    assert re.fullmatch(r"\d+\.\d+", hookspecs.SDK_VERSION)
