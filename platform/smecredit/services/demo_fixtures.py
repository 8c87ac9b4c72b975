"""Load the small deterministic demo sample kept in ``fixtures/demo/sample.json``.

Idempotent: rows are matched on their natural keys (USCC, loan ref, ...), so
seeding twice leaves one copy.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from tortoise.transactions import in_transaction

from smecredit import models
from smecredit.services.persons import find_person_by_id_number, upsert_person

__all__ = ["FIXTURES_DIR", "load_fixtures"]

FIXTURES_DIR = Path(__file__).resolve().parents[3] / "fixtures" / "demo"

_DPD_CLASS = ((360, "loss"), (270, "doubtful"), (90, "substandard"), (0, "special_mention"))


def _classify(dpd: int) -> str:
    for floor, label in _DPD_CLASS:
        if dpd > floor:
            return label
    return "normal"


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


async def load_fixtures(path: Path | None = None) -> dict[str, int]:
    """Insert the sample if missing; return counts of rows created per kind."""
    data: dict[str, list[dict[str, Any]]] = json.loads(
        (path or FIXTURES_DIR / "sample.json").read_text(encoding="utf-8")
    )
    created = {"firms": 0, "financial_statements": 0, "loans": 0, "warnings": 0, "scores": 0}
    async with in_transaction() as conn:
        firm_ids: dict[str, int] = {}
        for rec in data["firms"]:
            firm = await models.Firm.filter(uscc=rec["uscc"]).using_db(conn).first()
            if firm is None:
                rep = rec.get("representative")
                person = None
                if rep:
                    person = await find_person_by_id_number(rep["id_number"], using=conn)
                    if person is None:
                        person = await upsert_person(rep, using=conn)
                firm = await models.Firm.create(
                    uscc=rec["uscc"],
                    name=rec["name"],
                    industry_code=rec["industry_code"],
                    region_code=rec["region_code"],
                    established_on=_date(rec.get("established_on")),
                    registered_capital=Decimal(rec["registered_capital"])
                    if rec.get("registered_capital")
                    else None,
                    employees=rec.get("employees"),
                    status=rec.get("status", "active"),
                    branch_code=rec["branch_code"],
                    representative=person,
                    using_db=conn,
                )
                created["firms"] += 1
            firm_ids[rec["uscc"]] = firm.id
        for rec in data["financial_statements"]:
            firm_id = firm_ids[rec["firm_uscc"]]
            period_end = dt.date.fromisoformat(rec["period_end"])
            if (
                await models.FinancialStatement.filter(
                    firm_id=firm_id, period_end=period_end, period_type=rec["period_type"]
                )
                .using_db(conn)
                .exists()
            ):
                continue
            await models.FinancialStatement.create(
                firm_id=firm_id,
                period_end=period_end,
                period_type=rec["period_type"],
                source=rec["source"],
                fetched_at=dt.datetime.fromisoformat(rec["fetched_at"]),
                **{
                    k: Decimal(rec[k]) if rec.get(k) is not None else None
                    for k in (
                        "revenue",
                        "net_profit",
                        "total_assets",
                        "total_liabilities",
                        "current_assets",
                        "current_liabilities",
                        "operating_cash_flow",
                    )
                },
                using_db=conn,
            )
            created["financial_statements"] += 1
        for rec in data["loans"]:
            if await models.Loan.filter(loan_ref=rec["loan_ref"]).using_db(conn).exists():
                continue
            await models.Loan.create(
                loan_ref=rec["loan_ref"],
                firm_id=firm_ids[rec["firm_uscc"]],
                product=rec["product"],
                principal=Decimal(rec["principal"]),
                annual_rate=Decimal(rec["annual_rate"]),
                term_months=rec["term_months"],
                repayment_method=rec["repayment_method"],
                purpose=rec.get("purpose", ""),
                guarantee_type=rec["guarantee_type"],
                status=rec["status"],
                classification=_classify(int(rec["days_past_due"])),
                days_past_due=rec["days_past_due"],
                outstanding_principal=Decimal(rec["outstanding_principal"]),
                branch_code=rec["branch_code"],
                officer=rec.get("officer"),
                disbursed_on=_date(rec.get("disbursed_on")),
                maturity_on=_date(rec.get("maturity_on")),
                using_db=conn,
            )
            created["loans"] += 1
        for rec in data["warnings"]:
            firm_id = firm_ids[rec["firm_uscc"]]
            if (
                await models.Warning.filter(firm_id=firm_id, rule_code=rec["rule_code"])
                .using_db(conn)
                .exists()
            ):
                continue
            await models.Warning.create(
                firm_id=firm_id,
                rule_code=rec["rule_code"],
                severity=rec["severity"],
                observed_value=rec["observed_value"],
                threshold=rec["threshold"],
                message=rec["message"],
                using_db=conn,
            )
            created["warnings"] += 1
        for rec in data["scores"]:
            firm_id = firm_ids[rec["firm_uscc"]]
            computed_at = dt.datetime.fromisoformat(rec["computed_at"])
            if (
                await models.Score.filter(
                    firm_id=firm_id, model_name=rec["model_name"], computed_at=computed_at
                )
                .using_db(conn)
                .exists()
            ):
                continue
            await models.Score.create(
                firm_id=firm_id,
                model_name=rec["model_name"],
                model_version=rec["model_version"],
                probability_of_default=rec["probability_of_default"],
                points=rec["points"],
                grade=rec["grade"],
                reasons=rec["reasons"],
                computed_at=computed_at,
                using_db=conn,
            )
            created["scores"] += 1
    return created
