"""Builders shared by the lending tests (``from lending_support import ...``)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from smecredit import models
from smecredit.domain.identity import uscc_check_char
from smecredit.domain.products import ProductTerms
from smecredit.domain.schedules import RepaymentMethod
from smecredit.security.principal import Principal
from smecredit.services.lending import applications, decisions, disbursement
from smecredit.services.lending.products import create_product

__all__ = [
    "BRANCH",
    "NOW",
    "TERMS",
    "FixedPd",
    "book_loan",
    "grade_by_analyst",
    "principal",
    "seed_champion",
    "seed_firm",
    "seed_product",
]

BRANCH = "B01"
NOW = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)
TERMS = ProductTerms(
    amount_min=Decimal("1000.00"),
    amount_max=Decimal("5000000.00"),
    term_months_min=3,
    term_months_max=36,
    rate_min=Decimal("0.03"),
    rate_max=Decimal("0.24"),
    methods=frozenset(RepaymentMethod),
    grace_period_days=3,
)
_ids = itertools.count(1)


def principal(*roles: str, name: str | None = None, branch: str = BRANCH) -> Principal:
    """A user with ``roles`` (username defaults to the roles joined)."""
    return Principal(
        user_id=next(_ids), username=name or "+".join(roles), roles=roles, branch_code=branch
    )


ADMIN = principal("admin", name="root", branch="HQ")


async def seed_product(code: str = "SME-WC") -> models.Product:
    """The working-capital product every test uses."""
    existing = await models.Product.get_or_none(code=code)
    return existing or await create_product(ADMIN, code=code, name="Working capital", terms=TERMS)


async def seed_firm(
    n: int = 1, *, branch: str = BRANCH, evidence: bool = True, consent: bool = True
) -> models.Firm:
    """A firm with a valid USCC, and (by default) recent evidence and consent."""
    body = f"91110000{n:09d}"
    firm = await models.Firm.create(
        uscc=body + uscc_check_char(body),
        name=f"Firm {n}",
        industry_code="C13",
        region_code="110000",
        branch_code=branch,
    )
    if evidence:
        await models.FinancialStatement.create(
            firm=firm,
            period_end=dt.date(2025, 12, 31),
            period_type="annual",
            source="test",
            fetched_at=NOW,
        )
        await models.BureauSummary.create(
            firm=firm, report_date=dt.date(2026, 1, 2), source="test", fetched_at=NOW
        )
    if consent:
        await models.Consent.create(
            firm=firm, scope="bureau", granted_at=NOW - dt.timedelta(days=5), granted_by="test"
        )
    return firm


class FixedPd:
    """A scoring model whose artefact is the PD it predicts for every firm."""

    name = "fixed"
    description = "fixed PD (tests)"
    version = "1"

    def predict_proba(self, artefact: bytes, X: Sequence[Mapping[str, Any]]) -> list[float]:
        return [float(artefact.decode())] * len(X)

    def explain(self, artefact: bytes, X: Sequence[Mapping[str, Any]], top_n: int) -> list[Any]:
        return [[] for _ in X]


#: The scoring models to pass as ``scoring_models`` / ``available`` with :func:`seed_champion`.
FIXED_MODELS: dict[str, Any] = {"fixed": FixedPd()}


async def seed_champion(pd: float, scale: list[list[Any]] | None = None) -> models.ModelVersion:
    """Make a ``fixed`` model predicting ``pd`` the application champion (the old one retires).

    With the default master scale, PD 0.003 grades A, 0.006 B, 0.015 C, 0.03 D, 0.06 E,
    0.1 F and 0.5 G.
    """
    from smecredit.services.scoring import scoring

    scoring.clear_version_cache()
    await models.ModelVersion.filter(status="champion").update(status="retired")
    return await models.ModelVersion.create(
        name="fixed",
        version=f"v{await models.ModelVersion.all().count() + 1}",
        use="application",
        status="champion",
        artefact=str(pd).encode(),
        calibration={"a": 1.0, "b": 0.0},
        master_scale=scale or [],
        training_fingerprint="0" * 64,
        created_by="test",
    )


async def grade_by_analyst(
    application_id: int, grade: str = "B", *, branch: str = BRANCH
) -> models.LoanApplication:
    """An analyst grades an application no model scored (the tests' usual path)."""
    analyst = principal("risk_analyst", name="grader", branch=branch)
    return await decisions.override_grade(
        application_id, analyst, grade, "graded by hand: no model in this test", at=NOW
    )


async def book_loan(
    firm: models.Firm,
    *,
    amount: Decimal = Decimal("120000.00"),
    term: int = 12,
    method: str = "equal_principal",
    disbursed_on: dt.date = dt.date(2026, 1, 20),
) -> models.LoanApplication:
    """Walk an application from draft to an active loan (single-approver band)."""
    await seed_product()
    branch = firm.branch_code
    officer = principal("loan_officer", name="officer", branch=branch)
    app = await applications.create_application(
        officer,
        firm_id=firm.id,
        product_code="SME-WC",
        amount=amount,
        term_months=term,
        annual_rate=Decimal("0.12"),
        repayment_method=method,
    )
    await applications.submit(app.id, officer, at=NOW)
    await grade_by_analyst(app.id, branch=branch)
    await applications.start_review(app.id, principal("risk_analyst", branch=branch), at=NOW)
    await applications.approve(
        app.id,
        principal("approver", name="appr1", branch=branch),
        at=NOW,
        override_reason="no model score in this test",
    )
    # four eyes: neither the maker nor the disburser confirms
    await disbursement.disburse(
        app.id, principal("loan_officer", name="ops1", branch=branch), at=NOW
    )
    return await disbursement.confirm_disbursement(
        app.id,
        principal("loan_officer", name="ops2", branch=branch),
        disbursed_on=disbursed_on,
        at=NOW,
    )
