"""The credit lifecycle: products, applications, approvals, schedules, repayments, COB."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from smecredit.models.base import TimestampedModel, money_field
from smecredit.models.firms import Firm
from smecredit.models.lending.loans import Loan

__all__ = [
    "ApplicationTransition",
    "Approval",
    "ClassificationHistory",
    "CobRun",
    "LoanApplication",
    "Product",
    "Repayment",
    "RepaymentSchedule",
    "ScheduledInstalment",
]


class Product(TimestampedModel):
    """A loan product and the terms it allows (see domain.products.ProductTerms)."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=200)
    amount_min = money_field()
    amount_max = money_field()
    term_months_min = fields.IntField()
    term_months_max = fields.IntField()
    rate_min = fields.DecimalField(max_digits=8, decimal_places=6)
    rate_max = fields.DecimalField(max_digits=8, decimal_places=6)
    #: repayment method names offered
    methods: fields.JSONField[list[str]] = fields.JSONField(default=list)
    grace_period_days = fields.IntField(default=0)
    penalty_multiplier = fields.DecimalField(max_digits=8, decimal_places=4, null=True)
    penalty_rate_absolute = fields.DecimalField(max_digits=8, decimal_places=6, null=True)
    active = fields.BooleanField(default=True)

    class Meta:
        table = "product"


class LoanApplication(TimestampedModel):
    """A credit application, carried through the lifecycle state machine.

    ``state`` holds a domain LoanState value. Once disbursed, ``loan`` points at the
    booked loan and the state keeps following it (active, closed, written_off).
    """

    id = fields.IntField(primary_key=True)
    firm: fields.ForeignKeyRelation[Firm] = fields.ForeignKeyField(
        "smecredit.Firm", related_name="applications", on_delete=fields.RESTRICT
    )
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "smecredit.Product", related_name="applications", on_delete=fields.RESTRICT
    )
    amount = money_field()
    term_months = fields.IntField()
    annual_rate = fields.DecimalField(max_digits=8, decimal_places=6)
    repayment_method = fields.CharField(max_length=24)
    purpose = fields.CharField(max_length=200, default="")
    guarantee_type = fields.CharField(max_length=16, default="credit")
    collateral_description = fields.TextField(default="")
    state = fields.CharField(max_length=16, default="draft", db_index=True)
    maker_id = fields.CharField(max_length=64, db_index=True)
    maker_username = fields.CharField(max_length=64, default="")
    branch_code = fields.CharField(max_length=16, db_index=True)
    #: the decided grade the authority matrix routes on: the model's, or an analyst's
    #: override (see DecisionOverride, kind ``grade``)
    risk_grade = fields.CharField(max_length=1, null=True)
    #: the grade the champion model gave on submission (null: not scored)
    system_grade = fields.CharField(max_length=1, null=True)
    #: the champion that graded it: model family and version
    grade_model_name = fields.CharField(max_length=64, null=True)
    grade_model_version = fields.CharField(max_length=32, null=True)
    approval_round = fields.IntField(default=1)
    appeals_used = fields.IntField(default=0)
    submitted_at = fields.DatetimeField(null=True)
    decided_at = fields.DatetimeField(null=True)
    rejected_at = fields.DatetimeField(null=True)
    loan: fields.ForeignKeyNullableRelation[Loan] = fields.ForeignKeyField(
        "smecredit.Loan", related_name="applications", null=True, on_delete=fields.RESTRICT
    )

    class Meta:
        table = "loan_application"


class ApplicationTransition(Model):
    """One applied lifecycle action (the state machine's journal, never edited)."""

    id = fields.IntField(primary_key=True)
    application: fields.ForeignKeyRelation[LoanApplication] = fields.ForeignKeyField(
        "smecredit.LoanApplication", related_name="transitions", on_delete=fields.RESTRICT
    )
    loan_id = fields.IntField(null=True, db_index=True)
    action = fields.CharField(max_length=32)
    from_state = fields.CharField(max_length=16)
    to_state = fields.CharField(max_length=16)
    actor = fields.CharField(max_length=64)
    at = fields.DatetimeField()
    reason = fields.TextField(null=True)
    #: approvals of the current round after this transition
    approvals: fields.JSONField[list[dict[str, object]]] = fields.JSONField(default=list)

    class Meta:
        table = "application_transition"


class Approval(Model):
    """One approver's approval in one approval round."""

    id = fields.IntField(primary_key=True)
    application: fields.ForeignKeyRelation[LoanApplication] = fields.ForeignKeyField(
        "smecredit.LoanApplication", related_name="approvals", on_delete=fields.RESTRICT
    )
    approver = fields.CharField(max_length=64)
    roles: fields.JSONField[list[str]] = fields.JSONField(default=list)
    at = fields.DatetimeField()
    reason = fields.TextField(null=True)
    round = fields.IntField(default=1)

    class Meta:
        table = "approval"


