"""A small synthetic book (every dataset) and in-memory contexts over it and over nothing."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest

from smecredit.testing import InMemoryReportContext

TODAY = dt.date(2026, 6, 30)
BRANCHES = ("B01", "B02")
PRODUCTS = ("operating", "equipment")
GRADES = ("A", "B", "C", "D", "E")
CLASS_FOR_DPD = ((0, "normal"), (90, "special_mention"), (270, "substandard"), (360, "doubtful"))


def class_for(dpd: int) -> str:
    """The five-category class of a DPD, as the core's default bands."""
    return next((c for limit, c in CLASS_FOR_DPD if dpd <= limit), "loss")


def stage_for(dpd: int) -> int:
    return 3 if dpd > 90 else 2 if dpd > 30 else 1


def _month_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    days = []
    year, month = start.year, start.month
    while True:
        nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
        last = nxt - dt.timedelta(days=1)
        if last > end:
            break
        days.append(last)
        year, month = nxt.year, nxt.month
    return days


def make_book(seed: int = 7, loans: int = 40) -> dict[str, list[dict[str, Any]]]:
    """Every dataset, deterministic, with loans that default, close and stay current."""
    rng = random.Random(seed)
    book: dict[str, list[dict[str, Any]]] = {name: [] for name in (
        "loans", "classification_history", "applications", "application_transitions",
        "approvals", "decision_overrides", "warnings", "scores", "model_versions",
        "model_monitoring", "source_runs", "quarantine", "firms", "compliance_results",
        "decision_alerts",
    )}  # fmt: skip
    firms = 12
    for firm_id in range(1, firms + 1):
        book["firms"].append(
            {"firm_id": firm_id, "firm_name": f"企业{firm_id}",
             "branch_code": BRANCHES[firm_id % 2],
             "industry_code": ("C13", "F51", "I65")[firm_id % 3], "region_code": "110101",
             "established_on": dt.date(2015, 1, 1), "status": "active"}
        )  # fmt: skip
        book["scores"].append(
            {"firm_id": firm_id, "branch_code": BRANCHES[firm_id % 2], "model_name": "scorecard",
             "model_version": "1", "pd": Decimal("0.01") * (firm_id % 5 + 1),
             "score": 700 - firm_id * 10, "grade": GRADES[firm_id % 5],
             "scored_at": dt.datetime(2025, 1, 1, tzinfo=dt.UTC)}
        )  # fmt: skip
    for loan_id in range(1, loans + 1):
        firm_id = loan_id % firms + 1
        branch = BRANCHES[firm_id % 2]
        product = PRODUCTS[loan_id % 2]
        disbursed = dt.date(2024, 1, 15) + dt.timedelta(days=rng.randrange(0, 800))
        principal = Decimal(rng.randrange(10, 400) * 10_000)
        # One loan in four drifts into arrears, some of them past 90 days.
        drift = rng.choice((0, 0, 0, 8, 25, 40)) if loan_id % 4 == 0 else 0
        closed = loan_id % 9 == 0
        history_days = _month_ends(disbursed, TODAY)
        dpd = 0
        for n, day in enumerate(history_days):
            dpd = 0 if closed else max(0, (n - 2) * drift)
            book["classification_history"].append(
                {"loan_id": loan_id, "as_of": day, "dpd": dpd, "loan_class": class_for(dpd),
                 "stage": stage_for(dpd), "overridden": 0, "branch_code": branch,
                 "product": product, "disbursed_on": disbursed, "principal": principal}
            )  # fmt: skip
        balance = Decimal(0) if closed else principal * Decimal("0.8")
        book["loans"].append(
            {"loan_id": loan_id, "loan_ref": f"L{loan_id:04d}",
             "status": "closed" if closed else "overdue" if dpd else "active",
             "product": product, "branch_code": branch, "officer": "wang", "firm_id": firm_id,
             "firm_uscc": f"9111{firm_id:014d}", "firm_name": f"企业{firm_id}",
             "industry_code": ("C13", "F51", "I65")[firm_id % 3],
             "region_code": ("110101", "310115")[loan_id % 2], "principal": principal,
             "balance": balance, "annual_rate": Decimal("0.04") + Decimal(loan_id % 5) / 100,
             "term_months": 36, "guarantee_type": "credit", "disbursed_on": disbursed,
             "maturity_on": disbursed + dt.timedelta(days=36 * 30),
             "closed_on": TODAY - dt.timedelta(days=10) if closed else None,
             "days_past_due": dpd, "classification": class_for(dpd),
             "ifrs9_stage": stage_for(dpd),
             "risk_grade": GRADES[firm_id % 5] if loan_id % 7 else None,
             "application_id": loan_id, "credit_line": principal * (3 if firm_id == 1 else 1)}
        )  # fmt: skip
        submitted = dt.datetime.combine(disbursed, dt.time(9), dt.UTC) - dt.timedelta(days=10)
        book["applications"].append(
            {"application_id": loan_id, "firm_id": firm_id, "firm_name": f"企业{firm_id}",
             "product": product, "branch_code": branch, "amount": principal, "term_months": 36,
             "annual_rate": Decimal("0.05"), "state": "disbursed", "maker": "wang",
             "submitted_at": submitted, "decided_at": submitted + dt.timedelta(days=2),
             "rejected_at": None, "risk_grade": GRADES[firm_id % 5],
             "system_grade": GRADES[(firm_id + loan_id % 2) % 5], "approval_round": 1,
             "appeals_used": 0, "loan_id": loan_id}
        )  # fmt: skip
        for action, src, dst, hours in (
            ("submit", "draft", "submitted", 0),
            ("start_review", "submitted", "under_review", 5 + loan_id % 3),
            ("approve", "under_review", "approved", 30 + loan_id % 7),
        ):
            book["application_transitions"].append(
                {"application_id": loan_id, "branch_code": branch, "action": action,
                 "from_state": src, "to_state": dst, "actor": "wang" if hours == 0 else "zhao",
                 "at": submitted + dt.timedelta(hours=hours)}
            )  # fmt: skip
        book["approvals"].append(
            {"application_id": loan_id, "branch_code": branch,
             "approver": ("zhao", "qian")[loan_id % 2],
             "at": submitted + dt.timedelta(days=2), "round": 1}
        )  # fmt: skip
        if loan_id % 5 == 0:
            book["decision_overrides"].append(
                {"application_id": loan_id, "branch_code": branch, "kind": "grade",
                 "system_value": "D", "decided_value": "C", "actor": "zhao",
                 "at": submitted + dt.timedelta(days=2)}
            )  # fmt: skip
    for n in range(1, 7):
        rejected = dt.datetime(2026, 3, n, 9, tzinfo=dt.UTC)
        book["applications"].append(
            {"application_id": 100 + n, "firm_id": n, "firm_name": f"企业{n}",
             "product": "operating", "branch_code": BRANCHES[n % 2], "amount": Decimal(500_000),
             "term_months": 12, "annual_rate": Decimal("0.06"),
             "state": "rejected" if n % 3 else "approved", "maker": "li",
             "submitted_at": rejected - dt.timedelta(days=3),
             "decided_at": rejected, "rejected_at": rejected if n % 3 else None,
             "risk_grade": GRADES[n % 5], "system_grade": GRADES[n % 5],
             "approval_round": 1, "appeals_used": 1 if n % 2 else 0, "loan_id": None}
        )  # fmt: skip
    for n in range(1, 25):
        firm_id = n % firms + 1
        book["warnings"].append(
            {"warning_id": n, "firm_id": firm_id, "branch_code": BRANCHES[firm_id % 2],
             "rule_code": ("DPD_30", "TAX_ARREARS")[n % 2], "level": ("red", "yellow")[n % 3 == 0],
             "status": "open", "opened_at": dt.datetime(2025, 1 + n % 12, 10, tzinfo=dt.UTC),
             "resolved_at": None}
        )  # fmt: skip
    for version, auc in (("1", Decimal("0.74")), ("2", Decimal("0.78"))):
        book["model_versions"].append(
            {"model_name": "scorecard", "version": version, "status": "active",
             "trained_at": dt.datetime(2025, 1, 1, tzinfo=dt.UTC), "auc": auc,
             "ks": Decimal("0.35"), "gini": auc * 2 - 1}
        )  # fmt: skip
        for month in range(1, 7):
            day = dt.date(2026, month, 1)
            book["model_monitoring"].append(
                {"model_name": "scorecard", "version": version, "as_of": day,
                 "psi": Decimal(month) / 100, "feature": None, "csi": None}
            )  # fmt: skip
            book["model_monitoring"].append(
                {"model_name": "scorecard", "version": version, "as_of": day,
                 "psi": None, "feature": "revenue", "csi": Decimal(month) / 200}
            )  # fmt: skip
    for run_id, (source, status) in enumerate(
        (("tax", "succeeded"), ("tax", "failed"), ("court", "succeeded"), ("court", "partial")), 1
    ):
        started = dt.datetime(2026, 6, 20 + run_id, 1, tzinfo=dt.UTC)
        book["source_runs"].append(
            {"source": source, "run_id": run_id, "started_at": started,
             "finished_at": started + dt.timedelta(minutes=5), "status": status,
             "records": 100, "accepted": 90 - run_id, "quarantined": 5 + run_id, "rejected": 5}
        )  # fmt: skip
    for n, code in enumerate(("BAD_USCC", "BAD_USCC", "MISSING_FIELD")):
        book["quarantine"].append(
            {"source": "tax", "record_kind": "tax_filing", "code": code,
             "created_at": dt.datetime(2026, 6, 21 + n, tzinfo=dt.UTC), "status": "open"}
        )  # fmt: skip
    for run_id, overall in ((1, Decimal("0.80")), (2, Decimal("0.90"))):
        for code, status, weight in (
            ("PRICING", "pass", 2),
            ("FOUR_EYES", "fail" if run_id == 1 else "pass", 3),
        ):
            book["compliance_results"].append(
                {"run_id": run_id, "run_at": dt.datetime(2026, 6, run_id, tzinfo=dt.UTC),
                 "check_code": code, "title_zh": code, "title_en": code.title(),
                 "status": status, "weight": Decimal(weight),
                 "score": Decimal(1 if status == "pass" else 0), "evidence": f"{code} evidence",
                 "overall_score": overall}
            )  # fmt: skip
    book["decision_alerts"].append(
        {"alert_id": 1, "kind": "override_rate", "subject": "zhao", "value": Decimal("0.3"),
         "bound": Decimal("0.2"), "status": "open",
         "raised_at": dt.datetime(2026, 6, 1, tzinfo=dt.UTC)}
    )  # fmt: skip
    return book


@pytest.fixture
def book() -> dict[str, list[dict[str, Any]]]:
    return make_book()


@pytest.fixture
def context(book: dict[str, list[dict[str, Any]]]) -> InMemoryReportContext:
    return InMemoryReportContext(book, today=TODAY, roles=("risk_analyst",))


@pytest.fixture
def empty() -> InMemoryReportContext:
    return InMemoryReportContext({}, today=TODAY, roles=("risk_analyst",))
