"""The plugin itself: the hook marker, the settings view ``startup`` receives, optional members.

Every registered object's protocol (:class:`~smecredit.sdk.DataSource`, ...) lists the
attributes the core reads. Those with a value in the protocol's body are optional: the core
reads them through :func:`declared`, which answers the protocol's documented default when
the object does not set the attribute (an object that subclasses the protocol inherits the
defaults and may read them directly).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy

from smecredit.hookspecs import PROJECT_NAME

__all__ = [
    "PluginSettings",
    "declared",
    "hookimpl",
    "implements",
    "optional_members",
    "plugin_settings",
    "required_members",
]

#: Marker for hook implementations: ``@hookimpl def register_data_sources(): ...``.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

#: Prefix of the environment variables that configure one plugin:
#: ``SMECREDIT_PLUGIN_<NAME>_<OPTION>`` (name upper-cased, ``-`` and ``.`` as ``_``).
PLUGIN_OPTION_PREFIX = "SMECREDIT_PLUGIN_"


@dataclass(frozen=True, slots=True)
class PluginSettings:
    """What the platform tells a plugin at ``startup`` (instead of its whole configuration).

    Attributes:
        plugin: the plugin's name (its entry-point name).
        environment: the deployment environment, e.g. ``"dev"``, ``"test"``, ``"prod"``.
        options: the plugin's own settings: every ``SMECREDIT_PLUGIN_<NAME>_<OPTION>``
            variable, keyed by ``<option>`` in lower case (``SMECREDIT_PLUGIN_MY_BANK_URL``
            gives ``options["url"]`` to plugin ``my_bank``).
        data_dir: a directory for the plugin's files (model files, caches):
            ``$SMECREDIT_DATA_DIR/plugins/<name>``, or None when no data directory is
            configured. The plugin creates it if it needs it.

    Added in SDK 1.3.
    """

    plugin: str
    environment: str = "dev"
    options: Mapping[str, str] = field(default_factory=dict)
    data_dir: Path | None = None

    def option(self, name: str, default: str | None = None) -> str | None:
        """The option ``name`` (case-insensitive), or ``default`` when it is not set."""
        return self.options.get(name.lower(), default)


def _env_name(plugin: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", plugin.upper())


def plugin_settings(plugin: str, environment: str, variables: Mapping[str, str]) -> PluginSettings:
    """Build the view of ``plugin`` from the platform's ``SMECREDIT_*`` ``variables``.

    Called by the core for each plugin; plugin tests may call it to build the view they
    hand to their own ``startup``.
    """
    prefix = f"{PLUGIN_OPTION_PREFIX}{_env_name(plugin)}_"
    options = {k[len(prefix) :].lower(): v for k, v in variables.items() if k.startswith(prefix)}
    root = variables.get("SMECREDIT_DATA_DIR")
    data_dir = Path(root) / "plugins" / plugin if root else None
    return PluginSettings(
        plugin=plugin, environment=environment, options=options, data_dir=data_dir
    )


@functools.cache
def _members(protocol: type) -> dict[str, bool]:
    """Member name -> whether it is optional, over the protocol and its protocol bases."""
    # Cached: the core calls declared() per warning in a scan; protocols never change.
    found: dict[str, bool] = {}
    for klass in reversed(protocol.__mro__):
        if not getattr(klass, "_is_protocol", False) or klass.__module__ == "typing":
            continue
        for name in getattr(klass, "__annotations__", {}):
            found[name] = name in vars(klass)
        for name, value in vars(klass).items():
            if callable(value) and not name.startswith("_"):
                found[name] = False
    return found


def required_members(protocol: type) -> list[str]:
    """The attributes and methods every object registered as ``protocol`` must have."""
    return sorted(name for name, optional in _members(protocol).items() if not optional)


def implements(obj: object, protocol: type) -> bool:
    """Whether ``obj`` has every required member of ``protocol``.

    Use it rather than ``isinstance(obj, Protocol)``, which also demands the optional
    attributes (those with a default in the protocol).
    """
    return all(hasattr(obj, name) for name in required_members(protocol))


def optional_members(protocol: type) -> dict[str, Any]:
    """The optional attributes of ``protocol`` with their documented defaults."""
    return {
        name: getattr(protocol, name) for name, optional in _members(protocol).items() if optional
    }


@functools.cache
def _defaults(protocol: type) -> Mapping[str, Any]:
    """:func:`optional_members`, cached (read only by :func:`declared`)."""
    return optional_members(protocol)


def declared(obj: object, protocol: type, name: str) -> Any:
    """The optional attribute ``name`` of ``obj``, or ``protocol``'s documented default.

    Raises:
        AttributeError: ``name`` is not an optional attribute of ``protocol`` (required
            attributes are read directly: the loader checked them).
    """
    defaults = _defaults(protocol)
    if name not in defaults:
        raise AttributeError(f"{protocol.__name__} has no optional attribute {name!r}")
    return getattr(obj, name, defaults[name])
