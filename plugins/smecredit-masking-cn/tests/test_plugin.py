"""The masking plugin registers its strategies through the ``smecredit`` entry point."""

from __future__ import annotations

import importlib.metadata

from smecredit_masking_cn import plugin
from smecredit_masking_cn.strategies import ALL_STRATEGIES

from smecredit.plugins import load_plugins
from smecredit.settings import Settings
from smecredit.testing import plugin_manager_for


def test_entry_point_registers_every_strategy() -> None:
    (entry_point,) = [
        ep for ep in importlib.metadata.entry_points(group="smecredit") if ep.name == "masking_cn"
    ]
    registry = load_plugins(Settings(), entry_points=[entry_point])
    (info,) = registry.plugins
    assert (info.status, info.hooks) == ("active", ["register_masking_strategies"])
    assert list(registry.masking_strategies.values()) == list(ALL_STRATEGIES)
    assert registry.masking_strategies["mobile"].mask("13812345678") == "138****5678"


def test_plugin_declares_a_compatible_sdk() -> None:
    registry = plugin_manager_for(plugin)
    assert registry.plugins[0].status == "active"
    assert plugin.SMECREDIT_SDK == "1.0"
