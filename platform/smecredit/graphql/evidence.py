"""The evidence gathered about a firm: tax filings, court cases, registry events, bureau
reports, financial statements and loans held elsewhere, each with its source and fetch time.

Every kind is a node (``node(id:)`` finds it, within the caller's branches) and a paged
connection on ``Firm`` (newest first), read under the same field rules and row scope as the
rest of the API; ``Firm.timeline`` merges them into one dated history of the firm.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader
from tortoise.models import Model

from smecredit import models
from smecredit.graphql.context import registry_of
from smecredit.graphql.dataloaders import nested_connection
from smecredit.graphql.nodes import scoped_nodes
from smecredit.graphql.pagination import Connection, SortSpec
from smecredit.i18n import label, language_of, translate
from smecredit.security.row_scope import scoped
from smecredit.services.warnings.evidence import Citation, cited_evidence

__all__ = [
    "BureauSummaryType",
    "Evidence",
    "EvidenceKind",
    "FinancialStatementType",
    "LegalCaseType",
    "RegistryEventType",
    "RepaymentHistoryType",
    "TaxRecordType",
    "TimelineEvent",
    "evidence_connection",
    "firm_timeline",
    "value_label",
    "warning_evidence",
]

N = TypeVar("N")

#: The most events ``Firm.timeline`` answers in one call.
MAX_TIMELINE = 200


def value_label(kind: str, value: str | None, info: strawberry.Info) -> str | None:
    """The display text of a record's enumerated value (``<kind>.<VALUE>``); a value the
    catalogue does not know (a source's own) answers as given."""
    if value is None:
        return None
    return translate(f"{kind}.{value.upper()}", language_of(info.context), default=value)


def imputed_of(row: Any) -> list[str]:
    """The row's imputed values as ``field:method`` with the field in API (camel) case."""
    out = []
    for pair in filter(None, (getattr(row, "imputed", None) or "").split(",")):
        name, _, method = pair.partition(":")
        head, *rest = name.split("_")
        out.append(head + "".join(p.title() for p in rest) + ":" + method)
    return out


@strawberry.type(
    name="FinancialStatement", description="A financial statement of one period, in yuan."
)
class FinancialStatementType(relay.Node):
    db_id: relay.NodeID[int]
    period_end: dt.date
    period_type: str

    @strawberry.field(description="The period type, in the caller's language.")
    def period_type_label(self, info: strawberry.Info) -> str | None:
        return value_label("statementPeriod", self.period_type, info)

    revenue: Decimal | None
    net_profit: Decimal | None
    total_assets: Decimal | None
    total_liabilities: Decimal | None
    current_assets: Decimal | None
    current_liabilities: Decimal | None
    operating_cash_flow: Decimal | None
    source: str
    fetched_at: dt.datetime
    imputed: list[str] = strawberry.field(
        description="Values the platform filled in because the source left them empty, as "
        "field:method (e.g. amountPaid:zero); empty when every value is the source's own."
    )

    @strawberry.field(description="Total liabilities / total assets, when both are known.")
    def debt_to_asset_ratio(self) -> float | None:
        if self.total_liabilities is None or not self.total_assets:
            return None
        return float(self.total_liabilities / self.total_assets)

    @classmethod
    def from_model(cls, row: models.FinancialStatement) -> FinancialStatementType:
        return cls(
            db_id=row.id,
            period_end=row.period_end,
            period_type=row.period_type,
            revenue=row.revenue,
            net_profit=row.net_profit,
            total_assets=row.total_assets,
            total_liabilities=row.total_liabilities,
            current_assets=row.current_assets,
            current_liabilities=row.current_liabilities,
            operating_cash_flow=row.operating_cash_flow,
            source=row.source,
            fetched_at=row.fetched_at,
            imputed=imputed_of(row),
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[FinancialStatementType | None]:
        return await scoped_nodes(info, models.FinancialStatement, node_ids, cls.from_model)


@strawberry.type(name="TaxRecord", description="A month of tax filings (银税互动), in yuan.")
class TaxRecordType(relay.Node):
    db_id: relay.NodeID[int]
    month: str = strawberry.field(description="The month filed, YYYY-MM.")
    taxable_sales: Decimal | None
    tax_paid: Decimal | None
    arrears: Decimal | None
    source: str
    fetched_at: dt.datetime
    imputed: list[str] = strawberry.field(
        description="Values the platform filled in because the source left them empty, as "
        "field:method (e.g. amountPaid:zero); empty when every value is the source's own."
    )

    @classmethod
    def from_model(cls, row: models.TaxRecord) -> TaxRecordType:
        return cls(
            db_id=row.id,
            month=row.month,
            taxable_sales=row.taxable_sales,
            tax_paid=row.tax_paid,
            arrears=row.arrears,
            source=row.source,
            fetched_at=row.fetched_at,
            imputed=imputed_of(row),
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[TaxRecordType | None]:
        return await scoped_nodes(info, models.TaxRecord, node_ids, cls.from_model)


@strawberry.type(
    name="RegistryEvent",
    description="A business-registration (工商) event: a change, an abnormal-operation listing, "
    "a deregistration.",
)
class RegistryEventType(relay.Node):
    db_id: relay.NodeID[int]
    event_date: dt.date
    kind: str

    @strawberry.field(description="The kind, in the caller's language.")
    def kind_label(self, info: strawberry.Info) -> str | None:
        return value_label("registryEventKind", self.kind, info)

    description: str
    source: str
    fetched_at: dt.datetime
    imputed: list[str] = strawberry.field(
        description="Values the platform filled in because the source left them empty, as "
        "field:method (e.g. amountPaid:zero); empty when every value is the source's own."
    )

    @classmethod
    def from_model(cls, row: models.RegistryEvent) -> RegistryEventType:
        return cls(
            db_id=row.id,
            event_date=row.event_date,
            kind=row.kind,
            description=row.description,
            source=row.source,
            fetched_at=row.fetched_at,
            imputed=imputed_of(row),
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[RegistryEventType | None]:
        return await scoped_nodes(info, models.RegistryEvent, node_ids, cls.from_model)


@strawberry.type(
    name="LegalCase",
    description="A court case, enforcement or administrative penalty involving the firm.",
)
class LegalCaseType(relay.Node):
    db_id: relay.NodeID[int]
    case_no: str = strawberry.field(description="The case number as the court gives it.")
    kind: str

    @strawberry.field(description="The kind, in the caller's language.")
    def kind_label(self, info: strawberry.Info) -> str | None:
        return value_label("legalCaseKind", self.kind, info)

    @strawberry.field(description="The severity, in the caller's language.")
    def severity_label(self, info: strawberry.Info) -> str | None:
        return value_label("legalCaseSeverity", self.severity, info)

    case_date: dt.date
    amount: Decimal | None
    severity: str
    description: str
    source: str
    fetched_at: dt.datetime
    imputed: list[str] = strawberry.field(
        description="Values the platform filled in because the source left them empty, as "
        "field:method (e.g. amountPaid:zero); empty when every value is the source's own."
    )

    @classmethod
    def from_model(cls, row: models.LegalCase) -> LegalCaseType:
        return cls(
            db_id=row.id,
            case_no=row.case_no,
            kind=row.kind,
            case_date=row.case_date,
            amount=row.amount,
            severity=row.severity,
            description=row.description,
            source=row.source,
            fetched_at=row.fetched_at,
            imputed=imputed_of(row),
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[LegalCaseType | None]:
        return await scoped_nodes(info, models.LegalCase, node_ids, cls.from_model)


@strawberry.type(
    name="BureauSummary",
    description="A credit-bureau report's summary: borrowing at other lenders, overdues, "
    "inquiries.",
)
class BureauSummaryType(relay.Node):
    db_id: relay.NodeID[int]
    report_date: dt.date
    debt_other_lenders: Decimal | None
    overdue_count: int
    overdue_amount: Decimal | None
    inquiries_6m: int = strawberry.field(description="Credit inquiries in the last 6 months.")
    open_credit_lines: int
    source: str
    fetched_at: dt.datetime
    imputed: list[str] = strawberry.field(
        description="Values the platform filled in because the source left them empty, as "
        "field:method (e.g. amountPaid:zero); empty when every value is the source's own."
    )

    @classmethod
    def from_model(cls, row: models.BureauSummary) -> BureauSummaryType:
        return cls(
            db_id=row.id,
            report_date=row.report_date,
            debt_other_lenders=row.debt_other_lenders,
            overdue_count=row.overdue_count,
            overdue_amount=row.overdue_amount,
            inquiries_6m=row.inquiries_6m,
            open_credit_lines=row.open_credit_lines,
            source=row.source,
            fetched_at=row.fetched_at,
            imputed=imputed_of(row),
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[BureauSummaryType | None]:
        return await scoped_nodes(info, models.BureauSummary, node_ids, cls.from_model)


@strawberry.type(
    name="RepaymentHistory",
    description="One due instalment of a loan held elsewhere or imported from a legacy book.",
)
class RepaymentHistoryType(relay.Node):
    db_id: relay.NodeID[int]
    loan_ref: str
    due_date: dt.date
    paid_date: dt.date | None
    amount_due: Decimal
    amount_paid: Decimal
    days_past_due: int
    source: str
    fetched_at: dt.datetime
    imputed: list[str] = strawberry.field(
        description="Values the platform filled in because the source left them empty, as "
        "field:method (e.g. amountPaid:zero); empty when every value is the source's own."
    )

    @classmethod
    def from_model(cls, row: models.RepaymentHistory) -> RepaymentHistoryType:
        return cls(
            db_id=row.id,
            loan_ref=row.loan_ref,
            due_date=row.due_date,
            paid_date=row.paid_date,
            amount_due=row.amount_due,
            amount_paid=row.amount_paid,
            days_past_due=row.days_past_due,
            source=row.source,
            fetched_at=row.fetched_at,
            imputed=imputed_of(row),
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[RepaymentHistoryType | None]:
        return await scoped_nodes(info, models.RepaymentHistory, node_ids, cls.from_model)


Evidence = Annotated[
    TaxRecordType
    | FinancialStatementType
    | RegistryEventType
    | LegalCaseType
    | BureauSummaryType
    | RepaymentHistoryType,
    strawberry.union("Evidence", description="One row of evidence about a firm."),
]

_NODES: dict[type[Model], Callable[[Any], Any]] = {
    models.TaxRecord: TaxRecordType.from_model,
    models.FinancialStatement: FinancialStatementType.from_model,
    models.RegistryEvent: RegistryEventType.from_model,
    models.LegalCase: LegalCaseType.from_model,
    models.BureauSummary: BureauSummaryType.from_model,
    models.RepaymentHistory: RepaymentHistoryType.from_model,
}


def _evidence_loader(info: strawberry.Info) -> DataLoader[Citation, list[Model]]:
    """The request's loader of warnings' evidence (one query per evidence table)."""
    loaders = info.context.loaders
    loader = loaders.extra.get("warning_evidence")
    if loader is None:
        context = info.context

        async def load(citations: Sequence[Citation]) -> list[list[Model]]:
            rules = registry_of(context).warning_rules
            return await cited_evidence(
                citations, rules, query_for=lambda model: scoped(context, model)
            )

        loader = loaders.extra["warning_evidence"] = DataLoader(load_fn=load)
    return loader


async def warning_evidence(
    info: strawberry.Info,
    warning_id: int,
    firm_id: int,
    rule_code: str,
    opened_at: dt.datetime,
    loan_id: int | None,
) -> list[Any]:
    """The evidence rows the warning's rule read when it was raised, newest first."""
    loan_ref = None
    if loan_id is not None:
        loan = await info.context.loaders.loan.load(loan_id)
        loan_ref = loan.loan_ref if loan is not None else None
    citation = Citation(
        warning_id, firm_id, rule_code, opened_at.astimezone(dt.UTC).date(), loan_ref
    )
    rows = await _evidence_loader(info).load(citation)
    return [_NODES[type(row)](row) for row in rows]


#: Newest first, for each kind: (model, date column, node builder).
_KINDS: dict[str, tuple[type[Model], str, Callable[[Any], Any]]] = {
    "Firm.financialStatements": (
        models.FinancialStatement,
        "period_end",
        FinancialStatementType.from_model,
    ),
    "Firm.taxRecords": (models.TaxRecord, "month", TaxRecordType.from_model),
    "Firm.registryEvents": (models.RegistryEvent, "event_date", RegistryEventType.from_model),
    "Firm.legalCases": (models.LegalCase, "case_date", LegalCaseType.from_model),
    "Firm.bureauSummaries": (models.BureauSummary, "report_date", BureauSummaryType.from_model),
    "Firm.repaymentHistory": (
        models.RepaymentHistory,
        "due_date",
        RepaymentHistoryType.from_model,
    ),
}


async def evidence_connection(
    info: strawberry.Info, name: str, firm_id: int, first: int | None, after: str | None
) -> Connection[Any]:
    """A page of one kind of evidence of a firm, newest first (batched across firms)."""
    model, column, build = _KINDS[name]
    return await nested_connection(
        info.context.loaders,
        name,
        scoped(info.context, model),
        group_field="firm_id",
        group=firm_id,
        variant=None,
        sort=SortSpec(f"{column}_desc", column, descending=True),
        first=first,
        after=after,
        max_page_size=info.context.settings.max_page_size,
        to_node=build,
    )


@strawberry.enum(description="What a timeline event is.")
class EvidenceKind(enum.Enum):
    REGISTRY_EVENT = "registry_event"
    LEGAL_CASE = "legal_case"
    TAX_ARREARS = "tax_arrears"
    BUREAU_REPORT = "bureau_report"
    FINANCIAL_STATEMENT = "financial_statement"
    LATE_REPAYMENT = "late_repayment"
    WARNING = "warning"


@strawberry.type(description="One dated event in a firm's history, with the evidence behind it.")
class TimelineEvent:
    on: dt.date
    kind: EvidenceKind
    source: str
    evidence_id: relay.GlobalID = strawberry.field(
        description="The evidence itself (a node: TaxRecord, LegalCase, Warning...)."
    )
    #: the summary's template parameters; ``value`` is a record's enumerated value
    _params: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="The kind, in the caller's language.")
    def kind_label(self, info: strawberry.Info) -> str:
        return label("evidenceKind", self.kind, language_of(info.context))

    @strawberry.field(description="What happened, in a few words, in the caller's language.")
    def summary(self, info: strawberry.Info) -> str:
        language = language_of(info.context)
        params = dict(self._params)
        value_kind = _SUMMARY_VALUE_KINDS.get(self.kind)
        if value_kind is not None:
            raw = str(params["value"])
            params["value"] = translate(f"{value_kind}.{raw.upper()}", language, default=raw)
        return translate(f"timelineSummary.{self.kind.name}", language, params)


#: The catalogue kind of the enumerated value a summary names, by event kind.
_SUMMARY_VALUE_KINDS = {
    EvidenceKind.REGISTRY_EVENT: "registryEventKind",
    EvidenceKind.LEGAL_CASE: "legalCaseKind",
    EvidenceKind.FINANCIAL_STATEMENT: "statementPeriod",
}


def _month_end(month: str) -> dt.date:
    year, number = (int(p) for p in month.split("-"))
    first_next = dt.date(year + number // 12, number % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


async def firm_timeline(
    info: strawberry.Info, firm_id: int, since: dt.date | None, limit: int
) -> list[TimelineEvent]:
    """The firm's dated events, newest first: at most ``limit`` (capped at 200).

    Only what is news is an event: every registry event, court case and financial statement,
    a tax month with arrears, a bureau report with overdues, a repayment made late, a warning.
    """
    limit = max(1, min(limit, MAX_TIMELINE))
    context = info.context

    def rows(model: type[Model], column: str, **conditions: Any) -> Any:
        query = scoped(context, model).filter(firm_id=firm_id, **conditions)
        if since is not None:
            key = since.strftime("%Y-%m") if column == "month" else since
            query = query.filter(**{f"{column}__gte": key})
        return query.order_by(f"-{column}", "-id").limit(limit)

    events: list[TimelineEvent] = []

    def add(
        on: dt.date, kind: EvidenceKind, params: dict[str, Any], source: str, node: str, pk: int
    ) -> None:
        events.append(
            TimelineEvent(
                on=on,
                kind=kind,
                source=source,
                evidence_id=relay.GlobalID(node, str(pk)),
                _params=params,
            )
        )

    for r in await rows(models.RegistryEvent, "event_date"):
        add(
            r.event_date,
            EvidenceKind.REGISTRY_EVENT,
            {"value": r.kind},
            r.source,
            "RegistryEvent",
            r.id,
        )
    for r in await rows(models.LegalCase, "case_date"):
        add(
            r.case_date,
            EvidenceKind.LEGAL_CASE,
            {"value": r.kind, "case_no": r.case_no},
            r.source,
            "LegalCase",
            r.id,
        )
    for r in await rows(models.TaxRecord, "month", arrears__gt=0):
        add(
            _month_end(r.month),
            EvidenceKind.TAX_ARREARS,
            {"amount": r.arrears},
            r.source,
            "TaxRecord",
            r.id,
        )
    for r in await rows(models.BureauSummary, "report_date", overdue_count__gt=0):
        add(
            r.report_date,
            EvidenceKind.BUREAU_REPORT,
            {"count": r.overdue_count},
            r.source,
            "BureauSummary",
            r.id,
        )
    for r in await rows(models.FinancialStatement, "period_end"):
        add(
            r.period_end,
            EvidenceKind.FINANCIAL_STATEMENT,
            {"value": r.period_type},
            r.source,
            "FinancialStatement",
            r.id,
        )
    for r in await rows(models.RepaymentHistory, "due_date", days_past_due__gt=0):
        add(
            r.due_date,
            EvidenceKind.LATE_REPAYMENT,
            {"loan_ref": r.loan_ref, "days": r.days_past_due},
            r.source,
            "RepaymentHistory",
            r.id,
        )
    warnings = scoped(context, models.Warning).filter(firm_id=firm_id)
    if since is not None:
        warnings = warnings.filter(opened_at__gte=dt.datetime.combine(since, dt.time(), dt.UTC))
    for w in await warnings.order_by("-opened_at", "-id").limit(limit):
        add(
            w.opened_at.date(),
            EvidenceKind.WARNING,
            {"rule": w.rule_code},
            "early warning",
            "Warning",
            w.id,
        )
    events.sort(key=lambda e: (e.on, e.evidence_id.node_id), reverse=True)
    return events[:limit]
