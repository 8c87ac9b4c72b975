"""GraphQL for ingestion: sync runs and their progress, quarantine, data quality, consent."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from smecredit import models
from smecredit.errors import InvalidInput, NotFound
from smecredit.graphql.auth import AUDITED_BY_SERVICE, require_user
from smecredit.graphql.context import registry_of
from smecredit.graphql.evidence import value_label
from smecredit.graphql.jobs import supervisor_of
from smecredit.graphql.nodes import scoped_nodes
from smecredit.graphql.pagination import Connection, SortSpec, paginate
from smecredit.graphql.permissions import mask_value, permissions_for
from smecredit.graphql.results import Errors, guard
from smecredit.graphql.scalars import parse_global_id
from smecredit.i18n import label, language_of
from smecredit.security.row_scope import scoped
from smecredit.services import audit
from smecredit.services import consent as consent_service
from smecredit.services.ingestion.quarantine import masked_view, open_raw
from smecredit.services.ingestion.sync import (
    IngestionError,
    prepare_sync,
    run_positions,
)
from smecredit.services.jobs.kinds import start_sync
from smecredit.services.quality import RunQuality, quality_report
from smecredit.services.sync_schedule import schedules_from_settings

__all__ = [
    "ConsentType",
    "DataQualityType",
    "DataSourceType",
    "IngestionMutations",
    "IngestionQueries",
    "QuarantineFilter",
    "QuarantinedRecordType",
    "RefreshJobStatus",
    "RefreshJobType",
    "RevokeConsentPayload",
    "SyncOperation",
    "SyncRunFilter",
    "SyncRunSort",
    "SyncRunStatus",
    "SyncRunType",
]

#: Who may start a sync, and who may record or revoke a consent.


def kind_label(kind: str | None, info: strawberry.Info) -> str | None:
    """A record kind (``tax_record``) in the caller's language; a kind the catalogue does
    not know answers as given."""
    return value_label("recordKind", kind, info)


@strawberry.enum(description="Where a sync run stands.")
class SyncRunStatus(enum.Enum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


@strawberry.enum(description="How a run was started: a file imported, or a source synced.")
class SyncOperation(enum.Enum):
    DATA_IMPORT = "data.import"
    SOURCE_SYNC = "source.sync"


@strawberry.enum(description="Where the refresh after a sync stands.")
class RefreshJobStatus(enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@strawberry.type(
    name="QuarantinedRecord",
    description="A record refused at entry, kept whole with where it came from and why. "
    "Readable by data roles (administrators, risk analysts, compliance auditors) within "
    "their branches.",
)
class QuarantinedRecordType(relay.Node):
    db_id: relay.NodeID[int]
    source: str
    locator: str = strawberry.field(description="Where in the source: 'line 17', 'record 42'.")
    kind: str | None
    field: str | None = strawberry.field(description="The first offending field.")
    # A string, not an enum: schema checks and data-source plugins add codes of their own.
    code: str = strawberry.field(description="Stable reason code, e.g. BAD_CODE, UNKNOWN_FIRM.")
    reason: str = strawberry.field(description="Why; personal data in it is masked.")
    branch_code: str | None = strawberry.field(
        description="The branch of the record's firm, when known (row scope)."
    )
    created_at: dt.datetime
    row: strawberry.Private[models.QuarantinedRecord]

    @strawberry.field(description="The reason code, in the caller's language.")
    def code_label(self, info: strawberry.Info) -> str:
        return label("quarantineCode", self.code, language_of(info.context))

    @strawberry.field(description="The record kind, in the caller's language.")
    def kind_label(self, info: strawberry.Info) -> str | None:
        return kind_label(self.kind, info)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[QuarantinedRecordType | None]:
        # node(id:) meets the same field rule as SyncRun.quarantinedRecords: a role kept
        # from the quarantine finds nothing here either.
        if permissions_for(info.context).decide("SyncRun.quarantinedRecords").kind != "allow":
            return [None for _ in node_ids]
        return await scoped_nodes(info, models.QuarantinedRecord, node_ids, cls.from_model)

    @classmethod
    def from_model(cls, row: models.QuarantinedRecord) -> QuarantinedRecordType:
        return cls(
            db_id=row.id,
            source=row.source,
            locator=row.locator,
            kind=row.kind,
            field=row.field,
            code=row.code,
            reason=row.reason,
            branch_code=row.branch_code,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(
        description="The record as the source gave it (stored encrypted). Personal values "
        "are shown as the caller sees a person's name, ID number and phone (the Person.* "
        "field rules); other text shaped like an ID or mobile number is masked unless the "
        "caller sees those in clear."
    )
    async def raw_record(self, info: strawberry.Info) -> JSON | None:
        return cast(JSON, await quarantine_view(info, self.row))


async def quarantine_view(info: strawberry.Info, row: models.QuarantinedRecord) -> Any:
    """The raw record of ``row`` as the caller may see it (audits an unmasked read)."""
    raw = open_raw(row)
    if raw is None:
        return None
    perms = permissions_for(info.context)
    decisions = {name: perms.decide(f"Person.{name}") for name in _PERSON_FIELDS}
    plugins = getattr(info.context, "plugins", None)
    shown_clear: list[str] = []

    def mask(person_field: str, value: str) -> Any:
        decision = decisions[person_field]
        if decision.kind == "allow":
            shown_clear.append(person_field)
            return value
        if decision.kind == "mask":
            return mask_value(value, decision, plugins)
        return None

    clear_text = all(decisions[name].kind == "allow" for name in ("idNumber", "phone"))
    view = masked_view(raw, row.kind, mask, clear_text=clear_text)
    audited = any(decisions[name].audited for name in set(shown_clear))
    if audited and _RAW_KEY not in perms.audited:
        perms.audited.add(_RAW_KEY)  # once per request, like every unmasked sensitive read
        await audit.record(
            info.context.user,
            "sensitive_field.read_unmasked",
            _RAW_KEY,
            after={"quarantined_record": row.id, "fields": sorted(set(shown_clear))},
        )
    return view


_PERSON_FIELDS = ("name", "idNumber", "phone")
_RAW_KEY = "QuarantinedRecord.rawRecord"


@strawberry.type(
    name="RefreshJob",
    description="The rescoring and warning re-evaluation of the firms a sync brought new "
    "evidence about (inserted or changed rows), run as a job after the sync.",
)
class RefreshJobType(relay.Node):
    db_id: relay.NodeID[int]
    status: RefreshJobStatus
    firms: int = strawberry.field(description="Firms the sync touched.")
    scored: int = strawberry.field(description="Firms scored again with the champion model.")
    score_skipped: str | None = strawberry.field(
        description="Why scoring was skipped (no champion model), when it was."
    )
    scan_run_id: relay.GlobalID | None = strawberry.field(
        description="The global id of the warning scan (WarningScanRun) that re-evaluated "
        "the firms' warnings."
    )
    opened: int = strawberry.field(description="Warnings the re-evaluation opened.")
    updated: int
    resolved: int
    error: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @strawberry.field(description="The status, in the caller's language.")
    def status_label(self, info: strawberry.Info) -> str:
        return label("refreshJobStatus", self.status, language_of(info.context))

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[RefreshJobType | None]:
        if getattr(info.context, "user", None) is None:
            return [None for _ in node_ids]
        ids = [int(i) for i in node_ids]
        rows = {row.id: row for row in await models.RefreshJob.filter(id__in=ids)}
        return [cls.from_model(rows[i]) if i in rows else None for i in ids]

    @classmethod
    def from_model(cls, row: models.RefreshJob) -> RefreshJobType:
        scan = row.scan_run_id  # type: ignore[attr-defined]
        return cls(
            db_id=row.id,
            status=RefreshJobStatus(row.status),
            firms=row.firms,
            scored=row.scored,
            score_skipped=row.score_skipped,
            scan_run_id=None if scan is None else relay.GlobalID("WarningScanRun", str(scan)),
            opened=row.opened,
            updated=row.updated,
            resolved=row.resolved,
            error=row.error,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
        )


@strawberry.type(
    name="DataSource",
    description="An installed data source (plugin): what it yields, how it is configured and "
    "when it is synced.",
)
class DataSourceType:
    name: str
    description: str
    record_kinds: list[str]

    @strawberry.field(description="The record kinds, in the caller's language.")
    def record_kind_labels(self, info: strawberry.Info) -> list[str]:
        return [kind_label(k, info) or k for k in self.record_kinds]

    incremental: bool = strawberry.field(
        description="Honours since: each sync starts from the last complete run's start."
    )
    needs_consent: bool
    settings_schema: JSON | None = strawberry.field(  # None: denied by the field policy
        description="JSON Schema (draft 2020-12) of the settings startSync takes; a sync "
        "whose settings do not match fails with INVALID_SETTINGS naming the setting "
        "(administrators only)."
    )
    schedule: str | None = strawberry.field(
        description="When the server syncs it (SMECREDIT_SYNC_SCHEDULE), e.g. 'daily at "
        "06:00+00:00'; null when it is not scheduled."
    )
    next_since: str | None = strawberry.field(
        description="The since the next sync starts from (incremental sources)."
    )
    last_success_at: dt.datetime | None = strawberry.field(
        description="When its last complete run (succeeded or partial) ended."
    )


@strawberry.input(description="Filters for quarantined records; all given conditions must hold.")
class QuarantineFilter:
    code: str | None = strawberry.field(default=None, description="Reason code.")
    kind: str | None = strawberry.field(default=None, description="Record kind.")


_QUARANTINE_SORT = SortSpec("id_asc", "id")


@strawberry.type(name="SyncRun", description="One pull of a data source, with its quality counts.")
class SyncRunType(relay.Node):
    db_id: relay.NodeID[int]
    source: str
    kind: str | None
    status: SyncRunStatus = strawberry.field(
        description="RUNNING, SUCCEEDED, PARTIAL (finished with records quarantined), FAILED "
        "(see error) or INTERRUPTED (stopped, or its process died: a rerun resumes it)."
    )
    started_at: dt.datetime
    finished_at: dt.datetime | None
    operation: SyncOperation = strawberry.field(description="DATA_IMPORT (a file) or SOURCE_SYNC.")
    actor: str = strawberry.field(description="Who started it (system for the CLI).")
    file_name: str | None = strawberry.field(description="The imported file's name.")
    file_sha256: str | None = strawberry.field(description="SHA-256 of the imported file.")
    heartbeat_at: dt.datetime | None = strawberry.field(
        description="Last sign of life of the process running it."
    )
    since: str | None
    resumed_from: str | None = strawberry.field(description="Checkpoint this run resumed after.")
    checkpoint: str | None = strawberry.field(description="Position of the last committed record.")
    total: int | None = strawberry.field(description="Records expected, when known.")
    done: int = strawberry.field(description="Records read so far.")
    read: int
    accepted: int
    quarantined: int
    merged: int = strawberry.field(description="Firm/person records merged into a profile.")
    duplicates: int
    outliers: int = strawberry.field(description="Values flagged as outliers (kept).")
    missing_rates: JSON = strawberry.field(description="kind -> field -> share of empty values.")
    outliers_by_field: JSON
    flagged_by_code: JSON = strawberry.field(
        description="IMPLAUSIBLE_DATE / FORMULA_TEXT -> kind.field -> records flagged (kept)."
    )
    flags: JSON = strawberry.field(description="The first flagged records: code, field, locator.")
    skipped_firms: list[str] = strawberry.field(
        description="Firms not requested for lack of consent (first thousand)."
    )
    skipped_count: int
    notes: JSON = strawberry.field(description="The source's own messages and warnings.")
    error: str | None

    @classmethod
    def from_model(cls, row: models.SyncRun) -> SyncRunType:
        resumed_from, checkpoint = run_positions(row)
        return cls(
            db_id=row.id,
            source=row.source,
            kind=row.kind,
            status=SyncRunStatus(row.status),
            started_at=row.started_at,
            finished_at=row.finished_at,
            operation=SyncOperation(row.operation),
            actor=row.actor,
            file_name=row.file_name,
            file_sha256=row.file_sha256,
            heartbeat_at=row.heartbeat_at,
            since=row.since,
            resumed_from=resumed_from,
            checkpoint=checkpoint,
            total=row.total,
            done=row.done,
            read=row.read,
            accepted=row.accepted,
            quarantined=row.quarantined,
            merged=row.merged,
            duplicates=row.duplicates,
            outliers=row.outliers,
            missing_rates=cast(JSON, row.missing_rates or {}),
            outliers_by_field=cast(JSON, row.outliers_by_field or {}),
            flagged_by_code=cast(JSON, row.flagged_by_code or {}),
            flags=cast(JSON, row.flags or []),
            skipped_firms=list(row.skipped_firms or []),
            skipped_count=row.skipped_count,
            notes=cast(JSON, row.notes or []),
            error=row.error,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[SyncRunType | None]:
        ids = [int(node_id) for node_id in node_ids]
        rows = {row.id: row for row in await models.SyncRun.filter(id__in=ids)}
        return [cls.from_model(rows[i]) if i in rows else None for i in ids]

    @strawberry.field(description="The status, in the caller's language.")
    def status_label(self, info: strawberry.Info) -> str:
        return label("syncRunStatus", self.status, language_of(info.context))

    @strawberry.field(description="The record kind, in the caller's language (null: all).")
    def kind_label(self, info: strawberry.Info) -> str | None:
        return kind_label(self.kind, info)

    @strawberry.field(description="The operation, in the caller's language.")
    def operation_label(self, info: strawberry.Info) -> str:
        return label("syncOperation", self.operation.name, language_of(info.context))

    @strawberry.field(
        description="The run's quarantined records in the caller's branches, oldest first "
        "(data roles only)."
    )
    async def quarantined_records(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: QuarantineFilter | None = None,
    ) -> Connection[QuarantinedRecordType] | None:  # None: denied by the field policy
        query = scoped(info.context, models.QuarantinedRecord).filter(run_id=self.db_id)
        if filter is not None:
            if filter.code is not None:
                query = query.filter(code=filter.code)
            if filter.kind is not None:
                query = query.filter(kind=filter.kind)
        return await paginate(
            query,
            sort=_QUARANTINE_SORT,
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=QuarantinedRecordType.from_model,
        )

    @strawberry.field(
        description="The rescoring and warning re-evaluation of the firms this run touched "
        "(null when it touched none)."
    )
    async def refresh_job(self, info: strawberry.Info) -> RefreshJobType | None:
        row = await info.context.loaders.refresh_job.load(self.db_id)
        return RefreshJobType.from_model(row) if row is not None else None


@strawberry.type(name="RunQuality", description="Data-quality figures of one run.")
class RunQualityType:
    run_id: relay.GlobalID = strawberry.field(description="The global id of the SyncRun.")
    source: str
    status: SyncRunStatus
    read: int
    accepted: int
    quarantined: int
    merged: int
    duplicates: int
    outliers: int
    acceptance_rate: float
    quarantine_by_code: JSON
    flagged_by_code: JSON
    missing_rates: JSON

    @classmethod
    def from_quality(cls, run: RunQuality) -> RunQualityType:
        return cls(
            run_id=relay.GlobalID("SyncRun", str(run.run_id)),
            source=run.source,
            status=SyncRunStatus(run.status),
            read=run.read,
            accepted=run.accepted,
            quarantined=run.quarantined,
            merged=run.merged,
            duplicates=run.duplicates,
            outliers=run.outliers,
            acceptance_rate=run.acceptance_rate,
            quarantine_by_code=cast(JSON, run.quarantine_by_code),
            flagged_by_code=cast(JSON, run.flagged_by_code),
            missing_rates=cast(JSON, run.missing_rates),
        )


@strawberry.type(name="DataQuality", description="Data quality of a source (or all), by run.")
class DataQualityType:
    source: str | None
    read: int
    accepted: int
    quarantined: int
    merged: int
    duplicates: int
    outliers: int
    latest_missing_rates: JSON
    runs: list[RunQualityType]


@strawberry.type(name="Consent", description="A firm's consent to query a consent-gated source.")
class ConsentType(relay.Node):
    db_id: relay.NodeID[int]
    firm_uscc: str
    scope: str
    granted_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    granted_by: str
    evidence_ref: str

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[ConsentType | None]:
        ids = [int(i) for i in node_ids]
        found = scoped(info.context, models.Consent).filter(id__in=ids).select_related("firm")
        rows = {row.id: row for row in await found}
        return [_consent(rows[i], rows[i].firm.uscc) if i in rows else None for i in ids]


@strawberry.type(name="RevokeConsentPayload", description="What revokeConsent changed.")
class RevokeConsentPayload:
    revoked: int = strawberry.field(description="Consents revoked (0: none was in force).")


@strawberry.input(description="Filters for sync runs; all given conditions must hold.")
class SyncRunFilter:
    source: str | None = None
    status: SyncRunStatus | None = None
    operation: SyncOperation | None = None


@strawberry.enum(description="Orderings of the sync runs.")
class SyncRunSort(enum.Enum):
    NEWEST_FIRST = "newest_first"
    OLDEST_FIRST = "oldest_first"


_RUN_SORTS = {
    SyncRunSort.NEWEST_FIRST: SortSpec("id_desc", "id", descending=True),
    SyncRunSort.OLDEST_FIRST: SortSpec("id_asc", "id"),
}

SyncRunResult = Annotated[SyncRunType | Errors, strawberry.union("SyncRunResult")]
ConsentResult = Annotated[ConsentType | Errors, strawberry.union("ConsentResult")]
RevokeConsentResult = Annotated[
    RevokeConsentPayload | Errors, strawberry.union("RevokeConsentResult")
]


def _registry(info: strawberry.Info) -> Any:
    return registry_of(info.context)


def _schedules(info: strawberry.Info) -> dict[str, str]:
    return {s.source: s.when.describe() for s in schedules_from_settings(info.context.settings)}


@strawberry.type
class IngestionQueries:
    @strawberry.field(description="The installed data sources, by name.")
    async def data_sources(self, info: strawberry.Info) -> list[DataSourceType]:
        require_user(info)
        sources = getattr(_registry(info), "data_sources", {}) or {}
        states = {s.source: s for s in await models.SourceState.all()}
        schedules = _schedules(info)
        out: list[DataSourceType] = []
        for name in sorted(sources):
            source = sources[name]
            state = states.get(name)
            out.append(
                DataSourceType(
                    name=name,
                    # required members of sdk.DataSource: the loader checked them
                    description=str(source.description),
                    record_kinds=list(source.record_kinds),
                    incremental=bool(source.incremental),
                    needs_consent=bool(source.needs_consent),
                    settings_schema=cast(JSON, dict(source.settings_schema or {})),
                    schedule=schedules.get(name),
                    next_since=state.next_since if state is not None else None,
                    last_success_at=state.last_success_at if state is not None else None,
                )
            )
        return out

    @strawberry.field(description="Sync runs (default: newest first), paged.")
    async def sync_runs(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: SyncRunFilter | None = None,
        sort: SyncRunSort | None = None,
    ) -> Connection[SyncRunType]:
        require_user(info)
        query = models.SyncRun.all()
        if filter is not None:
            if filter.source is not None:
                query = query.filter(source=filter.source)
            if filter.status is not None:
                query = query.filter(status=filter.status.value)
            if filter.operation is not None:
                query = query.filter(operation=filter.operation.value)
        return await paginate(
            query,
            sort=_RUN_SORTS[sort or SyncRunSort.NEWEST_FIRST],
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=SyncRunType.from_model,
        )

    @strawberry.field(description="One sync run by its global id; poll it for progress.")
    async def sync_run(self, info: strawberry.Info, id: relay.GlobalID) -> SyncRunType:
        require_user(info)
        row = await models.SyncRun.get_or_none(id=parse_global_id(id, "SyncRun"))
        if row is None:
            raise NotFound(f"sync run {id} not found", code="RUN_NOT_FOUND")
        return SyncRunType.from_model(row)

    @strawberry.field(description="Data quality of a source (or of every source).")
    async def data_quality(
        self, info: strawberry.Info, source: str | None = None
    ) -> DataQualityType:
        require_user(info)
        report = await quality_report(source)
        return DataQualityType(
            source=report.source,
            latest_missing_rates=cast(JSON, report.latest_missing_rates),
            runs=[RunQualityType.from_quality(run) for run in report.runs],
            **report.totals,
        )


def _consent(row: models.Consent, uscc: str) -> ConsentType:
    return ConsentType(
        db_id=row.id,
        firm_uscc=uscc,
        scope=row.scope,
        granted_at=row.granted_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        granted_by=row.granted_by,
        evidence_ref=row.evidence_ref,
    )


@strawberry.type
class IngestionMutations:
    @strawberry.mutation(
        description="Start a sync in the background; returns the run at once (poll syncRun)."
    )
    async def start_sync(
        self,
        info: strawberry.Info,
        source: str,
        since: str | None = None,
        settings: JSON | None = None,
        full: Annotated[
            bool,
            strawberry.argument(
                description="Pull everything instead of starting from the since the source "
                "remembers (incremental sources; ignored when since is given)."
            ),
        ] = False,
    ) -> SyncRunResult:
        async def work() -> SyncRunType:
            actor = require_user(info)
            if settings is not None and not isinstance(settings, dict):
                raise InvalidInput("settings must be a JSON object", code="INVALID_SETTINGS")
            try:
                job = await prepare_sync(
                    _registry(info),
                    source,
                    since=since,
                    settings=settings,
                    actor=actor,
                    operation="source.sync",
                    stale_after=info.context.settings.sync_stale_after,
                    full=full,
                )
            except IngestionError as error:
                raise InvalidInput(str(error), code=error.code) from None
            # The sync as a job of the supervisor, then the rescoring and re-evaluation of
            # the firms it touched as a job of its own.
            await start_sync(
                supervisor_of(info.context), job, started_by=actor, settings=info.context.settings
            )
            return SyncRunType.from_model(job.run)

        return await guard(work())  # type: ignore[return-value]

    @strawberry.mutation(
        description="Record a firm's consent for a scope (bureau, tax...).",
        metadata=AUDITED_BY_SERVICE,
    )
    async def grant_consent(
        self,
        info: strawberry.Info,
        uscc: str,
        scope: str,
        expires_at: dt.datetime | None = None,
        evidence_ref: str = "",
    ) -> ConsentResult:
        async def work() -> ConsentType:
            row = await consent_service.grant_consent(
                uscc,
                scope,
                actor=require_user(info),
                expires_at=expires_at,
                evidence_ref=evidence_ref,
            )
            firm = await models.Firm.get(id=row.firm_id)  # type: ignore[attr-defined]
            return _consent(row, firm.uscc)

        return await guard(work())  # type: ignore[return-value]

    @strawberry.mutation(
        description="Revoke a firm's consents for a scope; answers how many.",
        metadata=AUDITED_BY_SERVICE,
    )
    async def revoke_consent(
        self, info: strawberry.Info, uscc: str, scope: str
    ) -> RevokeConsentResult:
        async def work() -> RevokeConsentPayload:
            revoked = await consent_service.revoke_consent(uscc, scope, actor=require_user(info))
            return RevokeConsentPayload(revoked=revoked)

        return await guard(work())  # type: ignore[return-value]
