"""How each record kind maps onto its table: columns, value conversions, natural keys.

Cleaned records hold canonical strings (amounts ``"123.40"``, dates ``"2024-03-05"``);
rows hold the Python values both database drivers accept. ``from_db`` turns what a driver
returns (SQLite gives text for dates and decimals, asyncpg gives objects) back into the
same Python values, so an existing row can be compared with an incoming one.

Each column's type is read from its Tortoise model field (:func:`column_type`), so a
column whose model changes type converts alike without a second table to keep in step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise import Tortoise
from tortoise.models import Model

from smecredit import models
from smecredit.models.base import EvidenceModel

__all__ = [
    "EVIDENCE_TABLES",
    "FIRM_COLUMNS",
    "PERSON_COLUMNS",
    "Column",
    "TableSpec",
    "column_type",
    "from_db",
    "insert_defaults",
    "to_db",
]

Convert = Callable[[Any], Any]


def _text(value: Any) -> Any:
    return None if value is None else str(value)


def _int(value: Any) -> Any:
    return None if value is None else int(value)


def _decimal(value: Any) -> Any:
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _date(value: Any) -> Any:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def _datetime(value: Any) -> Any:
    if value is None:
        return None
    parsed = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    # Stored in UTC, as Tortoise stores every datetime with use_tz.
    return parsed.astimezone(dt.UTC)


_CONVERTERS: dict[str, Convert] = {
    "text": _text,
    "int": _int,
    "decimal": _decimal,
    "date": _date,
    "datetime": _datetime,
}


def column_type(model: type[Model], column: str) -> str:
    """The conversion type (a key of the converters) of ``model``'s ``column``.

    Read from the model field's Python type; ``datetime`` is tested before ``date``
    (a subclass of it) and enum fields count as their ``str`` or ``int`` base.

    Raises:
        ValueError: the model has no such column, or a type ingestion cannot store.
    """
    meta = model._meta
    name = meta.fields_db_projection_reverse.get(column, column)
    field = meta.fields_map.get(name)
    if field is None:
        raise ValueError(f"{model.__name__} has no column {column!r}")
    python = field.field_type
    for base, type_ in _FIELD_TYPES:
        if isinstance(python, type) and issubclass(python, base):
            return type_
    raise ValueError(f"{model.__name__}.{column}: no ingestion type for {python!r}")


#: Python types of model fields -> converter names, most specific first.
_FIELD_TYPES: tuple[tuple[type, str], ...] = (
    (dt.datetime, "datetime"),
    (dt.date, "date"),
    (Decimal, "decimal"),
    (bool, "int"),
    (int, "int"),
    (str, "text"),
)


def to_db(type_: str, value: Any) -> Any:
    """Convert a cleaned record value to the Python value stored for a column type."""
    return _CONVERTERS[type_](value)


def from_db(type_: str, value: Any) -> Any:
    """Convert what a driver returned for a column back to the stored Python value."""
    return _CONVERTERS[type_](value)


def insert_defaults(table: str, written: tuple[str, ...]) -> tuple[list[str], list[Any]]:
    """Columns of ``table`` not in ``written`` that are NOT NULL with a model default.

    Raw INSERTs bypass the model, so its Python-side defaults are added here; a column
    another area adds later (with a default) keeps bulk ingestion working unchanged.

    Returns:
        The extra column names and their database values.
    """
    model = next(
        (m for m in Tortoise.apps.get_models_iterable() if m._meta.db_table == table),  # type: ignore[union-attr]
        None,
    )
    if model is None:
        return [], []
    names: list[str] = []
    values: list[Any] = []
    for column in model._meta.db_fields:
        if column in written:
            continue
        field = model._meta.fields_map[model._meta.fields_db_projection_reverse[column]]
        if field.pk or field.null or field.default is None:
            continue
        default = field.default() if callable(field.default) else field.default
        names.append(column)
        values.append(field.to_db_value(default, model))
    return names, values


@dataclass(frozen=True, slots=True)
class Column:
    """One column filled from one record field.

    Attributes:
        name: column name.
        field: record field it comes from.
        type: ``text``, ``int``, ``decimal``, ``date`` or ``datetime``.
        default: stored when the record has no value and the column is NOT NULL.
    """

    name: str
    field: str
    type: str
    default: Any = None

    def value(self, record: dict[str, Any]) -> Any:
        """The column value for ``record``."""
        raw = record.get(self.field)
        return self.default if raw is None else _CONVERTERS[self.type](raw)


#: Columns every evidence table has (``EvidenceModel``).
_EVIDENCE_COLUMNS = ("source", "fetched_at", "imputed")


@dataclass(frozen=True, slots=True)
class TableSpec:
    """How one record kind is stored.

    Attributes:
        kind: record kind.
        table: table name.
        key: natural-key columns (``firm_id`` stands for the firm resolved by ``firm_uscc``).
        columns: the columns filled from the record (the key's non-firm columns included).
        timestamped: the table has ``created_at``/``updated_at``/``version`` columns.
        evidence: the table has ``source``/``fetched_at`` columns.
        insert_only: extra columns and their values written on insert only (platform-owned
            fields a source must not overwrite, e.g. a loan's classification).
        model: the Tortoise model of ``table``, which types the evidence columns (the
            ``EvidenceModel`` base when not given).
    """

    kind: str
    table: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    timestamped: bool = False
    evidence: bool = True
    insert_only: tuple[tuple[str, Any], ...] = ()
    model: type[Model] | None = None

    @property
    def lookup_column(self) -> str:
        """The key column used to fetch candidate existing rows in one query."""
        return self.key[0]

    def column_types(self) -> dict[str, str]:
        """Column name -> type, including the evidence and firm columns."""
        types = {column.name: column.type for column in self.columns}
        types["firm_id"] = "int"  # the firm's primary key
        if self.evidence:
            for name in _EVIDENCE_COLUMNS:
                types[name] = column_type(self.model or EvidenceModel, name)
        return types

    def value_columns(self) -> list[str]:
        """Columns written from a record, in a stable order (firm and evidence first)."""
        names = ["firm_id"]
        if self.evidence:
            names += ["source", "fetched_at", "imputed"]
        return names + [column.name for column in self.columns]


def _col(model: type[Model], name: str, default: Any = None) -> Column:
    """A column filled from the record field of the same name, typed by ``model``."""
    return Column(name, name, column_type(model, name), default)


def _cols(model: type[Model], *names: str) -> tuple[Column, ...]:
    return tuple(_col(model, name) for name in names)


#: Firm columns filled from a firm record (``representative_id`` is resolved separately).
FIRM_COLUMNS: tuple[Column, ...] = (
    *_cols(
        models.Firm,
        "uscc",
        "name",
        "industry_code",
        "region_code",
        "established_on",
        "registered_capital",
        "employees",
    ),
    _col(models.Firm, "status", "active"),
    _col(models.Firm, "branch_code"),
)

#: Person columns filled from a person record (``id_number_index`` is computed).
PERSON_COLUMNS: tuple[Column, ...] = _cols(models.Person, "name", "id_number", "phone")

_STATEMENT, _TAX, _REGISTRY = models.FinancialStatement, models.TaxRecord, models.RegistryEvent
_LEGAL, _BUREAU, _LOAN = models.LegalCase, models.BureauSummary, models.Loan
_REPAYMENT = models.RepaymentHistory

#: Evidence kinds (everything keyed to a firm), in the order they are written.
EVIDENCE_TABLES: dict[str, TableSpec] = {
    spec.kind: spec
    for spec in (
        TableSpec(
            "financial_statement",
            "financial_statement",
            ("firm_id", "period_end", "period_type"),
            _cols(
                _STATEMENT,
                "period_end",
                "period_type",
                "revenue",
                "net_profit",
                "total_assets",
                "total_liabilities",
                "current_assets",
                "current_liabilities",
                "operating_cash_flow",
            ),
            model=_STATEMENT,
        ),
        TableSpec(
            "tax_record",
            "tax_record",
            ("firm_id", "month"),
            _cols(_TAX, "month", "taxable_sales", "tax_paid", "arrears"),
            model=_TAX,
        ),
        TableSpec(
            "registry_event",
            "registry_event",
            ("firm_id", "event_date", "kind"),
            (
                *_cols(_REGISTRY, "event_date", "kind"),
                _col(_REGISTRY, "description", ""),
            ),
            model=_REGISTRY,
        ),
        TableSpec(
            "legal_case",
            "legal_case",
            ("firm_id", "case_no"),
            (
                *_cols(_LEGAL, "case_no", "kind", "case_date", "amount"),
                _col(_LEGAL, "severity", "low"),
                _col(_LEGAL, "description", ""),
            ),
            model=_LEGAL,
        ),
        TableSpec(
            "bureau_summary",
            "bureau_summary",
            ("firm_id", "report_date"),
            (
                *_cols(_BUREAU, "report_date", "debt_other_lenders", "overdue_amount"),
                _col(_BUREAU, "overdue_count", 0),
                _col(_BUREAU, "inquiries_6m", 0),
                _col(_BUREAU, "open_credit_lines", 0),
            ),
            model=_BUREAU,
        ),
        TableSpec(
            "loan",
            "loan",
            ("loan_ref",),
            (
                *_cols(
                    _LOAN,
                    "loan_ref",
                    "product",
                    "principal",
                    "annual_rate",
                    "term_months",
                    "repayment_method",
                    "guarantee_type",
                    "status",
                    "branch_code",
                    "disbursed_on",
                    "maturity_on",
                ),
                _col(_LOAN, "purpose", ""),
                _col(_LOAN, "days_past_due", 0),
                _col(_LOAN, "outstanding_principal", Decimal(0)),
            ),
            timestamped=True,
            evidence=False,
            insert_only=(("classification", "normal"),),
            model=_LOAN,
        ),
        TableSpec(
            "repayment_history",
            "repayment_history",
            ("loan_ref", "due_date"),
            (
                *_cols(_REPAYMENT, "loan_ref", "due_date", "paid_date", "amount_due"),
                _col(_REPAYMENT, "amount_paid", Decimal(0)),
                _col(_REPAYMENT, "days_past_due", 0),
            ),
            model=_REPAYMENT,
        ),
    )
}
