"""Shared pieces of the permission, row-scope and encryption tests.

``seed_two_branches`` writes two firms per branch (B001, B002) through the services (so
personal data is encrypted), each with a representative, a loan, a score and a warning.
``execute_as`` runs a GraphQL document against a schema as a given role and branch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from smecredit import models
from smecredit.domain.identity import id_number_check_char, uscc_check_char
from smecredit.graphql.context import Context
from smecredit.security.crypto import Keyring
from smecredit.security.keys import set_keyring
from smecredit.security.policy import PolicyStore, set_policy_store
from smecredit.security.principal import Principal
from smecredit.services import firms as firm_service

__all__ = [
    "BRANCHES",
    "Seeded",
    "execute_as",
    "isolated_security",
    "principal",
    "seed_two_branches",
]

BRANCHES = ("B001", "B002")
NAMES = ("张三丰", "李四光", "王五福", "赵六合")


def make_uscc(n: int) -> str:
    body = f"91310000{n:09d}"
    return body + uscc_check_char(body)


def make_id_number(n: int) -> str:
    body = f"31010519850612{n:03d}"
    return body + id_number_check_char(body)


@dataclass
class SeededFirm:
    firm_id: int
    person_id: int
    loan_id: int
    warning_id: int
    branch: str
    name: str
    id_number: str
    phone: str


#: Who seeds the test data: a head-office administrator.
SEEDER = Principal(user_id=0, username="seeder", roles=("admin",), branch_code="HQ")


@dataclass
class Seeded:
    firms: list[SeededFirm] = field(default_factory=list)

    def in_branch(self, branch: str) -> list[SeededFirm]:
        return [f for f in self.firms if f.branch == branch]


async def seed_two_branches() -> Seeded:
    """Two firms per branch with representative, loan, score and warning."""
    seeded = Seeded()
    n = 0
    for branch in BRANCHES:
        for _ in range(2):
            n += 1
            id_number = make_id_number(n)
            phone = f"1391234{n:04d}"
            firm = await firm_service.create_firm(
                {
                    "uscc": make_uscc(n),
                    "name": f"测试企业{n}有限公司",
                    "industry_code": "C13",
                    "region_code": "310105",
                    "branch_code": branch,
                },
                representative={"name": NAMES[n - 1], "id_number": id_number, "phone": phone},
                actor=SEEDER,
            )
            loan = await models.Loan.create(
                loan_ref=f"L{n:05d}",
                firm_id=firm.id,
                product="operating",
                principal=Decimal("100000.00"),
                annual_rate=Decimal("0.050000"),
                term_months=12,
                repayment_method="equal_instalment",
                guarantee_type="credit",
                status="active",
                branch_code=branch,
            )
            await models.Score.create(
                firm_id=firm.id,
                model_name="logit",
                model_version="1",
                probability_of_default=0.05,
                points=650,
                grade="B",
                reasons=[{"feature": "debt_to_asset", "effect": 0.3}],
                computed_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
            )
            warning = await models.Warning.create(
                firm_id=firm.id,
                rule_code="DPD_30",
                severity="orange",
                observed_value=31,
                threshold=30,
                message="overdue",
            )
            seeded.firms.append(
                SeededFirm(
                    firm_id=firm.id,
                    person_id=firm.representative_id,  # type: ignore[attr-defined]
                    loan_id=loan.id,
                    warning_id=warning.id,
                    branch=branch,
                    name=NAMES[n - 1],
                    id_number=id_number,
                    phone=phone,
                )
            )
    return seeded


def principal(role: str, branch: str = "B001", *, username: str | None = None) -> Principal:
    return Principal(
        user_id=1,
        username=username or f"{role}-{branch}".lower(),
        roles=(role,),
        branch_code=branch,
        mfa_verified=True,
    )


async def execute_as(
    schema: Any,
    settings: Any,
    plugins: Any,
    query: str,
    user: Principal | None,
    variables: dict[str, Any] | None = None,
) -> Any:
    context = Context(request=None, settings=settings, user=user, plugins=plugins)
    return await schema.execute(query, variable_values=variables, context_value=context)


@pytest.fixture
def isolated_security() -> Iterator[Keyring]:
    """A fresh keyring, default policy store and the branch row scope; undone afterwards."""
    keyring = Keyring.generate()
    set_keyring(keyring)
    set_policy_store(PolicyStore())
    try:
        yield keyring
    finally:
        set_policy_store(None)
        set_keyring(None)
