"""How each record kind maps onto its table: columns, value conversions, natural keys.

Cleaned records hold canonical strings (amounts ``"123.40"``, dates ``"2024-03-05"``);
rows hold the Python values both database drivers accept. ``from_db`` turns what a driver
returns (SQLite gives text for dates and decimals, asyncpg gives objects) back into the
same Python values, so an existing row can be compared with an incoming one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise import Tortoise

__all__ = [
    "EVIDENCE_TABLES",
    "FIRM_COLUMNS",
    "PERSON_COLUMNS",
    "Column",
    "TableSpec",
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
    """

    kind: str
    table: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    timestamped: bool = False
    evidence: bool = True
    insert_only: tuple[tuple[str, Any], ...] = ()

    @property
    def lookup_column(self) -> str:
        """The key column used to fetch candidate existing rows in one query."""
        return self.key[0]

    def column_types(self) -> dict[str, str]:
        """Column name -> type, including the evidence and firm columns."""
        types = {column.name: column.type for column in self.columns}
        types["firm_id"] = "int"
        if self.evidence:
            types["source"] = "text"
            types["fetched_at"] = "datetime"
            types["imputed"] = "text"
        return types

    def value_columns(self) -> list[str]:
        """Columns written from a record, in a stable order (firm and evidence first)."""
        names = ["firm_id"]
        if self.evidence:
            names += ["source", "fetched_at", "imputed"]
        return names + [column.name for column in self.columns]


def _cols(*specs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(name, name, type_) for name, type_ in specs)


#: Firm columns filled from a firm record (``representative_id`` is resolved separately).
FIRM_COLUMNS: tuple[Column, ...] = (
    *_cols(
        ("uscc", "text"),
        ("name", "text"),
        ("industry_code", "text"),
        ("region_code", "text"),
        ("established_on", "date"),
        ("registered_capital", "decimal"),
        ("employees", "int"),
    ),
    Column("status", "status", "text", "active"),
    Column("branch_code", "branch_code", "text"),
)

#: Person columns filled from a person record (``id_number_index`` is computed).
PERSON_COLUMNS: tuple[Column, ...] = _cols(
    ("name", "text"), ("id_number", "text"), ("phone", "text")
)

#: Evidence kinds (everything keyed to a firm), in the order they are written.
EVIDENCE_TABLES: dict[str, TableSpec] = {
    spec.kind: spec
    for spec in (
        TableSpec(
            "financial_statement",
            "financial_statement",
            ("firm_id", "period_end", "period_type"),
            _cols(
                ("period_end", "date"),
                ("period_type", "text"),
                ("revenue", "decimal"),
                ("net_profit", "decimal"),
                ("total_assets", "decimal"),
                ("total_liabilities", "decimal"),
                ("current_assets", "decimal"),
                ("current_liabilities", "decimal"),
                ("operating_cash_flow", "decimal"),
            ),
        ),
        TableSpec(
            "tax_record",
            "tax_record",
            ("firm_id", "month"),
            _cols(
                ("month", "text"),
                ("taxable_sales", "decimal"),
                ("tax_paid", "decimal"),
                ("arrears", "decimal"),
            ),
        ),
        TableSpec(
            "registry_event",
            "registry_event",
            ("firm_id", "event_date", "kind"),
            (
                *_cols(("event_date", "date"), ("kind", "text")),
                Column("description", "description", "text", ""),
            ),
        ),
        TableSpec(
            "legal_case",
            "legal_case",
            ("firm_id", "case_no"),
            (
                *_cols(
                    ("case_no", "text"),
                    ("kind", "text"),
                    ("case_date", "date"),
                    ("amount", "decimal"),
                ),
                Column("severity", "severity", "text", "low"),
                Column("description", "description", "text", ""),
            ),
        ),
        TableSpec(
            "bureau_summary",
            "bureau_summary",
            ("firm_id", "report_date"),
            (
                *_cols(
                    ("report_date", "date"),
                    ("debt_other_lenders", "decimal"),
                    ("overdue_amount", "decimal"),
                ),
                Column("overdue_count", "overdue_count", "int", 0),
                Column("inquiries_6m", "inquiries_6m", "int", 0),
                Column("open_credit_lines", "open_credit_lines", "int", 0),
            ),
        ),
        TableSpec(
            "loan",
            "loan",
            ("loan_ref",),
            (
                *_cols(
                    ("loan_ref", "text"),
                    ("product", "text"),
                    ("principal", "decimal"),
                    ("annual_rate", "decimal"),
                    ("term_months", "int"),
                    ("repayment_method", "text"),
                    ("guarantee_type", "text"),
                    ("status", "text"),
                    ("branch_code", "text"),
                    ("disbursed_on", "date"),
                    ("maturity_on", "date"),
                ),
                Column("purpose", "purpose", "text", ""),
                Column("days_past_due", "days_past_due", "int", 0),
                Column("outstanding_principal", "outstanding_principal", "decimal", Decimal(0)),
            ),
            timestamped=True,
            evidence=False,
            insert_only=(("classification", "normal"),),
        ),
        TableSpec(
            "repayment_history",
            "repayment_history",
            ("loan_ref", "due_date"),
            (
                *_cols(
                    ("loan_ref", "text"),
                    ("due_date", "date"),
                    ("paid_date", "date"),
                    ("amount_due", "decimal"),
                ),
                Column("amount_paid", "amount_paid", "decimal", Decimal(0)),
                Column("days_past_due", "days_past_due", "int", 0),
            ),
        ),
    )
}
