"""GraphQL view of the plugin registry: the ``plugins`` query (R1 system administration)."""

from __future__ import annotations

import enum

import strawberry

from smecredit.i18n import label, language_of
from smecredit.plugins import PluginInfo

__all__ = ["Plugin", "PluginQueries", "PluginStatus"]


@strawberry.enum(description="What became of a plugin at start-up.")
class PluginStatus(enum.Enum):
    ACTIVE = "active"
    DISABLED = "disabled"
    FAILED = "failed"
    INCOMPATIBLE = "incompatible"


@strawberry.type(description="An installed plugin and what came of loading it.")
class Plugin:
    name: str = strawberry.field(description="Entry-point name of the plugin.")
    version: str | None = strawberry.field(description="Version of its distribution.")
    distribution: str | None = strawberry.field(
        description="The pip distribution providing it (null for in-process plugins)."
    )
    hooks: list[str] = strawberry.field(description="The hooks it implements.")
    status: PluginStatus = strawberry.field(description="Active, disabled, failed or incompatible.")
    error: str | None = strawberry.field(
        description="Why it is not active, if it is not (the technical text, for operators)."
    )

    @strawberry.field(description="The status, in the caller's language.")
    def status_label(self, info: strawberry.Info) -> str:
        return label("pluginStatus", self.status, language_of(info.context))

    @classmethod
    def from_info(cls, info: PluginInfo) -> Plugin:
        """Build from the registry's record."""
        return cls(
            name=info.name,
            version=info.version,
            distribution=info.distribution,
            hooks=list(info.hooks),
            status=PluginStatus(info.status),
            error=info.error,
        )


@strawberry.type
class PluginQueries:
    @strawberry.field(
        description="Installed plugins with their status, as `smecredit plugins list` shows "
        "(a bounded list: what is installed)."
    )
    def plugins(self, info: strawberry.Info) -> list[Plugin]:
        registry = getattr(info.context, "plugins", None)
        if registry is None:
            return []
        return [Plugin.from_info(p) for p in registry.plugins]
