"""One plugin registry per application: built by its owner, handed on, never copied."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from smecredit import plugin_host
from smecredit.app import create_app
from smecredit.cli import cli
from smecredit.hookspecs import SDK_VERSION
from smecredit.plugins import PluginRegistry, load_plugins
from smecredit.sdk import RuleResult, hookimpl
from smecredit.services.scoring.scoring import available_models
from smecredit.services.warnings.config import default_rules
from smecredit.settings import Settings


class FlakyRule:
    code, name, group, kind = "FLAKY_RULE", "Flaky rule", "credit", "quantitative"
    thresholds = {"blue": 1.0, "yellow": 2.0, "orange": 3.0, "red": 4.0}  # noqa: RUF012
    direction, inputs = "higher_is_worse", ("loan",)

    def evaluate(self, frame: Any) -> list[RuleResult]:
        return []


class FlakyPlugin:
    """Registers a rule, then fails at start-up."""

    SMECREDIT_SDK = SDK_VERSION

    @hookimpl
    def register_warning_rules(self) -> list[Any]:
        return [FlakyRule()]

    @hookimpl
    def startup(self, settings: Any) -> None:
        raise RuntimeError("no licence")


@pytest.fixture(autouse=True)
def _restore_installed() -> Iterator[None]:
    before = plugin_host.installed()
    yield
    plugin_host._installed = before


@pytest.mark.anyio
async def test_a_plugin_failing_at_startup_takes_its_rules_with_it() -> None:
    registry = plugin_host.install(
        load_plugins(Settings(), extra_plugins=[FlakyPlugin()], entry_points=False)
    )
    assert "FLAKY_RULE" in default_rules()
    await registry.startup(Settings())
    assert registry.plugin("FlakyPlugin").status == "failed"  # type: ignore[union-attr]
    # The services read the application's registry live: the withdrawn rule is gone.
    assert "FLAKY_RULE" not in default_rules()


def test_the_app_installs_its_registry_honouring_the_disabled_list() -> None:
    app = create_app(Settings(plugins_disabled=("warnings_core", "scorecard")), manage_db=False)
    assert plugin_host.installed() is app.state.plugins
    assert app.state.plugins.plugin("warnings_core").status == "disabled"
    assert default_rules() == {}
    assert "scorecard" not in available_models()
    assert "catboost" in available_models()


def test_an_app_given_a_registry_uses_it_and_leaves_the_installed_one() -> None:
    installed = plugin_host.install(PluginRegistry())
    given = load_plugins(Settings(), extra_plugins=[FlakyPlugin()], entry_points=False)
    app = create_app(Settings(), manage_db=False, plugins=given)
    assert app.state.plugins is given
    assert plugin_host.installed() is installed


def test_a_command_builds_one_registry_with_the_enabled_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SMECREDIT_PLUGINS_ENABLED", "scorecard")
    result = CliRunner().invoke(cli, ["model", "train", "--model", "catboost"])
    assert result.exit_code != 0
    assert "unknown model 'catboost'" in result.output
    assert list(available_models()) == ["scorecard"]
