"""GraphQL types of the warnings: the warning, its history and comments, scan runs, and the
enumerations with their labels in the caller's language."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader
from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet

from smecredit import models
from smecredit.graphql.context import registry_of
from smecredit.graphql.dataloaders import nested_connection
from smecredit.graphql.nodes import nodes_in, scoped_nodes
from smecredit.graphql.pagination import Connection, SortSpec, paginate
from smecredit.i18n import label, language_of, translate
from smecredit.sdk import WarningRule, declared
from smecredit.security.operations import can
from smecredit.security.row_scope import scoped

NodeT = TypeVar("NodeT")

if TYPE_CHECKING:
    from smecredit.graphql.evidence import Evidence
    from smecredit.graphql.firms import FirmType
    from smecredit.graphql.lending.loans import LoanType

__all__ = [
    "Severity",
    "WarningChange",
    "WarningCommentType",
    "WarningEventKind",
    "WarningEventType",
    "WarningFilter",
    "WarningScanRunFilter",
    "WarningScanRunSort",
    "WarningScanRunStatus",
    "WarningScanRunType",
    "WarningScanScope",
    "WarningSort",
    "WarningStatus",
    "WarningType",
    "filtered_warnings",
    "guarded_nodes",
    "list_warnings",
    "rule_name",
    "visible_rows",
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


@strawberry.enum(description="What one step of a warning's history did.")
class WarningEventKind(enum.Enum):
    OPENED = "opened"
    UPDATED = "updated"
    ESCALATED = "escalated"
    OVERDUE_ESCALATED = "overdue_escalated"
    AUTO_RESOLVED = "auto_resolved"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    ASSIGNED = "assigned"
    COMMENTED = "commented"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


@strawberry.enum(description="Where a scan run is: running, then finished or failed.")
class WarningScanRunStatus(enum.Enum):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


@strawberry.enum(description="What a scan run covered.")
class WarningScanScope(enum.Enum):
    PORTFOLIO = "portfolio"
    FIRMS = "firms"


def visible_rows(info: strawberry.Info, operation: str) -> bool:
    """Whether the caller may read rows guarded by ``operation`` (node lookups answer null
    otherwise, exactly as for a missing row)."""
    return can(getattr(info.context, "user", None), operation)


async def guarded_nodes(
    info: strawberry.Info,
    model: type[Any],
    node_ids: Iterable[str],
    operation: str,
    to_node: Callable[[Any], NodeT],
) -> list[NodeT | None]:
    """The rows ``node_ids`` of ``model`` as nodes, in order; all None when the caller may not
    take ``operation`` (the rows are not branch-scoped: the operation is their scope)."""
    if not visible_rows(info, operation):
        return [None for _ in node_ids]
    return await nodes_in(model.all(), node_ids, to_node)


def rule_name(code: str, language: str, rules: Any) -> str:
    """The name of rule ``code`` in ``language``: the plugin declares both (``name`` and,
    optionally, ``name_zh``); an uninstalled rule is named by its code."""
    rule = rules.get(code) if rules is not None else None
    if rule is None:
        return code
    if language == "zh-CN":
        return str(declared(rule, WarningRule, "name_zh") or rule.name)
    return str(rule.name)


def _shown(value: float | None, language: str) -> str:
    if value is None:
        return translate("warningValue.NOT_AVAILABLE", language)
    return f"{value:.4g}"


def warning_message(
    rule_code: str,
    stored: str,
    *,
    value: float | None,
    threshold: float | None,
    severity: str,
    language: str,
) -> str:
    """A warning's message in ``language``: the catalogued template of its rule (key
    ``warningMessage.<RULE_CODE>``) filled with its value, level and threshold; the message
    stored by the scan when the rule has no template (a plugin's own rule)."""
    return translate(
        f"warningMessage.{rule_code}",
        language,
        {
            "value": _shown(value, language),
            "level": label("warningSeverity", severity.upper(), language),
            "threshold": "" if threshold is None else f"{threshold:g}",
        },
        default=stored,
    )


@strawberry.type(
    name="WarningScanRun", description="One early-warning scan: what it covered and changed."
)
class WarningScanRunType(relay.Node):
    db_id: relay.NodeID[int]
    scope: WarningScanScope
    status: WarningScanRunStatus
    author: str
    weight_version: int | None = strawberry.field(
        description="The version of the weight set the scan used (null: the defaults)."
    )
    firms_scanned: int
    opened: int
    updated: int
    escalated: int
    resolved: int
    error: str | None
    started_at: dt.datetime
    finished_at: dt.datetime | None

    @classmethod
    def from_model(cls, row: models.WarningScanRun) -> WarningScanRunType:
        return cls(
            db_id=row.id,
            scope=WarningScanScope(row.scope),
            status=WarningScanRunStatus(row.status),
            author=row.author,
            weight_version=row.weight_version,
            firms_scanned=row.firms_scanned,
            opened=row.opened,
            updated=row.updated,
            escalated=row.escalated,
            resolved=row.resolved,
            error=row.error,
            started_at=row.started_at,
            finished_at=row.finished_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[WarningScanRunType | None]:
        return await guarded_nodes(
            info, models.WarningScanRun, node_ids, "warning_backtest.view", cls.from_model
        )

    @strawberry.field(description="The run's status in the caller's language.")
    def status_label(self, info: strawberry.Info) -> str:
        return label("warningScanRunStatus", self.status, language_of(info.context))

    @strawberry.field(description="The run's scope in the caller's language.")
    def scope_label(self, info: strawberry.Info) -> str:
        return label("warningScanScope", self.scope, language_of(info.context))


@strawberry.type(
    name="WarningEvent",
    description="One audited step in a warning's history: a scan's change or a person's action.",
)
class WarningEventType:
    kind: WarningEventKind
    from_status: WarningStatus | None
    to_status: WarningStatus | None
    severity: Severity | None = strawberry.field(description="The severity after the step.")
    observed_value: float | None
    actor: str = strawberry.field(description="Who: a user name, or system for scans.")
    note: str | None = strawberry.field(
        description="The reason, note, assignee or comment given with the step."
    )
    at: dt.datetime
    _scan_run_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: models.WarningEvent) -> WarningEventType:
        return cls(
            kind=WarningEventKind(row.kind),
            from_status=WarningStatus(row.from_status) if row.from_status else None,
            to_status=WarningStatus(row.to_status) if row.to_status else None,
            severity=Severity(row.severity) if row.severity else None,
            observed_value=row.observed_value,
            actor=row.actor,
            note=row.note,
            at=row.at,
            _scan_run_id=row.scan_run_id,  # type: ignore[attr-defined]
        )

    @strawberry.field(description="The step's kind in the caller's language.")
    def kind_label(self, info: strawberry.Info) -> str:
        return label("warningEventKind", self.kind, language_of(info.context))

    @strawberry.field(
        description="The scan that made the change (null for a person's step, or when the "
        "caller may not read scan runs)."
    )
    async def scan_run(self, info: strawberry.Info) -> WarningScanRunType | None:
        if self._scan_run_id is None:
            return None
        return await _scan_runs(info).load(self._scan_run_id)


def _scan_runs(info: strawberry.Info) -> DataLoader[int, WarningScanRunType | None]:
    """The request's loader of scan runs: a page of history steps reads them in one query."""
    extra = info.context.loaders.extra
    loader = extra.get("warnings.scan_run")
    if loader is None:

        async def load(ids: list[int]) -> list[WarningScanRunType | None]:
            return await WarningScanRunType.resolve_nodes(info=info, node_ids=[str(i) for i in ids])

        loader = extra["warnings.scan_run"] = DataLoader(load_fn=load)
    return loader  # type: ignore[no-any-return]


@strawberry.type(name="WarningComment", description="An officer's comment on a warning.")
class WarningCommentType(relay.Node):
    db_id: relay.NodeID[int]
    author: str
    body: str
    created_at: dt.datetime

    @classmethod
    def from_model(cls, row: models.WarningComment) -> WarningCommentType:
        return cls(db_id=row.id, author=row.author, body=row.body, created_at=row.created_at)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[WarningCommentType | None]:
        # A comment is visible with its warning: the warning's row scope applies.
        ids = [int(i) for i in node_ids]
        visible = Subquery(scoped(info.context, models.Warning).values("id"))
        rows = {
            r.id: r for r in await models.WarningComment.filter(id__in=ids, warning_id__in=visible)
        }
        return [cls.from_model(rows[i]) if i in rows else None for i in ids]


#: A warning's history and comments read oldest first, as a conversation does.
_EVENTS_OLDEST_FIRST = SortSpec("at_asc", "at")
_COMMENTS_OLDEST_FIRST = SortSpec("created_asc", "created_at")


@strawberry.type(name="Warning", description="An early-warning signal about a firm.")
class WarningType(relay.Node):
    db_id: relay.NodeID[int]
    rule_code: str
    severity: Severity
    observed_value: float | None
    threshold: float | None
    status: WarningStatus
    assignee: str | None
    resolution_note: str | None
    opened_at: dt.datetime
    acknowledged_at: dt.datetime | None
    resolved_at: dt.datetime | None
    updated_at: dt.datetime
    version: int
    _message: strawberry.Private[str]
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
            _message=row.message,
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
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[WarningType | None]:
        return await scoped_nodes(info, models.Warning, node_ids, cls.from_model)

    @strawberry.field(description="The severity in the caller's language.")
    def severity_label(self, info: strawberry.Info) -> str:
        return label("warningSeverity", self.severity, language_of(info.context))

    @strawberry.field(description="The status in the caller's language.")
    def status_label(self, info: strawberry.Info) -> str:
        return label("warningStatus", self.status, language_of(info.context))

    @strawberry.field(description="The name of the rule that raised it, in the caller's language.")
    def rule_name(self, info: strawberry.Info) -> str:
        rules = registry_of(info.context).warning_rules
        return rule_name(self.rule_code, language_of(info.context), rules)

    @strawberry.field(
        description="What the rule found, in the caller's language (its value, level and "
        "threshold in the rule's catalogued sentence)."
    )
    def message(self, info: strawberry.Info) -> str:
        return warning_message(
            self.rule_code,
            self._message,
            value=self.observed_value,
            threshold=self.threshold,
            severity=self.severity.value,
            language=language_of(info.context),
        )

    @strawberry.field(description="The firm the warning is about.")
    async def firm(
        self, info: strawberry.Info
    ) -> Annotated[FirmType, strawberry.lazy("smecredit.graphql.firms")]:
        from smecredit.graphql.firms import FirmType

        return FirmType.from_model(await info.context.loaders.firm.load(self._firm_id))

    @strawberry.field(description="The loan the warning is about, if any.")
    async def loan(
        self, info: strawberry.Info
    ) -> Annotated[LoanType, strawberry.lazy("smecredit.graphql.lending.loans")] | None:
        from smecredit.graphql.lending.loans import LoanType

        if self._loan_id is None:
            return None
        row = await info.context.loaders.loan.load(self._loan_id)
        return LoanType.from_model(row) if row else None

    @strawberry.field(
        description="Every step of the warning's lifecycle, oldest first (batched per page)."
    )
    async def history(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[WarningEventType]:
        return await self._oldest_first(
            info,
            "Warning.history",
            models.WarningEvent,
            _EVENTS_OLDEST_FIRST,
            first,
            after,
            WarningEventType.from_model,
        )

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
    async def comments(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[WarningCommentType]:
        return await self._oldest_first(
            info,
            "Warning.comments",
            models.WarningComment,
            _COMMENTS_OLDEST_FIRST,
            first,
            after,
            WarningCommentType.from_model,
        )

    async def _oldest_first(
        self,
        info: strawberry.Info,
        name: str,
        model: type[Any],
        sort: SortSpec,
        first: int | None,
        after: str | None,
        to_node: Callable[[Any], NodeT],
    ) -> Connection[NodeT]:
        # The warning itself was read through its row scope: its history and comments go
        # with it. Batched across the warnings of a page (one query for all of them).
        return await nested_connection(
            info.context.loaders,
            name,
            model.all(),
            group_field="warning_id",
            group=self.db_id,
            variant=None,
            sort=sort,
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=to_node,
        )


@strawberry.type(description="A warning that was opened or changed, pushed live.")
class WarningChange:
    kind: WarningEventKind
    warning: WarningType

    @strawberry.field(description="The change's kind in the caller's language.")
    def kind_label(self, info: strawberry.Info) -> str:
        return label("warningEventKind", self.kind, language_of(info.context))


@strawberry.input(description="Filters for warnings; all given conditions must hold.")
class WarningFilter:
    severity: Severity | None = None
    status: WarningStatus | None = None
    rule_code: str | None = None
    since: dt.datetime | None = strawberry.field(
        default=None, description="Opened at or after this time."
    )
    branch_code: str | None = strawberry.field(
        default=None, description="About a firm of this branch (within the caller's scope)."
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
        if filter.branch_code:
            qs = qs.filter(firm__branch_code=filter.branch_code)
    return qs


async def list_warnings(
    info: strawberry.Info,
    *,
    first: int | None,
    after: str | None,
    filter: WarningFilter | None,
    sort: WarningSort | None = None,
) -> Connection[WarningType]:
    """A page of the warnings the caller may see."""
    return await paginate(
        filtered_warnings(info, filter),
        sort=warning_sort(sort),
        first=first,
        after=after,
        max_page_size=info.context.settings.max_page_size,
        to_node=WarningType.from_model,
    )


@strawberry.input(description="Filters for scan runs; all given conditions must hold.")
class WarningScanRunFilter:
    status: WarningScanRunStatus | None = None
    scope: WarningScanScope | None = None
    since: dt.datetime | None = strawberry.field(
        default=None, description="Started at or after this time."
    )


@strawberry.enum(description="Orderings of the scan-run list.")
class WarningScanRunSort(enum.Enum):
    STARTED_DESC = "started_desc"
    STARTED_ASC = "started_asc"


SCAN_RUN_SORTS = {
    WarningScanRunSort.STARTED_DESC: SortSpec("started_desc", "started_at", descending=True),
    WarningScanRunSort.STARTED_ASC: SortSpec("started_asc", "started_at"),
}
