"""Helpers for the second-writer tests: CLI subprocesses beside the in-process API."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from helpers import gql
from strawberry.relay import GlobalID

from smecredit import models
from smecredit.domain.identity import uscc_check_char
from smecredit.domain.schedules import RepaymentMethod, build_schedule

__all__ = [
    "FIRM_COLUMNS",
    "PostingLog",
    "cli_env",
    "post_repayments_until",
    "seed_book",
    "start_cli",
    "write_firms_csv",
]

FIRM_COLUMNS = (
    "uscc,name,industry_code,region_code,established_on,registered_capital,employees,"
    "status,branch_code"
)
POST = """mutation($loanId: ID!, $key: String!, $amount: Decimal!) {
  r: postRepayment(loanId: $loanId, idempotencyKey: $key, amount: $amount) {
    __typename ... on Repayment { id } ... on BusinessError { code message } } }"""


def _posted(body: dict[str, Any]) -> bool:
    answer = (body.get("data") or {}).get("r") or {}
    return bool(answer.get("__typename") == "Repayment")


def write_firms_csv(path: Path, rows: int, *, region: str = "330100") -> Path:
    """``rows`` valid firm records (distinct USCCs) for ``smecredit import --kind firm``."""
    lines = [FIRM_COLUMNS]
    for n in range(rows):
        body = f"91{region}{n:09d}"
        lines.append(
            f"{body}{uscc_check_char(body)},Import firm {n},C13,{region},"
            f"2015-03-{1 + n % 28:02d},500000.00,{10 + n % 50},active,HZ01"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def seed_book(n_firms: int, *, first_due: dt.date, loans_per_firm: int = 1) -> list[int]:
    """Active loans without applications (raw rows, fast): 12 monthly instalments from
    ``first_due`` (later firms a month later each, so some are current), nothing paid."""
    firms = [
        models.Firm(
            uscc=(body := f"91440300{n:09d}") + uscc_check_char(body),
            name=f"Book firm {n}",
            industry_code="C13",
            region_code="440300",
            branch_code="B01",
        )
        for n in range(1, n_firms + 1)
    ]
    await models.Firm.bulk_create(firms)
    made = await models.Firm.filter(region_code="440300").order_by("id")
    loan_ids: list[int] = []
    for index, firm in enumerate(made):
        for k in range(loans_per_firm):
            due = first_due + dt.timedelta(days=30 * (index % 4))
            amount = Decimal(20000 + 5000 * k)
            plan = build_schedule(amount, Decimal("0.12"), 12, RepaymentMethod.EQUAL_PRINCIPAL, due)
            loan = await models.Loan.create(
                loan_ref=f"BK{firm.id:06d}-{k}",
                firm=firm,
                product="SME-WC",
                principal=amount,
                annual_rate=Decimal("0.12"),
                term_months=12,
                repayment_method="equal_principal",
                guarantee_type="credit",
                status="active",
                outstanding_principal=amount,
                branch_code="B01",
                disbursed_on=due - dt.timedelta(days=30),
                maturity_on=plan[-1].due_date,
                current_since=due - dt.timedelta(days=30),
            )
            schedule = await models.RepaymentSchedule.create(loan=loan, number=1, reason="seed")
            await models.ScheduledInstalment.bulk_create(
                [
                    models.ScheduledInstalment(
                        schedule=schedule,
                        loan_id=loan.id,
                        number=i.number,
                        due_date=i.due_date,
                        principal=i.principal,
                        interest=i.interest,
                    )
                    for i in plan
                ]
            )
            loan_ids.append(loan.id)
    return loan_ids


def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a ``smecredit`` subprocess on the test's database."""
    return {
        **os.environ,
        "SMECREDIT_DATABASE_URL": database_url,
        "SMECREDIT_KEY_FILE": str(tmp_path / "keys.json"),
        "SMECREDIT_ENV": "dev",
    }


async def start_cli(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    """``smecredit ARGS`` in a second process (stdout and stderr piped)."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "smecredit.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@dataclass
class PostingLog:
    """What the API answered while the second process ran."""

    answers: list[dict[str, Any]] = field(default_factory=list)
    during: int = 0  # repayments that succeeded while the other process was writing

    @property
    def failures(self) -> list[dict[str, Any]]:
        """Answers that are not a posted repayment (errors included)."""
        return [a for a in self.answers if not _posted(a)]


async def post_repayments_until(
    client: httpx.AsyncClient,
    loan_id: int,
    done: asyncio.Future[Any],
    writing: Any,
    *,
    prefix: str,
    amount: str = "10.00",
) -> PostingLog:
    """Post repayments over HTTP until ``done``; ``await writing()`` says whether the
    other process is in the middle of its writes (counted in ``during``)."""
    log = PostingLog()
    loan = str(GlobalID("Loan", str(loan_id)))
    n = 0
    while not done.done():
        n += 1
        body = await gql(client, POST, {"loanId": loan, "key": f"{prefix}-{n}", "amount": amount})
        log.answers.append(body)
        if _posted(body) and await writing():
            log.during += 1
    return log
