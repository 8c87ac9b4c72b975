"""Write a synthetic portfolio (from the synthetic source's generator) into the database.

Used by the scoring tests: ``await seed_synthetic(n_firms, seed)`` returns the firm ids by
USCC and the records per firm, so tests can compare DB-built features with pure ones.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from smecredit_source_synthetic.generator import generate_portfolio

from smecredit import models

__all__ = ["SyntheticFirm", "group_portfolio", "seed_synthetic"]

_EVIDENCE = {
    "financial_statement": models.FinancialStatement,
    "tax_record": models.TaxRecord,
    "registry_event": models.RegistryEvent,
    "legal_case": models.LegalCase,
    "bureau_summary": models.BureauSummary,
    "repayment_history": models.RepaymentHistory,
}
_DATES = {
    "period_end",
    "event_date",
    "case_date",
    "report_date",
    "due_date",
    "paid_date",
    "established_on",
    "disbursed_on",
    "maturity_on",
}


class SyntheticFirm:
    """A generated firm profile with its records grouped by kind."""

    def __init__(self, firm: dict[str, Any]) -> None:
        self.firm = firm
        self.records: dict[str, list[dict[str, Any]]] = defaultdict(list)


def group_portfolio(n_firms: int, seed: int) -> list[SyntheticFirm]:
    """Generate and group the records by firm (in generation order)."""
    firms: list[SyntheticFirm] = []
    for kind, record in generate_portfolio(n_firms, seed=seed):
        if kind == "firm":
            firms.append(SyntheticFirm(record))
        elif firms:
            firms[-1].records[kind].append(record)
    return firms


def _fields(model: Any, record: dict[str, Any]) -> dict[str, Any]:
    names = set(model._meta.fields_map)
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key not in names or key in ("id", "firm") or key in model._meta.fk_fields:
            continue
        if key in _DATES and isinstance(value, str):
            value = dt.date.fromisoformat(value)
        elif key == "fetched_at" and isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        out[key] = value
    return out


async def seed_synthetic(n_firms: int, seed: int) -> tuple[dict[str, int], list[SyntheticFirm]]:
    """Insert firms, evidence and loans; return (USCC -> firm id, the grouped firms)."""
    firms = group_portfolio(n_firms, seed)
    await models.Firm.bulk_create(
        [models.Firm(**_fields(models.Firm, f.firm)) for f in firms], batch_size=500
    )
    ids = dict(await models.Firm.all().values_list("uscc", "id"))
    for kind, model in _EVIDENCE.items():
        rows = [
            model(firm_id=ids[f.firm["uscc"]], **_fields(model, r))
            for f in firms
            for r in f.records.get(kind, [])
        ]
        await model.bulk_create(rows, batch_size=1000)
    loans = []
    for f in firms:
        for r in f.records.get("loan", []):
            data = _fields(models.Loan, r)
            data.setdefault("outstanding_principal", Decimal("0"))
            loans.append(models.Loan(firm_id=ids[f.firm["uscc"]], **data))
    await models.Loan.bulk_create(loans, batch_size=1000)
    return {str(k): int(v) for k, v in ids.items()}, firms
