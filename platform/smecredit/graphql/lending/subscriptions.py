"""GraphQL subscriptions of the credit lifecycle: application status changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator

import strawberry
from strawberry import relay

from smecredit.graphql.auth import require_user
from smecredit.graphql.lending.enums import ApplicationAction, ApplicationStatus, label_in
from smecredit.graphql.lending.inputs import _app_id
from smecredit.services.lending import events

__all__ = ["ApplicationStatusChangeType", "LendingSubscriptions"]


@strawberry.type(name="ApplicationStatusChange", description="A committed lifecycle transition.")
class ApplicationStatusChangeType:
    application_id: relay.GlobalID
    action: ApplicationAction
    from_status: ApplicationStatus
    to_status: ApplicationStatus
    actor: str
    at: dt.datetime

    @strawberry.field(description="The action in the caller's language.")
    def action_label(self, info: strawberry.Info) -> str:
        return label_in(info, "applicationAction", self.action) or ""

    @strawberry.field(description="The status after, in the caller's language.")
    def to_status_label(self, info: strawberry.Info) -> str:
        return label_in(info, "applicationStatus", self.to_status) or ""


@strawberry.type
class LendingSubscriptions:
    @strawberry.subscription(description="Status changes of applications the caller may see.")
    async def application_status_changed(
        self, info: strawberry.Info, id: relay.GlobalID | None = None
    ) -> AsyncGenerator[ApplicationStatusChangeType, None]:
        user = require_user(info)
        wanted = _app_id(id) if id is not None else None
        async for change in events.subscribe():
            if wanted is not None and change.application_id != wanted:
                continue
            if not user.is_head_office and change.branch_code != user.branch_code:
                continue
            yield ApplicationStatusChangeType(
                application_id=relay.GlobalID("LoanApplication", str(change.application_id)),
                action=ApplicationAction(change.action),
                from_status=ApplicationStatus(change.from_state),
                to_status=ApplicationStatus(change.to_state),
                actor=change.actor,
                at=change.at,
            )
