"""GraphQL subscription of the warnings: ``warningChanged``.

It delivers each new or changed warning the subscriber may see: every message from the
broadcaster names warning ids only, and the subscriber re-reads them through
:func:`~smecredit.security.row_scope.scoped` with their own context, so row scope and field
permissions apply exactly as for a query.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from smecredit import models
from smecredit.graphql.dataloaders import Loaders
from smecredit.graphql.warnings.types import WarningChange, WarningEventKind, WarningType
from smecredit.security.row_scope import scoped
from smecredit.services.warnings.broadcast import get_broadcaster

__all__ = ["WarningSubscriptions"]


@strawberry.type
class WarningSubscriptions:
    @strawberry.subscription(
        description="New and changed warnings, live, limited to what the subscriber may see."
    )
    async def warning_changed(self, info: strawberry.Info) -> AsyncGenerator[WarningChange, None]:
        bus = get_broadcaster(info.context.settings)
        async with bus.subscribe() as messages:
            async for message in messages:
                kinds: dict[int, str] = {}
                for wid, kind in message.get("changes", []):
                    kinds[int(wid)] = str(kind)  # the last change of a warning wins
                if not kinds:
                    continue
                rows = await scoped(info.context, models.Warning).filter(id__in=list(kinds))
                # A subscription keeps one context for its connection: fresh loaders per
                # message, so a warning's history and comments are read as they are now.
                info.context.loaders = Loaders()
                for row in sorted(rows, key=lambda r: r.id):
                    yield WarningChange(
                        kind=WarningEventKind(kinds[row.id]), warning=WarningType.from_model(row)
                    )
