"""GraphQL of the feedback on decisions: decision alerts, the scan, and their answers.

``decisionAlerts`` / ``decisionAlert`` (or ``node(id:)``) are read by the risk roles
(``decision_alert.view``: risk_analyst, credit_committee, compliance_auditor, admin); the
risk manager (risk_analyst) runs the scan (``runDecisionFeedback``) and answers an alert
(``respondToDecisionAlert``) with the criteria or parameter changes made in response.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated

import strawberry
from strawberry import relay

from smecredit import models
from smecredit.errors import NotFound
from smecredit.graphql.auth import require_operation, require_user
from smecredit.graphql.lending.enums import ApplicationStatus, label_in
from smecredit.graphql.nodes import nodes_for_operation
from smecredit.graphql.pagination import Connection, SortSpec, paginate
from smecredit.graphql.results import Errors, guard
from smecredit.graphql.scalars import parse_global_id
from smecredit.services.decision_feedback import respond_to_alert, scan_decisions

__all__ = [
    "DecisionAlertMutations",
    "DecisionAlertQueries",
    "DecisionAlertResult",
    "DecisionAlertType",
]


@strawberry.enum(description="What a decision alert is about.")
class DecisionAlertKind(enum.Enum):
    OVERRIDE_RATE = "override_rate"
    APPROVAL_RATE_GRADE = "approval_rate_grade"
    EARLY_DEFAULT = "early_default"
    APPEAL_UPHELD = "appeal_upheld"


@strawberry.enum(description="Where a decision alert is: open, acknowledged, closed.")
class DecisionAlertStatus(enum.Enum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


@strawberry.enum(description="How the risk manager answers an alert.")
class DecisionAlertResponse(enum.Enum):
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


@strawberry.type(description="A decision behind an alert, in brief.")
class AlertDecision:
    application_id: relay.GlobalID = strawberry.field(
        description="The application (a LoanApplication id)."
    )
    status: ApplicationStatus = strawberry.field(
        description="The application's lifecycle state now."
    )
    risk_grade: str | None
    branch_code: str
    decided_at: dt.datetime | None


@strawberry.type(name="DecisionAlert", description="A rate of decisions beyond its bound.")
class DecisionAlertType(relay.Node):
    db_id: relay.NodeID[int]
    kind: DecisionAlertKind
    subject: str = strawberry.field(
        description="The approver, approver/grade, or book (the whole book)."
    )
    value: float = strawberry.field(description="The observed rate, 0 to 1.")
    bound: float = strawberry.field(description="The bound it exceeded.")
    sample: int = strawberry.field(description="Decisions the rate was computed on.")
    window_days: int
    status: DecisionAlertStatus
    raised_at: dt.datetime
    responded_by: str | None
    responded_at: dt.datetime | None
    response: str | None = strawberry.field(
        description="The criteria or parameter changes made in response."
    )
    response_ref: str | None = strawberry.field(
        description="What the response points at (a credit policy or rule version)."
    )
    application_db_ids: strawberry.Private[list[int]]

    @strawberry.field(description="The kind in the caller's language.")
    def kind_label(self, info: strawberry.Info) -> str:
        return label_in(info, "decisionAlertKind", self.kind) or ""

    @strawberry.field(description="The status in the caller's language.")
    def status_label(self, info: strawberry.Info) -> str:
        return label_in(info, "decisionAlertStatus", self.status) or ""

    @strawberry.field(description="The decisions behind the alert (the applications).")
    async def decisions(self) -> list[AlertDecision]:
        rows = await models.LoanApplication.filter(id__in=self.application_db_ids).order_by("id")
        return [
            AlertDecision(
                application_id=relay.GlobalID("LoanApplication", str(r.id)),
                status=ApplicationStatus(r.state),
                risk_grade=r.risk_grade,
                branch_code=r.branch_code,
                decided_at=r.decided_at or r.rejected_at,
            )
            for r in rows
        ]

    @classmethod
    def from_model(cls, row: models.DecisionAlert) -> DecisionAlertType:
        return cls(
            db_id=row.id,
            kind=DecisionAlertKind(row.kind),
            subject=row.subject,
            value=row.value,
            bound=row.bound,
            sample=row.sample,
            window_days=row.window_days,
            status=DecisionAlertStatus(row.status),
            raised_at=row.raised_at,
            responded_by=row.responded_by,
            responded_at=row.responded_at,
            response=row.response,
            response_ref=row.response_ref,
            application_db_ids=list(row.application_ids or []),
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[DecisionAlertType | None]:
        return await nodes_for_operation(
            info, "decision_alert.view", models.DecisionAlert.all(), node_ids, cls.from_model
        )


DecisionAlertResult = Annotated[DecisionAlertType | Errors, strawberry.union("DecisionAlertResult")]


@strawberry.type(description="What a decision feedback scan did.")
class DecisionFeedbackPayload:
    decisions: int = strawberry.field(description="Decisions of the window read.")
    raised: int = strawberry.field(description="Alerts raised.")
    refreshed: int = strawberry.field(description="Open alerts whose figures were refreshed.")
    alerts: list[DecisionAlertType]


DecisionFeedbackResult = Annotated[
    DecisionFeedbackPayload | Errors, strawberry.union("DecisionFeedbackResult")
]


@strawberry.input(description="Filters for decision alerts; all given conditions must hold.")
class DecisionAlertFilter:
    status: DecisionAlertStatus | None = None
    kind: DecisionAlertKind | None = None


@strawberry.input(description="The risk manager's answer to a decision alert.")
class RespondToDecisionAlertInput:
    alert_id: relay.GlobalID
    status: DecisionAlertResponse
    response: str = strawberry.field(
        description="The criteria or parameter changes made in response (or why none)."
    )
    reference: str | None = strawberry.field(
        default=None, description="What it points at, e.g. a credit policy version."
    )


_NEWEST_FIRST = SortSpec("raised_desc", "id", descending=True)


@strawberry.type
class DecisionAlertQueries:
    @strawberry.field(description="Decision alerts, newest first.")
    async def decision_alerts(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: DecisionAlertFilter | None = None,
    ) -> Connection[DecisionAlertType]:
        require_operation(info, "decision_alert.view")
        qs = models.DecisionAlert.all()
        if filter is not None:
            if filter.status is not None:
                qs = qs.filter(status=filter.status.value)
            if filter.kind is not None:
                qs = qs.filter(kind=filter.kind.value)
        return await paginate(
            qs,
            sort=_NEWEST_FIRST,
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=DecisionAlertType.from_model,
        )

    @strawberry.field(description="One decision alert with the decisions behind it.")
    async def decision_alert(self, info: strawberry.Info, id: relay.GlobalID) -> DecisionAlertType:
        require_operation(info, "decision_alert.view")
        row = await models.DecisionAlert.get_or_none(id=parse_global_id(id, "DecisionAlert"))
        if row is None:
            raise NotFound(f"decision alert {id} not found", code="ALERT_NOT_FOUND")
        return DecisionAlertType.from_model(row)


@strawberry.type
class DecisionAlertMutations:
    @strawberry.mutation(
        description="Scan the decisions of the window against the feedback bounds now: "
        "raises an alert per rate beyond its bound (one open per kind and subject)."
    )
    async def run_decision_feedback(self, info: strawberry.Info) -> DecisionFeedbackResult:
        async def work() -> DecisionFeedbackPayload:
            summary = await scan_decisions(require_user(info), info.context.settings)
            rows = await models.DecisionAlert.filter(id__in=list(summary.alert_ids)).order_by("id")
            return DecisionFeedbackPayload(
                decisions=summary.decisions,
                raised=summary.raised,
                refreshed=summary.refreshed,
                alerts=[DecisionAlertType.from_model(r) for r in rows],
            )

        return await guard(work())  # type: ignore[return-value]

    @strawberry.mutation(
        description="Acknowledge or close a decision alert, recording the criteria or "
        "parameter changes made in response. ALERT_NOT_FOUND, INVALID_TRANSITION (a closed "
        "alert), INVALID_INPUT (an empty response)."
    )
    async def respond_to_decision_alert(
        self, info: strawberry.Info, input: RespondToDecisionAlertInput
    ) -> DecisionAlertResult:
        async def work() -> DecisionAlertType:
            user = require_user(info)
            alert_id = parse_global_id(input.alert_id, "DecisionAlert")
            row = await respond_to_alert(
                user,
                alert_id,
                status=input.status.value,
                response=input.response,
                reference=input.reference,
            )
            return DecisionAlertType.from_model(row)

        return await guard(work())  # type: ignore[return-value]
