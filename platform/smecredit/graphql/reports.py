"""GraphQL of reports: the ``reportTypes`` catalogue, ``runReport``, ``reports`` and ``report``.

Report types come from plugins (:mod:`smecredit.services.reports`); every signed-in user
lists them, ``canRun`` says whether the caller may run one (``report.run`` and one of the
type's roles). ``runReport`` answers the run at once, with its job (kind ``REPORT``), and
the work goes on in the background; it is cancelled through ``cancelJob``. A caller sees
its own runs, and with ``report.view_all`` everyone's. The file is fetched over HTTP from
``downloadUrl`` (``GET /reports/{id}/download``, see :mod:`smecredit.report_downloads`).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from smecredit import models
from smecredit.errors import InvalidInput
from smecredit.graphql.auth import AUDITED_BY_SERVICE, require_user
from smecredit.graphql.jobs import JobType, supervisor_of
from smecredit.graphql.nodes import nodes_in
from smecredit.graphql.pagination import Connection, SortSpec, paginate
from smecredit.graphql.results import guard, result_union
from smecredit.graphql.scalars import parse_global_id
from smecredit.i18n import language_of
from smecredit.services.jobs.queries import visible_jobs
from smecredit.services.lending.cob import business_today
from smecredit.services.reports.runs import (
    cancel_run,
    get_run,
    may_run,
    run_report,
    visible_runs,
)

__all__ = ["ReportMutations", "ReportQueries", "ReportRunType", "download_path"]

#: Longest parameter value accepted at the boundary (the parser checks kinds and ranges).
MAX_VALUE = 500
MAX_PARAMS = 30


def download_path(run_id: int) -> str:
    """The HTTP path a run's file is downloaded from."""
    return f"/reports/{run_id}/download"


def _zh(context: Any) -> bool:
    return language_of(context).lower().startswith("zh")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


@strawberry.enum(description="The kind of a report parameter (what its form field takes).")
class ReportParamKind(enum.Enum):
    DATE = "date"
    BRANCH = "branch"
    PRODUCT = "product"
    MODEL = "model"
    TEXT = "text"
    INT = "int"
    DECIMAL = "decimal"
    BOOL = "bool"
    CHOICE = "choice"


