"""GraphQL types and operations for firms, their representative and evidence."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import UNSET, relay
from strawberry.relay import PageInfo
from tortoise.expressions import Q, Subquery

from smecredit import models
from smecredit.domain.identity import is_valid_uscc, normalize_uscc
from smecredit.errors import BadCursor, InvalidInput, NotFound
from smecredit.graphql.auth import AUDITED_BY_SERVICE, require_user
from smecredit.graphql.dataloaders import OPEN_STATUSES, latest_scores, nested_connection
from smecredit.graphql.evidence import (
    MAX_TIMELINE,
    BureauSummaryType,
    FinancialStatementType,
    LegalCaseType,
    RegistryEventType,
    RepaymentHistoryType,
    TaxRecordType,
    TimelineEvent,
    evidence_connection,
    firm_timeline,
)
from smecredit.graphql.nodes import scoped_nodes
from smecredit.graphql.pagination import (
    Connection,
    Edge,
    SortSpec,
    check_page_size,
    decode_cursor,
    encode_cursor,
    paginate,
)
from smecredit.graphql.results import Errors, guard
from smecredit.graphql.scalars import parse_global_id
from smecredit.i18n import label, language_of
from smecredit.security.row_scope import scoped
from smecredit.services import firms as firm_service
from smecredit.services.persons import decrypt_person

if TYPE_CHECKING:
    from smecredit.graphql.lending.loans import LoanFilter, LoanSort, LoanType
    from smecredit.graphql.scores import ScoreType
    from smecredit.graphql.warnings.types import (
        Severity,
        WarningFilter,
        WarningSort,
        WarningType,
    )

__all__ = [
    "FirmMutations",
    "FirmQueries",
    "FirmResult",
    "FirmStatus",
    "FirmType",
    "PersonType",
]


@strawberry.enum(description="The registration status of a firm.")
class FirmStatus(enum.Enum):
    ACTIVE = "active"
    ABNORMAL = "abnormal"
    DEREGISTERED = "deregistered"
    REVOKED = "revoked"


def _status(value: str) -> FirmStatus:
    return FirmStatus(value)


@strawberry.type(name="Person", description="A natural person: the legal representative of a firm.")
class PersonType(relay.Node):
    """Personal data: guarded and masked by field-level permissions."""

    db_id: relay.NodeID[int]
    # Nullable: an unmasked read that cannot be audited is withheld (AUDIT_UNAVAILABLE),
    # and a withheld field must not null the firm it hangs from.
    name: str | None
    id_number: str | None
    phone: str | None

    @classmethod
    def from_model(cls, row: models.Person) -> PersonType:
        clear = decrypt_person(row)  # stored encrypted; field permissions mask on the way out
        return cls(db_id=row.id, name=clear.name, id_number=clear.id_number, phone=clear.phone)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[PersonType | None]:
        return await scoped_nodes(info, models.Person, node_ids, cls.from_model)


@strawberry.type(name="Firm", description="A small or micro enterprise.")
class FirmType(relay.Node):
    db_id: relay.NodeID[int]
    uscc: str
    name: str
    industry_code: str
    region_code: str
    established_on: dt.date | None
    registered_capital: Decimal | None
    employees: int | None
    status: FirmStatus
    branch_code: str
    version: int
    _representative_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: models.Firm) -> FirmType:
        return cls(
            db_id=row.id,
            uscc=row.uscc,
            name=row.name,
            industry_code=row.industry_code,
            region_code=row.region_code,
            established_on=row.established_on,
            registered_capital=row.registered_capital,
            employees=row.employees,
            status=_status(row.status),
            branch_code=row.branch_code,
            version=row.version,
            _representative_id=row.representative_id,  # type: ignore[attr-defined]
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[FirmType | None]:
        return await scoped_nodes(info, models.Firm, node_ids, cls.from_model)

    @strawberry.field(description="The firm's status, in the caller's language.")
    def status_label(self, info: strawberry.Info) -> str:
        return label("firmStatus", self.status, language_of(info.context))

    @strawberry.field(description="The firm's legal representative.")
    async def representative(self, info: strawberry.Info) -> PersonType | None:
        if self._representative_id is None:
            return None
        row = await info.context.loaders.person.load(self._representative_id)
        return PersonType.from_model(row) if row else None

    @strawberry.field(description="The newest score of the firm, from any model.")
    async def latest_score(
        self, info: strawberry.Info
    ) -> Annotated[ScoreType, strawberry.lazy("smecredit.graphql.scores")] | None:
        from smecredit.graphql.scores import ScoreType

        row = await info.context.loaders.latest_score.load(self.db_id)
        return ScoreType.from_model(row) if row else None

    @strawberry.field(description="The firm's score history, newest first.")
    async def scores(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[ScoreType, strawberry.lazy("smecredit.graphql.scores")]]:
        from smecredit.graphql.scores import ScoreType

        return await nested_connection(
            info.context.loaders,
            "Firm.scores",
            scoped(info.context, models.Score),
            group_field="firm_id",
            group=self.db_id,
            variant=None,
            sort=_SCORE_HISTORY_SORT,
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=ScoreType.from_model,
        )

    @strawberry.field(description="Financial statements, newest period first (every one).")
    async def financials(self, info: strawberry.Info) -> list[FinancialStatementType]:
        rows = await info.context.loaders.financials.load(self.db_id)
        return [FinancialStatementType.from_model(r) for r in rows]

    @strawberry.field(description="Financial statements, newest period first, paged.")
    async def financial_statements(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[FinancialStatementType]:
        return await evidence_connection(info, "Firm.financialStatements", self.db_id, first, after)

    @strawberry.field(description="Monthly tax filings, newest month first.")
    async def tax_records(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[TaxRecordType] | None:  # None: denied by the field policy
        return await evidence_connection(info, "Firm.taxRecords", self.db_id, first, after)

    @strawberry.field(description="Business-registration events, newest first.")
    async def registry_events(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[RegistryEventType] | None:  # None: denied by the field policy
        return await evidence_connection(info, "Firm.registryEvents", self.db_id, first, after)

    @strawberry.field(description="Court cases, enforcements and penalties, newest first.")
    async def legal_cases(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[LegalCaseType] | None:  # None: denied by the field policy
        return await evidence_connection(info, "Firm.legalCases", self.db_id, first, after)

    @strawberry.field(description="Credit-bureau report summaries, newest first.")
    async def bureau_summaries(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[BureauSummaryType] | None:  # None: denied by the field policy
        return await evidence_connection(info, "Firm.bureauSummaries", self.db_id, first, after)

    @strawberry.field(
        description="Instalments of loans held elsewhere or imported, newest due date first."
    )
    async def repayment_history(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[RepaymentHistoryType] | None:  # None: denied by the field policy
        return await evidence_connection(info, "Firm.repaymentHistory", self.db_id, first, after)

    @strawberry.field(
        description=(
            "The firm's history in one dated list, newest first: registry events, court "
            "cases, tax arrears, bureau overdues, statements, late repayments and warnings, "
            "each linking to its evidence; paged like every list, over the newest "
            f"{MAX_TIMELINE} events since `since`."
        )
    )
    async def timeline(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        since: dt.date | None = None,
    ) -> Connection[TimelineEvent] | None:  # None: denied by the field policy
        size = check_page_size(first, info.context.settings.max_page_size)
        position = _timeline_position(after) if after else None
        events = sorted(
            await firm_timeline(info, self.db_id, since, MAX_TIMELINE),
            key=_timeline_key,
            reverse=True,
        )
        if position is not None:
            events = [e for e in events if _timeline_key(e) < position]
        page = events[: size + 1]
        edges = [Edge(cursor=_timeline_cursor(e), node=e) for e in page[:size]]
        total = len(events) if position is None else None

        async def count() -> int:
            if total is not None:
                return total
            return len(await firm_timeline(info, self.db_id, since, MAX_TIMELINE))

        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(page) > size,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            _count=count,
        )

    @strawberry.field(description="Number of warnings not yet resolved or dismissed.")
    async def open_warning_count(self, info: strawberry.Info) -> int | None:
        return int(await info.context.loaders.open_warning_count.load(self.db_id))

    @strawberry.field(description="The firm's loans.")
    async def loans(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: Annotated[LoanFilter, strawberry.lazy("smecredit.graphql.lending.loans")]
        | None = None,
        sort: Annotated[LoanSort, strawberry.lazy("smecredit.graphql.lending.loans")] | None = None,
    ) -> Connection[Annotated[LoanType, strawberry.lazy("smecredit.graphql.lending.loans")]]:
        from smecredit.graphql.lending.loans import LoanType, filtered_loans, loan_sort

        return await nested_connection(
            info.context.loaders,
            "Firm.loans",
            filtered_loans(info, filter),
            group_field="firm_id",
            group=self.db_id,
            variant=repr(filter),
            sort=loan_sort(sort),
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=LoanType.from_model,
        )

    @strawberry.field(description="Warnings about the firm, newest first.")
    async def warnings(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: Annotated[WarningFilter, strawberry.lazy("smecredit.graphql.warnings.types")]
        | None = None,
        sort: Annotated[WarningSort, strawberry.lazy("smecredit.graphql.warnings.types")]
        | None = None,
    ) -> (  # None: denied by the field policy
        Connection[Annotated[WarningType, strawberry.lazy("smecredit.graphql.warnings.types")]]
        | None
    ):
        from smecredit.graphql.warnings.types import WarningType, filtered_warnings, warning_sort

        return await nested_connection(
            info.context.loaders,
            "Firm.warnings",
            filtered_warnings(info, filter),
            group_field="firm_id",
            group=self.db_id,
            variant=repr(filter),
            sort=warning_sort(sort),
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=WarningType.from_model,
        )


#: The timeline's ordering: newest first, ties broken by the evidence's type and key.
_TIMELINE_SORT = SortSpec("timeline_desc", "on", descending=True)


def _timeline_key(event: TimelineEvent) -> tuple[str, str, int]:
    # A total order over the merged sources: date, then the evidence type, then its key.
    return (event.on.isoformat(), event.evidence_id.type_name, int(event.evidence_id.node_id))


def _timeline_cursor(event: TimelineEvent) -> str:
    on, type_name, pk = _timeline_key(event)
    return encode_cursor(_TIMELINE_SORT, f"{on}|{type_name}", pk)


def _timeline_position(cursor: str) -> tuple[str, str, int]:
    key, pk = decode_cursor(_TIMELINE_SORT, cursor)
    on, _, type_name = str(key).partition("|")
    try:
        dt.date.fromisoformat(on)
    except ValueError:
        raise BadCursor(f"cursor {cursor!r} is not a valid cursor") from None
    return (on, type_name, pk)


#: The longest text `FirmFilter.search` takes (the boundary refuses longer naming filter.search).
MAX_SEARCH = 60


def search_condition(text: str) -> Q:
    """Firms whose name contains ``text`` or whose USCC starts with it (normalised)."""
    condition = Q(name__icontains=text.strip())
    code = normalize_uscc(text)
    if code:
        condition |= Q(uscc__startswith=code)
    return condition


@strawberry.input(description="Filters for firms; all given conditions must hold.")
class FirmFilter:
    name_contains: str | None = None
    industry_code: str | None = None
    region_code: str | None = None
    branch_code: str | None = None
    status: FirmStatus | None = None
    grade: str | None = strawberry.field(
        default=None, description="Grade of the firm's latest score."
    )
    search: str | None = strawberry.field(
        default=None,
        description=(
            "Name contains this text (any case) or the unified social credit code starts "
            f"with it (blanks and dashes ignored); at most {MAX_SEARCH} characters."
        ),
    )
    warning_level: (
        Annotated[Severity, strawberry.lazy("smecredit.graphql.warnings.types")] | None
    ) = strawberry.field(
        default=None,
        description="The firm has an open (not resolved or dismissed) warning of this level.",
    )


@strawberry.enum(description="Orderings of the firm list.")
class FirmSort(enum.Enum):
    ID_ASC = "id_asc"
    NAME_ASC = "name_asc"
    NAME_DESC = "name_desc"
    USCC_ASC = "uscc_asc"


_SCORE_HISTORY_SORT = SortSpec("computed_desc", "computed_at", descending=True)

_FIRM_SORTS = {
    FirmSort.ID_ASC: SortSpec("id_asc", "id"),
    FirmSort.NAME_ASC: SortSpec("name_asc", "name"),
    FirmSort.NAME_DESC: SortSpec("name_desc", "name", descending=True),
    FirmSort.USCC_ASC: SortSpec("uscc_asc", "uscc"),
}


async def list_firms(
    info: strawberry.Info,
    *,
    first: int | None,
    after: str | None,
    filter: FirmFilter | None,
    sort: FirmSort | None,
) -> Connection[FirmType]:
    qs = scoped(info.context, models.Firm)
    if filter is not None:
        if filter.name_contains:
            qs = qs.filter(name__icontains=filter.name_contains)
        if filter.industry_code:
            qs = qs.filter(industry_code=filter.industry_code)
        if filter.region_code:
            qs = qs.filter(region_code=filter.region_code)
        if filter.branch_code:
            qs = qs.filter(branch_code=filter.branch_code)
        if filter.status:
            qs = qs.filter(status=filter.status.value)
        if filter.grade:
            # One SQL statement: the firm's newest score must carry the grade.
            graded = latest_scores(models.Score.filter(grade=filter.grade)).values("firm_id")
            qs = qs.filter(id__in=Subquery(graded))
        if filter.search and filter.search.strip():
            qs = qs.filter(search_condition(filter.search))
        if filter.warning_level:
            warned = models.Warning.filter(
                severity=filter.warning_level.value, status__in=OPEN_STATUSES
            ).values("firm_id")
            qs = qs.filter(id__in=Subquery(warned))
    return await paginate(
        qs,
        sort=_FIRM_SORTS[sort or FirmSort.ID_ASC],
        first=first,
        after=after,
        max_page_size=info.context.settings.max_page_size,
        to_node=FirmType.from_model,
    )


@strawberry.type
class FirmQueries:
    @strawberry.field(description="Firms visible to the caller, paged.")
    async def firms(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: FirmFilter | None = None,
        sort: FirmSort | None = None,
    ) -> Connection[FirmType]:
        return await list_firms(info, first=first, after=after, filter=filter, sort=sort)

    @strawberry.field(description="One firm by its global id.")
    async def firm(self, info: strawberry.Info, id: relay.GlobalID) -> FirmType:
        db_id = parse_global_id(id, "Firm")
        row = await scoped(info.context, models.Firm).get_or_none(id=db_id)
        if row is None:
            raise NotFound(f"Firm {id} not found")
        return FirmType.from_model(row)

    @strawberry.field(description="One firm by its unified social credit code.")
    async def firm_by_uscc(self, info: strawberry.Info, uscc: str) -> FirmType | None:
        code = normalize_uscc(uscc)
        if not is_valid_uscc(code):
            # No firm can hold a malformed code: say what is wrong rather than "none".
            raise InvalidInput("uscc is not a valid unified social credit code", field="uscc")
        row = await scoped(info.context, models.Firm).get_or_none(uscc=code)
        return FirmType.from_model(row) if row else None


@strawberry.input(description="The firm's legal representative.")
class PersonInput:
    name: str
    id_number: str
    phone: str | None = None


@strawberry.input(description="Data to create a firm.")
class CreateFirmInput:
    uscc: str
    name: str
    industry_code: str
    region_code: str
    branch_code: str
    established_on: dt.date | None = None
    registered_capital: Decimal | None = None
    employees: int | None = None
    status: FirmStatus = FirmStatus.ACTIVE
    representative: PersonInput | None = None


#: Fields of UpdateFirmInput that map one-to-one to firm columns.
_UPDATABLE = (
    "name",
    "industry_code",
    "region_code",
    "branch_code",
    "established_on",
    "registered_capital",
    "employees",
    "status",
)


@strawberry.input(
    description=(
        "Changes to a firm: an omitted field stays as it is, an explicit null clears it. "
        "Only establishedOn, registeredCapital, employees and representative can be "
        "cleared; null for another field fails with INVALID_INPUT naming it."
    )
)
class UpdateFirmInput:
    id: relay.GlobalID
    expected_version: int | None = strawberry.field(
        default=None,
        description="If given, the update fails with CONFLICT when the firm changed meanwhile.",
    )
    # UNSET (omitted) and None (explicit null) differ: see the description above.
    name: str | None = UNSET
    industry_code: str | None = UNSET
    region_code: str | None = UNSET
    branch_code: str | None = UNSET
    established_on: dt.date | None = UNSET
    registered_capital: Decimal | None = UNSET
    employees: int | None = UNSET
    status: FirmStatus | None = UNSET
    representative: PersonInput | None = strawberry.field(
        default=UNSET, description="A new representative; null leaves the firm without one."
    )


def _person_dict(p: PersonInput | None) -> dict[str, Any] | None:
    return None if p is None else {"name": p.name, "id_number": p.id_number, "phone": p.phone}


FirmResult = Annotated[FirmType | Errors, strawberry.union("FirmResult")]


def _firm_columns(values: dict[str, Any]) -> dict[str, Any]:
    """Input values as the service takes them (enums as their stored value)."""
    return {k: v.value if isinstance(v, enum.Enum) else v for k, v in values.items()}


@strawberry.type
class FirmMutations:
    @strawberry.mutation(
        description=(
            "Create a firm (and its representative) in one of your branches. A duplicate "
            "unified social credit code answers the code DUPLICATE_USCC."
        ),
        metadata=AUDITED_BY_SERVICE,
    )
    async def create_firm(self, info: strawberry.Info, input: CreateFirmInput) -> FirmResult:
        actor = require_user(info)  # UNAUTHENTICATED stays a transport-level error

        async def go() -> FirmType:
            data = _firm_columns(
                {
                    k: getattr(input, k)
                    for k in (
                        "uscc",
                        "name",
                        "industry_code",
                        "region_code",
                        "branch_code",
                        "established_on",
                        "registered_capital",
                        "employees",
                        "status",
                    )
                }
            )
            row = await firm_service.create_firm(
                data, representative=_person_dict(input.representative), actor=actor
            )
            return FirmType.from_model(row)

        return await guard(go())  # type: ignore[return-value]

    @strawberry.mutation(
        description=(
            "Update a firm (and its representative). A new branchCode moves the firm to "
            "another branch: only administrators may do that. A stale expectedVersion "
            "answers Conflict CONFLICT."
        ),
        metadata=AUDITED_BY_SERVICE,
    )
    async def update_firm(self, info: strawberry.Info, input: UpdateFirmInput) -> FirmResult:
        actor = require_user(info)

        async def go() -> FirmType:
            db_id = parse_global_id(input.id, "Firm")
            # Only the fields the client sent: None among them means "clear it".
            changes = _firm_columns(
                {k: getattr(input, k) for k in _UPDATABLE if getattr(input, k) is not UNSET}
            )
            representative: dict[str, Any] | firm_service.Unchanged | None = firm_service.UNCHANGED
            if input.representative is not UNSET:
                representative = _person_dict(input.representative)
            row = await firm_service.update_firm(
                db_id,
                changes,
                representative=representative,
                expected_version=input.expected_version,
                actor=actor,
                label=f"Firm {input.id}",
            )
            return FirmType.from_model(row)

        return await guard(go())  # type: ignore[return-value]
