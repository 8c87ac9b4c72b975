"""The application's plugin registry: one per process, built by its owner, handed on from here.

The owner builds the registry once with :func:`smecredit.plugins.load_plugins` (which honours
``SMECREDIT_PLUGINS_ENABLED`` / ``_DISABLED``) and installs it: :func:`smecredit.app.create_app`
for a server, each CLI command for itself. The web layer hands the request's registry
(``Context.plugins``) to the services it calls; the scheduled work of the application is
handed the application's. A service called with no registry objects (a script, a test)
falls back to the installed registry's *live* mappings, never a copy of its own, so a plugin
withdrawn because its ``startup`` failed takes its rules and models with it.

No service imports :mod:`smecredit.plugins` (``tests/test_layout.py``); they read the
registry's objects through the typed accessors below.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from smecredit.sdk import DataSource, MaskingStrategy, PolicyRule, ScoringModel, WarningRule

if TYPE_CHECKING:
    from smecredit.plugins import PluginRegistry

__all__ = [
    "application_registry",
    "data_sources",
    "install",
    "installed",
    "masking_strategies",
    "policy_rules",
    "scoring_models",
    "warning_rules",
]

_installed: PluginRegistry | None = None


def install(registry: PluginRegistry) -> PluginRegistry:
    """Make ``registry`` the application's (the fallback of callers handed none)."""
    global _installed
    _installed = registry
    return registry


def installed() -> PluginRegistry | None:
    """The installed registry, if an owner installed one."""
    return _installed


def application_registry(settings: Any = None) -> PluginRegistry:
    """The installed registry; when none is, build it from ``settings`` and install it.

    Args:
        settings: the platform settings (default: from the environment), for the
            enable/disable lists.
    """
    if _installed is not None:
        return _installed
    from smecredit.plugins import load_plugins
    from smecredit.settings import load_settings

    return install(load_plugins(settings if settings is not None else load_settings()))


def _of(registry: PluginRegistry | None) -> PluginRegistry:
    return registry if registry is not None else application_registry()


def warning_rules(registry: PluginRegistry | None = None) -> Mapping[str, WarningRule]:
    """Rule code -> warning rule of ``registry`` (default: the application's), live."""
    return _of(registry).warning_rules


def policy_rules(registry: PluginRegistry | None = None) -> Mapping[str, PolicyRule]:
    """Rule code -> policy rule of ``registry`` (default: the application's), live."""
    return _of(registry).policy_rules


def scoring_models(registry: PluginRegistry | None = None) -> Mapping[str, ScoringModel]:
    """Model name -> scoring model of ``registry`` (default: the application's), live."""
    return _of(registry).scoring_models


def masking_strategies(registry: PluginRegistry | None = None) -> Mapping[str, MaskingStrategy]:
    """Strategy name -> masking strategy of ``registry`` (default: the application's), live."""
    return _of(registry).masking_strategies


def data_sources(registry: PluginRegistry | None = None) -> Mapping[str, DataSource]:
    """Source name -> data source of ``registry`` (default: the application's), live."""
    return _of(registry).data_sources