@strawberry.enum(description="Where a report run is in its life.")
class ReportRunState(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    EXPIRED = "expired"


@strawberry.type(description="One parameter of a report type (the run form's field).")
class ReportParamInfo:
    name: str
    kind: ReportParamKind
    title_zh: str
    title_en: str
    title: str = strawberry.field(description="The label in the caller's language.")
    required: bool
    default: str | None = strawberry.field(
        description="The value when left out (a date's 'today' is the business date)."
    )
    choices: list[str]
    minimum: str | None
    maximum: str | None


@strawberry.type(description="A report users can run, provided by a plugin.")
class ReportTypeInfo:
    name: str
    title_zh: str
    title_en: str
    title: str = strawberry.field(description="The title in the caller's language.")
    description_zh: str
    description_en: str
    description: str
    category: str = strawberry.field(
        description="portfolio, risk, models, data, decisions, compliance or regulatory."
    )
    formats: list[str]
    roles: list[str] = strawberry.field(description="The roles that may run it.")
    params: list[ReportParamInfo]
    can_run: bool = strawberry.field(description="Whether you may run it.")


def _type_info(rtype: Any, principal: Any, zh: bool) -> ReportTypeInfo:
    description_zh = str(getattr(rtype, "description_zh", "") or "")
    description_en = str(getattr(rtype, "description_en", "") or "")
    return ReportTypeInfo(
        name=rtype.name,
        title_zh=rtype.title_zh,
        title_en=rtype.title_en,
        title=rtype.title_zh if zh else rtype.title_en,
        description_zh=description_zh,
        description_en=description_en,
        description=description_zh if zh else description_en,
        category=str(getattr(rtype, "category", "portfolio") or "portfolio"),
        formats=list(rtype.formats),
        roles=list(rtype.roles),
        params=[
            ReportParamInfo(
                name=p.name,
                kind=ReportParamKind(p.kind),
                title_zh=p.title_zh,
                title_en=p.title_en,
                title=p.title_zh if zh else p.title_en,
                required=p.required,
                default=_text(p.default),
                choices=list(p.choices),
                minimum=_text(p.minimum),
                maximum=_text(p.maximum),
            )
            for p in rtype.params
        ],
        can_run=may_run(principal, rtype),
    )


@strawberry.type(name="ReportRun", description="One run of a report, and its file.")
class ReportRunType(relay.Node):
    db_id: relay.NodeID[int]
    name: str = strawberry.field(description="The report type's name.")
    params: JSON = strawberry.field(description="The parameters it ran with, as text.")
    format: str
    language: str
    requested_by: str = strawberry.field(description="Who ran it (system: a schedule).")
    state: ReportRunState
    content_hash: str | None = strawberry.field(
        description="SHA-256 of the report's data, the same in every format."
    )
    file_sha256: str | None = strawberry.field(description="SHA-256 of the file.")
    size: int | None = strawberry.field(description="Bytes of the file.")
    error_code: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    expires_at: dt.datetime | None = strawberry.field(
        description="When the retention purge deletes the file."
    )
    downloads: int
    job_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: models.ReportRun) -> ReportRunType:
        """The run of ``row``."""
        return cls(
            db_id=row.id,
            name=row.report_name,
            params=cast(JSON, row.params or {}),
            format=row.format,
            language=row.language,
            requested_by=row.requested_by,
            state=ReportRunState(row.state),
            content_hash=row.content_hash,
            file_sha256=row.file_sha256,
            size=row.size,
            error_code=row.error_code,
            created_at=row.created_at,
            finished_at=row.finished_at,
            expires_at=row.expires_at,
            downloads=row.downloads,
            job_id=row.job_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[ReportRunType | None]:
        return await nodes_in(visible_runs(info.context.user), node_ids, cls.from_model)

    @strawberry.field(description="Where to download the file (null until it is written).")
    def download_url(self) -> str | None:
        return download_path(self.db_id) if self.state is ReportRunState.SUCCEEDED else None

    @strawberry.field(description="The job that builds it (null: not visible to you).")
    async def job(self, info: strawberry.Info) -> JobType | None:
        if self.job_id is None:
            return None
        row = await visible_jobs(info.context.user).get_or_none(id=self.job_id)
        if row is None:
            return None
        return JobType.from_model(row, supervisor_of(info.context).live(row.id))


RunReportResult = result_union("RunReportResult", ReportRunType)


@strawberry.input(description="One parameter value of a report run, as text.")
class ReportParamValue:
    name: str
    value: str


@strawberry.input(description="What to run: a report type, its parameters, format, language.")
class RunReportInput:
    name: str
    params: list[ReportParamValue] = strawberry.field(default_factory=list)
    format: str = "xlsx"
    language: str | None = strawberry.field(
        default=None, description="zh or en (default: the caller's language)."
    )


@strawberry.input(description="Filters for report runs; all given conditions must hold.")
class ReportFilter:
    name: str | None = None
    state: ReportRunState | None = None
    mine: bool | None = strawberry.field(default=None, description="Only your own runs.")


@strawberry.enum(description="Orderings of the report run list.")
class ReportSort(enum.Enum):
    NEWEST_FIRST = "newest_first"
    OLDEST_FIRST = "oldest_first"


_SORTS = {
    ReportSort.NEWEST_FIRST: SortSpec("newest_first", "id", descending=True),
    ReportSort.OLDEST_FIRST: SortSpec("oldest_first", "id"),
}


def _params(values: list[ReportParamValue]) -> dict[str, str]:
    if len(values) > MAX_PARAMS:
        raise InvalidInput(f"at most {MAX_PARAMS} parameters", field="input.params")
    out: dict[str, str] = {}
    for item in values:
        if item.name in out:
            raise InvalidInput(f"parameter {item.name!r} is given twice", field="input.params")
        if len(item.value) > MAX_VALUE:
            raise InvalidInput(
                f"parameter {item.name!r} is longer than {MAX_VALUE} characters",
                field="input.params",
            )
        out[item.name] = item.value
    return out


@strawberry.type
class ReportQueries:
    @strawberry.field(description="Every installed report type, with whether you may run it.")
    def report_types(self, info: strawberry.Info) -> list[ReportTypeInfo]:
        user = require_user(info)
        zh = _zh(info.context)
        types = getattr(info.context.plugins, "report_types", None) or {}
        return [_type_info(types[name], user, zh) for name in sorted(types)]

    @strawberry.field(description="Report runs visible to you, newest first.")
    async def reports(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: ReportFilter | None = None,
        sort: ReportSort | None = None,
    ) -> Connection[ReportRunType]:
        user = require_user(info)
        qs = visible_runs(user)
        if filter is not None:
            if filter.name:
                qs = qs.filter(report_name=filter.name)
            if filter.state:
                qs = qs.filter(state=filter.state.value)
            if filter.mine:
                qs = qs.filter(requested_by=user.username)
        return await paginate(
            qs,
            sort=_SORTS[sort or ReportSort.NEWEST_FIRST],
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=ReportRunType.from_model,
        )

    @strawberry.field(description="One report run by its global id.")
    async def report(self, info: strawberry.Info, id: relay.GlobalID) -> ReportRunType:
        user = require_user(info)
        return ReportRunType.from_model(await get_run(user, parse_global_id(id, "ReportRun")))


@strawberry.type
class ReportMutations:
    @strawberry.mutation(
        description="Run a report: answers the run at once (state queued, with its job); "
        "the file is written in the background. REPORT_ROLE_REQUIRED without one of the "
        "type's roles; REPORT_PARAM_* naming a bad parameter.",
        metadata=AUDITED_BY_SERVICE,
    )
    async def run_report(self, info: strawberry.Info, input: RunReportInput) -> RunReportResult:  # type: ignore[valid-type]
        async def work() -> ReportRunType:
            user = require_user(info)
            language = input.language or ("zh" if _zh(info.context) else "en")
            settings = info.context.settings
            run = await run_report(
                user,
                input.name,
                _params(input.params),
                input.format,
                language,
                supervisor=supervisor_of(info.context),
                plugins=info.context.plugins,
                settings=settings,
                today=business_today(settings),
            )
            return ReportRunType.from_model(await models.ReportRun.get(id=run.id))

        return await guard(work())

    @strawberry.mutation(
        description="Cancel a queued or running report: its author may, and whoever may "
        "cancel jobs. The run ends CANCELLED and leaves no file; INVALID_TRANSITION once it "
        "has ended.",
        metadata=AUDITED_BY_SERVICE,
    )
    async def cancel_report(self, info: strawberry.Info, id: relay.GlobalID) -> RunReportResult:  # type: ignore[valid-type]
        async def work() -> ReportRunType:
            user = require_user(info)
            run_id = parse_global_id(id, "ReportRun")
            run = await cancel_run(supervisor_of(info.context), user, run_id)
            return ReportRunType.from_model(run)

        return await guard(work())
