"""Per-request GraphQL context: settings, dataloaders, the caller, plugins."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket

from smecredit.graphql.dataloaders import Loaders
from smecredit.settings import Settings

__all__ = ["Context"]


@dataclass
class Context:
    """What every resolver can reach through ``info.context``.

    One :class:`Loaders` set per request keeps nested lists N+1 free.
    ``user`` and ``permissions`` are filled by the security layer; ``plugins``
    by the application factory.
    """

    request: Request | WebSocket | None
    settings: Settings
    loaders: Loaders = field(default_factory=Loaders)
    user: Any = None
    permissions: Any = None
    plugins: Any = None
    response: Any = None
    extra: dict[str, Any] = field(default_factory=dict)
