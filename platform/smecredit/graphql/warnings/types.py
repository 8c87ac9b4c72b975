"""GraphQL types, queries and lifecycle mutations for warnings."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from tortoise.queryset import QuerySet

from smecredit import models
from smecredit.errors import NotFound
from smecredit.graphql.auth import require_user
from smecredit.graphql.pagination import Connection, SortSpec, paginate
from smecredit.graphql.scalars import parse_global_id
from smecredit.security.row_scope import scoped
from smecredit.services.early_warning import lifecycle

if TYPE_CHECKING:
    from smecredit.graphql.evidence import Evidence
    from smecredit.graphql.firms import FirmType
    from smecredit.graphql.loans import LoanType

__all__ = [
    "WarningCommentType",
    "WarningEventType",
    "WarningFilter",
    "WarningMutations",
    "WarningQueries",
    "WarningSort",
    "WarningType",
    "filtered_warnings",
    "list_warnings",
    "warning_sort",
]


@strawberry.enum(description="Warning severity, red the most urgent.")
class Severity(enum.Enum):
    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"
    BLUE = "blue"


@strawberry.enum(description="Where a warning is in its lifecycle.")
class WarningStatus(enum.Enum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


@strawberry.type(
    name="WarningEvent",
    description="One audited step in a warning's history: a scan's change or a person's action.",
)
class WarningEventType:
    kind: str = strawberry.field(
        description="opened, updated, escalated, overdue_escalated, auto_resolved, "
        "acknowledged, in_progress, assigned, commented, resolved or dismissed."
    )
    from_status: WarningStatus | None
    to_status: WarningStatus | None
    severity: Severity | None = strawberry.field(description="The severity after the step.")
    observed_value: float | None
    actor: str = strawberry.field(description="Who: a user name, or system for scans.")
    note: str | None = strawberry.field(
        description="The reason, note, assignee or comment given with the step."
    )
    scan_run_id: int | None = strawberry.field(description="The scan that made the change.")
    at: dt.datetime

    @classmethod
    def from_model(cls, row: models.WarningEvent) -> WarningEventType:
        return cls(
            kind=row.kind,
            from_status=WarningStatus(row.from_status) if row.from_status else None,
            to_status=WarningStatus(row.to_status) if row.to_status else None,
            severity=Severity(row.severity) if row.severity else None,
            observed_value=row.observed_value,
            actor=row.actor,
            note=row.note,
            scan_run_id=row.scan_run_id,
            at=row.at,
        )


@strawberry.type(name="WarningComment", description="An officer's comment on a warning.")
class WarningCommentType:
    db_id: int
    author: str
    body: str
    created_at: dt.datetime

    @classmethod
    def from_model(cls, row: models.WarningComment) -> WarningCommentType:
        return cls(db_id=row.id, author=row.author, body=row.body, created_at=row.created_at)


@strawberry.type(name="Warning", description="An early-warning signal about a firm.")
class WarningType(relay.Node):
    db_id: relay.NodeID[int]
    rule_code: str
    severity: Severity
    observed_value: float | None
    threshold: float | None
    message: str
    status: WarningStatus
    assignee: str | None
    resolution_note: str | None
    opened_at: dt.datetime
    acknowledged_at: dt.datetime | None
    resolved_at: dt.datetime | None
    updated_at: dt.datetime
    version: int
    _firm_id: strawberry.Private[int]
    _loan_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: models.Warning) -> WarningType:
        return cls(
            db_id=row.id,
            rule_code=row.rule_code,
            severity=Severity(row.severity),
            observed_value=row.observed_value,
            threshold=row.threshold,
            message=row.message,
            status=WarningStatus(row.status),
            assignee=row.assignee,
            resolution_note=row.resolution_note,
            opened_at=row.opened_at,
            acknowledged_at=row.acknowledged_at,
            resolved_at=row.resolved_at,
            updated_at=row.updated_at,
            version=row.version,
            _firm_id=row.firm_id,  # type: ignore[attr-defined]
            _loan_id=row.loan_id,  # type: ignore[attr-defined]
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[WarningType | None]:
        ids = [int(i) for i in node_ids]
        rows = {x.id: x for x in await scoped(info.context, models.Warning).filter(id__in=ids)}
        return [cls.from_model(rows[i]) if i in rows else None for i in ids]

    @strawberry.field(description="The firm the warning is about.")
    async def firm(
        self, info: strawberry.Info
    ) -> Annotated[FirmType, strawberry.lazy("smecredit.graphql.firms")]:
        from smecredit.graphql.firms import FirmType

        return FirmType.from_model(await info.context.loaders.firm.load(self._firm_id))

    @strawberry.field(description="The loan the warning is about, if any.")
    async def loan(
        self, info: strawberry.Info
    ) -> Annotated[LoanType, strawberry.lazy("smecredit.graphql.loans")] | None:
        from smecredit.graphql.loans import LoanType

        if self._loan_id is None:
            return None
        row = await info.context.loaders.loan.load(self._loan_id)
        return LoanType.from_model(row) if row else None

    @strawberry.field(
        description="Every step of the warning's lifecycle, oldest first (batched per page)."
    )
    async def history(self, info: strawberry.Info) -> list[WarningEventType]:
        rows = await info.context.loaders.warning_events.load(self.db_id)
        return [WarningEventType.from_model(r) for r in rows]

    @strawberry.field(
        description="The evidence the warning's rule read when the warning was raised, newest "
        "first: the rows behind its inputs within the rule's window up to the day it opened "
        "(tax months compared, the latest statement or bureau report, the cases, registry "
        "events and late instalments that counted). Empty for rules over platform facts "
        "(grades, exposure, industry): see firm and loan. Batched per page."
    )
    async def evidence(
        self, info: strawberry.Info
    ) -> list[Annotated[Evidence, strawberry.lazy("smecredit.graphql.evidence")]]:
        from smecredit.graphql.evidence import warning_evidence

        return await warning_evidence(
            info, self.db_id, self._firm_id, self.rule_code, self.opened_at, self._loan_id
        )

    @strawberry.field(description="Comments on the warning, oldest first (batched per page).")
    async def comments(self, info: strawberry.Info) -> list[WarningCommentType]:
        rows = await info.context.loaders.warning_comments.load(self.db_id)
        return [WarningCommentType.from_model(r) for r in rows]


@strawberry.input(description="Filters for warnings; all given conditions must hold.")
class WarningFilter:
    severity: Severity | None = None
    status: WarningStatus | None = None
    rule_code: str | None = None
    since: dt.datetime | None = strawberry.field(
        default=None, description="Opened at or after this time."
    )


@strawberry.enum(description="Orderings of the warning list.")
class WarningSort(enum.Enum):
    OPENED_DESC = "opened_desc"
    OPENED_ASC = "opened_asc"


_WARNING_SORTS = {
    WarningSort.OPENED_DESC: SortSpec("opened_desc", "opened_at", descending=True),
    WarningSort.OPENED_ASC: SortSpec("opened_asc", "opened_at"),
}


def warning_sort(sort: WarningSort | None) -> SortSpec:
    """The ordering of ``sort`` (default: newest first)."""
    return _WARNING_SORTS[sort or WarningSort.OPENED_DESC]


def filtered_warnings(
    info: strawberry.Info, filter: WarningFilter | None
) -> QuerySet[models.Warning]:
    """The warnings the caller may see that match ``filter`` (no SQL yet)."""
    qs = scoped(info.context, models.Warning)
    if filter is not None:
        if filter.severity:
            qs = qs.filter(severity=filter.severity.value)
        if filter.status:
            qs = qs.filter(status=filter.status.value)
        if filter.rule_code:
            qs = qs.filter(rule_code=filter.rule_code)
        if filter.since:
            qs = qs.filter(opened_at__gte=filter.since)
    return qs


async def list_warnings(
    info: strawberry.Info,
    *,
    first: int | None,
    after: str | None,
    filter: WarningFilter | None,
    sort: WarningSort | None = None,
) -> Connection[WarningType]:
    return await paginate(
        filtered_warnings(info, filter),
        sort=warning_sort(sort),
        first=first,
        after=after,
        max_page_size=info.context.settings.max_page_size,
        to_node=WarningType.from_model,
    )


@strawberry.type
class WarningQueries:
    @strawberry.field(description="Warnings visible to the caller, newest first by default.")
    async def warnings(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: WarningFilter | None = None,
        sort: WarningSort | None = None,
    ) -> Connection[WarningType]:
        return await list_warnings(info, first=first, after=after, filter=filter, sort=sort)

    @strawberry.field(description="One warning by its global id.")
    async def warning(self, info: strawberry.Info, id: relay.GlobalID) -> WarningType:
        row = await scoped(info.context, models.Warning).get_or_none(
            id=parse_global_id(id, "Warning")
        )
        if row is None:
            raise NotFound(f"Warning {id} not found")
        return WarningType.from_model(row)


@strawberry.type
class WarningMutations:
    # Through the early-warning lifecycle, so each step lands in the warning's history and
    # reaches live subscribers like the other steps (assign, start, comment).
    @strawberry.mutation(
        description="Acknowledge an open warning (assigns it to you if unassigned)."
    )
    async def acknowledge_warning(
        self, info: strawberry.Info, id: relay.GlobalID, expected_version: int | None = None
    ) -> WarningType:
        row = await lifecycle.acknowledge(
            parse_global_id(id, "Warning"),
            label=f"Warning {id}",
            actor=require_user(info),
            expected_version=expected_version,
            settings=info.context.settings,
        )
        return WarningType.from_model(row)

    @strawberry.mutation(description="Resolve a warning whose cause was dealt with.")
    async def resolve_warning(
        self,
        info: strawberry.Info,
        id: relay.GlobalID,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> WarningType:
        row = await lifecycle.resolve(
            parse_global_id(id, "Warning"),
            label=f"Warning {id}",
            note=note,
            actor=require_user(info),
            expected_version=expected_version,
            settings=info.context.settings,
        )
        return WarningType.from_model(row)

    @strawberry.mutation(description="Dismiss a warning as a false alarm; a reason is required.")
    async def dismiss_warning(
        self,
        info: strawberry.Info,
        id: relay.GlobalID,
        reason: str,
        expected_version: int | None = None,
    ) -> WarningType:
        row = await lifecycle.dismiss(
            parse_global_id(id, "Warning"),
            label=f"Warning {id}",
            reason=reason,
            actor=require_user(info),
            expected_version=expected_version,
            settings=info.context.settings,
        )
        return WarningType.from_model(row)