class RepaymentSchedule(Model):
    """One version of a loan's schedule: exactly one is active while the loan runs."""

    id = fields.IntField(primary_key=True)
    loan: fields.ForeignKeyRelation[Loan] = fields.ForeignKeyField(
        "smecredit.Loan", related_name="schedules", on_delete=fields.RESTRICT
    )
    number = fields.IntField()
    active = fields.BooleanField(default=True, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    reason = fields.TextField(default="")

    class Meta:
        table = "repayment_schedule"
        unique_together = (("loan", "number"),)


class ScheduledInstalment(Model):
    """One instalment: what is due and what was paid, per component.

    ``loan_id`` is repeated here so the close of business reads instalments by loan
    without a join. ``penalty_through`` is the day after the last day penalty was accrued.
    """

    id = fields.IntField(primary_key=True)
    schedule: fields.ForeignKeyRelation[RepaymentSchedule] = fields.ForeignKeyField(
        "smecredit.RepaymentSchedule", related_name="instalments", on_delete=fields.RESTRICT
    )
    loan_id = fields.IntField(db_index=True)
    active = fields.BooleanField(default=True)
    number = fields.IntField()
    due_date = fields.DateField()
    principal = money_field()
    interest = money_field()
    penalty_accrued = money_field(default=0)
    penalty_through = fields.DateField(null=True)
    paid_principal = money_field(default=0)
    paid_interest = money_field(default=0)
    paid_penalty = money_field(default=0)
    status = fields.CharField(max_length=12, default="pending")

    class Meta:
        table = "scheduled_instalment"
        unique_together = (("schedule", "number"),)
        # the close of business seeks the unpaid, overdue instalments of a batch of loans
        indexes = (("loan_id", "status", "due_date"),)


class Repayment(Model):
    """A repayment received (amount > 0) or the reversal of one (amount < 0).

    ``allocation`` holds the lines (instalment, component, amount) as strings.
    ``credit_added`` is the part kept as the borrower's credit balance.
    """

    id = fields.IntField(primary_key=True)
    loan: fields.ForeignKeyRelation[Loan] = fields.ForeignKeyField(
        "smecredit.Loan", related_name="repayments", on_delete=fields.RESTRICT
    )
    schedule_id = fields.IntField(null=True)
    idempotency_key = fields.CharField(max_length=128, unique=True)
    amount = money_field()
    received_on = fields.DateField()
    request_fingerprint = fields.CharField(max_length=64)
    allocation: fields.JSONField[list[dict[str, str]]] = fields.JSONField(default=list)
    credit_added = money_field(default=0)
    credit_balance_after = money_field(default=0)
    actor = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    reversed_at = fields.DatetimeField(null=True)
    reversal_of: fields.ForeignKeyNullableRelation[Repayment] = fields.ForeignKeyField(
        "smecredit.Repayment", related_name="reversals", null=True, on_delete=fields.RESTRICT
    )

    class Meta:
        table = "repayment"


class ClassificationHistory(Model):
    """A loan's classification whenever it changes (close of business or override)."""

    id = fields.IntField(primary_key=True)
    loan: fields.ForeignKeyRelation[Loan] = fields.ForeignKeyField(
        "smecredit.Loan", related_name="classification_history", on_delete=fields.RESTRICT
    )
    as_of = fields.DateField(db_index=True)
    dpd = fields.IntField()
    loan_class = fields.CharField(max_length=16)
    stage = fields.IntField()
    overridden = fields.BooleanField(default=False)
    actor = fields.CharField(max_length=64)
    reason = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "classification_history"


class CobRun(Model):
    """One close-of-business run for a business date.

    A run commits batch by batch; each batch also records how far the run got
    (``last_firm_id``) and its totals, and beats the heartbeat. A run whose process died
    is marked ``interrupted`` (``error`` says why, ``finished_at`` when) and the next
    ``cob run`` of the date resumes it in place after ``last_firm_id``.
    """

    id = fields.IntField(primary_key=True)
    business_date = fields.DateField(unique=True)
    # ``running``, ``succeeded``, ``failed`` or ``interrupted``.
    status = fields.CharField(max_length=12, default="running")
    loans = fields.IntField(default=0)
    changed = fields.IntField(default=0)
    penalties = fields.IntField(default=0)
    history_rows = fields.IntField(default=0)
    # The last debtor (firm id) whose loans are closed (a resumed run starts after it).
    last_firm_id = fields.IntField(null=True)
    # How many times the date was started (1, then +1 for each resume or forced rerun).
    attempts = fields.IntField(default=1, db_default=1)
    # ``host:pid`` of the process running it (to tell a dead run from a live one).
    owner = fields.CharField(max_length=200, null=True)
    # Written at the start and with every committed batch.
    heartbeat_at = fields.DatetimeField(null=True)
    # Why the run failed or was interrupted.
    error = fields.TextField(null=True)
    # Loans on the book when the run (or its last resume) started: progress is loans/total.
    total_loans = fields.IntField(default=0, db_default=0)
    # Who started the run (a username; ``system`` for the CLI and the schedule).
    started_by = fields.CharField(max_length=64, null=True)
    started_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "cob_run"
