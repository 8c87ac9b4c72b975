"""Per-request GraphQL context: settings, dataloaders, the caller, plugins."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket

from smecredit import plugin_host
from smecredit.graphql.dataloaders import Loaders
from smecredit.plugins import PluginRegistry
from smecredit.settings import Settings

__all__ = ["Context", "registry_of"]


@dataclass
class Context:
    """What every resolver can reach through ``info.context``.

    One :class:`Loaders` set per request keeps nested lists N+1 free.
    ``language`` is negotiated from the user's saved preference and ``Accept-Language``.
    ``user`` and ``permissions`` are filled by the security layer; ``plugins`` (the
    application's registry) by the application factory. Resolvers reach it through
    :func:`registry_of` and hand its objects to the services they call.
    """

    request: Request | WebSocket | None
    settings: Settings
    loaders: Loaders = field(default_factory=Loaders)
    user: Any = None
    permissions: Any = None
    plugins: PluginRegistry | None = None
    response: Any = None
    #: the negotiated language of the request (``smecredit.i18n.negotiate``); None: the
    #: settings' default language
    language: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def registry_of(context: Any) -> PluginRegistry:
    """The plugin registry of a request: the context's, else the application's.

    A context built without one (tests, tools) gets the installed application registry
    (:func:`smecredit.plugin_host.application_registry`), never a registry of its own.
    """
    registry = getattr(context, "plugins", None)
    if registry is not None:
        return registry  # type: ignore[no-any-return]
    return plugin_host.application_registry(getattr(context, "settings", None))
