"""Firms, the persons behind them, and the evidence gathered about them."""

from __future__ import annotations

from tortoise import fields

from smecredit.models.base import EvidenceModel, TimestampedModel, money_field

__all__ = [
    "BureauSummary",
    "FinancialStatement",
    "Firm",
    "LegalCase",
    "Person",
    "RegistryEvent",
    "RepaymentHistory",
    "TaxRecord",
]


class Person(TimestampedModel):
    """A natural person (legal representative, shareholder, guarantor).

    All personal data lives in this one model so that encryption at rest and
    masking apply in exactly one place. ``id_number_index`` is a keyed blind
    index that allows exact-match search once the columns are encrypted.
    ``name``, ``id_number`` and ``phone`` hold AES-GCM blobs bound to
    ``key_ref`` (see smecredit.services.persons, the only module that reads
    or writes them).
    """

    id = fields.IntField(primary_key=True)
    name = fields.TextField()
    id_number = fields.TextField()
    id_number_index = fields.CharField(max_length=64, db_index=True)
    phone = fields.TextField(null=True)
    #: Random per-row reference in the encryption associated data (null for legacy rows)
    key_ref = fields.CharField(max_length=32, null=True, unique=True)

    class Meta:
        table = "person"


class Firm(TimestampedModel):
    """A small or micro enterprise known by its unified social credit code."""

    id = fields.IntField(primary_key=True)
    uscc = fields.CharField(max_length=18, unique=True)
    name = fields.CharField(max_length=200, db_index=True)
    industry_code = fields.CharField(max_length=8, db_index=True)
    region_code = fields.CharField(max_length=6, db_index=True)
    established_on = fields.DateField(null=True)
    registered_capital = money_field(null=True)
    employees = fields.IntField(null=True)
    status = fields.CharField(max_length=16, default="active")
    branch_code = fields.CharField(max_length=16, db_index=True)
    representative: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "smecredit.Person", related_name="represented_firms", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "firm"


class FinancialStatement(EvidenceModel):
    """Financial statement of one period (annual or quarterly), in yuan."""

    id = fields.IntField(primary_key=True)
    firm: fields.ForeignKeyRelation[Firm] = fields.ForeignKeyField(
        "smecredit.Firm", related_name="financial_statements", on_delete=fields.CASCADE
    )
    period_end = fields.DateField()
    period_type = fields.CharField(max_length=10)
    revenue = money_field(null=True)
    net_profit = money_field(null=True)
    total_assets = money_field(null=True)
    total_liabilities = money_field(null=True)
    current_assets = money_field(null=True)
    current_liabilities = money_field(null=True)
    operating_cash_flow = money_field(null=True)

    class Meta:
        table = "financial_statement"
        unique_together = (("firm", "period_end", "period_type"),)


class TaxRecord(EvidenceModel):
    """Monthly tax filing summary."""

    id = fields.IntField(primary_key=True)
    firm: fields.ForeignKeyRelation[Firm] = fields.ForeignKeyField(
        "smecredit.Firm", related_name="tax_records", on_delete=fields.CASCADE
    )
    month = fields.CharField(max_length=7)
    taxable_sales = money_field(null=True)
    tax_paid = money_field(null=True)
    arrears = money_field(null=True)

    class Meta:
        table = "tax_record"
        unique_together = (("firm", "month"),)


class RegistryEvent(EvidenceModel):
    """A business-registration (工商) event: changes, abnormal listing, deregistration."""

    id = fields.IntField(primary_key=True)
    firm: fields.ForeignKeyRelation[Firm] = fields.ForeignKeyField(
        "smecredit.Firm", related_name="registry_events", on_delete=fields.CASCADE
    )
    event_date = fields.DateField()
    kind = fields.CharField(max_length=32)
    description = fields.TextField(default="")

    class Meta:
        table = "registry_event"
        unique_together = (("firm", "event_date", "kind"),)


class LegalCase(EvidenceModel):
    """A court case, enforcement or administrative penalty involving the firm."""

    id = fields.IntField(primary_key=True)
    firm: fields.ForeignKeyRelation[Firm] = fields.ForeignKeyField(
        "smecredit.Firm", related_name="legal_cases", on_delete=fields.CASCADE
    )
    case_no = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=32)
    case_date = fields.DateField()
    amount = money_field(null=True)
    severity = fields.CharField(max_length=8, default="low")
    description = fields.TextField(default="")

    class Meta:
        table = "legal_case"
        unique_together = (("firm", "case_no"),)


class BureauSummary(EvidenceModel):
    """Credit-bureau summary: borrowing at other lenders, overdues, inquiries."""

    id = fields.IntField(primary_key=True)
    firm: fields.ForeignKeyRelation[Firm] = fields.ForeignKeyField(
        "smecredit.Firm", related_name="bureau_summaries", on_delete=fields.CASCADE
    )
    report_date = fields.DateField()
    debt_other_lenders = money_field(null=True)
    overdue_count = fields.IntField(default=0)
    overdue_amount = money_field(null=True)
    inquiries_6m = fields.IntField(default=0)
    open_credit_lines = fields.IntField(default=0)

    class Meta:
        table = "bureau_summary"
        unique_together = (("firm", "report_date"),)


class RepaymentHistory(EvidenceModel):
    """One due instalment of a loan held elsewhere or imported from a legacy book."""

    id = fields.IntField(primary_key=True)
    firm: fields.ForeignKeyRelation[Firm] = fields.ForeignKeyField(
        "smecredit.Firm", related_name="repayment_histories", on_delete=fields.CASCADE
    )
    loan_ref = fields.CharField(max_length=32)
    due_date = fields.DateField()
    paid_date = fields.DateField(null=True)
    amount_due = money_field()
    amount_paid = money_field(default=0)
    days_past_due = fields.IntField(default=0)

    class Meta:
        table = "repayment_history"
        unique_together = (("loan_ref", "due_date"),)
        # Scoring reads one firm's history: without this it scans the whole table.
        indexes = (("firm_id", "due_date"),)
