"""Loans on the lender's book."""

from __future__ import annotations

from tortoise import fields

from smecredit.models.base import TimestampedModel, money_field
from smecredit.models.firms import Firm

__all__ = ["Loan"]


class Loan(TimestampedModel):
    """A loan (or application that became one) to a firm.

    ``classification`` holds the five-category value (normal, special_mention,
    substandard, doubtful, loss = 正常/关注/次级/可疑/损失).
    """

    id = fields.IntField(primary_key=True)
    loan_ref = fields.CharField(max_length=32, unique=True)
    firm: fields.ForeignKeyRelation[Firm] = fields.ForeignKeyField(
        "smecredit.Firm", related_name="loans", on_delete=fields.RESTRICT
    )
    product = fields.CharField(max_length=64)
    principal = money_field()
    annual_rate = fields.DecimalField(max_digits=8, decimal_places=6)
    term_months = fields.IntField()
    repayment_method = fields.CharField(max_length=24)
    purpose = fields.CharField(max_length=200, default="")
    guarantee_type = fields.CharField(max_length=16)
    status = fields.CharField(max_length=16, db_index=True)
    classification = fields.CharField(max_length=16, default="normal", db_index=True)
    days_past_due = fields.IntField(default=0, db_index=True)
    outstanding_principal = money_field(default=0)
    branch_code = fields.CharField(max_length=16, db_index=True)
    officer = fields.CharField(max_length=64, null=True, db_index=True)
    applied_on = fields.DateField(null=True)
    approved_on = fields.DateField(null=True)
    disbursed_on = fields.DateField(null=True)
    maturity_on = fields.DateField(null=True)
    closed_on = fields.DateField(null=True)
    # Lifecycle bookkeeping (issue 5): over-payments kept for the borrower, the IFRS 9
    # stage, the first day of the current run at DPD 0 (upgrade rule), a manual class.
    credit_balance = money_field(default=0)
    ifrs9_stage = fields.IntField(default=1)
    current_since = fields.DateField(null=True)
    classification_overridden = fields.BooleanField(default=False)

    class Meta:
        table = "loan"
        # the close of business streams active loans debtor by debtor
        indexes = (("status", "firm_id", "id"),)
