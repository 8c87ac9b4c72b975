"""The dataset catalogue: what a report may read, declared as SQL over the platform's tables.

Each :class:`Dataset` is a base ``FROM`` (joins allowed), the expression of its unique row
key (batches are read by key), the expression of the branch its rows belong to (row scope;
None: the rows are not branch-bound) and its columns, each an SQL expression with its
kind and the GraphQL field whose policy decides it (``Firm.name``). The query engine
(:mod:`smecredit.services.reports.query`) builds every statement from these; nothing here
runs SQL.

Personal data of persons (names, ID numbers, phones) is encrypted at rest and is not in
any dataset: a report on people would have to decrypt each row as the person services do.
The names here are the contract with report plugins: never rename a column, add one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from smecredit.sdk.reports import ColumnKind, DatasetColumn, DatasetInfo

__all__ = ["CATALOGUE", "Column", "Dataset"]


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its name, kind, SQL (PostgreSQL may differ), policy field, description."""

    name: str
    kind: ColumnKind
    sql: str
    field: str | None = None
    description: str = ""
    pg_sql: str | None = None

    def expression(self, postgres: bool) -> str:
        """The SQL expression of the column on this engine."""
        return self.pg_sql if postgres and self.pg_sql is not None else self.sql

    def info(self) -> DatasetColumn:
        """The SDK's description of the column."""
        return DatasetColumn(self.name, self.kind, self.field, self.description)


@dataclass(frozen=True, slots=True)
class Dataset:
    """One dataset (see the module docstring)."""

    name: str
    description: str
    source: str
    key: str
    branch: str | None
    columns: tuple[Column, ...]
    #: True for a dataset computed in Python (:mod:`~smecredit.services.reports.computed`),
    #: not read by SQL: ``source`` and ``key`` are unused, it cannot be aggregated.
    computed: bool = False
    #: (alias, JOIN clause) added to ``source`` only when a statement uses ``alias.``: a
    #: five-category aggregate of the loans need not join each loan's application.
    joins: tuple[tuple[str, str], ...] = ()

    def from_clause(self, *used: str) -> str:
        """``source`` with the joins whose alias the statement's other parts ``used`` name."""
        text = " ".join(used)
        extra = [join for alias, join in self.joins if re.search(rf"\b{alias}\.", text)]
        return " ".join([self.source, *extra])

    def column(self, name: str) -> Column | None:
        """The column named ``name``, if any."""
        for column in self.columns:
            if column.name == name:
                return column
        return None

    def info(self) -> DatasetInfo:
        """The SDK's description of the dataset."""
        return DatasetInfo(self.name, self.description, tuple(c.info() for c in self.columns))


def _json_number(column: str, *path: str) -> tuple[str, str]:
    """(SQLite, PostgreSQL) expressions of a number inside a JSON column."""
    return (
        f"json_extract({column}, '$.{'.'.join(path)}')",
        f"(({column})::jsonb #>> '{{{','.join(path)}}}')::float",
    )


def _c(
    name: str, kind: ColumnKind, sql: str, field: str | None = None, description: str = ""
) -> Column:
    return Column(name, kind, sql, field, description)


_AUC, _AUC_PG = _json_number("m.metrics", "overall", "auc")
_KS, _KS_PG = _json_number("m.metrics", "overall", "ks")
_GINI, _GINI_PG = _json_number("m.metrics", "overall", "gini")

# The application a loan came from: the latest one that names it (normally exactly one).
_LOAN_APPLICATION = (
    "LEFT JOIN loan_application a ON a.id = "
    "(SELECT MAX(a2.id) FROM loan_application a2 WHERE a2.loan_id = l.id)"
)

_DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "loans",
        "Every loan with its borrower, balance, delinquency and classification.",
        "loan l",
        "l.id",
        "l.branch_code",
        (
            _c("loan_id", "int", "l.id", None, "the loan's id"),
            _c("loan_ref", "text", "l.loan_ref", "Loan.loanRef", "the contract reference"),
            _c("status", "text", "l.status", "Loan.status", "active, overdue, closed, ..."),
            _c("product", "text", "l.product", "Loan.product", "the product code"),
            _c("branch_code", "text", "l.branch_code", "Loan.branchCode", "booking branch"),
            _c("officer", "text", "l.officer", "Loan.officer", "the loan officer"),
            _c("firm_id", "int", "f.id", None, "the borrower's id"),
            _c("firm_uscc", "text", "f.uscc", "Firm.uscc", "the borrower's USCC"),
            _c("firm_name", "text", "f.name", "Firm.name", "the borrower's name"),
            _c("industry_code", "text", "f.industry_code", "Firm.industryCode", "GB/T 4754"),
            _c("region_code", "text", "f.region_code", "Firm.regionCode", "GB/T 2260"),
            _c("principal", "money", "l.principal", "Loan.principal", "amount lent"),
            _c(
                "balance",
                "money",
                "l.outstanding_principal",
                "Loan.outstandingPrincipal",
                "outstanding principal",
            ),
            _c("annual_rate", "percent", "l.annual_rate", "Loan.annualRate", "0.05 is 5%"),
            _c("term_months", "int", "l.term_months", "Loan.termMonths", "term in months"),
            _c(
                "guarantee_type",
                "text",
                "l.guarantee_type",
                "Loan.guaranteeType",
                "credit, guarantee, collateral, ...",
            ),
            _c("disbursed_on", "date", "l.disbursed_on", "Loan.disbursedOn", "disbursement"),
            _c("maturity_on", "date", "l.maturity_on", "Loan.maturityOn", "final due date"),
            _c("closed_on", "date", "l.closed_on", "Loan.closedOn", "when it was closed"),
            _c("days_past_due", "int", "l.days_past_due", "Loan.daysPastDue", "DPD today"),
            _c(
                "classification",
                "text",
                "l.classification",
                "Loan.classification",
                "five-category class: normal, special_mention, substandard, doubtful, loss",
            ),
            _c("ifrs9_stage", "int", "l.ifrs9_stage", "Loan.ifrs9Stage", "IFRS 9 stage 1-3"),
            _c(
                "risk_grade",
                "text",
                "a.risk_grade",
                "LoanApplication.riskGrade",
                "the grade of its application, if any",
            ),
            _c("application_id", "int", "a.id", None, "its application, if any"),
            _c(
                "credit_line",
                "money",
                "COALESCE(a.amount, l.principal)",
                "Loan.principal",
                "the approved amount of its application, else the principal",
            ),
        ),
        joins=(("f", "JOIN firm f ON f.id = l.firm_id"), ("a", _LOAN_APPLICATION)),
    ),
    Dataset(
        "classification_history",
        "One row per loan and day its classification was recorded (close of business).",
        "classification_history h JOIN loan l ON l.id = h.loan_id",
        "h.id",
        "l.branch_code",
        (
            _c("loan_id", "int", "h.loan_id", None, "the loan"),
            _c("as_of", "date", "h.as_of", None, "the business date"),
            _c("dpd", "int", "h.dpd", None, "days past due on that day"),
            _c("loan_class", "text", "h.loan_class", None, "five-category class"),
            _c("stage", "int", "h.stage", None, "IFRS 9 stage"),
            _c("overridden", "int", "h.overridden", None, "1 when set by hand"),
            _c("branch_code", "text", "l.branch_code", "Loan.branchCode", "booking branch"),
            _c("product", "text", "l.product", "Loan.product", "the product code"),
            _c("disbursed_on", "date", "l.disbursed_on", "Loan.disbursedOn", "disbursement"),
            _c("principal", "money", "l.principal", "Loan.principal", "amount lent"),
        ),
    ),
    Dataset(
        "applications",
        "Every loan application with its decision trail figures.",
        "loan_application a JOIN firm f ON f.id = a.firm_id JOIN product p ON p.id = a.product_id",
        "a.id",
        "a.branch_code",
        (
            _c("application_id", "int", "a.id", None, "the application's id"),
            _c("firm_id", "int", "a.firm_id", None, "the applicant's id"),
            _c("firm_name", "text", "f.name", "Firm.name", "the applicant's name"),
            _c("product", "text", "p.code", "LoanApplication.product", "the product code"),
            _c("branch_code", "text", "a.branch_code", "LoanApplication.branchCode", "branch"),
            _c("amount", "money", "a.amount", "LoanApplication.amount", "amount applied for"),
            _c("term_months", "int", "a.term_months", "LoanApplication.termMonths", "term"),
            _c("annual_rate", "percent", "a.annual_rate", "LoanApplication.annualRate", "rate"),
            _c("state", "text", "a.state", "LoanApplication.status", "draft ... disbursed"),
            _c(
                "maker",
                "text",
                "COALESCE(NULLIF(a.maker_username, ''), a.maker_id)",
                "LoanApplication.makerId",
                "who prepared it",
            ),
            _c("submitted_at", "datetime", "a.submitted_at", None, "when submitted"),
            _c("decided_at", "datetime", "a.decided_at", None, "when approved or rejected"),
            _c("rejected_at", "datetime", "a.rejected_at", None, "when rejected"),
            _c("risk_grade", "text", "a.risk_grade", "LoanApplication.riskGrade", "decided grade"),
            _c(
                "system_grade",
                "text",
                "a.system_grade",
                "LoanApplication.systemGrade",
                "the model's grade",
            ),
            _c("approval_round", "int", "a.approval_round", None, "1, then 2 after an appeal"),
            _c("appeals_used", "int", "a.appeals_used", None, "appeals made"),
            _c("loan_id", "int", "a.loan_id", None, "the loan it became, if any"),
        ),
    ),
    Dataset(
        "application_transitions",
        "Every step of every application's state machine.",
        "application_transition t JOIN loan_application a ON a.id = t.application_id",
        "t.id",
        "a.branch_code",
        (
            _c("application_id", "int", "t.application_id", None, "the application"),
            _c("branch_code", "text", "a.branch_code", "LoanApplication.branchCode", "branch"),
            _c("action", "text", "t.action", None, "submit, approve, reject, ..."),
            _c("from_state", "text", "t.from_state", None, "state before"),
            _c("to_state", "text", "t.to_state", None, "state after"),
            _c("actor", "text", "t.actor", None, "who took the step"),
            _c("at", "datetime", "t.at", None, "when"),
        ),
    ),
    Dataset(
        "approvals",
        "Every approval given to an application.",
        "approval ap JOIN loan_application a ON a.id = ap.application_id",
        "ap.id",
        "a.branch_code",
        (
            _c("application_id", "int", "ap.application_id", None, "the application"),
            _c("branch_code", "text", "a.branch_code", "LoanApplication.branchCode", "branch"),
            _c("approver", "text", "ap.approver", None, "who approved"),
            _c("at", "datetime", "ap.at", None, "when"),
            _c("round", "int", "ap.round", None, "the approval round"),
        ),
    ),
    Dataset(
        "decision_overrides",
        "Every human decision that differed from the system's.",
        "decision_override o JOIN loan_application a ON a.id = o.application_id",
        "o.id",
        "a.branch_code",
        (
            _c("application_id", "int", "o.application_id", None, "the application"),
            _c("branch_code", "text", "a.branch_code", "LoanApplication.branchCode", "branch"),
            _c("kind", "text", "o.kind", None, "what was overridden (grade, decision, ...)"),
            _c("system_value", "text", "o.system_value", None, "what the system said"),
            _c("decided_value", "text", "o.decided_value", None, "what was decided"),
            _c("actor", "text", "o.actor", None, "who decided"),
            _c("at", "datetime", "o.at", None, "when"),
        ),
    ),
    Dataset(
        "warnings",
        "Every early warning raised on a firm.",
        "warning w JOIN firm f ON f.id = w.firm_id",
        "w.id",
        "f.branch_code",
        (
            _c("warning_id", "int", "w.id", None, "the warning's id"),
            _c("firm_id", "int", "w.firm_id", None, "the firm"),
            _c("loan_id", "int", "w.loan_id", None, "the loan, if the rule is about one"),
            _c("branch_code", "text", "f.branch_code", "Firm.branchCode", "the firm's branch"),
            _c("rule_code", "text", "w.rule_code", "Warning.ruleCode", "the rule that fired"),
            _c("level", "text", "w.severity", "Warning.severity", "blue, yellow, orange, red"),
            _c("status", "text", "w.status", "Warning.status", "open ... resolved"),
            _c("opened_at", "datetime", "w.opened_at", None, "when raised"),
            _c("resolved_at", "datetime", "w.resolved_at", None, "when resolved"),
        ),
    ),
    Dataset(
        "scores",
        "Every score computed for a firm.",
        "score s JOIN firm f ON f.id = s.firm_id",
        "s.id",
        "f.branch_code",
        (
            _c("firm_id", "int", "s.firm_id", None, "the firm"),
            _c("branch_code", "text", "f.branch_code", "Firm.branchCode", "the firm's branch"),
            _c("model_name", "text", "s.model_name", None, "the model"),
            _c("model_version", "text", "s.model_version", None, "its version"),
            _c(
                "pd",
                "decimal",
                "s.probability_of_default",
                "Score.probabilityOfDefault",
                "probability of default",
            ),
            _c("score", "int", "s.points", "Score.points", "scorecard points"),
            _c("grade", "text", "s.grade", "Score.grade", "risk grade"),
            _c("scored_at", "datetime", "s.computed_at", None, "when"),
        ),
    ),
    Dataset(
        "model_versions",
        "Every registered model version with its headline metrics.",
        "model_version m",
        "m.id",
        None,
        (
            _c("model_name", "text", "m.name", None, "the model"),
            _c("version", "text", "m.version", None, "its version"),
            _c("use", "text", "m.use", None, "application or behaviour"),
            _c("status", "text", "m.status", None, "candidate, champion, retired, ..."),
            _c("trained_at", "datetime", "m.created_at", None, "when registered"),
            _c("created_by", "text", "m.created_by", None, "who trained it"),
            Column("auc", "decimal", _AUC, None, "AUC on the test set", _AUC_PG),
            Column("ks", "decimal", _KS, None, "KS on the test set", _KS_PG),
            Column("gini", "decimal", _GINI, None, "Gini on the test set", _GINI_PG),
        ),
    ),
    Dataset(
        "model_monitoring",
        "Stability of each champion and candidate model version today: one row with the "
        "PSI of its scores (feature empty), one row per feature with its CSI.",
        "",
        "",
        None,
        (
            _c("model_name", "text", "", None, "the model"),
            _c("version", "text", "", None, "its version"),
            _c("as_of", "date", "", None, "the business date it was computed for"),
            _c("psi", "decimal", "", None, "PSI of the scores against training"),
            _c("feature", "text", "", None, "the feature (empty on the PSI row)"),
            _c("csi", "decimal", "", None, "CSI of the feature against training"),
        ),
        computed=True,
    ),
    Dataset(
        "source_runs",
        "Every ingestion run of a data source.",
        "sync_run r",
        "r.id",
        None,
        (
            _c("run_id", "int", "r.id", None, "the run"),
            _c("source", "text", "r.source", None, "the data source"),
            _c("kind", "text", "r.kind", None, "what was read"),
            _c("status", "text", "r.status", None, "running, succeeded, failed, ..."),
            _c("started_at", "datetime", "r.started_at", None, "start"),
            _c("finished_at", "datetime", "r.finished_at", None, "end"),
            _c("records", "int", "r.read", None, "records read"),
            _c("accepted", "int", "r.accepted", None, "records accepted"),
            _c("quarantined", "int", "r.quarantined", None, "records quarantined"),
            _c("merged", "int", "r.merged", None, "records merged into existing ones"),
            _c("duplicates", "int", "r.duplicates", None, "duplicates dropped"),
            _c("outliers", "int", "r.outliers", None, "outliers flagged"),
            _c(
                "rejected",
                "int",
                "CASE WHEN r.read > r.accepted + r.quarantined "
                "THEN r.read - r.accepted - r.quarantined ELSE 0 END",
                None,
                "records read that were neither accepted nor quarantined",
            ),
        ),
    ),
    Dataset(
        "quarantine",
        "Every record an ingestion run quarantined.",
        "quarantined_record q",
        "q.id",
        "q.branch_code",
        (
            _c("run_id", "int", "q.run_id", None, "the run"),
            _c("source", "text", "q.source", None, "the data source"),
            _c("record_kind", "text", "q.kind", None, "the kind of record"),
            _c("field", "text", "q.field", None, "the offending field"),
            _c("code", "text", "q.code", None, "why, as a code"),
            _c("reason", "text", "q.reason", None, "why, in words"),
            _c("branch_code", "text", "q.branch_code", None, "branch, when known"),
            _c("created_at", "datetime", "q.created_at", None, "when"),
            _c(
                "status",
                "text",
                "CASE WHEN q.id IS NOT NULL THEN 'quarantined' END",
                None,
                "always quarantined: a record stays until it is fixed and sent again",
            ),
        ),
    ),
    Dataset(
        "firms",
        "Every firm (borrower or applicant).",
        "firm f",
        "f.id",
        "f.branch_code",
        (
            _c("firm_id", "int", "f.id", None, "the firm's id"),
            _c("firm_uscc", "text", "f.uscc", "Firm.uscc", "USCC"),
            _c("firm_name", "text", "f.name", "Firm.name", "name"),
            _c("industry_code", "text", "f.industry_code", "Firm.industryCode", "GB/T 4754"),
            _c("region_code", "text", "f.region_code", "Firm.regionCode", "GB/T 2260"),
            _c("branch_code", "text", "f.branch_code", "Firm.branchCode", "branch"),
            _c("established_on", "date", "f.established_on", "Firm.establishedOn", "founded"),
            _c("status", "text", "f.status", "Firm.status", "active, ..."),
        ),
    ),
)

# Other areas' datasets (services/reports/datasets/), declared with Dataset and Column above.
from smecredit.services.reports.datasets.compliance import (  # noqa: E402
    DATASETS as _COMPLIANCE_DATASETS,
)

#: Every dataset by name.
CATALOGUE: Mapping[str, Dataset] = MappingProxyType(
    {d.name: d for d in (*_DATASETS, *_COMPLIANCE_DATASETS)}
)
